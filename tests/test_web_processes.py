"""`voc serve --processes N`: several web processes on one socket, stopped together."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace

import pytest

from voc.config import ConfigError, Settings
from voc.service.processes import process_share
from voc.service.server import analysis_slots, make_server
from voc.service.state import state


def test_each_process_takes_its_share_of_threads_and_admission():
    settings = Settings(threads=4, max_queued_documents=400, web_processes=2)
    share = process_share(settings)
    assert (share.threads, share.max_queued_documents) == (2, 200)
    assert analysis_slots(16, 2) == 7 and analysis_slots(16) == 14 and analysis_slots(3, 4) == 1
    # shares are rounded up: together the processes never admit less than one would
    assert analysis_slots(16, 3) == 5
    thirds = process_share(Settings(max_queued_documents=2000, web_processes=3))
    assert thirds.max_queued_documents == 667
    assert process_share(Settings(threads=1, web_processes=3)).threads == 1
    one = process_share(Settings(threads=0))  # one per core, as before
    assert one.threads == (os.cpu_count() or 1) and one.max_queued_documents == 400


def test_web_processes_are_validated_and_read_from_the_environment(monkeypatch):
    with pytest.raises(ConfigError, match="web_processes"):
        Settings(web_processes=0)
    monkeypatch.setenv("VOC_WEB_PROCESSES", "2")
    assert Settings.from_env().web_processes == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, json.loads(answer.read())


def _events(log_path, event: str) -> list[dict]:
    lines = log_path.read_text(encoding="utf-8").splitlines()
    found = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("event") == event:
            found.append(record)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture()
def two_processes(tmp_path):
    """`voc serve --processes 2` on a free port, both children listening; yields (parent,
    port, child pids, log path)."""
    port, log_path = _free_port(), tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'voc.sqlite3'}",
        "VOC_VAR_DIR": str(tmp_path),
    }
    with log_path.open("wb") as log:
        parent = subprocess.Popen(
            [sys.executable, "-m", "voc.cli", "serve", "--port", str(port), "--processes", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 240
        while len(_events(log_path, "serve.listening")) < 2:
            assert parent.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, "the two web processes did not start"
            time.sleep(0.5)
        (started,) = _events(log_path, "serve.processes")
        yield parent, port, started["pids"], log_path
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.wait()
        for pid in _events(log_path, "serve.processes")[0]["pids"]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.models
def test_two_processes_answer_on_one_port_and_stop_together(two_processes):
    parent, port, pids, _ = two_processes
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    status, answer = _get(
        port,
        "/v1/analyze",
        {
            "documents": [
                {"id": "fr", "text": "Colis reçu avec deux semaines de retard, très déçu."},
                {"id": "ms", "text": "Penghantaran sangat lambat, saya kecewa."},
            ]
        },
    )
    assert status == 200
    assert [d["sentiment"]["label"] for d in answer["documents"]] == ["negative", "negative"]
    assert all(_get(port, "/healthz")[0] == 200 for _ in range(40))
    # whichever process answers the scrape counts the health checks of both
    for _ in range(6):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
            scraped = answer.read().decode()
        assert 'voc_http_requests_total{endpoint="/healthz",method="GET",status="200"} 40.0' in (
            scraped
        )
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=60) == 0
    assert not any(_alive(pid) for pid in pids)


@pytest.mark.slow
@pytest.mark.models
def test_one_process_dying_stops_the_service(two_processes):
    parent, _, pids, log_path = two_processes
    os.kill(pids[0], signal.SIGKILL)
    assert parent.wait(timeout=60) == 128 + signal.SIGKILL
    assert not _alive(pids[1])
    (stopped,) = _events(log_path, "serve.stopped")
    assert stopped["pid"] == pids[0] and not stopped["asked"]


def _refused_twice(app, settings: Settings) -> list[tuple[int, str | None, bool]]:
    """Two `POST /v1/analyze` on one keep-alive connection to a real server admitting
    nothing: (status, `Connection` header, whether the request reused the first socket)."""
    server = make_server(app, settings, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    state(app).batcher.max_requests = 0  # every analysis slot taken
    connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
    body = json.dumps({"documents": [{"id": "1", "text": "Pesanan saya lambat."}]})
    answers, first_socket = [], None
    try:
        for _ in range(2):
            connection.request("POST", "/v1/analyze", body, {"Content-Type": "application/json"})
            reused = connection.sock is first_socket
            first_socket = first_socket or connection.sock
            response = connection.getresponse()
            assert json.loads(response.read())["error"]["code"] == "Overloaded"
            assert response.getheader("Retry-After")
            answers.append((response.status, response.getheader("Connection"), reused))
    finally:
        connection.close()
        server.close()
    return answers


@pytest.mark.models
def test_a_refusal_closes_the_connection_only_when_processes_share_the_socket(own_app, settings):
    """With several processes a refused client must be able to land on another one; alone,
    its keep-alive connection is kept."""
    shared = replace(settings, web_processes=2)
    assert _refused_twice(own_app(web_processes=2), shared) == [(429, "close", False)] * 2
    assert _refused_twice(own_app(), settings) == [(429, None, False), (429, None, True)]
