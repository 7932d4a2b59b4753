"""`voc train ...` as registry operations: train into a fresh version directory, register it.

The functions the CLI and the notebooks call. Nothing is overwritten: each run becomes a new
version (or finds the identical one), and activating it is a separate, checked step.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from voc import paths
from voc.config import Settings
from voc.nlp.encoder import Encoder
from voc.nlp.finetune import FineTuneArgs, fine_tune_sentiment
from voc.nlp.language import train_language_identifier
from voc.nlp.lodo import load_sentiment_rows, record_lodo, sentiment_lodo
from voc.nlp.root_cause_train import (
    RootCauseTrainingArgs,
    add_head_to_card,
    calibrate_and_evaluate,
    default_taxonomy_id,
    train_from_file,
)
from voc.nlp.root_causes import Calibration
from voc.nlp.train import SentimentTrainingArgs, embed_cached, train_sentiment
from voc.registry.components import component
from voc.registry.entry import MANIFEST, Entry
from voc.registry.store import Registry


def serving_encoder(settings: Settings) -> Encoder:
    """The encoder the service embeds with, so that what training measures is what it serves."""
    return Encoder(
        settings.base_model_dir, backend=settings.encoder_backend, threads=settings.threads or None
    )


def train_sentiment_version(
    registry: Registry,
    settings: Settings,
    args: SentimentTrainingArgs | None = None,
    *,
    data_dir: Path | None = None,
    encoder: Encoder | None = None,
    lodo: bool = False,
) -> Entry:
    """Train a sentiment head on frozen embeddings and register it as a new version; with
    `lodo`, also measure the same training leave-one-dataset-out (the card's headline and the
    registry's `lodo` evaluation)."""
    data_dir = data_dir or paths.shared_data_dir()
    encoder = encoder or serving_encoder(settings)
    args = args or SentimentTrainingArgs()

    def build(directory: Path) -> dict:
        train_sentiment(data_dir, directory, encoder=encoder, args=args)
        if lodo:
            rows = load_sentiment_rows(
                data_dir,
                lambda texts: embed_cached(encoder, texts),
                files=args.files,
                max_train_per_file=args.max_train_per_file,
            )
            record_lodo(directory, sentiment_lodo(rows, args))
        return component("sentiment").describe(directory)

    return registry.register("sentiment", build)


def fine_tune_sentiment_version(
    registry: Registry,
    settings: Settings,
    args: SentimentTrainingArgs,
    fine_tune: FineTuneArgs,
    *,
    data_dir: Path | None = None,
) -> Entry:
    """Fine-tune the encoder with LoRA adapters plus the head; register the adapter + head."""
    data_dir = data_dir or paths.shared_data_dir()

    def build(directory: Path) -> dict:
        fine_tune_sentiment(data_dir, directory, settings=settings, args=args, fine_tune=fine_tune)
        return component("sentiment").describe(directory)

    return registry.register("sentiment", build)


def train_language_version(
    registry: Registry, *, seed: int = 0, data_dir: Path | None = None
) -> Entry:
    """Train the language identifier and register it as a new version."""
    data_dir = data_dir or paths.shared_data_dir()

    def build(directory: Path) -> dict:
        train_language_identifier(data_dir, directory, seed=seed)
        return component("language").describe(directory)

    return registry.register("language", build)


def train_root_causes_version(
    registry: Registry,
    settings: Settings,
    args: RootCauseTrainingArgs | None = None,
    *,
    data_file: Path | None = None,
    label: str = "aspects",
    taxonomy_id: str | None = None,
    data_dir: Path | None = None,
    encoder: Encoder | None = None,
) -> Entry:
    """Register a new root-cause tagger version.

    Without `data_file`: calibrate on the aspect datasets of `data_dir` and measure every mode
    (the card). With it: the active version plus a head trained on the file's categories for
    taxonomy `taxonomy_id`; the calibration and its measured card stay as they were, the card
    gains the head's section.
    """
    encoder = encoder or serving_encoder(settings)
    if data_file is None:

        def build(directory: Path) -> dict:
            calibrate_and_evaluate(
                data_dir or paths.shared_data_dir(), directory, encoder=encoder, args=args
            )
            return component("root_causes").describe(directory)

        return registry.register("root_causes", build)

    base = registry.entry("root_causes", registry.active_version("root_causes"))
    problems = base.problems()
    if problems:
        raise ValueError(f"the active root_causes version cannot be extended: {problems}")
    head_id = taxonomy_id or default_taxonomy_id(data_file)

    def build_with_head(directory: Path) -> dict:
        shutil.copytree(
            base.path, directory, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST)
        )
        train_from_file(
            data_file,
            directory,
            encoder=encoder,
            calibration=Calibration.load(directory),
            label=label,
            taxonomy_id=head_id,
            args=args,
        )
        add_head_to_card(directory, head_id)
        return component("root_causes").describe(directory)

    return registry.register("root_causes", build_with_head)
