"""The one configuration object, built from defaults, environment and explicit overrides.

Validated once, here; everything else receives a `Settings` and trusts it.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from voc import paths

TRUE = ("1", "true", "yes", "on")
Backend = Literal["onnx-int8", "onnx-fp32", "torch"]
BACKENDS: tuple[Backend, ...] = ("onnx-int8", "onnx-fp32", "torch")
"""How the encoder runs (`voc.nlp.encoder`); a setting, so it is validated here."""


def is_tenant_name(name: object) -> bool:
    """A tenant is named by 1 to 64 letters, digits or '-': what an API key carries, and what
    a setting that names tenants must match."""
    return isinstance(name, str) and 0 < len(name) <= 64 and name.replace("-", "").isalnum()


class ConfigError(ValueError):
    """A setting has a value voc cannot use; the message names the setting."""


@dataclass(frozen=True)
class Limits:
    """Published in `GET /v1/limits` and enforced by the service."""

    max_request_bytes: int = 1_000_000
    max_documents_per_request: int = 100
    max_characters_per_document: int = 5_000
    max_root_causes_per_taxonomy: int = 200
    max_touchpoints_per_journey: int = 100
    max_examples_per_item: int = 50
    """Examples per root cause or touchpoint."""
    max_label_characters: int = 100
    max_description_characters: int = 1_000
    max_example_characters: int = 500
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
    max_queued_documents: int = 400
    """Documents in flight in `POST /v1/analyze` (waiting for or in the encoder): beyond this,
    requests answer 429 at once instead of queueing. Small enough that the web threads can
    reach it (8 threads x 100 documents), so the bound, not the server's queue, decides."""
    web_threads: int = 16
    """Threads of `voc serve` answering HTTP (`--threads`), in each web process."""
    web_processes: int = 1
    """Processes of `voc serve` answering on one socket (`--processes`), each with its own
    models and its share of `threads` and `max_queued_documents` (`voc.service.processes`).
    Two keep health checks and 429s fast under overload on two cores (docs/benchmarks.md,
    Load), for twice the memory."""
    max_connections: int = 1000
    """Open client connections `voc serve` holds; idle ones are closed after `idle_timeout_s`."""
    idle_timeout_s: float = 15.0
    """A connection with no traffic for this long (idle keep-alive, slow headers) is closed."""
    rate_limit_per_key: float = 50.0
    """Requests per second one API key may make (bursts of twice that), counted in the database
    across every process sharing it; beyond, 429 with Retry-After. 0: no limit. Not applied
    while the service runs open (no key)."""
    analyze_timeout_s: float = 10.0
    """A `POST /v1/analyze` request's deadline: its work is dropped if not started by then
    and the request answers 503 (send large batches to `POST /v1/jobs`)."""
    limits: Limits = field(default_factory=Limits)
    allow_private_webhooks: bool = False
    """Accept owner webhook URLs on loopback, private or link-local addresses (tests, LANs)."""
    webhook_secret: str = field(default="", repr=False)
    """Signs alert webhooks (Standard Webhooks, HMAC-SHA256): `whsec_<base64>` or any string.
    Empty: one is generated once and kept in the var directory (`voc.alerts.service`)."""
    webhook_timeout_s: float = 5.0
    webhook_max_attempts: int = 6
    webhook_backoff_s: float = 2.0
    """Wait before the second delivery attempt; it doubles after each failure."""
    alert_workers: int = 4
    """Threads delivering webhooks, so one slow receiver does not hold back the others."""
    max_queued_alerts: int = 10_000
    """New alerts beyond this many waiting are dropped (and logged), never queued forever."""
    alert_claim_lease_s: float = 60.0
    """How long a process's claim on an alert lasts while it delivers it: another process
    delivers an alert whose claimant died once this has passed. Longer than a delivery can
    take (`webhook_timeout_s` per connect, send and read), or one may be repeated."""
    topics_dir: Path = field(default_factory=lambda: paths.var_dir() / "topics")
    """Registered topic model versions (fits and edits); which one is active is the registry's
    activation log, as for every model."""
    job_chunk_size: int = 1000
    """Documents per job chunk: the unit claimed, analysed and committed at once. The encoder
    sorts a call's clauses by length into batches; 1,000 documents give it as much to sort as
    a direct 1,000-text call (chunks of 256 ran at 0.77x of that, bench/bench_jobs.py)."""
    job_lease_seconds: float = 30.0
    """A claimed chunk whose worker stops heartbeating for this long is claimed again."""
    job_poll_seconds: float = 0.5
    """How often an idle worker looks for work."""
    job_abandoned_ingest_seconds: float = 600.0
    """A job still RECEIVING whose ingest has not committed rows for this long was left by a
    dead process: idle workers delete it (an ingest commits every 10,000 rows)."""
    service_url: str = "http://127.0.0.1:8080"
    """Where `voc jobs ...` finds a running service (`VOC_URL`)."""
    api_key: str = field(default="", repr=False)
    """The key `voc jobs ...` and `voc erasure` send (`VOC_API_KEY`); its tenant is whose jobs
    they see and whose customer they erase. Empty: none, for a service running open."""
    in_process_worker: bool = True
    """`create_app` starts a job worker thread (what `voc serve` runs; `voc worker` is separate)."""
    registry_dir: Path = field(default_factory=paths.registry_dir)
    """Where `voc train` registers new model versions (committed defaults: `artifacts_dir`)."""
    model_refresh_seconds: float = 5.0
    """How often a running service checks the database for model activations; 0 = never."""
    redact: str = "mask"
    """Personal data in what voc returns, stores, alerts and logs, unless a request or job says
    otherwise: "mask" ("[EMAIL]", "[PHONE]", "[NAME]"...), "drop_text" or "none"."""
    retention_days: float = 0.0
    """Job data (documents, results) older than this is deleted by the worker sweep; 0 = kept.
    The period of every tenant not in `tenant_retention_days`, the default tenant included."""
    tenant_retention_days: dict[str, float] = field(default_factory=dict)
    """A tenant's own retention period in days (> 0), replacing `retention_days` for its jobs:
    a contract may ask one customer's data to go sooner, or be kept longer, than the rest."""

    def __post_init__(self) -> None:
        if self.encoder_backend not in BACKENDS:
            raise ConfigError(
                f"encoder_backend must be one of {BACKENDS}, not {self.encoder_backend!r}"
            )
        if self.threads < 0:
            raise ConfigError("threads must be >= 0 (0 = one per core)")
        if not 0 <= self.batch_wait_ms <= 100:
            raise ConfigError("batch_wait_ms must be between 0 and 100")
        for name in ("base_model_dir", "artifacts_dir", "registry_dir", "topics_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)))  # overrides may be str
        if self.redact not in ("none", "mask", "drop_text"):
            raise ConfigError(f"redact must be none, mask or drop_text, not {self.redact!r}")
        if not (math.isfinite(self.retention_days) and self.retention_days >= 0):
            raise ConfigError("retention_days must be a number >= 0 (0 = keep job data)")
        object.__setattr__(
            self, "tenant_retention_days", _valid_tenant_days(self.tenant_retention_days)
        )
        if self.model_refresh_seconds < 0:
            raise ConfigError("model_refresh_seconds must be >= 0 (0 = never)")
        if self.max_queued_documents < 1:
            raise ConfigError("max_queued_documents must be >= 1")
        if self.web_threads < 2 or self.max_connections < 1 or self.idle_timeout_s <= 0:
            raise ConfigError(
                "web_threads must be >= 2, max_connections >= 1 and idle_timeout_s > 0"
            )
        if self.web_processes < 1:
            raise ConfigError("web_processes must be >= 1")
        if self.rate_limit_per_key < 0:
            raise ConfigError("rate_limit_per_key must be >= 0 (0 = no limit)")
        if not 0 < self.analyze_timeout_s <= 600:
            raise ConfigError("analyze_timeout_s must be > 0 and <= 600")
        for f in fields(Limits):
            if getattr(self.limits, f.name) < 1:
                raise ConfigError(f"limits.{f.name} must be >= 1")
        if not 0 < self.webhook_timeout_s <= 60:
            raise ConfigError("webhook_timeout_s must be > 0 and <= 60")
        if not 1 <= self.webhook_max_attempts <= 20:
            raise ConfigError("webhook_max_attempts must be between 1 and 20")
        if self.webhook_backoff_s < 0:
            raise ConfigError("webhook_backoff_s must be >= 0")
        if self.alert_workers < 1 or self.max_queued_alerts < 1:
            raise ConfigError("alert_workers and max_queued_alerts must be >= 1")
        if self.alert_claim_lease_s <= 2 * self.webhook_timeout_s:
            raise ConfigError("alert_claim_lease_s must be more than twice webhook_timeout_s")
        if self.job_chunk_size < 1:
            raise ConfigError("job_chunk_size must be >= 1")
        timings = (self.job_lease_seconds, self.job_poll_seconds, self.job_abandoned_ingest_seconds)
        if min(timings) <= 0:
            raise ConfigError(
                "job_lease_seconds, job_poll_seconds and job_abandoned_ingest_seconds must be > 0"
            )
        if not self.database_url:
            db = paths.var_dir() / "voc.sqlite3"
            object.__setattr__(self, "database_url", f"sqlite:///{db}")
        if _is_in_memory_sqlite(self.database_url):
            raise ConfigError(
                f"database_url {self.database_url!r} is an in-memory SQLite database, which "
                "each connection sees empty (keys, jobs and alerts would vanish between "
                "threads): give a file, sqlite:///path/voc.sqlite3, or PostgreSQL"
            )

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Settings:
        """Defaults, then `VOC_*` / `DATABASE_URL` environment variables, then `overrides`."""
        values: dict[str, Any] = {}
        env = os.environ
        if "DATABASE_URL" in env:
            values["database_url"] = env["DATABASE_URL"]
        if "VOC_ENCODER_BACKEND" in env:
            values["encoder_backend"] = env["VOC_ENCODER_BACKEND"]
        if "VOC_ALLOW_PRIVATE_WEBHOOKS" in env:
            values["allow_private_webhooks"] = env["VOC_ALLOW_PRIVATE_WEBHOOKS"].lower() in TRUE
        if "VOC_WEBHOOK_SECRET" in env:
            values["webhook_secret"] = env["VOC_WEBHOOK_SECRET"]
        if "VOC_THREADS" in env:
            values["threads"] = _int_env("VOC_THREADS")
        if "VOC_WEB_PROCESSES" in env:
            values["web_processes"] = _int_env("VOC_WEB_PROCESSES")
        if "VOC_MAX_QUEUED_DOCUMENTS" in env:
            values["max_queued_documents"] = _int_env("VOC_MAX_QUEUED_DOCUMENTS")
        if "VOC_URL" in env:
            values["service_url"] = env["VOC_URL"]
        if "VOC_API_KEY" in env:
            values["api_key"] = env["VOC_API_KEY"]
        if "VOC_JOB_CHUNK_SIZE" in env:
            values["job_chunk_size"] = _int_env("VOC_JOB_CHUNK_SIZE")
        if "VOC_REDACT" in env:
            values["redact"] = env["VOC_REDACT"]
        if "VOC_RETENTION_DAYS" in env:
            values["retention_days"] = _float_env("VOC_RETENTION_DAYS")
        if "VOC_TENANT_RETENTION_DAYS" in env:
            values["tenant_retention_days"] = _tenant_days_env("VOC_TENANT_RETENTION_DAYS")
        if "VOC_ALERT_CLAIM_LEASE_S" in env:
            values["alert_claim_lease_s"] = _float_env("VOC_ALERT_CLAIM_LEASE_S")
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


def _float_env(name: str) -> float:
    try:
        return float(os.environ[name])
    except ValueError as err:
        raise ConfigError(f"{name} must be a number, not {os.environ[name]!r}") from err


def _tenant_days_env(name: str) -> dict[str, str]:
    """`acme=30,beta=7.5` as {"acme": "30", "beta": "7.5"}; `_valid_tenant_days` reads the
    days, so that an error quotes the entry as written."""
    parsed: dict[str, str] = {}
    value = os.environ[name].strip()
    for entry in value.split(",") if value else []:
        tenant, sep, days = (part.strip() for part in entry.partition("="))
        if not sep:
            raise ConfigError(f"{name}: entry {entry.strip()!r} must be tenant=days")
        if tenant in parsed:
            raise ConfigError(f"{name}: tenant {tenant!r} is given twice")
        parsed[tenant] = days
    return parsed


def _valid_tenant_days(periods: Any) -> dict[str, float]:
    """`tenant_retention_days` checked entry by entry: a tenant name and days > 0 (a number,
    or its text as the environment gives it)."""
    if not isinstance(periods, dict):
        raise ConfigError("tenant_retention_days must map tenant names to days")
    valid: dict[str, float] = {}
    for tenant, days in periods.items():
        entry = f"{tenant}={days}"
        if not is_tenant_name(tenant):
            raise ConfigError(
                f"tenant_retention_days: entry {entry!r} needs a tenant name of 1 to 64 "
                "letters, digits or '-'"
            )
        try:
            number = float(days) if isinstance(days, str | int | float) else math.nan
        except ValueError:
            number = math.nan
        if isinstance(days, bool) or not (math.isfinite(number) and number > 0):
            raise ConfigError(f"tenant_retention_days: entry {entry!r} needs a number of days > 0")
        valid[tenant] = number
    return valid


def _is_in_memory_sqlite(database_url: str) -> bool:
    try:
        url = make_url(database_url)
    except ArgumentError as err:
        raise ConfigError(f"database_url {database_url!r} is not a database URL: {err}") from err
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
