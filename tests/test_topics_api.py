"""`/v1/topics` and the `topic` field of `/v1/analyze`, on a real app and a real topic fit.

The app is this module's own: topic versions are activated through the registry, whose log is
in the app's database, and the first test needs one where no topic model was ever active.
"""

from __future__ import annotations

import pytest
from feedback_samples import MULTI_TOPIC, labelled_texts
from registry_helpers import isolated_settings

from voc.topics.fit import TopicSettings
from voc.topics.pipeline import fit_documents
from voc.topics.store import NAME, TopicStore


@pytest.fixture(scope="module")
def app(tmp_path_factory, analyzer):
    from voc.service import close_app, create_app

    root = tmp_path_factory.mktemp("topics_api")
    app = create_app(isolated_settings(root, model_refresh_seconds=0), analyzer=analyzer)
    yield app
    close_app(app)


def serving(app):
    """The analyzer now serving (an activation replaces it)."""
    return app.extensions["voc"].analyzer


@pytest.fixture()
def active_model(app):
    texts = [t for t, _, _ in labelled_texts()]
    settings = TopicSettings(n_topics=3, min_topic_size=3)
    model, _ = fit_documents(serving(app), texts, settings=settings)
    models = app.extensions["voc"].models
    entry = TopicStore(models.registry).save(model, activate=False)
    models.activate(NAME, entry.version, force=False)
    return model


def test_no_model_means_null_topic(client, app):
    assert serving(app).topics is None
    assert client.get("/v1/topics").get_json()["version"] is None
    body = client.post("/v1/analyze", json={"documents": [{"id": "a", "text": "Trop cher."}]})
    doc = body.get_json()["documents"][0]
    assert doc["topic"] is None and doc["topics"] == []
    assert client.patch("/v1/topics/1", json={"label": "x"}).status_code == 404


def test_analyze_assigns_topics_online(client, active_model, validate_schema):
    text, lang = MULTI_TOPIC[0]
    body = client.post(
        "/v1/analyze", json={"documents": [{"id": "m", "text": text, "language": lang}]}
    ).get_json()
    validate_schema("AnalyzeResponse", body)
    assert body["model_versions"]["topics"] == active_model.version
    doc = body["documents"][0]
    assert doc["topic"]["id"] in {t.id for t in active_model.topics}
    assert len({t["id"] for t in doc["topics"]}) >= 2
    only = client.post(
        "/v1/analyze", json={"documents": [{"id": "m", "text": text}], "features": ["topics"]}
    ).get_json()["documents"][0]
    assert only["topic"] == doc["topic"] and "sentiment" not in only


def test_edits_through_the_api_persist_and_show_in_analyze(
    client, active_model, app, validate_schema
):
    first, second = (t.id for t in active_model.topics[:2])
    renamed = client.patch(f"/v1/topics/{first}", json={"label": "Late deliveries"})
    assert renamed.status_code == 200
    validate_schema("TopicModel", renamed.get_json())
    store = TopicStore(app.extensions["voc"].models.registry)
    assert store.active().topic(first).label == "Late deliveries"
    assert serving(app).topics.version == store.active_version() == renamed.get_json()["version"]
    merged = client.post("/v1/topics/merge", json={"ids": [first, second]}).get_json()
    assert len(merged["topics"]) == len(active_model.topics) - 1
    split = client.post(f"/v1/topics/{first}/split", json={"parts": 2})
    assert split.status_code == 200
    assert sum(t["is_new"] for t in split.get_json()["topics"]) == 2
    bad = client.patch("/v1/topics/999", json={"label": "x"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "InvalidTopicEdit"
    assert client.post("/v1/topics/merge", json={"ids": "1"}).status_code == 400


def test_fit_through_the_api_activates_and_refits_keep_ids(client, app, validate_schema):
    texts = [t for t, _, _ in labelled_texts()]
    first = client.post("/v1/topics/fit", json={"texts": texts, "n_topics": 3, "min_topic_size": 3})
    assert first.status_code == 201, first.get_json()
    validate_schema("TopicModel", first.get_json())
    assert serving(app).topics.version == first.get_json()["version"]
    ids = {t["id"] for t in first.get_json()["topics"]}
    again = client.post("/v1/topics/fit", json={"texts": texts, "n_topics": 3, "min_topic_size": 3})
    assert {t["id"] for t in again.get_json()["topics"]} == ids
    few = client.post("/v1/topics/fit", json={"texts": texts[:2]})
    assert few.status_code == 400 and few.get_json()["error"]["code"] == "TooFewDocuments"
    assert client.post("/v1/topics/fit", json={"texts": "x"}).status_code == 400
    for seed in (-1, 2**32):  # the fit's PCA and k-means take 0 to 2**32 - 1
        bad_seed = client.post("/v1/topics/fit", json={"texts": texts, "seed": seed})
        assert bad_seed.status_code == 400, bad_seed.get_json()
        assert "seed" in bad_seed.get_json()["error"]["message"]
    assert client.post("/v1/topics/fit", json={"job_id": "nope"}).status_code == 404
