"""Comparisons and change: themes by segment, emerging themes, period-over-period change.

Segments (the `segment` metadata key, `voc analyze --segment-column`): for every theme, its
share of each segment's comments, with a two-proportion z-test of that share against the
other segments' comments; a cell is marked when |z| >= `Z_CRITICAL` (p < 0.05, two-sided, no
correction for the number of cells) and it holds at least `MIN_COUNT` comments.

Emerging: with dated comments, the last period is compared with all earlier ones. A theme is
emerging when its last-period count k out of n comments is at least `MIN_COUNT` and a
one-sided binomial test against its baseline share (earlier periods, add-one smoothed:
(b + 1) / (N + 2)) gives p < `EMERGING_P`.

Period-over-period change: with dated comments in at least two periods, each theme's share of
the last period's comments against its share of the period before it (the latest earlier one
that has comments), in percentage points. The change is significant when Fisher's exact test
(two-sided, on the 2x2 table of theme / other comments in the two periods) gives
p < `CHANGE_P` and the larger of the two counts is at least `MIN_COUNT`.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from scipy.stats import binomtest, fisher_exact

Z_CRITICAL = 1.96
MIN_COUNT = 5
EMERGING_P = 0.01
CHANGE_P = 0.05
MAX_SEGMENTS = 12


ThemeKey = tuple[str, str]
"""(kind, id): ("topic", "4"), ("root_cause", "delivery_delay")."""


def _z(k: int, n: int, k_rest: int, n_rest: int) -> float:
    """Two-proportion z statistic of k/n against k_rest/n_rest (pooled variance)."""
    if not n or not n_rest:
        return 0.0
    pooled = (k + k_rest) / (n + n_rest)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n_rest))
    return (k / n - k_rest / n_rest) / spread if spread else 0.0


def segment_table(
    docs: Sequence[tuple[str | None, frozenset[ThemeKey]]], themes: Sequence[tuple[str, str, str]]
) -> dict[str, Any] | None:
    """Theme x segment: counts, shares, z and a `significant` mark; None without two segments.

    `docs`: (segment, themes) per comment; `themes`: (kind, id, label) in display order."""
    sizes = Counter(segment for segment, _ in docs if segment)
    if len(sizes) < 2:
        return None
    segments = [s for s, _ in sizes.most_common(MAX_SEGMENTS)]
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for segment, keys in docs:
        if segment in sizes:
            for key in keys:
                counts[key][segment] += 1
    total = sum(sizes.values())
    rows = []
    for kind, theme_id, label in themes:
        per_segment = counts[(kind, theme_id)]
        everywhere = sum(per_segment.values())
        cells = []
        for s in segments:
            k, n = per_segment[s], sizes[s]
            z = _z(k, n, everywhere - k, total - n)
            cells.append(
                {
                    "segment": s,
                    "count": k,
                    "share": round(k / n, 4),
                    "z": round(z, 2),
                    "significant": abs(z) >= Z_CRITICAL and k >= MIN_COUNT,
                }
            )
        rows.append({"kind": kind, "id": theme_id, "label": label, "cells": cells})
    return {
        "segments": segments,
        "sizes": [sizes[s] for s in segments],
        "rows": rows,
        "test": f"two-proportion z-test against the other segments, |z| >= {Z_CRITICAL}, "
        f"at least {MIN_COUNT} comments",
    }


def emerging_themes(
    dated: Sequence[tuple[str, frozenset[ThemeKey]]], labels: dict[ThemeKey, str]
) -> list[dict[str, Any]]:
    """Themes significantly above their baseline in the last period (see the module docstring).

    `dated`: (period, themes) per dated comment; periods sort in time order."""
    periods = sorted({period for period, _ in dated})
    if len(periods) < 2:
        return []
    last = periods[-1]
    n = sum(period == last for period, _ in dated)
    baseline_n = len(dated) - n
    now: Counter = Counter(k for period, keys in dated if period == last for k in keys)
    before_counts: Counter = Counter(k for period, keys in dated if period != last for k in keys)
    found = []
    for (kind, theme_id), label in labels.items():
        k, before = now[(kind, theme_id)], before_counts[(kind, theme_id)]
        if k < MIN_COUNT:
            continue
        baseline = (before + 1) / (baseline_n + 2)
        p = binomtest(k, n, baseline, alternative="greater").pvalue
        if p < EMERGING_P:
            found.append(
                {
                    "kind": kind,
                    "id": theme_id,
                    "label": label,
                    "period": last,
                    "count": k,
                    "period_comments": n,
                    "share": round(k / n, 4),
                    "baseline_count": before,
                    "baseline_comments": baseline_n,
                    "baseline_share": round(before / baseline_n, 4) if baseline_n else 0.0,
                    "p_value": float(f"{p:.3g}"),
                }
            )
    return sorted(found, key=lambda e: e["p_value"])


EMERGING_TEST = (
    f"one-sided binomial test of the last period's count against the earlier periods' share "
    f"(add-one smoothed), p < {EMERGING_P}, at least {MIN_COUNT} comments"
)


CHANGE_TEST = (
    f"Fisher's exact test (two-sided) of the theme's share in the last period against the "
    f"period before, p < {CHANGE_P}, at least {MIN_COUNT} comments in one of the two periods"
)


def period_change(
    dated: Sequence[tuple[str, frozenset[ThemeKey]]],
    themes: Sequence[tuple[str, str, str]],
    unit: str | None,
) -> dict[str, Any]:
    """Each theme's count and share in the last period against the period before (see the
    module docstring); without two periods, no rows and a note that says why.

    `dated`: (period, themes) per dated comment, periods sortable in time order; `themes`:
    (kind, id, label); `unit`: what a period is ("day", "week", "month")."""
    periods = sorted({period for period, _ in dated})
    change: dict[str, Any] = {
        "period": unit,
        "last": periods[-1] if periods else None,
        "previous": periods[-2] if len(periods) > 1 else None,
        "last_comments": 0,
        "previous_comments": 0,
        "test": CHANGE_TEST,
        "rows": [],
        "note": None,
    }
    if len(periods) < 2:
        change["note"] = (
            f"Every dated comment falls in one {unit} ({periods[0]}): no earlier period "
            "to compare with."
            if periods
            else "No comment carries a date (created_at): no period to compare."
        )
        return change
    last, previous = periods[-1], periods[-2]
    sizes = Counter(period for period, _ in dated if period in (last, previous))
    counts = {
        period: Counter(key for p, keys in dated if p == period for key in keys)
        for period in (last, previous)
    }
    n, n_before = sizes[last], sizes[previous]
    rows = []
    for kind, theme_id, label in themes:
        k, k_before = counts[last][(kind, theme_id)], counts[previous][(kind, theme_id)]
        if not k and not k_before:
            continue
        p = fisher_exact([[k, n - k], [k_before, n_before - k_before]]).pvalue
        rows.append(
            {
                "kind": kind,
                "id": theme_id,
                "label": label,
                "count": k,
                "share": round(k / n, 4),
                "previous_count": k_before,
                "previous_share": round(k_before / n_before, 4),
                "change_pp": round(100 * (k / n - k_before / n_before), 1),
                "p_value": float(f"{p:.3g}"),
                "significant": bool(p < CHANGE_P and max(k, k_before) >= MIN_COUNT),
            }
        )
    rows.sort(key=lambda r: (not r["significant"], -abs(r["change_pp"])))
    return {**change, "last_comments": n, "previous_comments": n_before, "rows": rows}
