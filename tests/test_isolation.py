"""One client never harms another: hostile texts fail alone, in their own request."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from voc.nlp.types import SUPPORTED_LANGUAGES, Feedback
from voc.nlp.validation import DocumentError, validate_document
from voc.service.batcher import Batcher
from voc.service.server import make_server

CLEAN = [
    {"id": "en", "text": "The delivery was late and nobody answered the phone."},
    {"id": "fr", "text": "Livraison rapide, merci beaucoup !"},
    {"id": "id", "text": "Barang cepat sampai, penjual ramah."},
    {"id": "ms", "text": "Servis pelanggan sangat teruk."},
]
HOSTILE_BODIES = [
    b'{"documents": [{"id": "s", "text": "\\ud800"}]}',
    b'{"documents": [{"id": "s", "text": "ok \\udfff\\ud800 ok"}]}',
    b'{"documents": [{"id": "\\ud800", "text": "hello"}]}',
    b'{"documents": [{"id": "a\\u0000b", "text": "hello"}]}',
    b'{"documents": [{"id": "m", "text": "hi", "metadata": {"k": "\\udc00"}}]}',
    b'{"documents": [{"id": "n", "text": "hi", "metadata": {"customer_value": 1e400}}]}',
    b'{"documents": [{"id": "c", "text": "<!--<script>\\u0000"}]}',
    b'{"documents": [' + b"[" * 990 + b"]" * 990 + b"]}",
    b'{"documents": [{"id": "big", "text": "x", "metadata": {"n": ' + b"9" * 5000 + b"}}]}",
]


def _validate(raw):
    return validate_document(
        raw, index=0, max_characters=5000, supported_languages=SUPPORTED_LANGUAGES
    )


def test_text_is_validated_as_the_tokenizers_see_it():
    surrogate = _validate({"id": "a", "text": "fine \ud800 text"})
    assert isinstance(surrogate, DocumentError) and surrogate.code == "InvalidText"
    assert "\ud800" not in surrogate.message
    repaired = _validate({"id": "a", "text": "\x93Great\x94 service, it\x92s 5 \x80"})
    assert isinstance(repaired, Feedback)
    assert repaired.text == "“Great” service, it’s 5 €"
    mojibake = _validate({"id": "a", "text": "Itâ\x80\x99s fine"})
    assert mojibake.text == "It’s fine"
    assert _validate({"id": "a", "text": "déjà “vu”"}).text == "déjà “vu”"  # untouched
    unassigned = _validate({"id": "a", "text": "ok \x81 ok"})  # not cp1252: still refused
    assert isinstance(unassigned, DocumentError) and unassigned.code == "InvalidText"


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"id": "a\x00b", "text": "hi"}, "id"),
        ({"id": "\ud800", "text": "hi"}, "id"),
        ({"id": "a", "text": "hi", "metadata": {"k": "\udc00"}}, "metadata.k"),
        ({"id": "a", "text": "hi", "metadata": {"\udc00": 1}}, "metadata key #1"),
        ({"id": "a", "text": "hi", "metadata": {"v": float("nan")}}, "metadata.v"),
        ({"id": "a", "text": "hi", "metadata": {"v": [1, float("inf")]}}, "metadata.v[1]"),
    ],
)
def test_ids_and_metadata_that_cannot_be_written_back_are_refused_unechoed(raw, field):
    error = _validate(raw)
    assert isinstance(error, DocumentError)
    assert field in error.message
    assert error.id in (None, "a")
    assert all(c not in error.message for c in ("\x00", "\ud800", "\udc00"))


def test_a_poisoned_batch_fails_only_the_poisoned_document(analyzer):
    """Even a document that slipped past validation fails alone, in its own request."""
    batcher = Batcher(analyzer, wait_ms=50, max_queued_documents=100)
    clean = [Feedback(id=d["id"], text=d["text"]) for d in CLEAN]
    poisoned = [clean[0], Feedback(id="bad", text="\ud800"), clean[1]]
    try:
        futures = [
            batcher.submit(clean, ["sentiment"]),
            batcher.submit(poisoned, ["sentiment"]),
            batcher.submit(clean[2:], ["sentiment"]),
        ]
        answers = [f.result(timeout=60) for f in futures]
    finally:
        batcher.close()
    assert [a.id for a in answers[0]] == [d["id"] for d in CLEAN]
    assert [a.id for a in answers[2]] == ["id", "ms"]
    first, bad, last = answers[1]
    assert (first.id, last.id) == ("en", "fr")
    assert isinstance(bad, DocumentError) and bad.code == "AnalysisFailed" and bad.id == "bad"
    assert batcher.in_flight == 0


def test_analyze_answers_hostile_documents_as_their_own_errors(client):
    body = (
        b'{"features": ["sentiment"], "documents": ['
        b'{"id": "ok", "text": "Great service"}, {"id": "s", "text": "\\ud800 hi"},'
        b'{"id": "\\udfff", "text": "hi"}, {"id": "n\\u0000", "text": "hi"},'
        b'{"id": "c1", "text": "\\u0093Nice\\u0094"}]}'
    )
    response = client.post("/v1/analyze", data=body, content_type="application/json")
    assert response.status_code == 200
    raw = response.get_data()
    assert b"\\ud800" not in raw and b"\\udfff" not in raw and b"\\u0000" not in raw
    answer = response.get_json()
    assert [d["id"] for d in answer["documents"]] == ["ok", "c1"]
    codes = sorted((e["id"] or "", e["code"]) for e in answer["errors"])
    assert codes == [("", "InvalidDocument"), ("", "InvalidDocument"), ("s", "InvalidText")]


def test_a_job_with_a_hostile_row_finishes_with_an_error_on_that_row(client, wait_for_job):
    body = (
        b'{"features": ["language"], "documents": ['
        b'{"id": "ok", "text": "Great service"}, {"id": "s", "text": "\\ud800"}]}'
    )
    response = client.post("/v1/jobs", data=body, content_type="application/json")
    assert response.status_code == 202, response.get_data(as_text=True)
    job = wait_for_job(client, response.get_json()["job_id"])
    assert job["progress"] == {"total": 2, "done": 1, "failed": 1}


@pytest.fixture()
def live_url(app, settings):
    server = make_server(app, settings, host="127.0.0.1", port=0, threads=8)  # as `voc serve`
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def _post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{url}/v1/analyze", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.slow
def test_poisoned_neighbours_never_fail_clean_clients(live_url):
    """Clean clients and clients sending hostile texts, concurrently, through the real server."""
    clean_body = json.dumps({"features": ["sentiment", "language"], "documents": CLEAN}).encode()
    stop = time.monotonic() + 8
    clean_failures, clean_ok, hostile_statuses = [], [0], []

    def clean_client() -> None:
        while time.monotonic() < stop:
            status, answer = _post(live_url, clean_body)
            if status != 200 or [d["id"] for d in answer["documents"]] != [d["id"] for d in CLEAN]:
                clean_failures.append((status, answer))
            else:
                clean_ok[0] += 1

    def hostile_client(offset: int) -> None:
        number = offset
        while time.monotonic() < stop:
            status, _ = _post(live_url, HOSTILE_BODIES[number % len(HOSTILE_BODIES)])
            hostile_statuses.append(status)
            number += 1

    with ThreadPoolExecutor(6) as pool:
        tasks = [pool.submit(clean_client) for _ in range(3)]
        tasks += [pool.submit(hostile_client, n) for n in range(3)]
        for task in tasks:
            task.result()
    assert clean_failures == []
    assert clean_ok[0] > 10
    assert hostile_statuses and set(hostile_statuses) <= {200, 400}
    print(f"clean requests ok: {clean_ok[0]}, hostile requests: {len(hostile_statuses)}")
