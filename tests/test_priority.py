"""Background threads yield the CPU to web threads (`voc.service.priority`)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from voc.config import ConfigError, Settings
from voc.service.priority import lower_background_threads

# Run in a child process: nice values only ever rise without privileges, and the pytest
# process's own threads (a loaded encoder's pool) must keep theirs.
SCENARIO = textwrap.dedent(
    """
    import os, threading
    from voc.service.priority import lower_background_threads

    def nice(tid):
        return os.getpriority(os.PRIO_PROCESS, tid)

    started, stop, ids = threading.Event(), threading.Event(), {}

    def background():
        ids["background"] = threading.get_native_id()
        started.set()
        stop.wait(10)

    worker = threading.Thread(target=background)
    worker.start()
    started.wait(10)
    caller = threading.get_native_id()
    before_caller, before_background = nice(caller), nice(ids["background"])
    assert lower_background_threads(3) >= 1
    assert nice(ids["background"]) == min(19, before_background + 3), "background not lowered"
    assert nice(caller) == before_caller, "the caller was lowered"
    later = threading.Thread(target=lambda: ids.update(later=nice(0)))
    later.start()
    later.join(10)
    assert ids["later"] == before_caller, "a thread started afterwards lost its priority"
    stop.set()
    worker.join(10)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are Linux's")
def test_every_other_thread_is_lowered_and_the_caller_and_its_new_threads_are_not():
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_zero_changes_nothing():
    assert lower_background_threads(0) == 0


def test_niceness_is_validated_at_the_boundary():
    with pytest.raises(ConfigError, match="background_niceness"):
        Settings(background_niceness=20)
