"""Redaction of stored job data, job deletion, a customer's erasure and the retention sweep,
on the real app and its real database: afterwards no table holds the customer's text."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from sqlalchemy import select, update

from voc.jobs.deletions import customer_hash, deletions
from voc.jobs.store import jobs as jobs_table
from voc.jobs.worker import Worker
from voc.service import jobs
from voc.service.auth import MODE_CACHE_S, KeyStore
from voc.storage import metadata

SECRET_TEXT = (
    "Je m'appelle Odile Vasseur, je résilie : colis Zanzibar-7731 perdu, appelez le 06 98 12 45 77."
)
CHURN_TEXT = "Paket telat 2 minggu, saya mau pindah ke toko lain, gak mau beli lagi. Zanzibar-7731"


def _submit(client, documents, headers=None, **options):
    response = client.post("/v1/jobs", json={"documents": documents, **options}, headers=headers)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["job_id"]


def _everything(app) -> str:
    """Every row of every table voc declares, as one string to search."""
    engine = app.extensions["voc"].engine
    with engine.connect() as connection:
        return "\n".join(
            repr(connection.execute(select(table)).all()) for table in metadata.sorted_tables
        )


def _wait_for_alert(app, document_id: str, timeout: float = 20.0, tenant: str = "default") -> None:
    alerts = app.extensions["voc"].alerts
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = alerts.list_alerts(status=None, limit=500, offset=0, tenant=tenant)["alerts"]
        if any(a["document_id"] == document_id for a in listed):
            return
        time.sleep(0.05)
    raise AssertionError(f"no alert stored for {document_id}")


def test_job_documents_are_masked_once_analysed(client, app, wait_for_job):
    text = SECRET_TEXT.replace("Zanzibar-7731", "Tombouctou-12")
    job_id = _submit(client, [{"id": "m-1", "text": text}])
    wait_for_job(client, job_id)
    everything = _everything(app)
    assert "Odile Vasseur" not in everything and "06 98 12 45 77" not in everything
    assert "[NAME], je résilie" in everything and "le [PHONE]." in everything


def test_erasure_leaves_no_trace_of_the_customer(client, app, wait_for_job, validate_schema):
    customer = {"customer_id": "cust-erase-42", "score": 1, "score_type": "nps"}
    other = {"customer_id": "cust-keep-7"}
    job_id = _submit(
        client,
        [
            {"id": "e-1", "text": SECRET_TEXT, "metadata": customer},
            {"id": "e-2", "text": "Livraison rapide, merci.", "metadata": other},
        ],
        redact="none",
    )
    wait_for_job(client, job_id)
    analyzed = client.post(
        "/v1/analyze",
        json={
            "documents": [{"id": "e-alert", "text": CHURN_TEXT, "metadata": customer}],
            "redact": "none",
        },
    )
    assert analyzed.status_code == 200
    _wait_for_alert(app, "e-alert")
    assert "Zanzibar-7731" in _everything(app)
    report = f"/v1/jobs/{job_id}/report.json"
    assert "Zanzibar-7731" in client.get(report).get_data(as_text=True)  # now cached

    response = client.post("/v1/erasure", json={"customer_id": "cust-erase-42"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["removed"] == {
        "job_documents": 1,
        "job_results": 1,
        "alerts": body["removed"]["alerts"],
    }
    assert body["removed"]["alerts"] >= 1 and body["jobs"] == [job_id]
    assert body["customer"] == customer_hash("cust-erase-42")

    everything = _everything(app)
    for trace in ("Zanzibar-7731", "Odile Vasseur", "cust-erase-42"):
        assert trace not in everything
    assert "cust-keep-7" in everything  # another customer's document stays
    assert "Zanzibar-7731" not in client.get(report).get_data(as_text=True)  # cache dropped
    with app.extensions["voc"].engine.connect() as connection:
        logged = connection.execute(
            select(deletions).where(deletions.c.target == body["customer"])
        ).one()
    assert logged.kind == "erasure" and json.loads(logged.removed) == body["removed"]


def test_erasure_needs_a_customer_id(client):
    response = client.post("/v1/erasure", json={"customer": "x"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "InvalidRequest"


def test_delete_job_removes_it_and_records_the_deletion(client, app, wait_for_job, validate_schema):
    job_id = _submit(client, [{"id": "d-1", "text": "Colis arrivé en retard."}])
    wait_for_job(client, job_id)
    response = client.delete(f"/v1/jobs/{job_id}")
    assert response.status_code == 200
    validate_schema("JobDeleted", response.get_json())
    removed = response.get_json()["removed"]
    assert removed["jobs"] == 1 and removed["job_documents"] == 1 and removed["job_results"] == 1
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 404
    everything = _everything(app)
    assert "Colis arrivé en retard." not in everything
    with app.extensions["voc"].engine.connect() as connection:
        (logged,) = connection.execute(select(deletions).where(deletions.c.target == job_id)).all()
    assert logged.kind == "job" and "Colis" not in logged.removed


def test_retention_sweep_removes_an_expired_job_completely(client, app, wait_for_job):
    job_id = _submit(client, [{"id": "r-1", "text": "Ancien commentaire Kilimandjaro-55."}])
    wait_for_job(client, job_id)
    engine = app.extensions["voc"].engine
    with engine.begin() as connection:  # the job was created two years ago
        connection.execute(
            update(jobs_table)
            .where(jobs_table.c.id == job_id)
            .values(created_at=time.time() - 730 * 86_400)
        )
    assert jobs.job_store(app).sweep_expired(365 * 86_400) == 1
    assert client.get(f"/v1/jobs/{job_id}").status_code == 404
    everything = _everything(app)
    assert "Kilimandjaro-55" not in everything
    assert job_id in everything  # only in the deletion log
    with engine.connect() as connection:
        (logged,) = connection.execute(select(deletions).where(deletions.c.target == job_id)).all()
    assert logged.kind == "retention"


def _age_jobs(app, job_ids: list[str], days: float) -> None:
    with app.extensions["voc"].engine.begin() as connection:
        connection.execute(
            update(jobs_table)
            .where(jobs_table.c.id.in_(job_ids))
            .values(created_at=time.time() - days * 86_400)
        )


def test_retention_sweep_uses_each_tenants_own_period(secured, analyzer):
    """acme keeps job data 30 days, every other tenant (the default one too) the deployment's
    period: the worker's sweep removes acme's 100-day-old job completely and keeps the others
    of the same age until the deployment's period is shorter than their age."""
    client = secured.test_client()
    open_job = _submit(client, [{"id": "d-1", "text": "Vieux colis Popocatepetl-31 arrivé."}])
    store = KeyStore(secured.extensions["voc"].engine)
    acme = {"X-API-Key": store.create("acme", ["jobs"])[1]}
    beta = {"X-API-Key": store.create("beta", ["jobs"])[1]}
    time.sleep(MODE_CACHE_S + 0.1)  # the guard notices that keys exist
    acme_job = _submit(client, [{"id": "a-1", "text": "Barang Kinabalu-77 lambat sampai."}], acme)
    beta_job = _submit(client, [{"id": "b-1", "text": "Parcel Ben-Nevis-12 was late."}], beta)
    settings = secured.extensions["voc"].settings
    worker = Worker(jobs.job_store(secured), settings, analyzer=lambda: analyzer)
    while worker.run_once():  # the real worker analyses them: results are stored too
        pass
    assert "Kinabalu-77" in _everything(secured)
    _age_jobs(secured, [open_job, acme_job, beta_job], days=100)

    worker.settings = replace(settings, retention_days=365, tenant_retention_days={"acme": 30})
    worker.sweep_expired()
    assert client.get(f"/v1/jobs/{acme_job}", headers=acme).status_code == 404
    everything = _everything(secured)
    assert "Kinabalu-77" not in everything
    with secured.extensions["voc"].engine.connect() as connection:
        logged = connection.execute(select(deletions)).all()
    assert [(row.kind, row.target, row.actor) for row in logged] == [("retention", acme_job, None)]
    assert json.loads(logged[0].removed) == {
        "jobs": 1,
        "job_chunks": 1,
        "job_documents": 1,
        "job_results": 1,
    }
    kept = client.get(f"/v1/jobs/{beta_job}/results", headers=beta)
    assert kept.status_code == 200, kept.get_data(as_text=True)
    assert "Ben-Nevis-12" in everything and "Popocatepetl-31" in everything

    worker.settings = replace(
        settings, retention_days=60, tenant_retention_days={"acme": 30, "beta": 400}
    )
    worker.sweep_expired()  # the default tenant now expires on the deployment's 60 days
    everything = _everything(secured)
    assert "Popocatepetl-31" not in everything and "Ben-Nevis-12" in everything


