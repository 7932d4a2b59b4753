"""The registry's command lines: `voc models list|show|activate|rollback|promote`, `voc eval`,
`voc train sentiment|language|root-causes` (each run registers a new version)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voc import paths
from voc.config import Settings
from voc.nlp import encoder_tuning
from voc.nlp.datasets import SENTIMENT_SOURCES
from voc.nlp.finetune import FineTuneArgs
from voc.nlp.root_cause_train import RootCauseTrainingArgs
from voc.nlp.topic_quality import topics_markdown
from voc.nlp.train import SentimentTrainingArgs
from voc.registry import training
from voc.registry.evaluate import (
    compare_markdown,
    evaluate_topic_versions,
    evaluate_versions,
    single_markdown,
)
from voc.registry.store import Registry, UnknownModel


def _registry(settings: Settings):
    return Registry.from_settings(settings)


def _chosen_or_active(registry, name: str, version: str | None) -> str:
    """`version` when given, else the active one (a topic model may have none yet)."""
    chosen = version or registry.active_version(name)
    if chosen is None:
        versions = [e.version for e in registry.versions(name)]
        raise UnknownModel(f"model {name!r} has no active version; name one of {versions}")
    return chosen


def _mean_metric(entry) -> str:
    parts = []
    for e in entry.evaluations:
        scores = [v[e["metric"]] for g, v in e["groups"].items() if g.startswith("lang:")]
        if scores:
            parts.append(f"{e['name']} {e['metric']} {sum(scores) / len(scores):.4f} ({e['set']})")
    return "; ".join(parts) or "no evaluation"


def _list(args: argparse.Namespace) -> int:
    registry = _registry(Settings.from_env())
    names = [args.name] if args.name else registry.names()
    for name in names:
        active = registry.active_version(name)
        print(name)
        for entry in registry.versions(name):
            mark = "*" if entry.version == active else " "
            where = "committed" if entry.path == registry.committed_dir / name else "registry"
            print(
                f"  {mark} {entry.version:28} {entry.created_at}  {where:9}  {_mean_metric(entry)}"
            )
    return 0


def _show(args: argparse.Namespace) -> int:
    registry = _registry(Settings.from_env())
    entry = registry.entry(args.name, _chosen_or_active(registry, args.name, args.version))
    print(
        json.dumps(
            {
                **entry.to_dict(),
                "path": str(entry.path),
                "active": entry.version == registry.active_version(args.name),
                "problems": entry.problems(),
                "activations": [
                    {**a.__dict__, "activated_at": a.activated_at.isoformat()}
                    for a in registry.history(args.name)
                ],
            },
            indent=2,
        )
    )
    return 0


def _print_result(result: Any) -> None:
    print(json.dumps(result.__dict__, indent=2))


def _activate(args: argparse.Namespace) -> int:
    _print_result(
        _registry(Settings.from_env()).activate(args.name, args.version, force=args.force, by="cli")
    )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    _print_result(_registry(Settings.from_env()).rollback(args.name, by="cli"))
    return 0


def _promote(args: argparse.Namespace) -> int:
    entry = _registry(Settings.from_env()).promote(args.name, args.version)
    print(json.dumps({"promoted": entry.version, "path": str(entry.path)}, indent=2))
    return 0


def _eval(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    registry = _registry(settings)
    versions = args.compare or [_chosen_or_active(registry, args.model, args.version)]
    if args.model == "topics":
        return _eval_topics(args, registry, settings, versions)
    reports = evaluate_versions(
        registry, settings, args.model, versions, args.data, split=args.split
    )
    if args.json:
        print(json.dumps(reports, indent=2))
    elif args.compare:
        print(compare_markdown(reports))
    else:
        print("\n".join(single_markdown(v, r) for v, r in reports.items()))
    return 0


def _eval_topics(args: argparse.Namespace, registry, settings: Settings, versions) -> int:
    """Topic versions have no labels to be right or wrong on: coherence, diversity, and NMI
    against the files' categories (`voc.nlp.topic_quality`)."""
    reports = evaluate_topic_versions(
        registry, settings, versions, args.data, split=args.split, label=args.label
    )
    print(json.dumps(reports, indent=2) if args.json else topics_markdown(reports))
    return 0


