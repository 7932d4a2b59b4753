"""The one error format: `{"error": {"code": ..., "message": ...}}`, for every status code."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: ("BadRequest", "the request is malformed"),
    404: ("NotFound", "no such resource; see GET /openapi.json for the endpoints"),
    405: ("MethodNotAllowed", "this method is not allowed here; see GET /openapi.json"),
    413: ("RequestTooLarge", "the request body is too large; see GET /v1/limits"),
    415: ("UnsupportedMediaType", "send the body as application/json"),
    429: ("Overloaded", "the service is busy; retry after the number of seconds in Retry-After"),
    500: ("InternalError", "the service failed on this request; it has been logged"),
    503: ("NotReady", "the service is starting or a dependency is down; retry shortly"),
}


class ApiError(Exception):
    """Raised by handlers; rendered in the one error format."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError) -> Response:
        return error_response(err.status, err.code, err.message, err.headers)

    @app.errorhandler(HTTPException)
    def handle_http_error(err: HTTPException) -> Response:
        status = err.code or 500
        code, message = HTTP_CODES.get(status, ("HttpError", err.description or "HTTP error"))
        if status == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            message = f"the request body exceeds {limit} bytes; split it or use POST /v1/jobs"
        headers = {}
        if isinstance(err, MethodNotAllowed) and err.valid_methods:  # RFC 9110: 405 has Allow
            headers["Allow"] = ", ".join(sorted(err.valid_methods))
        return error_response(status, code, message, headers)

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception) -> Response:
        log.exception("request.failed", extra={"error_type": type(err).__name__})
        code, message = HTTP_CODES[500]
        return error_response(500, code, message)
