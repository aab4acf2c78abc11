"""Pure functions on host names: normalise, validate (LDH, lengths, IDNA), IP literals, what to drop.

Everything that may end up inside a firewall rule passes :func:`normalize_host` first: the result is either
an IP literal in canonical form or a lower-case name made only of LDH labels (A-labels for IDNs).

>>> normalize_host("Files.PythonHosted.org.")
'files.pythonhosted.org'
>>> normalize_host("münchen.de")
'xn--mnchen-3ya.de'
>>> normalize_host("[2001:DB8::1]")
'2001:db8::1'
>>> normalize_host('evil.com"; pass')
Traceback (most recent call last):
...
ValueError: invalid character '"' in host name
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from functools import lru_cache

import idna

from .validation import LOCAL_NAMES, host_refusal

__all__ = [
    "drop_reason",
    "fast_plain_destination",
    "is_ip",
    "is_global_ip",
    "is_private_ip",
    "join_host_port",
    "normalize_host",
    "parse_hosts_file",
    "placeholder_reason",
    "plain_destination",
    "split_host_port",
]

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ASCII_LDH = re.compile(r"^[a-z0-9.-]+$")
# Two or more lower-case LDH labels, the last one starting with a letter (so not an IPv4 literal)
_PLAIN_NAME = re.compile(r"(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z][a-z0-9-]{0,62}(?<!-)")
# A plain name as above, then an optional port of up to five digits
_PLAIN_AUTHORITY = re.compile(_PLAIN_NAME.pattern + r"(?::([0-9]{1,5}))?")
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\"'`;#\\<>{}()|&$,/?@=*%!+^~\[\]]")
_PLACEHOLDER = re.compile(r"\$\{|\$\(|%\{|\{\{|_domain_|\$[A-Za-z_]|<[a-z_-]+>", re.IGNORECASE)

_LOCAL_NAMES = frozenset(LOCAL_NAMES)


def placeholder_reason(raw: str) -> str | None:
    """Say why ``raw`` is a template rather than a host (``${x}``, ``%{x}``, ``_domain_``), else None.

    >>> placeholder_reason("developer.download.nvidia._domain_")
    'template placeholder'
    >>> placeholder_reason("pypi.org") is None
    True
    """
    return "template placeholder" if _PLACEHOLDER.search(raw) else None


_NUMERIC_V4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.IGNORECASE)
"""What ``inet_aton`` may read as an IPv4 address: one to four parts, decimal, octal (leading 0) or hex."""


_OCTAL_PART = re.compile(r"(?:^|\.)0[0-9]")
"""A part with a leading zero: octal to inet_aton, decimal to many other readers; refused as ambiguous."""


def numeric_ipv4(raw: str) -> str | None:
    """The dotted-quad address ``raw`` connects to when it is one of inet_aton's numeric forms, else None.

    getaddrinfo reads a numeric host with inet_aton before any DNS lookup, so ``0x7f000001``, ``127.1``,
    ``2130706433``, ``0177.0.0.1`` and ``127.0.0.0x1`` all connect to 127.0.0.1. They are recorded and
    checked as that address, never as names.

    >>> numeric_ipv4("0x7f000001"), numeric_ipv4("127.0.0.0x1"), numeric_ipv4("0177.0.0.1")
    ('127.0.0.1', '127.0.0.1', '127.0.0.1')
    >>> numeric_ipv4("2130706433"), numeric_ipv4("127.1"), numeric_ipv4("pypi.org"), numeric_ipv4("08")
    ('127.0.0.1', '127.0.0.1', None, None)
    """
    text = raw.strip()
    if not text or len(text) > 64 or not _NUMERIC_V4.fullmatch(text):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(text.rstrip(".")))
    except OSError:
        return None


@lru_cache(maxsize=65536)
def normalize_host(raw: str) -> str:
    """Return the canonical form of a host name or IP literal, or raise ValueError saying what is wrong.

    Lower case, no trailing dot, IDNs as A-labels, IPv6 without brackets. Idempotent.
    """
    if len(raw) <= 253 and _PLAIN_NAME.fullmatch(raw) and "xn--" not in raw:
        return raw  # already canonical: what the checks below would return unchanged
    host = raw.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        raise ValueError("empty host name")
    if ":" in host:
        try:
            ip6 = ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ValueError(f"invalid IPv6 literal {host[:80]!r}") from None
        return ip6.compressed
    bad = _FORBIDDEN.search(host)
    if bad:
        raise ValueError(f"invalid character {bad.group()!r} in host name")
    host = host.lower().rstrip(".")
    if not host:
        raise ValueError("empty host name")
    if not _ASCII_LDH.match(host) or "xn--" in host:
        host = _to_alabels(host)
    numeric = numeric_ipv4(host) if host[:1].isdigit() and not _OCTAL_PART.search(host) else None
    if numeric is not None:  # 0x7f000001, 127.1, 2130706433: the address getaddrinfo would connect to
        return numeric
    if _looks_numeric(host):
        try:
            return ipaddress.IPv4Address(host).compressed
        except ValueError:
            raise ValueError(f"invalid IPv4 literal {host[:80]!r}") from None
    if len(host) > 253:
        raise ValueError("host name longer than 253 characters")
    for label in host.split("."):
        if not _LABEL.match(label):
            if not label:
                raise ValueError("empty label in host name")
            if len(label) > 63:
                raise ValueError("label longer than 63 characters")
            raise ValueError(f"label {label[:63]!r} is not letters, digits and inner hyphens")
    return host


def _looks_numeric(host: str) -> bool:
    last = host.rsplit(".", 1)[-1]
    return last.isdigit() or host.replace(".", "").isdigit()


def _to_alabels(host: str) -> str:
    try:
        encoded = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        idna.decode(encoded)  # rejects malformed xn-- labels
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise ValueError(f"not a valid internationalised name ({exc})") from None
    return encoded.lower()


def is_ip(host: str) -> bool:
    """True when ``host`` (already normalised) is an IP literal.

    >>> is_ip("10.0.0.1"), is_ip("pypi.org")
    (True, False)
    """
    if not _maybe_ip(host):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _maybe_ip(host: str) -> bool:
    """False when ``host`` cannot be an IP literal (parsing one costs ~5 us, this a fraction of that).

    :func:`ipaddress.ip_address` reads IPv6 only with a colon and IPv4 only as digits and dots.
    """
    return ":" in host or host.replace(".", "").isdigit()


def is_private_ip(host: str) -> bool:
    """True for an address the internet does not route (RFC 1918, ULA, CGNAT, documentation, benchmark).

    Kept in a policy but marked internal. Loopback, link-local and unspecified addresses are not private here
    (:func:`drop_reason` drops them); a name is not.

    >>> is_private_ip("172.31.87.105"), is_private_ip("100.64.3.4"), is_private_ip("8.8.8.8")
    (True, True, False)
    """
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not ip.is_global and not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)


def is_global_ip(host: str) -> bool:
    """True for an address the internet routes (what :func:`is_private_ip` and the drops are not).

    >>> is_global_ip("8.8.8.8"), is_global_ip("100.64.3.4"), is_global_ip("127.0.0.1"), is_global_ip("pypi.org")
    (True, False, False, False)
    """
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return False


@lru_cache(maxsize=65536)
def drop_reason(host: str) -> str | None:
    """Say why a normalised host never belongs in an allowlist (loopback, link-local, IMDS...), else None.

    What :func:`egressmap.validation.host_refusal` refuses everywhere, plus single-label names (not fully
    qualified: read from free text they are usually not hosts at all).

    >>> drop_reason("169.254.169.254")
    'link-local address (instance metadata)'
    >>> drop_reason("localhost")
    'localhost'
    >>> drop_reason("httplib2")
    'single-label name (not a fully qualified host)'
    >>> drop_reason("github.com") is None
    True
    """
    why = host_refusal(host)
    if why is not None:
        return why
    if "." not in host and not is_ip(host):
        return "single-label name (not a fully qualified host)"
    return None


_DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "ftp": 21,
    "ftps": 990,
    "git": 9418,
    "ssh": 22,
    "rsync": 873,
    "ws": 80,
    "wss": 443,
    "hkp": 11371,
    "hkps": 443,
}


def default_port(scheme: str | None) -> int:
    """The port a scheme uses when none is given (443 when unknown).

    >>> default_port("http"), default_port(None)
    (80, 443)
    """
    return _DEFAULT_PORTS.get((scheme or "").lower(), 443)


def plain_destination(authority: str, default: int = 443) -> tuple[str, int] | None:
    """(host, port) of an authority whose name is already canonical and belongs in an allowlist; else None.

    The common case in one regular expression: what :func:`split_host_port`, :func:`normalize_host` and
    :func:`drop_reason` give a fully qualified lower-case name with an optional valid port. None means those
    three must decide (they may change the name, reject it or drop it).

    >>> plain_destination("pypi.org:8443"), plain_destination("pypi.org", 80)
    (('pypi.org', 8443), ('pypi.org', 80))
    >>> plain_destination("PyPI.org"), plain_destination("localhost.localdomain:80"), plain_destination("a.b:0")
    (None, None, None)
    """
    match = _PLAIN_AUTHORITY.fullmatch(authority)
    if match is None:
        return None
    port_text = match.group(1)
    host = authority if port_text is None else authority[: -len(port_text) - 1]
    if len(host) > 253 or "xn--" in host or host in _LOCAL_NAMES or host.endswith(".localhost"):
        return None
    if port_text is None:
        return host, default
    port = _PORTS.get(port_text)
    if port is None:
        port = int(port_text)
        if len(_PORTS) < 65536:  # (digits only: ports and their zero-padded spellings)
            _PORTS[port_text] = port
    return (host, port) if 0 < port < 65536 else None


_PORTS: dict[str, int] = {}
"""Ports by their text: each a single int object, however many destinations name it (an int past 256 is
otherwise made afresh each time, 28 bytes a destination)."""

fast_plain_destination: Callable[[str, int], tuple[str, int] | None] = plain_destination
""":func:`plain_destination` in C where the module was built at install (about 0.12 us against 0.7): the same
answers, which a test holds equal. For loops over many authorities (the Squid tally)."""
try:
    from ._hostnames import plain_destination as fast_plain_destination
    from ._hostnames import set_local_names

    set_local_names(_LOCAL_NAMES)
except ImportError:  # installed where no C compiler was
    pass


def join_host_port(host: str, port: int) -> str:
    """``host:port`` with an IPv6 literal in brackets, as URLs and :func:`split_host_port` read it back.

    >>> join_host_port("pypi.org", 443), join_host_port("2001:db8::10", 443)
    ('pypi.org:443', '[2001:db8::10]:443')
    """
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_host_port(authority: str, default: int = 443) -> tuple[str, int]:
    """Split ``host[:port]`` (IPv6 in brackets) into its raw parts; raise ValueError on a bad port.

    >>> split_host_port("github.com:443")
    ('github.com', 443)
    >>> split_host_port("[2001:db8::1]:8080")
    ('[2001:db8::1]', 8080)
    >>> split_host_port("pypi.org", 80)
    ('pypi.org', 80)
    """
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise ValueError("unclosed '[' in address")
        host, rest = authority[: end + 1], authority[end + 1 :]
        if not rest:
            return host, default
        if not rest.startswith(":"):
            raise ValueError("junk after IPv6 literal")
        port_text = rest[1:]
    elif authority.count(":") == 1:
        host, port_text = authority.split(":")
    else:
        return authority, default
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"invalid port {port_text[:20]!r}")
    return host, int(port_text)


def parse_hosts_file(text: str) -> tuple[dict[str, list[str]], list[tuple[int, str]]]:
    r"""A hosts file (``ADDRESS NAME...`` lines, ``#`` comments) as name -> addresses, with its problems.

    Addresses keep file order; each address or name that cannot be read is reported as (line number,
    problem) and the rest of the file is kept.

    >>> parse_hosts_file("127.0.0.1 Mirror.Test. # lab\n::1 mirror.test\n999.1.1.1 x.test\n")
    ({'mirror.test': ['127.0.0.1', '::1']}, [(3, "'999.1.1.1' does not appear to be an IPv4 or IPv6 address")])
    """
    table: dict[str, list[str]] = {}
    problems: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        try:
            address = ipaddress.ip_address(fields[0]).compressed
        except ValueError as exc:
            problems.append((lineno, str(exc)))
            continue
        for name in fields[1:]:
            try:
                table.setdefault(normalize_host(name), []).append(address)
            except ValueError as exc:
                problems.append((lineno, str(exc)))
    return table, problems
