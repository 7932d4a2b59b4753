"""Root causes and touchpoints on the real encoder: clause-level, multi-label, in four languages."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from feedback_samples import write_aspect_file

from voc.config import Limits
from voc.nlp.root_causes import (
    Abstention,
    LabelSpec,
    LinearTagger,
    few_shot_tagger,
    tag_root_causes,
    zero_shot_tagger,
)
from voc.nlp.taxonomy import Taxonomy, parse_taxonomy
from voc.nlp.types import Feedback, Segment

FEATURES = ("sentiment", "root_causes", "touchpoints")
PRAISE_SET = Path(__file__).parent / "data" / "touchpoints_praise_heldout.jsonl"

PRAISE_THEN_DAMAGE = [
    ("en", "Fast delivery but the screen arrived cracked.", "the screen arrived cracked"),
    ("fr", "Livraison rapide mais l'écran est arrivé fissuré.", "l'écran est arrivé fissuré"),
    ("id", "Pengiriman cepat tapi layarnya retak waktu sampai.", "layarnya retak waktu sampai"),
    ("ms", "Penghantaran cepat tetapi skrin sampai dalam keadaan retak.", "skrin sampai dalam"),
]

CAUSES = [
    ("en", "My parcel arrived two weeks late.", "late_delivery"),
    ("fr", "Ma commande est arrivée avec deux semaines de retard.", "late_delivery"),
    ("id", "Paketnya telat dua minggu baru sampai.", "late_delivery"),
    ("ms", "Bungkusan saya sampai lewat dua minggu.", "late_delivery"),
    ("en", "I was charged twice for the same order.", "billing_error"),
    ("fr", "J'ai été débité deux fois pour la même commande.", "billing_error"),
    ("id", "Saldo saya terpotong dua kali untuk pesanan yang sama.", "billing_error"),
    ("ms", "Saya dicaj dua kali untuk pesanan yang sama.", "billing_error"),
    ("en", "The receptionist was rude and shouted at us.", "rude_staff"),
    ("fr", "Le réceptionniste était très impoli avec nous.", "rude_staff"),
    ("id", "Resepsionisnya kasar dan membentak kami.", "rude_staff"),
    ("ms", "Penyambut tetamu itu biadab dan menengking kami.", "rude_staff"),
    ("en", "Still no refund a month after I sent it back.", "refund_delay"),
    ("fr", "Toujours pas remboursé un mois après le retour.", "refund_delay"),
    ("id", "Sudah sebulan dana refund belum juga masuk.", "refund_delay"),
    ("ms", "Sudah sebulan wang refund masih belum masuk.", "refund_delay"),
]


def analyse(analyzer, text: str, language: str = "auto", **kwargs):
    return analyzer.analyze([Feedback("x", text, language)], features=FEATURES, **kwargs)[0]


@pytest.mark.parametrize(("language", "text", "evidence"), PRAISE_THEN_DAMAGE)
def test_praise_then_damage_gives_only_the_damage(analyzer, language, text, evidence):
    analysis = analyse(analyzer, text, language)
    ids = [c.id for c in analysis.root_causes]
    assert ids and ids[0] == "damaged_item", ids
    assert "late_delivery" not in ids
    damage = analysis.root_causes[0]
    assert damage.sentiment == "negative" and damage.touchpoint == "delivery"
    assert len(damage.evidence) == 1
    span = damage.evidence[0]
    assert text[span.start : span.end] == span.text and evidence in span.text
    assert span.start > text.index(text.split()[1])  # not the praised first clause
    assert 0.5 <= damage.score <= 1
    assert analysis.touchpoints[0].id == "delivery"
    assert analysis.touchpoints[0].source == "root_cause"


@pytest.mark.parametrize(("language", "text", "cause"), CAUSES)
def test_causes_in_four_languages(analyzer, language, text, cause):
    ids = [c.id for c in analyse(analyzer, text, language).root_causes]
    assert cause in ids, ids


def test_several_causes_in_one_comment_are_each_found(analyzer):
    text = "I was charged twice for one order. And the app keeps crashing when I log in."
    causes = {c.id: c for c in analyse(analyzer, text, "en").root_causes}
    assert {"billing_error", "app_website_bug"} <= set(causes)
    assert causes["billing_error"].evidence[0].text.startswith("I was charged twice")
    assert "crashing" in causes["app_website_bug"].evidence[0].text
    scores = [c.score for c in analyse(analyzer, text, "en").root_causes]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "text",
    [
        "The delivery was really fast, thank you!",
        "Livraison très rapide, merci !",
        "Pengirimannya cepat sekali, terima kasih!",
    ],
)
def test_praise_gives_no_root_cause_but_keeps_its_touchpoint(analyzer, text):
    analysis = analyse(analyzer, text)
    assert analysis.root_causes == ()
    assert "delivery" in {t.id for t in analysis.touchpoints if t.source == "text"}


def test_praise_finds_its_touchpoint_across_the_journey(analyzer):
    """tests/data/touchpoints_praise_heldout.jsonl: 48 sentences of praise, every touchpoint of
    the default journey, four languages; 45 had the right touchpoint first when measured."""
    rows = [json.loads(line) for line in PRAISE_SET.read_text(encoding="utf-8").splitlines()]
    analyses = analyzer.analyze(
        [Feedback(str(n), row["text"]) for n, row in enumerate(rows)], features=FEATURES
    )
    right = [
        bool(a.touchpoints) and a.touchpoints[0].id == row["touchpoint"]
        for a, row in zip(analyses, rows, strict=True)
    ]
    assert sum(right) >= 43, [row["text"] for row, ok in zip(rows, right, strict=True) if not ok]


THREE_CAUSES = {
    "id": "inline-three-causes",
    "root_causes": [
        {
            "id": "late_delivery",
            "label": "Late delivery",
            "description": "The parcel arrived late, days or weeks after the promised date.",
        },
        {
            "id": "damaged_item",
            "label": "Damaged item",
            "description": "The item arrived broken, cracked or damaged.",
        },
        {
            "id": "refund_delay",
            "label": "Refund not received",
            "description": "The money has not been paid back yet.",
        },
    ],
}


def three_cause_ids(analyzer, text: str) -> list[str]:
    taxonomy = parse_taxonomy(THREE_CAUSES, limits=Limits(), journey=None, version=1)
    return [c.id for c in analyse(analyzer, text, taxonomy=taxonomy).root_causes]


@pytest.mark.parametrize(
    "text",
    [
        "My parcel arrived two weeks late.",
        "Colis reçu avec deux semaines de retard.",
        "Paketnya telat dua minggu baru sampai.",
    ],
)
def test_zero_shot_gives_only_the_cause_named(analyzer, text):
    """With no examples, a delivery complaint gets the delivery cause, not all three."""
    assert three_cause_ids(analyzer, text) == ["late_delivery"]


def test_zero_shot_finds_both_complaints_of_one_sentence(analyzer):
    """ "dan" between two statements opens a clause (`voc.nlp.segment.ADDITIVE`), so each
    complaint is ranked on its own clause."""
    ids = three_cause_ids(analyzer, "Barang rosak dan duit belum dipulangkan")
    assert set(ids) == {"damaged_item", "refund_delay"}, ids


def test_the_default_taxonomy_finds_each_complaint_of_a_sentence(analyzer):
    text = "Barang rosak dan duit belum dipulangkan, saya nak batal langganan"
    causes = {c.id: c for c in analyse(analyzer, text, "ms").root_causes}
    assert {"damaged_item", "refund_delay", "cancellation_difficulty"} <= set(causes), causes
    assert [e.text for e in causes["damaged_item"].evidence] == ["Barang rosak"]
    assert [e.text for e in causes["cancellation_difficulty"].evidence] == [
        "saya nak batal langganan"
    ]


FLAT_SHORTFALLS = [
    ("id", "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari."),
    ("fr", "On m'avait promis une livraison en 48h, reçu au bout de 6 jours."),
    ("id", "Katanya 2 hari sampai, ternyata seminggu."),
    ("ms", "Dijanjikan 3 hari, sampai 9 hari."),
]


@pytest.mark.parametrize(("language", "text"), FLAT_SHORTFALLS)
def test_a_promise_broken_in_flat_words_gets_its_cause(analyzer, language, text):
    """The head reads these P(negative) 0.23-0.39, under the complaint gate; the expectation
    gap (3 days promised, 9 taken) makes their clauses that are not praise complaints. (In
    "Promised delivery in 3 days, it came in 9." the head reads both clauses as praise, so it
    gets no cause.)"""
    feedback = Feedback("x", text, language)
    [analysis] = analyzer.analyze([feedback], features=(*FEATURES, "expectation_gaps"))
    assert analysis.sentiment.probabilities["negative"] < 0.5
    assert analysis.expectation_gaps
    assert [c.id for c in analysis.root_causes][:1] == ["late_delivery"], analysis.root_causes


@pytest.mark.parametrize(
    "text",
    [
        "Promised in 5 days, arrived in 2. Great!",
        "Dijanjikan sampai dalam 3 hari, sampai dalam 2 hari.",
    ],
)
def test_a_promise_kept_gets_no_cause(analyzer, text):
    assert analyse(analyzer, text).root_causes == ()


def test_a_neutral_factual_statement_gets_no_cause(analyzer):
    """Zero-shot ranks a best label for any clause; the complaint mask drops it."""
    assert three_cause_ids(analyzer, "The store opens at nine on Sundays.") == []
    assert three_cause_ids(analyzer, "Bungkusan sampai lewat, kecewa.")  # flat, then displeased


NEUTRAL_FACTS = [
    ("en", "My train was at 8."),
    ("id", "Penerbangannya jam sembilan malam."),
    ("ms", "Penerbangan kami pukul sembilan malam."),
]


@pytest.mark.parametrize(("language", "text"), NEUTRAL_FACTS)
def test_a_flat_fact_near_a_cause_gets_none(analyzer, language, text):
    """Neither clearly neutral nor negative enough to be a complaint (P(negative) 0.41-0.45
    with sentiment@7065775a, P(neutral) under 0.5), each near a cause (a trip delay): a flat
    clause of a calm document is no complaint, so it gets no cause."""
    analysis = analyse(analyzer, text, language)
    assert analysis.root_causes == (), [c.id for c in analysis.root_causes]


def test_a_french_flat_fact_gets_no_cause(analyzer):
    """Short French facts read P(negative) 0.5-0.7 to the head trained on pooled clause
    vectors; on the text's own vector (sentiment@7065775a: 0.45) this one is under the gate."""
    assert analyse(analyzer, "Mon train était à 8h.", "fr").root_causes == ()


