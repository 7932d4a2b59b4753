"""Theme labels: short phrases from the theme's own clauses, never a mark, a handle or a URL."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from voc.nlp.sentiment import SentimentHead
from voc.nlp.topic_quality import coherence_and_diversity
from voc.topics.fit import MAX_THEMES, TopicSettings, _keywords, _unit_words, sentiment_directions
from voc.topics.labels import MAX_WORDS, MIN_WORDS, holds_phrase, phrase_label, segments
from voc.topics.pipeline import document_units, fit_documents

DELIVERY = [
    "The parcel arrived two weeks late.",
    "My parcel arrived late again @fastship",
    "Parcel arrived late and the box was crushed, see https://example.com/photo",
    "By the way the parcel arrived late, XXXX never called.",
    "Le colis est arrivé en retard.",
    "Du coup le colis est arrivé en retard, merci.",
    "Colis arrivé en retard encore une fois.",
    "Paket sampai terlambat dua minggu.",
    "Paket sampai terlambat lagi wkwk @kurirku",
    "Bungkusan sampai lewat seminggu.",
    "Bungkusan sampai lewat lagi, tolong.",
    "Bungkusan sampai lewat, XX/XX/XXXX.",
]
REFUND = [
    "I am still waiting for my refund.",
    "Still waiting for my refund after a month, [NAME] ignored me.",
    "Waiting for my refund since March @shopco",
    "J'attends toujours mon remboursement.",
    "J'attends mon remboursement depuis un mois.",
    "Toujours pas de remboursement, svp.",
    "Dana refund belum masuk juga.",
    "Refund belum masuk sudah seminggu.",
    "Refund belum masuk, tolong cek https://shop.example/order",
    "Bayaran balik belum diterima lagi.",
    "Bayaran balik belum diterima selepas sebulan.",
    "Saya masih tunggu bayaran balik.",
]
CRASH = [
    "The app crashes when I open it.",
    "App crashes every time I log in.",
    "The app crashes at checkout, lol.",
    "L'application plante au démarrage.",
    "L'application plante à chaque paiement.",
    "Franchement l'application plante tout le temps.",
    "Aplikasinya sering crash pas dibuka.",
    "Aplikasi crash terus waktu bayar.",
    "Aplikasi crash lagi @appsupport",
    "Aplikasi asyik crash bila dibuka.",
    "Aplikasi crash semasa pembayaran.",
    "Aplikasi sentiasa crash, tolong baiki.",
]
THEMES = {"delivery": DELIVERY, "refund": REFUND, "crash": CRASH}
SETTINGS = TopicSettings(n_topics=3, min_topic_size=3, outlier_share=0.0)
FORBIDDEN = re.compile(r"xx|\[|\]|@|https?|www|\.com|fastship|kurirku|shopco|appsupport", re.I)


def test_segments_cut_marks_handles_urls_and_fillers_as_units():
    text = "By the way @united my parcel XXXX arrived, see https://x.co/a du coup [NAME] en retard"
    parts = [p.strip() for p in segments(text)]
    assert parts == ["my parcel", "arrived", "see", "en retard"]


def test_phrase_label_prefers_a_phrase_that_says_more():
    texts = ["The parcel arrived two weeks late.", "My parcel arrived late again", "late"]
    members = [segments(t) for t in texts]
    keywords = [("parcel", 0.5), ("late", 0.4), ("arrived", 0.2)]
    assert phrase_label(members, keywords) == "Parcel arrived late"
    assert phrase_label(members, keywords, taken={"parcel arrived late"}) != "Parcel arrived late"
    assert phrase_label([segments("ok"), segments("fine")], []) == ""


def test_a_label_never_joins_words_that_a_number_separates():
    texts = ["Mantap2 tajam sekali", "mantap2 tajam", "Pisau 100 tajam", "pisau tajam sekali"]
    keywords = [("mantap", 0.9), ("tajam", 0.5), ("pisau", 0.4)]
    assert phrase_label([segments(t) for t in texts], keywords) == "Pisau tajam"
    assert holds_phrase("pisau tajam sekali!", "Pisau tajam")
    assert not holds_phrase("Mantap2 tajam sekali", "mantap tajam")
    assert not holds_phrase("Pisau 100 tajam", "pisau tajam")
    assert holds_phrase("C'est vraiment - dommage", "vraiment dommage")


def test_keywords_are_words_said_together():
    """c-TF-IDF ranks "colis" above "courier" in the delivery topic, but "colis" never shares
    a comment with "parcel" or "late": the keywords take "courier", which does."""
    delivery = ["parcel late"] * 4 + ["colis"] * 4 + ["parcel courier late"] * 2
    texts = delivery + ["app crashes at login"] * 5 + ["application plante"] * 5
    labels = np.array([0] * len(delivery) + [1] * 10)
    chosen = [w for w, _ in _keywords(_unit_words(texts), labels, top_n=3)[0]]
    scored = _keywords(_unit_words(texts), labels, top_n=10)[0]  # each word, its c-TF-IDF
    by_ctfidf = [w for w, _ in sorted(scored, key=lambda kv: -kv[1])]
    assert by_ctfidf.index("colis") < by_ctfidf.index("courier")
    assert chosen == ["parcel", "late", "courier"] or chosen == ["late", "parcel", "courier"]
    assert (
        coherence_and_diversity([chosen], texts)[0]
        > coherence_and_diversity([by_ctfidf[:3]], texts)[0]
    )


def test_sentiment_directions_are_what_the_head_reads(settings):
    head = SentimentHead.load(settings.artifacts_dir / "sentiment")
    directions = sentiment_directions(head.weight)
    assert directions.shape == (2, head.weight.shape[1])
    assert np.allclose(directions @ directions.T, np.eye(2), atol=1e-5)
    x = np.random.default_rng(0).normal(size=(5, head.weight.shape[1])).astype(np.float32)
    flat = x - (x @ directions.T) @ directions
    # With those directions gone, every class gets the same share of the logit change.
    logits = flat @ head.weight.T
    assert np.allclose(logits - logits.mean(axis=1, keepdims=True), 0, atol=1e-4)


@pytest.fixture(scope="module")
def labelled(analyzer):
    texts = [t for rows in THEMES.values() for t in rows]
    model, assigned = fit_documents(analyzer, texts, settings=SETTINGS)
    units = document_units(analyzer, texts)
    return model, assigned, units


def test_labels_are_phrases_of_member_clauses(labelled):
    model, _assigned, units = labelled
    members: dict[int, list[str]] = {t.id: [] for t in model.topics}
    for doc in units:
        for text, assignment in zip(
            doc.texts, model.assign(doc.vectors, [doc.language] * len(doc.texts)), strict=True
        ):
            members[assignment.id].append(" ".join(text.lower().split()))
    for topic in model.topics:
        words = topic.label.split()
        assert MIN_WORDS <= len(words) <= MAX_WORDS, topic.label
        assert any(topic.label.lower() in m for m in members[topic.id]), topic.label
        assert holds_phrase(topic.examples[0], topic.label), (topic.label, topic.examples)
        assert not FORBIDDEN.search(topic.label), topic.label
        for keyword, _ in topic.keywords:
            assert not FORBIDDEN.search(keyword), keyword
    assert len({t.label for t in model.topics}) == len(model.topics)


def test_themes_group_by_subject_across_languages(labelled):
    model, assigned, _units = labelled
    ids = iter(assigned)
    majority = {}
    for theme, rows in THEMES.items():
        topics = [next(ids).topic.id for _ in rows]
        top, count = Counter(topics).most_common(1)[0]
        assert count >= 0.75 * len(rows), (theme, topics)
        majority[theme] = top
    assert len(set(majority.values())) == 3
    assert model.removed_directions is not None and model.removed_directions.shape[0] == 2


def test_many_topics_are_grouped_into_few_labelled_themes(analyzer):
    texts = [t for rows in THEMES.values() for t in rows]
    settings = TopicSettings(n_topics=14, min_topic_size=1, outlier_share=0.0)
    model, _ = fit_documents(analyzer, texts, settings=settings)
    assert len(model.topics) > MAX_THEMES
    themes = {t.theme for t in model.topics}
    assert "" not in themes and 2 <= len(themes) <= MAX_THEMES
    clauses = " | ".join(
        " ".join(u.lower().split()) for d in document_units(analyzer, texts) for u in d.texts
    )
    for theme in themes:
        assert theme.lower() in clauses and not FORBIDDEN.search(theme), theme
