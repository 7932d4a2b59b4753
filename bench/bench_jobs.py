"""Jobs benchmark: what the job machinery costs, and memory on a 1,000,000-row file.

(a) baseline: `Analyzer.analyze` called directly on the texts, 1,000 at a time (measured
    before and after (b), averaged, so load drift on a shared machine hits both alike);
(b) the same texts as a job: JSON documents validated and stored in SQLite, claimed chunk by
    chunk by a worker, analysed through `analyze_batch`, results committed; timed from
    submission to the job's end. Target: b/a >= 0.9.
(c) peak RSS of a process that ingests a generated 1,000,000-row CSV (inspect, validate,
    store in SQLite) and then streams the stored documents back out. Target: < 2 GB.
(d) peak RSS of a served app (models loaded, no worker) while that file is uploaded to
    `POST /v1/jobs` over real HTTP. Target: < 2 GB.

Run: `.venv/bin/python bench/bench_jobs.py` (defaults: 20,000 texts from ../shared/data,
features language + sentiment; `--features language,sentiment,sentences` for all).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

from voc import paths
from voc.config import Limits, Settings

ROWS_1M = 1_000_000
TEMPLATES = [
    "The parcel arrived {n} days late and nobody answered my emails.",
    "Livraison en {n} jours, colis abîmé, service client injoignable.",
    "Pesanan dijanjikan 3 hari, tapi baru sampai {n} hari. Kecewa banget.",
    "Perkhidmatan pelanggan sangat teruk, tunggu {n} minit di talian.",
    "Great service, the staff were friendly; I'd give it {n}/10.",
    'He said "fine",\nthen waited {n} minutes; café froid.',
]


def feedback_texts(n: int, *, seed: int = 0, max_characters: int = 1000) -> list[str]:
    """`n` distinct real texts drawn from every labelled file of ../shared/data."""
    from voc.nlp.datasets import iter_examples

    texts: dict[str, None] = {}
    for path in sorted(paths.shared_data_dir().glob("*.jsonl")):
        texts.update(
            dict.fromkeys(
                e.text
                for e in iter_examples(path)
                if e.text.strip() and len(e.text) <= max_characters
            )
        )
    pool = list(texts)
    random.Random(seed).shuffle(pool)
    if len(pool) < n:
        raise RuntimeError(f"only {len(pool)} distinct texts in {paths.shared_data_dir()}")
    return pool[:n]


def throughput(texts: list[str], features: list[str], chunk_size: int) -> dict[str, float]:
    from voc.jobs.ingest import read_documents
    from voc.jobs.store import JobStore
    from voc.jobs.worker import Worker
    from voc.nlp.types import SUPPORTED_LANGUAGES, Feedback
    from voc.nlp.validation import validate_document
    from voc.registry.loader import load_analyzer
    from voc.storage import make_engine, metadata

    db = paths.var_dir() / "bench_jobs.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    settings = Settings.from_env({"database_url": f"sqlite:///{db}", "job_chunk_size": chunk_size})
    analyzer = load_analyzer(settings)
    # Both paths get only texts a job accepts (a job refuses, say, a text over the length limit).
    texts = [
        t
        for i, t in enumerate(texts)
        if isinstance(
            validate_document(
                {"id": str(i), "text": t},
                index=i,
                max_characters=settings.limits.max_characters_per_document,
                supported_languages=SUPPORTED_LANGUAGES,
            ),
            Feedback,
        )
    ]
    feedback = [Feedback(id=str(i), text=t) for i, t in enumerate(texts)]
    analyzer.analyze(feedback[:64], features=features)  # warm up both paths alike

    def direct() -> float:
        started = time.perf_counter()
        for i in range(0, len(feedback), 1000):
            analyzer.analyze(feedback[i : i + 1000], features=features)
        return len(texts) / (time.perf_counter() - started)

    before = direct()

    engine = make_engine(settings.database_url)
    metadata.create_all(engine)
    store = JobStore(engine)
    worker = Worker(store, settings, analyzer=lambda: analyzer)
    documents = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
    started = time.perf_counter()
    job = store.create(
        read_documents(documents, settings.limits),
        options={"features": features},
        source={"kind": "json"},
        chunk_size=chunk_size,
    )
    while worker.run_once():
        pass
    elapsed = time.perf_counter() - started
    final = store.get(job.id)
    if final.status != "COMPLETED" or final.done != len(texts):
        raise RuntimeError(f"the job ended {final.status} with {final.done} done")
    after = direct()  # direct, job, direct: the baseline brackets the job against drift
    return {"direct": (before + after) / 2, "job": len(texts) / elapsed}


def generate_file(path: Path, rows: int) -> None:
    if path.exists() and path.stat().st_size > rows * 40:
        return
    rng = random.Random(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink)
        writer.writerow(["id", "comment", "score", "score_type"])
        for i in range(rows):
            text = rng.choice(TEMPLATES).format(n=rng.randint(1, 99))
            writer.writerow([f"c-{i}", text, rng.randint(0, 10), "nps"])


def ingest_rss(path: Path) -> None:
    """Child process: ingest `path` into a fresh SQLite job, stream it back, print peak RSS."""
    from voc.jobs.ingest import Columns, file_format, inspect_file, read_file
    from voc.jobs.store import JobStore, job_documents
    from voc.storage import make_engine, metadata

    db = paths.var_dir() / "bench_ingest.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    metadata.create_all(engine)
    store = JobStore(engine)
    columns = Columns(text="comment", id="id", metadata=("score", "score_type"))
    started = time.perf_counter()
    with path.open("rb") as stream:
        info = inspect_file(stream, file_format(path.name))
        job = store.create(
            read_file(stream, info, columns, Limits()),
            options={"features": ["language"]},
            source={"kind": "file"},
            chunk_size=Settings().job_chunk_size,
        )
    ingest_s = time.perf_counter() - started
    streamed = 0
    with engine.connect().execution_options(stream_results=True, yield_per=5000) as conn:
        for _ in conn.execute(job_documents.select().where(job_documents.c.job_id == job.id)):
            streamed += 1
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec from the parent (which
    # holds the models here), while VmHWM is this process's own peak.
    peak_mb = _rss_mb(os.getpid(), "VmHWM")
    print(
        json.dumps(
            {"rows": job.total, "streamed": streamed, "ingest_s": ingest_s, "peak_mb": peak_mb}
        )
    )


def served_upload_rss(path: Path) -> dict[str, float]:
    """Serve the app (models loaded, no worker) in a child; upload `path`; read its peak RSS."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = paths.var_dir() / "bench_serve.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    code = (
        "import sys; from waitress import serve; from voc.service import create_app;"
        f"app = create_app({{'database_url': 'sqlite:///{db}', 'in_process_worker': False}});"
        f"serve(app, host='127.0.0.1', port={port}, max_request_body_size=10**9)"
    )
    server = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    try:
        from voc.jobs.client import JobsClient, ServiceError

        client = JobsClient(f"http://127.0.0.1:{port}", timeout=3600)
        for _ in range(600):
            try:
                client.list(limit=1)
                break
            except ServiceError:
                time.sleep(1)
        before = _rss_mb(server.pid, "VmRSS")
        started = time.perf_counter()
        body = client.submit_file(
            path,
            {"text_column": "comment", "id_column": "id", "metadata_columns": "score,score_type"},
        )
        upload_s = time.perf_counter() - started
        return {
            "rows": body["total"],
            "upload_s": upload_s,
            "rss_before_mb": before,
            "peak_mb": _rss_mb(server.pid, "VmHWM"),
        }
    finally:
        server.terminate()
        server.wait()


