"""What voc writes is safe to open: reports, CSV results, HTML pages, files on disk."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import stat

import pytest

from voc.jobs.output import neutralise, unneutralise
from voc.storage import make_engine

HOSTILE_COMMENT = "Terrible <!--<script>alert(1)</script> service & support </script>"
SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.S)


def _upload(client, data: bytes, filename: str, **form):
    return client.post(
        "/v1/jobs",
        data={"file": (io.BytesIO(data), filename), **form},
        content_type="multipart/form-data",
    )


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def test_report_page_keeps_hostile_comments_inert_and_declares_its_scripts(client, wait_for_job):
    documents = [
        {"id": "a", "text": HOSTILE_COMMENT},
        {"id": "b", "text": "Livraison rapide, merci !"},
    ]
    submitted = client.post("/v1/jobs", json={"documents": documents, "features": ["sentiment"]})
    job_id = submitted.get_json()["job_id"]
    assert wait_for_job(client, job_id)["status"] == "COMPLETED"
    response = client.get(f"/v1/jobs/{job_id}/report")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    scripts = SCRIPT.findall(page)
    assert len(scripts) == 4  # plotly.js, the data, the charts, the page's script
    data = next(body for attrs, body in scripts if 'id="report-data"' in attrs)
    assert "<" not in data and ">" not in data and "&" not in data
    assert HOSTILE_COMMENT in json.dumps(json.loads(data), ensure_ascii=False)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    for attrs, body in scripts:
        if "application/json" not in attrs:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_docs_page_has_security_headers(client):
    response = client.get("/docs")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("number", "field"),
    [
        (b"Infinity", "body.documents[0].metadata.customer_value"),
        (b"-Infinity", "body.documents[0].metadata.customer_value"),
        (b"NaN", "body.documents[0].metadata.customer_value"),
        (b"1e400", "body.documents[0].metadata.customer_value"),
    ],
)
def test_non_finite_numbers_are_refused_naming_the_field(client, number, field):
    body = b'{"documents": [{"id": "a", "text": "hi", "metadata": {"customer_value": %s}}]}'
    for path in ("/v1/analyze", "/v1/jobs"):
        response = client.post(path, data=body % number, content_type="application/json")
        assert response.status_code == 400, response.get_data(as_text=True)
        error = response.get_json()["error"]
        assert error["code"] == "InvalidValue" and field in error["message"]


def test_non_finite_metadata_in_files_fails_its_row(client, wait_for_job):
    data = _csv([["id", "text", "customer_value"], ["a", "ok", "inf"], ["b", "ok", "12.5"]])
    data += _csv([["c", "ok", "1e400"], ["d", "ok", "nan"]])
    submitted = _upload(
        client, data, "x.csv", features="language", metadata_columns="customer_value"
    )
    job = wait_for_job(client, submitted.get_json()["job_id"])
    assert job["progress"] == {"total": 4, "done": 1, "failed": 3}
    lines = client.get(f"/v1/jobs/{job['job_id']}/results").get_data(as_text=True)
    errors = [json.loads(line)["error"] for line in lines.splitlines() if '"error"' in line]
    assert all("metadata.customer_value is not a finite number" in e["message"] for e in errors)


def test_csv_results_neutralise_formulas(client, wait_for_job):
    ids = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "plain"]
    documents = [{"id": i, "text": "Great service"} for i in ids]
    submitted = client.post("/v1/jobs", json={"documents": documents, "features": ["language"]})
    job_id = submitted.get_json()["job_id"]
    wait_for_job(client, job_id)
    text = client.get(f"/v1/jobs/{job_id}/results?format=csv").get_data(as_text=True)
    cells = [row["id"] for row in csv.DictReader(io.StringIO(text))]
    assert cells[:4] == ["'" + i for i in ids[:4]] and cells[4] == "plain"
    assert [unneutralise(c) for c in cells] == ids
    assert neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx"  # ids cannot hold them
    assert neutralise(-2.5) == -2.5  # numbers are not text: unchanged


def test_database_and_secret_files_are_owner_only(tmp_path, monkeypatch):
    from voc.alerts.service import signing_key
    from voc.config import Settings

    database = tmp_path / "var" / "voc.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    monkeypatch.setenv("VOC_VAR_DIR", str(tmp_path / "var2"))
    signing_key(Settings.from_env({"database_url": f"sqlite:///{database}"}))
    (secret,) = (tmp_path / "var2").iterdir()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
