"""`voc analyze FILE --report` encodes each clause once, and its topic model is a registry
version that `voc topics rename --version` edits and `voc report --topics` renders again."""

from __future__ import annotations

import copy
import json
from collections import Counter

import numpy as np
import pytest
from report_samples import raw_rows

from voc.cli import main
from voc.config import Settings
from voc.jobs import commands as job_commands
from voc.nlp.types import Feedback
from voc.topics.pipeline import document_units
from voc.topics.store import TopicStore

pytestmark = pytest.mark.slow


class CountingEncoder:
    """The real encoder, recording every text it is asked to embed."""

    def __init__(self, encoder) -> None:
        self.encoder = encoder
        self.texts: list[str] = []

    def embed(self, texts):
        self.texts.extend(texts)
        return self.encoder.embed(texts)

    def __getattr__(self, name: str):
        return getattr(self.encoder, name)


def counting(analyzer):
    """The session's analyzer whose analysis pass goes through a `CountingEncoder`."""
    watched = copy.copy(analyzer)
    watched.encoder = CountingEncoder(analyzer.encoder)
    return watched


@pytest.fixture(scope="module")
def analysed_with_report(tmp_path_factory, analyzer):
    """`voc analyze rows.jsonl --report` once, on the fixture rows (en/fr/id/ms), in one chunk,
    with the session's analyzer counting what it encodes; its own runtime directory."""
    root = tmp_path_factory.mktemp("report-topics")
    patch = pytest.MonkeyPatch()
    patch.setenv("VOC_VAR_DIR", str(root / "var"))
    watched = counting(analyzer)
    patch.setattr(job_commands, "load_analyzer", lambda settings: watched)
    source = root / "rows.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in raw_rows()))
    out, page = root / "out.jsonl", root / "report.html"
    run = ["analyze", str(source), "-o", str(out), "--report", str(page), "--chunk-size", "1000"]
    code = main(run)
    yield {"code": code, "root": root, "out": out, "page": page, "encoder": watched.encoder}
    patch.undo()


def test_the_report_fits_topics_on_the_vectors_of_the_analysis(analysed_with_report):
    run = analysed_with_report
    assert run["code"] == 0
    encoded = Counter(run["encoder"].texts)
    assert encoded, "the analysis went through the counting encoder"
    twice = [text for text, n in encoded.items() if n > 1]
    assert not twice, f"encoded more than once: {twice[:3]}"
    page = run["page"].read_text(encoding="utf-8")
    assert "No topics" not in page


def test_reused_units_are_the_units_a_fresh_pass_computes(analyzer):
    """The units an analysis keeps equal what the fit would encode itself (same segmentation,
    same vectors within int8 batching noise), so reusing them leaves the topics unchanged."""
    rows = raw_rows()
    kept: dict = {}
    analyses = analyzer.analyze(
        [Feedback(r["id"], r["text"]) for r in rows], features=("language",), units=kept
    )
    texts = [r["text"] for r in rows]
    languages = [a.language.code for a in analyses]
    reused = document_units(analyzer, texts, languages=languages, known=kept)
    watched = counting(analyzer)
    fresh = document_units(watched, texts)
    assert watched.encoder.texts  # the fresh pass encoded; the reused one did not need to
    for a, b in zip(reused, fresh, strict=True):
        assert a.texts == b.texts and a.language == b.language
        assert np.allclose(a.vectors, b.vectors, atol=0.02)


def test_the_report_topic_version_is_saved_edited_and_rendered_again(
    analysed_with_report, capsys, monkeypatch
):
    run = analysed_with_report
    monkeypatch.setenv("VOC_VAR_DIR", str(run["root"] / "var"))
    store = TopicStore.from_settings(Settings.from_env())
    version = store.registry.versions("topics")[-1].version
    assert f"topics {version}" in run["page"].read_text(encoding="utf-8")  # the page's header
    assert store.active_version() is None  # saved, not activated: serving is unchanged
    model = store.load(version)
    topic = model.topics[0]

    capsys.readouterr()
    assert main(["topics", "rename", str(topic.id), "Slow parcels", "--version", version]) == 0
    edited = json.loads(capsys.readouterr().out)
    assert edited["version"] != version and store.active_version() is None
    assert store.load(edited["version"]).topics[0].label == "Slow parcels"

    page, data = run["root"] / "again.html", run["root"] / "again.json"
    rerun = ["report", str(run["out"]), "-o", str(page), "--json", str(data)]
    assert main([*rerun, "--topics", edited["version"]]) == 0
    printed = json.loads(capsys.readouterr().out)
    report = json.loads(data.read_text(encoding="utf-8"))
    assert printed["topic_model"] == report["summary"]["topic_model"] == edited["version"]
    labels = {t["id"]: t["label"] for t in report["topics"]}
    assert labels[topic.id] == "Slow parcels"
    assert "Slow parcels" in page.read_text(encoding="utf-8")
