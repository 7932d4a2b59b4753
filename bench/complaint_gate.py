"""Choose the complaint gate (`SentimentHead.complaints`) on ../shared/data, never on tests/data.

Root causes are only looked for in clauses the gate lets through. On rows whose gold says
neutral (or "not a complaint"), any root cause is a false alarm; on rows whose gold says
negative (or "complaint"), the share that get one is the gate's recall, relative to the most
permissive gate of the grid (causes on a negative movie review are rare whatever the gate);
`--max-neutral` chooses the other way: the gate keeping the most negative rows with a cause
among those whose mean neutral rate stays under a bound.
Dev splits only, at most `--rows` rows per file and class, default taxonomy:

- neutral: indonlu_smsa and nusax_senti_en_id (sentiment neutral), en_complaints_social_media
  (complaint false, both splits: no head trains on it), en_bitext_customer_support (requests
  with an informational intent: delivery options, payment methods, opening an account...);
- negative: the negative rows of the sentiment files, the complaint tweets, the CFPB
  complaints, 1-star Shopee app reviews, Indonesian hotel reviews with only negative aspects,
  French restaurant reviews of at most 2 stars.

The grid is (`complaint_threshold`, `clause_complaint_threshold`) from 0.45 to 0.8; the
chosen gate has the lowest mean neutral rate among those keeping at least `--recall` of the
permissive gate's mean negative rate. Each file is then left out in turn: the gate chosen
without it, and its rates under that gate (leave-one-file-out).

Run: `.venv/bin/python bench/complaint_gate.py` (about 2 minutes on 2 cores);
`--shipped-only` prints the shipped gate's rates alone (works on any version of the head).
Numbers: docs/models.md, "Complaint gate".
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from dataclasses import dataclass, replace

import numpy as np

from voc import paths
from voc.config import Settings
from voc.nlp import components
from voc.nlp.components.root_causes import RootCausesComponent, gap_complaints
from voc.nlp.sentiment import SentimentHead
from voc.nlp.types import Feedback
from voc.registry.loader import load_analyzer

DATA = paths.shared_data_dir()
GRID = np.round(np.arange(0.45, 0.81, 0.05), 2)
INFORMATIONAL_INTENTS = {
    "delivery_options",
    "delivery_period",
    "check_payment_methods",
    "place_order",
    "create_account",
    "edit_account",
    "switch_account",
    "change_order",
    "set_up_shipping_address",
    "newsletter_subscription",
}


def rows(name: str, splits: tuple[str, ...] = ("dev",)) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [r for r in map(json.loads, f) if r["split"] in splits]


def negative_aspects_only(row: dict) -> bool:
    polarities = {a["polarity"] for a in row["aspects"]}
    return "negative" in polarities and "positive" not in polarities


def groups() -> dict[tuple[str, str], list[dict]]:
    """(file, "neutral" | "negative") -> its rows."""
    found: dict[tuple[str, str], list[dict]] = {}
    for name in ("indonlu_smsa.jsonl", "nusax_senti_en_id.jsonl"):
        for gold in ("neutral", "negative"):
            found[(name, gold)] = [r for r in rows(name) if r["sentiment"] == gold]
    tweets = rows("en_complaints_social_media.jsonl", ("train", "dev"))
    found[("en_complaints_social_media.jsonl", "neutral")] = [
        r for r in tweets if not r["labels"]["complaint"]
    ]
    found[("en_complaints_social_media.jsonl", "negative")] = [
        r for r in tweets if r["labels"]["complaint"]
    ]
    found[("en_bitext_customer_support.jsonl", "neutral")] = [
        r
        for r in rows("en_bitext_customer_support.jsonl")
        if r["labels"]["intent"] in INFORMATIONAL_INTENTS
    ]
    for name in (
        "id_prdect_tokopedia.jsonl",
        "ms_translated_uci_sentences.jsonl",
        "en_uci_sentiment_labelled_sentences.jsonl",
        "fr_allocine_tvseries_sentiment.jsonl",
        "ms_news_sentiment.jsonl",
    ):
        found[(name, "negative")] = [r for r in rows(name) if r["sentiment"] == "negative"]
    found[("en_cfpb_complaints_sample.jsonl", "negative")] = rows("en_cfpb_complaints_sample.jsonl")
    found[("id_shopee_app_reviews_gplay.jsonl", "negative")] = [
        r for r in rows("id_shopee_app_reviews_gplay.jsonl") if r["score"] == 1
    ]
    found[("indonlu_hoasa.jsonl", "negative")] = [
        r for r in rows("indonlu_hoasa.jsonl") if negative_aspects_only(r)
    ]
    found[("fr_tripadvisor_restaurants_absa.jsonl", "negative")] = [
        r for r in rows("fr_tripadvisor_restaurants_absa.jsonl") if (r["score"] or 5) <= 2
    ]
    return found


@dataclass(frozen=True)
class Document:
    """What the gate reads of one analysed row, and which clauses the tagger's rule fires on."""

    document_proba: np.ndarray
    clause_proba: np.ndarray
    cause_fired: np.ndarray
    """(clauses,) True where the default taxonomy's tagger fires on some cause its text
    supports (`Abstention.supported`)."""
    text_fired: bool
    """The whole text fires some cause (`Abstention.from_whole_text`): it is tagged on the
    document's closest complaint clause, whichever that is."""
    gap: np.ndarray
    """(clauses,) True where the clause holds an expectation gap and is not praise (a complaint
    whatever the gate, `voc.nlp.components.root_causes.gap_complaints`)."""