def test_a_clearly_negative_clause_of_a_calm_document_still_gives_its_cause(analyzer):
    analysis = analyse(analyzer, "Lovely staff and a great view, but the bathroom was filthy.")
    assert [c.id for c in analysis.root_causes] == ["cleanliness"]


def test_abstention_ranks_within_a_margin_above_a_floor():
    proba = np.array([[0.9, 0.85, 0.3], [0.4, 0.2, 0.1], [0.7, 0.2, 0.69]])
    fired = Abstention(margin=0.5, floor=0.5).fires(proba)
    # row 0: 0.85 is within 0.5 logit of 0.9; row 1: below the floor; row 2: 0.69 is near 0.7
    assert fired.tolist() == [[True, True, False], [False, False, False], [True, False, True]]
    assert Abstention(margin=None, floor=0.5).fires(proba).tolist() == (proba >= 0.5).tolist()


def inline_taxonomy(taxonomy_id: str, labels: dict[str, str]) -> Taxonomy:
    """A taxonomy as a request sends it inline: cause id -> label, no examples."""
    causes = [{"id": cause, "label": label} for cause, label in labels.items()]
    return parse_taxonomy(
        {"id": taxonomy_id, "root_causes": causes}, limits=Limits(), journey=None, version=1
    )


def test_a_text_of_several_clauses_gets_a_cause_only_where_it_supports_it_whole():
    taxonomy = inline_taxonomy("shop", {"late": "Late delivery", "billing": "Billing error"})
    three = (
        Segment(0, 16, "Colis en retard."),
        Segment(17, 34, "Débité deux fois."),
        Segment(35, 52, "J'ai écrit hier."),
    )
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.1, 0.1]])  # two clauses fire their cause
    sentiment = np.full((3, 3), 1 / 3)
    complaint = np.array([True, True, True])
    rule = Abstention(margin=0.5, floor=0.5, support_from_clauses=3)

    def causes(clauses, whole):
        n = len(clauses)
        found = tag_root_causes(
            taxonomy, clauses, proba[:n], sentiment[:n], complaint[:n], whole, rule=rule
        )
        return [c.id for c in found]

    assert causes(three, [0.7, 0.6]) == ["late", "billing"]
    assert causes(three, [0.7, 0.3]) == ["late"]  # the text as a whole is not about billing
    assert causes(three[:2], [0.7, 0.3]) == ["late", "billing"]  # two clauses: no support asked
    # floor reached / more than a logit below the best; ranked near the best; two clauses
    supported = rule.supported([[0.5, 0.2], [0.4, 0.3], [0.1, 0.1]], np.array([3, 3, 2]))
    assert supported.tolist() == [[True, False], [True, True], [True, True]]
    assert Abstention(0.5, 0.5).supported([0.1, 0.1], 9).tolist() == [True, True]  # not asked


