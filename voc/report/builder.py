"""The analyst's report as data: `build_report(documents) -> dict` (the shape of report.json).

Input: analysed documents as `/v1/analyze` and job results give them (API.md), with `text` and
`metadata` when the caller has them. The fields of later issues (`root_causes`, `touchpoints`,
`expectation_gaps`, `churn_risk`) and `topic`/`topics` are used when present and skipped when
absent. The HTML page (`voc.report.html`) renders exactly this dict.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from voc.nlp.topic_model import OTHER_ID, TopicModel
from voc.report.comparisons import (
    EMERGING_TEST,
    emerging_themes,
    period_change,
    segment_table,
)
from voc.report.data_notes import data_notes, root_cause_coverage
from voc.report.drivers import (
    CHURN_RISK_MIN,
    METRIC_NAMES,
    SCALES,
    ScoredDoc,
    Theme,
    dominant_score_type,
    driver_table,
    headline_metric,
)
from voc.topics.labels import holds_phrase

SENTIMENTS = ("negative", "neutral", "positive", "mixed")
EXAMPLES = 3
COMMENTS_PER_THEME = 25
MAX_COMMENTS = 3000


@dataclass(frozen=True)
class Doc:
    """One analysed document, normalised for counting (missing features become empty)."""

    id: str
    text: str
    language: str
    language_confidence: float | None
    sentiment: str | None
    sentiment_score: float | None
    score: float | None
    score_type: str | None
    raw_score_type: str | None
    source: str | None
    segment: str | None
    customer_value: float
    created_at: datetime | None
    touchpoints: tuple[tuple[str, str], ...]
    root_causes: tuple[tuple[str, str], ...]
    topics: tuple[tuple[int, str], ...]
    gaps: tuple[dict[str, Any], ...]
    churn: float | None
    highlights: tuple[dict[str, Any], ...]

    @property
    def negative(self) -> bool:
        return self.sentiment in ("negative", "mixed")


def _text(raw: dict[str, Any]) -> str:
    """The text, or its sentences put back at their offsets (analysed results omit it)."""
    if isinstance(raw.get("text"), str):
        return raw["text"]
    sentences = raw.get("sentences") or []
    chars: list[str] = []
    for s in sentences:
        chars += [" "] * max(0, s["start"] - len(chars))
        chars[s["start"] : s["end"]] = list(s["text"])
    return "".join(chars)


def _created_at(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _label(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def normalize_document(raw: dict[str, Any]) -> Doc:
    meta = raw.get("metadata") or {}
    language = raw.get("language")
    sentiment = raw.get("sentiment") or {}
    root_causes = raw.get("root_causes") or []
    touchpoints = [(t["id"], t.get("label") or t["id"]) for t in raw.get("touchpoints") or []]
    if not touchpoints and isinstance(meta.get("touchpoint"), str):
        touchpoints = [(meta["touchpoint"], meta["touchpoint"])]
    topics = raw.get("topics") or ([raw["topic"]] if raw.get("topic") else [])
    highlights = [
        {"start": e["start"], "end": e["end"], "kind": "root_cause", "label": rc.get("label")}
        for rc in root_causes
        for e in rc.get("evidence") or []
    ] + [
        {"start": e["start"], "end": e["end"], "kind": "expectation_gap", "label": g.get("kind")}
        for g in raw.get("expectation_gaps") or []
        for e in g.get("evidence") or []
    ]
    churn = raw.get("churn_risk")
    return Doc(
        id=str(raw.get("id")),
        text=_text(raw),
        language=language.get("code", "und") if isinstance(language, dict) else language or "und",
        language_confidence=_number(language.get("confidence"))
        if isinstance(language, dict)
        else None,
        sentiment=sentiment.get("label"),
        sentiment_score=sentiment.get("score"),
        score=_number(meta.get("score")),
        score_type=meta.get("score_type") if meta.get("score_type") in SCALES else None,
        raw_score_type=str(meta["score_type"]) if meta.get("score_type") is not None else None,
        source=_label(meta.get("source")) or _label(meta.get("channel")),
        segment=_label(meta.get("segment")),
        customer_value=_number(meta.get("customer_value")) or 0.0,
        created_at=_created_at(meta.get("created_at")),
        touchpoints=tuple(dict.fromkeys(touchpoints)),
        root_causes=tuple(dict.fromkeys((r["id"], r.get("label") or r["id"]) for r in root_causes)),
        topics=tuple(dict.fromkeys((int(t["id"]), t["label"]) for t in topics)),
        gaps=tuple(raw.get("expectation_gaps") or []),
        churn=_number(churn.get("score")) if isinstance(churn, dict) else None,
        highlights=tuple(sorted(highlights, key=lambda h: (h["start"], h["end"]))),
    )


def _sentiment_counts(docs: list[Doc]) -> dict[str, int]:
    counts = Counter(d.sentiment for d in docs if d.sentiment)
    return {s: counts.get(s, 0) for s in SENTIMENTS}


def _examples(docs: list[Doc], label: str = "") -> list[dict[str, str]]:
    """The most negative comments; with a model's `label`, led by the most negative one that
    holds it as a run of words, so the page shows where the label comes from."""
    ranked = sorted(docs, key=lambda d: (d.sentiment_score is None, d.sentiment_score or 0))
    holder = next((d for d in ranked if label and holds_phrase(d.text, label)), None)
    if holder is not None:
        ranked = [holder, *(d for d in ranked if d is not holder)]
    return [{"id": d.id, "text": d.text} for d in ranked[:EXAMPLES]]


def _theme_block(docs: list[Doc], score_type: str | None, label: str = "") -> dict[str, Any]:
    scored = [d.score for d in docs if d.score is not None and d.score_type == score_type]
    return {
        "size": len(docs),
        "sentiment": _sentiment_counts(docs),
        "mean_score": round(sum(scored) / len(scored), 3) if scored else None,
        "touchpoints": dict(Counter(t for d in docs for t, _ in d.touchpoints).most_common()),
        "languages": dict(Counter(d.language for d in docs).most_common()),
        "examples": _examples(docs, label),
    }


def _period(docs: list[Doc]) -> str:
    dates = [d.created_at for d in docs if d.created_at]
    span = (max(dates) - min(dates)).days if dates else 0
    return "day" if span <= 45 else "week" if span <= 400 else "month"


def _bucket(moment: datetime, period: str) -> str:
    if period == "day":
        return moment.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return moment.strftime("%Y-%m")


def _trend(docs: list[Doc], topic_ids: list[int]) -> dict[str, Any]:
    dated = [d for d in docs if d.created_at]
    if not dated:
        return {"period": None, "periods": [], "volume": [], "negative_share": [], "topics": {}}
    period = _period(dated)
    buckets: dict[str, list[Doc]] = defaultdict(list)
    for d in dated:
        buckets[_bucket(d.created_at, period)].append(d)
    periods = sorted(buckets)
    return {
        "period": period,
        "periods": periods,
        "volume": [len(buckets[p]) for p in periods],
        "negative_share": [
            round(sum(d.negative for d in buckets[p]) / len(buckets[p]), 4) for p in periods
        ],
        "topics": {
            str(t): [sum(any(i == t for i, _ in d.topics) for d in buckets[p]) for p in periods]
            for t in topic_ids
        },
    }


def _comment(doc: Doc) -> dict[str, Any]:
    return {
        "id": doc.id,
        "text": doc.text,
        "language": doc.language,
        "sentiment": doc.sentiment,
        "score": doc.score,
        "created_at": doc.created_at.isoformat() if doc.created_at else None,
        "touchpoints": [t for t, _ in doc.touchpoints],
        "topics": [t for t, _ in doc.topics],
        "root_causes": [r for r, _ in doc.root_causes],
        "gaps": [g.get("kind") for g in doc.gaps],
        "highlights": list(doc.highlights),
    }


def _comments(
    docs: list[Doc], groups: Iterable[list[Doc]], examples: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The comments behind the numbers: every theme's `examples` (document ids: the comment a
    label is read from is listed), the most negative ones of every theme, then the rest."""
    by_id = {d.id: d for d in docs}
    chosen: dict[str, Doc] = {i: by_id[i] for i in examples if i in by_id}
    for group in groups:
        for d in sorted(group, key=lambda d: d.sentiment_score or 0)[:COMMENTS_PER_THEME]:
            chosen.setdefault(d.id, d)
    for d in docs:
        if len(chosen) >= MAX_COMMENTS:
            break
        chosen.setdefault(d.id, d)
    return [_comment(d) for d in list(chosen.values())[:MAX_COMMENTS]]


