"""Values in and out of the analysis library: plain dataclasses, no behaviour.

`Feedback` goes in, `Analysis` comes out. Offsets are Python string indices into the
original `Feedback.text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voc.nlp.churn import ChurnRisk
    from voc.nlp.expectations import ExpectationGap
    from voc.nlp.pii import PiiSpan
    from voc.nlp.topic_assignment import DocumentTopics

SENTIMENT_LABELS = ("negative", "neutral", "positive")
DOCUMENT_SENTIMENT_LABELS = (*SENTIMENT_LABELS, "mixed")
SUPPORTED_LANGUAGES = ("en", "fr", "id", "ms")


@dataclass(frozen=True)
class Feedback:
    """One comment to analyse. `language` is "auto" or an ISO 639-1 code."""

    id: str
    text: str
    language: str = "auto"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Language:
    code: str
    confidence: float
    supported: bool


@dataclass(frozen=True)
class Sentiment:
    """`score` = P(positive) - P(negative), in [-1, 1]; `probabilities` sum to 1."""

    label: str
    score: float
    probabilities: dict[str, float]


@dataclass(frozen=True)
class Segment:
    """A sentence, or a clause inside one (split at contrastive conjunctions, and at "and" or a
    comma between two statements)."""

    start: int
    end: int
    text: str
    joined: bool = False
    """A clause opened by "and" or a comma: it goes on with the clause before it rather than
    turning against it, so the `mixed` rule reads the two as one (`contrast_groups`)."""


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    clauses: tuple[Segment, ...]
    sentiment: Sentiment | None = None


@dataclass(frozen=True)
class RootCauseTag:
    """A root cause found in a document: the best clause's score and sentiment, every clause
    that shows it as evidence."""

    id: str
    label: str
    score: float
    sentiment: str
    touchpoint: str | None
    evidence: tuple[Segment, ...]


@dataclass(frozen=True)
class TouchpointTag:
    """`source` is where it came from: "metadata", "root_cause" or "text"."""

    id: str
    label: str
    score: float
    source: str


@dataclass(frozen=True)
class Analysis:
    """Everything voc says about one `Feedback`; features not requested stay None."""

    id: str
    language: Language | None = None
    sentiment: Sentiment | None = None
    sentences: tuple[Sentence, ...] | None = None
    root_causes: tuple[RootCauseTag, ...] | None = None
    touchpoints: tuple[TouchpointTag, ...] | None = None
    expectation_gaps: tuple[ExpectationGap, ...] | None = None
    churn_risk: ChurnRisk | None = None
    topics: DocumentTopics | None = None
    """`topic` (best) and `topics` (every clause's, best first); no model: empty, topic None."""
    pii: tuple[PiiSpan, ...] | None = None
    """Personal data in the original text (`voc.nlp.pii.detect`)."""
