"""Expectation gaps: parts, offsets, numbers, and precision/recall on a hand-written set."""

from __future__ import annotations

import pytest

from voc.nlp.expectations import ExpectationDetector
from voc.nlp.quantities import Quantity, QuantityParser, parse_number, quantity_gap

# (text, language, kind of the gap, or None when the text states no unmet expectation)
LABELLED = [
    ("Promised 3 days, arrived in 9.", "en", "delivery_time"),
    ("They said delivery within 48 hours but it took a week.", "en", "delivery_time"),
    ("Expected it to be bigger.", "en", "size"),
    ("The jacket was supposed to be waterproof but it leaks at the seams.", "en", "feature"),
    ("I was told the refund would take 5 days, it has been 3 weeks.", "en", "delivery_time"),
    ("Advertised as free shipping but I was charged $12 at checkout.", "en", "price"),
    ("I expected much better quality for this brand, the stitching came apart.", "en", "quality"),
    ("The agent promised to call me back the same day, nobody ever called.", "en", "service"),
    ("The colour is not as pictured at all.", "en", "description"),
    ("Should have arrived on Monday but it is still not here.", "en", "delivery_time"),
    ("je m'attendais à mieux pour ce prix", "fr", "price"),
    ("Livraison annoncée en 2 jours, reçue au bout de 10 jours.", "fr", "delivery_time"),
    ("Le produit n'est pas conforme à la description.", "fr", "description"),
    ("On m'avait promis un rappel sous 24 heures mais personne ne m'a rappelé.", "fr", "service"),
    ("Le pull devait être en laine mais la matière est synthétique.", "fr", "quality"),
    ("Le prix affiché était de 30 € mais on m'a facturé 45 €.", "fr", "price"),
    ("Bien plus petit que prévu, la taille ne correspond pas.", "fr", "size"),
    ("katanya gratis ongkir tapi tetap kena biaya", "id", "price"),
    ("Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari.", "id", "delivery_time"),
    ("Barang tidak sesuai gambar, warnanya beda.", "id", "description"),
    ("Kirain ukurannya besar ternyata kecil banget.", "id", "size"),
    ("Estimasi 2 hari tapi sudah seminggu belum datang.", "id", "delivery_time"),
    ("Harusnya bisa dipakai buat fast charging tapi ternyata tidak bisa.", "id", "feature"),
    ("Ekspektasi saya bahannya tebal, ternyata tipis sekali.", "id", "quality"),
    ("Baru sampai 9 hari padahal dijanjikan 3 hari.", "id", "delivery_time"),
    (
        "Admin bilangnya akan dibalas dalam 1 jam tapi sampai besok tidak ada balasan.",
        "id",
        "service",
    ),
    ("sepatutnya sampai semalam", "ms", "delivery_time"),
    ("Katanya harga RM25 tapi dicaj RM40 masa bayar.", "ms", "price"),
    ("Ingatkan kualiti bagus rupanya cepat rosak.", "ms", "quality"),
    ("Barang tak sama macam dalam gambar.", "ms", "description"),
    ("Dijanjikan sampai dalam 3 hari tapi dah 2 minggu masih belum sampai.", "ms", "delivery_time"),
    ("Saiz lebih kecil daripada yang ditulis dalam iklan.", "ms", "size"),
    # no gap stated
    ("Arrived as promised, great seller.", "en", None),
    ("Fast delivery and the screen is perfect.", "en", None),
    ("Better than expected, I love it!", "en", None),
    ("I will order again next month.", "en", None),
    ("You should try the dessert, it is amazing.", "en", None),
    ("Livré comme prévu, rien à redire.", "fr", None),
    ("Très bon rapport qualité prix, je recommande.", "fr", None),
    ("Le serveur était très aimable.", "fr", None),
    ("Barang sesuai deskripsi, pengiriman cepat.", "id", None),
    ("Mantap, kualitas bagus dan harga murah.", "id", None),
    ("Pengiriman lebih cepat dari estimasi, terima kasih.", "id", None),
    ("Terima kasih, barang sampai dengan selamat.", "id", None),
    ("Barang sampai seperti yang dijanjikan, terbaik.", "ms", None),
    ("Saiz sama macam gambar, sangat berpuas hati.", "ms", None),
    ("Penghantaran cepat, penjual ramah.", "ms", None),
    ("Kedai ini patut tambah pekerja waktu puncak.", "ms", None),
]

