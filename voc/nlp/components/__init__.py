"""The analyzer's components and their registration (`build`), in dependency order.

Each module holds one component; the annotation names they provide that are also
`Analysis` fields are the features a request can ask for (`FEATURES`, in output order).
"""

from __future__ import annotations

from typing import Protocol

from voc.nlp.churn import ChurnDetector
from voc.nlp.components.churn import ChurnRiskComponent
from voc.nlp.components.gaps import ExpectationGapsComponent
from voc.nlp.components.language import LanguageComponent
from voc.nlp.components.pii import PiiComponent
from voc.nlp.components.root_causes import RootCausesComponent
from voc.nlp.components.segments import SegmentsComponent
from voc.nlp.components.sentiment import SentencesComponent, SentimentComponent
from voc.nlp.components.topics import TopicsComponent
from voc.nlp.components.vectors import ClauseVectorsComponent, SentimentProbaComponent
from voc.nlp.encoder import Encoder
from voc.nlp.expectations import ExpectationDetector
from voc.nlp.language import LanguageIdentifier
from voc.nlp.pipeline import Pipeline
from voc.nlp.root_causes import RootCauseTagger
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import SentimentHead
from voc.nlp.topic_model import TopicModel

FEATURES = (
    "language",
    "sentiment",
    "sentences",
    "root_causes",
    "touchpoints",
    "topics",
    "expectation_gaps",
    "churn_risk",
    "pii",
)
"""Features this version computes, in output order."""


class Models(Protocol):
    """The loaded models the components read (an `Analyzer` is one)."""

    encoder: Encoder
    language_identifier: LanguageIdentifier
    segmenter: Segmenter
    sentiment: SentimentHead
    sentiment_encoder: Encoder | None
    expectations: ExpectationDetector
    churn: ChurnDetector
    root_causes: RootCauseTagger
    topics: TopicModel | None


def build(models: Models) -> Pipeline:
    """The pipeline over `models`: one line per component."""
    return Pipeline(
        [
            LanguageComponent(models.language_identifier),
            SegmentsComponent(models.segmenter),
            ClauseVectorsComponent(models.encoder),
            SentimentProbaComponent(models.sentiment, models.sentiment_encoder),
            SentimentComponent(models.sentiment.mixed_threshold),
            SentencesComponent(),
            ExpectationGapsComponent(models.expectations),
            RootCausesComponent(models.root_causes, models.sentiment),
            TopicsComponent(models.topics),
            ChurnRiskComponent(models.churn),
            PiiComponent(),
        ]
    )
