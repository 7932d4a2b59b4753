"""`topics`: each document's topics from its topic units' vectors, by the active topic model
(fitting is `voc.topics`' job; no model yet: no topic)."""

from __future__ import annotations

from voc.nlp.pipeline import Batch, Component
from voc.nlp.topic_assignment import DocumentTopics, document_topics, topic_units
from voc.nlp.topic_model import TopicModel


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
                document_topics(
                    self.model, topic_units(text, sentences, v, lang.code).vectors, lang.code
                )
                for text, sentences, v, lang in zip(
                    batch.texts, batch["segments"], vectors, languages, strict=True
                )
            ],
        )
