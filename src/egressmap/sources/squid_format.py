"""Squid ``logformat`` strings compiled to regular expressions, and the formats named in a ``squid.conf``.

Code meanings follow Squid's ``src/cf.data.pre`` (https://www.squid-cache.org/Doc/config/logformat/).
Codes egressmap does not interpret are matched and ignored.

>>> fmt = LogFormat("minimal", "%tl %>a %Ss/%03>Hs %rm %ru")
>>> rec = fmt.parse("21/Nov/2026:10:00:01 +0000 10.0.0.5 TCP_TUNNEL/200 CONNECT pypi.org:443")
>>> rec["client"], rec["result"], rec["status"], rec["method"], rec["url"]
('10.0.0.5', 'TCP_TUNNEL', '200', 'CONNECT', 'pypi.org:443')
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

#: Squid's built-in formats (squid-cache/squid src/cf.data.pre, "logformat" defaults).
BUILTIN: dict[str, str] = {
    "squid": "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt",
    "common": '%>a - %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh',
    "combined": '%>a - %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh',
    "referrer": "%ts.%03tu %>a %{Referer}>h %ru",
    "useragent": '%>a [%tl] "%{User-Agent}>h"',
}

# code -> record field it fills (codes not listed are matched and ignored)
_FIELDS: dict[str, str] = {
    "ts": "ts",
    "tu": "tu",
    "tl": "tl",
    "tg": "tg",
    "tS": "tS",
    ">a": "client",
    ">A": "client_fqdn",
    ">Hs": "status",
    "Hs": "status",
    "<Hs": "upstream_status",
    "Ss": "result",
    "Sh": "hier",
    "rm": "method",
    ">rm": "method",
    "ru": "url",
    ">ru": "url",
    "rp": "path",
    ">rp": "path",
    ">rd": "domain",
    "<A": "server",
    ">rP": "port",
    "<p": "server_port",
    "<a": "server_ip",
    "<st": "bytes",
    "st": "bytes_total",
    "ssl::>sni": "sni",
}
_CODES = sorted(
    """>a >A >p >la >lp >eui >qos >nfmark >st >sh >bs >Hs >h >ha >rm >ru >rs >rd >rP >rp >rv >cert
    >handshake <a <A <p <la <lp <lA <qos <nfmark <st <sh <bs <Hs <h <tt <pt <rm <ru <rs <rd <rP <rp <rv
    Hs la lp lA ts tu tl tg tr tS dt tt busy_time st sh sn mt rm ru rp rv rs Ss Sh un ul ue ui us uh ea
    err_code err_detail note master_xaction icap::tt icap::<last_h icap::<A icap::<service_name icap::rm
    icap::ru icap::>st icap::<st icap::tr adapt::<last_h adapt::all_trs adapt::sum_trs ssl::bump_mode
    ssl::>sni ssl::>cert_subject ssl::>cert_issuer ssl::<cert_subject ssl::<cert_issuer ssl::<cert_errors
    ssl::<cert ssl::>negotiated_version ssl::<negotiated_version ssl::>received_hello_version
    ssl::<received_hello_version ssl::>received_supported_version ssl::<received_supported_version
    ssl::>negotiated_cipher ssl::<negotiated_cipher proxy_protocol::>h transport::>connection_id
    request_attempts cert""".split(),
    key=len,
    reverse=True,
)
_SPACEY = {
    "tl",
    "tg",
    ">h",
    "<h",
    ">ha",
    "ea",
    "err_detail",
    "note",
    "un",
    "ul",
    "ue",
    "ui",
    "us",
    "ssl::>cert_subject",
    "ssl::>cert_issuer",
    "ssl::<cert_subject",
    "ssl::<cert_issuer",
}
_DEFAULT_TIME = r"\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)? [+-]\d{4}"
"""``%tl``'s default layout; frontier-squid logs milliseconds too (``21/Nov/2026:10:00:01.642 +0000``)."""
# codes whose values have a fixed alphabet: tighter patterns keep formats apart when sniffing
_SHAPES: dict[str, str] = {
    "Ss": r"[A-Z_]+|-",
    "Sh": r"[A-Z_]+|-",
    ">Hs": r"\d+|-",
    "Hs": r"\d+|-",
    "<Hs": r"\d+|-",
}
_SPEC = re.compile(r"%(?P<enc>[\"\[#'/])?(?P<left>-)?(?P<width>0?\d+(?:\.\d+)?)?(?:\{(?P<arg>[^}]*)\})?")


@dataclass(frozen=True, slots=True)
class _Field:
    code: str
    arg: str | None
    group: str | None


