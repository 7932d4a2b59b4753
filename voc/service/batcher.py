"""Group concurrent online requests into one `Analyzer.analyze` call.

Web threads submit their documents and wait; one worker thread takes everything queued
(waiting at most `wait_ms` for more to arrive), runs one analysis per feature set, and hands
each request its results. The queue is bounded in documents: past the bound, `submit`
raises `Overloaded` at once (the API answers 429) instead of queueing without end. The
worker is also the only thread that touches the models, so tokenizers and ONNX sessions
are never shared between threads.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from voc.nlp.analyzer import Analyzer
from voc.nlp.types import Analysis, Feedback

log = logging.getLogger(__name__)


class Overloaded(RuntimeError):
    """Too many documents are already waiting for the encoder."""


@dataclass
class _Pending:
    feedback: Sequence[Feedback]
    features: frozenset[str]
    future: Future = field(default_factory=Future)
    model_versions: dict[str, str] = field(default_factory=dict)
    """Versions of the analyzer that answered (set before the future resolves)."""


class Batcher:
    def __init__(
        self, analyzer: Analyzer, *, wait_ms: float, max_queued_documents: int, max_batch: int = 256
    ) -> None:
        self.analyzer = analyzer
        self.wait_s = wait_ms / 1000
        self.max_queued_documents = max_queued_documents
        self.max_batch = max_batch
        self._queue: deque[_Pending] = deque()
        self._queued_documents = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="voc-batcher", daemon=True)
        self._thread.start()

    def submit(self, feedback: Sequence[Feedback], features: Collection[str]) -> Future:
        """Queue documents for analysis; the future resolves to their `Analysis` list."""
        return self._submit(feedback, features).future

    def _submit(self, feedback: Sequence[Feedback], features: Collection[str]) -> _Pending:
        pending = _Pending(list(feedback), frozenset(features))
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if self._queued_documents + len(feedback) > self.max_queued_documents:
                raise Overloaded(f"{self._queued_documents} documents are already queued")
            self._queue.append(pending)
            self._queued_documents += len(feedback)
            self._cond.notify()
        return pending

    def analyze(
        self, feedback: Sequence[Feedback], features: Collection[str], timeout: float = 60
    ) -> list[Analysis]:
        return self.analyze_versioned(feedback, features, timeout)[0]

    def analyze_versioned(
        self, feedback: Sequence[Feedback], features: Collection[str], timeout: float = 60
    ) -> tuple[list[Analysis], dict[str, str]]:
        """Analyses and the model versions that produced them (models can be swapped between
        two batches, so the versions come from the batch, not from the current analyzer)."""
        pending = self._submit(feedback, features)
        return pending.future.result(timeout=timeout), pending.model_versions

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _take_batch(self) -> list[_Pending]:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return []
            deadline = time.monotonic() + self.wait_s
            while self._queued_documents < self.max_batch:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch, size = [], 0
            while self._queue and (
                not batch or size + len(self._queue[0].feedback) <= self.max_batch
            ):
                item = self._queue.popleft()
                batch.append(item)
                size += len(item.feedback)
            self._queued_documents -= size
            return batch

    def _loop(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                return
            by_features: dict[frozenset[str], list[_Pending]] = {}
            for item in batch:
                by_features.setdefault(item.features, []).append(item)
            for features, items in by_features.items():
                self._run(features, items)

    def _run(self, features: frozenset[str], items: list[_Pending]) -> None:
        documents = [f for item in items for f in item.feedback]
        analyzer = self.analyzer  # read once: a swap during this batch applies to the next
        try:
            results = analyzer.analyze(documents, features=features)
            versions = analyzer.model_versions
        except Exception as err:
            log.exception("batch.failed", extra={"documents": len(documents)})
            for item in items:
                item.future.set_exception(err)
            return
        offset = 0
        for item in items:
            item.model_versions = versions
            item.future.set_result(results[offset : offset + len(item.feedback)])
            offset += len(item.feedback)
