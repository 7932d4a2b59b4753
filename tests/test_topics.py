"""Topic discovery on real voc embeddings: fixtures are short texts in en/fr/id/ms."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from feedback_samples import APP, MULTI_TOPIC, THEMES, labelled_texts

from voc.nlp.topic_model import OTHER_ID, TopicModel
from voc.topics import edits
from voc.topics.fit import TooFewDocumentsError, TopicSettings, _cluster, class_tfidf, fit_topics
from voc.topics.pipeline import document_units, fit_documents
from voc.topics.stopwords import stop_words

SETTINGS = TopicSettings(n_topics=3, min_topic_size=3, outlier_share=0.0)


@pytest.fixture(scope="module")
def corpus():
    rows = labelled_texts()
    return [t for t, _, _ in rows] + [t for t, _ in MULTI_TOPIC], [theme for *_, theme in rows]


@pytest.fixture(scope="module")
def fitted(analyzer, corpus):
    texts, _ = corpus
    return fit_documents(analyzer, texts, settings=SETTINGS)


def theme_topics(assigned, themes) -> dict[str, int]:
    """The majority topic of each theme's texts."""
    out = {}
    for theme in THEMES:
        ids = [a.topic.id for a, t in zip(assigned, themes, strict=False) if t == theme]
        out[theme] = Counter(ids).most_common(1)[0][0]
    return out


def test_stop_words_cover_languages_and_informal_forms():
    words = stop_words()
    for word in ("the", "les", "yang", "gak", "tak", "yg", "dgn", "nya", "aja", "sih", "xxxx"):
        assert word in words
    assert "lewat" not in words  # "late" in id/ms: a complaint word, not a stop word


def test_fit_separates_themes_across_languages(fitted, corpus):
    model, assigned = fitted
    _, themes = corpus
    majority = theme_topics(assigned, themes)
    assert len(set(majority.values())) == 3
    hits = sum(a.topic.id == majority[t] for a, t in zip(assigned, themes, strict=False))
    assert hits / len(themes) >= 0.9
    for topic in model.topics:
        assert topic.label and topic.examples
        words = {w for kw, _ in topic.keywords for w in kw.split()}
        assert not words & stop_words(), words & stop_words()


def test_multi_topic_comment_counts_in_both_topics(fitted, corpus):
    _model, assigned = fitted
    _, themes = corpus
    majority = theme_topics(assigned, themes)
    for doc in assigned[-len(MULTI_TOPIC) :]:
        ids = {a.id for a in doc.topics}
        assert {majority["delivery"], majority["price"]} <= ids


def test_same_data_and_seed_give_same_topics(analyzer, corpus, fitted):
    model, assigned = fitted
    again, assigned_again = fit_documents(analyzer, corpus[0], settings=SETTINGS)
    assert [t.keywords for t in again.topics] == [t.keywords for t in model.topics]
    assert [a.topics for a in assigned_again] == [a.topics for a in assigned]


def test_online_assignment_equals_fit_time(analyzer, corpus, fitted):
    from voc.nlp.types import Feedback

    model, assigned = fitted
    previous, analyzer.topics = analyzer.topics, model
    try:
        analyses = analyzer.analyze([Feedback(id=str(i), text=t) for i, t in enumerate(corpus[0])])
    finally:
        analyzer.topics = previous
    assert [a.topics.topic.id for a in analyses] == [a.topic.id for a in assigned]
    assert [{t.id for t in a.topics.topics} for a in analyses] == [
        {t.id for t in a.topics} for a in assigned
    ]


def test_save_and_load_without_pickle(fitted, tmp_path, analyzer, corpus):
    model, _ = fitted
    model.save(tmp_path / "m")
    assert sorted(p.suffix for p in (tmp_path / "m").iterdir()) == [".json", ".safetensors"]
    loaded = TopicModel.load(tmp_path / "m")
    x = np.vstack([d.vectors for d in document_units(analyzer, corpus[0][-8:])])
    assert loaded.assign(x) == model.assign(x)
    assert loaded.topics == model.topics


def test_too_few_documents_is_a_clear_error(analyzer):
    with pytest.raises(TooFewDocumentsError, match="at least 10"):
        fit_documents(analyzer, ["Late parcel.", "Too expensive.", "Rude staff."] * 2)


def test_twenty_documents_fit_without_crash(analyzer, corpus):
    model, assigned = fit_documents(analyzer, corpus[0][:20])
    assert 1 <= len(model.topics) <= 3
    assert all(a.topic is not None for a in assigned)


def test_empty_and_duplicate_comments_are_counted_not_topics(fitted):
    _model, _ = fitted
    texts = [t for t, _ in THEMES["price"] + THEMES["staff"]]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(texts), 384)).astype(np.float32)
    noisy = texts + ["ok"] * 40 + ["", "  ", "123"]
    noisy_vectors = np.concatenate([vectors, np.repeat(vectors[:1] * 0 + 1, 43, axis=0)])
    fitted_noisy = fit_topics(noisy, noisy_vectors, settings=TopicSettings(min_topic_size=3))
    assert fitted_noisy.stats["empty"] == 3
    assert fitted_noisy.stats["duplicates"] == 39
    assert fitted_noisy.stats["distinct"] == len(texts) + 1
    assert all(t.examples != ("ok",) * len(t.examples) for t in fitted_noisy.topics)


def test_outlier_share_setting(analyzer, corpus):
    _none, assigned = fit_documents(analyzer, corpus[0], settings=SETTINGS)
    assert all(a.id != OTHER_ID for doc in assigned for a in doc.topics)
    _some, assigned = fit_documents(
        analyzer, corpus[0], settings=TopicSettings(n_topics=3, min_topic_size=3, outlier_share=0.2)
    )
    others = sum(doc.topic.id == OTHER_ID for doc in assigned)
    assert 1 <= others <= 0.35 * len(assigned)