def documents(analyzer, texts: list[str]) -> list[Document]:
    """One pipeline run; the tagger's probabilities and rule, the gate left out."""
    batch = components.build(analyzer).run(
        [Feedback(str(i), t) for i, t in enumerate(texts)], ("root_causes",)
    )
    tagger = analyzer.root_causes
    cause_tagger = tagger.taxonomy_tagger(tagger.default_taxonomy)
    rule = tagger.calibration.abstention(cause_tagger.mode)
    found = []
    for d, proba, gaps in zip(
        RootCausesComponent(tagger, analyzer.sentiment).documents(batch),
        batch["sentiment_proba"],
        batch["expectation_gaps"],
        strict=True,
    ):
        features = tagger.calibration.features(d.vectors.reshape(len(d.clauses), -1))
        whole = cause_tagger.predict_proba(tagger.calibration.features(d.text_vector[None, :]))
        fired = rule.on_clauses(cause_tagger.predict_proba(features), whole[0]).any(axis=1)
        found.append(
            Document(
                proba[0],
                d.sentiment,
                fired,
                bool(rule.from_whole_text(whole[0]).any()),
                gap_complaints(d.clauses, gaps, d.sentiment),
            )
        )
    return found


def cause_rate(head: SentimentHead, docs: list[Document]) -> float:
    return float(
        np.mean(
            [
                (complaint & (d.cause_fired | d.text_fired)).any()
                for d in docs
                for complaint in [head.complaints(d.document_proba, d.clause_proba) | d.gap]
            ]
        )
    )


Rates = dict[tuple[float, float], dict[tuple[str, str], float]]


def summary(rates: Rates, gate: tuple[float, float], keys: list[tuple[str, str]]) -> tuple:
    """(mean neutral rate, mean share of the permissive gate's negative rate kept) over `keys`."""
    permissive = rates[(GRID[0], GRID[0])]
    neutral = [rates[gate][k] for k in keys if k[1] == "neutral"]
    kept = [rates[gate][k] / permissive[k] for k in keys if k[1] == "negative" and permissive[k]]
    return float(np.mean(neutral)), float(np.mean(kept))


def choose(
    rates: Rates, keys: list[tuple[str, str]], recall: float, max_neutral: float | None
) -> tuple[float, float]:
    """The gate with the lowest mean neutral rate over `keys` among those keeping `recall` of
    the permissive gate's mean negative rate (each file's rate relative to its own); with
    `max_neutral`, the gate keeping the most of it among those whose mean neutral rate is at
    most `max_neutral`."""
    scored = {gate: summary(rates, gate, keys) for gate in rates}
    if max_neutral is not None:
        eligible = [gate for gate, (neutral, _) in scored.items() if neutral <= max_neutral]
        return max(eligible, key=lambda gate: (scored[gate][1], -scored[gate][0]))
    eligible = [gate for gate, (_, kept) in scored.items() if kept >= recall]
    return min(eligible, key=lambda gate: (scored[gate][0], -scored[gate][1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=300, help="per file and class")
    parser.add_argument("--recall", type=float, default=0.95)
    parser.add_argument(
        "--max-neutral",
        type=float,
        help="choose by recall under this mean neutral rate instead of by --recall",
    )
    parser.add_argument("--shipped-only", action="store_true")
    args = parser.parse_args()
    analyzer = load_analyzer(Settings.from_env())
    head = analyzer.sentiment
    data = {}
    for key, found in groups().items():
        random.Random(0).shuffle(found)
        data[key] = documents(analyzer, [r["text"][:2000] for r in found[: args.rows]])
    keys = list(data)
    print(f"shipped gate ({head.version}):")
    for key in keys:
        print(f"  {key[0]:42s} {key[1]:8s} n={len(data[key]):3d} {cause_rate(head, data[key]):.3f}")
    if args.shipped_only:
        return
    rates = {
        (d, c): {
            k: cause_rate(replace(head, complaint_threshold=d, clause_complaint_threshold=c), v)
            for k, v in data.items()
        }
        for d, c in itertools.product(GRID, GRID)
    }
    permissive = rates[(GRID[0], GRID[0])]
    gate = choose(rates, keys, args.recall, args.max_neutral)
    print(f"chosen on every file: complaint_threshold={gate[0]:.2f}, clause={gate[1]:.2f}")
    for gate in rates:
        neutral, kept = summary(rates, gate, keys)
        negative = np.mean([rates[gate][k] for k in keys if k[1] == "negative"])
        print(
            f"  {gate[0]:.2f}/{gate[1]:.2f}: neutral {neutral:.4f}, negative kept {kept:.3f}"
            f" (mean negative rate {negative:.3f})"
        )
    print("left out: gate chosen without the file -> its rate (permissive gate's rate)")
    for name in sorted({k[0] for k in keys}):
        held = [k for k in keys if k[0] == name]
        alone = choose(rates, [k for k in keys if k[0] != name], args.recall, args.max_neutral)
        cells = [f"{k[1]} {rates[alone][k]:.3f} ({permissive[k]:.3f})" for k in held]
        print(f"  {name:42s} {alone[0]:.2f}/{alone[1]:.2f}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