def _rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--features", default="language,sentiment")
    parser.add_argument("--chunk-size", type=int, default=Settings().job_chunk_size)
    parser.add_argument("--rows", type=int, default=ROWS_1M, help="rows of the memory test file")
    parser.add_argument("--skip", default="", help="comma-separated: throughput,ingest,serve")
    parser.add_argument("--ingest-rss", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_rss:
        ingest_rss(args.ingest_rss)
        return
    skip = set(args.skip.split(","))
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count()}
    if "throughput" not in skip:
        features = args.features.split(",")
        speed = throughput(feedback_texts(args.texts), features, args.chunk_size)
        results["throughput"] = {
            "texts": args.texts,
            "features": features,
            "chunk_size": args.chunk_size,
            "direct_texts_per_s": round(speed["direct"], 1),
            "job_texts_per_s": round(speed["job"], 1),
            "ratio_job_over_direct": round(speed["job"] / speed["direct"], 3),
            "target": ">= 0.9",
        }
        print(json.dumps(results["throughput"]), flush=True)
    big = paths.var_dir() / f"bench_{args.rows}_rows.csv"
    if not {"ingest", "serve"} <= skip:
        generate_file(big, args.rows)
        results["file"] = {"rows": args.rows, "bytes": big.stat().st_size}
    if "ingest" not in skip:
        child = subprocess.run(
            [sys.executable, __file__, "--ingest-rss", str(big)],
            capture_output=True,
            text=True,
            check=True,
        )
        results["ingest"] = {**json.loads(child.stdout.splitlines()[-1]), "target_mb": "< 2048"}
        print(json.dumps(results["ingest"]), flush=True)
    if "serve" not in skip:
        results["served_upload"] = {**served_upload_rss(big), "target_mb": "< 2048"}
        print(json.dumps(results["served_upload"]), flush=True)
    out = Path(__file__).parent / "results" / "bench_jobs.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
