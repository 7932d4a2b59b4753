"""Alert rules, routing to touchpoint owners, and signed webhook delivery to a real receiver.

The receiver is a real `http.server` on localhost in a thread; it checks the Standard
Webhooks signature itself (its own HMAC code, not voc's) and can fail or hang on purpose.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import create_engine, select

from voc.alerts.rules import EmergingIssue, load_default_rules, parse_rules
from voc.alerts.service import AlertService, alerts_table
from voc.config import Settings
from voc.nlp.churn import ChurnDetector
from voc.nlp.fields import InvalidFieldError
from voc.nlp.journey import parse_journey
from voc.nlp.types import Analysis, Feedback, RootCauseTag, Sentiment
from voc.report.comparisons import EMERGING_TEST
from voc.storage import metadata

SECRET_BYTES = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()
NEGATIVE = Sentiment("negative", -0.9, {"negative": 0.93, "neutral": 0.05, "positive": 0.02})
CHURN_TEXT = "Paket telat 2 minggu, saya mau pindah ke toko lain, gak mau beli lagi."


class Receiver:
    """A localhost webhook receiver: answers `statuses` in turn (then 200), or hangs (the
    first `hangs` requests, every one when None)."""

    def __init__(
        self, statuses: list[int] | None = None, hang_s: float = 0.0, hangs: int | None = None
    ) -> None:
        self.statuses = list(statuses or [])
        self.hang_s = hang_s
        self.hangs = hangs
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {"at": time.monotonic(), "headers": self.headers, "body": body}
                )
                if receiver.hang_s and (
                    receiver.hangs is None or len(receiver.received) <= receiver.hangs
                ):
                    time.sleep(receiver.hang_s)
                    return
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200 and not _signature_ok(self.headers, body):
                    status = 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/voc"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _signature_ok(headers, body: bytes) -> bool:
    """Verification as a receiver would write it, from the Standard Webhooks description."""
    message_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(
        SECRET_BYTES, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256
    ).digest()
    given = [
        s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")
    ]
    return any(hmac.compare_digest(base64.b64decode(g), expected) for g in given)


def _journey(url: str | None):
    owner = {"name": "Logistics", "email": "logistics@example.com"}
    if url:
        owner["webhook_url"] = url
    return parse_journey(
        {
            "id": "shop",
            "touchpoints": [
                {"id": "delivery", "label": "Delivery", "owner": owner},
                {"id": "support", "label": "Support"},
            ],
        },
        limits=Settings().limits,
    )


def _churning_document(touchpoint: str = "delivery") -> tuple[Feedback, Analysis]:
    feedback = Feedback(
        "doc-1",
        CHURN_TEXT,
        "id",
        {"touchpoint": touchpoint, "score": 2, "score_type": "nps", "customer_value": 5000},
    )
    risk = ChurnDetector.load().risk(
        CHURN_TEXT, "id", sentiment=NEGATIVE, metadata=feedback.metadata
    )
    return feedback, Analysis("doc-1", sentiment=NEGATIVE, churn_risk=risk)


def _as_batch(document: tuple[Feedback, Analysis]) -> tuple[list[Feedback], list[Analysis]]:
    return [document[0]], [document[1]]


@pytest.fixture()
def make_service(tmp_path):
    services = []

    def make(database: str | None = None, **overrides) -> AlertService:
        """A service on its own database (`database` names one to share, e.g. a restart)."""
        name = database or f"alerts-{len(services)}"
        engine = create_engine(f"sqlite:///{tmp_path}/{name}.sqlite3")
        metadata.create_all(engine)
        fast = {
            "webhook_secret": SECRET,
            "allow_private_webhooks": True,
            "webhook_timeout_s": 2.0,
            "webhook_backoff_s": 0.2,
            "webhook_max_attempts": 4,
        }
        settings = replace(Settings(database_url=str(engine.url)), **{**fast, **overrides})
        service = AlertService(settings, engine)
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


def _wait_for(service: AlertService, status: str, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alerts = service.list_alerts(status=status, limit=50, offset=0)["alerts"]
        if alerts:
            return alerts
        time.sleep(0.02)
    everything = service.list_alerts(status=None, limit=50, offset=0)
    raise AssertionError(f"no {status} alert after {timeout} s: {everything}")


def test_default_rules_match_a_churning_valuable_detractor():
    feedback, analysis = _churning_document()
    assert analysis.churn_risk.score >= 0.9
    matched = {r.id for r in load_default_rules().matching(feedback, analysis)}
    assert matched == {"churn-risk", "valuable-detractor"}
    calm = Analysis("doc-1", sentiment=NEGATIVE)
    assert not load_default_rules().matching(Feedback("doc-1", "ok"), calm)


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ({"rules": [{"id": "a", "when": {}}]}, "rules[0].when"),
        ({"rules": [{"id": "a", "when": {"sentiment": ["angry"]}}]}, "rules[0].when.sentiment[0]"),
        (
            {"rules": [{"id": "a", "when": {"churn_risk_at_least": 1.5}}]},
            "rules[0].when.churn_risk_at_least",
        ),
        (
            {"rules": [{"id": "a", "when": {"root_causes": ["ok", "Not An Id"]}}]},
            "rules[0].when.root_causes[1]",
        ),
        ({"rules": [{"id": "a", "when": {"detractor": "yes"}}]}, "rules[0].when.detractor"),
        ({"rules": [{"id": "a", "when": {"colour": "red"}}]}, "rules[0].when.colour"),
        (
            {
                "rules": [
                    {"id": "a", "when": {"detractor": True}},
                    {"id": "a", "when": {"detractor": True}},
                ]
            },
            "rules[1].id",
        ),
        ({"rules": "all"}, "rules"),
        ({"rules": [{"id": "a", "when": {"emerging": "yes"}}]}, "rules[0].when.emerging"),
        ({"rules": [{"id": "a", "when": {"emerging": False}}]}, "rules[0].when.emerging"),
        (
            {"rules": [{"id": "a", "when": {"emerging": True, "sentiment": ["negative"]}}]},
            "rules[0].when.sentiment",
        ),
    ],
)
def test_invalid_rules_name_the_bad_field(rules, path):
    with pytest.raises(InvalidFieldError) as err:
        parse_rules(rules)
    assert err.value.path == path


def _late_delivery_spike(cause: str = "late_delivery") -> EmergingIssue:
    return EmergingIssue(
        cause=cause,
        label="Late delivery",
        touchpoint="delivery",
        period="2026-11-05",
        count=6,
        period_comments=8,
        share=0.75,
        baseline_count=0,
        baseline_comments=32,
        baseline_share=0.0,
        p_value=1.2e-9,
        test=EMERGING_TEST,
    )


EMERGING_RULES = {
    "rules": [
        {"id": "late-spike", "when": {"emerging": True, "root_causes": ["late_delivery"]}},
        {"id": "any-late", "when": {"root_causes": ["late_delivery"]}},
    ]
}


def test_emerging_rules_match_issues_and_document_rules_match_documents():
    rules = parse_rules(EMERGING_RULES)
    assert [r.id for r in rules.matching_emerging(_late_delivery_spike())] == ["late-spike"]
    assert rules.matching_emerging(_late_delivery_spike("billing_error")) == []
    feedback, analysis = _churning_document()
    late = replace(
        analysis,
        root_causes=(
            RootCauseTag("late_delivery", "Late delivery", 0.9, "negative", "delivery", ()),
        ),
    )
    assert [r.id for r in rules.matching(feedback, late)] == ["any-late"]
    with pytest.raises(InvalidFieldError) as err:
        parse_rules({"rules": [{"id": "a", "when": {"emerging": "yes"}}]})
    assert "must be true" in str(err.value)


def test_emerging_issue_alerts_once_per_job_without_comments(make_service):
    with Receiver() as receiver:
        service = make_service()
        service.replace_rules(EMERGING_RULES)
        journey = _journey(receiver.url)
        assert service.submit_emerging("job-1", [_late_delivery_spike()], journey) == 1
        (alert,) = _wait_for(service, "delivered")
        assert service.submit_emerging("job-1", [_late_delivery_spike()], journey) == 0
        assert service.submit_emerging("job-2", [_late_delivery_spike()], journey) == 1
        while len(service.list_alerts(status="delivered", limit=50, offset=0)["alerts"]) < 2:
            time.sleep(0.02)
    assert service.list_alerts(status=None, limit=50, offset=0)["total"] == 2
    assert (alert["rule_id"], alert["touchpoint"]) == ("late-spike", "delivery")
    assert alert["owner"]["name"] == "Logistics"
    request = next(r for r in receiver.received if r["headers"]["webhook-id"] == alert["id"])
    assert _signature_ok(request["headers"], request["body"])
    body = json.loads(request["body"])
    assert body["type"] == "voc.alert.emerging" and "document" not in body["data"]
    emerging = body["data"]["emerging"]
    assert (emerging["cause"], emerging["count"], emerging["period_comments"]) == (
        "late_delivery",
        6,
        8,
    )
    assert emerging["baseline_share"] == 0.0 and emerging["p_value"] < 0.01
    assert "binomial" in emerging["test"]


def test_signed_webhook_reaches_the_touchpoint_owner(make_service):
    with Receiver() as receiver:
        service = make_service()
        feedback, analysis = _churning_document()
        assert service.submit([feedback], [analysis], _journey(receiver.url)) == 2
        delivered = _wait_for(service, "delivered")
        while len(service.list_alerts(status="delivered", limit=50, offset=0)["alerts"]) < 2:
            time.sleep(0.02)
    assert {
        a["rule_id"] for a in service.list_alerts(status="delivered", limit=50, offset=0)["alerts"]
    } == {"churn-risk", "valuable-detractor"}
    alert = delivered[0]
    assert alert["attempts"] == 1 and alert["owner"]["name"] == "Logistics"
    assert alert["touchpoint"] == "delivery"
    request = next(r for r in receiver.received if r["headers"]["webhook-id"] == alert["id"])
    assert _signature_ok(request["headers"], request["body"])
    body = json.loads(request["body"])
    assert body["data"]["document"]["id"] == "doc-1"
    assert body["data"]["document"]["churn_risk"]["score"] >= 0.9
    assert body["data"]["touchpoint"] == {"id": "delivery", "label": "Delivery"}


def test_alerts_carry_no_personal_data_by_default(make_service):
    """The deployment default (mask) applies to what is stored and what is sent."""
    text = f"{CHURN_TEXT} Nama saya Budi Santoso, email budi.s@gmail.com, HP 0812-3456-7890."
    feedback, analysis = _churning_document()
    feedback = replace(feedback, text=text)
    with Receiver() as receiver:
        service = make_service()
        service.submit([feedback], [analysis], _journey(receiver.url))
        _wait_for(service, "delivered")
    body = json.loads(receiver.received[0]["body"])
    sent = body["data"]["document"]["text"]
    assert sent.endswith("Nama saya [NAME], email [EMAIL], HP [PHONE].")
    with service._engine.connect() as connection:
        stored = repr(connection.execute(select(alerts_table)).all())
    for value in ("Budi Santoso", "budi.s@gmail.com", "0812-3456-7890"):
        assert value not in receiver.received[0]["body"].decode() and value not in stored


def test_receiver_failing_twice_then_succeeding_gets_it_with_backoff(make_service):
    with Receiver(statuses=[500, 503]) as receiver:
        service = make_service()
        service.replace_rules({"rules": [{"id": "churn", "when": {"churn_risk_at_least": 0.5}}]})
        feedback, analysis = _churning_document()
        service.submit([feedback], [analysis], _journey(receiver.url))
        (alert,) = _wait_for(service, "delivered")
    assert alert["attempts"] == 3 and alert["last_error"] is None
    times = [r["at"] for r in receiver.received]
    first_wait, second_wait = times[1] - times[0], times[2] - times[1]
    assert first_wait >= 0.2 and second_wait >= 0.4
    assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 1


def test_receiver_that_never_answers_neither_blocks_nor_retries_forever(make_service):
    with Receiver(hang_s=3.0) as receiver:
        service = make_service(
            webhook_timeout_s=0.3,
            webhook_max_attempts=2,
            webhook_backoff_s=0.05,
        )
        service.replace_rules({"rules": [{"id": "churn", "when": {"churn_risk_at_least": 0.5}}]})
        feedback, analysis = _churning_document()
        started = time.perf_counter()
        service.submit([feedback], [analysis], _journey(receiver.url))
        assert time.perf_counter() - started < 0.05
        (alert,) = _wait_for(service, "failed")
    assert alert["attempts"] == 2 and "timed out" in alert["last_error"]
    assert len(receiver.received) == 2


def test_unroutable_and_private_addresses(make_service):
    service = make_service()
    feedback, analysis = _churning_document()
    service.submit([feedback], [analysis], _journey(None))
    alert = _wait_for(service, "unroutable")[0]
    assert "no owner webhook_url" in alert["last_error"]
    with Receiver() as receiver:
        guarded = make_service(allow_private_webhooks=False, webhook_max_attempts=1)
        guarded.submit(*_as_batch(_churning_document()), _journey(receiver.url))
        refused = _wait_for(guarded, "failed")
    assert all("loopback" in a["last_error"] for a in refused)
    assert receiver.received == []


def test_pending_alerts_resume_after_a_restart(make_service):
    with Receiver(hang_s=0.0, statuses=[500]) as receiver:
        service = make_service("restart", webhook_backoff_s=30.0)
        service.replace_rules({"rules": [{"id": "churn", "when": {"churn_risk_at_least": 0.5}}]})
        service.submit(*_as_batch(_churning_document()), _journey(receiver.url))
        (pending,) = _wait_for(service, "pending")
        while pending["attempts"] < 1:
            (pending,) = service.list_alerts(status="pending", limit=5, offset=0)["alerts"]
            time.sleep(0.02)
        service.close()
        restarted = make_service("restart", webhook_backoff_s=0.05)
        (alert,) = _wait_for(restarted, "delivered")
    assert alert["id"] == pending["id"] and alert["attempts"] == 2
    assert restarted.rules().rules[0].id == "churn"


def test_closing_stores_the_alerts_still_scheduled_for_any_process_to_deliver(make_service):
    """An alert accepted while the one delivery thread is busy is still on the schedule when
    the service closes: closing stores it (pending, unclaimed), and the next process on the
    database delivers it. So a `voc worker` stopped right after a job ends loses no alert."""
    with Receiver(hang_s=2.0, hangs=1) as receiver:
        service = make_service("closing", alert_workers=1, webhook_timeout_s=1.0)
        service.replace_rules(EMERGING_RULES)
        journey = _journey(receiver.url)
        assert service.submit_emerging("job-1", [_late_delivery_spike()], journey) == 1
        while not receiver.received:  # the one thread is held by job-1's first delivery
            time.sleep(0.02)
        assert service.submit_emerging("job-2", [_late_delivery_spike()], journey) == 1
        service.close()
        stored = service.list_alerts(status="pending", limit=5, offset=0)["alerts"]
        assert sorted((a["document_id"], a["attempts"]) for a in stored) == [
            ("job-1", 1),
            ("job-2", 0),
        ]
        restarted = make_service("closing")
        deadline = time.monotonic() + 10
        while (
            restarted.list_alerts(status="delivered", limit=5, offset=0)["total"] < 2
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
    delivered = restarted.list_alerts(status="delivered", limit=5, offset=0)["alerts"]
    assert sorted(a["document_id"] for a in delivered) == ["job-1", "job-2"]
    job_2 = next(a for a in delivered if a["document_id"] == "job-2")
    assert job_2["attempts"] == 1
    assert job_2["id"] in {r["headers"]["webhook-id"] for r in receiver.received}


def test_alert_endpoints(client, validate_schema):
    original = client.get("/v1/alert-rules").get_json()
    validate_schema("AlertRules", original)
    bad = client.put(
        "/v1/alert-rules", json={"rules": [{"id": "x", "when": {"sentiment": ["sad"]}}]}
    )
    assert bad.status_code == 400
    assert "rules[0].when.sentiment[0]" in bad.get_json()["error"]["message"]
    stored = client.put(
        "/v1/alert-rules",
        json={"rules": [{"id": "any-churn", "when": {"churn_risk_at_least": 0.5}}]},
    ).get_json()
    assert stored["version"] >= 1 and stored["rules"][0]["id"] == "any-churn"
    try:
        response = client.post(
            "/v1/analyze",
            json={
                "documents": [
                    {"id": "alert-e2e", "text": CHURN_TEXT, "metadata": {"touchpoint": "delivery"}}
                ]
            },
        )
        assert response.status_code == 200
        deadline, found = time.monotonic() + 10, []
        while not found and time.monotonic() < deadline:
            page = client.get("/v1/alerts?status=unroutable&limit=200").get_json()
            found = [a for a in page["alerts"] if a["document_id"] == "alert-e2e"]
            time.sleep(0.05)
        validate_schema("AlertList", page)
        (alert,) = found
        assert alert["rule_id"] == "any-churn" and alert["touchpoint"] == "delivery"
    finally:
        client.put("/v1/alert-rules", json={"rules": original["rules"]})
    assert client.get("/v1/alerts?status=lost").status_code == 400
    assert client.get("/v1/alerts?limit=0").status_code == 400


@pytest.fixture(scope="module")
def webhook_app(own_app):
    """A second real app that may call localhost receivers, with fast retries."""
    return own_app(
        allow_private_webhooks=True,
        webhook_secret=SECRET,
        webhook_timeout_s=0.5,
        webhook_backoff_s=0.1,
        webhook_max_attempts=2,
    )


@pytest.mark.slow
def test_analyze_routes_alerts_through_the_journey_without_waiting(webhook_app):
    client = webhook_app.test_client()
    services = webhook_app.extensions["voc"]
    with Receiver() as logistics, Receiver(hang_s=20.0) as support:
        journey = client.get("/v1/journeys/default").get_json()
        for touchpoint in journey["touchpoints"]:
            url = {"delivery": logistics.url, "support": support.url}.get(touchpoint["id"])
            if url:
                touchpoint["owner"] = {"name": touchpoint["id"].title(), "webhook_url": url}
        journey = {k: v for k, v in journey.items() if k != "version"}
        assert client.put("/v1/journeys/shop", json={**journey, "id": "shop"}).status_code in (
            200,
            201,
        )
        rules = {"rules": [{"id": "churn", "when": {"churn_risk_at_least": 0.5}}]}
        assert client.put("/v1/alert-rules", json=rules).status_code == 200
        documents = [
            {"id": "to-logistics", "text": CHURN_TEXT, "metadata": {"touchpoint": "delivery"}},
            {"id": "to-support", "text": CHURN_TEXT, "metadata": {"touchpoint": "support"}},
            {"id": "calm", "text": "Paket sampai cepat, terima kasih."},
        ]
        started = time.perf_counter()
        response = client.post("/v1/analyze", json={"documents": documents, "journey": "shop"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        assert elapsed < 10.0, "a hanging receiver must not hold the analysis"
        (delivered,) = _wait_for(services.alerts, "delivered")
        (failed,) = _wait_for(services.alerts, "failed")
    assert (delivered["document_id"], delivered["touchpoint"]) == ("to-logistics", "delivery")
    assert (failed["document_id"], failed["attempts"]) == ("to-support", 2)
    assert "timed out" in failed["last_error"]
    (request,) = logistics.received
    assert _signature_ok(request["headers"], request["body"])
    body = json.loads(request["body"])
    assert body["data"]["journey"]["id"] == "shop"
    assert body["data"]["document"]["churn_risk"]["signals"]
    exposition = client.get("/metrics").get_data(as_text=True)
    for event, count in [("scheduled", 2), ("delivered", 1), ("retried", 1), ("failed", 1)]:
        assert f'voc_alerts_total{{event="{event}"}} {count}.0' in exposition
