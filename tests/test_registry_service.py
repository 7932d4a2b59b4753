"""The models endpoints and live switching on a real app (own database and registry directory)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from feedback_samples import MULTI_TOPIC, labelled_texts, write_aspect_file
from registry_helpers import isolated_settings, register_fixture_head

from voc.registry.store import Registry
from voc.storage import make_engine

DOCS = [
    {"id": "en", "text": "The parcel arrived broken and nobody answered."},
    {"id": "fr", "text": "Super service, merci beaucoup !"},
    {"id": "id", "text": "Pengiriman cepat, barang bagus."},
    {"id": "ms", "text": "Servis teruk, saya kecewa."},
]


@pytest.fixture(scope="module")
def live(tmp_path_factory, analyzer):
    """An app that polls the activation log every 0.2 s, and two registered fixture versions.
    Its files are where `VOC_VAR_DIR=root` puts them, so the CLI can run on the same state."""
    from voc.service import close_app, create_app

    root = tmp_path_factory.mktemp("live")
    settings = isolated_settings(root, model_refresh_seconds=0.2)
    app = create_app(settings, analyzer=analyzer)
    services = app.extensions["voc"]
    good = register_fixture_head(services.models.registry, services.analyzer.encoder)
    bad = register_fixture_head(
        services.models.registry, services.analyzer.encoder, rotate_labels=True
    )
    yield app, settings, good, bad, root
    close_app(app)


def test_models_lists_active_versions_with_metrics(live, validate_schema):
    app, *_ = live
    client = app.test_client()
    body = client.get("/v1/models").get_json()
    validate_schema("ModelsResponse", body)
    by_name = {m["name"]: m for m in body["models"]}
    assert {"sentiment", "language"} <= set(by_name)
    assert body["model_versions"]["sentiment"] == by_name["sentiment"]["version"]
    dev = by_name["language"]["metrics"][0]
    assert dev["metric"] == "accuracy" and dev["groups"]["lang:ms"]["accuracy"] > 0.9


def test_activate_errors_say_what_to_change(live, validate_schema):
    app, _, good, *_ = live
    client = app.test_client()
    assert client.post("/v1/models/nope/activate", json={"version": "x"}).status_code == 404
    missing = client.post("/v1/models/sentiment/activate", json={"version": "0000"})
    assert missing.status_code == 404 and "versions" in missing.get_json()["error"]["message"]
    assert client.post("/v1/models/sentiment/activate", json={"force": True}).status_code == 400
    refused = client.post("/v1/models/sentiment/activate", json={"version": good.version})
    assert refused.status_code == 409
    validate_schema("Error", refused.get_json())
    error = refused.get_json()["error"]
    assert error["code"] == "NotComparable" and "voc eval" in error["message"]


def test_activation_switches_without_failing_requests_in_flight(live, validate_schema):
    app, _, good, bad, _ = live
    client = app.test_client()
    committed = client.get("/v1/models").get_json()["model_versions"]["sentiment"]
    encoder = app.extensions["voc"].analyzer.encoder
    seen, failures, stop = [], [], threading.Event()

    def hammer():
        local = app.test_client()
        while not stop.is_set():
            response = local.post("/v1/analyze", json={"documents": DOCS})
            if response.status_code != 200:
                failures.append(response.status_code)
            else:
                seen.append(response.get_json()["model_versions"]["sentiment"])

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        forced = client.post(
            "/v1/models/sentiment/activate", json={"version": good.version, "force": True}
        )
        assert forced.status_code == 200, forced.get_json()
        validate_schema("ActivationResponse", forced.get_json())
        assert forced.get_json()["model_versions"]["sentiment"] == good.version
        time.sleep(0.5)
        worse = client.post("/v1/models/sentiment/activate", json={"version": bad.short_version})
        assert worse.status_code == 409 and worse.get_json()["error"]["code"] == "MetricsRegression"
        back = client.post("/v1/models/sentiment/rollback")
        assert back.status_code == 200 and back.get_json()["version"] == committed
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert good.version in seen and seen[-1] == committed
    assert set(seen) <= {committed, good.version}
    assert app.extensions["voc"].analyzer.encoder is encoder, "unchanged parts are shared"
    body = client.post("/v1/analyze", json={"documents": DOCS}).get_json()
    assert body["model_versions"]["sentiment"] == committed
    latest, previous = app.extensions["voc"].models.registry.history("sentiment")[:2]
    assert (latest.reason, latest.activated_by) == ("rollback", "open-api")
    assert (previous.version, previous.activated_by) == (good.version, "open-api")


def test_an_activation_from_another_process_is_picked_up(live):
    """`voc models activate` writes the log; the running app polls it and switches."""
    app, settings, good, *_ = live
    elsewhere = Registry(
        settings.artifacts_dir, settings.registry_dir, make_engine(settings.database_url)
    )
    elsewhere.activate("sentiment", good.version, force=True)
    deadline = time.monotonic() + 30
    client = app.test_client()
    while time.monotonic() < deadline:
        versions = client.post("/v1/analyze", json={"documents": DOCS}).get_json()
        if versions["model_versions"]["sentiment"] == good.version:
            break
        time.sleep(0.2)
    assert versions["model_versions"]["sentiment"] == good.version
    elsewhere.rollback("sentiment")


def _wait_for(client, documents, name: str, version: str) -> dict:
    """`/v1/analyze` until its `model_versions[name]` is `version` (the poller's interval)."""
    deadline = time.monotonic() + 30
    while True:
        body = client.post("/v1/analyze", json=documents).get_json()
        if body["model_versions"].get(name) == version or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


@pytest.fixture()
def cli_env(live, monkeypatch):
    """`voc ...` on the live app's database and directories."""
    _, settings, *_, root = live
    monkeypatch.setenv("VOC_VAR_DIR", str(root))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("VOC_REGISTRY_DIR", raising=False)


def test_root_causes_are_listed_and_a_new_version_switches_live(live, cli_env, tmp_path, capsys):
    from voc.cli import main
    from voc.config import Limits
    from voc.nlp.taxonomy import parse_taxonomy
    from voc.registry.training import train_root_causes_version

    app, settings, *_ = live
    client = app.test_client()
    services = app.extensions["voc"]
    registry = services.models.registry
    committed = registry.default("root_causes").version
    body = client.get("/v1/models").get_json()
    listed = {m["name"]: m for m in body["models"]}["root_causes"]
    assert listed["version"] == committed == body["model_versions"]["root_causes"]
    assert [e["name"] for e in listed["metrics"]][1] == "aspects dev, few-shot"
    assert listed["metrics"][1]["groups"]["lang:fr"]["micro_f1"] > 0

    entry = train_root_causes_version(
        registry,
        settings,
        data_file=write_aspect_file(tmp_path / "hotel.jsonl"),
        taxonomy_id="hotel",
        encoder=services.analyzer.encoder,
    )
    assert main(["models", "list", "root_causes"]) == 0
    listing = capsys.readouterr().out
    assert f"* {committed}" in listing and f"  {entry.version}" in listing

    raw = {
        "id": "hotel",
        "root_causes": [{"id": "noise", "label": "Noise"}, {"id": "wifi", "label": "Wi-Fi"}],
    }
    hotel = parse_taxonomy(raw, limits=Limits(), journey=None, version=1)
    documents = {
        "documents": [{"id": "w", "text": "The wifi kept dropping all night.", "language": "en"}],
        "taxonomy": raw,
    }
    before = client.post("/v1/analyze", json=documents).get_json()
    assert before["model_versions"]["root_causes"] == committed
    assert services.analyzer.root_causes.taxonomy_tagger(hotel).mode == "zero-shot"
    activated = client.post(
        "/v1/models/root_causes/activate", json={"version": entry.short_version}
    )
    assert activated.status_code == 200, activated.get_json()
    assert activated.get_json()["overridden"] == []
    after = client.post("/v1/analyze", json=documents).get_json()
    assert after["model_versions"]["root_causes"] == entry.version
    assert [c["id"] for c in after["documents"][0]["root_causes"]] == ["wifi"]
    assert services.analyzer.root_causes.taxonomy_tagger(hotel).mode == "trained"
    back = client.post("/v1/models/root_causes/rollback").get_json()
    assert back["version"] == committed and back["model_versions"]["root_causes"] == committed


def test_topic_fits_are_registry_versions_activated_through_the_registry(live, cli_env, capsys):
    from voc.cli import main

    app, *_ = live
    client = app.test_client()
    texts = [t for t, _, _ in labelled_texts()]
    documents = {
        "documents": [{"id": "m", "text": MULTI_TOPIC[0][0], "language": "en"}],
        "features": ["topics"],
    }
    assert "topics" not in client.post("/v1/analyze", json=documents).get_json()["model_versions"]
    fit = {"texts": texts, "min_topic_size": 3}
    first = client.post("/v1/topics/fit", json={**fit, "n_topics": 3}).get_json()
    second = client.post("/v1/topics/fit", json={**fit, "n_topics": 2, "fresh": True}).get_json()
    body = client.get("/v1/models").get_json()
    topics = {m["name"]: m for m in body["models"]}["topics"]
    assert topics["version"] == second["version"] == body["model_versions"]["topics"]
    assert set(topics["versions"]) == {first["version"], second["version"]}
    assert topics["training_data"][0]["file"] == "request"
    (fitted,) = topics["metrics"]
    assert fitted["metric"] == "outlier_share" and "lang:fr" in fitted["groups"]

    def assigned(model: dict) -> dict:
        doc = _wait_for(client, documents, "topics", model["version"])["documents"][0]
        labels = {t["id"]: t["label"] for t in model["topics"]}
        assert labels[doc["topic"]["id"]] == doc["topic"]["label"]
        return doc["topic"]

    assert assigned(second)
    back = client.post("/v1/models/topics/rollback")
    assert back.status_code == 200 and back.get_json()["version"] == first["version"]
    assert back.get_json()["model_versions"]["topics"] == first["version"]
    assert assigned(first)
    again = client.post("/v1/models/topics/activate", json={"version": second["version"]})
    assert again.status_code == 200 and again.get_json()["overridden"] == []
    assert assigned(second)
    # the CLI writes the same activation log; the running app follows it
    assert main(["models", "activate", "topics", first["version"]]) == 0
    assert assigned(first)
    assert main(["models", "list", "topics"]) == 0
    assert f"* {first['version']}" in capsys.readouterr().out
    assert main(["topics", "show"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == first["version"]


def test_job_chunks_follow_activations_like_analyze(live, wait_for_job):
    """One model lifecycle: after an activation, a job (the in-process worker) and a
    `voc worker`-style process (its own `ActiveModels`) use the active version, as
    `/v1/analyze` does, and the job records it. The rotated head labels documents unlike the
    committed one, so answers from a stale analyzer would show."""
    from voc.registry.provider import ActiveModels

    app, settings, _, bad, _ = live
    client = app.test_client()
    services = app.extensions["voc"]
    before = services.analyzer
    forced = client.post(
        "/v1/models/sentiment/activate", json={"version": bad.version, "force": True}
    )
    assert forced.status_code == 200, forced.get_json()
    try:
        online = client.post("/v1/analyze", json={"documents": DOCS}).get_json()
        assert online["model_versions"]["sentiment"] == bad.version
        labels = [d["sentiment"]["label"] for d in online["documents"]]
        job = client.post("/v1/jobs", json={"documents": DOCS, "features": ["sentiment"]})
        assert job.status_code == 202, job.get_json()
        finished = wait_for_job(client, job.get_json()["job_id"])
        assert finished["status"] == "COMPLETED"
        assert [v["sentiment"] for v in finished["model_versions"]] == [bad.version]
        rows = client.get(f"/v1/jobs/{finished['job_id']}/results").get_data(as_text=True)
        assert [json.loads(r)["sentiment"]["label"] for r in rows.splitlines()] == labels

        # `voc worker` asks its own ActiveModels before each chunk (`Worker(analyzer=.current)`)
        elsewhere = ActiveModels(settings, services.models.registry, analyzer=before)
        assert elsewhere.analyzer.model_versions["sentiment"] != bad.version
        time.sleep(settings.model_refresh_seconds)
        assert elsewhere.current().model_versions["sentiment"] == bad.version
    finally:
        client.post("/v1/models/sentiment/rollback")
