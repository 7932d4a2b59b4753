"""The report data, drivers and HTML on real analysed documents (and hand-checked drivers)."""

from __future__ import annotations

import json

import pytest
from report_samples import analysed_documents

from voc.report.builder import build_report
from voc.report.drivers import ScoredDoc, Theme, driver_table, headline_metric
from voc.report.html import render_report_html


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
