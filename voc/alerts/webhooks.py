"""Where alert webhooks may go: http/https only, no credentials in the URL, and no loopback,
private or link-local address unless the deployment allows it (`Settings.allow_private_webhooks`),
so a journey cannot turn voc into a proxy onto its own network.

Checked twice: when a journey arrives (`voc.nlp.journey.parse_journey` is given this policy by
the service) and, with names resolved, just before each delivery.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

WEBHOOK_SCHEMES = ("http", "https")


def webhook_url_problem(url: str, *, allow_private: bool, resolve: bool = False) -> str | None:
    """Why `url` may not receive webhooks, or None when it may.

    Validation does not resolve names (DNS answers change and may be unreachable here); the
    sender calls this again with `resolve=True` just before delivering.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as err:
        return f"is not a valid URL ({err})"
    if parts.scheme not in WEBHOOK_SCHEMES:
        return f"must use http or https, not {parts.scheme or 'no scheme'!r}"
    if not host:
        return "has no host"
    if parts.username or parts.password:
        return "must not contain credentials; sign with the webhook secret instead"
    if not allow_private and host_is_private(host, resolve=resolve):
        return (
            f"host {host!r} is a loopback, private or link-local address; use a public host "
            "or set VOC_ALLOW_PRIVATE_WEBHOOKS=1"
        )
    return None


def host_is_private(host: str, *, resolve: bool = False) -> bool:
    """True for localhost names and for non-global IP addresses (resolved when asked)."""
    host = host.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    addresses = [host]
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not resolve:
            return False
        try:
            addresses = [info[4][0] for info in socket.getaddrinfo(host, None)]
        except OSError:
            return False
    return any(not _is_global(address) for address in addresses)


def _is_global(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
