"""The analyst's report: drivers (which themes cost the most), the report data, its HTML page.

builder.py `build_report(documents) -> dict` (report.json), drivers.py, prepare.py (raw or
analysed JSONL -> analysed documents with topics), html.py `render_report_html(report)`.
"""
