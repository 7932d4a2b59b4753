"""Keep a running service on the registry's active model versions, without a restart.

The models live in one `ActiveModels` (`voc.registry.provider`) that every part of the
service reads: the batcher, the in-process job worker, reports and topic fits. An activation
builds a new `Analyzer` off to the side (sharing the encoder, segmenter and every component
whose version did not change), then swaps it in: the batcher reads its reference once per
batch and the job worker once per chunk, so work in flight finishes on the analyzer it
started with and reports that analyzer's versions; nothing fails.

Activations made elsewhere (`voc models activate`, another process) are picked up by a
thread that reads the activation log every `Settings.model_refresh_seconds`.
"""

from __future__ import annotations

import logging
import threading

from voc.nlp.analyzer import Analyzer
from voc.registry import store
from voc.registry.entry import Entry
from voc.registry.provider import ActiveModels
from voc.service.batcher import Batcher

log = logging.getLogger(__name__)


class ModelSwitch:
    def __init__(self, models: ActiveModels, batcher: Batcher) -> None:
        self.models = models
        self.settings = models.settings
        self.registry = models.registry
        self.batcher = batcher
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def analyzer(self) -> Analyzer:
        return self.models.analyzer

    def activate(
        self, name: str, version: str, *, force: bool, by: str | None = None
    ) -> store.ActivationResult:
        """Check, load off to the side, record, swap: a version that fails to load is never
        recorded as active."""
        with self.models.lock:
            staged: list[Analyzer] = []

            def build(entry: Entry) -> None:
                staged.append(self.models.stage({name: entry.version}))

            result = self.registry.activate(name, version, force=force, before_record=build, by=by)
            if staged:
                self._swap(staged[0])
            return result

    def rollback(self, name: str, *, by: str | None = None) -> store.ActivationResult:
        with self.models.lock:
            staged: list[Analyzer] = []
            result = self.registry.rollback(
                name,
                before_record=lambda e: staged.append(self.models.stage({name: e.version})),
                by=by,
            )
            self._swap(staged[0])
            return result

    def refresh(self) -> bool:
        """Swap to the recorded active versions if they differ from what is served."""
        with self.models.lock:
            swapped = self.models.refresh()
            self.batcher.analyzer = self.models.analyzer
            return swapped

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

    def _swap(self, analyzer: Analyzer) -> None:
        self.models.swap(analyzer)
        self.batcher.analyzer = analyzer
