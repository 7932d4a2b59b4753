"""The registry on real artifacts: committed entries, registration, the activation checks."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest
from feedback_samples import write_aspect_file
from registry_helpers import register_fixture_head
from stub_encoder import StubEncoder

from voc import paths
from voc.registry.entry import read_entry
from voc.registry.store import ActivationRefused, Registry, UnknownModel
from voc.storage import make_engine


@pytest.fixture()
def registry(tmp_path) -> Registry:
    engine = make_engine(f"sqlite:///{tmp_path / 'voc.sqlite3'}")
    return Registry(paths.ARTIFACTS_DIR, tmp_path / "registry", engine)


@pytest.fixture()
def encoder():
    """Registration and activation checks need vectors, not good ones: the fixture heads are
    trained and compared on the stand-in encoder's (test_registry_service serves real ones)."""
    return StubEncoder()


@pytest.mark.parametrize("name", ["sentiment", "language"])
def test_committed_versions_are_complete_entries(registry, analyzer, name):
    entry = registry.default(name)
    assert entry.problems() == []
    assert entry.version == analyzer.model_versions[name], "the entry names what Analyzer serves"
    assert {"CARD.md", "config.json"} <= set(entry.files)
    assert entry.training_data and all(len(d["sha256"]) == 64 for d in entry.training_data)
    assert entry.code_version["git_commit"]
    by_set = {e["set"].split("#")[0]: e for e in entry.evaluations}
    assert {f"lang:{code}" for code in ("en", "fr", "id", "ms")} <= set(by_set["dev"]["groups"])
    if name == "sentiment":  # measured on sources left out of training, beside the baseline
        assert all("baseline_macro_f1" in g for g in by_set["lodo"]["groups"].values())


def test_committed_root_causes_entry_compares_like_with_like(registry, analyzer):
    entry = registry.default("root_causes")
    assert entry.problems() == []
    assert entry.version == analyzer.model_versions["root_causes"]
    assert {"CARD.md", "calibration.json", "centre.safetensors"} == set(entry.files)
    assert entry.training_data and entry.code_version["git_commit"]
    modes = [e["name"] for e in entry.evaluations]
    assert modes == [
        *(f"aspects dev, {m}" for m in ("zero-shot", "few-shot", "trained")),
        *(f"aspects leave-one-family-out, {m}" for m in ("zero-shot", "few-shot", "trained")),
    ]
    # taxonomies never seen: each dataset scored with what was fitted on other families
    unseen, seen = entry.evaluations[3]["groups"], entry.evaluations[0]["groups"]
    semeval = "dataset:SemEval-15 (en)"
    assert unseen[semeval]["micro_f1"] < seen[semeval]["micro_f1"]
    assert unseen["lang:en"]["micro_f1"] < seen["lang:en"]["micro_f1"]
    few_shot = entry.evaluations[1]
    assert few_shot["metric"] == "micro_f1"
    assert few_shot["selection"] == {"max_examples": 20, "seed": 0}
    casa, hoasa = (few_shot["groups"][f"dataset:IndoNLU {n} (id)"] for n in ("CASA", "HoASA"))
    indonesian = few_shot["groups"]["lang:id"]
    assert indonesian["n"] == casa["n"] + hoasa["n"]
    assert indonesian["micro_f1"] == round((casa["micro_f1"] + hoasa["micro_f1"]) / 2, 4)
    assert {"lang:en", "lang:fr", "lang:id"} <= set(few_shot["groups"])


def test_without_activations_the_committed_versions_are_active(registry):
    active = registry.active()
    assert set(active) >= {"sentiment", "language", "root_causes"}
    assert all(entry.path == paths.ARTIFACTS_DIR / name for name, entry in active.items())


def test_register_writes_a_new_version_and_never_overwrites(registry, encoder):
    first = register_fixture_head(registry, encoder)
    assert first.path.parent == registry.registry_dir / "sentiment"
    assert first.problems() == []
    again = register_fixture_head(registry, encoder)
    assert again.version == first.version
    assert [p.name for p in first.path.parent.iterdir()] == [first.short_version]
    assert read_entry(paths.ARTIFACTS_DIR / "sentiment").version != first.version
    versions = [e.version for e in registry.versions("sentiment")]
    assert versions == [registry.default("sentiment").version, first.version]


def test_unknown_names_and_versions_list_what_exists(registry):
    with pytest.raises(UnknownModel, match="known"):
        registry.versions("nope")
    with pytest.raises(UnknownModel, match="sentiment@"):
        registry.entry("sentiment", "0000")


def test_activation_needs_a_shared_evaluation_set_unless_forced(registry, encoder):
    good = register_fixture_head(registry, encoder)
    with pytest.raises(ActivationRefused, match="share no evaluation set") as refused:
        registry.activate("sentiment", good.version)
    assert refused.value.code == "NotComparable"
    assert registry.active_version("sentiment") == registry.default("sentiment").version
    result = registry.activate("sentiment", good.short_version, force=True)
    assert result.changed and result.forced and result.overridden
    assert registry.active_version("sentiment") == good.version


def test_worse_metrics_on_the_same_set_are_refused(registry, encoder):
    good = register_fixture_head(registry, encoder)
    bad = register_fixture_head(registry, encoder, rotate_labels=True)
    registry.activate("sentiment", good.version, force=True)
    with pytest.raises(ActivationRefused, match="below the active") as refused:
        registry.activate("sentiment", bad.version)
    assert refused.value.code == "MetricsRegression"
    assert registry.active_version("sentiment") == good.version
    registry.activate("sentiment", bad.version, force=True)
    assert registry.active_version("sentiment") == bad.version
    assert registry.rollback("sentiment").version == good.version
    history = registry.history("sentiment")
    assert [a.reason for a in history] == ["rollback", "activate", "activate"]
    assert history[1].forced


