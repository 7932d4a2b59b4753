"""`topics`: each document's topics from its clause vectors, by the active topic model
(fitting is `voc.topics`' job; no model yet: no topic)."""

from __future__ import annotations

from voc.nlp.pipeline import Batch, Component
from voc.nlp.topic_assignment import DocumentTopics, document_topics
from voc.nlp.topic_model import TopicModel


class TopicsComponent(Component):
    requires = ("language", "clause_vectors")
    provides = ("topics",)

    def __init__(self, model: TopicModel | None) -> None:
        self.model = model

    def predict(self, batch: Batch) -> tuple[list[DocumentTopics]]:
        vectors, languages = batch["clause_vectors"], batch["language"]
        if self.model is None:
            return ([DocumentTopics(None, ())] * len(vectors),)
        return (
            [
                document_topics(self.model, v.clauses, lang.code)
                for v, lang in zip(vectors, languages, strict=True)
            ],
        )