class LogFormat:
    """One ``logformat``: compiled once, then ``parse(line)`` gives a dict of the fields egressmap uses."""

    def __init__(self, name: str, spec: str, open_end: bool = False) -> None:
        self.name = name
        self.spec = spec
        self.fields: list[_Field] = []
        pattern = self._compile(spec)
        self._exact = re.compile(pattern)
        self.open_end = open_end
        """Also accept fields appended after the format's own (extended ``common``/``combined``)."""
        self._regex = re.compile(pattern + r"(?:\s.*)?") if open_end else self._exact
        if not any(f.group in ("url", "domain", "server", "sni") for f in self.fields):
            raise ConfigError(
                f"logformat {name!r} has no code that names a destination "
                "(%ru, %>ru, %>rd, %<A or %ssl::>sni)"
            )

    def _compile(self, spec: str) -> str:
        parts: list[str] = []
        pos = 0
        pending: list[tuple[str, str | None, bool, bool]] = []  # code, arg, padded, quoted-encoding
        tokens: list[tuple[str, object]] = []
        while pos < len(spec):
            pct = spec.find("%", pos)
            if pct < 0:
                tokens.append(("lit", spec[pos:]))
                break
            if pct > pos:
                tokens.append(("lit", spec[pos:pct]))
            if spec.startswith("%%", pct):
                tokens.append(("lit", "%"))
                pos = pct + 2
                continue
            head = _SPEC.match(spec, pct)
            assert head is not None
            cursor = head.end()
            code = next((c for c in _CODES if spec.startswith(c, cursor)), None)
            if code is None:
                raise ConfigError(f"logformat {self.name!r}: unknown code at {spec[pct : pct + 16]!r}")
            cursor += len(code)
            arg = head.group("arg")
            if spec.startswith("{", cursor):
                close = spec.find("}", cursor)
                if close < 0:
                    raise ConfigError(
                        f"logformat {self.name!r}: unclosed '{{' at {spec[cursor : cursor + 16]!r}"
                    )
                arg, cursor = spec[cursor + 1 : close], close + 1
            pending.append((code, arg, bool(head.group("width")), head.group("enc") == '"'))
            tokens.append(("field", len(pending) - 1))
            pos = cursor
        for index, (kind, value) in enumerate(tokens):
            if kind == "lit":
                text = re.escape(str(value)).replace(r"\ ", " +")
                # common/combined: Squid prints the protocol itself ("HTTP/1.1", or "NONE/0.0" when no request
                # was parsed), so the format's literal "HTTP/" before %rv is not always what the log has.
                if text.endswith("HTTP/"):
                    text = text[: -len("HTTP/")] + "[A-Za-z-]+/"
                parts.append(text)
                continue
            assert isinstance(value, int)
            code, arg, padded, quoted = pending[value]
            nxt = tokens[index + 1][1] if index + 1 < len(tokens) and tokens[index + 1][0] == "lit" else ""
            parts.append((" *" if padded else "") + self._field_regex(code, arg, quoted, str(nxt)))
        return "".join(parts)

    def _field_regex(self, code: str, arg: str | None, quoted: bool, following: str) -> str:
        group = _FIELDS.get(code)
        if code in (">h", "<h") and arg and arg.lower() == "host":
            group = "host_header"
        if code in (">h", "<h") and arg and arg.lower() == "user-agent":
            group = "user_agent"
        if group and group in {f.group for f in self.fields}:
            group = None  # first occurrence wins
        self.fields.append(_Field(code, arg, group))
        if quoted:
            body = r'"(?:[^"\\]|\\.)*"'
        elif code in ("tl", "tg") and not arg:
            body = _DEFAULT_TIME
        elif code in _SPACEY or (arg and code in ("tl", "tg")):
            body = ".*?"
        elif code in _SHAPES:
            body = _SHAPES[code]
        elif following and not following[0].isspace():
            body = "[^\\s" + re.escape(following[0]) + "]*"
        else:
            body = r"\S*"
        return f"(?P<{group}>{body})" if group else f"(?:{body})"

    def parse(self, line: str) -> dict[str, str] | None:
        """The fields of ``line``, or None when it does not have this format."""
        match = self._regex.fullmatch(line)
        if match is None:
            return None
        return {k: v for k, v in match.groupdict().items() if v is not None}

    def match(self, line: str) -> re.Match[str] | None:
        """The regular-expression match of ``line`` (its groups are the record fields), or None."""
        return self._regex.fullmatch(line)

    @property
    def groups(self) -> frozenset[str]:
        """The record fields this format fills."""
        return frozenset(self._regex.groupindex)

    def matches(self, line: str) -> bool:
        """True when ``line`` has this format."""
        return self._regex.fullmatch(line) is not None

    def fit(self, line: str) -> float:
        """1 when ``line`` has exactly this format, 0.95 when it has fields appended (open end), else 0."""
        if self._exact.fullmatch(line) is not None:
            return 1.0
        return 0.95 if self.open_end and self._regex.fullmatch(line) is not None else 0.0


def read_squid_conf(path: str) -> tuple[dict[str, str], dict[str, str]]:
    """Return (logformat name -> spec, access_log file name -> logformat name) from a ``squid.conf``."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read squid.conf ({exc.strerror or exc})") from exc
    formats: dict[str, str] = {}
    logs: dict[str, str] = {}
    for lineno, line in enumerate(text.replace("\\\n", " ").splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("logformat "):
            bits = stripped.split(None, 2)
            if len(bits) < 3:
                raise ConfigError(f"{path}:{lineno}: logformat needs a name and a format")
            formats[bits[1]] = bits[2]
        elif stripped.startswith("access_log "):
            try:
                words = shlex.split(stripped, comments=True)[1:]
            except ValueError as exc:
                raise ConfigError(f"{path}:{lineno}: cannot parse access_log line ({exc})") from exc
            if not words or words[0] == "none":
                continue
            target = (
                words[0].split(":", 1)[1] if ":" in words[0] and not words[0].startswith("/") else words[0]
            )
            name = "squid"
            options = [w.split("=", 1)[1] for w in words[1:] if w.startswith("logformat=")]
            if options:
                name = options[-1]  # bare words after the options are ACL names
            elif len(words) > 1 and "=" not in words[1] and (words[1] in formats or words[1] in BUILTIN):
                name = words[1]  # legacy form: access_log <place> <format> [acl ...]
            logs[Path(target).name] = name
    return formats, logs
