"""Which themes hurt and which help: negative volume, score with and without, impact, key-driver
weight, revenue.

A theme is a topic or a root cause. Every theme gets its volume and its negative and positive
comment counts; its role is `cost` when it holds more negative than positive comments,
`strength` when it holds more positive than negative ones, else `balanced`. Costs rank first,
by negative comments (what hurts the most people), then by impact; strengths follow, by
positive comments. Ranking by negative volume rather than by score impact keeps a theme whose
comments are rarely scored from sinking: impact is only as good as its `scored` count.

With scores (`nps` 0-10, `csat` 1-5, `ces` 1-7, `stars5` 1-5) every theme also gets: mean score
with / without it, the impact on the headline metric if its detractors were gone (`low_n` when
fewer than `MIN_SCORED` of its comments carry a score), an OLS key-driver weight (score on
theme indicators) with a bootstrap 95% interval (`ci_crosses_zero` when the interval holds 0:
no evidence of an effect either way), and revenue at risk (`customer_value` of its detractors
and churn-risk documents).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "stars5": (1, 5)}
DETRACTOR_MAX = {"nps": 6, "csat": 2, "ces": 3, "stars5": 2}
SATISFIED_MIN = {"nps": 9, "csat": 4, "ces": 5, "stars5": 4}
METRIC_NAMES = {"nps": "NPS", "csat": "CSAT %", "ces": "CES % easy", "stars5": "% 4-5 stars"}
CHURN_RISK_MIN = 0.5
BOOTSTRAP = 200
MIN_SCORED = 30
"""Below this many scored comments a theme's impact is marked `low_n` (too few to trust)."""
ROLES = ("cost", "strength", "balanced")


@dataclass(frozen=True)
class ScoredDoc:
    """What driver analysis needs from one analysed document."""

    themes: frozenset[tuple[str, str]]
    """(kind, id) pairs: ("topic", "4"), ("root_cause", "delivery_delay")."""
    score: float | None
    score_type: str | None
    negative: bool
    customer_value: float
    churn_risk: bool
    positive: bool = False


@dataclass(frozen=True)
class Theme:
    kind: str
    id: str
    label: str


def headline_metric(scores: Sequence[float], score_type: str) -> float:
    """NPS = % promoters - % detractors; the other scales: % satisfied (top of the scale)."""
    s = np.asarray(scores, dtype=np.float64)
    if len(s) == 0:
        return float("nan")
    satisfied = (s >= SATISFIED_MIN[score_type]).mean()
    if score_type == "nps":
        return float(100 * (satisfied - (s <= DETRACTOR_MAX["nps"]).mean()))
    return float(100 * satisfied)


def dominant_score_type(docs: Sequence[ScoredDoc]) -> str | None:
    counts = Counter(d.score_type for d in docs if d.score is not None and d.score_type in SCALES)
    return counts.most_common(1)[0][0] if counts else None


def _key_driver_weights(
    docs: Sequence[ScoredDoc], themes: Sequence[Theme], score_type: str, seed: int
) -> dict[tuple[str, str], tuple[float, float, float]]:
    """OLS of the score (0-100) on theme indicators; (weight, ci_low, ci_high) per theme."""
    scored = [d for d in docs if d.score is not None and d.score_type == score_type]
    if len(scored) < 10 or not themes:
        return {}
    lo, hi = SCALES[score_type]
    y = np.array([(d.score - lo) / (hi - lo) * 100 for d in scored])
    keys = [(t.kind, t.id) for t in themes]
    x = np.array([[1.0] + [float(k in d.themes) for k in keys] for d in scored])
    ridge = 1e-3 * np.eye(x.shape[1])
    ridge[0, 0] = 0.0

    def solve(rows: np.ndarray) -> np.ndarray:
        xs, ys = x[rows], y[rows]
        return np.linalg.solve(xs.T @ xs + ridge * len(rows), xs.T @ ys)

    everyone = np.arange(len(y))
    weights = solve(everyone)
    rng = np.random.default_rng(seed)
    draws = np.array([solve(rng.choice(everyone, len(y))) for _ in range(BOOTSTRAP)])
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    return {
        key: (float(weights[i + 1]), float(low[i + 1]), float(high[i + 1]))
        for i, key in enumerate(keys)
    }


def driver_table(
    docs: Sequence[ScoredDoc], themes: Sequence[Theme], *, seed: int = 0
) -> list[dict]:
    """One row per theme, costs first (rank 1 hurts the most), then strengths, then the rest."""
    n = len(docs)
    score_type = dominant_score_type(docs)
    weights = _key_driver_weights(docs, themes, score_type, seed) if score_type else {}
    scored = [d for d in docs if score_type and d.score is not None and d.score_type == score_type]
    overall = headline_metric([d.score for d in scored], score_type) if scored else None
    rows = []
    for theme in themes:
        key = (theme.kind, theme.id)
        mentioning = [d for d in docs if key in d.themes]
        volume = len(mentioning)
        negative = sum(d.negative for d in mentioning)
        positive = sum(d.positive for d in mentioning)
        row = {
            "kind": theme.kind,
            "id": theme.id,
            "label": theme.label,
            "role": _role(negative, positive),
            "volume": volume,
            "negative": negative,
            "positive": positive,
            "share": round(volume / n, 4) if n else 0.0,
            "negativity": round(negative / volume, 4) if volume else 0.0,
            "revenue_at_risk": round(
                sum(
                    d.customer_value
                    for d in mentioning
                    if d.churn_risk or _is_detractor(d, score_type)
                ),
                2,
            ),
        }
        if scored:
            with_theme = [d.score for d in scored if key in d.themes]
            without = [d.score for d in scored if key not in d.themes]
            kept = [
                d.score for d in scored if not (key in d.themes and _is_detractor(d, score_type))
            ]
            impact = headline_metric(kept, score_type) - overall
            row |= {
                "scored": len(with_theme),
                "mean_score_with": _mean(with_theme),
                "mean_score_without": _mean(without),
                "metric": METRIC_NAMES[score_type],
                "impact": round(impact, 2),
                "low_n": len(with_theme) < MIN_SCORED,
            }
            if key in weights:
                w, low, high = weights[key]
                row["key_driver_weight"] = round(w, 2)
                row["key_driver_ci"] = [round(low, 2), round(high, 2)]
                row["ci_crosses_zero"] = low <= 0 <= high
        row["priority_score"] = negative
        rows.append(row)
    rows.sort(key=_rank_key)
    for rank, row in enumerate(rows, start=1):
        row["priority"] = rank
    return rows


def _role(negative: int, positive: int) -> str:
    return "cost" if negative > positive else "strength" if positive > negative else "balanced"


def _rank_key(row: dict) -> tuple:
    role = ROLES.index(row["role"])
    count = row["negative"] if row["role"] == "cost" else row["positive"]
    if row["role"] == "balanced":
        count = row["volume"]
    return (role, -count, -row.get("impact", 0.0), -row["volume"], row["label"])


def _is_detractor(doc: ScoredDoc, score_type: str | None) -> bool:
    return (
        score_type is not None
        and doc.score is not None
        and doc.score_type == score_type
        and doc.score <= DETRACTOR_MAX[score_type]
    )


def _mean(values: Sequence[float]) -> float | None:
    return round(float(np.mean(values)), 3) if values else None
