"""HTTP(S) for ``bundle fetch``: urllib3 pools (direct or through a proxy), where each URL is fetched from, one-line errors.

``--mirror`` and ``--github-api`` change where a file is fetched from, never what it is: the lock keeps the
canonical URL. urllib3's own exceptions stop here; callers see :class:`FetchError` (one file or listing could
not be fetched, its message names the URL), :class:`ProxyUnreachable` (the proxy itself cannot be reached;
its message names the proxy) and :class:`DiskFull`.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from ..errors import EgressmapError
from ..verify.proxyenv import Proxy, ProxyChoice
from .route import Routes, proxy_problem

GITHUB_API = "https://api.github.com"
GITHUB_WEB = "https://github.com"
MAX_REDIRECTS = 8
SMALL_LIMIT = 4 * 1024 * 1024
"""The most a checksum file or an API page may hold (a bigger one is not what was asked for)."""
BROKEN = (ProtocolError, ReadTimeoutError, SSLError)
"""What a body read raises when the connection breaks off (resumable)."""


class FetchError(EgressmapError):
    """A file, checksum or release listing could not be fetched or was refused; the message names the URL."""


class ProxyUnreachable(FetchError):
    """The proxy itself cannot be connected to: every file through it would fail, so nothing more is tried."""


class DiskFull(EgressmapError, OSError):
    """The bundle directory's file system is full (or the file too big for it); nothing more is tried."""


def host_of(url: str) -> str:
    """``host`` or ``host:port`` of a URL."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1]


@dataclass(frozen=True)
class Where:
    """Where URLs are fetched from: mirrors by host (``""`` for every host) and the GitHub API's base."""

    mirrors: Mapping[str, str] = field(default_factory=dict)
    github_api: str = GITHUB_API

    @classmethod
    def from_flags(cls, mirrors: Sequence[str], github_api: str | None) -> Where:
        """Parse ``--mirror URL`` / ``--mirror HOST=URL`` (repeatable) and ``--github-api URL``."""
        table: dict[str, str] = {}
        for flag in mirrors:
            host, sep, base = flag.partition("=")
            if not sep or host.startswith(("http://", "https://")):
                host, base = "", flag
            if not base.startswith(("http://", "https://")):
                raise FetchError(f"--mirror {flag!r}: give URL or HOST=URL, with an http(s) URL")
            if host in table:
                raise FetchError(f"--mirror: two mirrors for {host or 'every host'}")
            table[host.lower()] = base.rstrip("/")
        api = (github_api or GITHUB_API).rstrip("/")
        if not api.startswith(("http://", "https://")):
            raise FetchError(f"--github-api {github_api!r}: give an http(s) URL")
        return cls(mirrors=table, github_api=api)

    def source(self, url: str) -> str:
        """Where to fetch ``url`` from: the same path (and query) under its host's mirror, if any."""
        parts = urlsplit(url)
        base = self.mirrors.get(parts.hostname or "", self.mirrors.get(""))
        if base is None:
            return url
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        return base + tail

    @property
    def github_web(self) -> str:
        """The web base matching the API: github.com for api.github.com, ``https://HOST`` for ``…/api/v3``."""
        if self.github_api == GITHUB_API:
            return GITHUB_WEB
        return self.github_api.removesuffix("/api/v3")


