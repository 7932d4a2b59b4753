"""Shared fixtures: one real app (real models) per test session, its client, and the encoder."""

from __future__ import annotations

import pytest

from voc import paths
from voc.config import Settings


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    db = tmp_path_factory.mktemp("db") / "voc.sqlite3"
    topics = tmp_path_factory.mktemp("topics")
    return Settings.from_env({"database_url": f"sqlite:///{db}", "topics_dir": topics})


@pytest.fixture(scope="session")
def app(settings: Settings):
    from voc.service import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["voc"].batcher.close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def analyzer(app):
    return app.extensions["voc"].analyzer


@pytest.fixture(scope="session")
def shared_data():
    """The labelled datasets; tests that need them skip when they are absent (CI has them)."""
    data_dir = paths.shared_data_dir()
    if not data_dir.is_dir():
        pytest.skip(f"labelled data not found at {data_dir} (set VOC_DATA_DIR)")
    return data_dir
