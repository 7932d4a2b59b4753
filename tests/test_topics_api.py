"""`/v1/topics` and the `topic` field of `/v1/analyze`, on the real app and a real topic fit."""

from __future__ import annotations

import pytest
from feedback_samples import MULTI_TOPIC, labelled_texts
from jsonschema import Draft202012Validator

from voc.topics.fit import TopicSettings
from voc.topics.pipeline import fit_documents
from voc.topics.store import TopicStore


def _validate(client, schema_name: str, instance) -> None:
    spec = client.get("/openapi.json").get_json()
    schema = {"components": spec["components"], "$ref": f"#/components/schemas/{schema_name}"}
    Draft202012Validator(schema).validate(instance)


@pytest.fixture()
def active_model(app, analyzer, settings):
    texts = [t for t, _, _ in labelled_texts()]
    model, _ = fit_documents(analyzer, texts, settings=TopicSettings(n_topics=3, min_topic_size=3))
    TopicStore(settings.topics_dir).save(model)
    analyzer.topics = model
    yield model
    analyzer.topics = None


def test_no_model_means_null_topic(client, analyzer):
    assert analyzer.topics is None
    assert client.get("/v1/topics").get_json()["version"] is None
    body = client.post("/v1/analyze", json={"documents": [{"id": "a", "text": "Trop cher."}]})
    doc = body.get_json()["documents"][0]
    assert doc["topic"] is None and doc["topics"] == []
    assert client.patch("/v1/topics/1", json={"label": "x"}).status_code == 404


def test_analyze_assigns_topics_online(client, active_model):
    text, lang = MULTI_TOPIC[0]
    body = client.post(
        "/v1/analyze", json={"documents": [{"id": "m", "text": text, "language": lang}]}
    ).get_json()
    _validate(client, "AnalyzeResponse", body)
    assert body["model_versions"]["topics"] == active_model.version
    doc = body["documents"][0]
    assert doc["topic"]["id"] in {t.id for t in active_model.topics}
    assert len({t["id"] for t in doc["topics"]}) >= 2
    only = client.post(
        "/v1/analyze", json={"documents": [{"id": "m", "text": text}], "features": ["topics"]}
    ).get_json()["documents"][0]
    assert only["topic"] == doc["topic"] and "sentiment" not in only


def test_edits_through_the_api_persist_and_show_in_analyze(client, active_model, settings):
    first, second = (t.id for t in active_model.topics[:2])
    renamed = client.patch(f"/v1/topics/{first}", json={"label": "Late deliveries"})
    assert renamed.status_code == 200
    _validate(client, "TopicModel", renamed.get_json())
    assert TopicStore(settings.topics_dir).active().topic(first).label == "Late deliveries"
    merged = client.post("/v1/topics/merge", json={"ids": [first, second]}).get_json()
    assert len(merged["topics"]) == len(active_model.topics) - 1
    split = client.post(f"/v1/topics/{first}/split", json={"parts": 2})
    assert split.status_code == 200
    assert sum(t["is_new"] for t in split.get_json()["topics"]) == 2
    bad = client.patch("/v1/topics/999", json={"label": "x"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "InvalidTopicEdit"
    assert client.post("/v1/topics/merge", json={"ids": "1"}).status_code == 400


def test_fit_through_the_api_activates_and_refits_keep_ids(client, analyzer):
    texts = [t for t, _, _ in labelled_texts()]
    try:
        first = client.post(
            "/v1/topics/fit", json={"texts": texts, "n_topics": 3, "min_topic_size": 3}
        )
        assert first.status_code == 201, first.get_json()
        _validate(client, "TopicModel", first.get_json())
        assert (
            analyzer.topics is not None and analyzer.topics.version == first.get_json()["version"]
        )
        ids = {t["id"] for t in first.get_json()["topics"]}
        again = client.post(
            "/v1/topics/fit", json={"texts": texts, "n_topics": 3, "min_topic_size": 3}
        )
        assert {t["id"] for t in again.get_json()["topics"]} == ids
        few = client.post("/v1/topics/fit", json={"texts": texts[:2]})
        assert few.status_code == 400 and few.get_json()["error"]["code"] == "TooFewDocuments"
        assert client.post("/v1/topics/fit", json={"texts": "x"}).status_code == 400
        assert client.post("/v1/topics/fit", json={"job_id": "nope"}).status_code == 404
    finally:
        analyzer.topics = None