def test_a_rule_reading_the_whole_text_takes_its_labels_from_it_and_evidence_from_clauses():
    """A trained head is fitted on whole texts; its rule may let the whole text alone decide."""
    taxonomy = inline_taxonomy("shop", {"late": "Late delivery", "billing": "Billing error"})
    clauses = (Segment(0, 16, "Colis en retard."), Segment(17, 34, "Débité deux fois."))
    proba = np.array([[0.9, 0.1], [0.6, 0.2]])  # the clauses say "late" only
    whole = np.array([0.3, 0.7])  # read whole, the text is about billing
    rule = Abstention(None, 0.5, whole_text_fires=True, clauses_fire=False)
    found = tag_root_causes(
        taxonomy, clauses, proba, np.full((2, 3), 1 / 3), np.array([True, True]), whole, rule=rule
    )
    # the evidence is the complaint clause closest to the label, even if the clauses disagree
    assert [(c.id, c.score, c.evidence) for c in found] == [("billing", 0.7, clauses[1:])]
    assert not rule.on_clauses(proba, whole).any()
    with pytest.raises(ValueError, match="clauses or the whole text"):
        Abstention(None, 0.5, clauses_fire=False)


def test_a_cause_clear_only_in_the_whole_text_is_found_on_its_closest_complaint():
    taxonomy = inline_taxonomy("cafe", {"service": "Slow service", "price": "Price"})
    clauses = (
        Segment(0, 24, "The waiter forgot us twice"),
        Segment(25, 41, "and we just left."),
    )
    proba = np.array([[0.45, 0.1], [0.3, 0.05]])  # below the floor in each clause
    sentiment = np.full((2, 3), 1 / 3)
    whole = np.array([0.8, 0.1])  # clear in the whole text

    def causes(rule, complaint):
        return tag_root_causes(
            taxonomy, clauses, proba, sentiment, np.array(complaint), whole, rule=rule
        )

    assert causes(Abstention(0.5, 0.5), [True, True]) == ()  # clauses only: nothing
    found = causes(Abstention(0.5, 0.5, whole_text_fires=True), [True, True])
    assert [(c.id, c.score, c.evidence) for c in found] == [("service", 0.8, clauses[:1])]
    # the closest complaint clause, not the closest clause
    found = causes(Abstention(0.5, 0.5, whole_text_fires=True), [False, True])
    assert [c.evidence for c in found] == [clauses[1:]]
    assert causes(Abstention(0.5, 0.5, whole_text_fires=True), [False, False]) == ()
    rule = Abstention(0.5, 0.5, whole_text_fires=True)
    assert rule.from_whole_text(np.array([[0.8, 0.75], [0.2, 0.9]])).tolist() == [
        [True, True],
        [False, True],
    ]


