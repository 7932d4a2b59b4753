"""Language identification with the committed artifact: the four languages, and the others.

The fixture texts are written for these tests (not taken from the labelled data). Informal
Malaysian Malay is the case the labelled data does not cover, so it gets the most examples.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.feature_extraction.text import HashingVectorizer
from tiers import loads_models

from voc import paths
from voc.nlp.language import (
    CONFIG,
    FEATURES,
    LABELS,
    TRAINING_FILES,
    WEIGHTS,
    HashedNgrams,
    LanguageIdentifier,
    abbreviate,
    augment,
    blocking_words,
    char_wb_grams,
    clean_text,
    code_switched,
    formal_table,
    fragments,
    marker_balance,
    parse_table,
    rewrite,
)
from voc.nlp.types import Language

ARTIFACT = paths.ARTIFACTS_DIR / "language"
COLLOQUIAL = paths.REPO_ROOT / "tests" / "data" / "language_colloquial.jsonl"
"""285 informal sentences written by hand before the colloquial retrain; the tuning set since
(tests/data/README.md)."""
HELDOUT = paths.REPO_ROOT / "tests" / "data" / "language_colloquial_heldout.jsonl"
"""260 informal sentences written by hand and committed before that tuning began."""

MALAY = [
    "tak best langsung",
    "saya nak pulangkan barang ni",
    "penghantaran lambat gila, dah seminggu tak sampai lagi",
    "servis teruk, staf tak layan pelanggan langsung",
    "harga mahal sikit tapi kualiti ok lah",
    "barang rosak, nak tukar baru boleh tak?",
    "korang kena baiki sistem ni cepat",
    "macam mana nak batalkan tempahan?",
    "saya nak tanya pasal bayaran balik",
    "teruk betul, takkan beli lagi",
    "kualiti kain tak sama macam dalam gambar",
    "ok je, takde masalah",
    "Saya ingin membuat aduan kerana perkhidmatan pelanggan tidak memuaskan.",
    "Sila hubungi pejabat kami untuk maklumat lanjut.",
    "Wang saya masih belum dipulangkan oleh syarikat.",
    "Telefon bimbit ini rosak selepas dua minggu.",
]
INDONESIAN = [
    "gak bagus bgt",
    "barang sampai cepat, mantap",
    "pengiriman lama banget, udah seminggu belum nyampe",
    "pelayanannya jelek, adminnya gak ramah",
    "harganya agak mahal sih tapi kualitasnya oke",
    "barangnya rusak, bisa tukar baru gak?",
    "tolong diperbaiki dong sistemnya",
    "gimana cara batalin pesanan?",
    "mau tanya soal pengembalian dana",
    "parah banget, gak bakal beli lagi",
    "bahannya beda sama yang di foto",
    "oke aja, gak ada masalah",
    "Saya ingin mengajukan keluhan karena layanan pelanggan tidak memuaskan.",
    "Silakan hubungi kantor kami untuk informasi lebih lanjut.",
    "Uang saya masih belum dikembalikan oleh perusahaan.",
    "Ponsel ini rusak setelah dua minggu.",
]
FRENCH = [
    "pas terrible",
    "merci",
    "livraison rapide, rien à dire",
    "le colis est arrivé abîmé",
    "service client injoignable depuis une semaine",
    "très déçu, je ne recommande pas",
    "Le service client ne répond jamais au téléphone.",
]
ENGLISH = [
    "not great",
    "fast delivery, love it",
    "the package arrived damaged",
    "customer service never answered my emails",
    "worst app ever, keeps crashing",
    "The refund still hasn't arrived after three weeks.",
]
OTHER = [
    ("Die Lieferung kam viel zu spät an und das Paket war beschädigt.", "de"),
    ("El servicio al cliente fue excelente y muy rápido.", "es"),
    ("La entrega fue muy lenta y nadie contesta el teléfono.", "es"),
    ("配送がとても遅くて残念でした。", "ja"),
    ("Доставка была очень медленной, я разочарован.", "ru"),
    ("Il prodotto è arrivato rotto e nessuno risponde.", "it"),
    ("O produto chegou quebrado e ninguém responde.", "pt"),
    ("De bestelling kwam te laat en de klantenservice reageert niet.", "nl"),
]
SUPPORTED = (
    [(t, "ms") for t in MALAY]
    + [(t, "id") for t in INDONESIAN]
    + [(t, "fr") for t in FRENCH]
    + [(t, "en") for t in ENGLISH]
)

# identify() on the dev splits when this artifact was built: en 0.9926, fr 0.9990,
# id 0.9661, ms 0.9817; lowest file nusax_senti_en_id [id] 0.9175. Floors leave a margin.
DEV_FLOORS = {"en": 0.99, "fr": 0.99, "id": 0.955, "ms": 0.97}
DEV_FILE_FLOOR = 0.90
# The tuning set with this artifact: ms 0.8833, id, en and fr 1.0 (models/language/CARD.md,
# "Unseen data"). Floors leave a margin.
COLLOQUIAL_FLOORS = {"ms": 0.85, "id": 0.96, "en": 0.96, "fr": 0.96}
# The held-out set, measured once with this artifact: ms 0.9172, id, en and fr 1.0 (15 en and
# 10 fr sentences: one miss is 0.93 / 0.90). Floors leave a margin.
HELDOUT_FLOORS = {"ms": 0.89, "id": 0.96, "en": 0.93, "fr": 0.9}


@pytest.fixture(scope="module")
@loads_models
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier.load(ARTIFACT)


@pytest.mark.parametrize(("text", "code"), SUPPORTED)
def test_supported_languages(identifier, text, code):
    [result] = identifier.identify([text])
    assert (result.code, result.supported) == (code, True), result
    assert 0.0 <= result.confidence <= 1.0


@pytest.mark.parametrize(("text", "code"), OTHER)
def test_other_languages_are_unsupported_not_forced(identifier, text, code):
    [result] = identifier.identify([text])
    assert result.supported is False
    assert result.code == code
    assert 0.0 < result.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "   \n\t", "👍👍👍", "12345 !!!", "😡😡 100%"])
def test_nothing_to_go_on_is_undetermined(identifier, text):
    assert identifier.identify([text]) == [Language("und", 0.0, False)]


def test_batch_keeps_order_and_length(identifier):
    texts = ["merci beaucoup", "", "terima kasih banyak ya kak", "thanks a lot", "tak best lah"]
    assert [r.code for r in identifier.identify(texts)] == ["fr", "und", "id", "en", "ms"]
    assert identifier.identify([]) == []
    assert identifier.four_way([]).shape == (0, len(LABELS))


def test_version_names_the_weights_file(identifier):
    import hashlib

    digest = hashlib.sha256((ARTIFACT / WEIGHTS).read_bytes()).hexdigest()
    assert identifier.version == f"language@{digest[:8]}"


def test_identify_is_thread_safe(identifier):
    texts = [t for t, _ in SUPPORTED] + [t for t, _ in OTHER]
    expected = identifier.identify(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: identifier.identify(texts), range(8)))
    assert all(r == expected for r in results)


def test_artifact_is_small_and_described():
    assert (ARTIFACT / WEIGHTS).stat().st_size < 5 * 2**20
    config = json.loads((ARTIFACT / CONFIG).read_text())
    assert [d["file"] for d in config["data"]] == list(TRAINING_FILES)
    assert all(re.fullmatch(r"[0-9a-f]{64}", d["sha256"]) for d in config["data"])
    assert "voc train language" in (ARTIFACT / "CARD.md").read_text()


def test_card_beats_off_the_shelf_on_indonesian_and_malay():
    metrics = json.loads((ARTIFACT / CONFIG).read_text())["metrics_dev"]
    for lang in ("id", "ms"):
        ours = metrics["pipeline"][f"lang:{lang}"]["accuracy"]
        for baseline in metrics["baselines"].values():
            assert ours > baseline[f"lang:{lang}"]["accuracy"]


def test_rewrite_handles_phrases_and_nya_forms():
    table = parse_table("uang:wang; kualitas:kualiti; rumah sakit:hospital")
    assert rewrite("Kualitasnya bagus, uang kembali", table, random.Random(0)) == (
        "kualitinya bagus, wang kembali"
    )
    assert rewrite("ke rumah sakit", table, random.Random(0)) == "ke hospital"


def test_formal_table_inverts_only_differing_forms():
    formal = formal_table(parse_table("tidak:gak|nggak; saya:saya|aku"))
    assert formal == {"gak": ["tidak"], "nggak": ["tidak"], "aku": ["saya"]}


def test_blocking_words_keep_source_only_words_out():
    examples = [("gue mau beli", "id")] * 3 + [("saya mahu beli", "ms")]
    assert blocking_words(examples, "id", "ms", {"mau": ["mahu"]}, min_count=3) == {"gue"}


def test_marker_words_keep_informal_indonesian_out_of_other_languages(identifier):
    """py3langid calls this Javanese (0.89); three Indonesian marker words keep it supported."""
    [result] = identifier.identify(["aku seneng banget sama aplikasinya, gampang dipake kok"])
    assert (result.code, result.supported) == ("id", True), result


@pytest.mark.parametrize("text", ["sy x dpt bls cs", "dh tggu 2 mgg brg x smpi"])
def test_chat_shorthand_without_vowels_is_not_unsupported(identifier, text):
    """py3langid's unconfident "no language" (zxx) for vowel-less shorthand is not trusted."""
    [result] = identifier.identify([text])
    assert (result.code, result.supported) == ("ms", True), result


