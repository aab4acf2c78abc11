"""Which URLs are single downloads worth carrying, and where each goes in a bundle.

A download-like URL names one file: an archive, a package, an installer or a key (:data:`SUFFIXES`, or a
``GPG-KEY`` file name). Repository metadata and indexes (``repomd.xml``, ``InRelease``, ``/simple/``) are not:
a mirror of them is a job for the package manager (``egressmap bundle recipes``).

>>> is_download_like("https://example.com/pub/tool-1.2.tar.gz"), is_download_like("https://example.com/repodata/repomd.xml")
(True, False)
>>> bundle_path("https://github.com/o/r/releases/download/v1/tool_1.0_amd64.deb")
'downloads/github.com/o/r/releases/download/v1/tool_1.0_amd64.deb'
>>> bundle_path("http://mirror.example.com:8080/a/./b/x.rpm")
'downloads/mirror.example.com_8080/a/b/x.rpm'
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from .manifest import BundleError, check_path

SUFFIXES = (
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar.xz",
    ".txz",
    ".tar.bz2",
    ".tar.zst",
    ".rpm",
    ".deb",
    ".whl",
    ".run",
    ".sh",
    ".gpg",
    ".asc",
    ".key",
    ".pub",
)
"""File name endings of archives, packages, installers and keys."""
_KEY_NAME = re.compile(r"GPG-KEY", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_download_like(url: str) -> bool:
    """True when ``url`` is http(s) and its last path segment names an archive, package, installer or key."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        return False
    name = parts.path.rsplit("/", 1)[-1].lower()
    return bool(name) and (name.endswith(SUFFIXES) or bool(_KEY_NAME.search(name)))


def bundle_path(url: str) -> str:
    """``downloads/<host>[_<port>]/<url path>``: the path a policy's download goes to in a bundle.

    Empty and ``.`` segments are dropped; a ``..`` segment, a backslash or a control character is refused
    (:class:`BundleError`), so that no URL can place a file outside the bundle.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise BundleError(f"{url}: no host")
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}_{port}"
    segments = [s for s in unquote(parts.path).split("/") if s not in ("", ".")]
    if not segments or any(s == ".." or not s.isprintable() for s in segments):
        raise BundleError(f"{url}: its path cannot name a file in the bundle")
    path = "/".join(["downloads", host, *segments])
    check_path(path)
    return path
