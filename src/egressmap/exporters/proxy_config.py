r"""proxy-config: a POSIX sh bootstrap script that points a node at an HTTP proxy everywhere it matters.

It writes the proxy to ``/etc/environment`` and ``/etc/profile.d`` (both cases), apt, dnf/yum (when their
file exists), pip, snapd, Docker, the SSM agent (deb/rpm and snap units) and the CloudWatch agent, and ends
with the ParallelCluster ``Proxy`` settings as a comment. Every write is idempotent: files the script owns
are replaced whole, shared files get one block between markers that the next run replaces. With
``EGRESSMAP_ROOT=DIR`` every path is under ``DIR`` and no command runs (tests, image staging).

``no_proxy`` is written in the one form that curl, Python (urllib, requests, botocore), Go and Node read
the same way; what each of them does with an entry (checked against the code or the manual):

=================== ================ ======================= ============== =========================
entry               curl 7.88        Python urllib, botocore Go httpproxy   Node >= 24 built-in
=================== ================ ======================= ============== =========================
``x.com``           x.com and below  x.com and below         x.com, below   x.com only
``.x.com``          x.com and below  x.com and below         below only     x.com and below (some
                                                                            versions: below only)
``*.x.com``         never matches    never matches           below only     below only
``10.0.0.0/8``      CIDR             never (requests: IPv4)  CIDR           some versions (IPv4)
``fd00:ec2::254``   matches          requests only           matches        not checked
``[fd00:ec2::254]`` never matches    urllib, botocore        never matches  not checked
=================== ================ ======================= ============== =========================

Sources: curl ``CURLOPT_NOPROXY(3)`` (https://curl.se/libcurl/c/CURLOPT_NOPROXY.html: IPv6 "without
enclosing brackets", CIDR since 7.86.0) and a run of curl 7.88.1 (a leading dot is ignored); CPython
``urllib.request.proxy_bypass_environment`` (leading dots stripped, suffix on a dot boundary, compared with
the URL's ``host[:port]``, which keeps IPv6 brackets); requests ``utils.should_bypass_proxies`` (bare IPv6,
CIDR for IPv4 only, then falls back to urllib); botocore ``utils.should_bypass_proxies`` (urllib on the
netloc); golang/net ``http/httpproxy/proxy.go`` (CL 115255: ".y.com matches x.y.com but not y.com");
Node ``lib/internal/http.js`` ``ProxyConfig.shouldUseProxy`` and https://nodejs.org/api/http.html
(``NO_PROXY`` is read only with ``NODE_USE_ENV_PROXY=1``).

So every name is written twice, ``x.com,.x.com`` (curl, Python and Go already match x.com and below; Node
needs the dotted form for the names below), IPv6 addresses twice (bare and bracketed), and never a CIDR,
a ``*.`` or a port. Every tool then bypasses the proxy for the name and every name below it: a wildcard
entry and an exact entry alike, which is reported as an approximation.
"""

from __future__ import annotations

import ipaddress
import re

from ..errors import ConfigError
from ..hostnames import normalize_host
from ..model import Policy
from .interface import Exporter, ExportOptions, Rendered
from .rules import Rule, safe_text

#: Always bypassed: loopback, and the instance metadata service (IMDS; v4 and the Nitro IPv6 address).
FIXED = ("localhost", "127.0.0.1", "::1", "[::1]", "169.254.169.254", "fd00:ec2::254", "[fd00:ec2::254]")

_URL = re.compile(r"(https?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?/?", re.ASCII)
_KIND = {"apex-and-subdomains": "the name and every name below it", "subdomains": "every name below it"}


def checked_proxy(raw: str) -> str:
    """``raw`` as ``http[s]://HOST[:PORT]`` (host lower-cased), or ConfigError.

    >>> checked_proxy("http://Proxy.Example.internal:3128/")
    'http://proxy.example.internal:3128'
    """
    match = _URL.fullmatch(raw)
    if not match:
        raise ConfigError(
            f"proxy-config: --proxy {raw[:80]!r} is not http://HOST[:PORT] or https://HOST[:PORT] "
            "(no credentials, path, spaces or quotes)"
        )
    scheme, host, port = match.groups()
    try:
        host = f"[{ipaddress.IPv6Address(host[1:-1])}]" if host.startswith("[") else normalize_host(host)
    except ValueError as exc:
        raise ConfigError(f"proxy-config: --proxy {raw[:80]!r}: bad host ({exc})") from None
    if port is not None and not 0 < int(port) < 65536:
        raise ConfigError(f"proxy-config: --proxy {raw[:80]!r}: port {port} is out of range")
    return f"{scheme}://{host}" + (f":{int(port)}" if port else "")


