"""Public suffixes from the list bundled with :mod:`publicsuffixlist` (offline).

Two views of the list:

- ICANN section only, for :func:`public_suffix` and :func:`registrable_domain` (``co.uk``, ``com``...);
- ICANN plus the private section, where operators list the suffixes their customers publish under
  (``cloudfront.net``, ``s3.amazonaws.com``, ``blob.core.windows.net``, ``github.io``...). When the two views
  give a host different suffixes, the host sits in shared hosting (:func:`is_shared_hosting`).

Names under a top-level domain the list does not know (``.internal``, ``.local``) have no public suffix.

>>> public_suffix("www.example.co.uk"), registrable_domain("www.example.co.uk")
('co.uk', 'example.co.uk')
>>> is_shared_hosting("d1uj6qtbmh3dt5.cloudfront.net"), is_shared_hosting("pypi.org")
(True, False)
"""

from __future__ import annotations

import os
import pickle
import sys
from functools import lru_cache
from pathlib import Path

import idna
import publicsuffixlist
from publicsuffixlist import PublicSuffixList

__all__ = [
    "icann_rules",
    "is_shared_hosting",
    "private_rules",
    "private_suffix",
    "public_suffix",
    "registrable_domain",
    "suffix_and_domain",
]


# The lists are parsed without their A-label copies (``accept_encoded_idn=False``): that halves start-up time.
# Names are looked up in U-label form and answers turned back into A-labels (hosts here are always A-labels).


@lru_cache(maxsize=1)
def _icann() -> PublicSuffixList:
    return _lists()[0]


@lru_cache(maxsize=1)
def _with_private() -> PublicSuffixList:
    return _lists()[1]


