"""The analyst's 5,000-comment readout (issue 13's targets), measured end to end.

Builds a seeded mix of real customer comments in four languages from `../shared/data` (CFPB
narratives with their XXXX redactions, tweets with @handles and links, marketplace and app
reviews, restaurant and hotel reviews), then times `voc analyze FILE` and
`voc analyze FILE --report PAGE` in their own processes (alternating, `--repeat` times) and
checks the page's themes: at most 12 top-level themes, every topic label a phrase found in
its own comments, no topic whose examples are mostly redaction marks, handles or links; and
counts the top-level themes whose subtopics are in more than one language (issue 13 found
themes split by language; a count, not a check).

Run: `.venv/bin/python bench/bench_report_themes.py [--size 5000] [--repeat 1] [--page P]`.
Prints the timings, their ratio (target <= 1.3) and the theme checks; exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from voc import paths
from voc.nlp.datasets import iter_examples

SOURCES = {
    "en_cfpb_complaints_sample.jsonl": 0.12,
    "en_complaints_social_media.jsonl": 0.14,
    "semeval14_absa_en.jsonl": 0.08,
    "fr_tripadvisor_restaurants_absa.jsonl": 0.14,
    "id_prdect_tokopedia.jsonl": 0.14,
    "id_shopee_app_reviews_gplay.jsonl": 0.16,
    "indonlu_hoasa.jsonl": 0.08,
    "ms_shopee_my_cililado_reviews.jsonl": 0.06,
    "ms_translated_uci_sentences.jsonl": 0.08,
}
"""Each file's share of the mix: complaint narratives, tweets and reviews, as analysts get."""
MAX_THEMES = 12
WORD = re.compile(r"\w+")
NOISE = re.compile(r"\bX{2,}\b|@\w+|https?://\S+|www\.\S+", re.IGNORECASE)


def build_mix(size: int, seed: int = 0) -> list[dict]:
    """`size` comments drawn per `SOURCES` share (every row of a small file at most once)."""
    rng = random.Random(seed)
    rows = []
    for name, share in SOURCES.items():
        examples = list(iter_examples(paths.shared_data_dir() / name))
        rng.shuffle(examples)
        for e in examples[: round(size * share)]:
            metadata = {"source": name.removesuffix(".jsonl")}
            if e.score is not None and e.score_type:
                metadata |= {"score": e.score, "score_type": e.score_type}
            rows.append({"id": e.id, "text": e.text, "metadata": metadata})
    rng.shuffle(rows)
    return rows[:size]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def page_report(page: Path) -> dict:
    """The report dict the page embeds (the page renders exactly this)."""
    html = page.read_text(encoding="utf-8")
    opening = '<script id="report-data" type="application/json">'
    match = re.search(re.escape(opening) + r"(.*?)</script>", html, re.S)
    return json.loads(match.group(1))


def noise_share(texts: list[str]) -> float:
    """Share of the examples' characters that are redaction marks, handles or links."""
    total = sum(len(t) for t in texts) or 1
    return sum(len(m.group()) for t in texts for m in NOISE.finditer(t)) / total


def _words(text: str) -> str:
    """Lower-case words joined by single spaces, without redaction marks, handles and links
    (the fit cuts those out of a clause before it takes a phrase as a label)."""
    return " " + " ".join(WORD.findall(NOISE.sub(" ", text).lower())) + " "


def subtopic_languages(report: dict) -> dict[str, list[str]]:
    """Top-level theme -> the language of each of its subtopics (the most common among the
    subtopic's comments). A comment counts in every theme one of its clauses falls in, so a
    theme's own comment languages mix whatever the grouping; its subtopics' do not."""
    out: dict[str, list[str]] = {}
    for topic in report["topics"]:
        if topic.get("theme") and topic["languages"]:
            language = max(topic["languages"], key=topic["languages"].get)
            out.setdefault(topic["theme"], []).append(language)
    return out


def theme_checks(report: dict) -> dict:
    """The themes targets on the report: a label is looked for, as a run of whole words, in its
    topic's comments (those the page lists, up to 3,000) and examples."""
    topics = [t for t in report["topics"] if t["id"] != -1]
    top_level = report.get("top_themes") or topics
    texts: dict[int, list[str]] = {t["id"]: [e["text"] for e in t["examples"]] for t in topics}
    for comment in report["comments"]:
        for topic_id in comment["topics"]:
            texts.setdefault(topic_id, []).append(comment["text"])
    unfound = [
        t["label"]
        for t in topics
        if not any(_words(t["label"]) in _words(text) for text in texts[t["id"]])
    ]
    noisy = [t["label"] for t in topics if noise_share([e["text"] for e in t["examples"]]) > 0.3]
    languages = subtopic_languages(report)
    return {
        "topics": len(topics),
        "top_level_themes": len(top_level),
        "top_level_labels": [t["label"] for t in top_level],
        "top_level_themes_mixing_languages": sum(len(set(v)) > 1 for v in languages.values()),
        "subtopic_languages": {k: dict(Counter(v).most_common()) for k, v in languages.items()},
        "labels_not_found_in_their_comments": unfound,
        "topics_of_redactions_handles_or_links": noisy,
        "passed": len(top_level) <= MAX_THEMES and not unfound and not noisy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--page", type=Path, help="also keep the report page here")
    options = parser.parse_args()
    voc = [sys.executable, "-m", "voc.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mix = build_mix(options.size)
        source = folder / "mix.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mix))
        plain, with_report = [], []
        page = folder / "report.html"
        for n in range(options.repeat):
            plain.append(timed([*voc, "analyze", str(source), "-o", str(folder / f"a{n}.jsonl")]))
            analyse = [*voc, "analyze", str(source), "-o", str(folder / f"b{n}.jsonl")]
            with_report.append(timed([*analyse, "--report", str(page)]))
        checks = theme_checks(page_report(page))
        if options.page:
            shutil.copyfile(page, options.page)
    a, b = statistics.median(plain), statistics.median(with_report)
    print(f"{len(mix)} comments; voc analyze {a:.1f} s; with --report {b:.1f} s")
    print(f"ratio {b / a:.2f} (target <= 1.3)")
    print(json.dumps(checks, ensure_ascii=False, indent=1))
    sys.exit(0 if checks["passed"] else 1)


if __name__ == "__main__":
    main()
