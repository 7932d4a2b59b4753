"""Analysed fixture documents for the report tests: real Analyzer output and a real topic fit
on `feedback_samples`, plus the issue-3 fields (root causes with evidence spans, touchpoints,
expectation gaps, churn risk) written by hand where the text says so."""

from __future__ import annotations

from typing import Any

from feedback_samples import MULTI_TOPIC, THEMES

from voc.report.prepare import analyse_rows, attach_topics
from voc.topics.fit import TopicSettings

TOUCHPOINTS = {"delivery": "delivery", "price": "billing", "staff": "support"}
CAUSES = {
    "delivery": ("delivery_delay", "Late delivery"),
    "price": ("price_too_high", "Price too high"),
}


def raw_rows(*, scores: bool = True) -> list[dict[str, Any]]:
    rows = []
    for theme, items in THEMES.items():
        for n, (text, lang) in enumerate(items):
            metadata: dict[str, Any] = {
                "touchpoint": TOUCHPOINTS[theme],
                "customer_value": 100.0 * (n + 1),
                "created_at": f"2026-11-{1 + n:02d}T10:00:00Z",
            }
            if scores:
                metadata |= {"score": 2 if theme != "staff" else 8, "score_type": "nps"}
            rows.append(
                {"id": f"{theme}-{n}", "text": text, "language": lang, "metadata": metadata}
            )
    for n, (text, lang) in enumerate(MULTI_TOPIC):
        rows.append(
            {
                "id": f"multi-{n}",
                "text": text,
                "language": lang,
                "metadata": {"score": 1, "score_type": "nps"} if scores else {},
            }
        )
    rows.append({"id": "duplicate", "text": THEMES["price"][0][0], "language": "en"})
    return rows


def with_issue3_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """Root causes / touchpoints / gaps where a theme's evidence word is in the text."""
    theme = doc["id"].split("-")[0]
    text = doc["text"]
    if theme in CAUSES:
        cause, label = CAUSES[theme]
        word = next(
            (
                w
                for w in ("late", "retard", "lambat", "semaines", "expensive", "cher", "mahal")
                if w in text
            ),
            None,
        )
        if word:
            start = text.index(word)
            doc["root_causes"] = [
                {
                    "id": cause,
                    "label": label,
                    "score": 0.9,
                    "sentiment": "negative",
                    "touchpoint": TOUCHPOINTS[theme],
                    "evidence": [{"start": start, "end": start + len(word), "text": word}],
                }
            ]
    if theme in TOUCHPOINTS:
        tp = TOUCHPOINTS[theme]
        doc["touchpoints"] = [{"id": tp, "label": tp.title(), "score": 0.9, "source": "metadata"}]
    if "two weeks" in text:
        start = text.index("two weeks")
        doc["expectation_gaps"] = [
            {
                "kind": "delivery_time",
                "expected": "3 days",
                "actual": "two weeks",
                "evidence": [{"start": start, "end": start + 9, "text": "two weeks"}],
            }
        ]
    doc["churn_risk"] = {"score": 0.8 if theme == "staff" else 0.1, "signals": []}
    return doc


def analysed_documents(analyzer, *, scores: bool = True, issue3: bool = True):
    documents = analyse_rows(analyzer, raw_rows(scores=scores))
    model, notes = attach_topics(
        analyzer, documents, settings=TopicSettings(n_topics=3, min_topic_size=3)
    )
    if issue3:
        documents = [with_issue3_fields(d) for d in documents]
    return documents, model, notes
