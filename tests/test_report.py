"""The report data, drivers and HTML on real analysed documents (and hand-checked drivers)."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
from report_samples import analysed_documents

from voc.report.builder import build_report
from voc.report.drivers import ScoredDoc, Theme, driver_table, headline_metric
from voc.report.html import render_report_html
from voc.topics.labels import holds_phrase


@pytest.fixture(scope="module")
def analysed(analyzer):
    return analysed_documents(analyzer)


@pytest.fixture(scope="module")
def report(analysed):
    documents, model, notes = analysed
    return build_report(documents, topic_model=model, notes=notes)


def test_report_json_has_the_api_shape(report):
    assert {"topics", "root_causes", "touchpoints", "drivers", "expectation_gaps"} <= set(report)
    for topic in report["topics"]:
        assert {"id", "label", "keywords", "size", "sentiment", "touchpoints", "examples"} <= set(
            topic
        )
    assert json.loads(json.dumps(report)) == report
    summary = report["summary"]
    assert summary["documents"] == 39 and summary["duplicates"] == 1
    assert summary["metric"] == "NPS" and summary["scored"] == 38
    assert set(summary["languages"]) == {"en", "fr", "id", "ms"}


def test_topics_follow_touchpoints_and_the_heatmap_shows_it(report):
    heat = report["heatmap"]
    # The themed fixtures name billing/delivery/support in metadata; the multi-topic ones get
    # whatever touchpoints the Analyzer reads in their text (payment, say).
    assert {"billing", "delivery", "support"} <= set(heat["touchpoints"])
    themed = [heat["touchpoints"].index(t) for t in ("billing", "delivery", "support")]
    for row in heat["counts"]:
        cells = [row[i] for i in themed]
        assert max(cells) >= 0.8 * sum(cells)  # each topic sits at one themed touchpoint


def test_each_topic_lists_a_comment_holding_its_label(report):
    """The first example of a topic (and of a top-level theme) holds its label as a run of
    words, and the page lists that comment."""
    listed = {c["id"] for c in report["comments"]}
    for block in [t for t in report["topics"] if t["id"] != -1] + report["top_themes"]:
        first = block["examples"][0]
        assert holds_phrase(first["text"], block["label"]), (block["label"], first["text"])
        assert first["id"] in listed


def test_drivers_rank_the_themes_of_detractors_first(report):
    drivers = report["drivers"]
    assert [d["priority"] for d in drivers] == list(range(1, len(drivers) + 1))
    top = drivers[0]
    assert top["impact"] > 0 and top["revenue_at_risk"] > 0
    assert top["mean_score_with"] < top["mean_score_without"]
    staff = [
        d
        for d in drivers
        if d["kind"] == "topic"
        and "support" in next(t for t in report["topics"] if str(t["id"]) == d["id"])["touchpoints"]
    ]
    assert staff and staff[0]["impact"] == min(d["impact"] for d in drivers)
    low, high = top["key_driver_ci"]
    assert low <= top["key_driver_weight"] <= high


def test_without_scores_drivers_use_volume_times_negativity(analyzer):
    documents, model, _ = analysed_documents(analyzer, scores=False, issue3=False)
    report = build_report(documents, topic_model=model)
    assert report["summary"]["metric_value"] is None
    for d in report["drivers"]:
        assert d["priority_score"] == pytest.approx(d["volume"] * d["negativity"], abs=1e-3)
        assert "impact" not in d
    html = render_report_html(report)
    assert "Drivers (no scores)" in html


def test_html_is_one_self_contained_page(report):
    html = render_report_html(report)
    assert html.startswith("<!DOCTYPE html>")
    assert "<script src" not in html and "<link" not in html
    assert ("Plotly.newPlot" in html and "plotly.js v" in html.lower()) or "plotly" in html
    assert "</script" not in json.dumps(report).replace("</", "<\\/")


def test_headline_metric_and_impact_by_hand():
    assert headline_metric([10, 9, 0, 5], "nps") == 0.0
    assert headline_metric([5, 4, 1], "csat") == pytest.approx(200 / 3)
    docs = [
        ScoredDoc(frozenset({("topic", "a")}), 0, "nps", True, 500.0, False),
        ScoredDoc(frozenset({("topic", "a")}), 2, "nps", True, 300.0, False),
        ScoredDoc(frozenset({("topic", "b")}), 10, "nps", False, 100.0, True),
        ScoredDoc(frozenset(), 9, "nps", False, 50.0, False),
    ] * 5
    rows = {
        r["id"]: r for r in driver_table(docs, [Theme("topic", "a", "A"), Theme("topic", "b", "B")])
    }
    # NPS now: 50% promoters - 50% detractors = 0; without a's detractors: 100.
    assert rows["a"]["impact"] == pytest.approx(100.0)
    assert rows["a"]["priority"] == 1
    assert rows["a"]["revenue_at_risk"] == pytest.approx(5 * 800.0)
    assert rows["b"]["revenue_at_risk"] == pytest.approx(5 * 100.0)  # churn risk, not detractor
    assert rows["a"]["key_driver_weight"] < 0 < rows["b"]["key_driver_weight"]


def test_tiny_job_renders_with_a_note(analyzer):
    from voc.report.prepare import analyse_rows, attach_topics

    documents = analyse_rows(
        analyzer, [{"id": "1", "text": "Late again."}, {"id": "2", "text": "Trop cher."}]
    )
    model, notes = attach_topics(analyzer, documents)
    assert model is None and "No topics" in notes[0]
    html = render_report_html(build_report(documents, notes=notes))
    assert "No topics" in html


def _analysed(
    doc_id, text, *, sentiment, lang="en", causes=(), score=None, score_type="nps", **meta
):
    """An analysed document in the API shape, written by hand (no model)."""
    metadata = dict(meta)
    if score is not None:
        metadata |= {"score": score, "score_type": score_type}
    return {
        "id": doc_id,
        "text": text,
        "language": {"code": lang, "confidence": meta.pop("confidence", 0.99)},
        "sentiment": {"label": sentiment, "score": 0.9},
        "root_causes": [{"id": c, "label": c.replace("_", " ")} for c in causes],
        "metadata": metadata,
    }


def _driver_docs():
    # Fraud: 20 negative comments, only 2 scored. Slow app: 6 negative, all scored as detractors.
    # Friendly staff: 15 positive comments.
    docs = [
        _analysed(
            f"f{i}",
            "Someone took money from my account.",
            sentiment="negative",
            causes=["fraud"],
            score=0 if i < 2 else None,
            source="cfpb",
        )
        for i in range(20)
    ]
    docs += [
        _analysed(
            f"s{i}",
            "The app is so slow.",
            sentiment="negative",
            causes=["slow_app"],
            score=1,
            source="gplay",
        )
        for i in range(6)
    ]
    docs += [
        _analysed(
            f"p{i}",
            "Lovely staff, thank you!",
            sentiment="positive",
            causes=["staff"],
            score=10,
            source="gplay",
        )
        for i in range(15)
    ]
    docs += [
        _analysed(
            f"n{i}",
            "Le colis est arrivé en retard.",
            sentiment="negative",
            lang="fr",
            score=9,
            source="gplay",
        )
        for i in range(4)
    ]
    docs.append(
        _analysed(
            "x1", "ok", sentiment="neutral", lang="cy", confidence=0.3, score=4, score_type="stars5"
        )
    )
    return docs


def test_costs_rank_by_negative_volume_and_strengths_stand_apart():
    report = build_report(_driver_docs(), refused=3)
    rows = {d["id"]: d for d in report["drivers"]}
    assert [d["id"] for d in report["drivers"]] == ["fraud", "slow_app", "staff"]
    assert rows["fraud"]["role"] == "cost" and rows["fraud"]["negative"] == 20
    # Its impact rests on 2 scored comments: shown, and marked as too few to trust.
    assert rows["fraud"]["scored"] == 2 and rows["fraud"]["low_n"]
    assert rows["slow_app"]["impact"] > rows["fraud"]["impact"]
    assert rows["staff"]["role"] == "strength" and rows["staff"]["positive"] == 15
    for row in rows.values():
        low, high = row["key_driver_ci"]
        assert row["ci_crosses_zero"] == (low <= 0 <= high)


def test_data_notes_and_root_cause_coverage():
    report = build_report(_driver_docs(), refused=3)
    notes = report["data_notes"]
    assert notes["refused"] == 3
    assert notes["ignored_scores"] == {"stars5": 1}
    assert notes["low_confidence_languages"] == {
        "cy": {"documents": 1, "mean_confidence": 0.3, "reason": "low confidence"}
    }
    coverage = report["coverage"]
    assert (coverage["negative"], coverage["with_root_cause"]) == (30, 26)
    by_language = {r["name"]: r for r in coverage["by_language"]}
    assert by_language["fr"]["share"] == 0.0 and by_language["en"]["share"] == 1.0
    by_source = {r["name"]: r for r in coverage["by_source"]}
    assert by_source["cfpb"]["share"] == 1.0 and by_source["gplay"]["share"] == 0.6


def test_page_explains_metrics_notes_data_and_hides_empty_columns():
    html = render_report_html(build_report(_driver_docs(), refused=3))
    assert "What hurts" in html and "Strengths" in html and "What the numbers mean" in html
    assert "3 row(s) refused" in html and "1 stars5" in html
    assert "low n" in html and "60.0%" in html  # gplay's coverage
    assert "revenue at risk" not in html  # no customer value anywhere: the column is gone
    with_value = _driver_docs()
    with_value[0]["metadata"]["customer_value"] = 500.0
    assert "revenue at risk" in render_report_html(build_report(with_value))


def test_coded_comments_csv_is_flat(tmp_path):
    from voc.report.export import write_coded

    docs = _driver_docs()[:2]
    docs[0]["root_causes"] = [
        {"id": "fraud", "label": "Fraud", "score": 0.6},
        {"id": "refund", "label": "Refund delay", "score": 0.9},
    ]
    docs[0]["touchpoints"] = [{"id": "billing", "label": "Billing"}]
    docs[0]["topic"] = {"id": 3, "label": "account taken over", "probability": 0.8}
    path = tmp_path / "coded.csv"
    write_coded(docs, path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert list(rows[0]) == [
        "id", "text", "source", "score", "score_type", "language", "sentiment",
        "sentiment_score", "top_cause", "causes", "touchpoints", "theme", "subtopic",
    ]  # fmt: skip
    first = rows[0]
    assert (first["top_cause"], first["causes"]) == ("Refund delay", "Refund delay;Fraud")
    assert (first["touchpoints"], first["theme"], first["source"]) == (
        "Billing",
        "account taken over",
        "cfpb",
    )
    assert rows[1]["score"] == "0" and rows[1]["theme"] == ""
    write_coded(docs, path, {3: "Account security"})  # a two-level topic model
    first = next(csv.DictReader(path.open(encoding="utf-8")))
    assert (first["theme"], first["subtopic"]) == ("Account security", "account taken over")
    with pytest.raises(ValueError, match=r"\.csv or \.xlsx"):
        write_coded(docs, tmp_path / "coded.json")


def test_plotly_is_inlined_once_and_the_page_stays_small(report):
    from plotly.offline import get_plotlyjs

    from voc.report.html import plotly_js

    html = render_report_html(report)
    version = re.search(r"plotly\.js \(cartesian - minified\) (v[\d.]+)", html).group(1)
    assert f"plotly.js {version}" in get_plotlyjs()[:400]  # the bundle matches plotly's figures
    assert html.count(plotly_js()) == 1 and html.count("Plotly.newPlot") == 1
    data = len(json.dumps(report, ensure_ascii=False))
    assert len(html.encode()) - data < 2_000_000


def test_segments_mark_significant_differences():
    docs = _driver_docs()
    for d in docs:  # every fraud complaint comes from the north; the rest is spread evenly
        d["metadata"]["segment"] = "north" if d["id"].startswith("f") else "south"
    for d in docs[20:26]:
        d["metadata"]["segment"] = "north"
    report = build_report(docs)
    table = report["segments"]
    assert table["segments"] == ["north", "south"] and table["sizes"] == [26, 20]
    fraud = next(r for r in table["rows"] if r["id"] == "fraud")
    north, south = fraud["cells"]
    assert north["significant"] and north["z"] > 1.96 and north["count"] == 20
    assert not south["significant"]  # below, but fewer than 5 comments
    staff = next(r for r in table["rows"] if r["id"] == "staff")
    assert staff["cells"][1]["significant"] and staff["cells"][1]["z"] > 0
    html = render_report_html(report)
    assert "Themes by segment" in html and "▲" in html
    assert build_report(_driver_docs())["segments"] is None


def test_emerging_themes_use_a_binomial_test_with_a_minimum_count():
    docs = []
    for day in range(1, 11):  # ten days of mostly staff praise, a little fraud
        for n in range(10):
            fraud = n == 0 and day % 3 == 0
            docs.append(
                _analysed(
                    f"d{day}-{n}",
                    "text",
                    sentiment="negative" if fraud else "positive",
                    causes=["fraud" if fraud else "staff"],
                    created_at=f"2026-11-{day:02d}T09:00:00Z",
                )
            )
    spike = [
        _analysed(f"s{n}", "text", sentiment="negative", causes=["fraud"],
                  created_at="2026-11-11T09:00:00Z")
        for n in range(6)
    ] + [
        _analysed(f"t{n}", "text", sentiment="positive", causes=["staff"],
                  created_at="2026-11-11T10:00:00Z")
        for n in range(4)
    ]  # fmt: skip
    emerging = build_report(docs + spike)["emerging"]
    assert "binomial" in emerging["test"]
    assert [(e["id"], e["period"], e["count"]) for e in emerging["themes"]] == [
        ("fraud", "2026-11-11", 6)
    ]
    assert emerging["themes"][0]["p_value"] < 0.01
    assert emerging["themes"][0]["baseline_share"] == 0.03
    # Four is below the minimum count: however unusual, not flagged.
    assert build_report(docs + spike[2:])["emerging"]["themes"] == []
    assert "Emerging in 2026-11-11" in render_report_html(build_report(docs + spike))


def test_top_level_themes_group_their_subtopics_on_the_page():
    from voc.nlp.topic_model import Topic, TopicModel

    subtopics = {0: "delivery", 1: "delivery", 2: "refunds", 3: "app"}
    labels = {0: "parcel arrived late", 1: "courier never came", 2: "refund pending", 3: "login"}
    model = TopicModel(
        version="topics@test",
        topics=tuple(Topic(i, labels[i], (), 1, (), theme=subtopics[i]) for i in sorted(subtopics)),
        mean=np.zeros(384, np.float32),
        language_means={},
        member_means=np.eye(4, 384, dtype=np.float32),
        min_similarity=0.0,
        temperature=1.0,
        next_id=4,
    )
    texts = {
        0: ["Parcel arrived a week late.", "Colis arrivé en retard.", "Paket telat seminggu."],
        1: ["The courier never came.", "Kurier tak datang langsung."],
        2: ["Refund still pending.", "Duit belum dipulangkan."],
        3: ["Cannot log in to the app."],
    }
    docs = []
    for topic_id, group in texts.items():
        for n, text in enumerate(group):
            doc = _analysed(f"{topic_id}-{n}", text, sentiment="negative")
            doc["topic"] = {"id": topic_id, "label": labels[topic_id], "probability": 0.9}
            docs.append(doc)
    docs[0]["topics"] = [docs[0]["topic"], {"id": 1, "label": labels[1], "probability": 0.5}]
    report = build_report(docs, topic_model=model)
    themes = {t["label"]: t for t in report["top_themes"]}
    assert [t["label"] for t in report["top_themes"]] == ["delivery", "refunds", "app"]
    assert [s["label"] for s in themes["delivery"]["subtopics"]] == [labels[0], labels[1]]
    assert themes["delivery"]["size"] == 5  # the comment in both subtopics counts once
    html = render_report_html(report)
    assert 'id="table-themes"' in html and "courier never came" in html
    flat = build_report([d | {"topics": [d["topic"]]} for d in docs])  # no model: one level
    assert flat["top_themes"] == [] and 'id="table-themes"' not in render_report_html(flat)
