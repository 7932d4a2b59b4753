"""`render_report_html(report) -> str`: one self-contained page (Plotly inlined, no network).

Charts are Plotly figures built here from the report dict and drawn by plotly.js in the page:
one inline copy of plotly.js's cartesian bundle (`static/plotly-cartesian.min.js`, 1.5 MB,
bar/scatter/heatmap; the same plotly.js version as the `plotly` package's full 4.8 MB bundle)
serves every chart. Crowded scatters label only their `LABELLED` largest points; every point's
hover names its size, sentiment and keywords.
the comments list, its language/touchpoint/theme filters and the evidence highlighting are a
small script in the template that reads the same dict embedded as JSON.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from html import escape
from importlib import resources
from typing import Any

SENTIMENT_COLOURS = {
    "negative": "#d62728",
    "neutral": "#7f7f7f",
    "positive": "#2ca02c",
    "mixed": "#ff7f0e",
}


LABELLED = 10
PLOTLY_BUNDLE = "plotly-cartesian.min.js"
APP_SCRIPT = "report.js"
"""The page's own script (filters, comment list), inlined and allowed by its hash."""


@cache
def plotly_js() -> str:
    return resources.files("voc.report").joinpath("static", PLOTLY_BUNDLE).read_text("utf-8")


def _top_labels(labels: list[str], weights: list[float]) -> list[str]:
    """Labels of the `LABELLED` heaviest points, "" for the rest (their hover still names them)."""
    keep = set(sorted(range(len(weights)), key=lambda i: -weights[i])[:LABELLED])
    return [label if i in keep else "" for i, label in enumerate(labels)]


def _sentiment_line(sentiment: dict[str, int]) -> str:
    total = sum(sentiment.values()) or 1
    return ", ".join(f"{100 * n / total:.0f}% {s}" for s, n in sentiment.items() if n)


@cache
def _template():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("voc.report", "templates"), autoescape=select_autoescape(["html"])
    )
    return env.get_template("report.html")


def _figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    import plotly.graph_objects as go

    figure = go.Figure(
        data=data, layout={"margin": {"t": 40, "l": 50, "r": 20, "b": 50}, "height": 360, **layout}
    )
    return json.loads(figure.to_json())