def test_fragments_are_short_runs_of_longer_texts():
    long_text = "one two three four five six seven"
    out = fragments([(long_text, "en"), ("too short", "en")], random.Random(0), max_words=5)
    assert len(out) == 1
    fragment, lang = out[0]
    assert lang == "en" and 1 <= len(fragment.split()) <= 5 and fragment in long_text


@pytest.mark.slow
def test_dev_accuracy_per_language_and_file(identifier, shared_data):
    """`shared_data` skips this, with the reason, when the labelled data is absent."""
    from voc.nlp.datasets import iter_examples

    hits: dict[str, list[bool]] = defaultdict(list)
    for name in TRAINING_FILES:
        dev = [e for e in iter_examples(shared_data / name) if e.split == "dev"]
        for e, r in zip(dev, identifier.identify([e.text for e in dev]), strict=True):
            hits[e.lang].append(r.code == e.lang)
            hits[f"{name} [{e.lang}]"].append(r.code == e.lang)
    accuracy = {k: sum(v) / len(v) for k, v in hits.items()}
    for lang, floor in DEV_FLOORS.items():
        assert accuracy[lang] > floor, (lang, accuracy[lang])
    files = {k: v for k, v in accuracy.items() if k not in DEV_FLOORS}
    assert min(files.values()) > DEV_FILE_FLOOR, files


