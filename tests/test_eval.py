"""`voc eval`: card metrics of a version on labelled JSONL files, and two versions side by side."""

from __future__ import annotations

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
