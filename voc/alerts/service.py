"""Alerts: analysed documents that match a rule are sent to the owner of their touchpoint.

The request thread only evaluates the rules (microseconds) and puts the matches on a
bounded in-memory schedule; worker threads record each alert in the `alerts` table and
deliver it as a webhook POST signed the Standard Webhooks way (`webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`),
retrying failures with exponential backoff. A slow or failing receiver therefore never
slows or fails an analysis.

Several processes may share the database, so each alert is delivered by one of them: a
process claims the alert's row (`voc.storage.leases`: one conditional UPDATE, under a lease of
`alert_claim_lease_s`) before each attempt, and holds it through the backoff to its next
attempt. Every process queues, at start and then every half lease, the pending alerts nobody
holds: those of a process that stopped (closing cleanly, it stores the alerts it accepted and
releases its claims) or died (its leases run out). A delivery that outlasts its lease may
therefore be repeated by another process; receivers deduplicate on `webhook-id`, as Standard
Webhooks asks.

Rules, like the alerts they raise, belong to a tenant (the `tenant` column, NULL for the
default tenant): an analysis is checked against its tenant's latest rules, or the shipped
ones while the tenant has stored none. Each tenant's versions count from 1.

A batch job also raises alerts when it completes, in the process whose worker ended it (`voc
serve` or `voc worker`: `voc.jobs.emerging_alerts`), and again when its report is built:
`submit_emerging` checks each emerging root cause against the rules
with `emerging: true` (`voc.alerts.rules`). Those alerts have an id derived from (tenant, job,
rule, cause, period), so checking the same job again raises none.

The service's endpoints (`voc.service.alerts_api`) read and set them: `GET /v1/alerts`,
`GET/PUT /v1/alert-rules`.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import json
import logging
import os
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    exc,
    func,
    insert,
    select,
    update,
)

from voc import paths
from voc.alerts import sender
from voc.alerts.rules import (
    AlertRule,
    EmergingIssue,
    RuleSet,
    document_touchpoints,
    load_default_rules,
    parse_rules,
)
from voc.config import Settings
from voc.nlp.batch import result_dict
from voc.nlp.journey import Journey, Owner, Touchpoint
from voc.nlp.pii.metadata import redact_metadata
from voc.nlp.types import Analysis, Feedback
from voc.storage import DEFAULT_TENANT, leases, metadata, owned_by, tenant_column_value
from voc.storage.clock import db_now

log = logging.getLogger(__name__)

STATUSES = ("pending", "delivered", "failed", "unroutable")
"""pending: waiting for (another) attempt; unroutable: no owner webhook for the touchpoint."""
MAX_BACKOFF_S = 3_600.0
MAX_ERROR_CHARS = sender.MAX_ERROR_CHARS
SECRET_FILE = "webhook-secret"

alerts_table = Table(
    "alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("rule_id", String(64), nullable=False),
    Column("document_id", String(200), nullable=False),
    Column("touchpoint", String(64)),
    Column("owner_name", String(200)),
    Column("owner_email", String(254)),
    Column("webhook_url", String(2000)),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(MAX_ERROR_CHARS)),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("tenant", String(64), comment="whose analysis raised it; NULL: the default tenant"),
    *leases.lease_columns(),
)
alert_rules_table = Table(
    "alert_rules",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("tenant", String(64), comment="whose rules; NULL: the default tenant"),
    Index("ix_alert_rules_tenant_version", "tenant", "version"),
)
"""`ix_alert_rules_tenant_version` answers "the tenant's latest row" from the index alone, the
check `AlertService.rules` makes before every use of its cache."""


def signing_key(settings: Settings) -> bytes:
    """The HMAC key: `whsec_<base64>` decoded, any other string as UTF-8; when none is
    configured, a random one generated once and kept (mode 600) in the var directory."""
    secret = settings.webhook_secret
    if not secret:
        path = paths.var_dir() / SECRET_FILE
        generated = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        if paths.create_private_file(path, generated):
            log.info("alerts.secret.generated", extra={"path": str(path)})
        secret = path.read_text().strip()
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode("utf-8")


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks signature header value for one delivery."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class _NewAlert:
    id: str
    rule_id: str
    document_id: str
    touchpoint: Touchpoint | None
    touchpoint_id: str | None
    payload: dict[str, Any]
    tenant: str = DEFAULT_TENANT


def _payload(
    kind: str,
    alert_id: str,
    rule: dict[str, Any],
    journey: Journey,
    touchpoint: Touchpoint | None,
    **data: Any,
) -> dict[str, Any]:
    """The webhook body every alert kind shares (its `type`, the rule, journey and touchpoint
    it was routed by), with `data` the kind's own fields after them."""
    return {
        "type": kind,
        "timestamp": _now().isoformat(),
        "data": {
            "alert_id": alert_id,
            "rule": rule,
            "journey": {"id": journey.id, "version": journey.version},
            "touchpoint": None
            if touchpoint is None
            else {"id": touchpoint.id, "label": touchpoint.label},
            **data,
        },
    }


