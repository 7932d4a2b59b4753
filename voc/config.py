"""The one configuration object, built from defaults, environment and explicit overrides.

Validated once, here; everything else receives a `Settings` and trusts it.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from voc import paths


class ConfigError(ValueError):
    """A setting has a value voc cannot use; the message names the setting."""


@dataclass(frozen=True)
class Limits:
    """Published in `GET /v1/limits` and enforced by the service."""

    max_request_bytes: int = 1_000_000
    max_documents_per_request: int = 100
    max_characters_per_document: int = 5_000
    max_upload_bytes: int = 1_000_000_000
    """A file sent to `POST /v1/jobs` (multipart); it is streamed to the database, never held."""
    max_job_json_bytes: int = 100_000_000
    """A JSON body sent to `POST /v1/jobs`; parsed in memory, so smaller than a file upload."""


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    base_model_dir: Path = field(default_factory=paths.base_model_dir)
    artifacts_dir: Path = paths.ARTIFACTS_DIR
    encoder_backend: str = "onnx-int8"
    threads: int = 0
    """Encoder threads; 0 means one per CPU core."""
    batch_wait_ms: float = 2.0
    """How long the online batcher waits to group concurrent requests into one encoder call."""
    max_queued_documents: int = 2_000
    """Documents waiting for the encoder beyond this answer 429 instead of queueing forever."""
    limits: Limits = field(default_factory=Limits)
    topics_dir: Path = field(default_factory=lambda: paths.var_dir() / "topics")
    """Topic model versions and the pointer to the active one (`voc topics fit` writes here)."""
    job_chunk_size: int = 256
    """Documents per job chunk: the unit claimed, analysed and committed at once."""
    job_lease_seconds: float = 30.0
    """A claimed chunk whose worker stops heartbeating for this long is claimed again."""
    job_poll_seconds: float = 0.5
    """How often an idle worker looks for work."""
    service_url: str = "http://127.0.0.1:8080"
    """Where `voc jobs ...` finds a running service (`VOC_URL`)."""
    in_process_worker: bool = True
    """`create_app` starts a job worker thread (what `voc serve` runs; `voc worker` is separate)."""
    registry_dir: Path = field(default_factory=paths.registry_dir)
    """Where `voc train` registers new model versions (committed defaults: `artifacts_dir`)."""
    model_refresh_seconds: float = 5.0
    """How often a running service checks the database for model activations; 0 = never."""

    def __post_init__(self) -> None:
        from voc.nlp.encoder import BACKENDS

        if self.encoder_backend not in BACKENDS:
            raise ConfigError(
                f"encoder_backend must be one of {BACKENDS}, not {self.encoder_backend!r}"
            )
        if self.threads < 0:
            raise ConfigError("threads must be >= 0 (0 = one per core)")
        if not 0 <= self.batch_wait_ms <= 100:
            raise ConfigError("batch_wait_ms must be between 0 and 100")
        for name in ("base_model_dir", "artifacts_dir", "registry_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)))  # overrides may be str
        if self.model_refresh_seconds < 0:
            raise ConfigError("model_refresh_seconds must be >= 0 (0 = never)")
        if self.max_queued_documents < 1:
            raise ConfigError("max_queued_documents must be >= 1")
        for f in fields(Limits):
            if getattr(self.limits, f.name) < 1:
                raise ConfigError(f"limits.{f.name} must be >= 1")
        if self.job_chunk_size < 1:
            raise ConfigError("job_chunk_size must be >= 1")
        if self.job_lease_seconds <= 0 or self.job_poll_seconds <= 0:
            raise ConfigError("job_lease_seconds and job_poll_seconds must be > 0")
        if not self.database_url:
            db = paths.var_dir() / "voc.sqlite3"
            object.__setattr__(self, "database_url", f"sqlite:///{db}")

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Settings:
        """Defaults, then `VOC_*` / `DATABASE_URL` environment variables, then `overrides`."""
        values: dict[str, Any] = {}
        env = os.environ
        if "DATABASE_URL" in env:
            values["database_url"] = env["DATABASE_URL"]
        if "VOC_ENCODER_BACKEND" in env:
            values["encoder_backend"] = env["VOC_ENCODER_BACKEND"]
        if "VOC_THREADS" in env:
            values["threads"] = _int_env("VOC_THREADS")
        if "VOC_URL" in env:
            values["service_url"] = env["VOC_URL"]
        if "VOC_JOB_CHUNK_SIZE" in env:
            values["job_chunk_size"] = _int_env("VOC_JOB_CHUNK_SIZE")
        if "VOC_JOB_LEASE_SECONDS" in env:
            values["job_lease_seconds"] = _int_env("VOC_JOB_LEASE_SECONDS")
        overrides = dict(overrides or {})
        limits = overrides.pop("limits", None)
        if isinstance(limits, dict):
            try:
                overrides["limits"] = Limits(**limits)
            except TypeError as err:
                raise ConfigError(f"limits: {err}") from err
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown settings: {sorted(unknown)}")
        return replace(cls(), **values, **overrides)

    def public_limits(self) -> dict[str, int]:
        return asdict(self.limits)


def _int_env(name: str) -> int:
    try:
        return int(os.environ[name])
    except ValueError as err:
        raise ConfigError(f"{name} must be an integer, not {os.environ[name]!r}") from err
