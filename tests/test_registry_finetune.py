"""Smoke test of `voc train sentiment --fine-tune` on ~50 examples: train, register, serve."""

from __future__ import annotations

import numpy as np
import pytest

from voc.config import Settings
from voc.nlp.finetune import FineTuneArgs
from voc.nlp.train import SentimentTrainingArgs
from voc.nlp.types import Feedback
from voc.registry.loader import load_analyzer
from voc.registry.store import Registry
from voc.registry.training import fine_tune_sentiment_version


@pytest.mark.slow
def test_fine_tuned_version_registers_small_and_serves(shared_data, analyzer, tmp_path):
    settings = Settings.from_env(
        {"database_url": f"sqlite:///{tmp_path / 'voc.sqlite3'}", "registry_dir": tmp_path}
    )
    registry = Registry.from_settings(settings)
    entry = fine_tune_sentiment_version(
        registry,
        settings,
        SentimentTrainingArgs(
            max_train_per_file=50,
            max_dev_per_file=12,
            calibration_fraction=0.2,
            files=("nusax_senti_en_id.jsonl",),
        ),
        FineTuneArgs(batch_size=8, max_length=32),
        data_dir=shared_data,
    )
    assert entry.problems() == []
    assert entry.version.startswith("sentiment@ft-")
    adapter = entry.path / "encoder" / "adapter_model.safetensors"
    assert adapter.stat().st_size < 1_000_000, "only the adapter is saved, not the encoder"
    assert "encoder/adapter_config.json" in entry.files
    card = (entry.path / "CARD.md").read_text()
    assert "frozen head" in card and "s of training" in card
    fine_tune = entry.config["fine_tune"]
    assert fine_tune["lora_rank"] == 8

    tuned = load_analyzer(
        settings, registry=registry, versions={"sentiment": entry.version}, reuse=analyzer
    )
    assert tuned.model_versions["sentiment"] == entry.version
    assert tuned.sentiment_encoder is not None and "+lora@" in tuned.sentiment_encoder.version
    assert tuned.encoder is analyzer.encoder, "other components keep the shared encoder"
    texts = ["The parcel arrived broken.", "Pelayanannya ramah sekali!"]
    base = analyzer.encoder.embed(texts)
    adapted = tuned.sentiment_encoder.embed(texts)
    assert not np.allclose(base, adapted, atol=1e-3), "the trained adapter changes the encoder"
    (result,) = tuned.analyze([Feedback(id="x", text="Terrible, it broke after one day.")])
    assert sum(result.sentiment.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
