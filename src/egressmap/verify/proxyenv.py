"""Which proxy a tool on the node would use for a destination: ``--proxy``, else the proxy variables.

The rules are curl's, which most node tools (curl, pip, dnf, the AWS CLI) follow closely:
``http_proxy`` (lower case only) for http, ``https_proxy``/``HTTPS_PROXY`` for https, ``all_proxy``/``ALL_PROXY``
as a fallback, and ``no_proxy``/``NO_PROXY`` exempting names by suffix, IPs by address or CIDR, and
everything with ``*``. Non-HTTP protocols never use the proxy.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError
from ..hostnames import is_ip, normalize_host
from .interface import Target

__all__ = ["Proxy", "ProxyChoice", "bypassed", "parse_proxy"]


@dataclass(frozen=True)
class Proxy:
    """An HTTP proxy: where it listens and the credentials to send."""

    host: str
    port: int
    authorization: str | None = None
    """A ``Proxy-Authorization`` value, when the URL carries credentials."""

    @property
    def url(self) -> str:
        """``http://host:port`` (credentials never shown)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def parse_proxy(url: str, origin: str = "--proxy") -> Proxy:
    """Parse a proxy URL the way curl does (scheme optional, port 1080 when missing, http only).

    >>> parse_proxy("http://user:p%40ss@proxy.example:3128").url
    'http://proxy.example:3128'
    >>> parse_proxy("10.0.0.5").port
    1080
    """
    raw = url.strip()
    parts = urlsplit(raw if "://" in raw else f"http://{raw}")
    try:
        if parts.scheme.lower() != "http":
            raise ValueError(f"scheme {parts.scheme!r} not supported (only http:// proxies)")
        if not parts.hostname:
            raise ValueError("no host")
        host = normalize_host(parts.hostname)
        port = parts.port or 1080
    except ValueError as exc:
        raise ConfigError(f"{origin} {raw[:80]!r}: {exc}") from None
    auth = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        auth = "Basic " + base64.b64encode(pair).decode("ascii")
    return Proxy(host, port, auth)


def bypassed(host: str, no_proxy: str) -> bool:
    """True when ``no_proxy`` exempts ``host`` (canonical form) from the proxy.

    >>> bypassed("s3.us-east-1.amazonaws.com", ".amazonaws.com,169.254.169.254")
    True
    >>> bypassed("notamazonaws.com", "amazonaws.com"), bypassed("10.1.2.3", "10.0.0.0/8")
    (False, True)
    """
    for raw in no_proxy.replace(" ", ",").split(","):
        item = raw.strip().lower()
        if not item:
            continue
        if item == "*":
            return True
        if is_ip(host):
            if _ip_matches(host, item):
                return True
            continue
        item = item.removeprefix("*").removeprefix(".").rstrip(".")
        if item and (host == item or host.endswith("." + item)):
            return True
    return False


def _ip_matches(host: str, item: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(item.strip("[]"), strict=False)
    except ValueError:
        return False


class ProxyChoice:
    """Picks the proxy (or none) for each target, once per run."""

    def __init__(self, explicit: str | None, environ: Mapping[str, str], *, use_env: bool = True) -> None:
        """``explicit`` is ``--proxy``; ``environ`` the process environment (read only when ``use_env``)."""
        env = environ if use_env else {}
        self.no_proxy = env.get("no_proxy") or env.get("NO_PROXY") or ""
        fallback = env.get("all_proxy") or env.get("ALL_PROXY")
        if explicit:
            proxy = parse_proxy(explicit)
            self.by_scheme: dict[str, Proxy | None] = {"http": proxy, "https": proxy}
            return
        self.by_scheme = {}
        for scheme, names in (("http", ("http_proxy",)), ("https", ("https_proxy", "HTTPS_PROXY"))):
            name = next((n for n in names if env.get(n)), None)
            value = env.get(name) if name else fallback
            self.by_scheme[scheme] = parse_proxy(value, f"${name or 'all_proxy'}") if value else None

    def for_target(self, target: Target) -> Proxy | None:
        """The proxy this target goes through, or None for a direct connection."""
        if target.protocol == "tcp":
            return None
        proxy = self.by_scheme.get(target.protocol)
        if proxy is None or bypassed(target.host, self.no_proxy):
            return None
        return proxy
