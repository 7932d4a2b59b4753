"""Small labelled files in the shared data's schema, written by the tests: four languages,
named like the real sources so that the LODO folds and the tuning pack find them."""

from __future__ import annotations

import json
from pathlib import Path

ROWS = {
    "en_uci_sentiment_labelled_sentences.jsonl": (
        "en",
        [
            ("Great phone, works perfectly.", "positive"),
            ("Fast delivery and friendly staff.", "positive"),
            ("I love this product, highly recommended.", "positive"),
            ("Excellent quality for the price.", "positive"),
            ("Terrible service, never again.", "negative"),
            ("The screen broke after two days.", "negative"),
            ("Worst purchase I have ever made.", "negative"),
            ("Refund still not received, very disappointed.", "negative"),
        ],
    ),
    "fr_allocine_tvseries_sentiment.jsonl": (
        "fr",
        [
            ("Produit excellent, je suis ravi.", "positive"),
            ("Livraison rapide et vendeur très aimable.", "positive"),
            ("Très bonne qualité, je recommande.", "positive"),
            ("Service impeccable du début à la fin.", "positive"),
            ("Colis arrivé cassé, très déçu.", "negative"),
            ("Service client horrible, aucune réponse.", "negative"),
            ("Produit de mauvaise qualité, à éviter.", "negative"),
            ("Jamais remboursé, c'est une honte.", "negative"),
        ],
    ),
    "indonlu_smsa.jsonl": (
        "id",
        [
            ("Barangnya bagus banget, puas!", "positive"),
            ("Pengiriman cepat, penjual ramah.", "positive"),
            ("Kualitas mantap, recommended seller.", "positive"),
            ("Pelayanannya sangat memuaskan.", "positive"),
            ("Barang rusak, kecewa berat.", "negative"),
            ("Pengiriman lama sekali, parah.", "negative"),
            ("Kualitas jelek, tidak sesuai foto.", "negative"),
            ("Admin tidak pernah membalas chat, payah.", "negative"),
        ],
    ),
    "ms_news_sentiment.jsonl": (
        "ms",
        [
            ("Barang sangat bagus, puas hati.", "positive"),
            ("Penghantaran pantas, terima kasih!", "positive"),
            ("Kualiti terbaik, memang berbaloi.", "positive"),
            ("Servis sangat baik dan mesra.", "positive"),
            ("Barang rosak, sangat kecewa.", "negative"),
            ("Penghantaran lambat gila, tak puas hati.", "negative"),
            ("Kualiti teruk, membazir duit.", "negative"),
            ("Khidmat pelanggan tak jawab langsung.", "negative"),
        ],
    ),
}


def write_sentiment_files(data_dir: Path) -> tuple[str, ...]:
    """Write the files (the last two rows of each label are the dev split); their names."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, (lang, rows) in ROWS.items():
        source = name.removesuffix(".jsonl")
        lines = []
        for n, (text, label) in enumerate(rows):
            split = "dev" if n % 4 == 3 else "train"
            row = {
                "id": f"{source}:{split}:{n}",
                "text": text,
                "lang": lang,
                "split": split,
                "sentiment": label,
                "score": None,
                "score_type": None,
                "aspects": [],
                "labels": {},
                "source": source,
            }
            lines.append(json.dumps(row, ensure_ascii=False))
        (data_dir / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tuple(ROWS)
