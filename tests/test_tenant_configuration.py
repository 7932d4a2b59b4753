"""Taxonomies, journeys and alert rules belong to a tenant: on a real app and database, two
tenants store objects under the same ids and neither sees, uses nor changes the other's."""

from __future__ import annotations

import json
import re
import time

import pytest
from sqlalchemy import inspect, text
from test_api_configuration import AIRLINE_JOURNEY, AIRLINE_TAXONOMY

from voc.alerts.service import AlertService
from voc.config import Settings
from voc.jobs.config_store import ConfigStore, UnknownConfigError
from voc.nlp.journey import load_default_journey
from voc.nlp.taxonomy import load_default_taxonomy
from voc.service.auth import MODE_CACHE_S, KeyStore
from voc.storage import create_schema, make_engine, metadata

CABIN_JOURNEY = {
    "name": "Cabin only",
    "touchpoints": [{"id": "cabin", "label": "Cabin", "description": "Seats, crew and meals"}],
}
CABIN_TAXONOMY = {
    "journey": "airline",
    "root_causes": [
        {
            "id": "rude_crew",
            "label": "Rude crew",
            "touchpoint": "cabin",
            "description": "Flight attendants were rude or unhelpful.",
            "examples": ["the crew was rude to us", "l'équipage était impoli"],
        }
    ],
}
DELAYED = "The flight was delayed four hours and the crew was rude to everyone."
LATE = "Our flight was delayed by four hours, again."
RUDE = "The flight attendants were rude and shouted at us."
PRAISE = "Great service, thank you, everything was perfect."
CATCH_ALL = {"rules": [{"id": "everything", "when": {"sentiment": ["positive", "negative"]}}]}


@pytest.fixture(scope="module")
def keys(secured):
    """Per tenant: `<t>` may analyse, run jobs and configure; `<t>-reader` only analyse."""
    store = KeyStore(secured.extensions["voc"].engine)
    made = {
        "alpha": store.create("alpha", ["analyze", "jobs", "configure"])[1],
        "alpha-reader": store.create("alpha", ["analyze"])[1],
        "beta": store.create("beta", ["analyze", "jobs", "configure"])[1],
        "admin": store.create("ops", ["admin"])[1],
    }
    time.sleep(MODE_CACHE_S + 0.1)  # the guard notices that keys exist
    return {name: {"X-API-Key": key} for name, key in made.items()}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    return error


def _analyze(client, headers, text: str, document_id: str = "d", **options) -> dict:
    body = {
        "documents": [{"id": document_id, "text": text}],
        "features": ["sentiment", "root_causes", "touchpoints"],
        **options,
    }
    return client.post("/v1/analyze", json=body, headers=headers)


