"""`voc topics fit | show | rename | merge | split`: topic models from the command line.

`show` and the edits act on the active version, or on the one `--version` names (a report's
topic model, which is saved but not activated). An edit of the active version is activated;
an edit of another is only saved, for `voc report --topics` to render."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voc.config import Settings
from voc.nlp.datasets import read_jsonl
from voc.nlp.topic_assignment import assignment_to_dict
from voc.nlp.topic_model import topic_to_dict
from voc.registry.loader import load_analyzer
from voc.topics import edits
from voc.topics.fit import TopicSettings
from voc.topics.pipeline import fit_documents
from voc.topics.store import TopicStore


def _store():
    return TopicStore.from_settings(Settings.from_env())


def _summary(model) -> str:
    return json.dumps(
        {
            "version": model.version,
            "stats": model.stats,
            "topics": [topic_to_dict(t) for t in model.topics],
        },
        ensure_ascii=False,
        indent=2,
    )


def _fit(args: argparse.Namespace) -> int:
    settings = TopicSettings(
        n_topics=args.n_topics,
        min_topic_size=args.min_topic_size,
        outlier_share=args.outlier_share,
        seed=args.seed,
    )
    rows = read_jsonl(args.file)
    store = _store()
    previous = None if args.fresh else store.active()
    analyzer = load_analyzer(Settings.from_env())
    model, assigned = fit_documents(
        analyzer,
        [r.get("text") or "" for r in rows],
        settings=settings,
        previous=previous,
        source=args.file.name,
    )
    store.save(model)
    if args.assignments:
        with args.assignments.open("w", encoding="utf-8") as fh:
            for row, topics in zip(rows, assigned, strict=True):
                fh.write(
                    json.dumps(
                        {
                            "id": row.get("id"),
                            "topic": assignment_to_dict(topics.topic),
                            "topics": [assignment_to_dict(a) for a in topics.topics],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
    print(_summary(model))
    return 0


def _chosen(store: TopicStore, version: str | None):
    """The version named, else the active one."""
    if version:
        return store.load(version)
    model = store.active()
    if model is None:
        raise ValueError(
            "no active topic model: run `voc topics fit FILE` first, or name a version "
            "(--version, the one a report names)"
        )
    return model


def _show(args: argparse.Namespace) -> int:
    print(_summary(_chosen(_store(), args.version)))
    return 0


def _edit(args: argparse.Namespace) -> int:
    store = _store()
    source = _chosen(store, args.version)
    if args.topics_command == "rename":
        model = edits.rename(source, args.id, args.label)
    elif args.topics_command == "merge":
        model = edits.merge(source, args.ids, args.label)
    else:
        model = edits.split(source, args.id, args.parts)
    store.save(model, activate=source.version == store.active_version())
    print(_summary(model))
    return 0


def add_topic_commands(commands: argparse._SubParsersAction) -> None:
    topics = commands.add_parser("topics", help="topic models").add_subparsers(
        dest="topics_command", required=True
    )
    fit = topics.add_parser("fit", help="fit topics on a JSONL file (one {'text': ...} a line)")
    fit.add_argument("file", type=Path)
    fit.add_argument("--n-topics", type=int, default=0, help="0: chosen from the corpus size")
    fit.add_argument("--min-topic-size", type=int, default=5)
    fit.add_argument(
        "--outlier-share",
        type=float,
        default=0.02,
        help='share of comments sent to "other" (0: every comment gets a topic)',
    )
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument(
        "--fresh",
        action="store_true",
        help="do not match ids and analyst labels to the active model",
    )
    fit.add_argument(
        "--assignments",
        type=Path,
        default=None,
        help="write each document's topics to this JSONL file",
    )
    fit.set_defaults(func=_fit)
    show = topics.add_parser("show", help="the active topic model (or --version)")
    show.set_defaults(func=_show)
    rename = topics.add_parser("rename", help="set a topic's label (kept across refits)")
    rename.add_argument("id", type=int)
    rename.add_argument("label")
    rename.set_defaults(func=_edit)
    merge = topics.add_parser("merge", help="merge topics into the first id")
    merge.add_argument("ids", type=int, nargs="+")
    merge.add_argument("--label", default=None)
    merge.set_defaults(func=_edit)
    split = topics.add_parser("split", help="split a topic")
    split.add_argument("id", type=int)
    split.add_argument("--parts", type=int, default=2)
    split.set_defaults(func=_edit)
    for parser in (show, rename, merge, split):
        parser.add_argument(
            "--version",
            default=None,
            help="a saved version instead of the active one (a report's: its header names it)",
        )
