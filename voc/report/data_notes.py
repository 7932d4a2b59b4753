"""What the numbers rest on: the data-notes box and root-cause coverage of the report.

Data notes say what a reader cannot see in the totals: rows refused before analysis, scores left
out of the headline metric (another score type, or none recognised), and languages too rare or
too uncertain to read as real (`LOW_CONFIDENCE`, `RARE_SHARE`). Coverage is the share of
negative comments that got at least one root cause, overall, per language and per source (the
`source` metadata key, else `channel`): where it is low the taxonomy does not fit the data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

LOW_CONFIDENCE = 0.6
"""A language whose documents' mean detection confidence is below this is noted, not headlined."""
RARE_SHARE = 0.01
"""A language with fewer than this share of the documents (and under `RARE_COUNT`) is noted."""
RARE_COUNT = 20
UNKNOWN = "(none)"


class NotedDoc(Protocol):
    language: str
    language_confidence: float | None
    score: float | None
    score_type: str | None
    raw_score_type: str | None
    source: str | None
    negative: bool
    root_causes: tuple[tuple[str, str], ...]


def low_confidence_languages(docs: Sequence[NotedDoc]) -> dict[str, dict[str, Any]]:
    """{code: {documents, mean_confidence, reason}} for languages too rare or too uncertain."""
    by_language: dict[str, list[NotedDoc]] = defaultdict(list)
    for d in docs:
        by_language[d.language].append(d)
    noted = {}
    for code, group in sorted(by_language.items(), key=lambda kv: -len(kv[1])):
        confidences = [d.language_confidence for d in group if d.language_confidence is not None]
        mean = sum(confidences) / len(confidences) if confidences else None
        rare = len(group) < RARE_COUNT and len(group) < RARE_SHARE * len(docs)
        uncertain = mean is not None and mean < LOW_CONFIDENCE
        if code == "und" or rare or uncertain:
            noted[code] = {
                "documents": len(group),
                "mean_confidence": round(mean, 3) if mean is not None else None,
                "reason": "undetermined"
                if code == "und"
                else "low confidence"
                if uncertain
                else "rare",
            }
    return noted


def data_notes(docs: Sequence[NotedDoc], score_type: str | None, refused: int) -> dict[str, Any]:
    """The data-notes box: refused rows, scores left out of the metric, doubtful languages."""
    ignored = Counter(
        d.raw_score_type or UNKNOWN
        for d in docs
        if d.score is not None and (d.score_type is None or d.score_type != score_type)
    )
    return {
        "refused": refused,
        "ignored_scores": dict(ignored.most_common()),
        "low_confidence_languages": low_confidence_languages(docs),
    }


def _coverage_row(group: Sequence[NotedDoc]) -> dict[str, Any]:
    negative = [d for d in group if d.negative]
    covered = sum(bool(d.root_causes) for d in negative)
    return {
        "negative": len(negative),
        "with_root_cause": covered,
        "share": round(covered / len(negative), 4) if negative else None,
    }


def root_cause_coverage(docs: Sequence[NotedDoc]) -> dict[str, Any]:
    """Share of negative comments with a root cause: overall, per language, per source."""

    def split(key) -> list[dict[str, Any]]:
        groups: dict[str, list[NotedDoc]] = defaultdict(list)
        for d in docs:
            groups[key(d) or UNKNOWN].append(d)
        rows = [{"name": name, **_coverage_row(group)} for name, group in groups.items()]
        return sorted((r for r in rows if r["negative"]), key=lambda r: -r["negative"])

    return {
        **_coverage_row(docs),
        "by_language": split(lambda d: d.language),
        "by_source": split(lambda d: d.source),
    }
