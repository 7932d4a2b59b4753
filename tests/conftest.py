"""Shared fixtures: real models loaded once per test session (`analyzer`), shared by every app
the tests build; the session's app and client; the OpenAPI schema validator."""

from __future__ import annotations

import pytest
from tiers import loads_models, uses_models

from voc import paths
from voc.config import Settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    db = tmp_path_factory.mktemp("db") / "voc.sqlite3"
    topics = tmp_path_factory.mktemp("topics")
    return Settings.from_env({"database_url": f"sqlite:///{db}", "topics_dir": topics})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if uses_models(item):
            item.add_marker(pytest.mark.models)


@pytest.fixture(scope="session")
@loads_models
def analyzer(settings: Settings):
    """Every model, loaded once per session; apps built by tests are given this one.

    Its root-cause tagger caches the taggers of taxonomies and journeys by `id@version` and
    content, so tests (and tenants) may store different objects under one id."""
    from voc.registry.loader import load_analyzer

    return load_analyzer(settings)


@pytest.fixture(scope="session")
def app(settings: Settings, analyzer):
    from voc.service import close_app, create_app

    app = create_app(settings, analyzer=analyzer)
    app.config["TESTING"] = True
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def own_app(settings: Settings, analyzer, tmp_path_factory: pytest.TempPathFactory):
    """`own_app(**overrides)`: a real app on a database of its own, so what its tests store
    (rules, journeys, alerts) is never seen by another test; closed with the module. Give
    `database_url` to build a second app on a first one's database, as another process of
    the same deployment."""
    from dataclasses import replace

    from voc.service import close_app, create_app

    apps = []

    def make(**overrides):
        database = tmp_path_factory.mktemp("own-app") / "voc.sqlite3"
        own = replace(settings, **{"database_url": f"sqlite:///{database}", **overrides})
        apps.append(create_app(own, analyzer=analyzer))
        return apps[-1]

    yield make
    for app in apps:
        close_app(app)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def secured(tmp_path_factory, analyzer):
    """A fresh app on its own database, for the module's tests of API keys and tenants: open
    (loopback, no key) until a test creates a key. No in-process job worker."""
    from voc.service import close_app, create_app

    root = tmp_path_factory.mktemp("secured")
    settings = Settings.from_env(
        {
            "database_url": f"sqlite:///{root / 'voc.sqlite3'}",
            "topics_dir": root / "topics",
            "in_process_worker": False,
        }
    )
    app = create_app(settings, analyzer=analyzer)
    yield app
    close_app(app)


@pytest.fixture(scope="session")
def shared_data():
    """The labelled datasets; tests that need them skip when they are absent (CI has them)."""
    data_dir = paths.shared_data_dir()
    if not data_dir.is_dir():
        pytest.skip(f"labelled data not found at {data_dir} (set VOC_DATA_DIR)")
    return data_dir


@pytest.fixture(scope="session")
def validate_schema(settings: Settings):
    """`validate_schema(name, instance)`: check a body against a component schema of the
    OpenAPI document the service serves (`GET /openapi.json`; no model is loaded for it)."""
    from jsonschema import Draft202012Validator

    from voc.service.openapi import openapi_document

    spec = openapi_document(settings)

    def validate(schema_name: str, instance) -> None:
        schema = {"components": spec["components"], "$ref": f"#/components/schemas/{schema_name}"}
        Draft202012Validator(schema).validate(instance)

    return validate


@pytest.fixture(scope="session")
def wait_for_job():
    """Poll `GET /v1/jobs/{id}` until the job reaches one of `until` (default: finished)."""
    import time

    def wait(client, job_id: str, until=None, timeout: float = 120) -> dict:
        until = until or ("COMPLETED", "PARTIALLY_COMPLETED", "FAILED", "STOPPED")
        deadline = time.monotonic() + timeout
        while True:
            job = client.get(f"/v1/jobs/{job_id}").get_json()
            if job["status"] in until:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
            time.sleep(0.1)

    return wait


@pytest.fixture()
def postgres_engine():
    """A clean schema on the test PostgreSQL (`.ci/postgres.sh` starts it; `make test` uses it)."""
    import os

    from voc.storage import make_engine, metadata

    url = os.environ.get("VOC_TEST_DATABASE_URL")
    if not url:
        message = "VOC_TEST_DATABASE_URL is not set: run the tests through .ci/postgres.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (make test does) to test PostgreSQL")
    import voc.jobs.store  # noqa: F401  (declares the job tables on metadata)

    engine = make_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def start_worker(tmp_path):
    """Start `voc worker` processes on a database; they are killed at the end of the test."""
    import os
    import subprocess
    import sys

    processes = []

    def start(
        database_url: str,
        *,
        lease_seconds: int = 30,
        name: str = "w",
        env: dict[str, str] | None = None,
    ):
        """`env`: more settings for the process (VOC_* variables)."""
        log = (tmp_path / f"{name}-{len(processes)}.log").open("wb")
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "VOC_JOB_LEASE_SECONDS": str(lease_seconds),
            **(env or {}),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "voc.cli", "worker", "--worker-id", f"{name}-{len(processes)}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        process.log_path = log.name
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
