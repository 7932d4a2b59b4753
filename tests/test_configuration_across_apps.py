"""Two real apps on one database, as two processes of one deployment: a change of alert rules,
journeys or taxonomies stored through one is what the other uses for its next request."""

from __future__ import annotations

import time

import pytest

PRAISE = "Great service, thank you, everything was perfect."
NEVER = {"rules": [{"id": "never", "when": {"churn_risk_at_least": 1.0, "detractor": True}}]}
CATCH_ALL = {"rules": [{"id": "everything", "when": {"sentiment": ["positive", "negative"]}}]}
DESK = {"name": "Desk", "touchpoints": [{"id": "desk", "label": "Front desk"}]}
DESK_AND_ROOM = {
    "name": "Desk and room",
    "touchpoints": [{"id": "desk", "label": "Front desk"}, {"id": "room", "label": "Room"}],
}


def _taxonomy(*causes: str) -> dict:
    return {
        "journey": "hotel",
        "root_causes": [
            {
                "id": cause,
                "label": cause.replace("_", " ").capitalize(),
                "touchpoint": "desk",
                "description": f"The guest complains of {cause.replace('_', ' ')}.",
                "examples": [f"{cause.replace('_', ' ')} again", "l'accueil était lent"],
            }
            for cause in causes
        ],
    }


@pytest.fixture(scope="module")
def two_apps(own_app):
    first = own_app()
    return first, own_app(database_url=first.extensions["voc"].settings.database_url)


def _analyze(client, document_id: str, **options):
    body = {"documents": [{"id": document_id, "text": PRAISE}], "features": ["sentiment"]}
    response = client.post("/v1/analyze", json={**body, **options})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _alert_rules_of(app, document_id: str, timeout: float = 20.0) -> list[str]:
    """The rules of the alerts `app` recorded for the document (waits for its workers)."""
    alerts = app.extensions["voc"].alerts
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = alerts.list_alerts(status=None, limit=200, offset=0)["alerts"]
        found = [a["rule_id"] for a in listed if a["document_id"] == document_id]
        if found:
            return found
        time.sleep(0.05)
    return []


def test_alert_rules_stored_through_one_app_are_in_force_in_the_other(two_apps):
    first, second = (app.test_client() for app in two_apps)
    assert first.put("/v1/alert-rules", json=NEVER).get_json()["version"] == 1
    assert second.get("/v1/alert-rules").get_json()["rules"][0]["id"] == "never"
    _analyze(second, "before-the-change")  # the second app now holds version 1 in memory

    stored = first.put("/v1/alert-rules", json=CATCH_ALL).get_json()
    assert stored["version"] == 2
    assert second.get("/v1/alert-rules").get_json() == stored
    _analyze(second, "after-the-change")
    assert _alert_rules_of(two_apps[1], "after-the-change") == ["everything"]
    assert _alert_rules_of(two_apps[1], "before-the-change", timeout=0.5) == []

    assert second.put("/v1/alert-rules", json=NEVER).get_json()["version"] == 3
    assert first.get("/v1/alert-rules").get_json()["rules"][0]["id"] == "never"


def test_journeys_and_taxonomies_stored_through_one_app_are_used_by_the_other(two_apps):
    first, second = (app.test_client() for app in two_apps)
    assert first.put("/v1/journeys/hotel", json=DESK).status_code == 201
    assert first.put("/v1/taxonomies/hotel", json=_taxonomy("slow_check_in")).status_code == 201
    used = _analyze(second, "hotel-1", taxonomy="hotel")["model_versions"]
    assert (used["taxonomy"], used["journey"]) == ("hotel@1", "hotel@1")

    assert first.put("/v1/journeys/hotel", json=DESK_AND_ROOM).status_code == 200
    changed = _taxonomy("slow_check_in", "rude_staff")
    assert first.put("/v1/taxonomies/hotel", json=changed).status_code == 200
    touchpoints = second.get("/v1/journeys/hotel").get_json()["touchpoints"]
    assert [t["id"] for t in touchpoints] == ["desk", "room"]
    causes = second.get("/v1/taxonomies/hotel").get_json()["root_causes"]
    assert [c["id"] for c in causes] == ["slow_check_in", "rude_staff"]
    used = _analyze(second, "hotel-2", taxonomy="hotel")["model_versions"]
    assert (used["taxonomy"], used["journey"]) == ("hotel@2", "hotel@2")
