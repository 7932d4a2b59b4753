"""`voc analyze FILE` (offline, resumable) and `voc jobs ...` against a live service."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from voc.cli import main
from voc.jobs.ingest import Columns
from voc.jobs.offline import analyze_file, local_engine
from voc.jobs.output import read_results
from voc.service.server import make_server

TEXTS = [
    "The parcel arrived two weeks late and nobody answered my emails.",
    "Super expérience, le personnel était adorable.",
    "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari.",
    "Perkhidmatan sangat baik, kakitangan mesra.",
    "Great app but it crashes when I pay.",
    "Le remboursement a pris un mois.",
    "Aplikasinya lambat sekali.",
]


@pytest.fixture(autouse=True)
def _own_var_dir(tmp_path, monkeypatch):
    """The CLI writes its database and topic versions under the test's own directory, not
    under the checkout's `var/`."""
    monkeypatch.setenv("VOC_VAR_DIR", str(tmp_path / "var"))


def write_csv(path: Path, rows: int, *, bad_rows: tuple[int, ...] = ()) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ref", "comment"])
    for i in range(rows):
        text = "" if i in bad_rows else f"{TEXTS[i % len(TEXTS)]}\nref {i}"
        writer.writerow([f"r{i}", text])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.models  # `voc analyze` loads its own Analyzer
