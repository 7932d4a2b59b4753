"""`/v1/taxonomies` and `/v1/journeys` on the real app and database, and their use in analysis."""

from __future__ import annotations

import pytest

AIRLINE_JOURNEY = {
    "name": "Airline journey",
    "touchpoints": [
        {
            "id": "booking",
            "label": "Booking",
            "description": "Searching and booking flights on the website or app",
            "examples": ["the booking site crashed", "réservation impossible sur le site"],
            "owner": {"name": "Digital", "email": "digital@example.com"},
        },
        {
            "id": "flight",
            "label": "Flight",
            "description": "The flight itself: departure, punctuality, cabin and crew",
            "owner": {"name": "Operations", "webhook_url": "https://ops.example.com/hooks/voc"},
        },
    ],
}
AIRLINE_TAXONOMY = {
    "name": "Airline root causes",
    "journey": "airline",
    "root_causes": [
        {
            "id": "late_flight",
            "label": "Late flight",
            "touchpoint": "flight",
            "description": "The flight departed or arrived late or was delayed.",
            "examples": [
                "flight delayed 3 hours again",
                "vol retardé de deux heures",
                "penerbangan ditunda tiga jam",
                "penerbangan lewat dua jam",
            ],
        },
        {
            "id": "lost_baggage",
            "label": "Lost baggage",
            "touchpoint": "flight",
            "description": "Checked luggage was lost, delayed or damaged.",
            "examples": ["they lost my suitcase", "ma valise n'est jamais arrivée"],
        },
        {
            "id": "booking_error",
            "label": "Booking problem",
            "touchpoint": "booking",
            "description": "The online booking failed, showed errors or charged wrongly.",
        },
    ],
}


def error_of(response, status: int, code: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    return body["error"]["message"]


@pytest.fixture(scope="module")
def airline(app):
    client = app.test_client()
    journey = client.put("/v1/journeys/airline", json=AIRLINE_JOURNEY)
    taxonomy = client.put("/v1/taxonomies/airline", json=AIRLINE_TAXONOMY)
    return journey, taxonomy


def test_put_creates_then_versions(client, airline):
    journey, taxonomy = airline
    assert journey.status_code == 201 and journey.get_json()["version"] == 1
    assert taxonomy.status_code == 201 and taxonomy.get_json()["version"] == 1
    again = client.put("/v1/journeys/airline", json=AIRLINE_JOURNEY)
    assert again.status_code == 200 and again.get_json()["version"] == 2
    assert client.get("/v1/journeys/airline").get_json()["version"] == 2
    first = client.get("/v1/journeys/airline?version=1").get_json()
    assert first["version"] == 1 and first["touchpoints"][0]["id"] == "booking"
    stored = client.get("/v1/taxonomies/airline").get_json()
    assert stored["journey"] == "airline" and len(stored["root_causes"]) == 3


def test_lists_hold_the_default_and_stored_ones(client, airline, validate_schema):
    taxonomies = client.get("/v1/taxonomies").get_json()
    journeys = client.get("/v1/journeys").get_json()
    validate_schema("TaxonomyList", taxonomies)
    validate_schema("JourneyList", journeys)
    assert {"default", "airline"} <= {t["id"] for t in taxonomies["taxonomies"]}
    assert {"default", "airline"} <= {j["id"] for j in journeys["journeys"]}
    validate_schema("Taxonomy", client.get("/v1/taxonomies/default").get_json())
    validate_schema("Journey", client.get("/v1/journeys/default").get_json())


def test_unknown_ids_answer_404(client):
    assert "nowhere" in error_of(client.get("/v1/taxonomies/nowhere"), 404, "NotFound")
    error_of(client.get("/v1/journeys/nowhere"), 404, "NotFound")
    error_of(client.get("/v1/taxonomies/default?version=99"), 404, "NotFound")
    error_of(client.get("/v1/taxonomies/default?version=x"), 400, "InvalidVersion")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (
            {"root_causes": [AIRLINE_TAXONOMY["root_causes"][0]] * 2},
            "root_causes[1].id",
        ),
        (
            {"root_causes": [{"id": "x", "label": "X", "touchpoint": "flight"}]},
            "root_causes[0].touchpoint",
        ),
        ({"root_causes": [{"id": "x", "label": ""}]}, "root_causes[0].label"),
        (
            {"root_causes": [{"id": f"c{i}", "label": f"Cause {i}"} for i in range(5000)]},
            "root_causes",
        ),
        ({"journey": "nowhere", "root_causes": [{"id": "x", "label": "X"}]}, "journey"),
    ],
)
def test_bad_taxonomies_answer_400_with_the_path(client, body, path):
    message = error_of(client.put("/v1/taxonomies/bad", json=body), 400, "InvalidConfiguration")
    assert message.startswith(f"{path}: ")
    error_of(client.get("/v1/taxonomies/bad"), 404, "NotFound")


