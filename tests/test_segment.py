"""Sentence and clause segmentation: offsets into the original text, contrastive clauses."""

from __future__ import annotations

import random
import threading
import time

import pytest

from voc.nlp import segment
from voc.nlp.segment import Segmenter


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def sentence_texts(segmenter: Segmenter, text: str, language: str) -> list[str]:
    return [s.text for s in segmenter.segment(text, language)]


def clause_texts(segmenter: Segmenter, text: str, language: str) -> list[list[str]]:
    return [[c.text for c in s.clauses] for s in segmenter.segment(text, language)]


def assert_offsets_hold(text: str, sentences) -> None:
    """Every span indexes the original text; spans are ordered and never overlap."""
    previous_end = 0
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert previous_end <= sentence.start < sentence.end
        previous_end = sentence.end
        clause_end = sentence.start
        assert sentence.clauses
        for clause in sentence.clauses:
            assert text[clause.start : clause.end] == clause.text
            assert clause_end <= clause.start < clause.end <= sentence.end
            clause_end = clause.end


# Clauses


@pytest.mark.parametrize(
    ("text", "language", "clauses"),
    [
        ("fast delivery but the screen arrived cracked", "en",
         ["fast delivery", "but the screen arrived cracked"]),
        ("Great camera, however the battery dies by noon", "en",
         ["Great camera", "however the battery dies by noon"]),
        ("everything works except the charger", "en",
         ["everything works", "except the charger"]),
        ("cheap yet sturdy", "en", ["cheap", "yet sturdy"]),
        ("I kept it even though it was scratched", "en",
         ["I kept it", "even though it was scratched"]),
        ("livraison rapide mais l'écran est arrivé fissuré", "fr",
         ["livraison rapide", "mais l'écran est arrivé fissuré"]),
        ("Le produit est beau, par contre la notice est illisible", "fr",
         ["Le produit est beau", "par contre la notice est illisible"]),
        ("tout est parfait sauf que le câble manque", "fr",
         ["tout est parfait", "sauf que le câble manque"]),
        ("c'est cher et pourtant j'adore", "fr", ["c'est cher", "et pourtant j'adore"]),
        ("je le recommande malgré le retard", "fr", ["je le recommande", "malgré le retard"]),
        ("pengiriman cepat tapi layarnya retak", "id", ["pengiriman cepat", "tapi layarnya retak"]),
        ("harga murah, namun kualitas jelek", "id", ["harga murah", "namun kualitas jelek"]),
        ("katanya original padahal palsu", "id", ["katanya original", "padahal palsu"]),
        ("barang bagus tp kurirnya lama bgt", "id", ["barang bagus", "tp kurirnya lama bgt"]),
        ("barang bagus tapi sayangnya pengiriman lama", "id",
         ["barang bagus", "tapi sayangnya pengiriman lama"]),
        ("barangnya bagus cuma pengirimannya lama", "id",
         ["barangnya bagus", "cuma pengirimannya lama"]),
        ("penghantaran laju tetapi skrin sampai retak", "ms",
         ["penghantaran laju", "tetapi skrin sampai retak"]),
        ("semua ok kecuali bateri cepat habis", "ms", ["semua ok", "kecuali bateri cepat habis"]),
        ("produk cantik, malangnya saiz tak muat", "ms",
         ["produk cantik", "malangnya saiz tak muat"]),
        ("Barang ok but delivery lambat", "ms", ["Barang ok", "but delivery lambat"]),
        ("Produk bagus namun harga mahal", "ms", ["Produk bagus", "namun harga mahal"]),
    ],
)  # fmt: skip
def test_contrastive_conjunctions_split_clauses(segmenter, text, language, clauses):
    assert clause_texts(segmenter, text, language) == [clauses]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("the butter was great", "en"),
        ("it hasn't arrived yet", "en"),
        ("I have not yet received my refund", "en"),
        ("nothing but problems with this phone", "en"),
        ("not only cheap but also fast", "en"),
        ("nice phone though", "en"),
        ("But overall a good phone", "en"),
        ("Mais oui, parfait", "fr"),
        ("le but est atteint", "fr"),
        ("j'ai aimé malgré tout", "fr"),
        ("pas cher mais aussi solide", "fr"),
        ("harganya cuma 50 ribu", "id"),
        ("saya cuma mau bilang terima kasih", "id"),
        ("bukan cuma murah tapi juga bagus", "id"),
        ("dapat hadiah cuma-cuma", "id"),
        ("router TP-Link bagus sekali", "id"),
        ("Tapi kenapa lama sekali", "id"),
        ("Walau bagaimanapun, penghantaran lewat", "ms"),
    ],
)
def test_non_contrastive_uses_do_not_split(segmenter, text, language):
    [sentence] = segmenter.segment(text, language)
    assert [c.text for c in sentence.clauses] == [sentence.text]