# Written after the lexicons were tuned on LABELLED, then measured once and never tuned on.
HELD_OUT = [
    ("The website said next-day delivery, my parcel came after 4 days.", "en", "delivery_time"),
    ("I was expecting a refund within a week but it's been a month.", "en", "delivery_time"),
    ("Listed as 500 GB but the drive only shows 250 GB.", "en", "feature"),
    ("The photos made the room look huge, in reality it was tiny.", "en", "size"),
    (
        "They claimed there were no hidden fees, yet I paid an extra $30 service charge.",
        "en",
        "price",
    ),
    ("I thought the support team would help but they just closed my ticket.", "en", "service"),
    ("The sofa is nothing like the photo.", "en", "description"),
    ("Excellent service, exactly as described.", "en", None),
    ("Delivery took 2 days, great.", "en", None),
    ("I expected nothing and was pleasantly surprised.", "en", None),
    ("On m'avait dit livraison en 48h, j'ai attendu trois semaines.", "fr", "delivery_time"),
    ("Je pensais que le forfait était à 10 € par mois mais on me prélève 25 €.", "fr", "price"),
    ("Le téléphone était censé être étanche mais il est mort après la pluie.", "fr", "feature"),
    ("La chambre ne correspond pas aux photos du site.", "fr", "description"),
    ("Je m'attendais à un service plus attentionné.", "fr", "service"),
    ("Repas délicieux, service rapide.", "fr", None),
    ("Tout est arrivé comme promis, merci.", "fr", None),
    ("Katanya pengiriman 1 hari tapi 5 hari baru sampai.", "id", "delivery_time"),
    ("Kirain bahannya tebal ternyata tipis banget kayak kertas.", "id", "quality"),
    ("Di deskripsi ukuran XL tapi yang datang ukuran M.", "id", "size"),
    ("Harusnya dapat cashback 20% tapi cuma dapat 5%.", "id", "price"),
    ("Warna tidak sesuai dengan foto.", "id", "description"),
    ("CS janjinya mau telepon balik tapi sampai sekarang tidak ada kabar.", "id", "service"),
    ("Barang bagus, sesuai foto, seller ramah.", "id", None),
    ("Pengiriman cepat, packing rapi.", "id", None),
    ("Ingatkan boleh guna untuk fast charging rupanya tak boleh.", "ms", "feature"),
    ("Katanya penghantaran percuma tapi kena caj RM8.", "ms", "price"),
    ("Saiz tak sama macam yang ditulis, terlalu kecil.", "ms", "size"),
    (
        "Sepatutnya barang sampai minggu lepas tapi sampai hari ni tak sampai lagi.",
        "ms",
        "delivery_time",
    ),
    ("Barang sampai cepat dan kualiti bagus.", "ms", None),
    ("Terima kasih seller, sama macam dalam gambar.", "ms", None),
]


@pytest.fixture(scope="module")
def rules_only() -> ExpectationDetector:
    return ExpectationDetector.load()


@pytest.fixture(scope="module")
def detector(analyzer) -> ExpectationDetector:
    """The analyzer's own: kinds by embedding, exceeded expectations dropped by sentiment."""
    return analyzer.expectations


def _span_ok(text: str, span) -> bool:
    return span is None or text[span.start : span.end] == span.text


def test_promised_days_gives_a_six_day_gap(rules_only):
    text = "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari."
    (gap,) = rules_only.detect(text, "id")
    assert gap.kind == "delivery_time"
    assert gap.expected_quantity.span.text == "3 hari"
    assert gap.actual_quantity.span.text == "9 hari"
    assert (gap.gap.value, gap.gap.unit) == (6.0, "day")
    assert text[gap.expected.start : gap.expected.end] == "3 hari"
    assert gap.actual.text == "baru sampai 9 hari"
    for span in (gap.cue, gap.expected, gap.actual, *gap.evidence):
        assert _span_ok(text, span)


def test_bare_number_borrows_the_unit_and_units_convert(rules_only):
    (gap,) = rules_only.detect("promised 3 days, arrived in 9", "en")
    assert (gap.gap.value, gap.gap.unit) == (6.0, "day")
    (gap,) = rules_only.detect("They promised 2 days. It took 2 weeks.", "en")
    assert (gap.gap.value, gap.gap.unit) == (12.0, "day")
    assert gap.actual.text == "It took 2 weeks"


def test_actual_before_the_expectation(rules_only):
    (gap,) = rules_only.detect("Baru sampai 9 hari padahal dijanjikan 3 hari", "id")
    assert gap.expected.text == "3 hari" and "9 hari" in gap.actual.text
    assert gap.gap.value == 6.0


def test_expectation_without_outcome_keeps_expected_only(rules_only):
    (gap,) = rules_only.detect("je m'attendais à mieux pour ce prix", "fr")
    assert gap.kind == "price" and gap.expected.text == "mieux pour ce prix"
    assert gap.actual is None and gap.gap is None


def test_met_expectations_and_negated_met_phrases(rules_only):
    assert rules_only.detect("Arrived as promised, great seller.", "en") == []
    assert rules_only.detect("Barang sesuai gambar.", "id") == []
    (gap,) = rules_only.detect("Barang tidak sesuai gambar.", "id")
    assert gap.cue.text == "tidak sesuai gambar" and gap.actual.text == "Barang"