def test_a_tenants_taxonomy_and_journey_are_invisible_and_unusable_to_another(secured, keys):
    client = secured.test_client()
    alpha, beta = keys["alpha"], keys["beta"]
    journey = client.put("/v1/journeys/airline", json=AIRLINE_JOURNEY, headers=alpha)
    assert journey.status_code == 201
    stored = client.put("/v1/taxonomies/airline", json=AIRLINE_TAXONOMY, headers=alpha)
    assert stored.status_code == 201 and stored.get_json()["version"] == 1

    for kind in ("taxonomies", "journeys"):
        listed = client.get(f"/v1/{kind}", headers=beta).get_json()[kind]
        assert [o["id"] for o in listed] == ["default"]
        listed = client.get(f"/v1/{kind}", headers=alpha).get_json()[kind]
        assert [o["id"] for o in listed] == ["default", "airline"]
        unknown = _error(client.get(f"/v1/{kind}/nobody", headers=beta), 404, "NotFound")
        theirs = _error(client.get(f"/v1/{kind}/airline", headers=beta), 404, "NotFound")
        assert theirs["message"] == unknown["message"].replace("nobody", "airline")
        versioned = client.get(f"/v1/{kind}/airline?version=1", headers=beta)
        _error(versioned, 404, "NotFound")
        assert client.get(f"/v1/{kind}/default", headers=beta).status_code == 200

    for options in ({"taxonomy": "airline"}, {"journey": "airline"}):
        _error(_analyze(client, beta, DELAYED, **options), 404, "NotFound")
        job = {"documents": [{"id": "d", "text": DELAYED}], **options}
        _error(client.post("/v1/jobs", json=job, headers=beta), 404, "NotFound")
    job = {"documents": [{"id": "d", "text": DELAYED}], "taxonomy": "airline"}
    assert client.post("/v1/jobs", json=job, headers=alpha).status_code == 202
    refused = client.put("/v1/taxonomies/airline", json=CABIN_TAXONOMY, headers=beta)
    assert "no journey 'airline'" in _error(refused, 400, "InvalidConfiguration")["message"]

    # beta's own objects under the same ids: new to beta (201, version 1), alpha's untouched
    assert client.put("/v1/journeys/airline", json=CABIN_JOURNEY, headers=beta).status_code == 201
    mine = client.put("/v1/taxonomies/airline", json=CABIN_TAXONOMY, headers=beta)
    assert mine.status_code == 201 and mine.get_json()["version"] == 1
    alphas = client.get("/v1/taxonomies/airline", headers=alpha).get_json()
    assert alphas["version"] == 1 and alphas["root_causes"][0]["id"] == "late_flight"
    betas = client.get("/v1/taxonomies/airline", headers=beta).get_json()
    assert [c["id"] for c in betas["root_causes"]] == ["rude_crew"]

    # same id and version, different content: each analysis uses its own tenant's tagger
    late = _analyze(client, alpha, LATE, taxonomy="airline").get_json()
    assert late["model_versions"]["taxonomy"] == "airline@1"
    assert "late_flight" in _causes(late)
    for comment, expected in ((LATE, set()), (RUDE, {"rude_crew"})):
        answer = _analyze(client, beta, comment, taxonomy="airline").get_json()
        assert answer["model_versions"]["taxonomy"] == "airline@1"
        assert _causes(answer) == expected, comment


def _causes(answer: dict) -> set[str]:
    return {c["id"] for c in answer["documents"][0]["root_causes"]}


def test_configuration_changes_need_the_configure_scope(secured, keys):
    client = secured.test_client()
    reader = keys["alpha-reader"]
    for path, body in (
        ("/v1/taxonomies/other", CABIN_TAXONOMY),
        ("/v1/journeys/other", CABIN_JOURNEY),
        ("/v1/alert-rules", CATCH_ALL),
    ):
        _error(client.put(path, json=body, headers=reader), 403, "Forbidden")
    assert client.get("/v1/taxonomies/airline", headers=reader).status_code == 200
    _error(client.put("/v1/taxonomies/x", json=CABIN_TAXONOMY), 401, "Unauthorized")


