"""`Analysis` -> the JSON shape of `../shared/API.md`, shared by the API, jobs and the CLI."""

from __future__ import annotations

from typing import Any

from voc.nlp.types import Analysis, Sentence, Sentiment
from voc.topics.corpus import assignment_to_dict

ROUND = 4


def sentiment_to_dict(sentiment: Sentiment, *, probabilities: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"label": sentiment.label, "score": round(sentiment.score, ROUND)}
    if probabilities:
        out["probabilities"] = {k: round(v, ROUND) for k, v in sentiment.probabilities.items()}
    return out


def sentence_to_dict(sentence: Sentence) -> dict[str, Any]:
    out: dict[str, Any] = {"start": sentence.start, "end": sentence.end, "text": sentence.text}
    if sentence.sentiment is not None:
        out["sentiment"] = sentiment_to_dict(sentence.sentiment, probabilities=False)
    out["clauses"] = [{"start": c.start, "end": c.end, "text": c.text} for c in sentence.clauses]
    return out


def analysis_to_dict(analysis: Analysis) -> dict[str, Any]:
    """Only the features that were computed appear in the output."""
    out: dict[str, Any] = {"id": analysis.id}
    if analysis.language is not None:
        lang = analysis.language
        out["language"] = {
            "code": lang.code,
            "confidence": round(lang.confidence, ROUND),
            "supported": lang.supported,
        }
    if analysis.sentiment is not None:
        out["sentiment"] = sentiment_to_dict(analysis.sentiment)
    if analysis.sentences is not None:
        out["sentences"] = [sentence_to_dict(s) for s in analysis.sentences]
    if analysis.topics is not None:
        out["topic"] = assignment_to_dict(analysis.topics.topic)
        out["topics"] = [assignment_to_dict(a) for a in analysis.topics.topics]
    return out
