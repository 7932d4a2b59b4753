"""Sentence and clause segmentation: offsets into the original text, contrastive clauses."""

from __future__ import annotations

import random

import pytest

from voc.nlp.segment import Segmenter


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def texts_of(spans) -> list[str]:
    return [s.text for s in spans]


@pytest.mark.parametrize(
    ("text", "language", "clauses"),
    [
        (
            "fast delivery but the screen arrived cracked",
            "en",
            ["fast delivery", "but the screen arrived cracked"],
        ),
        (
            "livraison rapide mais l'écran est arrivé fissuré",
            "fr",
            ["livraison rapide", "mais l'écran est arrivé fissuré"],
        ),
        ("pengiriman cepat tapi layarnya retak", "id", ["pengiriman cepat", "tapi layarnya retak"]),
        (
            "penghantaran laju tetapi skrin sampai retak",
            "ms",
            ["penghantaran laju", "tetapi skrin sampai retak"],
        ),
        ("harga murah, namun kualitas jelek", "id", ["harga murah", "namun kualitas jelek"]),
        ("Mais oui, parfait", "fr", ["Mais oui, parfait"]),
        ("the butter was great", "en", ["the butter was great"]),
    ],
)
def test_contrastive_conjunctions_split_clauses(segmenter, text, language, clauses):
    [sentence] = segmenter.segment(text, language)
    assert texts_of(sentence.clauses) == clauses


def test_sentences_split_on_punctuation_and_line_breaks(segmenter):
    text = "Colis arrivé cassé !! Remboursement rapide.\nMerci quand même\n\n👍"
    assert texts_of(segmenter.segment(text, "fr")) == [
        "Colis arrivé cassé",
        "Remboursement rapide",
        "Merci quand même",
    ]


def test_empty_and_whitespace(segmenter):
    assert segmenter.segment("", "en") == ()
    assert segmenter.segment(" \n\t ", "ms") == ()


def test_unknown_language_still_segments(segmenter):
    sentences = segmenter.segment("Gut. Aber zu teuer", "de")
    assert texts_of(sentences) == ["Gut", "Aber zu teuer"]


FRAGMENTS = [
    "Barang bagus",
    "tapi",
    "mais",
    "but",
    "😀",
    "🇮🇩",
    "!!!",
    "...",
    "\n",
    "  ",
    "é",
    "ok",
    "Servis teruk",
    "tp",
    "lewat",
    ".",
    "?",
    "Très bien",
    "gak",
    "cuma",
    "\r\n",
    "Ça",
]


def test_offsets_always_index_the_original_text(segmenter):
    rng = random.Random(7)
    for _ in range(300):
        text = " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 12)))
        language = rng.choice(["en", "fr", "id", "ms", "xx"])
        previous_end = 0
        for sentence in segmenter.segment(text, language):
            assert text[sentence.start : sentence.end] == sentence.text
            assert sentence.start >= previous_end
            previous_end = sentence.end
            clause_end = sentence.start
            for clause in sentence.clauses:
                assert text[clause.start : clause.end] == clause.text
                assert sentence.start <= clause.start and clause.end <= sentence.end
                assert clause.start >= clause_end
                clause_end = clause.end