def test_erasure_removes_only_the_callers_tenants_customer(secured, analyzer):
    """alpha and beta each have a customer "cust-shared-1" (two different people): alpha's
    erasure removes alpha's documents, results and alerts about them, and leaves beta's."""
    client = secured.test_client()
    store = KeyStore(secured.extensions["voc"].engine)
    scopes = ["analyze", "jobs", "configure", "privacy"]
    alpha = {"X-API-Key": store.create("alpha", scopes)[1]}
    beta = {"X-API-Key": store.create("beta", scopes)[1]}
    time.sleep(MODE_CACHE_S + 0.1)  # the guard notices that keys exist
    customer = {"customer_id": "cust-shared-1", "score": 1, "score_type": "nps"}
    submitted = {}
    for name, headers, mark in (("alpha", alpha, "Matterhorn-11"), ("beta", beta, "Eiger-22")):
        document = {"id": f"{name}-1", "text": f"{CHURN_TEXT} {mark}", "metadata": customer}
        submitted[name] = _submit(client, [document], headers, redact="none")
        alert = {**document, "id": f"{name}-alert"}
        analyzed = client.post(
            "/v1/analyze", json={"documents": [alert], "redact": "none"}, headers=headers
        )
        assert analyzed.status_code == 200, analyzed.get_data(as_text=True)
        _wait_for_alert(secured, f"{name}-alert", tenant=name)
    worker = Worker(
        jobs.job_store(secured), secured.extensions["voc"].settings, analyzer=lambda: analyzer
    )
    while worker.run_once():
        pass

    erased = client.post("/v1/erasure", json={"customer_id": "cust-shared-1"}, headers=alpha)
    assert erased.status_code == 200, erased.get_data(as_text=True)
    body = erased.get_json()
    assert body["jobs"] == [submitted["alpha"]]
    assert body["removed"] == {"job_documents": 1, "job_results": 1, "alerts": 1}
    everything = _everything(secured)
    assert "Matterhorn-11" not in everything and "Eiger-22" in everything
    kept = client.get(f"/v1/jobs/{submitted['beta']}/results", headers=beta)
    assert "Eiger-22" in kept.get_data(as_text=True)
    alerts = client.get("/v1/alerts?limit=200", headers=beta).get_json()["alerts"]
    assert [a["document_id"] for a in alerts if a["document_id"] == "beta-alert"] == ["beta-alert"]
    with secured.extensions["voc"].engine.connect() as connection:
        logged = connection.execute(select(deletions).where(deletions.c.kind == "erasure")).all()
    assert [(row.tenant, row.target) for row in logged] == [
        ("alpha", customer_hash("cust-shared-1"))
    ]

    again = client.post("/v1/erasure", json={"customer_id": "cust-shared-1"}, headers=beta)
    assert again.get_json()["removed"] == {"job_documents": 1, "job_results": 1, "alerts": 1}
    assert "Eiger-22" not in _everything(secured)