class AlertService:
    """Rules, the alert schedule, and the workers that deliver it."""

    def __init__(self, settings: Settings, engine: Engine, events: Counter | None = None) -> None:
        self._settings = settings
        self._engine = engine
        self._events = events
        self._key = signing_key(settings)
        self._default_rules = load_default_rules()
        self._rules: dict[str, tuple[int, RuleSet]] = {}
        """Each tenant's latest rules as last read, with their row (`alert_rules.version`):
        used while that row is still the tenant's latest, which `rules` checks every time."""
        self._owner = f"{socket.gethostname()[:50]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """This service's name in the claims it holds (two apps in one process differ)."""
        self._lease = settings.alert_claim_lease_s
        self._heap: list[tuple[float, int, str | _NewAlert]] = []
        self._queued: set[str] = set()
        """Ids of stored alerts in the heap, so a sweep does not queue one twice."""
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._closed = False
        self._stop_sweeping = threading.Event()
        self._workers = [
            threading.Thread(target=self._work, name=f"voc-alerts-{i}", daemon=True)
            for i in range(settings.alert_workers)
        ]
        self._sweeper = threading.Thread(target=self._sweep, name="voc-alerts-sweep", daemon=True)
        for thread in (*self._workers, self._sweeper):
            thread.start()

    # -- rules ------------------------------------------------------------------------------

    def rules(self, tenant: str = DEFAULT_TENANT) -> RuleSet:
        """The rules in force for `tenant`'s analyses: its latest, else the shipped ones.

        Another process (a second server, `voc worker`) may have stored a new version, so
        each call asks the database for the tenant's latest row (one indexed lookup: 0.13 ms a
        call on SQLite, against 2 ms to read and parse 100 rules) and reads and parses the
        rules only when that row is not the one cached: a PUT anywhere is in force for the
        next analysis everywhere."""
        table = alert_rules_table
        with self._engine.connect() as connection:
            latest = connection.execute(
                select(func.max(table.c.version)).where(owned_by(table, tenant))
            ).scalar()
            if latest is None:
                return self._default_rules
            cached = self._rules.get(tenant)
            if cached is not None and cached[0] == latest:
                return cached[1]
            body = connection.execute(
                select(table.c.body).where(table.c.version == latest)
            ).scalar_one()
            versions = _versions_up_to(connection, tenant, latest)
        rules = parse_rules(json.loads(body), version=versions)
        self._rules[tenant] = (latest, rules)
        return rules

    def replace_rules(self, raw: Any, *, tenant: str = DEFAULT_TENANT) -> RuleSet:
        """Validate and store a new version of `tenant`'s rules; raises `InvalidFieldError`."""
        parse_rules(raw)
        body = json.dumps(raw, ensure_ascii=False, sort_keys=True)
        with self._engine.begin() as connection:
            row = connection.execute(
                insert(alert_rules_table).values(
                    body=body, created_at=_now(), tenant=tenant_column_value(tenant)
                )
            ).inserted_primary_key[0]
            version = _versions_up_to(connection, tenant, row)
        rules = parse_rules(raw, version=version)
        self._rules[tenant] = (row, rules)
        log.info("alerts.rules.replaced", extra={"version": version, "rules": len(rules.rules)})
        return rules

    # -- intake (request thread) ------------------------------------------------------------

    def submit(
        self,
        feedback: Sequence[Feedback],
        analyses: Sequence[Analysis],
        journey: Journey,
        *,
        redact: str | None = None,
        tenant: str = DEFAULT_TENANT,
    ) -> int:
        """Schedule an alert for every (document, matching rule), routed to the owners in
        `journey` (the one the analysis used); returns how many. Rules read the analysis in
        memory; what is stored and sent is redacted as `redact` asks (default: the deployment's
        `Settings.redact`). The rules are `tenant`'s and the alerts belong to it (only its
        keys list them). Never raises and never waits on a receiver; reads the database once
        (`rules`: are the tenant's rules still the latest?)."""
        redact = redact or self._settings.redact
        try:
            rules = self.rules(tenant)
            drafts = [
                replace(
                    self._draft(f, a, rule.id, rule.description, rule.route_to, journey, redact),
                    tenant=tenant,
                )
                for f, a in zip(feedback, analyses, strict=True)
                for rule in rules.matching(f, a)
            ]
        except Exception:
            log.exception("alerts.submit.failed")
            return 0
        with self._condition:
            room = self._settings.max_queued_alerts - len(self._heap)
            accepted, dropped = drafts[: max(room, 0)], drafts[max(room, 0) :]
            for draft in accepted:
                self._push(time.monotonic(), draft)
        if dropped:
            log.warning("alerts.dropped", extra={"count": len(dropped), "reason": "queue full"})
        self._count("scheduled", len(accepted))
        self._count("dropped", len(dropped))
        return len(accepted)

    def submit_emerging(
        self,
        job_id: str,
        issues: Sequence[EmergingIssue],
        journey: Journey,
        *,
        tenant: str = DEFAULT_TENANT,
    ) -> int:
        """Schedule an alert for every (emerging issue of job `job_id`, matching rule of
        `tenant`) not raised before, routed to the owner of the cause's touchpoint in `journey`
        (the job's); returns how many. The payload holds counts and the test, no comment.
        Never raises for the database: the report it follows is answered regardless."""
        if not issues:
            return 0
        try:
            rules = self.rules(tenant)
            drafts = {
                draft.id: draft
                for issue in issues
                for rule in rules.matching_emerging(issue)
                for draft in [self._emerging_draft(job_id, issue, rule, journey, tenant)]
            }
            if not drafts:
                return 0
            with self._engine.connect() as connection:
                raised = set(
                    connection.execute(
                        select(alerts_table.c.id).where(alerts_table.c.id.in_(list(drafts)))
                    ).scalars()
                )
        except exc.SQLAlchemyError:  # the report is still answered; the next build retries
            log.exception("alerts.submit_emerging.failed")
            return 0
        fresh = [d for alert_id, d in drafts.items() if alert_id not in raised]
        with self._condition:
            for draft in fresh:
                self._push(time.monotonic(), draft)
        self._count("scheduled", len(fresh))
        return len(fresh)

    def erase_customer(self, customer_id: str, *, tenant: str) -> int:
        """Delete `tenant`'s stored alerts about documents whose metadata `customer_id` is this
        one (the alert payload quotes the document); returns how many."""
        needle = json.dumps({"customer_id": customer_id}, ensure_ascii=False)[1:-1]
        with self._engine.begin() as connection:
            rows = connection.execute(
                select(alerts_table.c.id, alerts_table.c.payload).where(
                    owned_by(alerts_table, tenant),
                    alerts_table.c.payload.contains(needle, autoescape=True),
                )
            ).all()
            doomed = [
                alert_id
                for alert_id, payload in rows
                if json.loads(payload)["data"]
                .get("document", {})
                .get("metadata", {})
                .get("customer_id")
                == customer_id
            ]
            if doomed:
                connection.execute(delete(alerts_table).where(alerts_table.c.id.in_(doomed)))
        return len(doomed)

    def _count(self, event: str, amount: int = 1) -> None:
        if self._events is not None and amount:
            self._events.labels(event).inc(amount)

    def _draft(
        self,
        feedback: Feedback,
        analysis: Analysis,
        rule_id: str,
        description: str,
        route_to: str | None,
        journey: Journey,
        redact: str,
    ) -> _NewAlert:
        touchpoint_ids = [route_to] if route_to else document_touchpoints(feedback, analysis)
        touchpoint_id = touchpoint_ids[0] if touchpoint_ids else None
        touchpoint = journey.touchpoint(touchpoint_id) if touchpoint_id else None
        alert_id = f"msg_{uuid.uuid4().hex}"
        return _NewAlert(
            id=alert_id,
            rule_id=rule_id,
            document_id=feedback.id,
            touchpoint=touchpoint,
            touchpoint_id=touchpoint_id,
            payload=_payload(
                "voc.alert",
                alert_id,
                {"id": rule_id, "description": description},
                journey,
                touchpoint,
                document={
                    **result_dict(feedback, analysis, redact, with_text=True),
                    "metadata": redact_metadata(feedback.metadata, redact),
                },
            ),
        )

    def _emerging_draft(
        self, job_id: str, issue: EmergingIssue, rule: AlertRule, journey: Journey, tenant: str
    ) -> _NewAlert:
        touchpoint_id = rule.route_to or issue.touchpoint
        touchpoint = journey.touchpoint(touchpoint_id) if touchpoint_id else None
        key = json.dumps([tenant, job_id, rule.id, issue.cause, issue.period])
        alert_id = f"msg_{hashlib.sha256(key.encode()).hexdigest()[:32]}"
        return _NewAlert(
            id=alert_id,
            rule_id=rule.id,
            document_id=job_id,
            touchpoint=touchpoint,
            touchpoint_id=touchpoint_id,
            tenant=tenant,
            payload=_payload(
                "voc.alert.emerging",
                alert_id,
                {"id": rule.id, "description": rule.description},
                journey,
                touchpoint,
                job={"id": job_id},
                emerging=asdict(issue),
            ),
        )

    # -- schedule and workers ---------------------------------------------------------------

    def _push(self, due: float, item: str | _NewAlert) -> None:
        if isinstance(item, str):
            if item in self._queued:
                return
            self._queued.add(item)
        heapq.heappush(self._heap, (due, next(self._counter), item))
        self._condition.notify()

    def _next(self) -> str | _NewAlert | None:
        with self._condition:
            while not self._closed:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    item = heapq.heappop(self._heap)[2]
                    if isinstance(item, str):
                        self._queued.discard(item)
                    return item
                wait = self._heap[0][0] - time.monotonic() if self._heap else None
                self._condition.wait(wait)
            return None

    def _work(self) -> None:
        while (item := self._next()) is not None:
            try:
                alert_id = self._record(item) if isinstance(item, _NewAlert) else item
                if alert_id is not None:
                    self._attempt(alert_id)
            except Exception:
                log.exception("alerts.worker.failed")

    def _record(self, alert: _NewAlert) -> str | None:
        """Store a new alert; returns its id when there is a webhook to deliver it to."""
        owner = alert.touchpoint.owner if alert.touchpoint else None
        url = owner.webhook_url if owner else None
        now = _now()
        try:
            self._insert(alert, owner, url, now)
        except exc.IntegrityError:  # an emerging issue raised twice at once: keep the first
            log.info("alerts.duplicate", extra={"alert_id": alert.id})
            return None
        log.info(
            "alerts.recorded",
            extra={"alert_id": alert.id, "rule_id": alert.rule_id, "routed": bool(url)},
        )
        if not url:
            self._count("unroutable")
        return alert.id if url else None

    def _insert(
        self, alert: _NewAlert, owner: Owner | None, url: str | None, now: datetime
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                insert(alerts_table).values(
                    id=alert.id,
                    tenant=tenant_column_value(alert.tenant),
                    rule_id=alert.rule_id,
                    document_id=alert.document_id,
                    touchpoint=alert.touchpoint_id,
                    owner_name=owner.name if owner else None,
                    owner_email=owner.email if owner else None,
                    webhook_url=url,
                    status="pending" if url else "unroutable",
                    claimed_by=self._owner if url else None,
                    claimed_until=db_now() + self._lease if url else None,
                    attempts=0,
                    last_error=None if url else _unroutable_reason(alert),
                    payload=json.dumps(alert.payload, ensure_ascii=False),
                    created_at=now,
                    updated_at=now,
                )
            )

    def _attempt(self, alert_id: str) -> None:
        """One delivery attempt, made only under this service's claim on the alert."""
        table = alerts_table
        with self._engine.begin() as connection:
            pending = (table.c.status == "pending",)
            if not leases.claim(
                connection,
                table,
                alert_id,
                owner=self._owner,
                seconds=self._lease,
                where=pending,
            ):
                return  # delivered, deleted, or another process holds it
            row = connection.execute(select(table).where(table.c.id == alert_id)).one()
        error = self._deliver(row.id, row.webhook_url, row.payload.encode("utf-8"))
        attempts = row.attempts + 1
        delay = min(self._settings.webhook_backoff_s * 2 ** (attempts - 1), MAX_BACKOFF_S)
        if error is None:
            event, values = "delivered", {"status": "delivered", "delivered_at": _now()}
        elif attempts >= self._settings.webhook_max_attempts:
            event, values = "failed", {"status": "failed"}
        else:  # held through the backoff, so no other process retries it sooner
            event, values = "retried", {"claimed_until": db_now() + delay + self._lease}
        if event != "retried":
            values.update(claimed_by=None, claimed_until=None)
        with self._engine.begin() as connection:
            written = connection.execute(
                update(table)
                .where(table.c.id == alert_id, leases.held_by(table, self._owner))
                .values(attempts=attempts, updated_at=_now(), last_error=error, **values)
            ).rowcount
        if not written:  # the lease ran out mid-delivery and another process took it
            log.warning("alerts.claim_lost", extra={"alert_id": alert_id})
            return
        self._count(event)
        if event == "retried":
            with self._condition:
                self._push(time.monotonic() + delay, alert_id)
        log.info(
            "alerts.attempt",
            extra={"alert_id": alert_id, "attempt": attempts, "ok": error is None},
        )

    def _deliver(self, alert_id: str, url: str, body: bytes) -> str | None:
        """POST once; None on a 2xx answer, else why it failed."""
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "voc-alerts",
            "webhook-id": alert_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, alert_id, timestamp, body),
        }
        return sender.post(
            url,
            body,
            headers,
            allow_private=self._settings.allow_private_webhooks,
            timeout=self._settings.webhook_timeout_s,
        )

    def _sweep(self) -> None:
        """Queue the pending alerts nobody holds, at start and then every half lease."""
        while True:
            try:
                self._queue_unclaimed()
            except exc.SQLAlchemyError:
                log.exception("alerts.sweep.failed")
            if self._stop_sweeping.wait(self._lease / 2):
                return

    def _queue_unclaimed(self) -> None:
        with self._engine.connect() as connection:
            unclaimed = connection.execute(
                select(alerts_table.c.id).where(
                    alerts_table.c.status == "pending",
                    leases.is_free(alerts_table),
                )
            ).scalars()
            with self._condition:
                for alert_id in unclaimed:
                    self._push(time.monotonic(), alert_id)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers, store the alerts accepted but not yet recorded, and release this
        service's claims, so another process (or the next start) delivers what is still pending
        without waiting for the leases to run out; a worker still delivering keeps its claim
        until its lease ends."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._stop_sweeping.set()
        for thread in (*self._workers, self._sweeper):
            thread.join(timeout)
        self._record_queued()
        if any(worker.is_alive() for worker in self._workers):
            return
        try:
            with self._engine.begin() as connection:
                leases.release_all(connection, alerts_table, self._owner)
        except exc.SQLAlchemyError:
            log.exception("alerts.release.failed")

    def _record_queued(self) -> None:
        """Store the drafts still on the schedule (the stopped workers take no more), so closing
        loses no accepted alert: stored pending, the sweep of any process delivers them."""
        with self._condition:
            drafts = [item for _, _, item in self._heap if isinstance(item, _NewAlert)]
            self._heap.clear()
            self._queued.clear()
        for draft in drafts:
            try:
                self._record(draft)
            except exc.SQLAlchemyError:
                log.exception("alerts.record.failed", extra={"alert_id": draft.id})

    # -- reading ----------------------------------------------------------------------------

    def list_alerts(
        self, *, status: str | None, limit: int, offset: int, tenant: str = DEFAULT_TENANT
    ) -> dict[str, Any]:
        owner = owned_by(alerts_table, tenant)
        where = [owner] if status is None else [owner, alerts_table.c.status == status]
        with self._engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(alerts_table).where(*where)
            ).scalar_one()
            rows = connection.execute(
                select(alerts_table)
                .where(*where)
                .order_by(alerts_table.c.created_at.desc(), alerts_table.c.id)
                .limit(limit)
                .offset(offset)
            ).all()
        return {
            "alerts": [_alert_to_dict(row) for row in rows],
            "total": total,
            "next_offset": offset + len(rows) if offset + len(rows) < total else None,
        }


def _versions_up_to(connection: Any, tenant: str, row: int) -> int:
    """The version number of `tenant`'s rules stored in `row`: its count of rows up to it (the
    table's row number would tell one tenant how often the others change theirs)."""
    table = alert_rules_table
    return connection.execute(
        select(func.count())
        .select_from(table)
        .where(owned_by(table, tenant), table.c.version <= row)
    ).scalar_one()


def _unroutable_reason(alert: _NewAlert) -> str:
    if alert.touchpoint_id is None:
        return "the document has no touchpoint; compute touchpoints or set metadata.touchpoint"
    if alert.touchpoint is None:
        return f"touchpoint {alert.touchpoint_id!r} is not in the journey"
    return f"touchpoint {alert.touchpoint_id!r} has no owner webhook_url"


def _alert_to_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "rule_id": row.rule_id,
        "document_id": row.document_id,
        "touchpoint": row.touchpoint,
        "owner": None
        if row.owner_name is None
        else {"name": row.owner_name, "email": row.owner_email, "webhook_url": row.webhook_url},
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
        "delivered_at": _iso(row.delivered_at),
        "payload": json.loads(row.payload),
    }


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
