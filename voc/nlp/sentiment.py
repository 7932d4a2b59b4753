"""Sentiment: a calibrated linear head on the encoder's sentence embeddings.

Three classes (negative/neutral/positive) at document, sentence and clause level; a document
is `mixed` when it holds a clearly positive and a clearly negative clause and is clearly
neither as a whole. The head is a
multinomial logistic regression with a temperature fitted on held-out data, stored as
safetensors + JSON (no pickle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from voc.nlp.artifacts import save_tensors
from voc.nlp.types import SENTIMENT_LABELS, Sentiment

WEIGHTS = "head.safetensors"
CONFIG = "config.json"
ADAPTER_DIR = "encoder"
"""A fine-tuned version's encoder adapter (LoRA, safetensors), beside its head."""


@dataclass(frozen=True)
class SentimentHead:
    """Linear head: probabilities = softmax((x @ weight.T + bias) / temperature)."""

    weight: np.ndarray
    bias: np.ndarray
    temperature: float
    mixed_threshold: float
    version: str
    complaint_threshold: float = 0.5
    """The document's P(negative) from which it is a complaint, and every clause of it but
    praise may hold a root cause. Root causes are only looked for in complaints, so a
    neutral, factual statement ("I ordered a phone last week.") gets none."""
    clause_complaint_threshold: float = 0.7
    """The clause's own P(negative) from which it holds a complaint in a document that is not
    one as a whole ("Great hotel, but the room was filthy."). Both thresholds were chosen
    together on `../shared/data` by `bench/complaint_gate.py` (docs/models.md)."""

    @classmethod
    def load(cls, artifact_dir: Path) -> SentimentHead:
        config = json.loads((artifact_dir / CONFIG).read_text())
        if tuple(config["labels"]) != SENTIMENT_LABELS:
            raise ValueError(f"{artifact_dir}: labels {config['labels']} != {SENTIMENT_LABELS}")
        tensors = load_file(artifact_dir / WEIGHTS)
        return cls(
            weight=tensors["weight"].astype(np.float32),
            bias=tensors["bias"].astype(np.float32),
            temperature=float(config["temperature"]),
            mixed_threshold=float(config["mixed_threshold"]),
            version=config["version"],
            complaint_threshold=float(config["complaint_threshold"]),
            clause_complaint_threshold=float(
                config.get("clause_complaint_threshold", cls.clause_complaint_threshold)
            ),
        )

    def save(self, artifact_dir: Path, extra_config: dict) -> None:
        artifact_dir.mkdir(parents=True, exist_ok=True)
        save_tensors({"weight": self.weight, "bias": self.bias}, artifact_dir / WEIGHTS)
        config = {
            "labels": list(SENTIMENT_LABELS),
            "temperature": self.temperature,
            "mixed_threshold": self.mixed_threshold,
            "complaint_threshold": self.complaint_threshold,
            "clause_complaint_threshold": self.clause_complaint_threshold,
            "version": self.version,
            **extra_config,
        }
        (artifact_dir / CONFIG).write_text(json.dumps(config, indent=2) + "\n")

    def complaints(self, document_proba: np.ndarray, clause_proba: np.ndarray) -> np.ndarray:
        """Which clauses of a document ((n, 3) probabilities) may hold a complaint.

        In a document that is a complaint (P(negative) >= `complaint_threshold`) every clause
        but praise does, since the problem is often stated flatly and the displeasure in
        another clause ("Bungkusan sampai lewat, kecewa."); in any other document only a
        clause negative in itself (`clause_complaint_threshold`). A flat clause of a calm
        document no longer does: with it (and a threshold of 0.45) neutral rows of
        `../shared/data` got a cause 6.2% of the time against 5.3% now, for 3% more causes
        on negative rows; hand-written neutral statements 14.0% against 6.5%
        (`bench/complaint_gate.py`, docs/models.md)."""
        negative, positive = (SENTIMENT_LABELS.index(k) for k in ("negative", "positive"))
        if document_proba[negative] >= self.complaint_threshold:
            return clause_proba.argmax(axis=1) != positive
        return clause_proba[:, negative] >= self.clause_complaint_threshold

    def predict_proba(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 384) embeddings -> (n, 3) probabilities in `SENTIMENT_LABELS` order."""
        logits = (vectors @ self.weight.T + self.bias) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def sentiment_from_proba(proba: np.ndarray) -> Sentiment:
    """One row of probabilities -> label (argmax), score P(pos) - P(neg), rounded probabilities."""
    probabilities = dict(zip(SENTIMENT_LABELS, (float(p) for p in proba), strict=True))
    return Sentiment(
        label=SENTIMENT_LABELS[int(np.argmax(proba))],
        score=probabilities["positive"] - probabilities["negative"],
        probabilities=probabilities,
    )


def document_sentiment(
    document_proba: np.ndarray, unit_probas: np.ndarray, *, mixed_threshold: float
) -> Sentiment:
    """Document sentiment, `mixed` when one contrast unit (`voc.nlp.vectors.
    contrast_unit_vectors`: clauses joined by "and" or a comma read as one) is clearly
    positive, another clearly negative, and the document as a whole clearly neither (each
    "clearly" is a probability of at least `mixed_threshold`).

    The last condition matters: a review that praises one thing and condemns another is still
    negative when the whole text says so, and labelling it `mixed` cost 0.031 mean macro-F1 over
    the leave-one-dataset-out folds (0.630 -> 0.661, docs/models.md). Units, not clauses: on
    both sides of every "and" SmSA's dev rows called mixed rose from 43 to 70 (macro-F1 0.7728
    -> 0.7583, docs/models.md). The probabilities stay the document's own; only the label
    changes, so they still sum to 1.
    """
    sentiment = sentiment_from_proba(document_proba)
    if len(unit_probas) < 2:
        return sentiment
    negative = SENTIMENT_LABELS.index("negative")
    positive = SENTIMENT_LABELS.index("positive")
    strong_negative = unit_probas[:, negative] >= mixed_threshold
    strong_positive = unit_probas[:, positive] >= mixed_threshold
    document_decided = max(document_proba[negative], document_proba[positive]) >= mixed_threshold
    if strong_negative.any() and strong_positive.any() and not document_decided:
        return Sentiment("mixed", sentiment.score, sentiment.probabilities)
    return sentiment