def test_a_calibration_keeps_each_mode_s_rule(tmp_path):
    """Each tagging mode ranks and abstains by its own margin (a calibration without one keeps
    the plain threshold); saved and loaded, a calibration keeps all three."""
    from dataclasses import replace

    from voc.nlp.root_causes import Calibration

    vectors = np.eye(4, dtype=np.float32)
    calibration = Calibration(
        vectors[0],
        vectors,
        2.7,
        -0.01,
        1.0,
        1.0,
        0.5,
        "root-causes@test",
        zero_shot=Abstention(0.1, 0.5),
        few_shot=Abstention(0.25, 0.5, 3, whole_text_fires=True),
        trained=Abstention(0.75, 0.5, 4),
    )
    calibration.save(tmp_path, {})
    loaded = Calibration.load(tmp_path)
    assert loaded.abstention("zero-shot") == Abstention(0.1, 0.5)
    assert loaded.abstention("few-shot") == Abstention(0.25, 0.5, 3, whole_text_fires=True)
    assert loaded.abstention("trained") == Abstention(0.75, 0.5, 4)
    assert replace(loaded, trained=None).abstention("trained") == Abstention(None, 0.5)


def test_a_calibration_keeps_its_relevance_map(tmp_path):
    """Zero-shot compares clauses with prompts moved by the relevance map; saved and loaded, a
    calibration keeps it (half precision, as it was measured), and without one the prompts
    stay as they are."""
    from dataclasses import replace

    from voc.nlp.root_causes import Calibration

    swap = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=np.float32)
    calibration = Calibration(
        np.zeros(3, np.float32), np.eye(3, dtype=np.float32), 1, 0, 1, 1, 0.5, "v", relevance=swap
    )
    calibration.save(tmp_path, {})
    loaded = Calibration.load(tmp_path)
    prompts = np.array([[1.0, 0.0, 0.0], [0.6, 0.0, 0.8]], dtype=np.float32)
    assert np.allclose(loaded.label_directions(prompts), [[0, 1, 0], [0, 0.6, 0.8]], atol=1e-3)
    assert np.array_equal(replace(loaded, relevance=None).label_directions(prompts), prompts)