def test_cleaning_keeps_only_what_carries_language():
    assert clean_text("@shopee_my barang rosak https://t.co/x1 #kecewa").split() == [
        "barang",
        "rosak",
        "kecewa",
    ]
    assert clean_text("bagusss bangettt, mail me: a.b@c.com").split() == [
        "baguss",
        "bangett,",
        "mail",
        "me:",
    ]
    assert clean_text("\U0001d458\U0001d44e\U0001d458 ok") == "kak ok"


def test_nothing_left_after_cleaning_is_undetermined(identifier):
    assert identifier.identify(["@someone https://t.co/abc"]) == [Language("und", 0.0, False)]


def test_marker_balance_counts_each_variety():
    balance = marker_balance(["tak best, dah lambat", "gak bagus banget sih", "the parcel"])
    ms, id_ = LABELS.index("ms"), LABELS.index("id")
    assert balance[0, ms] == 3 and balance[0, id_] == -3
    assert balance[1, id_] == 3 and balance[1, ms] == -3
    assert not balance[2].any()


PINNED = [
    ("ok", "id", 0.739727, True),
    (
        "Delivery was fast but the box arrived dented :( will NOT order again!!!",
        "en",
        0.999979,
        True,
    ),
    ("soooo gooood, thx @shop_help https://t.co/abc", "en", 0.956261, True),
    ("pas terrible", "fr", 0.928077, True),
    ("Livraison rapide mais le colis était abîmé... très déçu 😡", "fr", 1.0, True),
    ("Ça va, rien à dire, merci!!", "fr", 0.999715, True),
    ("barang udah nyampe tp kurirnya lama bgt sih", "id", 0.999999, True),
    ("Pengiriman cepat, packing rapi. Mantap gan!", "id", 0.999923, True),
    ("gak bisa login, aplikasi error terus", "id", 0.999984, True),
    ("tak best langsung, dahh lambat", "ms", 0.973753, True),
    ("barang ok tapi delivery lambat gila, nak refund boleh tak?", "ms", 0.998894, True),
    (
        "Saya ingin membuat aduan kerana perkhidmatan pelanggan tidak memuaskan.",
        "ms",
        0.999951,
        True,
    ),
    ("😍😍 12345", "und", 0.0, False),
    ("Das Paket kam leider beschädigt an und niemand antwortet.", "de", 0.986953, False),
    ("Доставка была очень медленной", "ru", 0.95725, False),
]
"""Hand-written texts and what `identify` answered before the batch featurisation
(language@ weights unchanged): batching and caching must not change a single answer."""


