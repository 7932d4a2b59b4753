"""The models endpoints and live switching on a real app (own database and registry directory)."""

from __future__ import annotations

import threading
import time

import pytest
from registry_helpers import register_fixture_head

from voc.config import Settings
from voc.registry.store import Registry
from voc.service.db import make_engine

DOCS = [
    {"id": "en", "text": "The parcel arrived broken and nobody answered."},
    {"id": "fr", "text": "Super service, merci beaucoup !"},
    {"id": "id", "text": "Pengiriman cepat, barang bagus."},
    {"id": "ms", "text": "Servis teruk, saya kecewa."},
]


def _validate(spec: dict, schema_name: str, instance) -> None:
    from jsonschema import Draft202012Validator

    schema = {"components": spec["components"], "$ref": f"#/components/schemas/{schema_name}"}
    Draft202012Validator(schema).validate(instance)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """An app that polls the activation log every 0.2 s, and two registered fixture versions."""
    from voc.service import create_app

    root = tmp_path_factory.mktemp("live")
    settings = Settings.from_env(
        {
            "database_url": f"sqlite:///{root / 'voc.sqlite3'}",
            "registry_dir": root / "registry",
            "model_refresh_seconds": 0.2,
        }
    )
    app = create_app(settings)
    services = app.extensions["voc"]
    good = register_fixture_head(services.models.registry, services.analyzer.encoder)
    bad = register_fixture_head(
        services.models.registry, services.analyzer.encoder, rotate_labels=True
    )
    yield app, settings, good, bad
    services.models.close()
    services.batcher.close()


def test_models_lists_active_versions_with_metrics(live):
    app, _, _, _ = live
    client = app.test_client()
    body = client.get("/v1/models").get_json()
    _validate(client.get("/openapi.json").get_json(), "ModelsResponse", body)
    by_name = {m["name"]: m for m in body["models"]}
    assert {"sentiment", "language"} <= set(by_name)
    assert body["model_versions"]["sentiment"] == by_name["sentiment"]["version"]
    dev = by_name["language"]["metrics"][0]
    assert dev["metric"] == "accuracy" and dev["groups"]["lang:ms"]["accuracy"] > 0.9


def test_activate_errors_say_what_to_change(live):
    app, _, good, _ = live
    client = app.test_client()
    assert client.post("/v1/models/nope/activate", json={"version": "x"}).status_code == 404
    missing = client.post("/v1/models/sentiment/activate", json={"version": "0000"})
    assert missing.status_code == 404 and "versions" in missing.get_json()["error"]["message"]
    assert client.post("/v1/models/sentiment/activate", json={"force": True}).status_code == 400
    refused = client.post("/v1/models/sentiment/activate", json={"version": good.version})
    assert refused.status_code == 409
    _validate(client.get("/openapi.json").get_json(), "Error", refused.get_json())
    error = refused.get_json()["error"]
    assert error["code"] == "NotComparable" and "voc eval" in error["message"]


def test_activation_switches_without_failing_requests_in_flight(live):
    app, _, good, bad = live
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
        _validate(client.get("/openapi.json").get_json(), "ActivationResponse", forced.get_json())
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


def test_an_activation_from_another_process_is_picked_up(live):
    """`voc models activate` writes the log; the running app polls it and switches."""
    app, settings, good, _ = live
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
