"""The report page in a real headless browser (Debian's chromium driven by Playwright).

The page must load without console errors, every chart must draw an SVG, and the language,
touchpoint and theme filters must change which comments are listed.
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
def page_file(analyzer, tmp_path_factory):
    documents, model, notes = analysed_documents(analyzer)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report_html(build_report(documents, topic_model=model, notes=notes)))
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
