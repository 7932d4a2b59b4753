"""One encoder call over clauses (and short texts): nothing is encoded twice, sentences are
pooled, a short document keeps its own vector and a long one is pooled from its clauses."""

from __future__ import annotations

import numpy as np
import pytest
from stub_encoder import StubEncoder

from voc.nlp.segment import Segmenter
from voc.nlp.vectors import LONG_TEXT_CHARS, embed_documents

# Pooling and bookkeeping only: a deterministic stand-in encoder and spaCy's blank tokenizers.
ENCODER = StubEncoder()


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def _embed_counting(encoder, seen: list[str]):
    def embed(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return encoder.embed(texts)

    return embed


def _pooled(vectors: np.ndarray, sentences) -> np.ndarray:
    lengths = np.array([len(c.text) for s in sentences for c in s.clauses], dtype=np.float32)
    expected = lengths @ vectors
    return expected / np.linalg.norm(expected)


def test_each_distinct_clause_is_encoded_once_and_a_short_text_keeps_its_own_vector(segmenter):
    texts = [
        "Pengiriman cepat, tapi layarnya retak. Penjualnya ramah.",
        "La livraison était rapide mais l'écran est arrivé fissuré.",
        "Penjualnya ramah.",
    ]
    sentences = segmenter.segment_batch(texts, ["id", "fr", "id"])
    seen: list[str] = []
    vectors = embed_documents(_embed_counting(ENCODER, seen), texts, sentences)

    assert len(seen) == len(set(seen))
    assert "Penjualnya ramah." in seen  # a clause and a one-clause text: encoded once
    assert texts[0] in seen and texts[1] in seen  # short multi-clause texts, whole
    first = vectors[0]
    assert first.clauses.shape == (3, 384) and first.sentences.shape == (2, 384)
    np.testing.assert_allclose(first.document, ENCODER.embed(texts[:1])[0], rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(first.sentences, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(first.sentences[1], first.clauses[2])  # one-clause sentence


def test_a_long_text_is_pooled_from_its_clauses_and_never_encoded_whole(segmenter):
    review = (
        "Kamarnya luas dan bersih, pemandangan ke kolam renang indah sekali. " * 8
        + "Tapi sarapannya dingin dan pelayannya lambat sekali, kami menunggu setengah jam."
    )
    assert len(review) > LONG_TEXT_CHARS
    sentences = segmenter.segment_batch([review], ["id"])
    seen: list[str] = []
    (vectors,) = embed_documents(_embed_counting(ENCODER, seen), [review], sentences)

    assert review not in seen and len(seen) == len(set(seen)) > 1
    np.testing.assert_allclose(
        vectors.document, _pooled(vectors.clauses, sentences[0]), rtol=1e-5, atol=1e-6
    )
    assert vectors.text is None


def test_whole_texts_encodes_a_long_text_whole_in_the_same_call_and_keeps_its_pooled_document(
    segmenter,
):
    review = (
        "La chambre était propre et le personnel très aimable à chaque passage. " * 8
        + "Mais le petit-déjeuner était froid et il a fallu attendre une demi-heure."
    )
    short = "Livraison rapide, mais le colis était abîmé."
    assert len(review) > LONG_TEXT_CHARS
    sentences = segmenter.segment_batch([review, short], ["fr", "fr"])
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return ENCODER.embed(texts)

    long_doc, short_doc = embed_documents(embed, [review, short], sentences, whole_texts=True)

    assert len(calls) == 1 and review in calls[0] and len(calls[0]) == len(set(calls[0]))
    np.testing.assert_allclose(long_doc.text, ENCODER.embed([review])[0], rtol=1e-5)
    np.testing.assert_allclose(
        long_doc.document, _pooled(long_doc.clauses, sentences[0]), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(short_doc.text, short_doc.document)


def test_single_clause_and_punctuation_only_texts_share_one_vector(segmenter):
    texts = ["Service client injoignable.", "!!!"]
    sentences = segmenter.segment_batch(texts, ["fr", "fr"])
    whole = ENCODER.embed(texts)
    single, punctuation = embed_documents(ENCODER.embed, texts, sentences)

    np.testing.assert_allclose(single.document, whole[0], rtol=1e-5)
    np.testing.assert_allclose(single.text, whole[0], rtol=1e-5)
    np.testing.assert_allclose(single.sentences[0], whole[0], rtol=1e-5)
    np.testing.assert_allclose(punctuation.document, whole[1], rtol=1e-5)
    assert punctuation.sentences.shape == (0, 384) and punctuation.clauses.shape == (0, 384)


def test_stub_vectors_are_deterministic_unit_vectors():
    first, again, other = ENCODER.embed(["Colis en retard.", "Colis en retard.", "Super !"])
    np.testing.assert_array_equal(first, again)
    assert first.shape == (384,) and abs(np.linalg.norm(first) - 1.0) < 1e-6
    close = ENCODER.embed(["Colis en retard, très déçu."])[0]
    assert first @ close > first @ other
