"""`Analysis` -> the JSON shape of `../shared/API.md`, shared by the API, jobs and the CLI."""

from __future__ import annotations

from typing import Any

from voc.nlp.churn import ChurnRisk
from voc.nlp.expectations import ExpectationGap
from voc.nlp.quantities import Quantity
from voc.nlp.topic_assignment import assignment_to_dict
from voc.nlp.types import Analysis, RootCauseTag, Segment, Sentence, Sentiment, TouchpointTag

ROUND = 4


def sentiment_to_dict(sentiment: Sentiment, *, probabilities: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"label": sentiment.label, "score": round(sentiment.score, ROUND)}
    if probabilities:
        out["probabilities"] = {k: round(v, ROUND) for k, v in sentiment.probabilities.items()}
    return out


def sentence_to_dict(sentence: Sentence) -> dict[str, Any]:
    out: dict[str, Any] = {"start": sentence.start, "end": sentence.end, "text": sentence.text}
    if sentence.sentiment is not None:
        out["sentiment"] = sentiment_to_dict(sentence.sentiment, probabilities=False)
    out["clauses"] = [{"start": c.start, "end": c.end, "text": c.text} for c in sentence.clauses]
    return out


def span_to_dict(span: Segment | None) -> dict[str, Any] | None:
    return None if span is None else {"start": span.start, "end": span.end, "text": span.text}


def _quantity_to_dict(q: Quantity | None) -> dict[str, Any] | None:
    if q is None:
        return None
    return {"value": q.value, "unit": q.unit.name if q.unit else None, **span_to_dict(q.span)}


def _part_text(span: Segment | None, quantity: Quantity | None) -> str | None:
    """The number with its unit when it has one ("3 hari"), else the whole part."""
    if quantity is not None and quantity.unit is not None:
        return quantity.span.text
    return None if span is None else span.text


def expectation_gap_to_dict(gap: ExpectationGap) -> dict[str, Any]:
    return {
        "kind": gap.kind,
        "kind_source": gap.kind_source,
        "expected": _part_text(gap.expected, gap.expected_quantity),
        "actual": _part_text(gap.actual, gap.actual_quantity),
        "expected_span": span_to_dict(gap.expected),
        "actual_span": span_to_dict(gap.actual),
        "quantities": None
        if gap.expected_quantity is None and gap.actual_quantity is None
        else {
            "expected": _quantity_to_dict(gap.expected_quantity),
            "actual": _quantity_to_dict(gap.actual_quantity),
            "gap": None if gap.gap is None else {"value": gap.gap.value, "unit": gap.gap.unit},
        },
        "cue": span_to_dict(gap.cue),
        "evidence": [span_to_dict(e) for e in gap.evidence],
    }


def churn_risk_to_dict(risk: ChurnRisk) -> dict[str, Any]:
    return {
        "score": risk.score,
        "signals": [
            {
                "type": s.type,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "weight": s.weight,
                "target": s.target,
            }
            for s in risk.signals
        ],
        "components": risk.components,
    }


def root_cause_to_dict(tag: RootCauseTag) -> dict[str, Any]:
    return {
        "id": tag.id,
        "label": tag.label,
        "score": round(tag.score, ROUND),
        "sentiment": tag.sentiment,
        "touchpoint": tag.touchpoint,
        "evidence": [{"start": e.start, "end": e.end, "text": e.text} for e in tag.evidence],
    }


def touchpoint_to_dict(tag: TouchpointTag) -> dict[str, Any]:
    return {
        "id": tag.id,
        "label": tag.label,
        "score": round(tag.score, ROUND),
        "source": tag.source,
    }


def analysis_to_dict(analysis: Analysis) -> dict[str, Any]:
    """Only the features that were computed appear in the output."""
    out: dict[str, Any] = {"id": analysis.id}
    if analysis.language is not None:
        lang = analysis.language
        out["language"] = {
            "code": lang.code,
            "confidence": round(lang.confidence, ROUND),
            "supported": lang.supported,
        }
    if analysis.sentiment is not None:
        out["sentiment"] = sentiment_to_dict(analysis.sentiment)
    if analysis.sentences is not None:
        out["sentences"] = [sentence_to_dict(s) for s in analysis.sentences]
    if analysis.root_causes is not None:
        out["root_causes"] = [root_cause_to_dict(t) for t in analysis.root_causes]
    if analysis.touchpoints is not None:
        out["touchpoints"] = [touchpoint_to_dict(t) for t in analysis.touchpoints]
    if analysis.expectation_gaps is not None:
        out["expectation_gaps"] = [expectation_gap_to_dict(g) for g in analysis.expectation_gaps]
    if analysis.churn_risk is not None:
        out["churn_risk"] = churn_risk_to_dict(analysis.churn_risk)
    if analysis.topics is not None:
        out["topic"] = assignment_to_dict(analysis.topics.topic)
        out["topics"] = [assignment_to_dict(a) for a in analysis.topics.topics]
    if analysis.pii is not None:
        out["pii"] = [{"start": s.start, "end": s.end, "type": s.type} for s in analysis.pii]
    return out
