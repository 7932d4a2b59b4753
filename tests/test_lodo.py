"""Leave-one-dataset-out sentiment evaluation and the encoder-tuning pack, on small files in
four languages written by the tests, with the real encoder."""

from __future__ import annotations

import json

import pytest
from sentiment_fixtures import write_sentiment_files
from tiers import loads_models

from voc import paths
from voc.nlp import encoder_tuning
from voc.nlp.encoder import Encoder
from voc.nlp.lodo import load_sentiment_rows, lodo_markdown, record_lodo, sentiment_lodo
from voc.nlp.train import SentimentTrainingArgs


@pytest.fixture(scope="module")
@loads_models
def encoder() -> Encoder:
    return Encoder(paths.base_model_dir(), backend="onnx-int8")


@pytest.fixture(scope="module")
def rows(tmp_path_factory, encoder):
    data_dir = tmp_path_factory.mktemp("data")
    files = write_sentiment_files(data_dir)
    return load_sentiment_rows(data_dir, encoder.embed, files=files)


def test_every_language_left_out_beats_chance_and_baseline_is_in_the_same_run(rows):
    report = sentiment_lodo(rows, SentimentTrainingArgs(c_grid=(8.0,)))
    held_out = {f["held_out"] for f in report["folds"]}
    assert held_out == set(rows.files)
    for fold in report["folds"]:
        assert fold["n"] == 8
        # obvious praise and complaints in a language the head never saw
        assert fold["voc"]["macro_f1"] >= 0.75, fold
        assert 0 <= fold["baseline"]["macro_f1"] <= 1
        assert 0 <= fold["voc"]["ece"] <= 1
    assert set(report["dev"]) == held_out
    summary = report["summary"]
    assert summary["lodo_worst_margin"] == min(
        f["voc"]["macro_f1"] - f["baseline"]["macro_f1"] for f in report["folds"]
    )
    table = lodo_markdown(report)
    assert "LODO indonlu_smsa.jsonl" in table and "baseline F1" in table


def test_a_file_left_out_is_never_trained_on(rows):
    """Leaving out a file removes its rows from training: a head that saw only positive
    English rows cannot score the left-out negative ones as negative by memory."""
    report = sentiment_lodo(
        rows, SentimentTrainingArgs(c_grid=(8.0,)), folds=(("ms_news_sentiment.jsonl",),)
    )
    assert [f["held_out"] for f in report["folds"]] == ["ms_news_sentiment.jsonl"]
    assert report["folds"][0]["n"] == 8


def test_the_card_gets_the_lodo_table_as_headline(rows, tmp_path):
    report = sentiment_lodo(rows, SentimentTrainingArgs(c_grid=(8.0,)))
    (tmp_path / "config.json").write_text(json.dumps({"metrics": {}}))
    (tmp_path / "CARD.md").write_text("# Sentiment\n\nsummary\n\n## Macro-F1 on the dev splits\n")
    record_lodo(tmp_path, report)
    record_lodo(tmp_path, report)  # a rerun replaces the section
    card = (tmp_path / "CARD.md").read_text()
    assert card.index("Leave-one-dataset-out") < card.index("## Macro-F1 on the dev splits")
    assert card.count("## Leave-one-dataset-out") == 1
    assert json.loads((tmp_path / "config.json").read_text())["metrics"]["lodo"] == report


@pytest.mark.slow
@loads_models
def test_tiny_multitask_fine_tune_and_lodo_run_from_a_pack(tmp_path):
    """The pack holds token ids and int8 weights restricted to the vocabulary used; the run
    trains the adapter (sentiment + distillation here: no category files), saves it in peft
    format, and evaluates a fold beside the base encoder on the same rows."""
    data_dir = tmp_path / "data"
    write_sentiment_files(data_dir)
    meta = encoder_tuning.write_pack(data_dir, paths.base_model_dir(), tmp_path / "pack")
    assert meta["sentiment_rows"] == 32 and meta["matching_rows"] == 0
    assert meta["config"]["vocab_size"] < 2000
    args = encoder_tuning.TuningArgs(
        steps=2, fold_steps=2, sentiment_batch=8, matching_batch=4, lr_rows_per_file=10
    )
    report = encoder_tuning.run_pack(
        tmp_path / "pack",
        tmp_path / "out",
        args=args,
        folds=(("indonlu_smsa.jsonl",),),
    )
    assert (tmp_path / "out" / "adapter" / "adapter_model.safetensors").stat().st_size > 10_000
    fold = report["folds"][0]
    result = fold["sentiment"]["indonlu_smsa.jsonl"]
    assert result["n"] == 8 and 0 <= result["voc"] <= 1 and 0 <= result["baseline"] <= 1
    assert 0.9 < fold["cosine_to_base"] <= 1.0
    assert json.loads((tmp_path / "out" / "lodo.json").read_text())["final"]["steps"] == 2
