"""What one app holds for its lifetime: settings, models, the batcher, the database, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import Engine

from voc.alerts.service import AlertService
from voc.config import Settings
from voc.jobs.config_store import ConfigStore
from voc.nlp.analyzer import Analyzer
from voc.service.auth import Guard
from voc.service.batcher import Batcher
from voc.service.metrics import Metrics
from voc.service.model_switch import ModelSwitch
from voc.service.model_work import ModelWork

EXTENSION = "voc"


@dataclass
class Services:
    settings: Settings
    batcher: Batcher
    engine: Engine
    metrics: Metrics
    alerts: AlertService
    config_store: ConfigStore
    models: ModelSwitch
    guard: Guard
    model_work: ModelWork

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer now serving (`models` holds it and swaps it)."""
        return self.models.analyzer


def state(app: Flask) -> Services:
    return app.extensions[EXTENSION]
