"""Malformed input gets a 400 (or a finished job with per-row errors), never a 500, and the
OpenAPI document lists what the API answers."""

from __future__ import annotations

import datetime
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

DEEP = b'{"documents": [{"id": "a", "text": "hi", "metadata": {"x": ' + b"[" * 990
DEEP += b"]" * 990 + b"}}]}"
LONG_INT = b'{"documents": [{"id": "a", "text": "hi", "metadata": {"x": ' + b"9" * 4400 + b"}}]}"


def _upload(client, data: bytes, filename: str, **form):
    return client.post(
        "/v1/jobs",
        data={"file": (io.BytesIO(data), filename), **form},
        content_type="multipart/form-data",
    )


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()["error"]


@pytest.mark.parametrize("body", [DEEP, LONG_INT, b"[" * 100_000, b'{"a": ' * 5000])
@pytest.mark.parametrize("path", ["/v1/analyze", "/v1/jobs", "/v1/alert-rules"])
def test_hostile_json_bodies_are_400(client, body, path):
    method = client.put if path == "/v1/alert-rules" else client.post
    error = _error(method(path, data=body, content_type="application/json"), 400)
    assert error["code"] in ("InvalidJson", "InvalidValue")


def test_hostile_jsonl_lines_fail_their_rows(client, wait_for_job):
    lines = [
        b'{"id": "ok", "text": "Great service"}',
        b'{"id": "deep", "text": "x", "m": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"id": "long", "text": "x", "m": ' + b"9" * 4400 + b"}",
    ]
    response = _upload(client, b"\n".join(lines), "x.jsonl", features="language")
    assert response.status_code == 202, response.get_data(as_text=True)
    job = wait_for_job(client, response.get_json()["job_id"])
    assert job["progress"] == {"total": 3, "done": 1, "failed": 2}


def test_parquet_with_a_corrupt_page_is_400(client):
    rows = 20_000
    table = pa.table(
        {"id": [str(i) for i in range(rows)], "text": [f"text {i}" for i in range(rows)]}
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy", row_group_size=5000)
    data = bytearray(buffer.getvalue())
    offset = pq.ParquetFile(io.BytesIO(bytes(data))).metadata.row_group(1).column(1)
    start = offset.data_page_offset
    data[start + 20 : start + 400] = b"\xff" * 380
    error = _error(_upload(client, bytes(data), "x.parquet", features="language"), 400)
    assert error["code"] == "InvalidParquet"


def test_parquet_metadata_dates_are_accepted(client, wait_for_job):
    table = pa.table(
        {
            "id": ["a"],
            "text": ["Great service"],
            "visited": [datetime.date(2026, 3, 1)],
            "at": [datetime.datetime(2026, 3, 1, 12, 30)],
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    response = _upload(
        client, buffer.getvalue(), "x.parquet", features="language", metadata_columns="visited,at"
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    job = wait_for_job(client, response.get_json()["job_id"])
    assert job["progress"]["done"] == 1
    line = json.loads(client.get(f"/v1/jobs/{job['job_id']}/results").get_data(as_text=True))
    assert line["id"] == "a" and "error" not in line


def test_header_only_csv_is_refused(client):
    error = _error(_upload(client, b"id,text\n", "x.csv", features="language"), 400)
    assert error["code"] == "EmptyFile"


@pytest.mark.parametrize(
    "url",
    [
        f"/v1/alerts?offset={2**64}",
        f"/v1/alerts?offset={2**63}",
        "/v1/alerts?limit=0",
        f"/v1/journeys/default?version={2**64}",
        f"/v1/taxonomies/default?version={2**63}",
        "/v1/taxonomies/default?version=%C2%B2",
        "/v1/jobs?limit=0",
        f"/v1/jobs?limit={2**64}",
    ],
)
def test_out_of_range_query_numbers_are_400(client, url):
    _error(client.get(url), 400)


def test_405_names_the_allowed_methods(client):
    response = client.open("/healthz", method="TRACE")
    _error(response, 405)
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "HEAD"}


def test_every_json_operation_documents_what_it_answers_to_a_wrong_content_type(client):
    spec = client.get("/openapi.json").get_json()
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = path.replace("{topic_id}", "1").replace("{", "").replace("}", "")
            response = client.open(url, method=method.upper(), data="x", content_type="text/plain")
            assert str(response.status_code) in operation["responses"], (method, path)
            checked += 1
    assert checked >= 6


def test_schema_refuses_what_the_api_refuses(client):
    spec = client.get("/openapi.json").get_json()
    put = spec["paths"]["/v1/journeys/{journey_id}"]["put"]["parameters"][0]["schema"]
    assert put["not"] == {"const": "default"}
    assert _error(client.put("/v1/journeys/default", json={"id": "default"}), 400)
    limit = spec["paths"]["/v1/jobs"]["get"]["parameters"][1]["schema"]
    assert limit["minimum"] == 1
