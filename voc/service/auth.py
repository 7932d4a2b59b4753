"""API keys, scopes and the cross-site guard, checked before every request reaches a handler.

A key is `voc_<id>_<secret>`: the id finds the row, the secret is stored only as its SHA-256
(32 random bytes need no slow hash) and compared in constant time. Each key belongs to one
tenant and carries scopes: `analyze` (POST /v1/analyze), `jobs` (/v1/jobs...), `configure`
(changes to the tenant's taxonomies, journeys, alert rules; reading alerts, which hold
feedback text), `privacy` (erasing one of the tenant's customers), `admin` (model activation,
topic-model changes, metrics: what every tenant's analyses share). Reading configuration needs
a key of any scope; health, readiness, limits and the API's description need none.

Scopes do not nest: each grants its endpoints and nothing else, `admin` included. So erasure,
which destroys a tenant's data beyond recovery, is given only to keys made for it, and a key
made to run a privacy request cannot activate models (nor an operator's admin key erase).

Keys are required whenever the service listens beyond loopback or any key exists. On
loopback with no key it runs open (`make run`, the README's first request), says so in its
log and in `/readyz`, and then only answers requests addressed to a loopback host (no DNS
rebinding). Either way, a state-changing request sent by a browser from another site
(`Origin` or `Sec-Fetch-Site` says so) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, request
from sqlalchemy import Column, Engine, Float, String, Table, insert, select, update

from voc.config import Settings, is_tenant_name
from voc.service.errors import ApiError
from voc.storage import DEFAULT_TENANT, make_engine, metadata, rate_limits

log = logging.getLogger(__name__)

SCOPE_GRANTS = {
    "analyze": "POST /v1/analyze",
    "jobs": "/v1/jobs...",
    "configure": "changing the tenant's taxonomies, journeys and alert rules; reading alerts",
    "privacy": "POST /v1/erasure (the tenant's customers only)",
    "admin": "model activation, topic-model changes, /metrics",
}
"""What each scope grants (the API description lists it); a key holds one or more."""
SCOPES = tuple(SCOPE_GRANTS)
ANY = "any"
"""Endpoints any valid key may call, whatever its scopes."""
PUBLIC_ENDPOINTS = {"ops.healthz", "ops.readyz", "ops.openapi", "ops.docs", "ops.limits"}
ENDPOINT_SCOPES = {
    "ops.metrics": "admin",
    "analyze.analyze": "analyze",
    "models.list_models": ANY,
    "alerts.list_alerts": "configure",
    "alerts.get_alert_rules": ANY,
    "alerts.put_alert_rules": "configure",
    "topics.get_topics": ANY,
    "privacy.erase": "privacy",
}
"""Endpoints not listed: the `jobs` blueprint needs `jobs`, `configuration` reads need any
key and writes `configure`, `topics` changes `admin` (one topic model serves every tenant),
everything else `admin`."""
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_NAMES = ("localhost",)
MODE_CACHE_S = 2.0

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("scopes", String(200), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's tenant and scopes (`key_id` None while running open)."""

    tenant: str
    scopes: frozenset[str]
    key_id: str | None = None


class KeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, tenant: str, scopes: list[str]) -> tuple[str, str]:
        """A new key: (its id, the key itself, shown this once and never stored)."""
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise ValueError(f"scopes must be some of {list(SCOPES)}, not {scopes}")
        if not is_tenant_name(tenant):
            raise ValueError("tenant must be 1-64 letters, digits or '-'")
        key_id, secret = uuid.uuid4().hex[:12], secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(
                insert(api_keys).values(
                    id=key_id,
                    tenant=tenant,
                    scopes=",".join(s for s in SCOPES if s in scopes),
                    secret_sha256=_sha256(secret),
                    created_at=time.time(),
                )
            )
        return key_id, f"voc_{key_id}_{secret}"

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at))
            return [
                {
                    "id": row.id,
                    "tenant": row.tenant,
                    "scopes": row.scopes.split(","),
                    "created_at": row.created_at,
                    "revoked": row.revoked_at is not None,
                }
                for row in rows
            ]

    def revoke(self, key_id: str) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )
            rate_limits.forget(connection, key_id)
        return result.rowcount == 1

    def any_active(self) -> bool:
        with self.engine.connect() as connection:
            query = select(api_keys.c.id).where(api_keys.c.revoked_at.is_(None)).limit(1)
            return connection.execute(query).first() is not None

    def verify(self, token: str) -> Principal | None:
        """The key's principal, or None for a malformed, unknown, wrong or revoked key."""
        prefix, _, rest = token.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != "voc" or not key_id or not secret:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_sha256, _sha256(secret)):
            return None
        return Principal(row.tenant, frozenset(row.scopes.split(",")), row.id)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class RateLimiter:
    """A token bucket per API key: `rate` requests per second, bursts of `burst`. The buckets
    are rows of the database (`voc.storage.rate_limits`), so the limit holds for a key
    whichever of the processes sharing it answer its requests. That costs one write per
    request, made on an engine whose commits do not wait for the disk (`durable=False`: a
    power cut may forget a few spent tokens, nothing more)."""

    def __init__(self, engine: Engine, rate: float, burst: float) -> None:
        self.engine = engine
        self.rate, self.burst = rate, burst

    def wait(self, key_id: str) -> float:
        """0 when the request may go now (a token is taken), else seconds until it may."""
        if self.rate <= 0:
            return 0.0
        return rate_limits.take_token(self.engine, key_id, rate=self.rate, burst=self.burst)


