"""Emerging-issue alerts end to end: a real app analyses a dated job whose last day has a
spike of late deliveries; the job's completion alerts the delivery owner's real receiver, with
no report requested, and building its report later (twice) raises nothing more."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from test_alerts import SECRET, Receiver, _signature_ok

PRAISE = [
    "Great service, thank you so much!",
    "Très bon service, merci beaucoup.",
    "Pelayanan bagus, terima kasih banyak.",
    "Perkhidmatan sangat baik, terima kasih.",
]
LATE = [
    "My parcel arrived two weeks late.",
    "The delivery was a week late, still annoyed.",
    "Ma commande est arrivée avec dix jours de retard.",
    "Paket saya telat dua minggu, kecewa.",
    "Pesanan saya lewat sampai, sudah seminggu menunggu.",
    "The courier was late again, my order came days after the promised date.",
]
RULES = {
    "rules": [
        {
            "id": "late-spike",
            "description": "late deliveries surging",
            "when": {"emerging": True, "root_causes": ["late_delivery"]},
        },
        {"id": "any-late", "when": {"root_causes": ["late_delivery"]}},
    ]
}


def _documents() -> list[dict]:
    """Four calm days of praise, then a day with six late-delivery complaints."""
    calm = [
        {
            "id": f"d{day}-{n}",
            "text": PRAISE[n % len(PRAISE)],
            "metadata": {"created_at": f"2026-11-0{day}T09:00:00Z"},
        }
        for day in range(1, 5)
        for n in range(8)
    ]
    spike = [
        {"id": f"late-{n}", "text": text, "metadata": {"created_at": "2026-11-05T09:00:00Z"}}
        for n, text in enumerate(LATE)
    ]
    return calm + spike


@pytest.fixture(scope="module")
def emerging_app(own_app):
    """A real app on its own database (its alerts are the only ones) that may call localhost."""
    return own_app(allow_private_webhooks=True, webhook_secret=SECRET, webhook_timeout_s=2.0)


def _alerts(client) -> list[dict]:
    return client.get("/v1/alerts?limit=200").get_json()["alerts"]


def _route_deliveries_to(client, url: str) -> None:
    """Store journey "shop" (the default one with Logistics owning `delivery`, webhook `url`)
    and the rules."""
    journey = client.get("/v1/journeys/default").get_json()
    for touchpoint in journey["touchpoints"]:
        if touchpoint["id"] == "delivery":
            touchpoint["owner"] = {"name": "Logistics", "webhook_url": url}
    journey = {k: v for k, v in journey.items() if k != "version"}
    assert client.put("/v1/journeys/shop", json={**journey, "id": "shop"}).status_code in (200, 201)
    assert client.put("/v1/alert-rules", json=RULES).status_code == 200


def _wait_until(done, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_spike_in_a_jobs_last_period_alerts_its_touchpoint_owner_at_completion_once(
    emerging_app, wait_for_job, validate_schema
):
    from voc.service.jobs import forget_reports

    client = emerging_app.test_client()
    with Receiver() as logistics:
        _route_deliveries_to(client, logistics.url)
        submitted = client.post("/v1/jobs", json={"documents": _documents(), "journey": "shop"})
        assert submitted.status_code == 202
        job_id = submitted.get_json()["job_id"]
        assert wait_for_job(client, job_id)["status"] == "COMPLETED"
        _wait_until(lambda: logistics.received)
        assert len(logistics.received) == 1  # at completion: no report was asked for
        # Only the emerging rule: analysing a job raises no document alerts ("any-late").
        assert [a["rule_id"] for a in _alerts(client)] == ["late-spike"]

        report = client.get(f"/v1/jobs/{job_id}/report.json").get_json()
        validate_schema("Report", report)
        emerging = [(t["kind"], t["id"]) for t in report["emerging"]["themes"]]
        assert ("root_cause", "late_delivery") in emerging
        late = next(r for r in report["period_change"]["rows"] if r["id"] == "late_delivery")
        assert late["previous_count"] == 0 and late["count"] >= 5 and late["significant"]

        forget_reports(emerging_app, [job_id])  # built again from scratch: no second alert
        assert client.get(f"/v1/jobs/{job_id}/report.json").status_code == 200
        time.sleep(0.5)
    page = client.get("/v1/alerts?limit=200").get_json()
    validate_schema("AlertList", page)
    (alert,) = page["alerts"]
    assert (alert["rule_id"], alert["touchpoint"], alert["document_id"]) == (
        "late-spike",
        "delivery",
        job_id,
    )
    assert alert["status"] == "delivered" and alert["owner"]["name"] == "Logistics"
    (request,) = logistics.received
    assert _signature_ok(request["headers"], request["body"])
    body = json.loads(request["body"])
    assert body["type"] == "voc.alert.emerging" and body["data"]["job"] == {"id": job_id}
    issue = body["data"]["emerging"]
    theme = next(t for t in report["emerging"]["themes"] if t["id"] == "late_delivery")
    assert issue["cause"] == "late_delivery" and issue["period"] == "2026-11-05"
    assert issue["count"] == theme["count"] >= 5 and issue["period_comments"] == 6
    assert issue["baseline_comments"] == 32 and issue["p_value"] == theme["p_value"] < 0.01
    assert not any(text in request["body"].decode() for text in LATE + PRAISE)


def test_a_job_ended_by_a_worker_without_the_hook_alerts_when_its_report_is_built(
    own_app, analyzer, wait_for_job
):
    """A job ended by a worker with no completion hook (a `voc worker` of an older version)
    raises its emerging alerts when the service first builds its report, and only then, once."""
    from voc.jobs.worker import Worker
    from voc.service.jobs import forget_reports, job_store
    from voc.service.state import state

    app = own_app(in_process_worker=False)
    client = app.test_client()
    assert client.put("/v1/alert-rules", json=RULES).status_code == 200
    submitted = client.post("/v1/jobs", json={"documents": _documents()})
    job_id = submitted.get_json()["job_id"]
    worker = Worker(job_store(app), state(app).settings, analyzer=lambda: analyzer)
    while worker.run_once():  # no completion hook
        pass
    assert wait_for_job(client, job_id, timeout=5)["status"] == "COMPLETED"
    time.sleep(0.5)
    assert _alerts(client) == []

    assert client.get(f"/v1/jobs/{job_id}/report.json").status_code == 200
    _wait_until(lambda: _alerts(client))
    forget_reports(app, [job_id])
    assert client.get(f"/v1/jobs/{job_id}/report.json").status_code == 200
    time.sleep(0.5)
    (alert,) = _alerts(client)
    assert (alert["rule_id"], alert["document_id"], alert["status"]) == (
        "late-spike",
        job_id,
        "unroutable",  # the default journey names no owner webhook for delivery
    )


@pytest.mark.slow
def test_a_voc_worker_process_alerts_at_completion_and_delivers_itself(
    own_app, start_worker, wait_for_job
):
    """A real `voc worker` process on the app's database ends the job (the app has no worker
    of its own): it raises the emerging alert at completion and delivers it to the owner's
    real receiver, with no report requested; the report built afterwards raises nothing more,
    and SIGTERM stops the process cleanly."""
    from voc.service.jobs import forget_reports
    from voc.service.state import state

    app = own_app(
        in_process_worker=False,
        allow_private_webhooks=True,
        webhook_secret=SECRET,
        webhook_timeout_s=2.0,
    )
    client = app.test_client()
    with Receiver() as logistics:
        _route_deliveries_to(client, logistics.url)
        submitted = client.post("/v1/jobs", json={"documents": _documents(), "journey": "shop"})
        job_id = submitted.get_json()["job_id"]
        time.sleep(0.5)
        assert client.get(f"/v1/jobs/{job_id}").get_json()["status"] == "SUBMITTED"
        worker = start_worker(
            state(app).settings.database_url,
            name="alerting",
            env={"VOC_ALLOW_PRIVATE_WEBHOOKS": "1", "VOC_WEBHOOK_SECRET": SECRET},
        )
        assert wait_for_job(client, job_id, timeout=600)["status"] == "COMPLETED"
        _wait_until(lambda: [a["status"] for a in _alerts(client)] == ["delivered"])
        assert len(logistics.received) == 1  # at completion: no report was asked for
        (alert,) = _alerts(client)
        assert (alert["rule_id"], alert["document_id"], alert["status"]) == (
            "late-spike",
            job_id,
            "delivered",
        )
        (request,) = logistics.received
        assert request["headers"]["webhook-id"] == alert["id"]
        assert _signature_ok(request["headers"], request["body"])
        issue = json.loads(request["body"])["data"]["emerging"]
        assert (issue["cause"], issue["period"]) == ("late_delivery", "2026-11-05")

        report = client.get(f"/v1/jobs/{job_id}/report.json").get_json()
        assert ("root_cause", "late_delivery") in [
            (t["kind"], t["id"]) for t in report["emerging"]["themes"]
        ]
        forget_reports(app, [job_id])
        assert client.get(f"/v1/jobs/{job_id}/report.json").status_code == 200
        time.sleep(1.0)
        assert len(logistics.received) == 1
        assert [a["id"] for a in _alerts(client)] == [alert["id"]]

        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    log = Path(worker.log_path).read_text(encoding="utf-8")
    assert '"worker.stopped"' in log and '"alerts.attempt"' in log
