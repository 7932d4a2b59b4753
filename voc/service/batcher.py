"""Group concurrent online requests into one `Analyzer.analyze` call.

Web threads submit their documents and wait; one worker thread takes everything queued
(waiting at most `wait_ms` for more to arrive), runs one analysis per feature set, and hands
each request its results. Admission is bounded in documents in flight (waiting or being
analysed): past the bound, `submit` raises `Overloaded` at once (the API answers 429)
instead of queueing without end. Each request carries its deadline: work whose caller has
given up (deadline passed, future cancelled) is dropped, never run. Request threads never
touch the models: online analysis runs here, reports and topic fits on the model-work
thread (`model_work.py`), job chunks on the job worker's (the encoder and the segmenter
serialise their callers).

One request never fails another: when a merged batch raises, the worker runs each request
alone, then each document of a failing request alone, and a document that still fails is
answered as a `DocumentError` in its own request (one log line, no traceback).
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
from voc.nlp.journey import Journey
from voc.nlp.taxonomy import Taxonomy
from voc.nlp.types import Analysis, Feedback
from voc.nlp.validation import DocumentError

log = logging.getLogger(__name__)


class Overloaded(RuntimeError):
    """Too many documents are already in flight."""


class DeadlineExceeded(TimeoutError):
    """The request's deadline passed before its documents were analysed."""


@dataclass(frozen=True)
class _Options:
    """What one `Analyzer.analyze` call shares: requests differing in any of it run apart."""

    features: frozenset[str]
    taxonomy: Taxonomy | None = None
    journey: Journey | None = None


@dataclass
class _Pending:
    feedback: Sequence[Feedback]
    options: _Options
    deadline: float = float("inf")
    """`time.monotonic()` after which nobody waits for the answer: the work is dropped."""
    future: Future = field(default_factory=Future)
    model_versions: dict[str, str] = field(default_factory=dict)
    """Versions of the analyzer that answered (set before the future resolves)."""


