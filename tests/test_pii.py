"""Personal-data detection and redaction on the hand-written sets (issue 14 targets)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from pii_samples import clean, personal

from voc.nlp.pii import PII_TYPES, PiiSpan, detect, mask, redact
from voc.nlp.pii.metadata import redact_metadata
from voc.nlp.pii.scoring import SpanScores


@pytest.fixture(scope="module")
def scores() -> SpanScores:
    scores = SpanScores()
    for sample in personal():
        scores.add(sample.spans, [(s.start, s.end, s.type) for s in detect(sample.text)])
    return scores


@pytest.mark.parametrize("kind", ["EMAIL", "PHONE", "CARD", "IBAN", "NATIONAL_ID"])
def test_structured_types_recall(scores, kind):
    assert scores.recall(kind) >= 0.95


@pytest.mark.parametrize("kind", ["NAME", "ADDRESS"])
def test_names_and_addresses_recall(scores, kind):
    assert scores.recall(kind) >= 0.85


def test_precision_overall(scores):
    assert scores.precision() >= 0.90
    assert set(scores.found) <= set(PII_TYPES)


def test_clean_comments_are_left_alone():
    negatives = clean()
    touched = [s.text for s in negatives if detect(s.text)]
    assert len(touched) <= 0.03 * len(negatives), touched


@pytest.mark.parametrize(
    "text",
    [
        "Card 4526 0181 5908 3013 was declined.",  # Luhn fails
        "IBAN FR76 3000 6000 0112 3456 7890 188 please.",  # mod 97 fails
        "Firmware version 5.0.0.1 is installed.",  # a version, not an IP
        "Prices: Rp 2.499.000, RM1,399, 1 299,00 €, on 2024-03-15.",
        "The shop on Jalan Braga and the store on Orchard Road.",  # places, not addresses
        "Terima Kasih Shopee Sudah Membantu Saya Belanja Murah.",  # Title Case, no name
    ],
)
def test_lookalikes_are_not_personal_data(text):
    assert detect(text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Tadi dibantu sama kak Wati, cepat sekali.", "Wati"),  # lower-case honorific
        ("Le gérant, Mr Dubreuil, nous a offert le café.", "Dubreuil"),  # apposition
        ("The man at the ticket office, Gordon, shrugged.", "Gordon"),
        ("L'agent Mathis a été efficace.", "Mathis"),  # elided article before the role
        ("A woman named Priscilla answered the hotline.", "Priscilla"),
        ("Yang layan saya namanya Hakimi, sangat sopan.", "Hakimi"),
        ("Late again, second week in a row. -- Nigel Ashby", "Nigel Ashby"),
        ("Rakan saya Syazwan pun kena caj yang sama.", "Syazwan"),
        ("Salam, Ong Mei Xin", "Ong Mei Xin"),  # a month word inside a name
        ("I spoke to Dr Omar yesterday and he was rude.", "Omar"),  # "Om" opens the name
        ("Saya jumpa Dr Omar bin Ali semalam.", "Omar bin Ali"),
    ],
)
def test_names_after_varied_cues(text, name):
    found = [text[s.start : s.end] for s in detect(text) if s.type == "NAME"]
    assert found == [name]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Priya at the counter was rude.", "Priya"),  # a name that opens the text
        ("the guy at the kiosk, Jason, was rude lol", "Jason"),  # lower-case apposition
        ("paket telat, kurir Budi ga bisa dihubungi", "Budi"),  # lower-case sentence
        ("ok so my order 4412098 never came", "4412098"),
        ("pls call me on 012-345 6789", "012-345 6789"),
    ],
)
def test_shortcuts_keep_what_they_could_skip(text, value):
    """Detection skips the name finder for texts without a capitalised word after their first,
    the apposition pattern without ", Name," and the digit finders without a digit: texts at the
    edge of each shortcut still give their value."""
    assert [text[s.start : s.end] for s in detect(text)] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "Thanks Facebook for nothing, my ad account is still blocked.",
        "Merci Orange, la fibre tombe encore.",
        "Regards, March was a bad month for deliveries.",
        "Sejak Jumaat lepas internet perlahan.",
    ],
)
def test_brands_and_months_after_a_cue_are_not_names(text):
    assert [s for s in detect(text) if s.type == "NAME"] == []


def test_mask_moves_offsets_to_the_returned_text():
    text = "Call Jean on 06 12 34 56 78 or write to jean@exemple.fr."
    spans = detect(text)
    masked, moved = mask(text, spans)
    assert masked == "Call Jean on [PHONE] or write to [EMAIL]."
    assert [masked[s.start : s.end] for s in moved] == ["[PHONE]", "[EMAIL]"]
    assert redact(text, spans, "none") == (text, spans)
    assert redact(text, spans, "drop_text") == (None, [])


def test_spans_never_overlap():
    for sample in personal():
        spans = detect(sample.text)
        assert all(a.end <= b.start for a, b in pairwise(spans))
        assert all(isinstance(s, PiiSpan) and s.type in PII_TYPES for s in spans)


def test_metadata_is_masked_by_key_and_by_content():
    metadata = {
        "customer_id": "C-77",
        "customerName": "Nur Aisyah",
        "nama_lengkap": "Budi Santoso",
        "product_name": "Galaxy Buds",
        "no_telefon": 60123456789,
        "contact": {"e-mail": "a.b@contoh.my", "city": "Ipoh"},
        "comment_extra": "Sila hubungi Puan Rohani di 012-345 6789",
        "segment": "premium",
        "score": 9,
    }
    assert redact_metadata(metadata, "mask") == {
        "customer_id": "C-77",
        "customerName": "[NAME]",
        "nama_lengkap": "[NAME]",
        "product_name": "Galaxy Buds",
        "no_telefon": "[PHONE]",
        "contact": {"e-mail": "[EMAIL]", "city": "Ipoh"},
        "comment_extra": "Sila hubungi Puan [NAME] di [PHONE]",
        "segment": "premium",
        "score": 9,
    }
    dropped = redact_metadata(metadata, "drop_text")
    assert dropped["customerName"] is None and dropped["comment_extra"] is None
    assert dropped["segment"] == "premium" and dropped["customer_id"] == "C-77"
    assert redact_metadata(metadata, "none") == metadata
