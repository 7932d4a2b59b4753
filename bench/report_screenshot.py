"""Render a report of real comments from `../shared/data` and screenshot it with chromium.

Run: `make screenshot` (writes var/report/report.png, report.html and report.json: git-ignored,
they hold texts from ../shared/data).
The comments get random NPS scores, touchpoints and dates only so every chart has data; the
texts, their analysis and their topics are real.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from voc import paths

FILES = {
    "fr_tripadvisor_restaurants_absa.jsonl": "restaurant",
    "mams_absa_en.jsonl": "restaurant",
    "id_prdect_tokopedia.jsonl": "shop",
    "indonlu_hoasa.jsonl": "hotel",
    "ms_translated_uci_sentences.jsonl": "shop",
    "en_bitext_customer_support.jsonl": "support",
}


def sample_rows(n: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    per_file = n // len(FILES)
    for name, touchpoint in FILES.items():
        with (paths.shared_data_dir() / name).open(encoding="utf-8") as fh:
            lines = [json.loads(line) for line in fh]
        for i in rng.choice(len(lines), per_file, replace=False):
            row = lines[i]
            rows.append(
                {
                    "id": row["id"],
                    "text": row["text"],
                    "language": row["lang"],
                    "metadata": {
                        "score": int(rng.integers(0, 11)),
                        "score_type": "nps",
                        "touchpoint": touchpoint,
                        "customer_value": float(rng.integers(50, 2000)),
                        "created_at": f"2026-{int(rng.integers(8, 12)):02d}-"
                        f"{int(rng.integers(1, 29)):02d}T12:00:00Z",
                    },
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("var/report/report.png"))
    parser.add_argument("--comments", type=int, default=2000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from voc.config import Settings
    from voc.registry.loader import load_analyzer
    from voc.report.builder import build_report
    from voc.report.html import render_report_html
    from voc.report.prepare import analyse_rows, attach_topics

    analyzer = load_analyzer(Settings.from_env())
    documents = analyse_rows(analyzer, sample_rows(args.comments))
    model, notes = attach_topics(analyzer, documents)
    report = build_report(documents, topic_model=model, notes=notes, title="voc demo report")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    html = args.out.with_name("report.html")
    html.write_text(render_report_html(report), encoding="utf-8")
    args.out.with_name("report.json").write_text(json.dumps(report, ensure_ascii=False))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(html.resolve().as_uri())
        page.wait_for_selector("#chart-sentiment .main-svg")
        page.screenshot(path=str(args.out), full_page=False)
        browser.close()
    print(json.dumps({"screenshot": str(args.out), "html": str(html)}))


if __name__ == "__main__":
    main()