def bypass_rules(rules: tuple[Rule, ...]) -> list[Rule]:
    """Rules whose traffic should not go through the proxy: private endpoints and internal names."""
    return [
        r
        for r in rules
        if (r.entry.scope == "cloud" and r.entry.classification.private_endpoint in ("interface", "gateway"))
        or r.entry.classification.category == "internal"
    ]


def no_proxy(rules: list[Rule]) -> tuple[list[str], list[str], list[str]]:
    """The no_proxy entries, a comment line per rule saying why, and approximation notes."""
    names = [r.name for r in rules if not r.is_ip]
    ips = sorted((r for r in rules if r.is_ip), key=lambda r: _ip_key(r.name))
    entries = list(FIXED)
    comments: list[str] = []
    notes: list[str] = []
    for rule in [r for r in rules if not r.is_ip] + ips:
        c = rule.entry.classification
        what = " ".join(x for x in (c.provider, c.service) if x)
        why = "internal" if c.category == "internal" else f"{what} {c.private_endpoint} endpoint"
        shown = f"{rule.name} (policy *.{rule.name}, {rule.match})" if rule.wildcard else rule.name
        above = [n for n in names if rule.name.endswith("." + n)]
        covered = f"; covered by {min(above, key=len)}" if above else ""
        comments.append(f"#   {shown}: {safe_text(why, 80)}{covered}")
        if rule.wildcard:
            meant = _KIND.get(rule.match, "exactly one label below it")
            notes.append(
                f"no_proxy for *.{rule.name} ({rule.match}: {meant}): wrote {rule.name},.{rule.name}; "
                f"curl, Python, Go and Node bypass the proxy for {rule.name} and names at every depth below it"
            )
        if rule.is_ip:
            entries += [rule.name, f"[{rule.name}]"] if ":" in rule.name else [rule.name]
        elif not above:
            entries += [rule.name, "." + rule.name]
    exact = [r.name for r in rules if not r.wildcard and not r.is_ip]
    if exact:
        notes.append(
            f"no_proxy has no 'this name only' form all tools share: the {len(exact)} exact names "
            f"(e.g. {exact[0]}) also bypass the proxy for every name below them"
        )
    return list(dict.fromkeys(entries)), comments, notes


def _shown(rule: Rule) -> str:
    name = f"*.{rule.name} ({rule.match})" if rule.wildcard else rule.name
    return f"#   {name} port {', '.join(str(p) for p in rule.ports)}"


