"""`voc train ...` as registry operations: train into a fresh version directory, register it.

The functions the CLI and the notebooks call. Nothing is overwritten: each run becomes a new
version (or finds the identical one), and activating it is a separate, checked step.
"""

from __future__ import annotations

from pathlib import Path

from voc import paths
from voc.config import Settings
from voc.nlp.encoder import Encoder
from voc.nlp.finetune import FineTuneArgs
from voc.nlp.train import SentimentTrainingArgs
from voc.registry.components import component
from voc.registry.entry import Entry
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
) -> Entry:
    """Train a sentiment head on frozen embeddings and register it as a new version."""
    from voc.nlp.train import train_sentiment

    data_dir = data_dir or paths.shared_data_dir()
    encoder = encoder or serving_encoder(settings)

    def build(directory: Path) -> dict:
        train_sentiment(data_dir, directory, encoder=encoder, args=args)
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
    from voc.nlp.finetune import fine_tune_sentiment

    data_dir = data_dir or paths.shared_data_dir()

    def build(directory: Path) -> dict:
        fine_tune_sentiment(data_dir, directory, settings=settings, args=args, fine_tune=fine_tune)
        return component("sentiment").describe(directory)

    return registry.register("sentiment", build)


def train_language_version(
    registry: Registry, *, seed: int = 0, data_dir: Path | None = None
) -> Entry:
    """Train the language identifier and register it as a new version."""
    from voc.nlp.language import train_language_identifier

    data_dir = data_dir or paths.shared_data_dir()

    def build(directory: Path) -> dict:
        train_language_identifier(data_dir, directory, seed=seed)
        return component("language").describe(directory)

    return registry.register("language", build)