def test_changed_files_and_missing_cards_are_refused(registry, encoder):
    tampered = register_fixture_head(registry, encoder)
    weights = tampered.path / "head.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(ActivationRefused, match="does not match its sha256") as refused:
        registry.activate("sentiment", tampered.version, force=False)
    assert refused.value.code == "ChecksumMismatch"

    other = registry.registry_dir / "sentiment" / "copy"
    shutil.copytree(paths.ARTIFACTS_DIR / "sentiment", other)
    manifest = json.loads((other / "entry.json").read_text())
    manifest["version"] = "sentiment@copy"
    (other / "entry.json").write_text(json.dumps(manifest))
    (other / "CARD.md").unlink()
    with pytest.raises(ActivationRefused, match="no model card") as refused:
        registry.activate("sentiment", "sentiment@copy")
    assert refused.value.code == "CardMissing"


def test_rollback_without_history_is_refused(registry):
    with pytest.raises(ActivationRefused, match="never been activated"):
        registry.rollback("language")


def test_promote_makes_a_version_the_committed_default(tmp_path, encoder):
    committed = tmp_path / "models"
    shutil.copytree(paths.ARTIFACTS_DIR / "sentiment", committed / "sentiment")
    engine = make_engine(f"sqlite:///{tmp_path / 'promote.sqlite3'}")
    registry = Registry(committed, tmp_path / "registry", engine)
    candidate = register_fixture_head(registry, encoder)
    promoted = registry.promote("sentiment", candidate.short_version)
    assert promoted.path == committed / "sentiment"
    assert promoted.version == candidate.version == registry.default("sentiment").version
    assert promoted.problems() == []
    assert sorted(p.name for p in promoted.path.iterdir()) == sorted(
        p.name for p in candidate.path.iterdir()
    )


def test_root_cause_training_registers_a_version_and_leaves_models_alone(
    registry, settings, analyzer, tmp_path
):
    from voc.registry.training import train_root_causes_version

    committed = registry.default("root_causes")
    data = write_aspect_file(tmp_path / "hotel_aspects.jsonl")
    entry = train_root_causes_version(
        registry, settings, data_file=data, taxonomy_id="hotel", encoder=analyzer.encoder
    )
    assert entry.path.parent == registry.registry_dir / "root_causes"
    assert entry.version.startswith(f"{committed.version}+")
    assert {"hotel/head.safetensors", "hotel/head.json", "hotel/taxonomy.json"} <= set(entry.files)
    assert "## Trained head `hotel`" in (entry.path / "CARD.md").read_text()
    assert entry.config["trained_heads"]["hotel"]["metrics"]["labels"] == 2
    assert entry.training_data[-1]["file"] == "hotel_aspects.jsonl"
    assert not [p for p in (paths.ARTIFACTS_DIR / "root_causes").iterdir() if p.is_dir()]
    again = train_root_causes_version(
        registry, settings, data_file=data, taxonomy_id="hotel", encoder=analyzer.encoder
    )
    assert again.version == entry.version, "the same head trained twice is the same version"
    # the calibration and its card metrics are the active version's: not worse, so no force
    result = registry.activate("root_causes", entry.short_version)
    assert result.changed and not result.overridden and result.previous == committed.version


def test_a_tampered_root_causes_version_is_refused(registry, settings, analyzer, tmp_path):
    from voc.registry.training import train_root_causes_version

    entry = train_root_causes_version(
        registry,
        settings,
        data_file=write_aspect_file(tmp_path / "hotel.jsonl"),
        encoder=analyzer.encoder,
    )
    calibration = entry.path / "calibration.json"
    calibration.write_text(calibration.read_text().replace('"threshold": 0.5', '"threshold": 0.1'))
    with pytest.raises(ActivationRefused, match=r"calibration\.json does not match") as refused:
        registry.activate("root_causes", entry.version)
    assert refused.value.code == "ChecksumMismatch"
    assert registry.active_version("root_causes") == registry.default("root_causes").version


def test_a_train_command_says_when_its_version_already_existed(registry, capsys):
    """Training what is already registered keeps the registered version, card included; the
    command says "exists" then, not "registered"."""
    from voc.registry.cli import _print_entry

    committed = registry.default("root_causes")
    _print_entry(committed, started="2000-01-01T00:00:00+00:00")
    assert json.loads(capsys.readouterr().out)["registered"] == committed.version
    _print_entry(committed, started=datetime.now(UTC).isoformat(timespec="seconds"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["exists"] == committed.version and "registered" not in printed
    assert "kept as is" in printed["note"]


def test_a_calibration_measured_before_the_family_folds_gets_no_unseen_taxonomy_set(tmp_path):
    """Its leave-one-out rows left one dataset out at a time, another measure than the family
    folds: comparing them under one set would compare two protocols."""
    from voc.registry.components import describe_root_causes

    shutil.copytree(paths.ARTIFACTS_DIR / "root_causes", tmp_path, dirs_exist_ok=True)
    calibration = json.loads((tmp_path / "calibration.json").read_text())
    for row in calibration["lodo"].values():
        del row["learned relevance"]
    (tmp_path / "calibration.json").write_text(json.dumps(calibration))
    names = [e["name"] for e in describe_root_causes(tmp_path)["evaluations"]]
    assert names == [f"aspects dev, {m}" for m in ("zero-shot", "few-shot", "trained")]