@pytest.mark.parametrize(
    ("text", "language", "clauses"),
    [
        ("Although delivery was slow, the product is great", "en",
         ["Although delivery was slow", "the product is great"]),
        ("Bien que cher, il vaut le coup", "fr", ["Bien que cher", "il vaut le coup"]),
        ("Malgré le retard, produit top", "fr", ["Malgré le retard", "produit top"]),
        ("Meskipun mahal, kualitasnya bagus banget", "id",
         ["Meskipun mahal", "kualitasnya bagus banget"]),
        ("Walaupun harga mahal, kualiti bagus", "ms", ["Walaupun harga mahal", "kualiti bagus"]),
    ],
)  # fmt: skip
def test_concessive_clause_ends_at_its_comma(segmenter, text, language, clauses):
    assert clause_texts(segmenter, text, language) == [clauses]


@pytest.mark.parametrize(
    ("text", "language", "clauses"),
    [
        ("The room was dirty and the receptionist was rude", "en",
         ["The room was dirty", "and the receptionist was rude"]),
        ("Le plat était froid et le serveur très désagréable", "fr",
         ["Le plat était froid", "et le serveur très désagréable"]),
        ("Paketnya telat seminggu dan barangnya rusak", "id",
         ["Paketnya telat seminggu", "dan barangnya rusak"]),
        ("Barang rosak dan duit belum dipulangkan", "ms",
         ["Barang rosak", "dan duit belum dipulangkan"]),
        ("Great food but the waiter was rude and the bill was wrong", "en",
         ["Great food", "but the waiter was rude", "and the bill was wrong"]),
        ("Barang rosak dan duit belum dipulangkan, saya nak batal langganan", "ms",
         ["Barang rosak", "dan duit belum dipulangkan", "saya nak batal langganan"]),
        ("I ordered a phone last week, it never came", "en",
         ["I ordered a phone last week", "it never came"]),
        ("It has a great camera, and the pictures are nice", "en",
         ["It has a great camera", "and the pictures are nice"]),
    ],
)  # fmt: skip
def test_additive_conjunctions_split_two_statements(segmenter, text, language, clauses):
    assert clause_texts(segmenter, text, language) == [clauses]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("fast and friendly", "en"),
        ("fast delivery, good packaging, great price", "en"),
        ("Bonjour, colis reçu cassé", "fr"),
        ("kami pesan ikan bakar, nasi goreng, es teh manis", "id"),
        ("The food and the service were bad", "en"),
        ("I love the design and the colours", "en"),
        ("rapide et efficace, je recommande", "fr"),
        ("murah dan bagus", "id"),
        ("cepat dan selamat sampai", "ms"),
    ],
)
def test_additive_conjunctions_keep_a_list_whole(segmenter, text, language):
    [sentence] = segmenter.segment(text, language)
    assert [c.text for c in sentence.clauses] == [sentence.text]


def test_consecutive_conjunctions_open_one_clause(segmenter):
    assert clause_texts(segmenter, "good screen but however slow", "en") == [
        ["good screen", "but however slow"]
    ]


