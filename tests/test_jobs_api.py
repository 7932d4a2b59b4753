"""`/v1/jobs` on the real app: submit JSON or files, progress, results, idempotency, stop."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from voc.report.export import XLSX_MIMETYPE

DOCS = [
    {"id": "en-1", "text": "The parcel arrived two weeks late and nobody answered my emails."},
    {
        "id": "fr-1",
        "text": "Super expérience, le personnel était adorable. Mais le prix est élevé.",
    },
    {"id": "id-1", "text": "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari."},
    {"id": "ms-1", "text": "Perkhidmatan sangat baik, kakitangan mesra dan penghantaran pantas."},
]
MORE_TEXTS = [d["text"] for d in DOCS] + [
    "Great app, but it crashes when I pay.",
    "Le remboursement a pris un mois.",
    "Aplikasinya lambat sekali.",
    "Saya puas hati dengan layanan ini.",
]


def submit(client, payload=None, **kwargs):
    response = client.post("/v1/jobs", json=payload, **kwargs)
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"] == f"/v1/jobs/{body['job_id']}"
    return body


def upload(client, data: bytes, filename: str, **form):
    return client.post(
        "/v1/jobs",
        data={"file": (io.BytesIO(data), filename), **form},
        content_type="multipart/form-data",
    )


def result_lines(client, job_id: str) -> list[dict]:
    response = client.get(f"/v1/jobs/{job_id}/results")
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_json_job_gives_the_same_answers_as_analyze(client, wait_for_job):
    bad = {"id": "empty", "text": "  "}
    body = submit(client, {"documents": [*DOCS, bad]})
    assert body["status"] == "SUBMITTED" and body["total"] == 5
    job = wait_for_job(client, body["job_id"])
    assert job["status"] == "PARTIALLY_COMPLETED"
    assert job["progress"] == {"total": 5, "done": 4, "failed": 1}
    assert job["started_at"] and job["finished_at"] and job["error"] is None
    lines = result_lines(client, body["job_id"])
    assert [line["id"] for line in lines] == [*(d["id"] for d in DOCS), "empty"]
    assert lines[-1]["error"]["code"] == "EmptyText"
    assert "documents[4]" in lines[-1]["error"]["message"]
    online = client.post("/v1/analyze", json={"documents": DOCS}).get_json()["documents"]
    assert lines[:4] == online


def test_every_document_refused_fails_the_job(client, wait_for_job):
    body = submit(client, {"documents": [{"id": "a", "text": ""}, {"id": "b", "text": 3}]})
    job = wait_for_job(client, body["job_id"])
    assert job["status"] == "FAILED"
    assert job["progress"] == {"total": 2, "done": 0, "failed": 2}
    assert "refused" in job["error"]


def test_csv_upload_with_bom_quoted_newlines_and_metadata(client, wait_for_job):
    rows = [
        ["ref", "comment", "score", "score_type", "channel"],
        ["r1", "Colis arrivé cassé.\nMais le remboursement était rapide, merci.", "6", "nps", ""],
        ["r2", 'Barang cepat sampai, "mantap"!', "9", "nps", "app"],
        ["r3", "", "3", "nps", "web"],
        ["r4", "ok", "11", "nps", "web"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode("utf-8-sig")
    response = upload(
        client,
        data,
        "feedback.csv",
        text_column="comment",
        id_column="ref",
        metadata_columns="score,score_type,channel",
        features="language,sentiment",
    )
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["warnings"] == []
    job = wait_for_job(client, body["job_id"])
    assert job["source"]["encoding"] == "utf-8-sig"
    assert job["options"]["features"] == ["language", "sentiment"]
    assert job["progress"] == {"total": 4, "done": 2, "failed": 2}
    lines = {line["id"]: line for line in result_lines(client, body["job_id"])}
    assert lines["r1"]["language"]["code"] == "fr"
    assert lines["r2"]["language"]["code"] == "id"
    assert "sentences" not in lines["r1"]
    assert lines["r3"]["error"]["code"] == "EmptyText"
    assert "row 3" in lines["r3"]["error"]["message"]
    assert "'comment'" in lines["r3"]["error"]["message"]
    assert lines["r4"]["error"]["code"] == "InvalidMetadata"
    assert "row 4" in lines["r4"]["error"]["message"]


def test_csv_results_have_one_row_per_document(client, wait_for_job):
    body = submit(client, {"documents": DOCS, "features": ["language", "sentiment"]})
    wait_for_job(client, body["job_id"])
    response = client.get(f"/v1/jobs/{body['job_id']}/results?format=csv")
    assert response.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["id"] for row in table] == [d["id"] for d in DOCS]
    assert table[0]["language.code"] == "en"
    assert table[0]["sentiment.label"] == "negative"
    assert float(table[3]["sentiment.probabilities.positive"]) > 0.5
    assert table[0]["error_code"] == ""


def test_xlsx_results_are_the_coded_comments(client, wait_for_job):
    from openpyxl import load_workbook

    documents = [{**d, "metadata": {"channel": "app"}} for d in DOCS]
    body = submit(client, {"documents": documents, "features": ["language", "sentiment"]})
    wait_for_job(client, body["job_id"])
    response = client.get(f"/v1/jobs/{body['job_id']}/results?format=xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True)["coded comments"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["id", "text", "channel"] and "top_cause" in header
    assert [r[0] for r in rows] == [d["id"] for d in DOCS]
    assert [r[1] for r in rows] == [d["text"] for d in DOCS]
    assert rows[0][header.index("sentiment")] == "negative"


def test_windows_1252_file_is_read_with_a_warning(client, wait_for_job):
    data = "id,text\n1,Café froid et serveur désagréable – décevant\n".encode("cp1252")
    response = upload(client, data, "avis.csv", features="language")
    assert response.status_code == 202
    body = response.get_json()
    assert "Windows-1252" in body["warnings"][0]
    job = wait_for_job(client, body["job_id"])
    assert job["warnings"] == body["warnings"]
    assert result_lines(client, body["job_id"])[0]["language"]["code"] == "fr"


def test_jsonl_and_parquet_uploads(client, wait_for_job, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = "\n".join(
        [json.dumps({"id": d["id"], "body": d["text"]}) for d in DOCS] + ["{not json", "[1]"]
    ).encode()
    body = upload(client, jsonl, "x.jsonl", text_column="body", features="language").get_json()
    job = wait_for_job(client, body["job_id"])
    assert job["progress"] == {"total": 6, "done": 4, "failed": 2}
    errors = [line["error"] for line in result_lines(client, body["job_id"]) if "error" in line]
    assert errors[0]["code"] == "InvalidJson" and "row 5 (line 5)" in errors[0]["message"]
    assert errors[1]["code"] == "InvalidRow"

    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"id": [1, 2], "text": [DOCS[0]["text"], None]}), path)
    body = upload(client, path.read_bytes(), "x.parquet", features="language").get_json()
    job = wait_for_job(client, body["job_id"])
    lines = result_lines(client, body["job_id"])
    assert lines[0]["id"] == "1" and lines[0]["language"]["code"] == "en"
    assert lines[1]["error"]["code"] == "InvalidText"


def assert_error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    return error["message"]


@pytest.mark.parametrize(
    ("data", "filename", "form", "code", "hint"),
    [
        (b"", "empty.csv", {}, "EmptyFile", "0 bytes"),
        (b"id,comment\n1,hello\n", "x.csv", {}, "MissingColumn", "'comment'"),
        (b"id,text\n1,hello\n", "x.csv", {"text_column": "body"}, "MissingColumn", "'body'"),
        (b"\x00\x01\x02binary\x00", "x.csv", {}, "InvalidEncoding", "NUL"),
        (b"id,text\n1,a\n", "x.doc", {}, "UnsupportedFormat", ".xlsx"),
        (b"id,text\n1,a\n", "x.xlsx", {}, "InvalidXlsx", "xlsx"),
        (b"PAR1 not really", "x.parquet", {}, "InvalidParquet", "Parquet"),
        (b"\n\n", "x.csv", {}, "EmptyFile", "header"),
    ],
)
def test_malformed_files_get_a_clear_error(client, data, filename, form, code, hint):
    before = len(client.get("/v1/jobs?limit=500").get_json()["jobs"])
    message = assert_error(upload(client, data, filename, **form), 400, code)
    assert hint in message
    assert len(client.get("/v1/jobs?limit=500").get_json()["jobs"]) == before


def test_ragged_rows_are_per_row_errors(client, wait_for_job):
    data = b'id,text\n1,"fine, quoted"\n2,too,many\n3\n4,also fine\n'
    body = upload(client, data, "x.csv", features="language").get_json()
    job = wait_for_job(client, body["job_id"])
    assert job["status"] == "PARTIALLY_COMPLETED"
    errors = [line["error"] for line in result_lines(client, body["job_id"]) if "error" in line]
    assert [e["code"] for e in errors] == ["RaggedRow", "RaggedRow"]
    assert "row 2 (line 3)" in errors[0]["message"] and "row 3" in errors[1]["message"]


class _Unreadable:
    """A request body that fails the test if the service reads it."""

    def read(self, *_):
        raise AssertionError("the body was read")

    readline = readlines = read


def test_huge_content_length_is_refused_before_reading(client, settings):
    announced = 2 * 1024**3
    response = client.post(
        "/v1/jobs",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(announced), "wsgi.input": _Unreadable()},
    )
    message = assert_error(response, 413, "RequestTooLarge")
    assert str(announced) in message and str(settings.limits.max_upload_bytes) in message


def test_idempotency_key_replays_the_same_job(client):
    payload = {"documents": DOCS[:2], "features": ["language"]}
    headers = {"Idempotency-Key": "batch-2026-11-30"}
    first = client.post("/v1/jobs", json=payload, headers=headers)
    again = client.post("/v1/jobs", json=payload, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.get_json()["job_id"] == again.get_json()["job_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/jobs", json={**payload, "documents": DOCS[2:]}, headers=headers)
    assert_error(other, 409, "IdempotencyKeyReused")
    fresh = client.post("/v1/jobs", json=payload)
    assert fresh.get_json()["job_id"] != first.get_json()["job_id"]


def test_bad_requests(client):
    assert_error(client.post("/v1/jobs", json={"documents": []}), 400, "InvalidRequest")
    response = client.post("/v1/jobs", json={"documents": DOCS, "features": ["colour"]})
    assert_error(response, 400, "UnknownFeature")
    assert_error(client.get("/v1/jobs/nope"), 404, "JobNotFound")
    assert_error(client.post("/v1/jobs/nope/stop"), 404, "JobNotFound")
    job_id = submit(client, {"documents": DOCS[:1], "features": ["language"]})["job_id"]
    assert_error(client.get(f"/v1/jobs/{job_id}/results?format=xml"), 400, "InvalidFormat")
    assert_error(client.get("/v1/jobs?status=DONE"), 400, "InvalidStatus")
    response = client.post(
        "/v1/jobs", data={"text_column": "x"}, content_type="multipart/form-data"
    )
    assert_error(response, 400, "MissingFile")


def test_partial_results_while_running_then_stop(client, settings, wait_for_job):
    chunk = settings.job_chunk_size
    documents = [
        {"id": f"d{i}", "text": f"{MORE_TEXTS[i % len(MORE_TEXTS)]} ({i})"}
        for i in range(chunk * 12)
    ]
    body = submit(client, {"documents": documents, "features": ["language", "sentiment"]})
    job_id = body["job_id"]
    job = wait_for_job(
        client,
        job_id,
        until=("IN_PROGRESS",),
        timeout=120,
    )
    while job["progress"]["done"] < chunk:
        time.sleep(0.05)
        job = client.get(f"/v1/jobs/{job_id}").get_json()
    response = client.get(f"/v1/jobs/{job_id}/results")
    assert response.headers["X-Job-Status"] == "IN_PROGRESS"
    partial = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(partial) % chunk == 0 and chunk <= len(partial) < len(documents)
    assert [line["id"] for line in partial] == [d["id"] for d in documents[: len(partial)]]

    stopping = client.post(f"/v1/jobs/{job_id}/stop")
    assert stopping.status_code in (200, 202)
    assert stopping.get_json()["status"] in ("STOP_REQUESTED", "STOPPED")
    job = wait_for_job(client, job_id, until=("STOPPED",), timeout=60)
    done = job["progress"]["done"]
    assert done % chunk == 0 and done < len(documents)
    assert len(result_lines(client, job_id)) == done
    again = client.post(f"/v1/jobs/{job_id}/stop")
    assert again.status_code == 200 and again.get_json()["status"] == "STOPPED"


def test_list_jobs(client):
    job_id = submit(client, {"documents": DOCS[:1], "features": ["language"]})["job_id"]
    listed = client.get("/v1/jobs?limit=5").get_json()["jobs"]
    assert job_id in [j["job_id"] for j in listed] and len(listed) <= 5
    for job in client.get("/v1/jobs?status=FAILED").get_json()["jobs"]:
        assert job["status"] == "FAILED"


def test_job_responses_validate_against_the_documented_schemas(
    client, wait_for_job, validate_schema
):
    body = submit(client, {"documents": [*DOCS, {"id": "x", "text": ""}]})
    validate_schema("JobSubmitted", body)
    validate_schema("Job", wait_for_job(client, body["job_id"]))
    validate_schema("JobList", client.get("/v1/jobs").get_json())
    for line in result_lines(client, body["job_id"]):
        validate_schema("JobResultLine", line)


def test_job_report_page_and_data(client, wait_for_job, validate_schema):
    """The analyst's report over a job's results: data with the API.md keys, and the page."""

    documents = [
        {
            "id": "r1",
            "text": "The parcel arrived two weeks late.",
            "metadata": {"score": 2, "score_type": "nps"},
        },
        {
            "id": "r2",
            "text": "Colis arrivé en retard, très déçu.",
            "metadata": {"score": 3, "score_type": "nps"},
        },
        {
            "id": "r3",
            "text": "Paketnya telat seminggu, kecewa.",
            "metadata": {"score": 1, "score_type": "nps"},
        },
        {
            "id": "r4",
            "text": "Great app, very easy to pay.",
            "metadata": {"score": 10, "score_type": "nps"},
        },
        {
            "id": "r5",
            "text": "Aplikasi senang guna, bayaran cepat.",
            "metadata": {"score": 9, "score_type": "nps"},
        },
    ]
    body = submit(client, {"documents": documents})
    wait_for_job(client, body["job_id"])

    report = client.get(f"/v1/jobs/{body['job_id']}/report.json")
    assert report.status_code == 200
    data = report.get_json()
    validate_schema("Report", data)
    assert data["summary"]["documents"] == 5 and data["summary"]["metric"]
    started = time.monotonic()
    page = client.get(f"/v1/jobs/{body['job_id']}/report")
    assert time.monotonic() - started < 2  # the report of an unchanged job is cached
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert b"Plotly" in page.data and b"telat seminggu" in page.data
    assert data["generated_at"].encode() in page.data  # the same report, not a new one
    assert client.get("/v1/jobs/nope/report").status_code == 404


def test_a_database_from_an_older_voc_gains_the_new_columns(tmp_path):
    from sqlalchemy import inspect, text

    from voc.config import Limits
    from voc.jobs.ingest import read_documents
    from voc.jobs.store import JobStore
    from voc.storage import create_schema, make_engine, metadata

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    metadata.create_all(engine)
    with engine.begin() as conn:  # the jobs table as voc created it before `received_at`
        conn.execute(text("ALTER TABLE jobs DROP COLUMN received_at"))
    create_schema(engine)
    assert "received_at" in {c["name"] for c in inspect(engine).get_columns("jobs")}
    job = JobStore(engine).create(
        read_documents([{"id": "a", "text": "Pesanan sampai tepat waktu."}], Limits()),
        options={"features": ["language"]},
        source={"kind": "json"},
        chunk_size=10,
    )
    assert job.total == 1