def _scheduled_alerts(client, admin) -> float:
    text = client.get("/metrics", headers=admin).get_data(as_text=True)
    match = re.search(r'^voc_alerts_total\{event="scheduled"\} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_alert_rules_are_each_tenants_own_and_fire_only_on_its_analyses(secured, keys):
    client = secured.test_client()
    alpha, beta, admin = keys["alpha"], keys["beta"], keys["admin"]
    shipped = client.get("/v1/alert-rules", headers=beta).get_json()
    stored = client.put("/v1/alert-rules", json=CATCH_ALL, headers=alpha)
    assert stored.status_code == 200 and stored.get_json()["version"] == 1
    assert client.get("/v1/alert-rules", headers=alpha).get_json()["rules"][0]["id"] == "everything"
    assert client.get("/v1/alert-rules", headers=beta).get_json() == shipped  # the fallback
    assert "everything" not in {r["id"] for r in shipped["rules"]}

    before = _scheduled_alerts(client, admin)
    assert _analyze(client, beta, PRAISE, "beta-praise").status_code == 200
    assert _scheduled_alerts(client, admin) == before  # alpha's catch-all ignores beta
    assert _analyze(client, alpha, PRAISE, "alpha-praise").status_code == 200
    assert _scheduled_alerts(client, admin) == before + 1
    deadline = time.monotonic() + 30
    while not (mine := _alerts(client, alpha, "alpha-praise")):
        assert time.monotonic() < deadline, "alpha's alert was never recorded"
        time.sleep(0.2)
    assert [a["rule_id"] for a in mine] == ["everything"]
    assert not _alerts(client, beta, "beta-praise") and not _alerts(client, beta, "alpha-praise")

    # beta's own rules count their versions from 1 and leave alpha's in force for alpha
    again = client.put("/v1/alert-rules", json=CATCH_ALL, headers=alpha).get_json()
    assert again["version"] == 2
    own = {"rules": [{"id": "beta-churn", "when": {"churn_risk_at_least": 0.9}}]}
    assert client.put("/v1/alert-rules", json=own, headers=beta).get_json()["version"] == 1
    assert client.get("/v1/alert-rules", headers=alpha).get_json()["version"] == 2
    services = secured.extensions["voc"]
    restarted = AlertService(services.settings, services.engine)  # reads them back
    try:
        assert restarted.rules("alpha").version == 2
        assert restarted.rules("beta").rules[0].id == "beta-churn"
        assert restarted.rules("gamma") == restarted.rules()  # neither stored any: shipped
    finally:
        restarted.close()


def _alerts(client, headers, document_id: str) -> list[dict]:
    listed = client.get("/v1/alerts?limit=200", headers=headers).get_json()["alerts"]
    return [a for a in listed if a["document_id"] == document_id]


def test_a_database_from_before_tenants_keeps_its_configuration_as_the_default_tenants(
    tmp_path,
):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    metadata.create_all(engine)
    old_journey = json.dumps({**AIRLINE_JOURNEY, "id": "airline"})
    with engine.begin() as conn:  # the tables and rows as voc stored them before tenants
        conn.execute(text("DROP INDEX ix_alert_rules_tenant_version"))
        for table in ("taxonomies", "journeys", "alert_rules"):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN tenant"))
        conn.execute(
            text("INSERT INTO journeys VALUES ('airline', 1, :doc, CURRENT_TIMESTAMP)"),
            {"doc": old_journey},
        )
        conn.execute(
            text("INSERT INTO alert_rules (body, created_at) VALUES (:body, CURRENT_TIMESTAMP)"),
            {"body": json.dumps(CATCH_ALL)},
        )
    create_schema(engine)
    indexes = {index["name"] for index in inspect(engine).get_indexes("alert_rules")}
    assert "ix_alert_rules_tenant_version" in indexes  # added with the column it reads
    settings = Settings(database_url=str(engine.url), webhook_secret="tenants-test")
    journey = load_default_journey(settings.limits)
    store = ConfigStore(
        engine,
        settings,
        default_taxonomy=load_default_taxonomy(journey, settings.limits),
        default_journey=journey,
    )
    assert store.journey("airline").version == 1
    assert [j.id for j in store.list_journeys(tenant="alpha")] == ["default"]
    with pytest.raises(UnknownConfigError):
        store.journey("airline", tenant="alpha")
    assert store.put_journey("airline", CABIN_JOURNEY, tenant="alpha")[0].version == 1
    assert store.put_journey("airline", AIRLINE_JOURNEY)[0].version == 2
    assert store.journey("airline", tenant="alpha").touchpoint_ids == ("cabin",)
    alerts = AlertService(settings, engine)
    try:
        assert alerts.rules().version == 1 and alerts.rules().rules[0].id == "everything"
        assert "everything" not in {r.id for r in alerts.rules("alpha").rules}
    finally:
        alerts.close()