def test_analyze_file_to_jsonl_and_csv(tmp_path, capsys):
    source = write_csv(tmp_path / "in.csv", 9, bad_rows=(4,))
    out = tmp_path / "out.jsonl"
    args = ["analyze", str(source), "--text-column", "comment", "--id-column", "ref"]
    assert main([*args, "-o", str(out), "--features", "language,sentiment"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {
        "output": str(out),
        "rows": 9,
        "analysed": 8,
        "failed": 1,
        "resumed_from": 0,
        "report": None,
        "export": None,
        "topic_model": None,
    }
    lines = read_jsonl(out)
    assert [line["id"] for line in lines] == [f"r{i}" for i in range(9)]
    assert lines[4]["error"]["code"] == "EmptyText"
    assert "row 5 (line 10), column 'comment'" in lines[4]["error"]["message"]
    assert lines[1]["language"]["code"] == "fr" and "sentences" not in lines[1]
    assert not (tmp_path / "out.jsonl.progress.json").exists()

    out_csv = tmp_path / "out.csv"
    assert main([*args, "-o", str(out_csv), "--features", "language,sentiment"]) == 0
    table = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert [row["id"] for row in table] == [line["id"] for line in lines]
    assert [row["sentiment.label"] for row in table if not row["error_code"]] == [
        line["sentiment"]["label"] for line in lines if "error" not in line
    ]
    assert list(read_results(out_csv)) == lines  # what `--report` reads back from either


@pytest.mark.models  # `voc analyze` loads its own Analyzer
def test_analyze_with_report_writes_the_analysts_page(tmp_path, capsys):
    source = write_csv(tmp_path / "in.csv", 9, bad_rows=(4,))
    out, page = tmp_path / "out.csv", tmp_path / "report.html"
    args = ["analyze", str(source), "--text-column", "comment", "--id-column", "ref"]
    coded = tmp_path / "coded.xlsx"
    run = [*args, "-o", str(out), "--report", str(page), "--title", "Survey Q3"]
    assert main([*run, "--export", str(coded)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["report"], summary["export"]) == (str(page), str(coded))
    html = page.read_text(encoding="utf-8")
    assert "Survey Q3" in html
    assert "Le remboursement a pris un mois." in html  # the comments behind the numbers
    assert "1 row(s) refused" in html  # the empty row, in the data notes

    from openpyxl import load_workbook

    sheet = load_workbook(coded, read_only=True)["coded comments"]
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[:2] == ["id", "text"] and header[-3:] == ["touchpoints", "theme", "subtopic"]
    coded_rows = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert len(coded_rows) == 8 and "r4" not in coded_rows  # the refused row is not coded
    assert coded_rows["r5"]["text"].startswith("Le remboursement a pris un mois.")
    assert coded_rows["r0"]["sentiment"] == "negative" and coded_rows["r0"]["language"] == "en"


def test_analyze_errors_name_the_column(tmp_path, capsys):
    source = write_csv(tmp_path / "in.csv", 2)
    code = main(["analyze", str(source), "-o", str(tmp_path / "o.jsonl")])
    assert code == 2
    error = capsys.readouterr().err
    assert "text_column 'text' is not in the header" in error and "'comment'" in error


class Interrupted(Exception):
    pass


def test_resume_after_an_interruption_gives_the_uninterrupted_output(tmp_path, settings, analyzer):
    from dataclasses import replace

    small = replace(settings, job_chunk_size=4)
    source = write_csv(tmp_path / "in.csv", 18, bad_rows=(6,))
    options = {"features": ["language", "sentiment"]}
    columns = Columns(text="comment", id="ref")
    whole = tmp_path / "whole.jsonl"
    engine = local_engine(small, options, analyzer=analyzer)
    analyze_file(source, whole, columns=columns, options=options, settings=small, engine=engine)

    def interrupted_engine(chunks):
        for number, results in enumerate(engine(chunks)):
            if number == 3:
                raise Interrupted
            yield results

    out = tmp_path / "out.jsonl"
    with pytest.raises(Interrupted):
        analyze_file(
            source, out, columns=columns, options=options, settings=small, engine=interrupted_engine
        )
    with out.open("ab") as sink:
        sink.write(b'{"id": "half a line')  # a write cut short by the interruption
    checkpoint = json.loads((tmp_path / "out.jsonl.progress.json").read_text())
    assert checkpoint["rows"] == 12
    summary = analyze_file(
        source, out, columns=columns, options=options, settings=small, engine=engine, resume=True
    )
    assert summary.resumed_from == 12 and summary.rows == 18 and summary.failed == 1
    assert out.read_bytes() == whole.read_bytes()


@pytest.fixture()
def live_url(app, settings):
    server = make_server(app, settings, host="127.0.0.1", port=0, threads=4)  # as `voc serve`
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def test_jobs_commands_against_a_running_service(tmp_path, live_url, capsys, wait_for_job, client):
    source = write_csv(tmp_path / "in.csv", 5)
    url = ["--url", live_url]
    columns = ["--text-column", "comment", "--id-column", "ref", "--features", "language"]
    assert main(["jobs", "submit", str(source), *columns, "--idempotency-key", "cli-1", *url]) == 0
    submitted = json.loads(capsys.readouterr().out)
    job = wait_for_job(client, submitted["job_id"])
    assert job["status"] == "COMPLETED"
    assert main(["jobs", "status", submitted["job_id"], *url]) == 0
    assert json.loads(capsys.readouterr().out)["progress"]["done"] == 5
    out = tmp_path / "results.jsonl"
    assert main(["jobs", "results", submitted["job_id"], "-o", str(out), *url]) == 0
    assert [line["id"] for line in read_jsonl(out)] == [f"r{i}" for i in range(5)]
    assert main(["jobs", "list", "--limit", "3", *url]) == 0
    assert submitted["job_id"] in capsys.readouterr().out
    assert main(["jobs", "stop", submitted["job_id"], *url]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "COMPLETED"
    assert main(["jobs", "status", "nope", *url]) == 2
    assert "404 JobNotFound" in capsys.readouterr().err
    payload = tmp_path / "docs.json"
    payload.write_text(json.dumps({"documents": [{"id": "a", "text": TEXTS[0]}]}))
    assert main(["jobs", "submit", str(payload), "--features", "language", *url]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1
    assert main(["jobs", "delete", submitted["job_id"], *url]) == 0
    assert json.loads(capsys.readouterr().out)["removed"]["job_documents"] == 5
    assert main(["jobs", "status", submitted["job_id"], *url]) == 2
    assert "404 JobNotFound" in capsys.readouterr().err
    assert main(["erasure", "nobody-with-this-id", *url]) == 0
    erased = json.loads(capsys.readouterr().out)
    assert erased["removed"] == {"job_documents": 0, "job_results": 0, "alerts": 0}


def test_oversized_upload_is_refused_by_the_server_at_once(live_url, settings):
    import http.client
    import time

    host, port = live_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    started = time.monotonic()
    connection.putrequest("POST", "/v1/jobs")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(2 * 1024**3))
    connection.endheaders(b"--x\r\n")
    response = connection.getresponse()
    assert time.monotonic() - started < 5
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    error = json.loads(response.read())["error"]
    assert error["code"] == "RequestTooLarge"
    assert f"exceeds {settings.limits.max_upload_bytes} bytes" in error["message"]
    connection.close()


def test_analyze_checks_input_and_output_before_loading_models(tmp_path, capsys):
    source = write_csv(tmp_path / "in.csv", 2)
    args = ["analyze", str(source), "--text-column", "comment"]
    started = time.monotonic()
    assert main([*args, "-o", str(tmp_path / "missing" / "o.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "o.jsonl"), "--score-column", "nps"]) == 2
    assert "--score-type" in capsys.readouterr().err
    run = [*args, "-o", str(tmp_path / "o.jsonl"), "--score-column", "nps", "--score-type", "nps"]
    assert main(run) == 2
    assert "score_column 'nps' is not in the header" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "o.jsonl"), "--export", str(tmp_path / "c.pdf")]) == 2
    assert ".csv or .xlsx" in capsys.readouterr().err
    assert time.monotonic() - started < 5  # no model was loaded
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.models  # `voc analyze` loads its own Analyzer
def test_analyze_reads_xlsx_and_semicolon_csv_with_named_columns(tmp_path, capsys):
    from openpyxl import Workbook

    header = ["Réf", "Verbatim", "Note", "Date", "Région", "Valeur"]
    long_text = "Le colis est arrivé en retard. " * 200  # 6,200 characters: cut, not refused
    rows = [
        ["a1", TEXTS[0], 2, datetime(2026, 11, 2), "north", 120.5],
        ["a2", TEXTS[1], 9, datetime(2026, 11, 3), "south", 80],
        ["a3", long_text, 1, datetime(2026, 11, 4), "south", 10],
    ]
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "in.xlsx")
    with (tmp_path / "in.csv").open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, delimiter=";")
        writer.writerow(header)
        writer.writerows([[*r[:3], r[3].date().isoformat(), *r[4:]] for r in rows])
    named = [
        "--text-column", "Verbatim", "--id-column", "Réf", "--score-column", "Note",
        "--score-type", "nps", "--date-column", "Date", "--segment-column", "Région",
        "--value-column", "Valeur", "--features", "language,sentiment",
    ]  # fmt: skip
    for name in ("in.xlsx", "in.csv"):
        out, coded = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.coded.csv"
        args = ["analyze", str(tmp_path / name), "-o", str(out), *named]
        assert main([*args, "--export", str(coded)]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["failed"] == 0
        assert "1 text(s) longer than 5,000 characters" in captured.err
        lines = read_jsonl(out)
        assert [line["id"] for line in lines] == ["a1", "a2", "a3"]
        table = list(csv.DictReader(coded.open(encoding="utf-8")))
        first = table[0]
        assert first["score"] == "2" and first["score_type"] == "nps"
        assert first["created_at"].startswith("2026-11-02") and first["segment"] == "north"
        assert float(first["customer_value"]) == 120.5
        assert len(table[2]["text"]) == 5000


@pytest.mark.models  # `voc analyze` loads its own Analyzer
def test_export_and_report_show_masked_texts(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        "ref,comment\nm1,Please refund me at jane.doe@example.com - the parcel was late.\n"
        "m2,Colis arrivé en retard.\n",
        encoding="utf-8",
    )
    coded, page = tmp_path / "coded.csv", tmp_path / "report.html"
    args = ["analyze", str(source), "--text-column", "comment", "--id-column", "ref"]
    run = [*args, "-o", str(tmp_path / "o.jsonl"), "--report", str(page), "--export", str(coded)]
    assert main([*run, "--redact", "mask"]) == 0
    capsys.readouterr()
    table = {row["id"]: row for row in csv.DictReader(coded.open(encoding="utf-8"))}
    assert "jane.doe@example.com" not in table["m1"]["text"] and "[EMAIL]" in table["m1"]["text"]
    assert "jane.doe@example.com" not in page.read_text(encoding="utf-8")


def test_the_cli_sends_its_api_key_and_acts_for_that_keys_tenant(secured, monkeypatch, capsys):
    from sqlalchemy import select

    from voc.jobs.deletions import deletions
    from voc.service.auth import MODE_CACHE_S, KeyStore

    services = secured.extensions["voc"]
    key = KeyStore(services.engine).create("acme", ["jobs", "privacy"])[1]
    time.sleep(MODE_CACHE_S + 0.1)  # the guard notices that a key exists
    server = make_server(secured, services.settings, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    url = ["--url", f"http://127.0.0.1:{server.effective_port}"]
    try:
        monkeypatch.delenv("VOC_API_KEY", raising=False)
        assert main(["erasure", "cust-cli-1", *url]) == 2
        assert "401 Unauthorized" in capsys.readouterr().err
        monkeypatch.setenv("VOC_API_KEY", key)
        assert main(["erasure", "cust-cli-1", *url]) == 0
        assert json.loads(capsys.readouterr().out)["jobs"] == []
        assert main(["jobs", "list", *url]) == 0
        assert json.loads(capsys.readouterr().out) == {"jobs": []}
    finally:
        server.close()
    with services.engine.connect() as connection:
        (logged,) = connection.execute(select(deletions)).all()
    assert (logged.kind, logged.tenant) == ("erasure", "acme")