def test_bad_journeys_answer_400_with_the_path(client):
    body = {
        "touchpoints": [
            {"id": "t", "label": "T", "owner": {"name": "Me", "webhook_url": "http://10.0.0.7/x"}}
        ]
    }
    message = error_of(client.put("/v1/journeys/bad", json=body), 400, "InvalidConfiguration")
    assert message.startswith("touchpoints[0].owner.webhook_url: ")
    error_of(client.put("/v1/journeys/default", json=AIRLINE_JOURNEY), 400, "ReservedId")
    error_of(
        client.put("/v1/journeys/x", data="[", content_type="application/json"), 400, "InvalidJson"
    )


def test_analysis_with_a_stored_taxonomy(client, airline, validate_schema):
    response = client.post(
        "/v1/analyze",
        json={
            "documents": [
                {"id": "a", "text": "Great crew, but the flight was delayed by four hours."},
                {"id": "b", "text": "Vol retardé de trois heures, personne ne nous a informés."},
            ],
            "features": ["sentiment", "root_causes", "touchpoints"],
            "taxonomy": "airline",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    validate_schema("AnalyzeResponse", body)
    assert body["model_versions"]["taxonomy"] == "airline@1"
    assert body["model_versions"]["journey"].startswith("airline@")
    for document in body["documents"]:
        causes = {c["id"]: c for c in document["root_causes"]}
        assert "late_flight" in causes, document
        assert causes["late_flight"]["touchpoint"] == "flight"
        assert {"id": "flight", "source": "root_cause"}.items() <= document["touchpoints"][
            0
        ].items()
    evidence = body["documents"][0]["root_causes"][0]["evidence"][0]
    text = "Great crew, but the flight was delayed by four hours."
    assert text[evidence["start"] : evidence["end"]] == evidence["text"]
    assert "delayed" in evidence["text"] and "crew" not in evidence["text"]


def test_analysis_with_inline_objects_and_their_errors(client):
    inline = {
        "id": "mini",
        "root_causes": [
            {"id": "rude", "label": "Rude staff", "description": "Staff were rude or impolite"}
        ],
    }
    response = client.post(
        "/v1/analyze",
        json={
            "documents": [{"id": "a", "text": "The receptionist was rude and shouted at us."}],
            "features": ["root_causes"],
            "taxonomy": inline,
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["model_versions"]["taxonomy"].startswith("mini@inline-")
    assert [c["id"] for c in body["documents"][0]["root_causes"]] == ["rude"]

    bad = {"root_causes": [{"id": "rude", "label": ""}]}
    message = error_of(
        client.post("/v1/analyze", json={"documents": [{"id": "a", "text": "x"}], "taxonomy": bad}),
        400,
        "InvalidConfiguration",
    )
    assert message.startswith("taxonomy.root_causes[0].label: ")
    error_of(
        client.post(
            "/v1/analyze", json={"documents": [{"id": "a", "text": "x"}], "taxonomy": "nowhere"}
        ),
        404,
        "NotFound",
    )
    mismatch = {
        "documents": [{"id": "a", "text": "x"}],
        "taxonomy": "default",
        "journey": "airline",
    }
    message = error_of(client.post("/v1/analyze", json=mismatch), 400, "InvalidConfiguration")
    assert message.startswith("taxonomy.root_causes[0].touchpoint: ")


def test_metadata_touchpoint_is_reported_with_its_source(client):
    response = client.post(
        "/v1/analyze",
        json={
            "documents": [
                {
                    "id": "a",
                    "text": "Everything was fine.",
                    "metadata": {"touchpoint": "support"},
                }
            ],
            "features": ["touchpoints"],
        },
    )
    document = response.get_json()["documents"][0]
    assert document["touchpoints"][0] == {
        "id": "support",
        "label": "Customer support",
        "score": 1.0,
        "source": "metadata",
    }
    assert set(document) == {"id", "touchpoints"}
