"""CPU priority of the service's background threads (Linux).

On a machine with few cores the encoder's threads, the batcher and the job workers take every
core under load, and a web thread that only has to answer `/healthz` or refuse a request with
429 waits for a core like any analysis. Linux schedules each thread on its own nice value, and
a thread inherits its creator's, so lowering the priority of every thread that exists once the
models are loaded (the ONNX Runtime pool, the batcher, alert and job workers) and starting the
web threads afterwards from the untouched main thread gives the web threads the CPU first
without costing analysis anything when they are idle. Threads those background threads create
later (a model switch's new encoder pool) inherit the lower priority too.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

TASKS = Path("/proc/self/task")


def lower_background_threads(niceness: int) -> int:
    """Add `niceness` to the nice value of every thread of this process but the caller's;
    returns how many threads were changed (0 where the platform has no per-thread priority)."""
    if niceness <= 0 or not TASKS.is_dir():
        return 0
    caller = threading.get_native_id()
    changed = 0
    for entry in TASKS.iterdir():
        tid = int(entry.name)
        if tid == caller:
            continue
        try:
            current = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, current + niceness))
        except (ProcessLookupError, PermissionError):  # the thread ended meanwhile
            continue
        changed += 1
    log.info("serve.background_priority", extra={"threads": changed, "niceness": niceness})
    return changed