def test_an_erasure_through_one_app_reaches_the_reports_another_has_cached(own_app, wait_for_job):
    first = own_app()
    second = own_app(database_url=first.extensions["voc"].settings.database_url)
    documents = [
        {"id": "c-1", "text": SECRET_TEXT, "metadata": {"customer_id": "cust-cached-5"}},
        {"id": "c-2", "text": "Livraison rapide, merci.", "metadata": {"customer_id": "c-6"}},
    ]
    job_id = _submit(first.test_client(), documents, redact="none")
    wait_for_job(first.test_client(), job_id)
    report = f"/v1/jobs/{job_id}/report.json"
    assert "Zanzibar-7731" in first.test_client().get(report).get_data(as_text=True)  # cached

    erased = second.test_client().post("/v1/erasure", json={"customer_id": "cust-cached-5"})
    assert erased.get_json()["jobs"] == [job_id]
    assert "Zanzibar-7731" not in first.test_client().get(report).get_data(as_text=True)


PERSONAL_METADATA = {
    "customer_id": "cust-meta-9",
    "customer_name": "Odile Vasseur",
    "email": "odile.vasseur@exemple.fr",
    "telephone": "06 98 12 45 77",
    "note": "rappeler au 06 98 12 45 77 ou odile.vasseur@exemple.fr",
    "segment": "premium",
    "score": 2,
    "score_type": "csat",
}
PERSONAL_VALUES = ("Odile", "Vasseur", "odile.vasseur@exemple.fr", "06 98 12 45 77")


