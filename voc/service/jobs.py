"""Batch jobs over HTTP: submit (JSON or a file), watch, read results while they come, stop.

`POST /v1/jobs` stores every document before it answers 202, so an accepted job is never
lost; workers (a thread of `voc serve`, or `voc worker` processes) do the analysis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request, stream_with_context

from voc.jobs.emerging_alerts import EmergingAlerts
from voc.jobs.ingest import (
    Columns,
    IngestError,
    file_format,
    inspect_file,
    read_documents,
    read_file,
)
from voc.jobs.output import csv_lines, jsonl_lines
from voc.jobs.store import IdempotencyConflict, Job, JobNotReady, JobStore
from voc.jobs.types import FINISHED, STATUSES
from voc.jobs.worker import WorkerThread
from voc.report.export import XLSX_MIMETYPE, coded_xlsx_bytes
from voc.report.html import render_report_html, report_csp
from voc.report.prepare import prepare_documents, report_of
from voc.service.auth import caller, principal
from voc.service.configuration import pin_configuration
from voc.service.errors import ApiError
from voc.service.headers import html_response
from voc.service.openapi_jobs import MAX_LIST
from voc.service.report_cache import ReportCache
from voc.service.schemas import json_body, parse_json, parse_options
from voc.service.state import state

bp = Blueprint("jobs", __name__)
EXTENSION = "voc.jobs"
FILE_FIELDS = ("text_column", "id_column", "language_column", "metadata_columns", "format")


def init_app(app: Flask) -> None:
    """The job store on the app's database, the blueprint, and the in-process worker, which
    raises a job's emerging-issue alerts when it ends it (as a `voc worker` does)."""
    services = state(app)
    store = JobStore(services.engine)
    emerging = EmergingAlerts(store, services.config_store, services.alerts)
    worker = (
        WorkerThread(
            store, services.settings, services.models.models, on_finished=emerging.at_completion
        )
        if services.settings.in_process_worker
        else None
    )
    app.extensions[EXTENSION] = {
        "store": store,
        "worker": worker,
        "reports": ReportCache(),
        "emerging": emerging,
    }
    app.register_blueprint(bp)


def _store() -> JobStore:
    return job_store(current_app)


def job_store(app: Flask) -> JobStore:
    return app.extensions[EXTENSION]["store"]


def forget_reports(app: Flask, job_ids: Iterable[str]) -> None:
    """Drop the cached reports of jobs whose documents were deleted."""
    app.extensions[EXTENSION]["reports"].drop(job_ids)


def close(app: Flask) -> None:
    worker = app.extensions[EXTENSION]["worker"]
    if worker is not None:
        worker.close()


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


def job_to_dict(job: Job) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "status": job.status,
        "progress": {"total": job.total, "done": job.done, "failed": job.failed},
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "error": job.error,
        "warnings": job.warnings,
        "options": job.options,
        "source": job.source,
        "model_versions": list(job.model_versions),
    }


def _job_or_404(job_id: str) -> Job:
    job = _store().get(job_id)
    if job is None or job.tenant != principal().tenant:  # another tenant's job: not found
        raise ApiError(404, "JobNotFound", f"no job {job_id!r}; GET /v1/jobs lists the jobs")
    return job


def _refuse_oversized(limit: int, what: str) -> None:
    """Answer 413 from the announced length, before a byte of the body is read."""
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(
            413,
            "RequestTooLarge",
            f"the {what} announces {request.content_length} bytes; the limit is {limit} "
            "(max_upload_bytes / max_job_json_bytes in GET /v1/limits): split the input",
        )


@bp.post("/v1/jobs")
def submit():
    limits = state(current_app).settings.limits
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 200:
        raise ApiError(400, "InvalidIdempotencyKey", "Idempotency-Key must be 1-200 characters")
    if request.mimetype == "multipart/form-data":
        _refuse_oversized(limits.max_upload_bytes, "upload")
        submission = _file_submission(limits)
    else:
        _refuse_oversized(limits.max_job_json_bytes, "JSON body")
        submission = _json_submission(limits)
    rows, options, source, warnings, fingerprint = submission
    try:
        job = _store().create(
            rows,
            options=options,
            source=source,
            warnings=warnings,
            chunk_size=state(current_app).settings.job_chunk_size,
            idempotency_key=key,
            fingerprint=fingerprint,
            tenant=principal().tenant,
        )
    except IngestError as err:
        raise ApiError(400, err.code, err.message) from err
    except IdempotencyConflict as err:
        raise ApiError(409, "IdempotencyKeyReused", str(err)) from err
    except JobNotReady as err:
        raise ApiError(409, "JobNotReady", f"{err}; retry shortly", {"Retry-After": "2"}) from err
    response = jsonify(
        {"job_id": job.id, "status": job.status, "warnings": job.warnings, "total": job.total}
    )
    response.status_code = 202
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    if job.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _json_submission(limits):
    payload = json_body(request)
    if not isinstance(payload, dict):
        raise ApiError(400, "InvalidRequest", 'the body must be a JSON object with "documents"')
    documents = payload.get("documents")
    if not isinstance(documents, list) or not documents:
        raise ApiError(400, "InvalidRequest", '"documents" must be a non-empty list of objects')
    options = _job_options(payload)
    fingerprint = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return read_documents(documents, limits), options, {"kind": "json"}, [], fingerprint


def _job_options(payload: dict[str, Any]) -> dict[str, Any]:
    """Validated options with the configuration pinned and the redaction mode fixed now (the
    deployment's unless the request names one), so every chunk is treated alike."""
    services = state(current_app)
    pinned = pin_configuration(
        services.config_store, parse_options(payload), tenant=principal().tenant
    )
    return {"redact": services.settings.redact, **pinned}


