"""One model lifecycle: the analyzer a process works with, kept on the registry's active
versions.

`voc serve` holds one `ActiveModels` and every part of it reads the analyzer from there: the
batcher, the in-process job worker, reports and topic fits (one model set per process, and an
activation reaches them all). A `voc worker` process holds its own and follows activations
between chunks. A new analyzer is built off to the side, sharing the encoder, the segmenter
and every component whose version did not change (`Analyzer.load(reuse=...)`), then swapped
in one assignment: work in flight finishes on the analyzer it started with.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from voc.config import Settings
from voc.nlp.analyzer import Analyzer
from voc.registry.loader import load_analyzer
from voc.registry.store import Registry

log = logging.getLogger(__name__)


class ActiveModels:
    def __init__(
        self,
        settings: Settings,
        registry: Registry | None = None,
        *,
        analyzer: Analyzer | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry or Registry.from_settings(settings)
        self._analyzer = analyzer
        self._lock = threading.RLock()
        self._failed: dict[str, str] | None = None
        self._checked = time.monotonic()

    @property
    def analyzer(self) -> Analyzer:
        """The analyzer now serving (loaded on first use: after any fork)."""
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    self._analyzer = load_analyzer(self.settings, registry=self.registry)
        return self._analyzer

    def current(self) -> Analyzer:
        """The analyzer, first brought onto the recorded active versions when
        `Settings.model_refresh_seconds` passed since the last look (0: never looks)."""
        interval = self.settings.model_refresh_seconds
        if interval > 0 and time.monotonic() - self._checked >= interval:
            self.refresh()
        return self.analyzer

    def stage(self, versions: Mapping[str, str]) -> Analyzer:
        """An analyzer with `versions` instead of the served ones, not yet serving."""
        return load_analyzer(
            self.settings, registry=self.registry, versions=versions, reuse=self.analyzer
        )

    def swap(self, analyzer: Analyzer) -> None:
        previous = self.analyzer.model_versions
        self._analyzer = analyzer
        self._failed = None
        log.info(
            "models.swapped",
            extra={"model_versions": analyzer.model_versions, "previous": previous},
        )

    def refresh(self) -> bool:
        """Swap to the recorded active versions if they differ from what is served; a set
        that failed to load is not retried until the activations change again."""
        with self._lock:
            self._checked = time.monotonic()
            active = {name: e.version for name, e in self.registry.active().items()}
            served = self.analyzer.model_versions
            if all(served.get(name) == version for name, version in active.items()):
                return False
            if active == self._failed:
                return False
            try:
                analyzer = self.stage(active)
            except Exception:
                self._failed = active
                log.exception("models.reload_failed", extra={"model_versions": active})
                return False
            self.swap(analyzer)
            return True

    @property
    def lock(self) -> threading.RLock:
        """Held while the served versions change (an activation checks, loads and swaps
        under it)."""
        return self._lock