def test_metadata_personal_data_is_masked_everywhere(client, app, wait_for_job):
    job_id = _submit(
        client,
        [{"id": "md-1", "text": "Livraison lente, carton abîmé.", "metadata": PERSONAL_METADATA}],
    )
    wait_for_job(client, job_id)
    analyzed = client.post(
        "/v1/analyze",
        json={
            "documents": [{"id": "md-alert", "text": CHURN_TEXT, "metadata": PERSONAL_METADATA}],
        },
    )
    assert analyzed.status_code == 200
    _wait_for_alert(app, "md-alert")
    alerts = app.extensions["voc"].alerts.list_alerts(status=None, limit=500, offset=0)
    quoted = [
        analyzed.get_data(as_text=True),
        client.get(f"/v1/jobs/{job_id}/results").get_data(as_text=True),
        client.get(f"/v1/jobs/{job_id}/report.json").get_data(as_text=True),
        json.dumps(alerts, ensure_ascii=False),
        _everything(app),
    ]
    for where in quoted:
        for value in PERSONAL_VALUES:
            assert value not in where
    everything = quoted[-1]
    assert '"customer_name": "[NAME]"' in everything and '"email": "[EMAIL]"' in everything
    assert '"note": "rappeler au [PHONE] ou [EMAIL]"' in everything
    assert '"segment": "premium"' in everything and "cust-meta-9" in everything

    response = client.post("/v1/erasure", json={"customer_id": "cust-meta-9"})
    assert response.status_code == 200
    removed = response.get_json()["removed"]
    assert removed["job_documents"] == 1 and removed["alerts"] >= 1
    assert "cust-meta-9" not in _everything(app)


def test_drop_text_drops_metadata_strings_with_personal_data(client, app, wait_for_job):
    job_id = _submit(
        client,
        [{"id": "mdd-1", "text": "Colis en retard.", "metadata": PERSONAL_METADATA}],
        redact="drop_text",
    )
    wait_for_job(client, job_id)
    everything = _everything(app)
    for value in PERSONAL_VALUES:
        assert value not in everything
    assert '"customer_name": null' in everything and '"note": null' in everything
    assert '"segment": "premium"' in everything and "cust-meta-9" in everything


def test_erasure_needs_the_privacy_scope_which_grants_nothing_else(secured):
    """A privacy key erases its tenant's customer and cannot activate a model; an admin key
    (which can) cannot erase: scopes do not nest."""
    client = secured.test_client()
    store = KeyStore(secured.extensions["voc"].engine)
    privacy_id, privacy_key = store.create("kappa", ["privacy"])
    privacy = {"X-API-Key": privacy_key}
    admin = {"X-API-Key": store.create("kappa", ["admin"])[1]}
    time.sleep(MODE_CACHE_S + 0.1)  # the guard notices that keys exist
    erase = {"customer_id": "cust-scope-1"}

    erased = client.post("/v1/erasure", json=erase, headers=privacy)
    assert erased.status_code == 200, erased.get_data(as_text=True)
    assert erased.get_json()["jobs"] == []
    activate = client.post("/v1/models/sentiment/activate", json={}, headers=privacy)
    assert activate.status_code == 403
    assert activate.get_json()["error"]["message"] == "this key lacks the 'admin' scope"

    refused = client.post("/v1/erasure", json=erase, headers=admin)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {
        "code": "Forbidden",
        "message": "this key lacks the 'privacy' scope",
    }
    with secured.extensions["voc"].engine.connect() as connection:
        logged = connection.execute(select(deletions)).all()
    assert [(row.kind, row.actor) for row in logged if row.tenant == "kappa"] == [
        ("erasure", f"key:{privacy_id} (kappa)")
    ]