def test_relevance_learned_on_some_taxonomies_ranks_labels_of_another():
    """Where texts about a label lie off its prompt the same way in every taxonomy (a prompt
    is not a comment), the map learned on two taxonomies ranks the right label first on a
    third, unseen one more often than the prompts themselves do."""
    from voc.nlp.root_cause_train import ZeroShotData, fit_relevance

    rng = np.random.default_rng(0)
    dim = 16
    # texts matching a label lie along a fixed rotation of its prompt, plus noise
    rotation = np.linalg.qr(rng.normal(size=(dim, dim)))[0].astype(np.float32)
    twisted = 0.8 * rotation + 0.2 * np.eye(dim, dtype=np.float32)

    def unit(x):
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    def taxonomy(labels: int, texts: int) -> ZeroShotData:
        prompts = unit(rng.normal(size=(labels, dim)))
        gold = rng.integers(0, labels, size=texts)
        vectors = unit(unit(prompts @ twisted.T)[gold] + 0.6 * rng.normal(size=(texts, dim)) / 4)
        return ZeroShotData(vectors, prompts, np.eye(labels, dtype=np.int8)[gold])

    seen, unseen = [taxonomy(8, 300), taxonomy(12, 300)], taxonomy(10, 400)
    relevance = fit_relevance(seen, l2=0.01)

    def top1(directions: np.ndarray) -> float:
        return float(((unseen.texts @ directions.T).argmax(1) == unseen.targets.argmax(1)).mean())

    learned, prompts = top1(unit(unseen.prompts @ relevance.T)), top1(unseen.prompts)
    assert learned > prompts + 0.2  # measured: 0.45 against 0.08


def test_touchpoint_from_metadata_comes_first(analyzer):
    feedback = Feedback("x", "The screen arrived cracked.", "en", {"touchpoint": "returns"})
    analysis = analyzer.analyze([feedback], features=FEATURES)[0]
    sources = [(t.id, t.source) for t in analysis.touchpoints]
    assert sources[0] == ("returns", "metadata")
    assert ("delivery", "root_cause") in sources


