"""Read JSONL where it is: the labelled datasets (schema: `../shared/data/README.md`), and any
feedback file (`read_jsonl`, for `voc report` and `voc topics fit`).

The data is never copied into the repository; training records each file's name and sha256.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    lang: str | None
    """None when the file does not say (a minimal evaluation file)."""
    split: str
    sentiment: str | None
    score: float | None
    score_type: str | None
    source: str
    aspect_categories: tuple[str, ...] = ()
    """Distinct `aspects[].category` values, in first-seen order."""
    labels: dict[str, Any] = field(default_factory=dict)


SENTIMENT_SOURCES = (
    "en_uci_sentiment_labelled_sentences.jsonl",
    "nusax_senti_en_id.jsonl",
    "fr_allocine_tvseries_sentiment.jsonl",
    "fr_tripadvisor_restaurants_absa.jsonl",
    "indonlu_smsa.jsonl",
    "id_prdect_tokopedia.jsonl",
    "ms_news_sentiment.jsonl",
    "ms_translated_uci_sentences.jsonl",
    "id_shopee_app_reviews_gplay.jsonl",
    "ms_shopee_my_cililado_reviews.jsonl",
)
"""Files with a sentiment label or a star rating (stars are weak labels: `WEAK_LABEL_WEIGHT`)."""

MATCHING_SOURCES = {
    "mams_absa_en.jsonl": "aspects",
    "semeval14_absa_en.jsonl": "aspects",
    "semeval15_absa_en.jsonl": "aspects",
    "semeval16_absa_en.jsonl": "aspects",
    "indonlu_casa.jsonl": "aspects",
    "indonlu_hoasa.jsonl": "aspects",
    "fr_tripadvisor_restaurants_absa.jsonl": "aspects",
    "en_bitext_customer_support.jsonl": "intent",
    "en_cfpb_complaints_sample.jsonl": "issue",
}
"""Files whose rows carry categories, and where: `aspects[].category` or a `labels` key."""

FOLDS = (
    ("en_uci_sentiment_labelled_sentences.jsonl", "ms_translated_uci_sentences.jsonl"),
    ("nusax_senti_en_id.jsonl",),
    ("fr_allocine_tvseries_sentiment.jsonl",),
    ("fr_tripadvisor_restaurants_absa.jsonl",),
    ("indonlu_smsa.jsonl",),
    ("id_prdect_tokopedia.jsonl",),
    ("ms_news_sentiment.jsonl",),
    ("id_shopee_app_reviews_gplay.jsonl",),
    ("ms_shopee_my_cililado_reviews.jsonl",),
    (
        "mams_absa_en.jsonl",
        "semeval14_absa_en.jsonl",
        "semeval15_absa_en.jsonl",
        "semeval16_absa_en.jsonl",
    ),
    ("indonlu_casa.jsonl",),
    ("indonlu_hoasa.jsonl",),
    ("en_bitext_customer_support.jsonl",),
    ("en_cfpb_complaints_sample.jsonl",),
)
"""Leave-one-dataset-out folds. Files that share sentences are left out together (the UCI
sentences and their Malay translation; MAMS and the SemEval years, see the data README), or
the left-out file would be partly seen in training."""

WEAK_LABEL_WEIGHT = 0.5
"""Weight of a label derived from stars (1-2 negative, 3 neutral, 4-5 positive) against a
label a person gave: stars and text disagree on some reviews."""


def stars_to_sentiment(stars: float) -> str:
    """1-2 stars negative, 3 neutral, 4-5 positive."""
    if stars <= 2:
        return "negative"
    return "neutral" if stars < 4 else "positive"


class DataMissingError(FileNotFoundError):
    """The labelled data directory or one of its files is absent."""


def iter_examples(path: Path) -> Iterator[Example]:
    """The examples of a JSONL (one object a line) or CSV (header row) file.

    Besides the full schema of `../shared/data`, a researcher's minimal file is enough: a `text`
    and the label being measured (`sentiment`, `lang`, `score` with `score_type`, `aspects`).
    Missing keys get defaults: `id` is `<file stem>:<n>`, `split` is `dev` (a file without
    splits is evaluation data), `source` the file name, `lang` None (not known), no labels. In a
    CSV, `labels.<key>` columns fill `labels` and `aspects` is categories joined by `;`.
    """
    if not path.exists():
        raise DataMissingError(f"{path} not found: set VOC_DATA_DIR to the shared data directory")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh)):
                yield example_from_row(_csv_row(row), path, n)
        return
    for n, row in enumerate(read_jsonl(path)):
        yield example_from_row(row, path, n)


def example_from_row(row: dict[str, Any], path: Path, n: int) -> Example:
    """One `Example` from a full or minimal row (see `iter_examples`)."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{path.name} row {n + 1}: no text (every row needs a non-empty 'text')")
    score = row.get("score")
    return Example(
        id=str(row.get("id") or f"{path.stem}:{n}"),
        text=text,
        lang=row.get("lang") or None,
        split=row.get("split") or "dev",
        sentiment=row.get("sentiment") or None,
        score=float(score) if score not in (None, "") else None,
        score_type=row.get("score_type") or None,
        source=row.get("source") or path.stem,
        aspect_categories=tuple(dict.fromkeys(a["category"] for a in row.get("aspects") or ())),
        labels=row.get("labels") or {},
    )


def _csv_row(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row in the JSONL shape: `labels.<key>` columns nested, `aspects` split on `;`."""
    out: dict[str, Any] = {k: v for k, v in row.items() if k and not k.startswith("labels.")}
    out["labels"] = {
        k.removeprefix("labels."): v for k, v in row.items() if k and k.startswith("labels.")
    }
    aspects = out.pop("aspects", "") or ""
    out["aspects"] = [{"category": c.strip()} for c in aspects.split(";") if c.strip()]
    return out


def sample_rows(examples: list[Example], limit: int | None) -> list[Example]:
    """At most `limit` rows of one file, chosen by a hash of their ids (stable across runs,
    independent of file order), in file order."""
    if limit is None or len(examples) <= limit:
        return examples
    ranked = sorted(examples, key=lambda e: hashlib.sha256(e.id.encode()).hexdigest())
    keep = {e.id for e in ranked[:limit]}
    return [e for e in examples if e.id in keep]


def file_fingerprint(path: Path) -> dict[str, str]:
    """Name and sha256 of a data file, recorded in model cards."""
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from err
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: each line must be a JSON object")
            rows.append(row)
    return rows
