"""The suricata exporter: AWS Network Firewall's generated rule shape, sids, escaping and wildcard semantics."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from egressmap.errors import ConfigError
from egressmap.exporters import ExportOptions
from egressmap.exporters.suricata import SuricataExport
from egressmap.exporters.suricata_rules import MAX_SID, name_options, pcre_pattern
from egressmap.model import Classification, Entry, Match, Policy, entry_covers

#: Rules AWS Network Firewall generates for a domain-list allowlist (formats-and-anchors.md, A2; from
#: https://docs.aws.amazon.com/network-firewall/latest/developerguide/suricata-examples.html). The HTTP
#: lines are abbreviated there; they are completed here with the TLS rules' trailing options.
AWS_TLS_APEX = (
    'pass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; dotprefix; content:".amazon.com"; '
    'nocase; endswith; msg:"matching TLS allowlisted FQDNs"; priority:1; flow:to_server, established; sid:1; rev:1;)'
)
AWS_TLS_EXACT = (
    'pass tls $HOME_NET any -> $EXTERNAL_NET any (ssl_state:client_hello; tls.sni; content:"example.com"; startswith; '
    'nocase; endswith; msg:"matching TLS allowlisted FQDNs"; priority:1; flow:to_server, established; sid:2; rev:1;)'
)
AWS_TLS_DROP = (
    'drop tls $HOME_NET any -> $EXTERNAL_NET any (msg:"not matching any TLS allowlisted FQDNs"; priority:1; '
    "ssl_state:client_hello; flow:to_server, established; sid:3; rev:1;)"
)
AWS_HTTP_APEX = (
    'pass http $HOME_NET any -> $EXTERNAL_NET any (http.host; dotprefix; content:".amazon.com"; endswith; msg:"x"; '
    "priority:1; flow:to_server, established; sid:4; rev:1;)"
)
AWS_HTTP_EXACT = (
    'pass http $HOME_NET any -> $EXTERNAL_NET any (http.host; content:"example.com"; startswith; endswith; msg:"x"; '
    "priority:1; flow:to_server, established; sid:5; rev:1;)"
)
AWS_HTTP_DROP = (
    'drop http $HOME_NET any -> $EXTERNAL_NET any (http.header_names; content:"|0d 0a|"; startswith; '
    'msg:"not matching any HTTP allowlisted FQDNs"; priority:1; flow:to_server, established; sid:6; rev:1;)'
)

Option = tuple[str, str | None]


@dataclass(frozen=True)
class ParsedRule:
    """A Suricata rule split into its header fields and its ``key[:value]`` options."""

    action: str
    proto: str
    src: str
    src_port: str
    direction: str
    dst: str
    dst_port: str
    options: tuple[Option, ...]

    def get(self, key: str) -> str | None:
        """The value of the first option ``key`` (KeyError when absent)."""
        return dict(self.options)[key]

    def shape(self) -> list[Option]:
        """Options without the ones that differ by design: msg text, sid and AWS's ``priority``."""
        return [(k, None if k in ("msg", "sid") else v) for k, v in self.options if k != "priority"]


def parse_rule(line: str) -> ParsedRule:
    """Tokenize one rule: seven header words, then options up to the closing parenthesis."""
    head, sep, rest = line.partition(" (")
    assert sep and rest.endswith(")"), line
    words = head.split()
    assert len(words) == 7, head
    options: list[Option] = []
    current, in_quotes, escaped = "", False, False
    for ch in rest[:-1]:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            current, escaped = current + ch, True
        elif ch == '"':
            current, in_quotes = current + ch, not in_quotes
        elif ch == ";" and not in_quotes:
            key, colon, value = current.strip().partition(":")
            options.append((key, value.strip() if colon else None))
            current = ""
        else:
            current += ch
    assert not in_quotes and not escaped and not current.strip(), f"unbalanced or unterminated: {line}"
    action, proto, src, src_port, direction, dst, dst_port = words
    return ParsedRule(action, proto, src, src_port, direction, dst, dst_port, tuple(options))


def unquote(value: str | None) -> str:
    """The text of a quoted option value."""
    assert value is not None and value.startswith('"') and value.endswith('"'), value
    return value[1:-1]


def to_python_regex(pcre: str) -> re.Pattern[str]:
    """Compile Suricata's ``/pattern/flags`` with Python's ``re``."""
    body, _, flags = pcre[1:].rpartition("/")
    return re.compile(body, re.IGNORECASE if "i" in flags else 0)