def test_unsplit_sentence_has_one_clause_equal_to_itself(segmenter):
    [sentence] = segmenter.segment("  Excellent service!!!  ", "en")
    [clause] = sentence.clauses
    assert (clause.start, clause.end, clause.text) == (sentence.start, sentence.end, sentence.text)
    assert sentence.text == "Excellent service"
    assert sentence.sentiment is None


# Sentences


@pytest.mark.parametrize(
    ("text", "language", "sentences"),
    [
        ("Fast delivery. Screen cracked! Will I get a refund? No answer", "en",
         ["Fast delivery", "Screen cracked", "Will I get a refund", "No answer"]),
        ("Colis arrivé cassé !! Remboursement rapide.\nMerci quand même", "fr",
         ["Colis arrivé cassé", "Remboursement rapide", "Merci quand même"]),
        ("Waited 2 weeks... Never again", "en", ["Waited 2 weeks", "Never again"]),
        ("bagus sih… cuma agak lama", "id", ["bagus sih… cuma agak lama"]),
        ("Great product!Fast delivery", "en", ["Great product", "Fast delivery"]),
        ("Mr. Smith rated it 4.5 stars", "en", ["Mr. Smith rated it 4.5 stars"]),
        ("1. Fast delivery\n2. Bad screen", "en", ["Fast delivery", "Bad screen"]),
        ("- cepat\n- murah\r\n- rapi", "id", ["cepat", "murah", "rapi"]),
        ("Produk ok\r\nPengiriman lambat\n\n\nPenjual ramah", "id",
         ["Produk ok", "Pengiriman lambat", "Penjual ramah"]),
    ],
)  # fmt: skip
def test_sentences_split_on_punctuation_and_line_breaks(segmenter, text, language, sentences):
    assert sentence_texts(segmenter, text, language) == sentences


@pytest.mark.parametrize(
    ("text", "language", "clauses"),
    [
        ("good product fast delivery but box damaged", "en",
         [["good product fast delivery", "but box damaged"]]),
        ("produit ok livraison lente mais vendeur sympa", "fr",
         [["produit ok livraison lente", "mais vendeur sympa"]]),
        ("brg sesuai pesanan tp pengiriman lama bgt", "id",
         [["brg sesuai pesanan", "tp pengiriman lama bgt"]]),
        ("brg ok tpi lambat sampai\nseller ramah", "ms",
         [["brg ok", "tpi lambat sampai"], ["seller ramah"]]),
    ],
)  # fmt: skip
def test_informal_text_without_punctuation(segmenter, text, language, clauses):
    assert clause_texts(segmenter, text, language) == clauses


def test_emoji_only_line_joins_the_sentence_before_it(segmenter):
    text = "Merci quand même\n\n👍"
    [sentence] = segmenter.segment(text, "fr")
    assert sentence.text == text
    assert_offsets_hold(text, [sentence])


def test_emoji_before_any_sentence_joins_the_first_one(segmenter):
    assert sentence_texts(segmenter, "😍\nGreat product", "en") == ["😍\nGreat product"]


def test_emoji_after_a_full_stop_stays_with_its_sentence(segmenter):
    assert sentence_texts(segmenter, "Great!!! 😍 Fast delivery", "en") == [
        "Great!!! 😍",
        "Fast delivery",
    ]


def test_emoji_only_text_is_one_sentence(segmenter):
    text = " 😡😡😡 "
    [sentence] = segmenter.segment(text, "id")
    assert sentence.text == "😡😡😡"
    assert (sentence.start, sentence.end) == (1, 4)


@pytest.mark.parametrize("text", ["", "   ", " \n\t\r\n ", "!!!", "... ?", "\u2028"])
def test_blank_or_punctuation_only_text_has_no_sentences(segmenter, text):
    assert segmenter.segment(text, "en") == ()