def test_tagging_costs_no_extra_encoder_pass(analyzer, monkeypatch):
    long_review = "Kamarnya luas dan bersih, sarapannya enak dan lengkap. " * 10 + (
        "Tapi AC-nya rusak dan tidak ada yang datang memperbaiki."
    )
    texts = [
        "Fast delivery but the screen arrived cracked.",
        "Le service client est nul.",
        long_review,  # its clauses and, for the causes, the whole text: one call still
    ]
    calls = []
    embed = analyzer.encoder.embed
    monkeypatch.setattr(analyzer.encoder, "embed", lambda t: calls.append(list(t)) or embed(t))
    analyzer.analyze([Feedback(str(i), t) for i, t in enumerate(texts)], features=FEATURES)
    assert len(calls) == 1 and long_review in calls[0]


def test_few_shot_heads_are_fitted_once_per_version_in_seconds(analyzer):
    raw = {
        "id": "hotel-few-shot",
        "root_causes": [
            {"id": "noise", "label": "Noise", "examples": ["the room was so noisy", "bruit"]},
            {"id": "wifi", "label": "Wi-Fi", "examples": ["wifi kept dropping", "wifi lemot"]},
        ],
    }
    taxonomy = parse_taxonomy(raw, limits=Limits(), journey=None, version=1)
    started = time.perf_counter()
    first = analyzer.root_causes.taxonomy_tagger(taxonomy)
    assert time.perf_counter() - started < 10
    assert first.mode == "few-shot"
    assert analyzer.root_causes.taxonomy_tagger(taxonomy) is first
    analysis = analyse(analyzer, "The wifi kept disconnecting all night.", "en", taxonomy=taxonomy)
    assert [c.id for c in analysis.root_causes] == ["wifi"]


def test_few_shot_separates_what_zero_shot_confuses(analyzer):
    """A label whose name says little ("Bucket B") is learnt from its examples."""
    specs = [
        LabelSpec("bucket_a", "Bucket A", ("the food was cold", "plat froid", "makanan dingin")),
        LabelSpec("bucket_b", "Bucket B", ("waiter was rude", "serveur impoli", "pelayan kasar")),
    ]
    calibration = analyzer.root_causes.calibration
    embed = analyzer.encoder.embed
    probe = calibration.features(embed(["Our waitress was really impolite."]))
    zero = zero_shot_tagger(specs, embed, calibration).predict_proba(probe)[0]
    few = few_shot_tagger(specs, embed, calibration).predict_proba(probe)[0]
    assert few[1] > 0.5 > few[0]
    assert few[1] - few[0] > zero[1] - zero[0]


def test_an_example_listed_under_two_labels_teaches_both(analyzer):
    """Comments on the food and the service, listed under both labels, are positives of both
    (learnt once per label, each was a positive and a negative of both: 0.72-0.77, and the
    unseen probe got food 0.40)."""
    both = (
        "Makanan lambat sampai dan pelayan tak layan kami.",
        "La soupe était froide et le serveur nous a ignorés.",
        "Cold soup and a rude waiter.",
    )
    specs = [
        LabelSpec("food", "Food", ("the food was cold", "plat froid", "makanan dingin", *both)),
        LabelSpec(
            "service", "Service", ("waiter was rude", "serveur impoli", "pelayan kasar", *both)
        ),
        LabelSpec("price", "Price", ("too expensive", "trop cher", "mahal sangat")),
    ]
    calibration = analyzer.root_causes.calibration
    embed = analyzer.encoder.embed
    tagger = few_shot_tagger(specs, embed, calibration)
    listed = tagger.predict_proba(calibration.features(embed(list(both))))
    assert listed[:, :2].min() > 0.8
    probe = "The steak was raw and nobody came to our table for an hour."
    proba = tagger.predict_proba(calibration.features(embed([probe])))[0]
    assert proba[0] > 0.5 and proba[1] > 0.5 > proba[2]


def test_a_comment_under_two_labels_teaches_each_its_own_sentence(analyzer):
    """A two-sentence comment listed under "food" and "service" gives each label the sentence
    about it; a comment listed under one label gives none (it is about that label whole)."""
    from voc.nlp.root_causes import nearest_sentences

    both = "Le potage était froid et fade. Le serveur nous a ignorés pendant une heure."
    specs = [
        LabelSpec("food", "Food quality", ("the food was cold", both)),
        LabelSpec("service", "Waiter and service", ("waiter was rude", both)),
        LabelSpec("price", "Price", ("Terlalu mahal. Porsinya kecil sekali.",)),
    ]
    calibration = analyzer.root_causes.calibration
    assert nearest_sentences(specs, analyzer.encoder.embed, calibration) == [
        ["Le potage était froid et fade"],
        ["Le serveur nous a ignorés pendant une heure"],
        [],
    ]


