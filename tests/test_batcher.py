"""The online batcher: concurrent requests share encoder calls and each gets its own answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from voc.nlp.types import Feedback
from voc.service.batcher import Batcher, Overloaded

TEXTS = ["Terrible service", "Excellent, merci !", "Barang cepat sampai", "Servis teruk"]


def test_concurrent_requests_get_their_own_results_in_order(analyzer):
    calls = []
    original = analyzer.analyze

    def counting(feedback, *, features):
        calls.append(len(feedback))
        return original(feedback, features=features)

    batcher = Batcher(analyzer, wait_ms=20, max_queued_documents=1000)
    batcher.analyzer = type(
        "Counting",
        (),
        {"analyze": staticmethod(counting), "model_versions": analyzer.model_versions},
    )()
    try:
        requests = [
            [Feedback(id=f"{r}-{i}", text=TEXTS[(r + i) % 4]) for i in range(3)] for r in range(8)
        ]
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda docs: batcher.analyze(docs, ["sentiment"]), requests))
    finally:
        batcher.close()
    for docs, analyses in zip(requests, results, strict=True):
        assert [a.id for a in analyses] == [d.id for d in docs]
    assert sum(calls) == 24
    assert len(calls) < 8, "concurrent requests should share encoder calls"


def test_queue_is_bounded(analyzer):
    batcher = Batcher(analyzer, wait_ms=1, max_queued_documents=2)
    try:
        with pytest.raises(Overloaded):
            batcher.submit([Feedback(id=str(i), text="ok") for i in range(3)], ["sentiment"])
    finally:
        batcher.close()