def _topic_map(model: TopicModel | None, topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Topics on a plane: the first two principal axes of their centroids, sized by volume."""
    if model is None or len(model.topics) < 3:
        return []
    centred = model.centroids - model.centroids.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ axes[:2].T
    sizes = {t["id"]: t["size"] for t in topics}
    return [
        {
            "id": t.id,
            "label": t.label,
            "x": round(float(x), 4),
            "y": round(float(y), 4),
            "size": sizes.get(t.id, 0),
        }
        for t, (x, y) in zip(model.topics, xy, strict=True)
    ]


@dataclass(frozen=True)
class _Groups:
    """Documents grouped by each theme they carry (a document can be in several), with each
    theme's label as the documents give it."""

    members: dict[Any, list[Doc]]
    labels: dict[Any, str]


def _group(
    docs: list[Doc],
    themes: Callable[[Doc], Iterable[tuple[Any, str]]],
    *,
    first_label: bool = False,
) -> _Groups:
    """Each theme's documents, and its label as the first (or last) document gives it."""
    members: dict[Any, list[Doc]] = defaultdict(list)
    labels: dict[Any, str] = {}
    for d in docs:
        for key, label in themes(d):
            members[key].append(d)
            if not (first_label and key in labels):
                labels[key] = label
    return _Groups(members, labels)


def _topic_blocks(
    by_topic: _Groups, topic_model: TopicModel | None, score_type: str | None
) -> list[dict[str, Any]]:
    """Topics by size ("other" last), named and described by the model when it knows them."""
    known = {t.id: t for t in topic_model.topics} if topic_model else {}
    topics = []
    for t in sorted(by_topic.members, key=lambda t: (t == OTHER_ID, -len(by_topic.members[t]))):
        model_topic = known.get(t)
        topics.append(
            {
                "id": t,
                "label": model_topic.label if model_topic else by_topic.labels[t],
                "keywords": [w for w, _ in model_topic.keywords] if model_topic else [],
                "is_new": model_topic.is_new if model_topic else False,
                "theme": model_topic.theme if model_topic else "",
                **_theme_block(
                    by_topic.members[t], score_type, model_topic.label if model_topic else ""
                ),
            }
        )
    return topics


def _top_themes(
    topics: list[dict[str, Any]], by_topic: _Groups, score_type: str | None
) -> list[dict[str, Any]]:
    """The two-level view: each top-level theme of the topic model with its subtopics (ids and
    labels, largest first) and the numbers of the comments in any of them, largest theme first.
    Empty when the model has one level (few topics) or the documents carry no model's topics."""
    subtopics: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for topic in topics:
        if topic["theme"]:
            subtopics[topic["theme"]].append(topic)
    blocks = []
    for label, members in subtopics.items():
        docs = list({id(d): d for t in members for d in by_topic.members[t["id"]]}.values())
        blocks.append(
            {
                "label": label,
                "subtopics": [{"id": t["id"], "label": t["label"]} for t in members],
                **_theme_block(docs, score_type, label),
            }
        )
    return sorted(blocks, key=lambda b: -b["size"])


def _theme_blocks(groups: _Groups, score_type: str | None) -> list[dict[str, Any]]:
    """Root causes or touchpoints, most frequent first."""
    return [
        {"id": key, "label": groups.labels[key], **_theme_block(members, score_type)}
        for key, members in sorted(groups.members.items(), key=lambda kv: -len(kv[1]))
    ]


def _gap_blocks(by_gap: dict[str, list[Doc]]) -> list[dict[str, Any]]:
    """Expectation gaps by kind, most frequent first, with a few examples of each."""
    return [
        {
            "kind": kind,
            "count": len(group),
            "examples": [
                {
                    "id": d.id,
                    "text": d.text,
                    "expected": g.get("expected"),
                    "actual": g.get("actual"),
                }
                for d in group[:EXAMPLES]
                for g in d.gaps
                if str(g.get("kind")) == kind
            ][:EXAMPLES],
        }
        for kind, group in sorted(by_gap.items(), key=lambda kv: -len(kv[1]))
    ]


def _themes(topics: list[dict[str, Any]], root_causes: list[dict[str, Any]]) -> list[Theme]:
    """The themes drivers and comparisons measure: topics (but "other") and root causes."""
    themes = [Theme("topic", str(t["id"]), t["label"]) for t in topics if t["id"] != OTHER_ID]
    return themes + [Theme("root_cause", c["id"], c["label"]) for c in root_causes]


def _scored(docs: list[Doc]) -> list[ScoredDoc]:
    """Each document as the driver and comparison tables count it."""
    return [
        ScoredDoc(
            themes=frozenset(
                [("topic", str(t)) for t, _ in d.topics]
                + [("root_cause", c) for c, _ in d.root_causes]
            ),
            score=d.score,
            score_type=d.score_type,
            negative=d.negative,
            customer_value=d.customer_value,
            churn_risk=d.churn is not None and d.churn >= CHURN_RISK_MIN,
            positive=d.sentiment == "positive",
        )
        for d in docs
    ]


def _dated(docs: list[Doc], keys: list[frozenset]) -> tuple[str, list[tuple[str, frozenset]]]:
    """The period the dated documents are bucketed by, and (bucket, themes) per dated one."""
    period = _period(docs)
    return period, [
        (_bucket(d.created_at, period), k) for d, k in zip(docs, keys, strict=True) if d.created_at
    ]


def _comparisons(docs: list[Doc], scored: list[ScoredDoc], themes: list[Theme]) -> dict[str, Any]:
    """Themes by customer segment, themes emerging in the latest period, and each theme's
    change from the period before."""
    labels = {(t.kind, t.id): t.label for t in themes}
    keyed = [(d.segment, s.themes) for d, s in zip(docs, scored, strict=True)]
    period, dated = _dated(docs, [s.themes for s in scored])
    rows = [(t.kind, t.id, t.label) for t in themes]
    return {
        "segments": segment_table(keyed, rows),
        "emerging": {"test": EMERGING_TEST, "themes": emerging_themes(dated, labels)},
        "period_change": period_change(dated, rows, period if dated else None),
    }


def emerging_root_causes(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The root causes the report would flag as emerging (its `emerging.themes` of kind
    `root_cause`, same periods, counts and p-values), without fitting topics: what a job can
    test the moment it completes, since every analysed document carries its root causes."""
    docs = [normalize_document(r) for r in documents]
    labels = _group(docs, lambda d: d.root_causes).labels
    _, dated = _dated(docs, [frozenset(("root_cause", c) for c, _ in d.root_causes) for d in docs])
    return emerging_themes(dated, {("root_cause", c): label for c, label in labels.items()})


def _heatmap(topics: list[dict[str, Any]], touchpoints: list[dict[str, Any]]) -> dict[str, Any]:
    """Documents per (topic, touchpoint), for the largest topics and touchpoints."""
    heat_topics = [t for t in topics if t["id"] != OTHER_ID][:25]
    heat_touchpoints = [t["id"] for t in touchpoints][:15]
    return {
        "topics": [t["label"] for t in heat_topics],
        "topic_ids": [t["id"] for t in heat_topics],
        "touchpoints": heat_touchpoints,
        "counts": [[t["touchpoints"].get(tp, 0) for tp in heat_touchpoints] for t in heat_topics],
    }


def _summary(
    docs: list[Doc], score_type: str | None, topic_model: TopicModel | None
) -> dict[str, Any]:
    """The headline numbers: volume, data quality, languages, sentiment, the score metric."""
    scores = [d.score for d in docs if d.score is not None and d.score_type == score_type]
    text_counts = Counter(" ".join(d.text.lower().split()) for d in docs if d.text.strip())
    return {
        "documents": len(docs),
        "empty": sum(not d.text.strip() for d in docs),
        "duplicates": sum(c - 1 for c in text_counts.values()),
        "languages": dict(Counter(d.language for d in docs).most_common()),
        "sentiment": _sentiment_counts(docs),
        "score_type": score_type,
        "metric": METRIC_NAMES.get(score_type) if score_type else None,
        "metric_value": round(headline_metric(scores, score_type), 2) if scores else None,
        "scored": len(scores),
        "score_distribution": (
            {str(v): n for v, n in sorted(Counter(scores).items())} if scores else {}
        ),
        "customer_value": round(sum(d.customer_value for d in docs), 2),
        "topic_model": topic_model.version if topic_model else None,
    }


def build_report(
    documents: Iterable[dict[str, Any]],
    *,
    topic_model: TopicModel | None = None,
    title: str = "Voice of the customer",
    notes: Iterable[str] = (),
    seed: int = 0,
    refused: int = 0,
) -> dict[str, Any]:
    """Everything the analyst's page shows, as JSON-ready data (API.md `report.json`);
    `refused`: input rows refused before analysis (shown in the data notes)."""
    docs = [normalize_document(r) for r in documents]
    score_type = dominant_score_type(
        [ScoredDoc(frozenset(), d.score, d.score_type, False, 0, False) for d in docs]
    )
    by_topic = _group(docs, lambda d: d.topics, first_label=True)
    by_cause = _group(docs, lambda d: d.root_causes)
    by_touchpoint = _group(docs, lambda d: d.touchpoints)
    by_gap = _group(docs, lambda d: [(str(g.get("kind")), "") for g in d.gaps]).members
    topics = _topic_blocks(by_topic, topic_model, score_type)
    root_causes = _theme_blocks(by_cause, score_type)
    touchpoints = _theme_blocks(by_touchpoint, score_type)
    top_themes = _top_themes(topics, by_topic, score_type)
    themes = _themes(topics, root_causes)
    scored = _scored(docs)
    comparisons = _comparisons(docs, scored, themes)
    return {
        "title": title,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "notes": list(notes),
        "summary": _summary(docs, score_type, topic_model),
        "topics": topics,
        "top_themes": top_themes,
        "topic_map": _topic_map(topic_model, topics),
        "root_causes": root_causes,
        "touchpoints": touchpoints,
        "heatmap": _heatmap(topics, touchpoints),
        "drivers": driver_table(scored, themes, seed=seed),
        "data_notes": data_notes(docs, score_type, refused),
        "coverage": root_cause_coverage(docs),
        "segments": comparisons["segments"],
        "emerging": comparisons["emerging"],
        "period_change": comparisons["period_change"],
        "expectation_gaps": _gap_blocks(by_gap),
        "trend": _trend(docs, [t["id"] for t in topics if t["id"] != OTHER_ID][:8]),
        "comments": _comments(
            docs,
            [
                *by_topic.members.values(),
                *by_cause.members.values(),
                *by_touchpoint.members.values(),
                *by_gap.values(),
            ],
            [e["id"] for block in (*topics, *top_themes) for e in block["examples"]],
        ),
    }