def test_a_drawn_example_is_listed_under_each_of_its_categories():
    """The aspect datasets' taxonomies list a drawn comment under all its categories, within
    the examples limit."""
    from voc.nlp.datasets import Example
    from voc.nlp.root_cause_data import dataset_taxonomy

    def row(text: str, *categories: str) -> tuple[Example, tuple[str, ...]]:
        return Example(text, text, "en", "train", None, None, None, "test"), categories

    both = "cold soup, rude waiter"
    rows = [row(both, "food", "service")] + [row(f"rude waiter {n}", "service") for n in range(3)]
    taxonomy, names = dataset_taxonomy("t", rows, max_examples=1, seed=0)
    examples = {c.id: c.examples for c in taxonomy.root_causes}
    assert examples[names["food"]] == (both,)
    assert both in examples[names["service"]]  # drawn for food, listed under service too

    many = [row(f"cold soup {n}", "food", "service") for n in range(80)]
    taxonomy, _ = dataset_taxonomy("t", many, max_examples=40, seed=0)
    assert {len(c.examples) for c in taxonomy.root_causes} == {Limits().max_examples_per_item}


def test_a_dataset_left_out_leaves_its_family_out():
    """SemEval-15 and -16 share labels and sentences, MAMS was drawn from SemEval-14's corpus:
    what is fitted across taxonomies for one of them never reads the other."""
    from voc.nlp.root_cause_data import ASPECT_DATASETS
    from voc.nlp.root_cause_train import other_families

    names = [d.name for d in ASPECT_DATASETS]

    def teachers(name: str) -> set[str]:
        return {names[k] for k in other_families(list(ASPECT_DATASETS), names.index(name))}

    assert "SemEval-16 (en)" not in teachers("SemEval-15 (en)")
    assert "SemEval-14 restaurants (en)" not in teachers("MAMS (en)")
    assert teachers("IndoNLU CASA (id)") == set(names) - {"IndoNLU CASA (id)"}


def test_a_long_comment_is_an_example_as_a_user_could_send_it():
    """A taxonomy sent to the API refuses an example over `max_example_characters`, so the
    aspect datasets' taxonomies list a long comment's beginning, cut between words; the
    few-shot baseline still learns from the whole comment."""
    from voc.nlp.datasets import Example
    from voc.nlp.root_cause_data import dataset_taxonomy
    from voc.nlp.root_cause_train import few_shot_rows

    most = Limits().max_example_characters
    narrative = "My card was charged twice and the bank refuses to refund me. " * 20
    rows = [(Example("n", narrative, "en", "train", None, None, None, "test"), ("billing",))]
    taxonomy, _ = dataset_taxonomy("t", rows, max_examples=5, seed=0)
    [example] = taxonomy.root_causes[0].examples
    assert len(narrative) > most >= len(example) > most - 20
    assert narrative.startswith(example) and narrative[len(example)] == " "
    assert [e.text for e, _ in few_shot_rows(taxonomy, rows)] == [narrative]


def test_trained_head_from_a_labelled_file(analyzer, tmp_path):
    from voc.nlp.root_cause_train import train_from_file

    data = write_aspect_file(tmp_path / "hotel.jsonl")
    metrics = train_from_file(
        data,
        tmp_path / "out",
        encoder=analyzer.encoder,
        calibration=analyzer.root_causes.calibration,
    )
    assert metrics["labels"] == 2 and metrics["dev"]["micro_f1"] >= 0.75
    head = LinearTagger.load(tmp_path / "out" / "hotel")
    assert head.mode == "trained" and head.ids == ("noise", "wifi")
    proba = head.predict_proba(
        analyzer.root_causes.calibration.features(
            analyzer.encoder.embed(["the wifi is useless here"])
        )
    )
    assert np.argmax(proba[0]) == 1


