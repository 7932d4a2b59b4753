"""Period-over-period change on real analysed comments (en/fr/id/ms): late deliveries surge on
the last day while double charges hold steady; one day alone has no change to show."""

from __future__ import annotations

import pytest

from voc.report.builder import build_report, emerging_root_causes
from voc.report.html import render_report_html
from voc.report.prepare import analyse_rows

PRAISE = [
    ("Great service, thank you so much!", "en"),
    ("Très bon service, merci beaucoup.", "fr"),
    ("Pelayanan bagus, terima kasih banyak.", "id"),
    ("Perkhidmatan sangat baik, terima kasih.", "ms"),
]
# Clear complaints: this tests the periods, not the gate. "On m'a facturé deux fois la même
# commande." is near the complaint gate (P(negative) 0.45-0.50 with sentiment@7065775a, by its
# batch neighbours), so it got its cause on some days and not others.
CHARGED_TWICE = [
    ("I was charged twice for the same order.", "en"),
    ("On m'a débité deux fois pour la même commande.", "fr"),
    ("Saya ditagih dua kali untuk pesanan yang sama.", "id"),
    ("Saya dicaj dua kali untuk pesanan yang sama.", "ms"),
]
LATE = [
    ("My parcel arrived two weeks late.", "en"),
    ("Ma commande est arrivée avec dix jours de retard.", "fr"),
    ("Paket saya telat dua minggu, kecewa.", "id"),
    ("Pesanan saya lewat sampai, sudah seminggu menunggu.", "ms"),
    ("The delivery was a week late, still annoyed.", "en"),
    ("Ma livraison a eu une semaine de retard.", "fr"),
    ("Kiriman saya terlambat seminggu.", "id"),
    ("The courier was late again, my order came days after the promised date.", "en"),
]


def _rows(day: int, texts: list[tuple[str, str]], prefix: str) -> list[dict]:
    return [
        {
            "id": f"{prefix}-{day}-{n}",
            "text": text,
            "language": lang,
            "metadata": {"created_at": f"2026-11-{day:02d}T09:{n:02d}:00Z"},
        }
        for n, (text, lang) in enumerate(texts)
    ]


@pytest.fixture(scope="module")
def documents(analyzer) -> list[dict]:
    """Three days of 15 comments: four double charges each day; one late delivery on the
    first day, none on the second, eight on the last (of which the analyser must find six: two
    are flat statements near its complaint gate, and a 0-of-15 to 6-of-15 change is
    significant where 1-of-15 to 6-of-15 is not)."""
    rows = []
    for day, late in ((3, LATE[:1]), (4, []), (5, LATE)):
        praise = (PRAISE * 3)[: 15 - len(CHARGED_TWICE) - len(late)]
        rows += _rows(day, CHARGED_TWICE, "bill") + _rows(day, late, "late")
        rows += _rows(day, praise, "praise")
    return analyse_rows(analyzer, rows)


def _causes(documents: list[dict], day: int) -> list[str]:
    return [
        c["id"]
        for d in documents
        if d["metadata"]["created_at"].startswith(f"2026-11-{day:02d}")
        for c in d.get("root_causes") or []
    ]


def test_a_surging_cause_is_a_significant_change_and_a_steady_one_is_not(
    documents, validate_schema
):
    assert _causes(documents, 4).count("billing_error") == 4
    assert _causes(documents, 5).count("billing_error") == 4
    late_now = _causes(documents, 5).count("late_delivery")
    assert late_now >= 6  # the analyser finds the surge it is meant to find

    report = build_report(documents)
    validate_schema("Report", report)
    change = report["period_change"]
    assert (change["period"], change["previous"], change["last"]) == (
        "day",
        "2026-11-04",
        "2026-11-05",
    )  # the last day against the day before, not against every earlier day
    assert (change["previous_comments"], change["last_comments"], change["note"]) == (15, 15, None)
    assert "Fisher" in change["test"]
    rows = {(r["kind"], r["id"]): r for r in change["rows"]}
    late = rows[("root_cause", "late_delivery")]
    assert (late["previous_count"], late["count"]) == (0, late_now)
    assert late["change_pp"] == round(100 * late_now / 15, 1) and late["change_pp"] > 30
    assert late["significant"] and late["p_value"] < 0.05
    billing = rows[("root_cause", "billing_error")]
    assert (billing["previous_count"], billing["count"], billing["change_pp"]) == (4, 4, 0.0)
    assert not billing["significant"] and billing["p_value"] == 1.0
    assert change["rows"][0] is late  # significant changes first

    html = render_report_html(report)
    assert 'id="table-period-change"' in html and "change (pp)" in html
    assert "Change per day: 2026-11-05 against 2026-11-04" in html


def test_one_day_alone_says_so_and_shows_no_table(documents):
    last_day = [d for d in documents if d["metadata"]["created_at"].startswith("2026-11-05")]
    change = build_report(last_day)["period_change"]
    assert change["rows"] == [] and change["previous"] is None
    assert change["note"] == (
        "Every dated comment falls in one day (2026-11-05): no earlier period to compare with."
    )
    html = render_report_html(build_report(last_day))
    assert change["note"] in html and 'id="table-period-change"' not in html
    undated = [{**d, "metadata": {}} for d in last_day]
    assert "No comment carries a date" in build_report(undated)["period_change"]["note"]


def test_emerging_causes_at_completion_match_the_reports(documents):
    """What a job tests when it completes (root causes only, no topics) is what its report
    flags: same causes, periods, counts and p-values."""
    report = build_report(documents)
    flagged = [t for t in report["emerging"]["themes"] if t["kind"] == "root_cause"]
    assert [t["id"] for t in flagged] == ["late_delivery"]
    assert emerging_root_causes(documents) == flagged
