"""Span-level precision and recall of `detect` against hand-marked spans, per type.

A found span counts as correct when it overlaps a marked span of the same type (boundaries of
names and addresses are a matter of convention: "Mr" in or out, the city in or out); exact
boundary matches are counted too, so the looser measure never hides a boundary problem."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Span = tuple[int, int, str]


@dataclass
class SpanScores:
    gold: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)
    recalled: Counter = field(default_factory=Counter)
    """Marked spans overlapped by a found span of their type."""
    correct: Counter = field(default_factory=Counter)
    """Found spans overlapping a marked span of their type."""
    exact: Counter = field(default_factory=Counter)

    def add(self, gold: Sequence[Span], found: Sequence[Span]) -> None:
        for start, end, kind in gold:
            self.gold[kind] += 1
            self.recalled[kind] += any(_overlap((start, end, kind), f) for f in found)
            self.exact[kind] += (start, end, kind) in found
        for start, end, kind in found:
            self.found[kind] += 1
            self.correct[kind] += any(_overlap((start, end, kind), g) for g in gold)

    def recall(self, kind: str | None = None) -> float:
        return _ratio(self.recalled, self.gold, kind)

    def precision(self, kind: str | None = None) -> float:
        return _ratio(self.correct, self.found, kind)

    def table(self, kinds: Iterable[str]) -> list[dict]:
        return [
            {
                "type": kind,
                "gold": self.gold[kind],
                "found": self.found[kind],
                "recall": round(self.recall(kind), 3),
                "precision": round(self.precision(kind), 3),
                "exact_recall": round(_ratio(self.exact, self.gold, kind), 3),
            }
            for kind in kinds
        ]


def _overlap(a: Span, b: Span) -> bool:
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def _ratio(numerator: Counter, denominator: Counter, kind: str | None) -> float:
    top = numerator[kind] if kind else sum(numerator.values())
    bottom = denominator[kind] if kind else sum(denominator.values())
    return top / bottom if bottom else 1.0
