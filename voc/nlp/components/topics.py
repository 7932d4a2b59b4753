"""`topics`: each document's topics from its contrast units' vectors (its topic units), by the
active topic model (fitting is `voc.topics`' job; no model yet: no topic)."""

from __future__ import annotations

from voc.nlp.pipeline import Batch, Component
from voc.nlp.topic_assignment import DocumentTopics, document_topics
from voc.nlp.topic_model import TopicModel
from voc.nlp.vectors import contrast_unit_vectors


class TopicsComponent(Component):
    requires = ("language", "segments", "clause_vectors")
    provides = ("topics",)

    def __init__(self, model: TopicModel | None) -> None:
        self.model = model

    def predict(self, batch: Batch) -> tuple[list[DocumentTopics]]:
        vectors, languages = batch["clause_vectors"], batch["language"]
        if self.model is None:
            return ([DocumentTopics(None, ())] * len(vectors),)
        return (
            [
                document_topics(self.model, contrast_unit_vectors(sentences, v), lang.code)
                for sentences, v, lang in zip(batch["segments"], vectors, languages, strict=True)
            ],
        )