@lru_cache(maxsize=1)
def _lists() -> tuple[PublicSuffixList, PublicSuffixList]:
    """Both parsed lists, from a pickle cache when one matches the bundled list file (parsing takes ~30 ms).

    The cache lives in ``$EGRESSMAP_CACHE_DIR`` or ``$XDG_CACHE_HOME/egressmap`` (``~/.cache/egressmap``);
    ``EGRESSMAP_CACHE_DIR=off`` disables it. It is keyed on the list file's size and mtime and the library's
    version; any problem reading or writing it falls back to parsing, silently.
    """
    path = _cache_path()
    if path is not None:
        try:
            with path.open("rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, tuple) and all(isinstance(x, PublicSuffixList) for x in cached):
                return cached[0], cached[1]
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError):
            pass
    lists = (
        PublicSuffixList(only_icann=True, accept_unknown=False, accept_encoded_idn=False),
        PublicSuffixList(only_icann=False, accept_unknown=False, accept_encoded_idn=False),
    )
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(lists, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
        except OSError:
            pass
    return lists


def _cache_path() -> Path | None:
    where = os.environ.get("EGRESSMAP_CACHE_DIR")
    if where == "off":
        return None
    if not where:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        where = str(Path(base) / "egressmap")
    try:
        data = Path(publicsuffixlist.__file__).with_name("public_suffix_list.dat").stat()
    except OSError:
        return None
    version = getattr(publicsuffixlist, "__version__", "0")
    key = f"{version}-{data.st_size}-{data.st_mtime_ns}-py{sys.version_info[0]}{sys.version_info[1]}"
    return Path(where) / f"psl-{key}.pickle"


def _ask(psl: PublicSuffixList, method: str, host: str) -> str | None:
    if "xn--" not in host:
        answer: str | None = getattr(psl, method)(host)
        return answer
    try:
        unicode_host = idna.decode(host)
    except (idna.IDNAError, UnicodeError):
        return None
    found: str | None = getattr(psl, method)(unicode_host)
    return None if found is None else idna.encode(found, uts46=True).decode("ascii")


def public_suffix(host: str) -> str | None:
    """Return the ICANN public suffix of a normalised host name, None when its top-level domain is unknown.

    >>> public_suffix("pypi.org"), public_suffix("ip-10-0-0-1.ec2.internal"), public_suffix("xn--80aswg.xn--p1ai")
    ('org', None, 'xn--p1ai')
    """
    return _ask(_icann(), "publicsuffix", host)


def registrable_domain(host: str) -> str | None:
    """Return the ICANN registrable domain (suffix plus one label), None for a bare suffix or unknown TLD.

    >>> registrable_domain("files.pythonhosted.org"), registrable_domain("co.uk")
    ('pythonhosted.org', None)
    """
    return _ask(_icann(), "privatesuffix", host)


def suffix_and_domain(host: str) -> tuple[str | None, str | None]:
    """Return (:func:`public_suffix`, :func:`registrable_domain`) of a host with one lookup of the list.

    The registrable domain is the public suffix plus the label before it, so one answer gives both.

    >>> suffix_and_domain("files.pythonhosted.org"), suffix_and_domain("co.uk"), suffix_and_domain("x.internal")
    (('org', 'pythonhosted.org'), ('co.uk', None), (None, None))
    """
    if "xn--" in host or host.endswith(".") or host != host.lower():  # the library rewrites these: ask twice
        return public_suffix(host), registrable_domain(host)
    suffix = public_suffix(host)
    if suffix is None or len(suffix) >= len(host):
        return suffix, None
    head = host[: -len(suffix) - 1]
    return suffix, f"{head[head.rfind('.') + 1 :]}.{suffix}"


def private_suffix(host: str) -> str | None:
    """Return the public suffix counting the private section too (``s3.amazonaws.com`` for a bucket).

    >>> private_suffix("bucket.s3.amazonaws.com")
    's3.amazonaws.com'
    """
    return _ask(_with_private(), "publicsuffix", host)


def is_shared_hosting(host: str) -> bool:
    """Tell whether the private section puts ``host`` under another suffix than the ICANN section does.

    >>> is_shared_hosting("raw.githubusercontent.com"), is_shared_hosting("s3.amazonaws.com")
    (True, True)
    """
    return shared_with_suffix(host, public_suffix(host))


def shared_with_suffix(host: str, suffix: str | None) -> bool:
    """:func:`is_shared_hosting` for a host whose ICANN public suffix is known already."""
    private = private_suffix(host)
    return private is not None and private != suffix


def is_public_suffix(name: str) -> bool:
    """True when ``name`` is itself an ICANN public suffix (``com``, ``co.uk``): never a wildcard base.

    >>> is_public_suffix("co.uk"), is_public_suffix("example.co.uk")
    (True, False)
    """
    return public_suffix(name) == name


def is_shared_suffix(name: str) -> bool:
    """True when a wildcard over ``name`` covers hosting anyone can publish on (CloudFront, S3, blobs...).

    That is: ``name`` is, or sits under, or contains a suffix of the list's private section.

    >>> is_shared_suffix("cloudfront.net"), is_shared_suffix("amazonaws.com"), is_shared_suffix("ubuntu.com")
    (True, True, False)
    """
    if is_shared_hosting(name) or is_shared_hosting("x." + name):
        return True
    return name in _private_parents()


def icann_rules() -> frozenset[str]:
    """The ICANN section's rules as the library keeps them (``co.uk``, ``*.ck``, ``!www.ck``), U-label form.

    Empty when the library keeps them elsewhere than the versions this was written against do.
    """
    rules: frozenset[str] = getattr(_icann(), "_publicsuffix", frozenset())
    return rules


def private_rules() -> frozenset[str]:
    """The rules of both sections (ICANN and private), as :func:`icann_rules` gives the ICANN ones."""
    rules: frozenset[str] = getattr(_with_private(), "_publicsuffix", frozenset())
    return rules


@lru_cache(maxsize=1)
def _private_parents() -> frozenset[str]:
    """Every proper parent domain of a private-section rule (``amazonaws.com`` for ``s3.amazonaws.com``)."""
    parents: set[str] = set()
    for rule in private_rules() - icann_rules():
        labels = rule.lstrip("*!.").split(".")
        parents.update(".".join(labels[i:]) for i in range(1, len(labels)))
    return frozenset(parents)
