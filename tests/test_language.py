"""Language identification with the committed artifact: the four languages, and the others."""

from __future__ import annotations

import json

import pytest

from voc import paths
from voc.nlp.language import LanguageIdentifier

ARTIFACT = paths.ARTIFACTS_DIR / "language"


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier.load(ARTIFACT)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The refund still hasn't arrived after three weeks.", "en"),
        ("worst app ever, keeps crashing", "en"),
        ("Livraison en retard", "fr"),
        ("pas terrible", "fr"),
        ("Le service client ne répond jamais au téléphone.", "fr"),
        ("gak bagus bgt", "id"),
        ("barang sampai cepat, mantap", "id"),
        ("Kurirnya ramah tapi paketnya telat banget", "id"),
        ("saya nak pulangkan barang ni", "ms"),
        ("Perkhidmatan pelanggan sangat teruk, saya nak batalkan langganan.", "ms"),
    ],
)
def test_supported_languages(identifier, text, code):
    [result] = identifier.identify([text])
    assert (result.code, result.supported) == (code, True)
    assert 0 <= result.confidence <= 1


@pytest.mark.parametrize(
    "text",
    [
        "Die Lieferung kam viel zu spät und der Kundendienst war unfreundlich.",
        "La entrega fue muy lenta y el servicio al cliente fue terrible.",
        "配達が遅くて、商品も壊れていました。",
        "Доставка была очень медленной, товар пришёл сломанным.",
    ],
)
def test_other_languages_are_unsupported_not_forced(identifier, text):
    [result] = identifier.identify([text])
    assert result.supported is False
    assert result.code not in {"en", "fr", "id", "ms"}


@pytest.mark.parametrize("text", ["", "   ", "👍👍👍", "12345 !!!"])
def test_nothing_to_go_on_is_undetermined(identifier, text):
    assert identifier.identify([text])[0].code == "und"


def test_batch_keeps_order(identifier):
    texts = ["merci beaucoup", "terima kasih banyak ya kak", "thanks a lot"]
    assert [r.code for r in identifier.identify(texts)] == ["fr", "id", "en"]


def test_card_beats_off_the_shelf_on_malay():
    metrics = json.loads((ARTIFACT / "config.json").read_text())["metrics_dev"]
    assert metrics["voc"]["by_language"]["ms"]["accuracy"] > 0.95
    assert (
        metrics["voc"]["by_language"]["ms"]["accuracy"]
        > metrics["py3langid"]["by_language"]["ms"]["accuracy"]
    )


@pytest.mark.slow
def test_dev_accuracy_per_language(identifier, shared_data):
    from voc.nlp.datasets import iter_examples
    from voc.nlp.language import TRAIN_FILES

    hits: dict[str, list[bool]] = {}
    for name in TRAIN_FILES:
        dev = [e for e in iter_examples(shared_data / name) if e.split == "dev"]
        for e, r in zip(dev, identifier.identify([e.text for e in dev]), strict=True):
            hits.setdefault(e.lang, []).append(r.code == e.lang)
    accuracy = {lang: sum(v) / len(v) for lang, v in hits.items()}
    assert min(accuracy.values()) > 0.94, accuracy
