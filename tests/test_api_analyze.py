"""`POST /v1/analyze` on the real models: the contract of ../shared/API.md, per language."""

from __future__ import annotations

import pytest

DOCS = [
    {"id": "en-neg", "text": "The parcel arrived two weeks late and nobody answered my emails."},
    {"id": "fr-neg", "text": "Livraison en retard, colis abîmé et service client injoignable."},
    {"id": "id-neg", "text": "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari. Kecewa banget."},
    {"id": "ms-neg", "text": "Perkhidmatan pelanggan sangat teruk, saya nak batalkan langganan."},
    {"id": "en-pos", "text": "Great service, the staff were friendly and helpful!"},
    {"id": "fr-pos", "text": "Super expérience, le personnel était adorable et très efficace."},
    {"id": "id-pos", "text": "Barangnya bagus banget, pengiriman cepat, mantap!"},
    {"id": "ms-pos", "text": "Perkhidmatan sangat baik, kakitangan mesra dan penghantaran pantas."},
]


def analyze(client, documents, **extra):
    return client.post("/v1/analyze", json={"documents": documents, **extra})


def test_every_language_gets_language_sentiment_and_sentences(client):
    response = analyze(client, DOCS)
    assert response.status_code == 200
    body = response.get_json()
    assert body["errors"] == []
    assert set(body["model_versions"]) >= {"encoder", "sentiment", "language"}
    by_id = {d["id"]: d for d in body["documents"]}
    assert list(by_id) == [d["id"] for d in DOCS]
    for doc in DOCS:
        result = by_id[doc["id"]]
        language, polarity = doc["id"].split("-")
        assert result["language"]["code"] == language
        assert result["language"]["supported"] is True
        expected = "negative" if polarity == "neg" else "positive"
        assert result["sentiment"]["label"] == expected, (doc["text"], result["sentiment"])
        probabilities = result["sentiment"]["probabilities"]
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert -1 <= result["sentiment"]["score"] <= 1
        assert (result["sentiment"]["score"] < 0) == (polarity == "neg")


def test_sentence_offsets_index_the_original_text(client):
    text = "  Colis arrivé cassé!!\n\nMais le remboursement était rapide 👍 Merci.  "
    body = analyze(client, [{"id": "x", "text": text}]).get_json()
    sentences = body["documents"][0]["sentences"]
    assert len(sentences) >= 2
    for sentence in sentences:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert sentence["sentiment"]["label"] in {"negative", "neutral", "positive"}
        for clause in sentence["clauses"]:
            assert text[clause["start"] : clause["end"]] == clause["text"]
    assert sentences[0]["sentiment"]["label"] == "negative"


def test_mixed_document(client):
    # Praise and a complaint in two contrast units, with the text as a whole undecided (a text
    # that reads clearly negative as a whole stays negative:
    # `voc.nlp.sentiment.document_sentiment`). A unit's clauses joined by "and" are pooled, so
    # "but the seller replaced it the next day and was very kind" is no longer clear praise.
    text = "The screen arrived cracked, but the seller was lovely."
    body = analyze(client, [{"id": "m", "text": text}]).get_json()
    assert body["documents"][0]["sentiment"]["label"] == "mixed"


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("produknya gak bagus", "id", "negative"),
        ("barang ni tak best", "ms", "negative"),
        ("pas terrible ce resto", "fr", "negative"),
        ("not bad at all, I would buy again", "en", "positive"),
        ("tidak buruk, saya suka", "id", "positive"),
    ],
)
def test_negation_and_informal_spelling(client, text, language, label):
    body = analyze(client, [{"id": "n", "text": text, "language": language}]).get_json()
    assert body["documents"][0]["sentiment"]["label"] == label, body["documents"][0]["sentiment"]


def test_features_subset_only_returns_what_was_asked(client):
    body = analyze(client, DOCS[:1], features=["language"]).get_json()
    assert set(body["documents"][0]) == {"id", "language"}


def test_other_language_is_reported_unsupported(client):
    text = "Die Lieferung kam viel zu spät und der Kundendienst war unfreundlich."
    body = analyze(client, [{"id": "de", "text": text}]).get_json()
    language = body["documents"][0]["language"]
    assert language["supported"] is False
    assert language["code"] not in {"en", "fr", "id", "ms"}
