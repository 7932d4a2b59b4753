"""Short feedback written for the tests: three themes (delivery, price, staff) in en/fr/id/ms,
with scores (NPS 0-10), touchpoints and dates, so topic and report tests share one corpus."""

from __future__ import annotations

DELIVERY = [
    ("The parcel arrived two weeks late.", "en"),
    ("Delivery took forever, the courier never showed up.", "en"),
    ("My order was delivered late and the box was damaged.", "en"),
    ("Shipping was slow, the package came after ten days.", "en"),
    ("La livraison a pris trois semaines.", "fr"),
    ("Le colis est arrivé en retard et abîmé.", "fr"),
    ("Le livreur n'est jamais venu, colis perdu.", "fr"),
    ("Pengiriman sangat lambat, paket baru sampai setelah dua minggu.", "id"),
    ("Kurirnya telat terus, paket gak sampai sampai.", "id"),
    ("Paket yg dikirim rusak dan terlambat.", "id"),
    ("Penghantaran sangat lambat, bungkusan tiba selepas dua minggu.", "ms"),
    ("Kurier tak datang, bungkusan hilang.", "ms"),
]
PRICE = [
    ("The price is far too expensive for what you get.", "en"),
    ("Way overpriced, I found it cheaper elsewhere.", "en"),
    ("They raised the subscription price again.", "en"),
    ("Too expensive, the fees keep going up.", "en"),
    ("Le prix est beaucoup trop cher.", "fr"),
    ("Trop cher pour la qualité, les tarifs augmentent.", "fr"),
    ("Les frais sont excessifs, c'est hors de prix.", "fr"),
    ("Harganya terlalu mahal, gak sesuai kualitas.", "id"),
    ("Harga naik terus, mahal banget.", "id"),
    ("Biayanya mahal sekali dibanding toko lain.", "id"),
    ("Harga terlalu mahal, tak berbaloi langsung.", "ms"),
    ("Caj yang dikenakan sangat mahal.", "ms"),
]
STAFF = [
    ("The staff were rude and unhelpful.", "en"),
    ("Customer service agent hung up on me.", "en"),
    ("The waiter was friendly and very attentive.", "en"),
    ("Support staff never answered my emails.", "en"),
    ("Le personnel était impoli et désagréable.", "fr"),
    ("Le serveur était très aimable et souriant.", "fr"),
    ("Le service client ne répond jamais au téléphone.", "fr"),
    ("Pelayanannya ramah dan sangat membantu.", "id"),
    ("Customer service nya kasar dan tidak membantu.", "id"),
    ("Petugasnya jutek, tidak mau melayani.", "id"),
    ("Pekerja kedai sangat biadab dan tidak membantu.", "ms"),
    ("Khidmat pelanggan sangat lembap dan tak membantu.", "ms"),
]
THEMES = {"delivery": DELIVERY, "price": PRICE, "staff": STAFF}
MULTI_TOPIC = [
    ("The parcel arrived two weeks late, but the price was far too expensive.", "en"),
    ("La livraison a pris trois semaines, mais le prix est beaucoup trop cher.", "fr"),
]


def labelled_texts() -> list[tuple[str, str, str]]:
    """(text, language, theme) for every single-theme sample."""
    return [(t, lang, theme) for theme, rows in THEMES.items() for t, lang in rows]


APP = [
    ("The app crashes every time I open it.", "en"),
    ("The mobile app keeps freezing on login.", "en"),
    ("App update broke the login screen, it crashes.", "en"),
    ("L'application plante à chaque ouverture.", "fr"),
    ("L'appli se bloque dès la connexion.", "fr"),
    ("Aplikasinya sering crash waktu dibuka.", "id"),
    ("Aplikasi error terus, gak bisa login.", "id"),
    ("Aplikasi asyik tergendala dan tak boleh log masuk.", "ms"),
]
"""A fourth theme, absent from the first fit: a refit that adds it must flag it as new."""


HOTEL_ASPECTS = {
    "noise": [
        ("the room was noisy", "en"),
        ("chambre très bruyante", "fr"),
        ("kamarnya berisik", "id"),
        ("bilik bising", "ms"),
    ],
    "wifi": [
        ("wifi kept dropping", "en"),
        ("le wifi ne marche pas", "fr"),
        ("wifi lemot", "id"),
        ("wifi tak berfungsi", "ms"),
    ],
}
"""Two hotel complaint categories in four languages, for trained root-cause heads."""


def write_aspect_file(path):
    """`HOTEL_ASPECTS` as a labelled JSONL file in the ../shared/data schema (written here, never
    copied from there): per category 10 train rows and 2 dev rows (variants of the texts)."""
    import json

    rows = []
    for category, texts in HOTEL_ASPECTS.items():
        for n, (text, lang) in enumerate(texts * 3):
            rows.append(
                {
                    "id": f"t:{category}:{n}",
                    "text": text if n < 4 else f"{text} again",
                    "lang": lang,
                    "split": "train" if n < 10 else "dev",
                    "sentiment": None,
                    "score": None,
                    "score_type": None,
                    "aspects": [{"category": category, "polarity": "negative", "target": None}],
                    "labels": {},
                    "source": path.stem,
                }
            )
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    return path
