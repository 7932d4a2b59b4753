"""`voc report FILE -o report.html [--json report.json]`: the analyst's page, offline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voc.config import Settings
from voc.nlp.datasets import read_jsonl
from voc.registry.loader import load_analyzer
from voc.report.html import render_report_html
from voc.report.prepare import report_for_rows


def _report(args: argparse.Namespace) -> int:
    analyzer = load_analyzer(Settings.from_env())
    report = report_for_rows(analyzer, read_jsonl(args.file), title=args.title, seed=args.seed)
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
    report.set_defaults(func=_report)