def test_refit_keeps_ids_and_analyst_labels_and_flags_new_themes(analyzer, corpus, fitted):
    model, assigned = fitted
    _, themes = corpus
    delivery = theme_topics(assigned, themes)["delivery"]
    renamed = edits.rename(model, delivery, "Late deliveries")
    refit, _ = fit_documents(
        analyzer,
        corpus[0],
        settings=TopicSettings(n_topics=3, min_topic_size=3, seed=7),
        previous=renamed,
    )
    assert {t.id for t in refit.topics} == {t.id for t in model.topics}
    assert refit.topic(delivery).label == "Late deliveries"
    assert not any(t.is_new for t in refit.topics)
    grown, grown_assigned = fit_documents(
        analyzer,
        corpus[0] + [t for t, _ in APP],
        settings=TopicSettings(n_topics=4, min_topic_size=3),
        previous=renamed,
    )
    new = [t for t in grown.topics if t.is_new]
    assert len(new) == 1 and new[0].id >= model.next_id
    app_ids = Counter(a.topic.id for a in grown_assigned[-len(APP) :])
    assert app_ids.most_common(1)[0][0] == new[0].id
    assert grown.topic(delivery).label == "Late deliveries"


def test_merge_and_split_persist(fitted, tmp_path):
    from voc import paths
    from voc.registry.store import Registry
    from voc.storage import make_engine
    from voc.topics.store import TopicStore

    model, _ = fitted
    a, b = model.topics[0].id, model.topics[1].id
    merged = edits.merge(model, [a, b], label="Delivery and price")
    assert len(merged.topics) == len(model.topics) - 1
    assert merged.topic(a).label == "Delivery and price"
    split = edits.split(merged, a)
    children = [t for t in split.topics if t.origin == f"split:{a}"]
    assert len(children) == 2 and all(t.is_new and t.id >= model.next_id for t in children)
    engine = make_engine(f"sqlite:///{tmp_path / 'voc.sqlite3'}")
    registry = Registry(paths.ARTIFACTS_DIR, tmp_path / "registry", engine)
    store = TopicStore(registry)
    assert store.active() is None
    store.save(model)
    entry = store.save(split)
    assert entry.problems() == [] and "CARD.md" in entry.files
    corpus = model.stats["corpus"]
    assert entry.training_data == [{"file": "texts", "sha256": corpus["sha256"]}]
    loaded = store.active()
    assert [t.id for t in loaded.topics] == [t.id for t in split.topics]
    assert [e["op"] for e in loaded.edits] == ["merge", "split"]
    assert {e.version for e in registry.versions("topics")} == {model.version, split.version}
    assert registry.rollback("topics").version == model.version
    assert store.active().version == model.version
    with pytest.raises(edits.TopicEditError, match="no topic 999"):
        edits.rename(loaded, 999, "x")


def test_topic_models_keep_no_personal_data(analyzer, corpus):
    """Keywords, labels, examples and samples come from texts with personal data taken out,
    a name in a lower-case clause included (the fit finds personal data once per unit)."""
    contacts = (
        " My name is Marcus Tan, call me on 012-345 6789 or marcus.tan@gmail.com.",
        " ugh the courier Budi again, pls call 012-345 6789",
    )
    texts = [t + contacts[i % 4 // 2] if i % 2 else t for i, t in enumerate(corpus[0])]
    model, _ = fit_documents(analyzer, texts, settings=SETTINGS)
    words = repr([(t.label, t.keywords) for t in model.topics]).lower()
    kept = repr([t.examples for t in model.topics] + list(model.samples)).lower() + words
    for value in ("marcus", "budi", "012-345 6789", "gmail"):
        assert value not in kept
    keywords = {word for t in model.topics for word, _ in t.keywords}
    assert not {"name", "phone", "email"} & keywords  # no mask label becomes a keyword
    assert "[name]" in kept  # examples keep the masks, so they still read as sentences


@pytest.mark.slow  # imports BERTopic (6 s), which voc itself no longer does
def test_fit_gives_bertopics_partition_and_ctfidf_without_importing_it():
    """voc calls BERTopic's sub-models directly: the same clusters, numbered largest first, and
    the same c-TF-IDF as `BERTopic(umap_model=PCA, hdbscan_model=KMeans)` gives."""
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from scipy.sparse import csr_matrix
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.feature_extraction.text import CountVectorizer

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(12, 384))
    vectors = centres[rng.integers(0, 12, 600)] + 0.6 * rng.normal(size=(600, 384))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    settings = TopicSettings()
    ours = _cluster(vectors, settings)
    k, dims = settings.topic_count(600), settings.reduced_dims
    theirs, _ = BERTopic(
        umap_model=PCA(n_components=dims, random_state=settings.seed, svd_solver="randomized"),
        hdbscan_model=KMeans(n_clusters=k, random_state=settings.seed, n_init=10),
        vectorizer_model=CountVectorizer(),
    ).fit_transform(["late parcel refund"] * 600, embeddings=vectors)
    pairs = set(zip(ours.tolist(), theirs, strict=True))
    assert len(pairs) == len(set(ours.tolist())) == len(set(theirs)) == k  # one-to-one
    sizes = np.bincount(ours)
    assert (np.diff(sizes) <= 0).all()  # largest first

    counts = csr_matrix(rng.integers(0, 4, size=(8, 60)) * (rng.random((8, 60)) < 0.4))
    counts = counts[:, np.asarray(counts.sum(axis=0)).ravel() > 0]
    expected = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(counts)
    assert np.allclose(class_tfidf(counts), expected.toarray())
