"""Small real sentiment versions for registry tests: a head fitted on hand-written texts.

Each is trained on real embeddings of the texts below and evaluated on its own held-out
texts (the `fixtures` evaluation set), so two of them are comparable and a deliberately
mis-trained one (labels rotated) scores measurably worse.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from voc.config import Settings
from voc.nlp.cards import write_card
from voc.nlp.datasets import Example
from voc.nlp.encoder import Encoder
from voc.nlp.evaluation import classification_report, report_markdown
from voc.nlp.sentiment import SentimentHead
from voc.nlp.train import three_class_weights
from voc.nlp.types import SENTIMENT_LABELS
from voc.registry.entry import Entry, evaluation
from voc.registry.store import Registry

TRAIN = {
    "en": {
        "negative": [
            "The parcel arrived broken and two weeks late.",
            "Worst support ever, nobody answered my emails.",
            "I want a refund, this product is useless.",
        ],
        "neutral": [
            "The order was delivered on Tuesday.",
            "I bought the blue model last month.",
            "The store opens at nine in the morning.",
        ],
        "positive": [
            "Fantastic service, the staff were so helpful!",
            "Fast delivery and great quality, thank you.",
            "I love this app, it works perfectly.",
        ],
    },
    "fr": {
        "negative": [
            "Livraison en retard et colis abîmé, très déçu.",
            "Service client injoignable, c'est honteux.",
            "Produit de mauvaise qualité, je le renvoie.",
        ],
        "neutral": [
            "La commande a été livrée mardi.",
            "J'ai acheté ce modèle le mois dernier.",
            "Le magasin ouvre à neuf heures.",
        ],
        "positive": [
            "Super expérience, personnel adorable et efficace.",
            "Livraison rapide et produit excellent, merci !",
            "J'adore cette application, parfaite.",
        ],
    },
    "id": {
        "negative": [
            "Pesanan terlambat dan barangnya rusak, kecewa banget.",
            "Pelayanan buruk sekali, tidak ada yang membalas.",
            "Kualitasnya jelek, saya minta uang kembali.",
        ],
        "neutral": [
            "Pesanan dikirim hari Selasa.",
            "Saya membeli model biru bulan lalu.",
            "Toko buka jam sembilan pagi.",
        ],
        "positive": [
            "Pelayanannya ramah dan cepat, mantap!",
            "Barangnya bagus banget, pengiriman cepat.",
            "Aplikasinya sangat membantu, terima kasih.",
        ],
    },
    "ms": {
        "negative": [
            "Penghantaran lewat dan barang rosak, sangat kecewa.",
            "Perkhidmatan pelanggan teruk, tiada siapa menjawab.",
            "Kualiti teruk, saya nak bayaran balik.",
        ],
        "neutral": [
            "Pesanan dihantar pada hari Selasa.",
            "Saya membeli model biru bulan lepas.",
            "Kedai dibuka pada pukul sembilan pagi.",
        ],
        "positive": [
            "Perkhidmatan sangat baik dan mesra, terima kasih!",
            "Penghantaran pantas dan barang berkualiti.",
            "Aplikasi ini sangat berguna, saya suka.",
        ],
    },
}

HELD_OUT = {
    "en": {
        "negative": ["Terrible experience, the screen arrived cracked."],
        "neutral": ["My account number changed last year."],
        "positive": ["Excellent, the driver was lovely and on time."],
    },
    "fr": {
        "negative": ["Remboursement refusé, je suis furieux."],
        "neutral": ["Le colis contient deux boîtes."],
        "positive": ["Très bon accueil, je recommande vivement."],
    },
    "id": {
        "negative": ["Produknya gak sesuai, penjualnya tidak responsif."],
        "neutral": ["Paket berisi dua kotak."],
        "positive": ["Puas sekali, kualitas oke dan murah."],
    },
    "ms": {
        "negative": ["Servis teruk, saya nak batalkan langganan."],
        "neutral": ["Bungkusan itu mengandungi dua kotak."],
        "positive": ["Sangat puas hati, kakitangan mesra dan cekap."],
    },
}


def _rows(table: dict, split: str) -> list[Example]:
    return [
        Example(f"{lang}:{label}:{i}", text, lang, split, label, None, None, "registry_fixtures")
        for lang, labels in table.items()
        for label, texts in labels.items()
        for i, text in enumerate(texts)
    ]


FIXTURE_DATA = {
    "file": "tests/registry_helpers.py",
    "sha256": hashlib.sha256(repr((TRAIN, HELD_OUT)).encode()).hexdigest(),
}


def register_fixture_head(
    registry: Registry, encoder: Encoder, *, rotate_labels: bool = False, card: bool = True
) -> Entry:
    """Fit, evaluate and register a head on the texts above (rotated labels: a bad model)."""
    from sklearn.linear_model import LogisticRegression

    train, held_out = _rows(TRAIN, "train"), _rows(HELD_OUT, "dev")
    shift = 1 if rotate_labels else 0
    y = [(SENTIMENT_LABELS.index(e.sentiment) + shift) % 3 for e in train]

    def build(directory):
        model = LogisticRegression(C=4.0, max_iter=2000)
        model.fit(encoder.embed([e.text for e in train]), np.array(y))
        weight, bias = three_class_weights(model)
        digest = hashlib.sha256(weight.tobytes() + bias.tobytes()).hexdigest()[:8]
        head = SentimentHead(weight, bias, 1.0, 0.7, f"sentiment@fx-{digest}")
        head.save(directory, {})
        report = classification_report(
            held_out,
            [e.sentiment for e in held_out],
            head.predict_proba(encoder.embed([e.text for e in held_out])),
            SENTIMENT_LABELS,
        )
        if card:
            write_card(
                directory / "CARD.md",
                title=f"Fixture sentiment head ({head.version})",
                summary="Trained by the registry tests on hand-written texts.",
                command="pytest tests/test_registry.py",
                data=[FIXTURE_DATA],
                sections=[("Held-out texts", report_markdown(report))],
            )
        return {
            "version": head.version,
            "config": {"rotate_labels": rotate_labels},
            "training_data": [FIXTURE_DATA],
            "evaluations": [evaluation("fixtures", [FIXTURE_DATA], "macro_f1", report["groups"])],
        }

    return registry.register("sentiment", build)


def isolated_settings(root: Path, *, model_refresh_seconds: float) -> Settings:
    """Settings whose database, registry and topic versions all live under `root`: an
    activation is a permanent row of the activation log, so each app gets its own."""
    return Settings.from_env(
        {
            "database_url": f"sqlite:///{root / 'voc.sqlite3'}",
            "registry_dir": root / "registry",
            "topics_dir": root / "topics",
            "model_refresh_seconds": model_refresh_seconds,
        }
    )
