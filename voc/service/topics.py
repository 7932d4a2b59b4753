"""`/v1/topics`: the active topic model and the analyst's edits (rename, merge, split).

Every fit and edit registers a new version of the `topics` model (`TopicStore`) and activates
it through the registry like any other model (`ModelSwitch`: a new analyzer sharing every
other component is swapped in), so `/v1/analyze` answers with it at once and `GET /v1/models`,
`voc models activate|rollback topics` see the same versions. A fit here runs in the request
(the encoder serialises callers); large corpora fit offline with `voc topics fit FILE`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from voc.jobs.store import JobStore
from voc.nlp.topic_model import TopicModel, topic_to_dict
from voc.service.auth import principal
from voc.service.errors import ApiError
from voc.service.schemas import json_body
from voc.service.state import state
from voc.topics import edits
from voc.topics.fit import TooFewDocumentsError, TopicSettings
from voc.topics.pipeline import fit_documents
from voc.topics.store import NAME, TopicStore

bp = Blueprint("topics", __name__)


def model_to_dict(model: TopicModel | None) -> dict[str, Any]:
    if model is None:
        return {"version": None, "topics": [], "stats": {}, "edits": []}
    return {
        "version": model.version,
        "topics": [topic_to_dict(t) for t in model.topics],
        "stats": {k: v for k, v in model.stats.items() if k != "settings"},
        "edits": list(model.edits),
    }


def _active() -> TopicModel:
    model = state(current_app).analyzer.topics
    if model is None:
        raise ApiError(
            404, "NoTopicModel", "no topic model is active: fit one with `voc topics fit`"
        )
    return model


def _activate(model: TopicModel):
    models = state(current_app).models
    entry = TopicStore(models.registry).save(model, activate=False)
    models.activate(NAME, entry.version, force=False)
    return jsonify(model_to_dict(models.analyzer.topics))


def _object_body() -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidRequest", "the body must be a JSON object")
    return body


def _edit(function, *args):
    try:
        return _activate(function(*args))
    except edits.TopicEditError as err:
        raise ApiError(400, "InvalidTopicEdit", str(err)) from err


@bp.get("/v1/topics")
def get_topics():
    return jsonify(model_to_dict(state(current_app).analyzer.topics))


@bp.patch("/v1/topics/<int:topic_id>")
def rename_topic(topic_id: int):
    label = _object_body().get("label")
    if not isinstance(label, str):
        raise ApiError(400, "InvalidRequest", 'send {"label": "new label"}')
    return _edit(edits.rename, _active(), topic_id, label)


@bp.post("/v1/topics/merge")
def merge_topics():
    body = _object_body()
    ids, label = body.get("ids"), body.get("label")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise ApiError(400, "InvalidRequest", 'send {"ids": [3, 7], "label": "optional label"}')
    if label is not None and not isinstance(label, str):
        raise ApiError(400, "InvalidRequest", "label must be a string")
    return _edit(edits.merge, _active(), ids, label)


@bp.post("/v1/topics/<int:topic_id>/split")
def split_topic(topic_id: int):
    parts = _object_body().get("parts", 2)
    if not isinstance(parts, int) or not 2 <= parts <= 10:
        raise ApiError(400, "InvalidRequest", "parts must be an integer between 2 and 10")
    return _edit(edits.split, _active(), topic_id, parts)


FIT_OPTIONS = ("n_topics", "min_topic_size", "outlier_share", "seed")


@bp.post("/v1/topics/fit")
def fit_topics():
    """Fit on `texts` or on a job's documents (`job_id`); refits keep ids unless `fresh`."""
    body = _object_body()
    texts = _fit_texts(body)
    options = {k: body[k] for k in FIT_OPTIONS if k in body}
    try:
        settings = TopicSettings(**options)
    except (TypeError, ValueError) as err:
        raise ApiError(400, "InvalidRequest", f"topic settings: {err}") from err
    services = state(current_app)
    previous = None if body.get("fresh") else services.analyzer.topics
    source = f"job:{body['job_id']}" if "job_id" in body else "request"
    try:
        model, _ = services.model_work.run(
            lambda: fit_documents(
                services.analyzer, texts, settings=settings, previous=previous, source=source
            )
        )
    except TooFewDocumentsError as err:
        raise ApiError(400, "TooFewDocuments", str(err)) from err
    response = _activate(model)
    response.status_code = 201
    return response


def _fit_texts(body: dict[str, Any]) -> list[str]:
    if "job_id" in body:
        store = JobStore(state(current_app).engine)
        job = store.get(str(body["job_id"]))
        if job is None or job.tenant != principal().tenant:
            raise ApiError(404, "JobNotFound", f"no job {body['job_id']!r}")
        return [d["text"] for d in store.analysed_documents(str(body["job_id"]))]
    texts = body.get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise ApiError(400, "InvalidRequest", 'send {"texts": ["...", ...]} or {"job_id": "..."}')
    return texts
