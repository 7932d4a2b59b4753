"""Model work beyond online analysis (job reports, topic fits) runs on one thread of its own.

A request that needs such work hands it over and waits for the answer: the models are used
by a fixed set of threads (the batcher, this one, the in-process job worker), never by the
web server's request threads, and at most one report or fit computes at a time however many
requests ask for one.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class ModelWork:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voc-model-work")

    def run(self, work: Callable[[], T]) -> T:
        """`work()` on the model-work thread; its result or its exception, here."""
        return self._pool.submit(work).result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
