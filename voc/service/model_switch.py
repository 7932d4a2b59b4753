"""Keep a running service on the registry's active model versions, without a restart.

A new `Analyzer` is built off to the side (sharing the encoder, segmenter and every component
whose version did not change), then the batcher's reference is replaced in one assignment.
The batcher's worker reads that reference once per batch, so a batch in flight finishes on
the analyzer it started with and reports that analyzer's versions; nothing fails.

Activations made elsewhere (`voc models activate`, another process) are picked up by a
thread that reads the activation log every `Settings.model_refresh_seconds`.
"""

from __future__ import annotations

import logging
import threading

from voc.config import Settings
from voc.nlp.analyzer import Analyzer
from voc.registry import store
from voc.registry.entry import Entry
from voc.registry.loader import load_analyzer
from voc.service.batcher import Batcher

log = logging.getLogger(__name__)


class ModelSwitch:
    def __init__(self, settings: Settings, registry: store.Registry, batcher: Batcher) -> None:
        self.settings = settings
        self.registry = registry
        self.batcher = batcher
        self._lock = threading.Lock()
        self._failed: dict[str, str] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def analyzer(self) -> Analyzer:
        return self.batcher.analyzer

    def activate(
        self, name: str, version: str, *, force: bool, by: str | None = None
    ) -> store.ActivationResult:
        """Check, load off to the side, record, swap: a version that fails to load is never
        recorded as active."""
        with self._lock:
            staged: list[Analyzer] = []

            def build(entry: Entry) -> None:
                staged.append(self._build({name: entry.version}))

            result = self.registry.activate(name, version, force=force, before_record=build, by=by)
            if staged:
                self._swap(staged[0])
            return result

    def rollback(self, name: str, *, by: str | None = None) -> store.ActivationResult:
        with self._lock:
            staged: list[Analyzer] = []
            result = self.registry.rollback(
                name, before_record=lambda e: staged.append(self._build({name: e.version})), by=by
            )
            self._swap(staged[0])
            return result

    def refresh(self) -> bool:
        """Swap to the recorded active versions if they differ from what is served."""
        with self._lock:
            active = {name: e.version for name, e in self.registry.active().items()}
            served = self.analyzer.model_versions
            if all(served.get(name) == version for name, version in active.items()):
                return False
            if active == self._failed:
                return False
            try:
                analyzer = self._build(active)
            except Exception:
                self._failed = active
                log.exception("models.reload_failed", extra={"model_versions": active})
                return False
            self._swap(analyzer)
            return True

    def start(self) -> None:
        interval = self.settings.model_refresh_seconds
        if interval <= 0:
            return
        self._thread = threading.Thread(
            target=self._poll, args=(interval,), name="voc-model-switch", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _poll(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.refresh()
            except Exception:
                log.exception("models.refresh_failed")

    def _build(self, versions: dict[str, str]) -> Analyzer:
        return load_analyzer(
            self.settings, registry=self.registry, versions=versions, reuse=self.analyzer
        )

    def _swap(self, analyzer: Analyzer) -> None:
        previous = self.analyzer.model_versions
        self.batcher.analyzer = analyzer
        self._failed = None
        log.info(
            "models.swapped",
            extra={"model_versions": analyzer.model_versions, "previous": previous},
        )