def test_baseline_on_whole_texts_of_the_few_shot_documents(analyzer, tmp_path):
    """Issue #10's baseline learns from the documents drawn as few-shot examples, each once."""
    from voc.nlp.datasets import iter_examples
    from voc.nlp.root_cause_data import aspect_labels, dataset_taxonomy
    from voc.nlp.root_cause_train import _targets, baseline_proba, f1_scores, few_shot_rows

    rows = [(e, aspect_labels(e)) for e in iter_examples(write_aspect_file(tmp_path / "h.jsonl"))]
    train = [r for r in rows if r[0].split == "train"]
    dev = [r for r in rows if r[0].split == "dev"]
    taxonomy, names = dataset_taxonomy("hotel", rows, max_examples=3, seed=1)
    examples = {text for cause in taxonomy.root_causes for text in cause.examples}
    chosen = few_shot_rows(taxonomy, train)
    assert sorted(e.text for e, _ in chosen) == sorted(examples)
    ids = [c.id for c in taxonomy.root_causes]
    embed = analyzer.encoder.embed
    proba = baseline_proba(
        embed([e.text for e, _ in chosen]),
        _targets(chosen, ids, names),
        embed([e.text for e, _ in dev]),
        c=1.0,
    )
    assert proba.shape == (len(dev), 2)
    assert f1_scores(_targets(dev, ids, names), (proba >= 0.5).astype(int))["micro_f1"] >= 0.75


@pytest.mark.slow
def test_modes_on_real_aspect_data(analyzer, shared_data):
    """CASA (Indonesian car reviews): few-shot beats zero-shot, trained beats few-shot."""
    from voc.nlp.root_cause_data import ASPECT_DATASETS
    from voc.nlp.root_cause_train import RootCauseTrainingArgs, Vectors, evaluate_split, load_split
    from voc.nlp.segment import Segmenter

    casa = next(d for d in ASPECT_DATASETS if d.file == "indonlu_casa.jsonl")
    vectors = Vectors(analyzer.encoder)
    args = RootCauseTrainingArgs()
    split = load_split(casa, shared_data, vectors, Segmenter(), args)
    report = evaluate_split(split, vectors, analyzer.root_causes.calibration, args)
    assert report["zero-shot"]["macro_f1"] < report["few-shot"]["macro_f1"]
    assert report["few-shot"]["macro_f1"] < report["trained"]["macro_f1"]
    assert report["trained"]["micro_f1"] > 0.65
    # issue #10's baseline, fitted on the same texts: voc's few-shot head beats it here
    assert report["few-shot baseline"]["macro_f1"] < report["few-shot"]["macro_f1"]


def test_long_complaints_get_the_cause_their_whole_text_supports(analyzer, shared_data):
    """CFPB narratives (16 clauses, one issue of 63 each): every clause is a chance to fire a
    wrong issue, and asking the whole text's support (`Abstention.supported`) lifts few-shot
    micro-F1 above the same head without it (0.324 -> 0.362 here, from the first 100 train
    rows; 0.247 -> 0.357 from all of them, in the card)."""
    from dataclasses import replace

    from voc.nlp.root_cause_data import ASPECT_DATASETS
    from voc.nlp.root_cause_train import (
        RootCauseTrainingArgs,
        Vectors,
        document_tags,
        f1_scores,
        fit_heads,
        load_split,
    )
    from voc.nlp.segment import Segmenter

    cfpb = next(d for d in ASPECT_DATASETS if d.file == "en_cfpb_complaints_sample.jsonl")
    vectors = Vectors(analyzer.encoder)
    args = RootCauseTrainingArgs(max_train=100)
    split = load_split(cfpb, shared_data, vectors, Segmenter(), args)
    calibration = analyzer.root_causes.calibration
    heads = fit_heads(split, vectors, calibration, args)
    rule = calibration.abstention("few-shot")
    assert rule.support_from_clauses is not None

    def micro_f1(rule) -> float:
        fired = document_tags(heads.proba["few-shot"], heads.sizes, rule)
        return f1_scores(heads.targets, fired)["micro_f1"]

    assert micro_f1(rule) > micro_f1(replace(rule, support_from_clauses=None)) + 0.02