def _ip_key(name: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(name)
    return ip.version, int(ip)


class ProxyConfigExport(Exporter):
    """A bootstrap script (ParallelCluster OnNodeStart, Image Builder component) that sets up a proxy."""

    name = "proxy-config"
    description = (
        "sh bootstrap script: proxy for env, apt, dnf/yum, pip, snapd, Docker, SSM and CloudWatch agents"
    )
    default_scope = "all"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """The script; the proxy is baked in from ``options.proxy`` or taken at run time."""
        proxy = checked_proxy(options.proxy) if options.proxy is not None else None
        ruleset = self.rules(policy, options)
        bypass = bypass_rules(ruleset.rules)
        entries, comments, notes = no_proxy(bypass)
        direct = {id(r) for r in bypass}
        through = [_shown(r) for r in ruleset.rules if id(r) not in direct]
        if proxy is None:
            source = _RUNTIME
            shown = "http://PROXY_HOST:PORT"
        else:
            source = _BAKED.replace("@PROXY@", proxy)
            shown = proxy
        text = (
            _SCRIPT.replace("@SOURCE@", source)
            .replace("@COMMENTS@", "\n".join(comments or ["#   (none in this policy)"]))
            .replace("@THROUGH@", "\n".join(through or ["#   (none in this policy)"]))
            .replace("@NO_PROXY@", ",".join(entries))
            .replace("@SHOWN@", shown)
        )
        return Rendered(text, tuple(notes), ruleset.rejected)


_BAKED = """\
PROXY='@PROXY@'
if [ "$#" -gt 0 ]; then
    echo "usage: $0 (takes no arguments: generated for $PROXY)" >&2
    exit 2
fi"""

_RUNTIME = """\
PROXY=${1:-${EGRESSMAP_PROXY:-}}
if [ -z "$PROXY" ]; then
    echo "usage: $0 http://PROXY_HOST:PORT   (or set EGRESSMAP_PROXY)" >&2
    exit 2
fi"""

_SCRIPT = r"""#!/bin/sh
# egressmap proxy-config: point this node at an HTTP proxy: /etc/environment and /etc/profile.d (both
# cases), apt, dnf/yum, pip, snapd, Docker, the SSM agent and the CloudWatch agent.
# Run as root, once or again (idempotent): files this script owns are replaced whole; in shared files
# one block between "# BEGIN/END egressmap proxy-config" is replaced, and earlier proxy settings for
# the same keys are removed.
# ParallelCluster: CustomActions OnNodeStart (Script: this file; Args: [PROXY_URL] unless baked in).
# EC2 Image Builder: a component step "sh proxy-config.sh [PROXY_URL]".
# EGRESSMAP_ROOT=DIR writes under DIR instead of / and runs no command (tests, image staging).
# EGRESSMAP_NO_RESTART=1 skips restarting running services (set it under SSM Run Command, since
# restarting amazon-ssm-agent ends the command).
set -eu
umask 022
ROOT=${EGRESSMAP_ROOT:-}
@SOURCE@

# The URL is checked before it is written anywhere: http or https, a host name, IPv4 or [IPv6]
# address, an optional port; no credentials, path, quotes, spaces or shell characters.
valid_proxy() {
    case $1 in
        http://*) rest=${1#http://} ;;
        https://*) rest=${1#https://} ;;
        *) return 1 ;;
    esac
    rest=${rest%/}
    case $rest in
        *[!]A-Za-z0-9.:[-]*) return 1 ;;
        \[*\]:*) host=${rest%%]:*}; host=${host#\[}; port=${rest##*]:}; v6=1 ;;
        \[*\]) host=${rest#\[}; host=${host%]}; port=none; v6=1 ;;
        *:*) host=${rest%:*}; port=${rest##*:}; v6= ;;
        *) host=$rest; port=none; v6= ;;
    esac
    if [ -n "$v6" ]; then
        case $host in '' | *[!0-9A-Fa-f:.]*) return 1 ;; esac
    else
        case $host in '' | .* | *. | *..* | -* | *[!A-Za-z0-9.-]*) return 1 ;; esac
    fi
    case $port in
        none) return 0 ;;
        '' | *[!0-9]* | ??????*) return 1 ;;
    esac
    [ "$port" -ge 1 ] && [ "$port" -le 65535 ]
}
if ! valid_proxy "$PROXY"; then
    echo "egressmap proxy-config: refusing proxy URL (want http[s]://HOST[:PORT], no credentials)" >&2
    exit 2
fi
PROXY=${PROXY%/}

# no_proxy: the same list everywhere. Each name is written as "name,.name": curl, Python and Go read
# "name" as the name and every name below it; Node's built-in proxy (NODE_USE_ENV_PROXY=1) matches
# "name" exactly and ".name" for the names below. IPv6 addresses come bare (curl, requests, Go) and in
# brackets (urllib and botocore compare the URL's "[addr]"). No CIDRs: urllib and botocore never match
# them. No "*.": curl and urllib never match it. No ports: curl ignores them, so bypass is per host.
# Fixed: localhost, 127.0.0.1, ::1 and the instance metadata service (169.254.169.254, fd00:ec2::254).
# From the policy (private endpoints and internal destinations):
@COMMENTS@
# Through the proxy: everything else, including the policy's other destinations (allow them there):
@THROUGH@
NO_PROXY_LIST='@NO_PROXY@'

MARK_BEGIN='# BEGIN egressmap proxy-config'
MARK_END='# END egressmap proxy-config'
GENERATED='egressmap proxy-config (generated; run the bootstrap script again to change it)'

say() { echo "egressmap proxy-config: $*" >&2; }

# put_file PATH CONTENT: a file this script owns, replaced whole.
put_file() {
    mkdir -p "${1%/*}"
    printf '%s\n' "$2" > "$1.egressmap-tmp"
    mv -f "$1.egressmap-tmp" "$1"
    say "wrote ${1#"$ROOT"}"
}

# put_block FILE SECTION DROP BLOCK: in FILE (created if missing) remove the block an earlier run wrote
# and, inside [SECTION] (the whole file when SECTION is empty), lines matching DROP; then write BLOCK
# between the markers right after the [SECTION] header, or at the end (with the header if missing).
put_block() {
    mkdir -p "${1%/*}"
    [ -e "$1" ] || : > "$1"
    EGRESSMAP_BLOCK="$MARK_BEGIN
$4
$MARK_END" awk -v sec="$2" -v drop="$3" -v mb="$MARK_BEGIN" -v me="$MARK_END" '
        BEGIN { blk = ENVIRON["EGRESSMAP_BLOCK"]; hdr = "^[ \t]*\\[" sec "\\][ \t]*$"; insec = (sec == "") }
        skip { if ($0 == me) skip = 0; next }
        $0 == mb { skip = 1; next }
        sec != "" && /^[ \t]*\[/ { insec = ($0 ~ hdr) }
        insec && drop != "" && $0 ~ drop { next }
        { print }
        sec != "" && !done && $0 ~ hdr { print blk; done = 1 }
        END { if (!done) { if (sec != "") print "[" sec "]"; print blk } }
    ' "$1" > "$1.egressmap-tmp"
    cat "$1.egressmap-tmp" > "$1"
    rm -f "$1.egressmap-tmp"
    say "updated ${1#"$ROOT"}"
}

VARS="http_proxy=$PROXY
https_proxy=$PROXY
no_proxy=$NO_PROXY_LIST
HTTP_PROXY=$PROXY
HTTPS_PROXY=$PROXY
NO_PROXY=$NO_PROXY_LIST"

# Environment: pam_env for every session, profile.d for login shells. The profile.d name sorts after
# ParallelCluster's proxy.sh, whose fixed no_proxy (localhost,127.0.0.1,169.254.169.254) it replaces.
put_block "$ROOT/etc/environment" "" \
    '^[ \t]*(export[ \t]+)?(http_proxy|https_proxy|no_proxy|HTTP_PROXY|HTTPS_PROXY|NO_PROXY)=' "$VARS"
put_file "$ROOT/etc/profile.d/zz-egressmap-proxy.sh" "# $GENERATED
$(printf '%s\n' "$VARS" | sed "s/=\(.*\)/='\1'/")
export http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY"

# apt (Debian, Ubuntu): apt.conf.d is read before apt.conf.
if [ -d "$ROOT/etc/apt/apt.conf.d" ]; then
    put_file "$ROOT/etc/apt/apt.conf.d/95egressmap-proxy" "// $GENERATED
Acquire::http::Proxy \"$PROXY\";
Acquire::https::Proxy \"$PROXY\";"
fi

# dnf and yum: proxy= in [main]; on EL8+ and AL2023 yum.conf is a link to dnf.conf (same block).
for conf in "$ROOT/etc/dnf/dnf.conf" "$ROOT/etc/yum.conf"; do
    if [ -f "$conf" ]; then
        put_block "$conf" main '^[ \t]*proxy[ \t]*=' "proxy=$PROXY"
    fi
done

# pip: the site-wide /etc/pip.conf.
put_block "$ROOT/etc/pip.conf" global '^[ \t]*proxy[ \t]*=' "proxy = $PROXY"

# Docker daemon (image pulls), and the SSM agent as a deb/rpm unit and as the Ubuntu snap. AWS: a
# Session Manager agent needs an HTTP (not HTTPS) proxy and IMDS in no_proxy.
case $PROXY in https://*) say "warning: Session Manager does not support HTTPS proxies" ;; esac
UNIT_ENV=$(printf '%s\n' "$VARS" | sed 's/.*/Environment="&"/')
for unit in docker.service amazon-ssm-agent.service snap.amazon-ssm-agent.amazon-ssm-agent.service; do
    put_file "$ROOT/etc/systemd/system/$unit.d/egressmap-proxy.conf" "# $GENERATED
[Service]
$UNIT_ENV"
done

# CloudWatch agent: the [proxy] table of common-config.toml (the agent does not see /etc/environment
# under SSM Run Command), when the agent is installed.
if [ -d "$ROOT/opt/aws/amazon-cloudwatch-agent/etc" ]; then
    put_block "$ROOT/opt/aws/amazon-cloudwatch-agent/etc/common-config.toml" proxy \
        '^[ \t]*(http_proxy|https_proxy|no_proxy)[ \t]*=' "    http_proxy = \"$PROXY\"
    https_proxy = \"$PROXY\"
    no_proxy = \"$NO_PROXY_LIST\""
fi

if [ -z "$ROOT" ]; then
    # snapd keeps its own proxy setting (store downloads).
    if command -v snap > /dev/null 2>&1; then
        snap set system proxy.http="$PROXY" proxy.https="$PROXY" || say "warning: snap set failed"
    fi
    if [ -d /run/systemd/system ] && command -v systemctl > /dev/null 2>&1; then
        systemctl daemon-reload
        if [ "${EGRESSMAP_NO_RESTART:-}" != 1 ]; then
            for unit in docker.service amazon-ssm-agent.service \
                snap.amazon-ssm-agent.amazon-ssm-agent.service amazon-cloudwatch-agent.service; do
                if systemctl is-active --quiet "$unit"; then
                    systemctl restart "$unit" || say "warning: could not restart $unit"
                fi
            done
        fi
    fi
fi
say "done: proxy $PROXY"

# ParallelCluster: set the proxy in the cluster config too (it writes dnf/yum/apt, /etc/boto.cfg and
# /etc/profile.d/proxy.sh at boot; this script's later profile.d file restores the policy's no_proxy):
#
# HeadNode:
#   Networking:
#     Proxy:
#       HttpProxyAddress: @SHOWN@
# Scheduling:
#   SlurmQueues:
#     - Name: QUEUE_NAME
#       Networking:
#         Proxy:
#           HttpProxyAddress: @SHOWN@
# (and LoginNodes.Pools[].Networking.Proxy.HttpProxyAddress for login nodes)
"""
