"""Deliver one webhook POST to the address that was checked, never to another.

The URL is parsed once (`parse_webhook_url`), its name resolved once, every resolved address
checked (any private one refuses the delivery: fail closed), and the connection is made to
that checked address, with the name kept for `Host` and TLS (SNI, certificate). So a DNS
answer that changes between check and connect (rebinding) cannot redirect the POST, and
redirects are never followed.
"""

from __future__ import annotations

import http.client
import socket
import ssl

from voc.alerts.webhooks import (
    PRIVATE_HINT,
    WebhookTarget,
    WebhookUrlError,
    address_is_public,
    parse_webhook_url,
)

MAX_ERROR_CHARS = 500


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: WebhookTarget, address: str, timeout: float) -> None:
        super().__init__(_http_host(target), target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: WebhookTarget, address: str, timeout: float) -> None:
        super().__init__(
            _http_host(target), target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _http_host(target: WebhookTarget) -> str:
    """http.client reads an unbracketed IPv6 address as host:port."""
    return f"[{target.host}]" if ":" in target.host else target.host


def resolve(target: WebhookTarget, *, allow_private: bool) -> str:
    """The one address to connect to; `WebhookUrlError` when the name does not resolve or any
    of its addresses is private (unless allowed)."""
    if target.is_ip:
        return target.host
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError as err:
        raise WebhookUrlError(f"host {target.host!r} does not resolve ({err})") from err
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise WebhookUrlError(f"host {target.host!r} has no address")
    if not allow_private and not all(address_is_public(a) for a in addresses):
        raise WebhookUrlError(
            f"host {target.host!r} resolves to a loopback, private or link-local address; "
            f"{PRIVATE_HINT}"
        )
    return addresses[0]


def post(
    url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, timeout: float
) -> str | None:
    """POST `body` once; None on a 2xx answer, else why it failed (for the alert's record)."""
    try:
        target = parse_webhook_url(url, allow_private=allow_private)
        address = resolve(target, allow_private=allow_private)
    except WebhookUrlError as err:
        return f"webhook_url {err}"[:MAX_ERROR_CHARS]
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, address, timeout)
    try:
        connection.request("POST", target.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
    except (OSError, http.client.HTTPException) as err:
        return f"{type(err).__name__}: {err}"[:MAX_ERROR_CHARS]
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return None
    if 300 <= response.status < 400:
        return f"HTTP {response.status} {response.reason} (redirects are not followed)"[
            :MAX_ERROR_CHARS
        ]
    return f"HTTP {response.status} {response.reason}"[:MAX_ERROR_CHARS]
