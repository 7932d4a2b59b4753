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
        if self.max_queued_documents < 1:
            raise ConfigError("max_queued_documents must be >= 1")
        for f in fields(Limits):
            if getattr(self.limits, f.name) < 1:
                raise ConfigError(f"limits.{f.name} must be >= 1")
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
