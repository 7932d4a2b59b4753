"""Webhooks never reach loopback, private or link-local addresses, however the URL spells them.

A canary listener on 127.0.0.1 must receive nothing: not when the URL is stored, not when an
alert is delivered.
"""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from voc.alerts import sender
from voc.alerts.webhooks import webhook_url_problem


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.server.received.append(self.path)
        location = getattr(self.server, "redirect_to", None)
        self.send_response(302 if location else 204)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _listener(redirect_to: str | None = None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.received = []
    server.redirect_to = redirect_to
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def canary():
    server = _listener()
    yield server
    server.shutdown()
    assert server.received == [], "the canary received a webhook"


def hostile_urls(port: int) -> list[str]:
    p = port
    return [
        f"http://%31%32%37.0.0.1:{p}/x",
        "http://%31%36%39.254.169.254/latest/meta-data",
        f"http://127.0.0.1:{p}/x",
        f"http://2130706433:{p}/x",
        f"http://0177.0.0.1:{p}/x",
        f"http://0x7f.0.0.1:{p}/x",
        f"http://0x7f000001:{p}/x",
        f"http://127.1:{p}/x",
        f"http://127.0.0.1.:{p}/x",
        f"http://localhost:{p}/x",
        f"http://LOCALHOST:{p}/x",
        f"http://localhost.:{p}/x",
        f"http://api.localhost:{p}/x",
        f"http://[::1]:{p}/x",
        f"http://[0:0:0:0:0:0:0:1]:{p}/x",
        f"http://[::ffff:127.0.0.1]:{p}/x",
        f"http://[::ffff:7f00:1]:{p}/x",
        f"http://[::127.0.0.1]:{p}/x",
        f"http://[2002:7f00:1::]:{p}/x",
        f"http://[64:ff9b::7f00:1]:{p}/x",
        f"http://[fe80::1%25eth0]:{p}/x",
        f"http://[::ffff:a9fe:a9fe]:{p}/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/x",
        "http://172.16.0.1/x",
        "http://192.168.1.1/x",
        "http://100.64.0.1/x",
        f"http://0.0.0.0:{p}/x",
        f"http://0:{p}/x",
        f"http://user@127.0.0.1:{p}/x",
        f"http://example.com@127.0.0.1:{p}/x",
        f"http://127.0.0.1:{p}\\@example.com/x",
        f"http://１２７.0.0.1:{p}/x",
        f"http://127.0.0.1%00.example.com:{p}/x",
        f"http://127.0.0.1\t:{p}/x",
    ]


def test_every_spelling_of_a_private_host_is_refused_at_storage(client, canary):
    urls = hostile_urls(canary.server_address[1])
    for url in urls:
        journey = {
            "id": "ssrf",
            "touchpoints": [
                {"id": "order", "label": "Order", "owner": {"name": "Ops", "webhook_url": url}}
            ],
        }
        response = client.put("/v1/journeys/ssrf", json=journey)
        assert response.status_code == 400, url
        assert "webhook_url" in response.get_json()["error"]["message"]


def test_every_spelling_of_a_private_host_is_refused_at_delivery(canary):
    port = canary.server_address[1]
    urls = hostile_urls(port)
    name = socket.gethostname().lower()
    if all(a[4][0].startswith("127.") for a in socket.getaddrinfo(name, port)):
        urls.append(f"http://{name}:{port}/x")  # a plain name that resolves to loopback
    for url in urls:
        error = sender.post(url, b"{}", {}, allow_private=False, timeout=2)
        assert error is not None and error.startswith("webhook_url "), (url, error)


def test_redirects_are_not_followed(canary):
    port = canary.server_address[1]
    redirector = _listener(redirect_to=f"http://127.0.0.1:{port}/stolen")
    try:
        url = f"http://127.0.0.1:{redirector.server_address[1]}/hook"
        error = sender.post(url, b"{}", {}, allow_private=True, timeout=2)
    finally:
        redirector.shutdown()
    assert redirector.received == ["/hook"]
    assert "302" in error and "redirects are not followed" in error


def test_private_opt_in_and_public_hosts_still_work(canary):
    receiver = _listener()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook?a=%20b"
        assert sender.post(url, b"{}", {}, allow_private=True, timeout=2) is None
    finally:
        receiver.shutdown()
    assert receiver.received == ["/hook?a=%20b"]
    for url in (
        "https://hooks.example.com/T0/B1?x=1",
        "http://8.8.8.8/x",
        "https://[2606:4700::1]/",
    ):
        assert webhook_url_problem(url, allow_private=False) is None, url