def _now() -> str:
    """The time a train command starts, in the form of `Entry.created_at`."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _print_entry(entry, started: str) -> None:
    """The version a train command made, or the identical one already registered: the registry
    keeps that one, card included (`Registry.register`), and says so."""
    made = entry.created_at >= started
    print(
        json.dumps(
            {
                "registered" if made else "exists": entry.version,
                "path": str(entry.path),
                "metrics": _mean_metric(entry),
                **(
                    {}
                    if made
                    else {"note": "an identical version was already registered; it is kept as is"}
                ),
            },
            indent=2,
        )
    )


def _train_sentiment(args: argparse.Namespace) -> int:
    started = _now()
    settings = Settings.from_env()
    default_train, default_dev = (400, 150) if args.fine_tune else (None, None)
    sentiment_args = SentimentTrainingArgs(
        max_train_per_file=args.max_train_per_file or default_train,
        max_dev_per_file=args.max_dev_per_file or default_dev,
        seed=args.seed,
        weighting=args.weighting,
        star_labels=args.star_labels,
        source_shrink=args.source_shrink,
        files=tuple(args.files or SENTIMENT_SOURCES),
    )
    registry = _registry(settings)
    if args.fine_tune:
        entry = training.fine_tune_sentiment_version(
            registry,
            settings,
            sentiment_args,
            FineTuneArgs(epochs=args.epochs, max_length=args.max_length, lora_rank=args.lora_rank),
        )
    else:
        entry = training.train_sentiment_version(registry, settings, sentiment_args, lodo=args.lodo)
    _print_entry(entry, started)
    return 0


def _train_language(args: argparse.Namespace) -> int:
    started = _now()
    entry = training.train_language_version(_registry(Settings.from_env()), seed=args.seed)
    _print_entry(entry, started)
    return 0


def _train_root_causes(args: argparse.Namespace) -> int:
    started = _now()
    settings = Settings.from_env()
    entry = training.train_root_causes_version(
        _registry(settings),
        settings,
        RootCauseTrainingArgs(max_examples=args.max_examples, seed=args.seed),
        data_file=args.data,
        label=args.label,
        taxonomy_id=args.taxonomy_id,
    )
    _print_entry(entry, started)
    return 0


def _train_encoder_pack(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    meta = encoder_tuning.write_pack(paths.shared_data_dir(), settings.base_model_dir, args.out)
    print(json.dumps({k: meta[k] for k in ("rows", "sentiment_rows", "matching_rows")}))
    return 0


def _train_encoder(args: argparse.Namespace) -> int:
    report = encoder_tuning.run_pack(
        args.pack,
        args.out,
        args=encoder_tuning.TuningArgs(
            steps=args.steps, fold_steps=args.fold_steps, learning_rate=args.learning_rate
        ),
        folds=() if args.no_folds else encoder_tuning.FOLDS,
        deadline_seconds=args.deadline,
    )
    print(json.dumps({"device": report["device"], "seconds": report["seconds"]}))
    return 0


def add_model_commands(models: Any) -> None:
    """`voc models list|show|activate|rollback` under the existing `voc models` group."""
    listing = models.add_parser("list", help="every version of every model; * marks the active")
    listing.add_argument("name", nargs="?", help="only this model")
    listing.set_defaults(func=_list)
    show = models.add_parser("show", help="a version's manifest, checks and activation history")
    show.add_argument("name")
    show.add_argument("version", nargs="?", help="default: the active version")
    show.set_defaults(func=_show)
    activate = models.add_parser(
        "activate", help="make a version active (refused if its card, hashes or metrics fail)"
    )
    activate.add_argument("name")
    activate.add_argument("version")
    activate.add_argument("--force", action="store_true", help="override failed checks")
    activate.set_defaults(func=_activate)
    rollback = models.add_parser("rollback", help="return to the previously active version")
    rollback.add_argument("name")
    rollback.set_defaults(func=_rollback)
    promote = models.add_parser(
        "promote", help="copy a registered version over the committed default models/<name>/"
    )
    promote.add_argument("name")
    promote.add_argument("version")
    promote.set_defaults(func=_promote)


def add_eval_command(commands: Any) -> None:
    evaluate = commands.add_parser(
        "eval",
        help="a model version's metrics on labelled JSONL or CSV files (../shared/data format, "
        "or just a text and the label: sentiment, lang, aspects)",
    )
    evaluate.add_argument("model", help="sentiment, language, root_causes, topics")
    evaluate.add_argument("--data", nargs="+", type=Path, required=True, metavar="FILE")
    evaluate.add_argument(
        "--label",
        default="aspects",
        help='topics: the category NMI is measured against, "aspects" or "labels.<key>"',
    )
    evaluate.add_argument("--version", help="default: the active version")
    evaluate.add_argument(
        "--compare", nargs=2, metavar=("VERSION_A", "VERSION_B"), help="two versions side by side"
    )
    evaluate.add_argument("--split", default="dev", choices=["dev", "train", "all"])
    evaluate.add_argument("--json", action="store_true", help="print the full reports as JSON")
    evaluate.set_defaults(func=_eval)


def add_train_commands(train: Any) -> None:
    sentiment = train.add_parser(
        "sentiment", help="sentiment head (frozen encoder, or --fine-tune with LoRA adapters)"
    )
    sentiment.add_argument(
        "--max-train-per-file", type=int, default=None, help="default all (400 with --fine-tune)"
    )
    sentiment.add_argument(
        "--max-dev-per-file", type=int, default=None, help="default all (150 with --fine-tune)"
    )
    sentiment.add_argument(
        "--files",
        nargs="+",
        help="data file names (default: every file with sentiment labels or stars)",
    )
    sentiment.add_argument("--seed", type=int, default=0)
    sentiment.add_argument(
        "--weighting",
        choices=("sqrt", "balanced", "none"),
        default="sqrt",
        help="how files and classes weigh in training (default sqrt, see SentimentTrainingArgs)",
    )
    sentiment.add_argument(
        "--star-labels",
        action="store_true",
        help="train on labels derived from star ratings too (see SentimentTrainingArgs)",
    )
    sentiment.add_argument(
        "--source-shrink",
        type=float,
        default=SentimentTrainingArgs.source_shrink,
        help="share of the directions that tell the training files apart taken out before "
        "fitting, 0 to 1 (default %(default)s, see SentimentTrainingArgs.source_shrink)",
    )
    sentiment.add_argument(
        "--lodo",
        action="store_true",
        help="also measure leave-one-dataset-out beside a same-run baseline (card headline)",
    )
    sentiment.add_argument(
        "--fine-tune", action="store_true", help="train LoRA adapters on the encoder as well"
    )
    sentiment.add_argument("--epochs", type=int, default=1, help="with --fine-tune")
    sentiment.add_argument("--max-length", type=int, default=64, help="with --fine-tune")
    sentiment.add_argument("--lora-rank", type=int, default=8, help="with --fine-tune")
    sentiment.set_defaults(func=_train_sentiment)
    language = train.add_parser("language", help="language identifier (en/fr/id/ms)")
    language.add_argument("--seed", type=int, default=0)
    language.set_defaults(func=_train_language)
    causes = train.add_parser(
        "root-causes",
        help="without --data: calibrate the root-cause tagger and measure it on the aspect data "
        "of ../shared/data; with --data: the active version plus a trained head for that file's "
        "categories",
    )
    causes.add_argument("--data", type=Path, default=None, help="labelled JSONL file")
    causes.add_argument(
        "--label", default="aspects", help='"aspects" or "labels.<key>" (with --data)'
    )
    causes.add_argument("--taxonomy-id", default=None, help="default: from the file name")
    causes.add_argument("--max-examples", type=int, default=20, help="few-shot examples")
    causes.add_argument("--seed", type=int, default=0)
    causes.set_defaults(func=_train_root_causes)
    pack = train.add_parser(
        "encoder-pack",
        help="tokenize every labelled row and write the compact base weights the encoder "
        "fine-tune reads (about 40 MB; carry it to a GPU machine)",
    )
    pack.add_argument("--out", type=Path, required=True)
    pack.set_defaults(func=_train_encoder_pack)
    encoder = train.add_parser(
        "encoder",
        help="multi-task LoRA fine-tune of the encoder from a pack (GPU when present): the "
        "final adapter, then leave-one-dataset-out folds beside the base encoder (lodo.json)",
    )
    encoder.add_argument("--pack", type=Path, required=True)
    encoder.add_argument("--out", type=Path, required=True)
    defaults = encoder_tuning.TuningArgs()
    encoder.add_argument("--steps", type=int, default=defaults.steps)
    encoder.add_argument("--fold-steps", type=int, default=defaults.fold_steps)
    encoder.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    encoder.add_argument("--no-folds", action="store_true", help="only the final adapter")
    encoder.add_argument(
        "--deadline", type=float, default=None, help="seconds after which no new fold starts"
    )
    encoder.set_defaults(func=_train_encoder)