class Batcher:
    def __init__(
        self,
        analyzer: Analyzer,
        *,
        wait_ms: float,
        max_queued_documents: int,
        max_requests: int = 1_000_000,
        max_batch: int = 256,
    ) -> None:
        self.analyzer = analyzer
        self.wait_s = wait_ms / 1000
        self.max_queued_documents = max_queued_documents
        self.max_requests = max_requests
        """Requests admitted at once (each holds a web thread while it waits)."""
        self._requests = 0
        self.max_batch = max_batch
        self._queue: deque[_Pending] = deque()
        self._queued_documents = 0
        self._in_flight = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="voc-batcher", daemon=True)
        self._thread.start()

    def submit(self, feedback: Sequence[Feedback], features: Collection[str], **options) -> Future:
        """Queue documents for analysis; the future resolves to their `Analysis` list.
        `options`: `taxonomy` and `journey` (None: the shipped ones)."""
        return self._submit(feedback, features, **options).future

    def _submit(
        self,
        feedback: Sequence[Feedback],
        features: Collection[str],
        *,
        taxonomy: Taxonomy | None = None,
        journey: Journey | None = None,
        timeout: float | None = None,
    ) -> _Pending:
        pending = _Pending(list(feedback), _Options(frozenset(features), taxonomy, journey))
        if timeout is not None:
            pending.deadline = time.monotonic() + timeout
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            if self._in_flight + len(feedback) > self.max_queued_documents:
                raise Overloaded(f"{self._in_flight} documents are already in flight")
            if self._requests >= self.max_requests:
                raise Overloaded(f"{self._requests} requests are already in flight")
            self._queue.append(pending)
            self._queued_documents += len(feedback)
            self._in_flight += len(feedback)
            self._requests += 1
            self._cond.notify()
        pending.future.add_done_callback(lambda _: self._release(len(pending.feedback)))
        return pending

    def check_admission(self) -> None:
        """Raise `Overloaded` when no request would be admitted now: a cheap look before a
        request's body is parsed, so refusing costs nothing under overload (`submit` still
        decides, exactly)."""
        if self._requests >= self.max_requests or self._in_flight >= self.max_queued_documents:
            raise Overloaded(f"{self._requests} requests are already in flight")

    def _release(self, documents: int) -> None:
        with self._cond:
            self._in_flight -= documents
            self._requests -= 1

    @property
    def in_flight(self) -> int:
        """Documents admitted and not yet answered (waiting or being analysed)."""
        return self._in_flight

    def analyze(
        self,
        feedback: Sequence[Feedback],
        features: Collection[str],
        timeout: float = 60,
        **options,
    ) -> list[Analysis]:
        return self.analyze_versioned(feedback, features, timeout, **options)[0]

    def analyze_versioned(
        self,
        feedback: Sequence[Feedback],
        features: Collection[str],
        timeout: float = 60,
        **options,
    ) -> tuple[list[Analysis], dict[str, str]]:
        """Analyses and the model versions that produced them (models can be swapped between
        two batches, so the versions come from the batch, not from the current analyzer).
        Raises `DeadlineExceeded` after `timeout` s; work not yet started is then dropped."""
        pending = self._submit(feedback, features, timeout=timeout, **options)
        try:
            return pending.future.result(timeout=timeout), pending.model_versions
        except TimeoutError as err:
            pending.future.cancel()  # no effect once running; else the worker skips it
            raise DeadlineExceeded(f"no answer within {timeout} s") from err

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
            batch, size, now = [], 0, time.monotonic()
            while self._queue and (
                not batch or size + len(self._queue[0].feedback) <= self.max_batch
            ):
                item = self._queue.popleft()
                self._queued_documents -= len(item.feedback)
                if not item.future.set_running_or_notify_cancel():
                    continue  # its caller gave up
                if now > item.deadline:
                    item.future.set_exception(DeadlineExceeded("dropped after its deadline"))
                    continue
                batch.append(item)
                size += len(item.feedback)
            return batch

    def _loop(self) -> None:
        while True:
            batch = self._take_batch()
            if not batch:
                if self._closed:
                    return
                continue
            by_options: dict[_Options, list[_Pending]] = {}
            for item in batch:
                by_options.setdefault(item.options, []).append(item)
            for options, items in by_options.items():
                self._run(options, items)

    def _run(self, options: _Options, items: list[_Pending]) -> None:
        analyzer = self.analyzer  # read once: a swap during this batch applies to the next
        documents = [f for item in items for f in item.feedback]
        try:
            results: list[Analysis | DocumentError] = list(
                self._analyze(analyzer, options, documents)
            )
        except Exception:
            if len(items) > 1:  # someone's request poisons the batch: find whose
                for item in items:
                    self._run_alone(analyzer, options, item)
                return
            results = [self._analyze_one(analyzer, options, f) for f in documents]
        offset = 0
        for item in items:
            item.model_versions = analyzer.model_versions
            item.future.set_result(results[offset : offset + len(item.feedback)])
            offset += len(item.feedback)

    def _run_alone(self, analyzer: Analyzer, options: _Options, item: _Pending) -> None:
        try:
            results = list(self._analyze(analyzer, options, item.feedback))
        except Exception:
            results = [self._analyze_one(analyzer, options, f) for f in item.feedback]
        item.model_versions = analyzer.model_versions
        item.future.set_result(results)

    def _analyze_one(
        self, analyzer: Analyzer, options: _Options, feedback: Feedback
    ) -> Analysis | DocumentError:
        try:
            return self._analyze(analyzer, options, [feedback])[0]
        except Exception as err:
            log.warning("document.analysis_failed", extra={"error_type": type(err).__name__})
            return DocumentError(
                feedback.id,
                "AnalysisFailed",
                f"this document could not be analysed ({type(err).__name__}); it is logged",
            )

    @staticmethod
    def _analyze(
        analyzer: Analyzer, options: _Options, documents: Sequence[Feedback]
    ) -> list[Analysis]:
        return analyzer.analyze(
            documents,
            features=options.features,
            taxonomy=options.taxonomy,
            journey=options.journey,
        )