def _charts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    import plotly.graph_objects as go

    summary = report["summary"]
    charts: dict[str, dict[str, Any]] = {}
    sentiment = summary["sentiment"]
    charts["sentiment"] = _figure(
        [
            go.Bar(
                x=list(sentiment),
                y=list(sentiment.values()),
                marker_color=[SENTIMENT_COLOURS[s] for s in sentiment],
            )
        ],
        {"title": {"text": "Sentiment"}},
    )
    if summary["score_distribution"]:
        dist = summary["score_distribution"]
        charts["scores"] = _figure(
            [go.Bar(x=list(dist), y=list(dist.values()), marker_color="#1f77b4")],
            {
                "title": {"text": f"Score distribution ({summary['score_type']})"},
                "xaxis": {"type": "category"},
            },
        )
    if report["topic_map"]:
        points = report["topic_map"]
        top = max(p["size"] for p in points) or 1
        topics = {t["id"]: t for t in report["topics"]}
        charts["topic_map"] = _figure(
            [
                go.Scatter(
                    x=[p["x"] for p in points],
                    y=[p["y"] for p in points],
                    mode="markers+text",
                    text=_top_labels([p["label"] for p in points], [p["size"] for p in points]),
                    hovertext=[_topic_hover(p, topics.get(p["id"])) for p in points],
                    hoverinfo="text",
                    textposition="top center",
                    customdata=[p["id"] for p in points],
                    marker={
                        "size": [12 + 40 * (p["size"] / top) ** 0.5 for p in points],
                        "opacity": 0.6,
                    },
                )
            ],
            {
                "title": {"text": "Topic map (closer = more similar)"},
                "xaxis": {"visible": False},
                "yaxis": {"visible": False},
                "height": 460,
            },
        )
    heat = report["heatmap"]
    if heat["topics"] and heat["touchpoints"]:
        charts["heatmap"] = _figure(
            [
                go.Heatmap(
                    z=heat["counts"], x=heat["touchpoints"], y=heat["topics"], colorscale="Reds"
                )
            ],
            {
                "title": {"text": "Topics x touchpoints (comments)"},
                "height": 160 + 24 * len(heat["topics"]),
                "margin": {"l": 220, "t": 40},
            },
        )
    drivers = [d for d in report["drivers"] if d["volume"]]
    if drivers:
        scored = "impact" in drivers[0]
        charts["drivers"] = _figure(
            [
                go.Scatter(
                    x=[d["volume"] for d in drivers],
                    y=[d["impact"] if scored else d["negativity"] for d in drivers],
                    mode="markers+text",
                    text=_top_labels(
                        [d["label"] for d in drivers], [d["negative"] for d in drivers]
                    ),
                    hovertext=[_driver_hover(d) for d in drivers],
                    hoverinfo="text",
                    textposition="top center",
                    customdata=[f"{d['kind']}:{d['id']}" for d in drivers],
                    marker={
                        "color": [
                            "#1f77b4" if d["kind"] == "topic" else "#9467bd" for d in drivers
                        ],
                        "size": 12,
                    },
                )
            ],
            {
                "title": {
                    "text": "Drivers: impact vs volume"
                    if scored
                    else "Drivers (no scores): negativity vs volume"
                },
                "xaxis": {"title": {"text": "comments"}},
                "yaxis": {
                    "title": {
                        "text": f"{drivers[0].get('metric', '')} points gained "
                        "without its detractors"
                        if scored
                        else "share negative"
                    }
                },
            },
        )
    trend = report["trend"]
    if trend["periods"]:
        labels = {str(t["id"]): t["label"] for t in report["topics"]}
        data = [
            go.Bar(x=trend["periods"], y=trend["volume"], name="comments", marker_color="#c7c7c7")
        ]
        data += [
            go.Scatter(x=trend["periods"], y=counts, name=labels.get(t, t), mode="lines")
            for t, counts in trend["topics"].items()
        ]
        data.append(
            go.Scatter(
                x=trend["periods"],
                y=trend["negative_share"],
                yaxis="y2",
                name="share negative",
                line={"dash": "dot", "color": "#d62728"},
            )
        )
        charts["trend"] = _figure(
            data,
            {
                "title": {"text": f"Trend per {trend['period']}"},
                "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 1]},
                "legend": {"orientation": "h"},
                "height": 420,
            },
        )
    return charts


def _topic_hover(point: dict[str, Any], topic: dict[str, Any] | None) -> str:
    lines = [f"<b>{escape(point['label'])}</b>", f"{point['size']} comments"]
    if topic:
        lines.append(_sentiment_line(topic["sentiment"]))
        if topic["keywords"]:
            lines.append("keywords: " + escape(", ".join(topic["keywords"][:6])))
    return "<br>".join(lines)


def _driver_hover(d: dict[str, Any]) -> str:
    lines = [
        f"<b>{escape(d['label'])}</b> ({d['kind'].replace('_', ' ')}, {d['role']})",
        f"{d['volume']} comments: {d['negative']} negative, {d['positive']} positive",
    ]
    if "impact" in d:
        lines.append(f"impact {d['impact']:+.2f} ({d['scored']} scored)")
    return "<br>".join(lines)


def render_report_html(report: dict[str, Any]) -> str:
    """The whole page as one string: data, charts and plotly.js (once) inlined."""
    return _template().render(
        report=report,
        data_json=script_json(report),
        charts_json=script_json(_charts(report)),
        plotly_js=plotly_js(),
        app_js=_app_js(),
        csp=report_csp(),
    )


def script_json(value: Any) -> str:
    """JSON safe inside a `<script>` element: every `<`, `>` and `&` escaped (a comment
    holding `<!--<script>` or `</script>` cannot end or reparse the element), line
    separators escaped, and NaN/Infinity refused (they are not JSON)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return text.translate(_SCRIPT_ESCAPES)


_SCRIPT_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@cache
def _app_js() -> str:
    return resources.files("voc.report").joinpath("static", APP_SCRIPT).read_text("utf-8")


@cache
def report_csp() -> str:
    """The page's Content-Security-Policy: only its own two inline scripts run (by hash), and
    nothing is fetched from anywhere. `frame-ancestors` is added by the service's header."""
    hashes = " ".join(f"'sha256-{_sha256(js)}'" for js in (plotly_js(), _app_js()))
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'"
    )


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
