"""Which URLs may receive webhooks: parsed once, canonical hosts only, no private addresses.

Alert policy. A webhook URL is checked when a journey is stored (`voc.nlp.journey` is given
`webhook_url_problem`; no DNS: answers change) and again, with the addresses it resolves to,
by the sender just before it connects (`voc.alerts.sender`), which then connects to the
address it checked. Hosts must be written one unambiguous way:
a DNS name, a dotted-quad IPv4 or a bracketed IPv6 (checked as parsed, then connected to).
Percent-encoding, decimal, octal or hex IPv4 (`2130706433`, `0177.0.0.1`, `0x7f.1`), short
forms (`127.1`), a trailing dot and non-ASCII names are refused: other parsers (urllib,
libc, proxies) read them differently from this check.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

WEBHOOK_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")
LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOSTNAME = re.compile(rf"^({LABEL}\.)*[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$")
"""LDH labels; the last one starts with a letter, so a number is never read as a name."""
PRIVATE_HINT = "use a public host or set VOC_ALLOW_PRIVATE_WEBHOOKS=1"


class WebhookUrlError(ValueError):
    """Why a URL may not receive webhooks (the message completes "webhook_url ...")."""


@dataclass(frozen=True)
class WebhookTarget:
    """A checked webhook URL, in the parts the sender connects with."""

    scheme: str
    host: str
    """A lower-case DNS name, or an IP address (without brackets)."""
    port: int
    target: str
    """Path and query, as sent in the request line."""
    is_ip: bool


def parse_webhook_url(url: str, *, allow_private: bool) -> WebhookTarget:
    """The URL's parts, or `WebhookUrlError`. Names are not resolved here."""
    if "\\" in url or not url.isascii() or not url.isprintable():
        raise WebhookUrlError("must be printable ASCII without '\\' (write names in punycode)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise WebhookUrlError(f"is not a valid URL ({err})") from err
    if parts.scheme not in WEBHOOK_SCHEMES:
        raise WebhookUrlError(f"must use http or https, not {parts.scheme or 'no scheme'!r}")
    netloc = parts.netloc
    if "@" in netloc:
        raise WebhookUrlError("must not contain credentials; sign with the webhook secret instead")
    if "%" in netloc:
        raise WebhookUrlError("host must not be percent-encoded")
    host_text = netloc.rsplit(":", 1)[0] if parts.port is not None else netloc
    if host_text.endswith(":"):
        host_text = host_text[:-1]
    if not host_text:
        raise WebhookUrlError("has no host")
    host = host_text.lower()
    if host.startswith("["):
        is_ip = True
        try:
            address = ipaddress.IPv6Address(host[1:-1] if host.endswith("]") else "bad")
        except ValueError as err:
            raise WebhookUrlError(f"host {host!r} is not an IPv6 address") from err
        host = address.compressed  # the sender connects to what was checked
    elif IPV4.match(host):
        is_ip = True
    elif HOSTNAME.match(host):
        is_ip = False
    else:
        raise WebhookUrlError(
            f"host {host!r} is not a canonical host name or IP address (write IPv4 as four "
            "decimal numbers, names without a trailing dot, non-ASCII names in punycode)"
        )
    if not allow_private and (
        (is_ip and not address_is_public(host))
        or host == "localhost"
        or host.endswith(".localhost")
    ):
        raise WebhookUrlError(
            f"host {host!r} is a loopback, private or link-local address; {PRIVATE_HINT}"
        )
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return WebhookTarget(
        parts.scheme, host, port or DEFAULT_PORTS[parts.scheme], target, is_ip=is_ip
    )


def webhook_url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url` may not receive webhooks, or None when it may (names are not resolved)."""
    try:
        parse_webhook_url(url, allow_private=allow_private)
    except WebhookUrlError as err:
        return str(err)
    return None


def address_is_public(address: str) -> bool:
    """True only for global unicast addresses, looking through IPv6 forms that embed IPv4
    (mapped, compatible, 6to4, Teredo, NAT64)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if int(ip) >> 32 == 0 or ip in ipaddress.IPv6Network("64:ff9b::/96"):
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(v4 is not None and not _global(v4) for v4 in embedded):
            return False
    return _global(ip)


def _global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast
