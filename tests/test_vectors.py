"""One encoder pass over whole texts: sentences and clauses are read from it, nothing is
encoded twice."""

from __future__ import annotations

import numpy as np
import pytest
from stub_encoder import StubEncoder

from voc.nlp.segment import Segmenter
from voc.nlp.vectors import CONTEXT_WEIGHT, LONG_TEXT_CHARS, clause_spans, embed_documents

# Span bookkeeping only: a deterministic stand-in encoder and spaCy's blank tokenizers.
ENCODER = StubEncoder()


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


class Counting:
    """The stub encoder, recording what it is asked to encode."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, list]] = []
        self.alone: list[str] = []

    def embed(self, texts):
        self.alone.extend(texts)
        return ENCODER.embed(texts)

    def embed_spans(self, texts, spans):
        self.spans.extend(zip(texts, spans, strict=True))
        return ENCODER.embed_spans(texts, spans)


def test_each_distinct_text_is_encoded_once_and_read_by_spans(segmenter):
    texts = [
        "Pengiriman cepat, tapi layarnya retak. Penjualnya ramah.",
        "La livraison était rapide mais l'écran est arrivé fissuré.",
        "Pengiriman cepat, tapi layarnya retak. Penjualnya ramah.",
        "Penjualnya ramah.",
    ]
    sentences = segmenter.segment_batch(texts, ["id", "fr", "id", "id"])
    seen = Counting()
    vectors = embed_documents(seen, texts, sentences)

    assert [text for text, _ in seen.spans] == [texts[0], texts[1], texts[3]] and not seen.alone
    first = vectors[0]
    np.testing.assert_array_equal(first.document, ENCODER.embed(texts[:1])[0])
    assert first.clauses.shape == (3, 384) and first.sentences.shape == (2, 384)
    # Clauses run up to the next one, with the punctuation that follows them.
    clause_texts = [texts[0][start:end] for start, end in clause_spans(texts[0], sentences[0])]
    assert clause_texts == ["Pengiriman cepat, ", "tapi layarnya retak. ", "Penjualnya ramah."]
    # Each read from the text's pass, less the document's share.
    own = ENCODER.embed(clause_texts) - CONTEXT_WEIGHT * first.document
    np.testing.assert_allclose(
        first.clauses, own / np.linalg.norm(own, axis=1, keepdims=True), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(first.sentences[1], first.clauses[2])  # one-clause sentence
    assert vectors[2] is vectors[0]


def test_a_long_text_is_encoded_clause_by_clause_and_pooled(segmenter):
    review = (
        "Kamarnya luas dan bersih, pemandangan ke kolam renang indah sekali. " * 8
        + "Tapi sarapannya dingin dan pelayannya lambat sekali, kami menunggu setengah jam."
    )
    assert len(review) > LONG_TEXT_CHARS
    sentences = segmenter.segment_batch([review], ["id"])
    seen = Counting()
    (vectors,) = embed_documents(seen, [review], sentences)

    assert seen.spans == [] and len(seen.alone) == len(set(seen.alone)) > 1
    assert review.startswith(seen.alone[0]) and review.endswith(seen.alone[-1])
    clauses = [c for s in sentences[0] for c in s.clauses]
    assert len(vectors.clauses) == len(clauses)
    expected = np.array([len(c.text) for c in clauses], dtype=np.float32) @ vectors.clauses
    np.testing.assert_allclose(vectors.document, expected / np.linalg.norm(expected), rtol=1e-5)


def test_single_clause_and_punctuation_only_texts_share_the_whole_vector(segmenter):
    texts = ["Service client injoignable.", "!!!"]
    sentences = segmenter.segment_batch(texts, ["fr", "fr"])
    seen = Counting()
    single, punctuation = embed_documents(seen, texts, sentences)

    assert [spans for _, spans in seen.spans] == [[], []]  # nothing to read but the whole text
    whole = ENCODER.embed(texts)
    np.testing.assert_allclose(single.document, whole[0], rtol=1e-6)
    np.testing.assert_allclose(single.sentences[0], whole[0], rtol=1e-6)
    np.testing.assert_allclose(punctuation.document, whole[1], rtol=1e-6)
    assert punctuation.sentences.shape == (0, 384) and punctuation.clauses.shape == (0, 384)


def test_stub_vectors_are_deterministic_unit_vectors():
    first, again, other = ENCODER.embed(["Colis en retard.", "Colis en retard.", "Super !"])
    np.testing.assert_array_equal(first, again)
    assert first.shape == (384,) and abs(np.linalg.norm(first) - 1.0) < 1e-6
    close = ENCODER.embed(["Colis en retard, très déçu."])[0]
    assert first @ close > first @ other
