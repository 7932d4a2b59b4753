"""`voc topics fit / rename` and `voc report` end to end (real models, files in a temp dir)."""

from __future__ import annotations

import json

import pytest
from feedback_samples import labelled_texts
from report_samples import raw_rows

from voc.cli import main
from voc.config import Settings
from voc.topics.store import TopicStore

pytestmark = pytest.mark.slow


@pytest.fixture()
def var_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VOC_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


def test_fit_then_rename_then_refit_keeps_the_label(var_dir, capsys):
    corpus = var_dir / "comments.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": str(i), "text": t}) + "\n"
            for i, (t, _, _) in enumerate(labelled_texts())
        )
    )
    options = ["--n-topics", "3", "--min-topic-size", "3"]
    assert main(["topics", "fit", str(corpus), *options]) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["topics"]) == 3
    topic_id = first["topics"][0]["id"]
    assert main(["topics", "rename", str(topic_id), "Our label"]) == 0
    capsys.readouterr()
    assert main(["topics", "fit", str(corpus), *options, "--seed", "3"]) == 0
    refit = json.loads(capsys.readouterr().out)
    assert {t["id"]: t["label"] for t in refit["topics"]}[topic_id] == "Our label"
    store = TopicStore.from_settings(Settings.from_env())
    assert store.active().version == refit["version"]


def test_report_command_writes_html_and_json(var_dir, capsys):
    source = var_dir / "rows.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in raw_rows()))
    html, data = var_dir / "report.html", var_dir / "report.json"
    assert main(["report", str(source), "-o", str(html), "--json", str(data)]) == 0
    report = json.loads(data.read_text())
    assert report["summary"]["documents"] == len(raw_rows())
    assert len(report["topics"]) >= 2 and report["drivers"]
    assert html.read_text().startswith("<!DOCTYPE html>")
