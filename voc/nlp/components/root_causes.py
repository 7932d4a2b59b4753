"""`root_causes` and `touchpoints` from the clause vectors and clause sentiment already
computed (touchpoints read the root causes, so one component provides both)."""

from __future__ import annotations

from voc.nlp.pipeline import Batch, Component
from voc.nlp.root_causes import DocumentClauses, RootCauseTagger
from voc.nlp.sentiment import SentimentHead
from voc.nlp.types import RootCauseTag, TouchpointTag


class RootCausesComponent(Component):
    requires = ("segments", "clause_vectors", "sentiment_proba")
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
        and which of them may hold a complaint (the sentiment head's `complaints`)."""
        documents = []
        for f, sentences, vectors, proba in zip(
            batch.feedback,
            batch["segments"],
            batch["clause_vectors"],
            batch["sentiment_proba"],
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
                    sentiment=clause_proba,
                    complaint=self.sentiment.complaints(proba[0], clause_proba),
                    metadata_touchpoint=touchpoint if isinstance(touchpoint, str) else None,
                )
            )
        return documents
