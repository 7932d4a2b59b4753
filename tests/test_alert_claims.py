"""Several processes on one database deliver each alert once: they claim an alert's row before
each attempt, and a claim held by a process that died runs out with its lease.

Real parts only: SQLite files shared by separate engines (and, for the death, by a separate
Python process killed with SIGKILL mid-delivery) and the real localhost receiver of
`test_alerts`, which counts what reaches it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from test_alerts import SECRET, Receiver, _churning_document, _journey

from voc.alerts.service import AlertService, alerts_table
from voc.config import Settings
from voc.storage import create_schema

CHURN_RULES = {"rules": [{"id": "churn", "when": {"churn_risk_at_least": 0.5}}]}
ALERTS = 30
CHILD_LEASE_S = 4.5
CHILD = """
import sys, time
sys.path.insert(0, {tests!r})
from sqlalchemy import create_engine
from voc.config import Settings
from voc.alerts.service import AlertService
from test_alerts import EMERGING_RULES, SECRET, _journey, _late_delivery_spike
settings = Settings(database_url={database!r}, webhook_secret=SECRET,
    allow_private_webhooks=True, webhook_timeout_s=2.0, alert_claim_lease_s={lease})
service = AlertService(settings, create_engine({database!r}))
service.replace_rules(EMERGING_RULES)
service.submit_emerging("job-1", [_late_delivery_spike()], _journey({url!r}))
time.sleep(60)
"""


@pytest.fixture()
def make_process(tmp_path):
    """`make_process(**overrides)`: an AlertService on the test's one database with its own
    engine (connection pool) and claimant name, as a separate server process has."""
    database = f"sqlite:///{tmp_path}/shared.sqlite3"
    create_schema(create_engine(database))
    services = []

    def make(**overrides) -> AlertService:
        fast = {
            "webhook_secret": SECRET,
            "allow_private_webhooks": True,
            "webhook_timeout_s": 0.4,
            "webhook_backoff_s": 0.2,
            "alert_claim_lease_s": 1.0,
        }
        settings = replace(Settings(database_url=database), **{**fast, **overrides})
        services.append(AlertService(settings, create_engine(database)))
        return services[-1]

    make.database = database
    yield make
    for service in services:
        service.close()


def _wait_until(done, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _count(service: AlertService, status: str) -> int:
    return service.list_alerts(status=status, limit=1, offset=0)["total"]


def test_two_processes_starting_together_deliver_each_pending_alert_once(make_process):
    """Pending alerts left by a stopped process are queued by both processes that start next
    (each queues every unclaimed pending alert at start); the claim lets one deliver each."""
    with Receiver(statuses=[500] * ALERTS) as receiver:
        stopped = make_process(webhook_backoff_s=60.0, alert_claim_lease_s=120.0)
        stopped.replace_rules(CHURN_RULES)
        feedback, analysis = _churning_document()
        documents = [replace(feedback, id=f"doc-{i}") for i in range(ALERTS)]
        analyses = [replace(analysis, id=f"doc-{i}") for i in range(ALERTS)]
        assert stopped.submit(documents, analyses, _journey(receiver.url)) == ALERTS
        _wait_until(lambda: len(receiver.received) == ALERTS)
        _wait_until(lambda: _attempted_once(stopped) == ALERTS)
        stopped.close()  # releases its claims: nobody waits for the 120 s leases
        receiver.received.clear()

        # leases long enough that no delivery outlasts its claim on a busy machine (a second
        # delivery after an expired lease is allowed, and is not what this test is about)
        first, second = (
            make_process(alert_claim_lease_s=10.0),
            make_process(alert_claim_lease_s=10.0),
        )
        _wait_until(lambda: _count(first, "delivered") == ALERTS)
        time.sleep(1.0)  # a second delivery of any alert would have reached the receiver
    sent = Counter(r["headers"]["webhook-id"] for r in receiver.received)
    assert len(sent) == ALERTS and set(sent.values()) == {1}, sent.most_common(3)
    with second._engine.connect() as connection:
        rows = connection.execute(select(alerts_table)).all()
    assert {(r.status, r.attempts, r.claimed_by) for r in rows} == {("delivered", 2, None)}


def _attempted_once(service: AlertService) -> int:
    """Pending alerts whose first (failed) attempt is written."""
    pending = service.list_alerts(status="pending", limit=ALERTS, offset=0)["alerts"]
    return sum(a["attempts"] == 1 for a in pending)


def test_a_claim_held_by_a_killed_process_is_delivered_when_its_lease_ends(make_process, tmp_path):
    """A process killed mid-POST leaves its claim; another delivers after the lease."""
    with Receiver(hang_s=30.0, hangs=1) as receiver:
        survivor = make_process()
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD.format(
                    tests=str(Path(__file__).parent),
                    database=make_process.database,
                    lease=CHILD_LEASE_S,
                    url=receiver.url,
                ),
            ],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        try:
            _wait_until(lambda: len(receiver.received) == 1, timeout=60.0)
            child.send_signal(signal.SIGKILL)  # within its 2 s webhook timeout: mid-delivery
        finally:
            child.kill()
            child.wait()
        (held,) = survivor.list_alerts(status="pending", limit=5, offset=0)["alerts"]
        assert held["attempts"] == 0
        _wait_until(lambda: _count(survivor, "delivered") == 1, timeout=30.0)
    first, second = receiver.received
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == held["id"]
    assert second["at"] - first["at"] >= CHILD_LEASE_S - 0.5
    (delivered,) = survivor.list_alerts(status="delivered", limit=5, offset=0)["alerts"]
    assert delivered["attempts"] == 1


def test_a_process_whose_clock_runs_ahead_takes_no_claim_another_holds(make_process, monkeypatch):
    """A claim's end is set and compared by the database's clock: a process on a machine whose
    clock runs an hour ahead does not see another's claim (held through a 60 s backoff) as run
    out, so it neither queues nor retries the alert before the holder does."""
    with Receiver(statuses=[500, 500]) as receiver:
        holder = make_process(webhook_backoff_s=60.0)
        holder.replace_rules(CHURN_RULES)
        feedback, analysis = _churning_document()
        assert holder.submit([feedback], [analysis], _journey(receiver.url)) == 1
        _wait_until(lambda: _attempted_once(holder) == 1)
        true_time = time.time
        monkeypatch.setattr(time, "time", lambda: true_time() + 3600)
        make_process()  # queues every alert it finds free: at start, then every half second
        time.sleep(1.5)
    assert len(receiver.received) == 1
    with holder._engine.connect() as connection:
        (row,) = connection.execute(select(alerts_table)).all()
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, holder._owner)


def test_a_database_from_before_claims_gets_the_columns_and_its_pending_alerts_delivered(
    tmp_path,
):
    database = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(database)
    create_schema(engine)
    with Receiver() as receiver:
        with engine.begin() as connection:
            for column in ("claimed_by", "claimed_until"):  # the table as voc stored it before
                connection.execute(text(f"ALTER TABLE alerts DROP COLUMN {column}"))
            connection.execute(
                text(
                    "INSERT INTO alerts (id, rule_id, document_id, webhook_url, status, "
                    "attempts, payload, created_at, updated_at) VALUES ('msg_old', 'churn', "
                    "'doc-old', :url, 'pending', 0, '{}', :now, :now)"
                ),
                {"url": receiver.url, "now": datetime.now(UTC)},
            )
        create_schema(engine)
        settings = Settings(
            database_url=database, webhook_secret=SECRET, allow_private_webhooks=True
        )
        service = AlertService(settings, engine)
        try:
            _wait_until(lambda: _count(service, "delivered") == 1)
        finally:
            service.close()
    (request,) = receiver.received
    assert request["headers"]["webhook-id"] == "msg_old"