def _form_value(name: str) -> Any:
    """A form field; JSON lists/objects are parsed, `a,b` lists are split (features)."""
    value = request.form.get(name)
    if value is None or value == "":
        return None
    if value.lstrip().startswith(("[", "{")):
        return parse_json(value, f"form field {name!r}")
    return value


def _file_submission(limits):
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(400, "MissingFile", 'send the input as a multipart form field named "file"')
    form_options = {}
    for name in ("features", "taxonomy", "journey", "redact"):
        value = _form_value(name)
        if name == "features" and isinstance(value, str):
            value = [f.strip() for f in value.split(",") if f.strip()]
        if value is not None:
            form_options[name] = value
    options = _job_options(form_options)
    metadata = request.form.get("metadata_columns") or ""
    columns = Columns(
        text=request.form.get("text_column") or "text",
        id=request.form.get("id_column") or None,
        language=request.form.get("language_column") or None,
        metadata=tuple(c.strip() for c in metadata.split(",") if c.strip()),
    )
    try:
        fmt = file_format(upload.filename, request.form.get("format") or None)
        info = inspect_file(upload.stream, fmt)
    except IngestError as err:
        raise ApiError(400, err.code, err.message) from err
    fingerprint = hashlib.sha256(
        json.dumps(
            [info.sha256, options, {f: request.form.get(f) for f in FILE_FIELDS}], sort_keys=True
        ).encode()
    ).hexdigest()
    source = {
        "kind": "file",
        "filename": upload.filename,
        "format": fmt,
        "encoding": info.encoding,
        "bytes": info.size,
        **({"delimiter": info.delimiter} if info.delimiter else {}),
    }
    rows = read_file(upload.stream, info, columns, limits)
    return rows, options, source, info.warnings, fingerprint


@bp.get("/v1/jobs/<job_id>")
def get_job(job_id: str):
    return jsonify(job_to_dict(_job_or_404(job_id)))


@bp.get("/v1/jobs/<job_id>/results")
def results(job_id: str):
    job = _job_or_404(job_id)
    fmt = request.args.get("format", "jsonl")
    store = _store()
    if fmt == "jsonl":
        body, mimetype = jsonl_lines(store.results(job.id)), "application/x-ndjson"
    elif fmt == "csv":
        body, mimetype = csv_lines(store.results(job.id), job.options), "text/csv"
    elif fmt == "xlsx":
        # The coded comments (text, metadata, sentiment, causes, theme): a workbook is one blob.
        body, mimetype = [coded_xlsx_bytes(store.analysed_documents(job.id))], XLSX_MIMETYPE
    else:
        raise ApiError(400, "InvalidFormat", f"format must be jsonl, csv or xlsx, not {fmt!r}")
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["X-Job-Status"] = job.status
    return response


@bp.get("/v1/jobs/<job_id>/report.json")
def report_json(job_id: str):
    return jsonify(_report(_job_or_404(job_id)))


@bp.get("/v1/jobs/<job_id>/report")
def report_html(job_id: str):
    return html_response(render_report_html(_report(_job_or_404(job_id))), report_csp())


def _report(job: Job) -> dict[str, Any]:
    """The analyst's report over the job's committed results (all of them once it has ended),
    cached per job, progress, erasures and model versions (`ReportCache`): an erasure made
    through another process changes the key here too."""
    analyzer = state(current_app).analyzer
    title = f"Job {job.id} ({job.status.lower().replace('_', ' ')})"
    versions = tuple(sorted(analyzer.model_versions.items()))
    key = (job.id, job.status, job.done, job.failed, job.erased, versions)
    store, model_work = _store(), state(current_app).model_work

    def build() -> dict[str, Any]:  # runs on the model-work thread, outside the app context
        rows = store.analysed_documents(job.id)
        # the fit is not saved: a topic version holds example comments, and the registry is
        # shared by every tenant (and would gain a version at every progress step)
        prepared = prepare_documents(analyzer, rows, refused=job.failed)
        return report_of(prepared, title=title)

    def build_and_alert() -> dict[str, Any]:
        report = model_work.run(build)
        if job.status in FINISHED:  # none twice: alert ids are derived from the job and cause
            current_app.extensions[EXTENSION]["emerging"].raise_for(
                job, report["emerging"]["themes"]
            )
        return report

    return current_app.extensions[EXTENSION]["reports"].get(key, build_and_alert)


@bp.post("/v1/jobs/<job_id>/stop")
def stop(job_id: str):
    _job_or_404(job_id)
    job = _store().request_stop(job_id)
    response = jsonify(job_to_dict(job))
    response.status_code = 202 if job.status == "STOP_REQUESTED" else 200
    return response


@bp.delete("/v1/jobs/<job_id>")
def delete_job(job_id: str):
    """Remove the job, its documents, chunks, results and cached reports (its emerging-issue
    alerts stay: they hold counts, no comment); the deletion is recorded without the data."""
    _job_or_404(job_id)
    removed = _store().delete(job_id, kind="job", actor=caller())
    forget_reports(current_app, [job_id])
    return jsonify({"job_id": job_id, "removed": removed})


@bp.get("/v1/jobs")
def list_jobs():
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(400, "InvalidStatus", f"status must be one of {list(STATUSES)}")
    try:
        limit = int(request.args.get("limit", 50))
    except ValueError as err:
        raise ApiError(400, "InvalidLimit", "limit must be an integer") from err
    if not 1 <= limit <= MAX_LIST:
        raise ApiError(400, "InvalidLimit", f"limit must be between 1 and {MAX_LIST}")
    listed = _store().list(limit=limit, status=status, tenant=principal().tenant)
    return jsonify({"jobs": [job_to_dict(j) for j in listed]})