def test_identify_answers_stay_pinned(identifier):
    found = identifier.identify([text for text, *_ in PINNED])
    for (text, code, confidence, supported), language in zip(PINNED, found, strict=True):
        assert (language.code, language.supported) == (code, supported), text
        assert language.confidence == pytest.approx(confidence, abs=1e-6), text


@pytest.mark.parametrize(
    ("text", "cells", "checksum"),
    [
        ("tak best langsung, dahh lambat", 95, 1276779.892929),
        ("Ça va, rien à dire, merci!!", 85, 1047944.477972),
        ("I", 5, 277164.015186),
        ("gak bisa login gak bisa login", 51, 777404.938306),
    ],
)
def test_hashed_features_stay_pinned(text, cells, checksum):
    """Buckets and weights as the per-text featurisation gave them (sum of bucket x weight)."""
    rows, buckets, weights = HashedNgrams(FEATURES).entries(["", text])
    assert (rows == 1).all() and len(buckets) == cells
    assert float(buckets @ weights) == pytest.approx(checksum, abs=1e-5)


@pytest.mark.parametrize(("low", "high"), [(1, 4), (2, 3), (3, 5), (4, 4), (5, 8)])
def test_char_wb_grams_are_sklearns(low, high):
    analyzer = HashingVectorizer(
        analyzer="char_wb", ngram_range=(low, high), lowercase=False
    ).build_analyzer()
    for token in ["a", "ab", "abc", "abcd", "bagusss", "pengiriman", "ΟΔΟΣ", "🙂", "x" * 30]:
        assert Counter(char_wb_grams(token, low, high)) == Counter(analyzer(token)), token


def test_batch_features_equal_one_text_at_a_time():
    texts = ["tak best, dah lambat", "", "gak bagus banget sih", "tak best, dah lambat", "I"]
    features = HashedNgrams(FEATURES)
    batch = features.matrix(texts).toarray()
    for row, text in zip(batch, texts, strict=True):
        assert np.array_equal(row, features.matrix([text]).toarray()[0])


def test_rewritten_copies_never_repeat_a_text_under_the_other_label():
    """A text the dictionary leaves unchanged ("sangat membantu") gets no copy in the other
    variety: the same words under both labels would only add noise."""
    pairs = [("sangat membantu sekali", "id"), ("aplikasinya bagus, pengiriman cepat", "id")]
    added = augment(pairs, seed=0)
    ms_copies = [t for t, lang in added if lang == "ms"]
    assert "sangat membantu sekali" not in ms_copies
    assert any("penghantaran" in t for t in ms_copies)


def test_code_switched_copies_keep_their_label():
    rng = random.Random(0)
    pairs = [("barang sampai dalam keadaan baik sekali", "ms")] * 20 + [("fine thanks", "en")]
    out = code_switched(pairs, rng)
    assert out and all(lang == "ms" for _, lang in out)
    assert any(t != pairs[0][0] for t, _ in out)


def test_abbreviation_drops_inner_vowels_only():
    rng = random.Random(0)
    words = ["penghantaran", "sampai", "dengan", "selamat"]
    for _ in range(50):
        short = abbreviate(" ".join(words), rng)
        for original, word in zip(words, short.split(), strict=True):
            assert word[0] == original[0] and word[-1] == original[-1]
            assert set(word) <= set(original)


def hand_written_accuracy(identifier, path) -> tuple[dict[str, float], dict[str, int]]:
    """Accuracy and number of sentences per language of a hand-written set."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    found = identifier.identify([r["text"] for r in rows])
    hits: dict[str, list[bool]] = defaultdict(list)
    for row, language in zip(rows, found, strict=True):
        hits[row["lang"]].append(language.code == row["lang"])
    return {lang: sum(v) / len(v) for lang, v in hits.items()}, {k: len(v) for k, v in hits.items()}


def test_hand_written_colloquial_sentences(identifier):
    """Reviews, complaints and chat written by hand (never trained on; the tuning set)."""
    accuracy, counts = hand_written_accuracy(identifier, COLLOQUIAL)
    assert counts["ms"] >= 100 and counts["id"] >= 100
    for lang, floor in COLLOQUIAL_FLOORS.items():
        assert accuracy[lang] >= floor, (lang, accuracy[lang])


def test_held_out_colloquial_sentences(identifier):
    """The held-out set: written before tuning, never used to choose anything."""
    accuracy, counts = hand_written_accuracy(identifier, HELDOUT)
    assert counts["ms"] >= 120 and counts["id"] >= 80
    for lang, floor in HELDOUT_FLOORS.items():
        assert accuracy[lang] >= floor, (lang, accuracy[lang])