class Guard:
    """Decides, per request, who is calling and whether they may."""

    def __init__(self, keys: KeyStore, limiter: RateLimiter) -> None:
        self.keys = keys
        self.limiter = limiter
        self.beyond_loopback = False
        """Set by the server from the address it listens on."""
        self._open_until = 0.0
        self._open = True
        self._lock = threading.Lock()

    def listening_on(self, host: str) -> None:
        self.beyond_loopback = not _is_loopback(host)
        log.info(
            "auth.mode",
            extra={"open": self.is_open(), "beyond_loopback": self.beyond_loopback},
        )
        if self.is_open():
            log.warning("auth.open", extra={"reason": "loopback and no API key configured"})

    def is_open(self) -> bool:
        """Open: loopback only and no active key (looked up at most every 2 s)."""
        if self.beyond_loopback:
            return False
        with self._lock:
            now = time.monotonic()
            if now >= self._open_until:
                self._open = not self.keys.any_active()
                self._open_until = now + MODE_CACHE_S
            return self._open

    def check(self) -> None:
        """Raise the 401/403 for the current request, or set `g.principal`."""
        _refuse_cross_site()
        endpoint = request.endpoint
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return
        if self.is_open():
            if not _is_loopback(urlsplit(f"//{request.host}").hostname or ""):
                raise ApiError(
                    403, "Forbidden", "running open (no API key): only loopback hosts are served"
                )
            g.principal = Principal(DEFAULT_TENANT, frozenset(SCOPES))
            return
        token = _presented_key()
        principal = self.keys.verify(token) if token else None
        if principal is None:
            raise ApiError(
                401,
                "Unauthorized",
                "send a valid API key as Authorization: Bearer <key> or X-API-Key "
                "(voc keys create makes one)",
                {"WWW-Authenticate": 'Bearer realm="voc"'},
            )
        scope = _required_scope(endpoint, request.method)
        if scope != ANY and scope not in principal.scopes:
            raise ApiError(403, "Forbidden", f"this key lacks the {scope!r} scope")
        wait = self.limiter.wait(principal.key_id or "")
        if wait > 0:
            seconds = str(math.ceil(wait))
            raise ApiError(
                429,
                "RateLimited",
                f"this key sends more than {self.limiter.rate:g} requests per second; "
                f"retry after {seconds} s",
                {"Retry-After": seconds},
            )
        g.principal = principal


def _required_scope(endpoint: str, method: str) -> str:
    if endpoint in ENDPOINT_SCOPES:
        return ENDPOINT_SCOPES[endpoint]
    blueprint = endpoint.split(".", 1)[0]
    if blueprint == "jobs":
        return "jobs"
    if blueprint == "configuration":
        return ANY if method in SAFE_METHODS else "configure"
    if blueprint == "topics":
        return ANY if method in SAFE_METHODS else "admin"
    return "admin"


def _presented_key() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def _refuse_cross_site() -> None:
    """A browser's state-changing request from another site, refused whatever the key."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise ApiError(403, "CrossOrigin", "cross-site requests may not change anything")
    origin = request.headers.get("Origin")
    if origin is None:
        return
    parts = urlsplit(origin)
    if origin == "null" or parts.netloc.lower() != request.host.lower():
        raise ApiError(403, "CrossOrigin", f"requests from {origin!r} may not change anything here")


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def principal() -> Principal:
    """The caller of the current request (set by `Guard.check`)."""
    return g.get("principal") or Principal(DEFAULT_TENANT, frozenset(SCOPES))


def caller() -> str:
    """Who the current request acts for, as the activation log records it."""
    who = principal()
    return "open-api" if who.key_id is None else f"key:{who.key_id} ({who.tenant})"


def init_app(app: Flask, engine: Engine, settings: Settings) -> Guard:
    rate = settings.rate_limit_per_key
    counters = make_engine(settings.database_url, durable=False)
    guard = Guard(KeyStore(engine), RateLimiter(counters, rate, burst=max(1.0, 2 * rate)))
    app.before_request(guard.check)
    return guard
