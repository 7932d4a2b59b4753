"""`root_causes` and `touchpoints` from the clause vectors and clause sentiment already
computed (touchpoints read the root causes, so one component provides both).

A clause may hold a complaint when the sentiment head's gate says so, or when it is not
praise and holds an expectation gap whose numbers do not show the promise kept
(`ExpectationGap.kept`): "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari." states its
problem without a word of displeasure, and the head reads it P(negative) 0.39."""

from __future__ import annotations

import numpy as np

from voc.nlp.expectations import ExpectationGap
from voc.nlp.pipeline import Batch, Component
from voc.nlp.root_causes import DocumentClauses, RootCauseTagger
from voc.nlp.sentiment import SentimentHead
from voc.nlp.types import SENTIMENT_LABELS, RootCauseTag, Segment, TouchpointTag

POSITIVE = SENTIMENT_LABELS.index("positive")


class RootCausesComponent(Component):
    requires = ("segments", "clause_vectors", "sentiment_proba", "expectation_gaps")
    provides = ("root_causes", "touchpoints")

    def __init__(self, tagger: RootCauseTagger, sentiment: SentimentHead) -> None:
        self.tagger = tagger
        self.sentiment = sentiment

    def predict(
        self, batch: Batch
    ) -> tuple[list[tuple[RootCauseTag, ...]], list[tuple[TouchpointTag, ...] | None]]:
        tags = self.tagger.tag(
            self.documents(batch),
            taxonomy=batch.taxonomy,
            journey=batch.journey,
            touchpoints="touchpoints" in batch.wanted,
        )
        return [causes for causes, _ in tags], [touchpoints for _, touchpoints in tags]

    def documents(self, batch: Batch) -> list[DocumentClauses]:
        """What the tagger reads of each document: its clauses, their vectors, their sentiment
        and which of them may hold a complaint (the sentiment head's `complaints`, or an
        expectation gap)."""
        documents = []
        for f, sentences, vectors, proba, gaps in zip(
            batch.feedback,
            batch["segments"],
            batch["clause_vectors"],
            batch["sentiment_proba"],
            batch["expectation_gaps"],
            strict=True,
        ):
            clauses = tuple(c for s in sentences for c in s.clauses)
            clause_proba = proba[1 + len(sentences) :][: len(clauses)]
            touchpoint = f.metadata.get("touchpoint")
            documents.append(
                DocumentClauses(
                    clauses=clauses,
                    # a one-clause text has one vector per sentence, all the text's own
                    vectors=vectors.clauses[: len(clauses)],
                    text_vector=vectors.text,
                    sentiment=clause_proba,
                    complaint=self.sentiment.complaints(proba[0], clause_proba)
                    | gap_complaints(clauses, gaps, clause_proba),
                    metadata_touchpoint=touchpoint if isinstance(touchpoint, str) else None,
                )
            )
        return documents


def gap_complaints(
    clauses: tuple[Segment, ...], gaps: tuple[ExpectationGap, ...], clause_proba: np.ndarray
) -> np.ndarray:
    """(clauses,) True where a clause that is not praise overlaps the evidence of an
    expectation gap whose numbers do not show the promise kept (a cause on praise would
    contradict the cause's own sentiment)."""
    spans = [(e.start, e.end) for gap in gaps if not gap.kept for e in gap.evidence]
    overlaps = np.array(
        [any(c.start < end and start < c.end for start, end in spans) for c in clauses],
        dtype=bool,
    )
    return overlaps & (clause_proba.argmax(axis=1) != POSITIVE)
