"""Job reports kept in memory, keyed by what they depend on.

A job report takes a topic fit over every comment (a minute on thousands); it depends only on
the job's committed results (its status, done/failed counts and erased count say whether they
changed) and on the model versions that analysed and fitted it. The key, the job id first,
holds all of these, so a report is recomputed exactly when one changes, and replaces the
job's report built before; the `MAX_REPORTS` most recent are kept. Deleting a job or erasing
a customer's documents drops the reports of the jobs touched (`drop`), and the erased count
changes the key in every other process: a report holds comment texts, so none outlives its
documents.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

MAX_REPORTS = 8


class ReportCache:
    def __init__(self, size: int = MAX_REPORTS) -> None:
        self._reports: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            if key in self._reports:
                self._reports.move_to_end(key)
                return self._reports[key]
        report = build()
        with self._lock:
            for older in [k for k in self._reports if k[0] == key[0]]:
                del self._reports[older]
            self._reports[key] = report
            while len(self._reports) > self._size:
                self._reports.popitem(last=False)
        return report

    def drop(self, job_ids: Iterable[str]) -> None:
        gone = set(job_ids)
        with self._lock:
            for key in [k for k in self._reports if k[0] in gone]:
                del self._reports[key]
