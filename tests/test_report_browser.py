"""The report page in a real headless browser (Debian's chromium driven by Playwright).

The page must load without console errors, every chart must draw an SVG, and the language,
touchpoint and theme filters must change which comments are listed. Resizing the window keeps
every chart's height; the comment list pages and searches; a table downloads as CSV.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from report_samples import analysed_documents

from voc.report.builder import build_report
from voc.report.html import render_report_html

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def analysed(analyzer):
    return analysed_documents(analyzer)


@pytest.fixture(scope="module")
def page_file(analysed, tmp_path_factory):
    documents, model, notes = analysed
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report_html(build_report(documents, topic_model=model, notes=notes)))
    return path


@pytest.fixture(scope="module")
def long_page_file(analysed, tmp_path_factory):
    """Three copies of every document (distinct ids): 117 comments, three pages of 50."""
    documents, model, notes = analysed
    copies = [{**d, "id": f"{d['id']}-{n}"} for n in range(3) for d in documents]
    path = tmp_path_factory.mktemp("report") / "long.html"
    path.write_text(render_report_html(build_report(copies, topic_model=model, notes=notes)))
    return path


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: `apt-get install -y chromium` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def test_page_loads_charts_render_and_filters_work(browser, page_file):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_selector("#chart-trend .main-svg")
    for chart in ("sentiment", "scores", "topic_map", "drivers", "heatmap", "trend"):
        assert page.locator(f"#chart-{chart} svg.main-svg").count() >= 1, chart
    assert page.locator("mark.root_cause").count() >= 1
    everyone = page.locator("#comment-list .comment").count()
    assert everyone == 39

    page.select_option("#filter-language", "fr")
    languages = page.locator("#comment-list .comment").evaluate_all(
        "rows => rows.map(r => r.dataset.language)"
    )
    assert languages and set(languages) == {"fr"}

    page.select_option("#filter-language", "")
    page.select_option("#filter-touchpoint", "billing")
    touchpoints = page.locator("#comment-list .comment").evaluate_all(
        "rows => rows.map(r => r.dataset.touchpoints)"
    )
    assert touchpoints and all("billing" in t for t in touchpoints)
    assert len(touchpoints) < everyone

    page.select_option("#filter-touchpoint", "")
    page.locator("#drivers a.drill").first.click()
    assert 0 < page.locator("#comment-list .comment").count() < everyone
    assert errors == []
    page.close()


CHARTS = ("sentiment", "scores", "topic_map", "drivers", "heatmap", "trend")


def _heights(page) -> dict[str, float]:
    return {
        name: page.locator(f"#chart-{name}").evaluate("el => el.getBoundingClientRect().height")
        for name in CHARTS
    }


def test_charts_keep_their_height_when_the_window_is_resized(browser, page_file):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(page_file.as_uri())
    page.wait_for_selector("#chart-trend .main-svg")
    before = _heights(page)
    assert min(before.values()) >= 200  # the smallest: a heat map of three topics
    for width, height in ((900, 700), (1600, 1000), (1440, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)  # Plotly's responsive resize runs on the resize event
        assert _heights(page) == pytest.approx(before, abs=2), (width, height)
        svg = page.locator("#chart-drivers svg.main-svg").first.bounding_box()
        assert svg["width"] <= width and svg["height"] >= 300
    # The heat map ends before the drivers' table starts.
    heat = page.locator("#chart-heatmap").bounding_box()
    assert heat["y"] + heat["height"] <= page.locator("#drivers").bounding_box()["y"]
    page.close()


def test_comment_list_pages_and_searches(browser, long_page_file):
    page = browser.new_page()
    page.goto(long_page_file.as_uri())
    comments = page.locator("#comment-list .comment")
    assert comments.count() == 50
    assert page.locator("#comment-page").text_content() == "page 1 of 3"
    assert page.locator("#comment-prev").is_disabled()
    first = comments.first.text_content()
    page.click("#comment-next")
    page.click("#comment-next")
    assert comments.count() == 17 and page.locator("#comment-next").is_disabled()
    assert comments.first.text_content() != first
    page.fill("#comment-search", "retard")
    found = comments.all_text_contents()
    assert found and all("retard" in t.lower() for t in found)
    assert page.locator("#comment-page").text_content() == "page 1 of 1"
    page.fill("#comment-search", "")
    assert comments.count() == 50
    page.close()


def test_a_table_downloads_as_csv(browser, page_file, tmp_path):
    import csv

    page = browser.new_page(accept_downloads=True)
    page.goto(page_file.as_uri())
    rows = page.locator("#table-topics tr").count()
    with page.expect_download() as download:
        page.locator("#topics button.csv").click()
    assert download.value.suggested_filename == "topics.csv"
    path = tmp_path / "topics.csv"
    download.value.save_as(path)
    table = list(csv.reader(path.open(encoding="utf-8-sig")))
    assert table[0][:3] == ["topic", "keywords", "comments"]
    assert len(table) == rows
    assert page.locator("button.csv").count() == page.locator("main table").count()
    page.close()


def test_the_period_change_table_sorts_by_a_clicked_column(browser, page_file):
    page = browser.new_page()
    page.goto(page_file.as_uri())
    table = page.locator("#table-period-change")
    assert table.locator("tr").count() >= 3  # a header and at least two themes
    header = table.locator("th", has_text="change (pp)")
    column = 6  # theme, kind, then comments and share of the two periods

    def changes() -> list[float]:
        cells = table.locator(f"tr td:nth-child({column + 1})").all_text_contents()
        return [float(c) for c in cells]

    header.click()
    assert changes() == sorted(changes(), reverse=True)
    header.click()
    assert changes() == sorted(changes())
    page.close()
