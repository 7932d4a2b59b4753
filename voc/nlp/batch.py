"""The one batch function: Feedback + request options -> the result dicts of `POST /v1/analyze`.

Jobs, the `voc analyze` command and the Ray engine all call `analyze_batch`, so a document
gets the same answer whichever path it takes. The options are the request's own JSON
(`features`, `taxonomy`, `journey`, ...), stored as given and passed through unchanged; a
job's taxonomy and journey were validated when the job pinned them (`pin_configuration`) and
are rebuilt as stored, not validated again under whatever limits apply now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voc.nlp.analyzer import FEATURES, Analyzer
from voc.nlp.journey import journey_from_dict
from voc.nlp.pii import detect as detect_pii
from voc.nlp.pii.redaction import redact_result
from voc.nlp.serialize import analysis_to_dict
from voc.nlp.taxonomy import taxonomy_from_dict
from voc.nlp.topic_assignment import UnitsByText
from voc.nlp.types import Analysis, Feedback

OPTION_KEYS = ("features", "taxonomy", "journey", "redact")
"""Request keys that shape an analysis (everything in a request except the documents)."""


def request_options(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The analysis options of a request body, as JSON, ready to store on a job."""
    return {key: payload[key] for key in OPTION_KEYS if payload.get(key) is not None}


def analyze_batch(
    analyzer: Analyzer,
    feedback: Sequence[Feedback],
    options: Mapping[str, Any],
    *,
    units: UnitsByText | None = None,
) -> list[dict[str, Any]]:
    """Analyse one batch with the options of its request; lists in, lists out, same order.
    `units` receives the batch's topic units (`Analyzer.analyze`)."""
    features = options.get("features") or FEATURES
    taxonomy, journey = options.get("taxonomy"), options.get("journey")
    analyses = analyzer.analyze(
        feedback,
        features=features,
        taxonomy=taxonomy_from_dict(taxonomy) if isinstance(taxonomy, dict) else None,
        journey=journey_from_dict(journey) if isinstance(journey, dict) else None,
        units=units,
    )
    mode = options.get("redact") or "none"
    return [
        result_dict(f, a, mode, with_text="pii" in features)
        for f, a in zip(feedback, analyses, strict=True)
    ]


def result_dict(
    feedback: Feedback, analysis: Analysis, mode: str, *, with_text: bool
) -> dict[str, Any]:
    """One document's result as it may leave voc: redacted as `mode` asks ("none", "mask",
    "drop_text"), with the text as returned (`with_text`) so that offsets can be read."""
    result = analysis_to_dict(analysis)
    if mode == "none" and not with_text:
        return result
    spans = analysis.pii if analysis.pii is not None else detect_pii(feedback.text)
    result, text = redact_result(result, feedback.text, spans, mode)
    return {**result, "text": text} if with_text else result


def feedback_to_json(feedback: Feedback) -> dict[str, Any]:
    """The stored form of a validated document (what a job keeps between ingest and analysis)."""
    out: dict[str, Any] = {"id": feedback.id, "text": feedback.text}
    if feedback.language != "auto":
        out["language"] = feedback.language
    if feedback.metadata:
        out["metadata"] = feedback.metadata
    return out


def feedback_from_json(raw: Mapping[str, Any]) -> Feedback:
    return Feedback(
        id=raw["id"],
        text=raw["text"],
        language=raw.get("language", "auto"),
        metadata=raw.get("metadata") or {},
    )
