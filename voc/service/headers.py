"""Security headers on every answer: no MIME sniffing anywhere; on HTML pages a
Content-Security-Policy that runs no script the page did not declare and fetches nothing,
and no framing (clickjacking)."""

from __future__ import annotations

from flask import Flask, Response

HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
"""Pages without scripts (`/docs`); the report sends its own policy (`html_response`)."""
NO_FRAMING = "frame-ancestors 'none'"
EVERY_ANSWER = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"))
"""Headers every answer carries, Flask's and those `voc.service.fast_paths` gives alone."""


def html_response(html: str, policy: str = HTML_POLICY) -> Response:
    """An HTML page under `policy`, framing refused."""
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = f"{policy}; {NO_FRAMING}"
    return response


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in EVERY_ANSWER:
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", f"{HTML_POLICY}; {NO_FRAMING}")
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response
