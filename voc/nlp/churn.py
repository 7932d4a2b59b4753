"""Churn risk: does the customer say they will leave, cancel, switch or never buy again?

Signals come from phrase lexicons kept as data (`voc/data/churn_cues.json`, per language,
informal forms included: "gak mau beli lagi", "tak nak langgan lagi", "je résilie").
A negatable signal ("cancel", "switch to") is dropped when a negator sits in the two words
before it in the same clause ("I will not cancel", "gak jadi pindah"); phrases that carry
their own negation ("never again", "kapok") are kept as they are. `ignore` phrases look like
signals but are not ("tak serik": not deterred). "Switch to X" counts only when X names a
brand (capitalised) or another provider ("pindah ke Telkomsel", "switch to another bank"),
not "switch to the free plan" or "pindah ke kampung baharu".

`score` combines three things, each in [0, 1]:
  signals     s = 1 - prod(1 - weight) over the strongest signal of each type, damped by
              `positive_damping * P(positive)` (switching *to* a brand one loves is no threat);
  sentiment   P(negative) of the document;
  metadata    dissatisfaction from `metadata.score`: nps 0-10, csat 1-5, stars5 1-5 (higher
              is better), ces 1-7 read as the CES 2.0 agreement scale (7 = easiest);
and score = 1 - (1 - s)(1 - a * negative)(1 - b * dissatisfaction), so a clear signal alone
gives a high score, and an angry detractor without a signal a moderate one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.nlp.cues import CueMatch, CueSet, phrase_pattern
from voc.nlp.types import Sentiment

DEFAULT_CHURN_CUES_PATH = Path(__file__).resolve().parent.parent / "data" / "churn_cues.json"
CLAUSE_PUNCTUATION = re.compile(r"[.!?;,\n]")
WORD = re.compile(r"[\w'’]+")
TARGET = re.compile(r"\s*([\w&.'’-]+)")
IGNORE = "ignore"
NO_TARGET = ""
"""`_Language.target` for a switch phrase whose next word names no other provider."""
SATISFACTION_RANGES = {"nps": (0, 10), "csat": (1, 5), "stars5": (1, 5), "ces": (1, 7)}


@dataclass(frozen=True)
class ChurnSignal:
    type: str
    start: int
    end: int
    text: str
    weight: float
    target: str | None = None
    """Where the customer says they go ("switching to Maxis" -> "Maxis"), when said."""


@dataclass(frozen=True)
class ChurnRisk:
    score: float
    signals: tuple[ChurnSignal, ...]
    components: dict[str, float | None]
    """The three inputs of `score`: signals, sentiment (P(negative)), metadata."""


def satisfaction(metadata: dict[str, Any]) -> float | None:
    """`metadata.score` on its scale -> [0, 1] (1 = fully satisfied); None when absent."""
    score, score_type = metadata.get("score"), metadata.get("score_type")
    if score is None or score_type not in SATISFACTION_RANGES:
        return None
    low, high = SATISFACTION_RANGES[score_type]
    return min(max((float(score) - low) / (high - low), 0.0), 1.0)


class ChurnDetector:
    def __init__(self, lexicon: dict[str, Any]) -> None:
        self.version = f"churn-cues@{lexicon['version']}"
        self._types = lexicon["types"]
        self._window = int(lexicon["negation_window"])
        self._score = lexicon["score"]
        self._languages: dict[str, _Language] = {
            code: _Language(table, tuple(self._types))
            for code, table in lexicon["languages"].items()
        }

    @classmethod
    def load(cls, path: Path = DEFAULT_CHURN_CUES_PATH) -> ChurnDetector:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def signals(self, text: str, language: str) -> list[ChurnSignal]:
        """Non-negated churn signals in `text`, in order; none for an unknown language."""
        lang = self._languages.get(language)
        if lang is None:
            return []
        out = []
        for cue in lang.cues.find(text):
            if cue.category == IGNORE:
                continue
            spec = self._types[cue.category]
            if spec["negatable"] and self._negated(text, cue, lang):
                continue
            target = lang.target(text, cue)
            if target == NO_TARGET:
                continue
            out.append(
                ChurnSignal(
                    cue.category, cue.start, cue.end, cue.text, float(spec["weight"]), target
                )
            )
        return out

    def risk(
        self,
        text: str,
        language: str,
        *,
        sentiment: Sentiment | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> ChurnRisk:
        signals = tuple(self.signals(text, language))
        strongest: dict[str, float] = {}
        for s in signals:
            strongest[s.type] = max(strongest.get(s.type, 0.0), s.weight)
        keep = 1.0
        for weight in strongest.values():
            keep *= 1.0 - weight
        signal_strength = 1.0 - keep
        negative = None
        if sentiment is not None:
            negative = sentiment.probabilities["negative"]
            signal_strength *= (
                1.0 - self._score["positive_damping"] * sentiment.probabilities["positive"]
            )
        satisfied = satisfaction(metadata or {})
        dissatisfied = None if satisfied is None else 1.0 - satisfied
        score = 1.0 - (
            (1.0 - signal_strength)
            * (1.0 - self._score["sentiment_weight"] * (negative or 0.0))
            * (1.0 - self._score["metadata_weight"] * (dissatisfied or 0.0))
        )
        return ChurnRisk(
            score=round(score, 4),
            signals=signals,
            components={
                "signals": round(signal_strength, 4),
                "sentiment": None if negative is None else round(negative, 4),
                "metadata": None if dissatisfied is None else round(dissatisfied, 4),
            },
        )

    def _negated(self, text: str, cue: CueMatch, lang: _Language) -> bool:
        """A negator among the `negation_window` words before the cue, in the same clause."""
        start = max(0, cue.start - 80)
        before = text[start : cue.start]
        cut = max((m.end() for m in CLAUSE_PUNCTUATION.finditer(before)), default=0)
        for m in lang.clause_breaks.finditer(before):
            cut = max(cut, m.end())
        words = [w.lower().replace("’", "'") for w in WORD.findall(before[cut:])]
        window = words[-self._window :]
        return any(lang.is_negator(w) for w in window) or bool(
            lang.negator_phrases.search(" ".join(window))
        )


class _Language:
    """One language's compiled lexicon."""

    def __init__(self, table: dict[str, list[str]], types: tuple[str, ...]) -> None:
        self.cues = CueSet({t: table.get(t, []) for t in (*types, IGNORE)})
        self._target_words = re.compile(
            r"\s*(?:" + "|".join(phrase_pattern(w) for w in table.get("target_words", [])) + ")",
            re.IGNORECASE,
        )
        single = [n for n in table["negators"] if " " not in n]
        multi = [n for n in table["negators"] if " " in n]
        self.negators = {n.lower().replace("’", "'") for n in single}
        self._negator_prefixes = tuple(n for n in self.negators if n.endswith("'"))
        self.negator_phrases = re.compile(
            "|".join(phrase_pattern(n) for n in multi) or r"(?!x)x", re.IGNORECASE
        )
        self.clause_breaks = re.compile(
            "|".join(phrase_pattern(b) for b in table.get("clause_breaks", [])) or r"(?!x)x",
            re.IGNORECASE,
        )
        self._target_after = re.compile(
            "(?:" + "|".join(phrase_pattern(p) for p in table.get("target_after", [])) + ")$",
            re.IGNORECASE,
        )

    def is_negator(self, word: str) -> bool:
        """A negator word, an elided one ("n'achèterai"), or an English "-n't"."""
        return (
            word in self.negators
            or word.endswith("n't")
            or bool(self._negator_prefixes and word.startswith(self._negator_prefixes))
        )

    def target(self, text: str, cue: CueMatch) -> str | None:
        """Where a "switch to" phrase goes: a brand, "another ..."; `NO_TARGET` when its next
        word names neither; None for phrases that take no target."""
        if cue.category != "switch" or not self._target_after.search(cue.text):
            return None
        words = self._target_words.match(text, cue.end)
        if words:
            return words.group(0).strip()
        m = TARGET.match(text, cue.end)
        if m and m.group(1)[:1].isupper():
            return m.group(1).rstrip(".'’")
        return NO_TARGET