def buffer_matches(rule: ParsedRule, host: str) -> bool:
    """Evaluate the SNI or Host options of ``rule`` against ``host`` (sticky buffer, transforms, content, pcre)."""
    keys = [k for k, _ in rule.options]
    start = keys.index("tls.sni") if "tls.sni" in keys else keys.index("http.host")
    buffer = host.lower() if rule.proto == "http" else host  # http.host is normalised to lower case
    content: str | None = None
    flags: set[str] = set()
    ok = True
    for key, value in rule.options[start + 1 :]:
        if key == "dotprefix":
            buffer = "." + buffer
        elif key == "content":
            content = unquote(value)
        elif key in ("startswith", "endswith", "nocase"):
            flags.add(key)
        elif key == "pcre":
            ok = ok and bool(to_python_regex(unquote(value)).search(buffer))
        else:
            break
    assert content is not None
    hay, needle = (buffer.lower(), content.lower()) if "nocase" in flags else (buffer, content)
    if {"startswith", "endswith"} <= flags:
        ok = ok and hay == needle
    elif "endswith" in flags:
        ok = ok and hay.endswith(needle)
    elif "startswith" in flags:
        ok = ok and hay.startswith(needle)
    else:
        ok = ok and needle in hay
    return ok


def _entry(pattern: str, match: Match = "exact", ports: tuple[int, ...] = (443,)) -> Entry:
    host = pattern.removeprefix("*.")
    return Entry(
        pattern, (host,), ports, Classification(), "observed", 1, 0, ("observed: test",), (), match=match
    )


def _render(*entries: Entry, **params: str) -> list[ParsedRule]:
    text = SuricataExport().render(Policy(entries), ExportOptions(params=params)).text
    return [parse_rule(line) for line in text.splitlines() if not line.startswith("#")]


def test_exact_and_apex_rules_have_the_option_sequence_aws_generates() -> None:
    """TLS and HTTP pass rules and both drop rules match AWS's generated rules but for msg, sid, ports."""
    rules = _render(
        _entry("*.amazon.com", "apex-and-subdomains", (80, 443)), _entry("example.com", ports=(80, 443))
    )
    expected = [AWS_TLS_APEX, AWS_TLS_EXACT, AWS_HTTP_APEX, AWS_HTTP_EXACT, AWS_TLS_DROP, AWS_HTTP_DROP]
    ours = sorted(rules, key=lambda r: (r.action, r.proto == "http"))
    theirs = sorted(map(parse_rule, expected), key=lambda r: (r.action, r.proto == "http"))
    for mine, aws in zip(ours, theirs, strict=True):
        assert (mine.action, mine.proto, mine.src, mine.src_port, mine.direction, mine.dst) == (
            aws.action,
            aws.proto,
            aws.src,
            aws.src_port,
            aws.direction,
            aws.dst,
        )
        assert mine.dst_port == ("any" if mine.action == "drop" else "443" if mine.proto == "tls" else "80")
        if mine.action == "drop":
            assert mine.get("msg") == aws.get("msg")
        assert mine.shape() == aws.shape()


def test_sids_are_unique_sequential_and_start_at_the_parameter(shared_policy: Policy) -> None:
    """Every rule has rev 1 and a sid counting up from ``sid_start``; every line parses with balanced quotes."""
    text = SuricataExport().render(shared_policy, ExportOptions(params={"sid_start": "5000"})).text
    rules = [parse_rule(line) for line in text.splitlines() if not line.startswith("#")]
    assert [int(r.get("sid") or 0) for r in rules] == list(range(5000, 5000 + len(rules)))
    assert {r.get("rev") for r in rules} == {"1"}
    assert all(line.count('"') % 2 == 0 for line in text.splitlines())
    assert [r.action for r in rules][-2:] == ["drop", "drop"]
    assert all(r.action == "pass" for r in rules[:-2])


@pytest.mark.parametrize("bad", ["0", "-4", str(MAX_SID), "abc"])
def test_sid_start_out_of_range_is_refused(bad: str) -> None:
    """A sid_start that is not a number, or leaves no room for the rules below 2**32, is a ConfigError."""
    with pytest.raises(ConfigError, match="sid"):
        _render(_entry("pypi.org"), sid_start=bad)


SAMPLES = [
    "x.example.com",  # the apex
    "a.x.example.com",  # one label
    "A.X.Example.COM",  # one label, upper case
    "a.b.x.example.com",  # two labels
    "ax.example.com",  # a look-alike that only shares the suffix text
    "x.example.com.evil.net",  # the name as a prefix
    "example.com",  # the parent
]
KINDS: list[Match] = ["exact", "apex-and-subdomains", "subdomains", "one-label"]


@pytest.mark.parametrize("proto", ["tls", "http"])
@pytest.mark.parametrize("match", KINDS)
def test_each_match_kind_means_what_the_policy_means(match: Match, proto: str) -> None:
    """For every kind and sample host, the rule matches exactly when the policy entry covers the host."""
    pattern = "x.example.com" if match == "exact" else "*.x.example.com"
    port = 443 if proto == "tls" else 80
    (rule,) = [r for r in _render(_entry(pattern, match, (port,))) if r.action == "pass"]
    assert rule.proto == proto
    got = {host: buffer_matches(rule, host) for host in SAMPLES}
    assert got == {host: entry_covers(pattern, match, host.lower()) for host in SAMPLES}


