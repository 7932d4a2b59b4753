"""`voc eval`: card metrics of a version on labelled JSONL files, and two versions side by side."""

from __future__ import annotations

import csv
import json

import pytest
from feedback_samples import write_aspect_file
from registry_helpers import register_fixture_head

from voc import paths
from voc.registry.evaluate import compare_markdown, evaluate_versions, single_markdown
from voc.registry.store import Registry
from voc.storage import make_engine

ROWS = [
    ("en", "negative", "The refund never came and support hung up on me."),
    ("en", "negative", "Awful quality, it broke after one day."),
    ("en", "positive", "Brilliant service, quick and friendly."),
    ("en", "positive", "Great value, I am very happy with it."),
    ("fr", "negative", "Commande jamais reçue, service client nul."),
    ("fr", "negative", "Très déçu, l'article est arrivé cassé."),
    ("fr", "positive", "Parfait, livraison rapide et soignée."),
    ("fr", "positive", "Excellent restaurant, le personnel est charmant."),
    ("id", "negative", "Barangnya rusak dan penjual tidak mau tanggung jawab."),
    ("id", "negative", "Pengiriman lama banget, kecewa."),
    ("id", "positive", "Mantap, barang sesuai dan cepat sampai."),
    ("id", "positive", "Pelayanan ramah, sangat puas."),
    ("ms", "negative", "Barang rosak dan penghantaran sangat lewat."),
    ("ms", "negative", "Khidmat pelanggan teruk, tiada jawapan."),
    ("ms", "positive", "Sangat berpuas hati, penghantaran pantas."),
    ("ms", "positive", "Kakitangan mesra dan membantu, terima kasih."),
]


@pytest.fixture()
def labelled_file(tmp_path):
    """Rows in the schema of ../shared/data (written here, never copied from there)."""
    path = tmp_path / "fixture_sentiment.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, (lang, label, text) in enumerate(ROWS):
            row = {
                "id": f"fx:{i}",
                "text": text,
                "lang": lang,
                "split": "dev",
                "sentiment": label,
                "score": None,
                "score_type": None,
                "aspects": [],
                "labels": {},
                "source": "fixture_sentiment",
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.fixture()
def registry(tmp_path) -> Registry:
    engine = make_engine(f"sqlite:///{tmp_path / 'voc.sqlite3'}")
    return Registry(paths.ARTIFACTS_DIR, tmp_path / "registry", engine)


def test_sentiment_report_has_the_card_metrics(registry, settings, analyzer, labelled_file):
    version = registry.active_version("sentiment")
    reports = evaluate_versions(
        registry, settings, "sentiment", [version], [labelled_file], reuse=analyzer
    )
    report = reports[version]
    assert {f"lang:{c}" for c in ("en", "fr", "id", "ms")} <= set(report["groups"])
    assert report["groups"]["file:fixture_sentiment"]["n"] == len(ROWS)
    assert all(report["groups"][f"lang:{c}"]["macro_f1"] >= 0.7 for c in ("en", "fr", "id", "ms"))
    matrix = report["confusion"]["matrix"]
    assert sum(map(sum, matrix)) == len(ROWS)
    assert report["per_class"]["negative"]["support"] == 8
    assert 0 <= report["calibration_error"] <= 1
    text = single_markdown(version, report)
    assert "Confusion matrix" in text and "lang:ms" in text


def test_compare_puts_two_versions_side_by_side(registry, settings, analyzer, labelled_file):
    bad = register_fixture_head(registry, analyzer.encoder, rotate_labels=True)
    committed = registry.default("sentiment").version
    reports = evaluate_versions(
        registry,
        settings,
        "sentiment",
        [committed, bad.short_version],
        [labelled_file],
        reuse=analyzer,
    )
    assert list(reports) == [committed, bad.version]
    all_rows = "file:fixture_sentiment"
    assert (
        reports[bad.version]["groups"][all_rows]["macro_f1"]
        < (reports[committed]["groups"][all_rows]["macro_f1"])
    )
    text = compare_markdown(reports)
    assert f"macro-F1 {committed}" in text and f"macro-F1 {bad.version}" in text
    assert "Calibration error" in text


def test_language_report_counts_other_language_answers_as_wrong(
    registry, settings, analyzer, labelled_file
):
    version = registry.active_version("language")
    report = evaluate_versions(
        registry, settings, "language", [version], [labelled_file], reuse=analyzer
    )[version]
    assert report["groups"]["file:fixture_sentiment"]["accuracy"] >= 0.9
    assert set(report["per_class"]) <= {"en", "fr", "id", "ms", "other"}


def test_root_causes_report_is_multi_label(registry, settings, analyzer, tmp_path):
    """Each file's categories are tagged zero-shot with the version's calibration."""
    data = write_aspect_file(tmp_path / "hotel_aspects.jsonl")
    version = registry.active_version("root_causes")
    report = evaluate_versions(
        registry, settings, "root_causes", [version], [data], split="all", reuse=analyzer
    )[version]
    assert report["groups"]["file:hotel_aspects"]["n"] == 24
    assert {f"lang:{c}" for c in ("en", "fr", "id", "ms")} <= set(report["groups"])
    assert report["groups"]["file:hotel_aspects"]["micro_f1"] >= 0.5
    assert set(report["per_class"]) == {"noise", "wifi"}
    assert "confusion" not in report and "calibration_error" not in report
    text = single_markdown(version, report)
    assert "micro-F1" in text and "lang:ms" in text
    with pytest.raises(ValueError, match="no labelled evaluation"):
        evaluate_versions(registry, settings, "topics", ["x"], [data], reuse=analyzer)


def test_a_file_without_labels_is_an_error(registry, settings, analyzer, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="no dev rows"):
        evaluate_versions(registry, settings, "sentiment", ["9223055d"], [empty], reuse=analyzer)


@pytest.mark.slow
def test_voc_eval_command(labelled_file, tmp_path, monkeypatch, capsys):
    from voc.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("VOC_REGISTRY_DIR", str(tmp_path / "registry"))
    assert main(["eval", "sentiment", "--data", str(labelled_file), "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    (report,) = reports.values()
    assert report["groups"]["lang:fr"]["n"] == 4
    plain = tmp_path / "plain.jsonl"
    plain.write_text(
        "".join(json.dumps({"text": t, "sentiment": label}) + "\n" for _, label, t in ROWS)
    )
    assert main(["eval", "sentiment", "--data", str(plain), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out).values()
    assert report["groups"]["file:plain"]["n"] == len(ROWS)


def test_minimal_jsonl_and_csv_files_need_only_a_text_and_a_label(
    registry, settings, analyzer, tmp_path
):
    """No id, lang, split or source: ids are made up, rows are evaluation rows, and the
    language of each text is the one voc identifies."""
    plain = tmp_path / "plain.jsonl"
    plain.write_text(
        "".join(
            json.dumps({"text": text, "sentiment": label}, ensure_ascii=False) + "\n"
            for _, label, text in ROWS
        )
    )
    table = tmp_path / "plain.csv"
    with table.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "sentiment"])
        writer.writerows([text, label] for _, label, text in ROWS)
    version = registry.active_version("sentiment")
    for path in (plain, table):
        report = evaluate_versions(
            registry, settings, "sentiment", [version], [path], reuse=analyzer
        )[version]
        assert report["groups"][f"file:{path.stem}"]["n"] == len(ROWS)
        assert {f"lang:{c}" for c in ("en", "fr", "id", "ms")} <= set(report["groups"])
        assert report["groups"]["lang:fr"]["n"] == 4
        assert report["groups"][f"file:{path.stem}"]["macro_f1"] >= 0.7
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"sentiment": "positive"}) + "\n")
    with pytest.raises(ValueError, match="row 1: no text"):
        evaluate_versions(registry, settings, "sentiment", [version], [broken], reuse=analyzer)


