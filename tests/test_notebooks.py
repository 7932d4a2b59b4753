"""The researcher notebooks run top to bottom on small data (real training, real models)."""

from __future__ import annotations

import pytest

from voc import paths

NOTEBOOKS = paths.REPO_ROOT / "notebooks"


def run_notebook(name: str, parameters: str, timeout: int = 900):
    """Execute a notebook with its `parameters` cell replaced; return the executed notebook."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    (cell,) = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    cell.source = parameters
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": NOTEBOOKS}},
    ).execute()
    return notebook


def outputs(notebook) -> str:
    return "\n".join(
        str(output.get("text", "")) + str(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


@pytest.mark.slow
def test_retrain_sentiment_notebook(shared_data, tmp_path):
    notebook = run_notebook(
        "01_retrain_sentiment.ipynb",
        f"""MAX_TRAIN_PER_FILE = 60
MAX_DEV_PER_FILE = 30
FILES = ("nusax_senti_en_id.jsonl", "ms_translated_uci_sentences.jsonl")
SETTINGS = {{"registry_dir": {str(tmp_path / "registry")!r},
            "database_url": "sqlite:///{tmp_path / "voc.sqlite3"}"}}""",
    )
    text = outputs(notebook)
    assert "registered sentiment@" in text
    assert (tmp_path / "registry" / "sentiment").is_dir()
    assert "macro-F1 sentiment@" in text and "Confusion matrix" in text
    assert "refused (MetricsRegression)" in text, "the recorded evaluation makes them comparable"


@pytest.mark.slow
def test_custom_root_causes_notebook(tmp_path):
    notebook = run_notebook(
        "02_custom_root_causes.ipynb",
        f"""DATASET = "mams_absa_en.jsonl"
MAX_TRAIN = 100
MAX_DEV = 40
MAX_EXAMPLES = 5
SETTINGS = {{"database_url": "sqlite:///{tmp_path / "voc.sqlite3"}"}}""",
    )
    text = outputs(notebook)
    assert "rejected: " in text and "parking" in text
    assert "causes: " in text
    assert "stored taxonomy restaurant-causes@1 (new id: True)" in text
    assert "versions: 1 2" in text
    if paths.shared_data_dir().joinpath("mams_absa_en.jsonl").is_file():
        assert "| zero-shot |" in text and "| trained |" in text
        assert "custom taxonomy restaurant-causes@2" in text
    else:
        assert "skipped: " in text


@pytest.mark.slow
def test_topics_exploration_notebook(tmp_path):
    notebook = run_notebook(
        "03_topics_exploration.ipynb",
        f"""N_TOPICS = 6
MIN_TOPIC_SIZE = 3
OUTLIER_SHARE = 0.0
SEED = 0
SETTINGS = {{"topics_dir": {str(tmp_path / "topics")!r},
            "database_url": "sqlite:///{tmp_path / "voc.sqlite3"}"}}""",
    )
    text = outputs(notebook)
    assert "fitted topics-" in text
    assert "edits: ['merge', 'split', 'rename']" in text or "edits: ['merge', 'rename']" in text
    assert "refit: {'previous_version': 'topics-" in text
    assert "analyst labels kept:" in text
    versions = [p for p in (tmp_path / "topics").iterdir() if p.is_dir()]
    assert len(versions) >= 3, "fit, edited and refit versions are stored"


def test_the_dev_extra_opens_the_notebooks_in_jupyterlab():
    """`pip install -e .[dev]` brings JupyterLab, and its server reads every shipped notebook."""
    import tomllib

    from jupyter_server.services.contents.filemanager import FileContentsManager

    pyproject = tomllib.loads((paths.REPO_ROOT / "pyproject.toml").read_text())
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    assert any(req.startswith("jupyterlab") for req in dev)
    import jupyterlab  # noqa: F401  installed by the dev extra

    contents = FileContentsManager(root_dir=str(NOTEBOOKS))
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names
    for name in names:
        model = contents.get(name, content=True, type="notebook")
        assert model["content"]["cells"], name