def test_pcre_compiles_and_anchors_one_label() -> None:
    """The one-label pcre compiles with Python's re and matches one label in front of the name only."""
    regex = to_python_regex(pcre_pattern("x.com", caseless=True))
    assert all(regex.search(h) for h in ["a.x.com", "A-1.X.com"])
    assert not any(regex.search(h) for h in ["x.com", "a.b.x.com", "ax.com", "a.x.com.evil", "a_b.x.com"])
    assert pcre_pattern("x.com", caseless=False).endswith("$/")


def test_subdomains_only_needs_no_pcre_and_one_label_needs_content_with_pcre() -> None:
    """AWS allows pcre only with content: the one-label rule carries both, subdomains only content."""
    subs = name_options("tls", "x.com", "subdomains")
    one = name_options("tls", "x.com", "one-label")
    assert "pcre" not in subs and "dotprefix" not in subs
    assert one.index('content:".x.com"') < one.index("pcre:")
    assert name_options("http", "x.com", "one-label").endswith(r'pcre:"/^[a-z0-9-]+\.x\.com$/";')


@pytest.mark.parametrize("bad", ['x.com"; pass ip any', "x.com;", "X.com", "a|b.com", "a\\.com", "a b.com"])
def test_content_and_pcre_refuse_anything_but_ldh(bad: str) -> None:
    """Defence in depth: option values are built only from lower-case LDH names, never escaped afterwards."""
    with pytest.raises(ValueError, match="LDH"):
        name_options("tls", bad, "exact")
    with pytest.raises(ValueError, match="LDH"):
        pcre_pattern(bad, caseless=True)


def test_ports_pick_the_protocol_and_other_ports_get_both_with_a_note() -> None:
    """80 is HTTP only, 443 TLS only, 8443 both with a note; IP literals pass TCP to the address and ports."""
    policy = Policy(
        (
            _entry("deb.debian.org", ports=(80,)),
            _entry("pypi.org"),
            _entry("repo.example.com", ports=(443, 8443)),
            _entry("10.0.0.5", ports=(8080, 9443)),
        )
    )
    rendered = SuricataExport().render(policy, ExportOptions())
    rules = [parse_rule(line) for line in rendered.text.splitlines() if not line.startswith("#")]
    passes = {
        (r.proto, unquote(r.get("content")) if r.proto != "tcp" else r.dst, r.dst_port)
        for r in rules
        if r.action == "pass"
    }
    assert passes == {
        ("tcp", "10.0.0.5", "[8080,9443]"),
        ("http", "deb.debian.org", "80"),
        ("tls", "pypi.org", "443"),
        ("tls", "repo.example.com", "[443,8443]"),
        ("http", "repo.example.com", "8443"),
    }
    assert rendered.approximations == (
        "repo.example.com port(s) 8443: the policy does not say which protocol; written as both TLS (SNI) "
        "and HTTP (Host) rules, other protocols cannot be matched by name",
    )
    tcp = next(r for r in rules if r.proto == "tcp")
    assert tcp.get("flow") == "to_server" and tcp.src == "$HOME_NET"


def test_only_http_and_https_ports_need_no_note() -> None:
    """A policy on ports 80 and 443 only is expressed exactly: no approximation."""
    policy = Policy((_entry("*.ubuntu.com", "apex-and-subdomains", (80, 443)), _entry("pypi.org")))
    assert SuricataExport().render(policy, ExportOptions()).approximations == ()


def test_msg_text_never_breaks_out_of_its_quotes() -> None:
    """Reasons with quotes, semicolons, backslashes and pipes are made safe before they become msg text."""
    entry = Entry(
        "pypi.org",
        ("pypi.org",),
        (443,),
        Classification(notes=('a "b"; c \\ |d|',)),
        "observed",
        1,
        0,
        ('observed: "x"; pass ip any any -> any any (sid:1;)',),
        (),
    )
    (rule, *_) = _render(entry)
    msg = unquote(rule.get("msg"))
    assert not set(msg) & set('";\\|')
    assert rule.get("sid") == "1000001"


def test_shared_policy_rules_are_all_valid_and_in_order(shared_policy: Policy) -> None:
    """IP rules first, then TLS, then HTTP pass rules, then the two drops; every pass rule names its ports."""
    rules = _render(*shared_policy.entries)
    order = [(r.action, r.proto) for r in rules]
    assert order == sorted(order, key=lambda ap: (ap[0] == "drop", ["tcp", "tls", "http"].index(ap[1])))
    assert all(r.dst_port != "any" for r in rules if r.action == "pass")
    for r in rules:
        if r.proto in ("tls", "http") and r.action == "pass":
            assert r.get("flow") == "to_server, established"
            if r.proto == "tls":
                assert r.options[0] == ("ssl_state", "client_hello")
