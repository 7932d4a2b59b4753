"""`features: ["pii"]` and `redact` on `POST /v1/analyze`, on the real models."""

from __future__ import annotations

TEXT = (
    "Je m'appelle Julien Moreau, ma commande FR-2024-88731 n'est jamais arrivée. "
    "Rappelez-moi au 06 12 34 56 78, c'est inadmissible."
)
VALUES = ("Julien Moreau", "FR-2024-88731", "06 12 34 56 78")


def analyze(client, **options):
    body = {"documents": [{"id": "fr-1", "text": TEXT}], **options}
    response = client.post("/v1/analyze", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["documents"][0]


def test_mask_is_the_default_and_offsets_refer_to_the_returned_text(client, validate_schema):
    document = analyze(client, features=["pii", "sentences", "churn_risk"])
    validate_schema("Analysis", document)
    text = document["text"]
    assert text.startswith("Je m'appelle [NAME], ma commande [ACCOUNT] n'est jamais arrivée.")
    assert [(text[s["start"] : s["end"]], s["type"]) for s in document["pii"]] == [
        ("[NAME]", "NAME"),
        ("[ACCOUNT]", "ACCOUNT"),
        ("[PHONE]", "PHONE"),
    ]
    for sentence in document["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        for clause in sentence["clauses"]:
            assert text[clause["start"] : clause["end"]] == clause["text"]
    assert not any(value in str(document) for value in VALUES)


def test_none_reports_spans_in_the_original_text(client):
    document = analyze(client, features=["pii", "sentences"], redact="none")
    assert document["text"] == TEXT
    assert [TEXT[s["start"] : s["end"]] for s in document["pii"]] == list(VALUES)
    assert document["sentences"][0]["text"].startswith("Je m'appelle Julien Moreau")


def test_drop_text_returns_no_quote(client, validate_schema):
    """Offsets (and the types found) still point into the caller's own copy of the text."""
    document = analyze(client, features=["pii", "sentences"], redact="drop_text")
    validate_schema("Analysis", document)
    assert document["text"] is None
    assert [TEXT[s["start"] : s["end"]] for s in document["pii"]] == list(VALUES)
    assert all(s["text"] is None for s in document["sentences"])
    assert document["sentences"][0]["sentiment"]["label"] in {"negative", "neutral"}


def test_without_the_pii_feature_quotes_are_still_masked(client):
    document = analyze(client, features=["sentences"])
    assert "pii" not in document and "text" not in document
    assert "[NAME]" in document["sentences"][0]["text"]
    assert not any(value in str(document) for value in VALUES)


def test_unknown_redaction_mode_is_refused(client):
    body = {"documents": [{"id": "x", "text": "ok"}], "redact": "blur"}
    response = client.post("/v1/analyze", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "InvalidRedact"