def test_exceeded_expectations_are_dropped_by_the_sentiment_model(rules_only, detector):
    for text, language in [
        ("Kirain bakal lama ternyata cepat banget sampainya, mantap!", "id"),
        ("Ingatkan lambat rupanya cepat sangat sampai, terbaik!", "ms"),
    ]:
        assert len(rules_only.detect(text, language)) == 1
        assert detector.detect(text, language) == []
    (gap,) = detector.detect("Kirain bakal cepat ternyata lama banget sampainya.", "id")
    assert gap.kind == "delivery_time"


def test_weak_cue_needs_an_outcome(rules_only):
    assert rules_only.detect("You should try the dessert.", "en") == []
    assert len(rules_only.detect("It should work offline but it does not.", "en")) == 1


def test_money_and_number_words():
    parser = ExpectationDetector.load()._quantities
    assert isinstance(parser, QuantityParser)
    (q,) = parser.find("harga RM25 saja", 0, 15)
    assert (q.value, q.unit.name) == (25.0, "MYR")
    (q,) = parser.find("Rp 1.500.000", 0, 12)
    assert q.value == 1_500_000
    (q,) = parser.find("deux semaines", 0, 13)
    assert (q.value, q.unit.name) == (2.0, "week")
    (q,) = parser.find("sudah seminggu", 0, 14)
    assert (q.value, q.unit.name) == (1.0, "week")
    assert parse_number("2,5") == 2.5


def test_different_dimensions_have_no_gap():
    parser = ExpectationDetector.load()._quantities
    days: Quantity = parser.find("3 days", 0, 6)[0]
    euros: Quantity = parser.find("30 €", 0, 4)[0]
    assert quantity_gap(days, euros) is None


def _scores(detector: ExpectationDetector, labelled: list) -> dict[str, float]:
    predictions = detector.detect_batch(
        [t for t, _, _ in labelled], [lang for _, lang, _ in labelled]
    )
    tp = fp = fn = kind_right = 0
    for (text, _, kind), gaps in zip(labelled, predictions, strict=True):
        for gap in gaps:
            assert all(_span_ok(text, s) for s in (gap.cue, gap.expected, gap.actual))
        if kind is None:
            fp += bool(gaps)
        elif not gaps:
            fn += 1
        else:
            tp += 1
            kind_right += gaps[0].kind == kind
    return {
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(tp + fn, 1),
        "kind_accuracy": kind_right / max(tp, 1),
    }


@pytest.mark.parametrize(
    ("name", "labelled", "floor"),
    [("tuned", LABELLED, 0.9), ("held_out", HELD_OUT, 0.85)],
)
def test_precision_recall_rules_only(rules_only, name, labelled, floor):
    scores = _scores(rules_only, labelled)
    print(name, "rules only", scores)
    assert scores["precision"] >= floor
    assert scores["recall"] >= floor
    assert scores["kind_accuracy"] >= floor


@pytest.mark.parametrize(
    ("name", "labelled", "floor"),
    [("tuned", LABELLED, 0.9), ("held_out", HELD_OUT, 0.85)],
)
def test_precision_recall_with_the_models(detector, name, labelled, floor):
    scores = _scores(detector, labelled)
    print(name, "cues + models", scores)
    assert scores["precision"] >= floor
    assert scores["recall"] >= floor
    assert scores["kind_accuracy"] >= floor


def test_analyze_endpoint_returns_gaps_and_churn_in_the_documented_shape(client, validate_schema):
    text = "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari. Gak mau beli lagi."
    body = client.post(
        "/v1/analyze",
        json={
            "documents": [
                {"id": "c-1", "text": text, "metadata": {"score": 3, "score_type": "nps"}},
                {"id": "c-2", "text": "Great product, arrived as promised."},
            ],
            "features": ["language", "expectation_gaps", "churn_risk"],
        },
    ).get_json()
    validate_schema("AnalyzeResponse", body)
    first, second = body["documents"]
    assert "sentiment" not in first and first["language"]["code"] == "id"
    (gap,) = first["expectation_gaps"]
    assert (gap["kind"], gap["expected"], gap["actual"]) == ("delivery_time", "3 hari", "9 hari")
    assert gap["quantities"]["gap"] == {"value": 6.0, "unit": "day"}
    assert text[gap["evidence"][0]["start"] : gap["evidence"][0]["end"]].startswith("dijanjikan")
    assert [s["type"] for s in first["churn_risk"]["signals"]] == ["never_again"]
    # the never-again signal and the detractor score make it high whatever sentiment reads
    assert first["churn_risk"]["score"] > 0.7 > 0.2 > second["churn_risk"]["score"]
    assert second["expectation_gaps"] == [] and second["churn_risk"]["signals"] == []
    assert second["churn_risk"]["score"] < 0.3


def test_a_gap_is_kept_when_it_comes_no_later_and_no_dearer(rules_only):
    (late,) = rules_only.detect("promised 3 days, arrived in 9", "en")
    (early,) = rules_only.detect("promised 5 days, arrived in 2", "en")
    assert not late.kept
    assert early.kept