def test_offsets_count_python_characters_with_accents_and_astral_emoji(segmenter):
    text = "  🇲🇾👨‍👩‍👧 Très déçu… mais l'équipe a réagi 🙏🏽  "
    [sentence] = segmenter.segment(text, "fr")
    assert_offsets_hold(text, [sentence])
    clauses = [c.text for c in sentence.clauses]
    assert clauses == ["🇲🇾👨‍👩‍👧 Très déçu", "mais l'équipe a réagi 🙏🏽"]
    assert sentence.start == 2


@pytest.mark.parametrize("language", ["de", "und", "xx", "", "EN-us", "fr_CA"])
def test_any_language_code_segments(segmenter, language):
    text = "Gut. Aber zu teuer\nfast but pricey"
    sentences = segmenter.segment(text, language)
    assert [s.text for s in sentences] == ["Gut", "Aber zu teuer", "fast but pricey"]
    assert_offsets_hold(text, sentences)


def test_region_subtag_uses_the_language_rules(segmenter):
    assert clause_texts(segmenter, "rapide mais cher", "fr-CA") == [["rapide", "mais cher"]]


# Batches and threads


def test_batch_matches_single_calls_in_order(segmenter):
    texts = [
        "fast but pricey",
        "",
        "rapide mais cher. Bof",
        "cepat tapi mahal",
        "  ",
        "laju tetapi mahal",
        "schnell aber teuer",
        "great",
    ]
    languages = ["en", "en", "fr", "id", "ms", "ms", "de", "en"]
    expected = [segmenter.segment(t, lang) for t, lang in zip(texts, languages, strict=True)]
    assert segmenter.segment_batch(texts, languages) == expected
    assert segmenter.segment_batch([], []) == []


def test_batch_rejects_mismatched_lengths(segmenter):
    with pytest.raises(ValueError):
        segmenter.segment_batch(["a", "b"], ["en"])


def test_pipelines_are_created_once_per_language_across_threads(monkeypatch):
    created: list[str] = []
    real = segment._blank_pipeline

    def counting(name: str):
        """Slow enough to let threads race; the tiny "xx" pipeline keeps the test fast."""
        created.append(name)
        time.sleep(0.05)
        return real("xx")

    monkeypatch.setattr(segment, "_blank_pipeline", counting)
    shared = Segmenter()
    assert created == []
    texts = {"en": "fast but pricey", "fr": "rapide mais cher", "id": "cepat tapi mahal"}
    results: dict[int, list] = {}

    def work(worker: int) -> None:
        results[worker] = [shared.segment(t, lang) for lang, t in texts.items()]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == ["en", "fr", "id"]
    assert all(r == results[0] for r in results.values())


# Properties over generated inputs

FRAGMENTS = [
    "Barang bagus", "tapi", "mais", "but", "cuma", "tp", "sauf que", "walau bagaimanapun",
    "Although", ",", "😀", "🇮🇩", "👍🏽", "❤️", "!!!", "...", "…", "?!", ".", "\n", "\r\n",
    "  ", "\t", "- ", "1.", "é", "Ça", "ok", "Servis teruk", "lewat", "Très bien", "gak",
    "Livraison", "l'écran", "4.5", "Mr.", "😡😡", "yet", "not yet", "(", ")", '"',
]  # fmt: skip


def test_offsets_always_index_the_original_text(segmenter):
    rng = random.Random(7)
    texts, languages = [], []
    for _ in range(500):
        glue = rng.choice(["", " ", " ", "\n"])
        texts.append(glue.join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 14))))
        languages.append(rng.choice(["en", "fr", "id", "ms", "de"]))
    batch = segmenter.segment_batch(texts, languages)
    for text, language, sentences in zip(texts, languages, batch, strict=True):
        assert sentences == segmenter.segment(text, language)
        assert_offsets_hold(text, sentences)
        for span in (*sentences, *(c for s in sentences for c in s.clauses)):
            assert span.text == span.text.strip()
            assert span.text[-1] not in ".,;:!?…"
