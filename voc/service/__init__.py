"""The Flask app: `create_app()` builds it; blueprints hold the endpoints."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from voc.alerts.service import AlertService
from voc.config import Settings
from voc.jobs.config_store import ConfigStore
from voc.logging import configure_logging
from voc.nlp.analyzer import Analyzer
from voc.registry import store
from voc.registry.loader import load_analyzer
from voc.registry.provider import ActiveModels
from voc.service import (
    alerts_api,
    analyze,
    auth,
    configuration,
    errors,
    headers,
    jobs,
    metrics,
    models,
    ops,
    privacy,
    topics,
)
from voc.service.batcher import Batcher
from voc.service.fast_paths import FastPaths
from voc.service.model_switch import ModelSwitch
from voc.service.model_work import ModelWork
from voc.service.state import EXTENSION, Services
from voc.storage import create_schema, make_engine

log = logging.getLogger(__name__)


def create_app(
    config: Settings | dict[str, Any] | None = None, *, analyzer: Analyzer | None = None
) -> Flask:
    """Build the app; models load here, once per process (call it after any fork), unless an
    already loaded `analyzer` is passed in (tests share one across apps; it should hold the
    registry's active versions, which the app switches away from like any other)."""
    settings = config if isinstance(config, Settings) else Settings.from_env(config)
    configure_logging()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.limits.max_request_bytes
    app.json.sort_keys = False
    engine = make_engine(settings.database_url)
    create_schema(engine)
    app_metrics = metrics.init_app(app)
    registry = store.Registry.from_settings(settings, engine)
    active = ActiveModels(
        settings, registry, analyzer=analyzer or load_analyzer(settings, registry=registry)
    )
    analyzer = active.analyzer
    batcher = Batcher(
        analyzer,
        wait_ms=settings.batch_wait_ms,
        max_queued_documents=settings.max_queued_documents,
    )
    guard = auth.init_app(app, engine, settings)
    app.extensions[EXTENSION] = Services(
        settings=settings,
        batcher=batcher,
        engine=engine,
        metrics=app_metrics,
        alerts=AlertService(settings, engine, events=app_metrics.alerts),
        config_store=ConfigStore(
            engine,
            settings,
            default_taxonomy=analyzer.root_causes.default_taxonomy,
            default_journey=analyzer.root_causes.default_journey,
        ),
        models=ModelSwitch(active, batcher),
        guard=guard,
        model_work=ModelWork(),
    )
    app.extensions[EXTENSION].models.start()
    app.wsgi_app = FastPaths(
        app.wsgi_app, batcher, app_metrics, close_refused=settings.web_processes > 1
    )
    errors.init_app(app)
    headers.init_app(app)
    app.register_blueprint(analyze.bp)
    app.register_blueprint(models.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(alerts_api.bp)
    app.register_blueprint(configuration.bp)
    jobs.init_app(app)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(topics.bp)
    log.info("app.ready", extra={"model_versions": analyzer.model_versions})
    return app


def close_app(app: Flask) -> None:
    """Stop every thread `create_app` started: the in-process job worker, the model refresh,
    the batcher, alert delivery and model work. For processes that build and drop apps (the
    tests); alerts still pending resume when an app on the same database starts."""
    services: Services = app.extensions[EXTENSION]
    jobs.close(app)
    services.models.close()
    services.batcher.close()
    services.alerts.close()
    services.model_work.close()