class Client:
    """urllib3 pools for every download (thread-safe): direct or through a proxy, with an optional private CA."""

    def __init__(
        self,
        ca_file: str | None = None,
        timeout: float = 60.0,
        jobs: int = 4,
        proxies: ProxyChoice | None = None,
    ) -> None:
        """Trust ``ca_file`` (PEM) instead of the system store when given; ``proxies`` picks each URL's proxy."""
        if ca_file is not None and not os.path.isfile(ca_file):
            raise FetchError(f"--ca-file {ca_file}: no such file")
        retries = urllib3.Retry(
            total=None, connect=2, read=0, status=0, other=0, redirect=0, backoff_factor=0.2
        )
        self.routes = Routes(
            proxies,
            num_pools=16,
            maxsize=max(jobs, 1),
            ca_certs=ca_file,
            cert_reqs="CERT_REQUIRED",
            timeout=urllib3.Timeout(connect=min(timeout, 30.0), read=timeout),
            retries=retries,
            headers={"User-Agent": "egressmap-bundle-fetch"},
        )

    def open(self, url: str, headers: Mapping[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        """A streamed GET (redirects followed, each hop routed on its own); connection errors are FetchError.

        Statuses are the caller's. ``Authorization`` is not sent on to another origin.
        """
        current, sent = url, dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            pool, proxy = self.routes.choose(current)
            try:
                resp = pool.request(
                    "GET", current, headers=sent, preload_content=False, decode_content=False, redirect=False
                )
            except HTTPError as exc:
                raise _failure(exc, current, proxy) from None
            location = resp.get_redirect_location()
            if not location:
                return resp
            done(resp)
            target = urljoin(current, location)
            if _origin(target) != _origin(current):
                sent = {k: v for k, v in sent.items() if k.lower() not in ("authorization", "cookie")}
            current = target
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def close(self) -> None:
        """Close every pooled connection (and so every proxy tunnel)."""
        self.routes.close()

    def small(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[bytes, Mapping[str, str]]:
        """A small body (a checksum file, an API page) and its headers; an HTTP error status is a FetchError."""
        resp = self.open(url, headers)
        try:
            if resp.status >= 400:
                raise FetchError(status_message(resp, url))
            body = resp.read(SMALL_LIMIT + 1)
        except HTTPError as exc:
            raise FetchError(describe(exc, url)) from None
        finally:
            done(resp)
        if len(body) > SMALL_LIMIT:
            raise FetchError(f"{url}: more than {SMALL_LIMIT} bytes for a checksum file or API page")
        return body, {k.lower(): v for k, v in resp.headers.items()}

    def json(self, url: str, headers: Mapping[str, str] | None = None) -> tuple[Any, Mapping[str, str]]:
        """A JSON document and its headers."""
        body, got = self.small(url, headers)
        try:
            return json.loads(body), got
        except ValueError:
            raise FetchError(f"{url}: not JSON (is --github-api the API's base URL?)") from None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _failure(exc: HTTPError, url: str, proxy: Proxy | None) -> FetchError:
    """The error for a request that failed: about the proxy when it was the proxy's doing."""
    found = proxy_problem(exc, proxy) if proxy is not None else None
    if found is None:
        return FetchError(describe(exc, url))
    unreachable, text = found
    return ProxyUnreachable(text) if unreachable else FetchError(f"{text} fetching {url}")


def done(resp: urllib3.BaseHTTPResponse) -> None:
    """Give the connection back; one whose body was not read to the end is closed, never reused."""
    if not resp.closed and getattr(resp, "length_remaining", None) != 0:
        resp.close()
    resp.release_conn()


def status_message(resp: urllib3.BaseHTTPResponse, url: str) -> str:
    """``HTTP 404 Not Found from URL``, with a hint for GitHub's rate limit."""
    text = f"HTTP {resp.status} {resp.reason or ''}".rstrip() + f" from {url}"
    if resp.status in (403, 429) and resp.headers.get("x-ratelimit-remaining") == "0":
        text += " (GitHub API rate limit: set GITHUB_TOKEN)"
    return text


def describe(exc: BaseException, url: str) -> str:
    """One line for a urllib3 error, naming the host."""
    host = host_of(url)
    reason = exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc
    if isinstance(reason, NameResolutionError):
        return f"cannot resolve {urlsplit(url).hostname} (no network or no DNS?) fetching {url}"
    if isinstance(reason, NewConnectionError):
        cause = _os_cause(reason)
        if cause is not None and cause.errno == errno.ECONNREFUSED:
            return f"cannot connect to {host}: connection refused (no network, or nothing listening) fetching {url}"
        what = os.strerror(cause.errno) if cause is not None and cause.errno else str(reason)
        return f"cannot connect to {host}: {what} (no network?) fetching {url}"
    if isinstance(reason, ConnectTimeoutError):  # after NewConnectionError, its subclass
        return f"timed out connecting to {host} (no network, or a firewall dropping it?) fetching {url}"
    if isinstance(reason, SSLError):
        return (
            f"TLS with {host} failed ({_short(reason)}); for a private CA give --ca-file PEM; fetching {url}"
        )
    if isinstance(reason, ReadTimeoutError):
        return f"timed out reading from {host} fetching {url}"
    return f"{_short(reason)} fetching {url}"


def _os_cause(exc: BaseException) -> OSError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
