"""`voc report FILE -o report.html [--json report.json] [--topics VERSION]`: the analyst's
page, offline. A topic model fitted for the page is saved as a registry version (not
activated); `--topics VERSION` renders the page again with a saved version, after
`voc topics rename|merge|split --version` say."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voc.config import Settings
from voc.nlp.datasets import read_jsonl
from voc.registry.loader import load_analyzer
from voc.report.html import render_report_html
from voc.report.prepare import report_for_rows
from voc.topics.store import TopicStore


def _report(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    store = TopicStore.from_settings(settings)
    topics = store.load(args.topics) if args.topics else None
    analyzer = load_analyzer(settings)
    report = report_for_rows(
        analyzer,
        read_jsonl(args.file),
        title=args.title,
        seed=args.seed,
        topics=topics,
        store=store,
    )
    args.output.write_text(render_report_html(report), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        json.dumps(
            {
                "html": str(args.output),
                "json": str(args.json) if args.json else None,
                "documents": report["summary"]["documents"],
                "topics": len(report["topics"]),
                "topic_model": report["summary"]["topic_model"],
            }
        )
    )
    return 0


def add_report_command(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="render the analyst's HTML report of a JSONL file")
    report.add_argument("file", type=Path, help="raw texts or analysed documents, one a line")
    report.add_argument("-o", "--output", type=Path, default=Path("report.html"))
    report.add_argument("--json", type=Path, default=None, help="also write report.json here")
    report.add_argument("--title", default="Voice of the customer")
    report.add_argument("--seed", type=int, default=0)
    report.add_argument(
        "--topics",
        default=None,
        metavar="VERSION",
        help="a saved topic version (one a report named, or an edit of it) instead of a new fit",
    )
    report.set_defaults(func=_report)
