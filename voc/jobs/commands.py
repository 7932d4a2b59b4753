"""The job commands of the `voc` CLI: `worker`, `analyze FILE`, and `jobs submit|status|...`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from voc.alerts.service import AlertService
from voc.config import Settings
from voc.jobs.client import JobsClient
from voc.jobs.config_store import ConfigStore
from voc.jobs.emerging_alerts import EmergingAlerts
from voc.jobs.ingest import Columns
from voc.jobs.offline import (
    analysed_documents,
    analyze_file,
    check_input,
    local_engine,
    writable_folder,
)
from voc.jobs.ray_engine import ray_engine
from voc.jobs.store import JobStore
from voc.jobs.worker import Worker
from voc.nlp.analyzer import FEATURES
from voc.nlp.pii import REDACT_MODES
from voc.nlp.topic_assignment import UnitsByText
from voc.registry.loader import load_analyzer
from voc.registry.provider import ActiveModels
from voc.registry.store import Registry
from voc.report.drivers import SCALES
from voc.report.export import export_format, write_coded
from voc.report.html import render_report_html
from voc.report.prepare import prepare_documents, report_of
from voc.storage import create_schema, make_engine
from voc.topics.store import TopicStore

log = logging.getLogger(__name__)


def _worker(args: argparse.Namespace) -> int:
    os.umask(0o077)  # as `voc serve`: what the worker writes is owner-only
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    registry = Registry.from_settings(settings, engine)
    # Loaded before claiming, so a lease is never held while the models load; then the
    # worker follows activations between chunks.
    models = ActiveModels(settings, registry, analyzer=load_analyzer(settings, registry=registry))
    store = JobStore(engine)
    # The jobs this process ends raise their emerging-issue alerts here, delivered by this
    # process's own AlertService (its claims keep a `voc serve` on the database from
    # delivering them too).
    alerts = AlertService(settings, engine)
    defaults = models.analyzer.root_causes
    config_store = ConfigStore(
        engine,
        settings,
        default_taxonomy=defaults.default_taxonomy,
        default_journey=defaults.default_journey,
    )
    emerging = EmergingAlerts(store, config_store, alerts)
    worker = Worker(
        store,
        settings,
        analyzer=models.current,
        worker_id=args.worker_id,
        on_finished=emerging.at_completion,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        worker.run(stop)
    finally:  # what it accepted is stored; what it could not deliver, any process's sweep sends
        alerts.close()
    return 0


MAPPED_COLUMNS = {
    "score_column": "score",
    "date_column": "created_at",
    "segment_column": "segment",
    "value_column": "customer_value",
}
"""`voc analyze --X-column NAME` -> the metadata key the report reads that column as."""


def _columns(args: argparse.Namespace) -> Columns:
    mapped = tuple(
        (key, getattr(args, option))
        for option, key in MAPPED_COLUMNS.items()
        if getattr(args, option, None)
    )
    score_type = getattr(args, "score_type", None)
    return Columns(
        text=args.text_column,
        id=args.id_column,
        language=args.language_column,
        metadata=tuple(c.strip() for c in (args.metadata_columns or "").split(",") if c.strip()),
        mapped=mapped,
        fixed=(("score_type", score_type),) if score_type else (),
    )


def _features(value: str | None) -> dict:
    if not value:
        return {}
    return {"features": [f.strip() for f in value.split(",") if f.strip()]}


def _analyze(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    settings = Settings.from_env({"job_chunk_size": args.chunk_size} if args.chunk_size else None)
    options = {
        "features": list(FEATURES),
        "redact": args.redact or settings.redact,
        **_features(args.features),
    }
    unknown = set(options["features"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features {sorted(unknown)}; known: {list(FEATURES)}")
    # Everything that can fail without models fails before they load.
    if args.score_column and not args.score_type:
        raise ValueError("--score-column needs --score-type (nps, csat, ces or stars5)")
    info = check_input(args.file, args.output, _columns(args), settings)
    for extra in (args.report, args.export):
        if extra:
            writable_folder(extra)
    if args.export:
        export_format(args.export)
    # One Analyzer serves the local engine, the report and the export (Ray actors load their own),
    # and the local engine keeps the clause vectors it computed for the report's topic fit.
    analyzer = load_analyzer(settings) if args.report or args.export else None
    units: UnitsByText = {}
    if args.engine == "ray":
        engine = ray_engine(settings, options, actors=args.actors)
    else:
        engine = local_engine(
            settings, options, analyzer=analyzer, units=units if analyzer is not None else None
        )
    summary = analyze_file(
        args.file,
        args.output,
        columns=_columns(args),
        options=options,
        settings=settings,
        engine=engine,
        resume=args.resume,
        info=info,
        progress=lambda total, done: tqdm(
            total=total, initial=done, unit="doc", dynamic_ncols=True, file=sys.stderr
        ),
    )
    for warning in summary.file.warnings:
        print(f"voc: warning: {warning}", file=sys.stderr)
    topic_version = None
    if analyzer is not None:
        documents = analysed_documents(
            args.file,
            summary.file,
            args.output,
            columns=_columns(args),
            settings=settings,
            redact=options["redact"],
        )
        prepared = prepare_documents(
            analyzer,
            documents,
            refused=summary.failed,
            units=units,
            store=TopicStore.from_settings(settings),
        )
        topic_version = prepared.topic_model.version if prepared.topic_model else None
        if args.report:
            report = report_of(prepared, title=args.title)
            args.report.write_text(render_report_html(report), encoding="utf-8")
        if args.export:
            model = prepared.topic_model
            write_coded(prepared.documents, args.export, model.themes if model else None)
    print(
        json.dumps(
            {
                "output": str(args.output),
                "rows": summary.rows,
                "analysed": summary.analysed,
                "failed": summary.failed,
                "resumed_from": summary.resumed_from,
                "report": str(args.report) if args.report else None,
                "export": str(args.export) if args.export else None,
                "topic_model": topic_version,
            }
        )
    )
    return 0


def _client(args: argparse.Namespace):
    settings = Settings.from_env()
    return JobsClient(args.url or settings.service_url, api_key=settings.api_key)


def _jobs_submit(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.file.suffix == ".json":
        payload = json.loads(args.file.read_text(encoding="utf-8"))
        payload.update(_features(args.features))
        if args.redact:
            payload["redact"] = args.redact
        body = client.submit_documents(payload, idempotency_key=args.idempotency_key)
    else:
        form = {
            "text_column": args.text_column,
            "id_column": args.id_column or "",
            "language_column": args.language_column or "",
            "metadata_columns": args.metadata_columns or "",
            "features": args.features or "",
            "redact": args.redact or "",
        }
        body = client.submit_file(args.file, form, idempotency_key=args.idempotency_key)
    print(json.dumps(body))
    return 0


def _jobs_status(args: argparse.Namespace) -> int:
    print(json.dumps(_client(args).status(args.job_id)))
    return 0


def _jobs_stop(args: argparse.Namespace) -> int:
    print(json.dumps(_client(args).stop(args.job_id)))
    return 0


def _jobs_delete(args: argparse.Namespace) -> int:
    print(json.dumps(_client(args).delete(args.job_id)))
    return 0


def _erasure(args: argparse.Namespace) -> int:
    print(json.dumps(_client(args).erase(args.customer_id)))
    return 0


def _jobs_list(args: argparse.Namespace) -> int:
    print(json.dumps(_client(args).list(status=args.status, limit=args.limit)))
    return 0


def _jobs_results(args: argparse.Namespace) -> int:
    client = _client(args)
    suffix = args.output.suffix.lower().lstrip(".") if args.output else ""
    fmt = args.format or (suffix if suffix in ("csv", "xlsx") else "jsonl")
    sink = args.output.open("wb") if args.output else sys.stdout.buffer
    try:
        for block in client.results(args.job_id, fmt=fmt):
            sink.write(block)
    finally:
        if args.output:
            sink.close()
    return 0


def _add_column_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-column", default="text", help="column holding the text")
    parser.add_argument("--id-column", default=None, help="default: an id column, else row numbers")
    parser.add_argument("--language-column", default=None, help="ISO 639-1 codes; default: auto")
    parser.add_argument("--metadata-columns", default=None, help="comma-separated column names")
    parser.add_argument("--features", default=None, help="comma-separated; default: all")
    parser.add_argument(
        "--redact",
        choices=REDACT_MODES,
        default=None,
        help="personal data in the results and stored texts (default: VOC_REDACT, mask)",
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    worker = commands.add_parser(
        "worker",
        help="process jobs from the database (DATABASE_URL); raises and delivers the emerging-"
        "issue alerts of the jobs it ends",
    )
    worker.add_argument("--worker-id", default=None, help="default: host-pid-random")
    worker.set_defaults(func=_worker)

    analyze = commands.add_parser("analyze", help="analyse a CSV/JSONL/Parquet file offline")
    analyze.add_argument(
        "file", type=Path, help=".csv (any delimiter), .tsv, .jsonl, .parquet, .xlsx"
    )
    analyze.add_argument("-o", "--output", type=Path, required=True, help="results .jsonl or .csv")
    _add_column_options(analyze)
    analyze.add_argument("--score-column", default=None, help="a numeric score (report: metric)")
    analyze.add_argument(
        "--score-type", choices=sorted(SCALES), default=None, help="the scale of --score-column"
    )
    analyze.add_argument("--date-column", default=None, help="ISO dates (report: trend)")
    analyze.add_argument("--segment-column", default=None, help="a segment (region, plan...)")
    analyze.add_argument(
        "--value-column", default=None, help="customer value (report: revenue at risk)"
    )
    analyze.add_argument("--resume", action="store_true", help="continue an interrupted run")
    analyze.add_argument("--report", type=Path, default=None, help="also write the HTML report")
    analyze.add_argument("--title", default="Voice of the customer", help="the report's title")
    analyze.add_argument(
        "--export",
        type=Path,
        default=None,
        help="also write the coded comments (.csv or .xlsx): text, metadata, sentiment, causes, "
        "touchpoints, theme",
    )
    analyze.add_argument("--engine", choices=("local", "ray"), default="local")
    analyze.add_argument("--actors", type=int, default=1, help="Ray actors (--engine ray)")
    analyze.add_argument("--chunk-size", type=int, default=None, help="documents per chunk")
    analyze.set_defaults(func=_analyze)

    jobs = commands.add_parser("jobs", help="talk to a running service").add_subparsers(
        dest="jobs_command", required=True
    )
    submit = jobs.add_parser(
        "submit", help="submit a file (.csv, .tsv, .jsonl, .parquet, .xlsx) or a .json body"
    )
    submit.add_argument("file", type=Path)
    _add_column_options(submit)
    submit.add_argument("--idempotency-key", default=None)
    submit.set_defaults(func=_jobs_submit)
    for name, func, help_text in (
        ("status", _jobs_status, "a job's status and progress"),
        ("stop", _jobs_stop, "stop a job"),
        ("delete", _jobs_delete, "delete a job with its documents and results"),
    ):
        command = jobs.add_parser(name, help=help_text)
        command.add_argument("job_id")
        command.set_defaults(func=func)
    results = jobs.add_parser("results", help="download results (also while running)")
    results.add_argument("job_id")
    results.add_argument("-o", "--output", type=Path, default=None, help="default: stdout")
    results.add_argument("--format", choices=("jsonl", "csv", "xlsx"), default=None)
    results.set_defaults(func=_jobs_results)
    listing = jobs.add_parser("list", help="recent jobs")
    listing.add_argument("--status", default=None)
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(func=_jobs_list)
    erasure = commands.add_parser(
        "erasure", help="delete every stored document, result and alert of one customer"
    )
    erasure.add_argument("customer_id", help="the value of the customer_id metadata key")
    erasure.set_defaults(func=_erasure)
    named = (jobs.choices[n] for n in ("status", "stop", "delete"))
    for parser in (submit, results, listing, erasure, *named):
        parser.add_argument("--url", default=None, help="service URL (default: VOC_URL)")
