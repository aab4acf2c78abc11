"""Which connection pool a URL goes through: direct, or through an HTTP proxy (``--proxy``, the variables).

The proxy is chosen per URL, and again for each redirect, by :class:`~egressmap.verify.proxyenv.ProxyChoice`
(the same rules ``egressmap verify`` follows: ``https_proxy``/``HTTPS_PROXY``, ``http_proxy``, ``all_proxy``,
``no_proxy`` by name suffix, IP or CIDR). An https URL goes through a ``CONNECT`` tunnel, so TLS is still
end to end and ``--ca-file`` still verifies the origin's certificate; an http URL is sent to the proxy in
absolute form. urllib3's ``ProxyManager`` does both (urllib3 "Advanced Usage", section "Proxies":
https://urllib3.readthedocs.io/en/stable/advanced-usage.html).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, MaxRetryError, NewConnectionError, ProxyError

from ..hostnames import normalize_host
from ..verify.interface import Target
from ..verify.proxyenv import Proxy, ProxyChoice

__all__ = ["Routes", "proxy_problem"]


class Routes:
    """A direct pool and one pool per proxy in use, all built with the same settings."""

    def __init__(self, proxies: ProxyChoice | None, **settings: Any) -> None:
        """``settings`` are urllib3 ``PoolManager`` keywords (CA, timeouts, retries, headers)."""
        self.proxies = proxies or ProxyChoice(None, {})
        self.direct = urllib3.PoolManager(**settings)
        self.via: dict[Proxy, urllib3.ProxyManager] = {}
        for proxy in self.proxies.by_scheme.values():
            if proxy is not None and proxy not in self.via:
                auth = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
                self.via[proxy] = urllib3.ProxyManager(proxy.url, proxy_headers=auth, **settings)

    def close(self) -> None:
        """Close every pooled connection."""
        self.direct.clear()
        for pool in self.via.values():
            pool.clear()

    def choose(self, url: str) -> tuple[urllib3.PoolManager, Proxy | None]:
        """The pool for ``url`` and the proxy it goes through (None: direct)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return self.direct, None
        try:
            host = normalize_host(parts.hostname)
        except ValueError:
            host = parts.hostname.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        proxy = self.proxies.for_target(Target(host, port, "https" if scheme == "https" else "http"))
        return (self.direct, None) if proxy is None else (self.via[proxy], proxy)


def proxy_problem(exc: HTTPError, proxy: Proxy) -> tuple[bool, str] | None:
    """For an error through ``proxy``: (unreachable, one line about the proxy), or None if not the proxy's.

    Unreachable means the proxy itself could not be connected to (refused, timed out, not resolved); otherwise
    the proxy answered but did not open the tunnel (e.g. ``403`` from an enforcing proxy).
    """
    reason = exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc
    if not isinstance(reason, ProxyError):
        return None
    inner: BaseException | None = getattr(reason, "original_error", None) or reason.__cause__
    if isinstance(inner, NewConnectionError | ConnectTimeoutError):
        what = _why(inner)
        return True, (
            f"cannot connect to the proxy {proxy.url}: {what} (check --proxy or https_proxy/http_proxy, "
            "or --no-env-proxy to go direct)"
        )
    said = _line(inner) if inner is not None else _line(reason)
    return False, f"the proxy {proxy.url} did not open the tunnel ({said})"


def _why(exc: BaseException) -> str:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno and seen.strerror:
            return seen.strerror.lower()
        seen = seen.__cause__ or seen.__context__
    return "timed out" if isinstance(exc, ConnectTimeoutError) else _line(exc)


def _line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
