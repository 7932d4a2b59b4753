"""Is a candidate version at least as good as the active one? Compared on shared evaluation sets.

Two versions are compared only on an evaluation set both have (same data files by hash and
same row selection: `entry.evaluation`). On each, the candidate must not be worse on the
headline metric averaged over languages, nor lose more than `LANGUAGE_TOLERANCE` on any one
language: an average gain must not hide a language that collapsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voc.registry.entry import Entry

LANGUAGE_TOLERANCE = 0.02
"""Largest drop on one language's headline metric still accepted (dev-set noise is ~0.01)."""


@dataclass(frozen=True)
class Comparison:
    comparable: bool
    """Whether the two versions share at least one evaluation set."""
    regressions: list[str]
    """Human-readable reasons the candidate is worse; empty when it is not."""
    table: list[dict[str, Any]]
    """Per shared set and language: active and candidate headline metric."""


def _language_scores(evaluation: dict[str, Any]) -> dict[str, float]:
    metric = evaluation["metric"]
    return {
        group.removeprefix("lang:"): float(values[metric])
        for group, values in evaluation["groups"].items()
        if group.startswith("lang:") and metric in values
    }


def compare(active: Entry, candidate: Entry) -> Comparison:
    active_sets = {e["set"]: e for e in active.evaluations}
    regressions, table, comparable = [], [], False
    for evaluation in candidate.evaluations:
        reference = active_sets.get(evaluation["set"])
        if reference is None:
            continue
        comparable = True
        old, new = _language_scores(reference), _language_scores(evaluation)
        languages = sorted(set(old) & set(new))
        if not languages:
            continue
        metric, name = evaluation["metric"], evaluation["name"]
        table += [
            {
                "set": evaluation["set"],
                "language": lang,
                "metric": metric,
                "active": old[lang],
                "candidate": new[lang],
            }
            for lang in languages
        ]
        old_mean = sum(old[lang] for lang in languages) / len(languages)
        new_mean = sum(new[lang] for lang in languages) / len(languages)
        if round(new_mean, 4) < round(old_mean, 4):
            regressions.append(
                f"mean {metric} over languages on {name} is {new_mean:.4f}, "
                f"below the active {active.version}'s {old_mean:.4f}"
            )
        regressions += [
            f"{metric} for {lang} on {name} is {new[lang]:.4f}, more than "
            f"{LANGUAGE_TOLERANCE} below the active {active.version}'s {old[lang]:.4f}"
            for lang in languages
            if new[lang] < old[lang] - LANGUAGE_TOLERANCE
        ]
    return Comparison(comparable, regressions, table)