def test_an_evaluation_both_versions_ran_makes_them_comparable(
    registry, settings, analyzer, labelled_file
):
    """A retrain shares no evaluation set with the committed version until `voc eval` runs
    both on the same rows; then activation compares them on those rows."""
    committed = registry.default("sentiment").version
    good = register_fixture_head(registry, analyzer.encoder)
    bad = register_fixture_head(registry, analyzer.encoder, rotate_labels=True)
    codes = [code for code, _ in registry.check("sentiment", good.version)[1]]
    assert "NotComparable" in codes
    evaluate_versions(
        registry,
        settings,
        "sentiment",
        [committed, good.version, bad.version],
        [labelled_file],
        reuse=analyzer,
    )
    for candidate in (good, bad):
        codes = [code for code, _ in registry.check("sentiment", candidate.version)[1]]
        assert "NotComparable" not in codes
    bad_codes = [code for code, _ in registry.check("sentiment", bad.version)[1]]
    assert "MetricsRegression" in bad_codes
    evaluated = registry.with_recorded_evaluations(registry.entry("sentiment", bad.version))
    assert any(e["name"] == "voc eval dev" for e in evaluated.evaluations)


def test_topic_versions_get_coherence_diversity_and_nmi(registry, settings, analyzer, tmp_path):
    from feedback_samples import labelled_texts

    from voc.nlp.topic_quality import topics_markdown
    from voc.registry.evaluate import evaluate_topic_versions
    from voc.topics.fit import TopicSettings
    from voc.topics.pipeline import fit_documents
    from voc.topics.store import TopicStore

    rows = labelled_texts()
    model, _ = fit_documents(
        analyzer,
        [t for t, _, _ in rows],
        settings=TopicSettings(n_topics=3, min_topic_size=3, outlier_share=0.0),
    )
    entry = TopicStore(registry).save(model, activate=False)
    data = tmp_path / "themes.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": t, "lang": lang, "labels": {"theme": theme}}) + "\n"
            for t, lang, theme in rows
        )
    )
    reports = evaluate_topic_versions(
        registry, settings, [entry.version], [data], label="labels.theme"
    )
    overall = reports[entry.version]["groups"]["all"]
    assert overall["n"] == len(rows)
    assert -1.0 <= overall["npmi"] <= 1.0 and 0.0 < overall["diversity"] <= 1.0
    assert overall["nmi"] >= 0.5, "three themes, three topics"
    assert "NPMI coherence" in topics_markdown(reports)


def test_coherence_and_diversity_on_known_counts():
    from voc.nlp.topic_quality import coherence_and_diversity, nmi_per_file

    texts = ["refund late", "refund late", "wifi slow", "wifi slow"]
    assert coherence_and_diversity([["refund", "late"], ["wifi", "slow"]], texts) == (1.0, 1.0)
    assert coherence_and_diversity([["refund", "wifi"], ["late", "slow"]], texts)[0] == -1.0
    assert coherence_and_diversity([["refund", "late"], ["refund", "late"]], texts)[1] == 0.5
    truth = {"f": ["a"] * 10 + ["b"] * 10 + [None] * 5}
    assert nmi_per_file([0] * 10 + [1] * 10 + [2] * 5, truth) == {"f": 1.0}
    assert nmi_per_file([0] * 25, {"few": ["a"] * 5 + [None] * 20}) == {}
