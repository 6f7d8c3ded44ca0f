"""Where a webhook may send: HTTPS URLs of public addresses only.

Every attempt resolves the host again and refuses it when any address is private, loopback,
link-local, multicast, reserved or unspecified (the cloud metadata address 169.254.169.254
included), then connects to the address it checked, so a DNS answer that changes between the
check and the connection (DNS rebinding) cannot move the request inside. Redirects are not
followed. WEBHOOK_ALLOW_PRIVATE_TARGETS (tests, development) allows such addresses and http://.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class TargetRefused(Exception):
    """The URL is not one a webhook may send to (the message says why)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line


def parse(url: str) -> Target:
    """Check the URL's form (not its addresses): https (http only when private targets are
    allowed), a host, no user name or password, no fragment."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"Not a valid URL: {exc}.") from exc
    allowed = {"https", "http"} if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS else {"https"}
    if parts.scheme not in allowed:
        raise TargetRefused("The URL must start with https://.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host name.")
    if parts.username or parts.password:
        raise TargetRefused("The URL must not contain a user name or password.")
    if parts.fragment:
        raise TargetRefused("The URL must not contain a #fragment.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default, path)


def _refused_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for flag in ("is_loopback", "is_private", "is_link_local", "is_multicast", "is_reserved",
                 "is_unspecified"):  # fmt: skip
        if getattr(address, flag):
            return flag.removeprefix("is_").replace("_", "-")
    if not address.is_global:
        return "not-global"
    return None


def resolve(target: Target) -> str:
    """The address to connect to; raises TargetRefused for private and unresolvable hosts."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetRefused(f"{target.host} does not resolve ({exc}).") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise TargetRefused(f"{target.host} does not resolve.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for text in addresses:
            reason = _refused_reason(ipaddress.ip_address(text.split("%", 1)[0]))
            if reason:
                raise TargetRefused(f"{target.host} resolves to a {reason} address ({text}).")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def connection(target: Target, address: str, timeout: float) -> http.client.HTTPConnection:
    """A connection to `address` that speaks to `target.host` (Host header, TLS name)."""
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, address, timeout)
    return _PinnedHTTPConnection(target, address, timeout)
