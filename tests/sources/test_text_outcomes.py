"""Failure wordings, one real-shaped line per tool (wordings from the tools' sources and public logs)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from egressmap.model import Observation
from egressmap.sources.freetext import FreeText
from egressmap.sources.text_outcomes import FAILURES, find_failures

# line -> (tool that must be among the hints, the destinations the line fails)
LINES: dict[str, tuple[str, set[tuple[str, int]]]] = {
    "Err:1 http://archive.ubuntu.com/ubuntu jammy InRelease": ("apt", {("archive.ubuntu.com", 80)}),
    "E: Failed to fetch http://ports.ubuntu.com/ubuntu-ports/pool/main/w/wg/wg_1.0_armhf.deb  Temporary "
    "failure resolving 'ports.ubuntu.com'": ("apt", {("ports.ubuntu.com", 80)}),
    "  Cannot initiate the connection to deb.debian.org:80 (2a04:4e42::644). - connect (101: Network is "
    "unreachable)": ("apt", {("deb.debian.org", 80)}),
    "  - Curl error (7): Couldn't connect to server for http://cdn.remirepo.net/enterprise/8/modular/x86_64/"
    "mirror []": ("dnf/librepo", {("cdn.remirepo.net", 80)}),
    'http://mirror.example.com/epel/7/x86_64/repodata/repomd.xml: [Errno 14] curl#7 - "Failed connect to '
    'mirror.example.com:80; No route to host"': ("yum", {("mirror.example.com", 80)}),
    "Could not retrieve mirrorlist http://mirrorlist.centos.org/?release=7&arch=x86_64&repo=os&infra=stock "
    "error was": ("yum", {("mirrorlist.centos.org", 80)}),
    "curl: (7) Failed to connect to raw.githubusercontent.com port 443 after 3 ms: Couldn't connect to "
    "server": ("curl", {("raw.githubusercontent.com", 443)}),
    "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to github.com:443": (
        "curl",
        {("github.com", 443)},
    ),
    "[2015-07-23T23:41:49+09:00] ERROR: remote_file[/var/chef/cache/redis.tar.gz] (php-redis::default line 1) "
    "had an error: SocketError: Error connecting to https://github.com/x/y/archive/master.tar.gz - "
    "getaddrinfo: No address associated with hostname": ("chef", {("github.com", 443)}),
    "    Failed to open TCP connection to supermarket.chef.io:443 (getaddrinfo: Name or service not known)": (
        "ruby",
        {("supermarket.chef.io", 443)},
    ),
    "[2017-09-27T20:33:50+00:00] ERROR: Connection refused connecting to https://chef.corp.example.com/"
    "organizations/eti/nodes/web1, retry 1/5": ("chef", {("chef.corp.example.com", 443)}),
    "npm ERR! request to https://registry.npmjs.org/express failed, reason: getaddrinfo ENOTFOUND "
    "registry.npmjs.org": ("npm", {("registry.npmjs.org", 443)}),
    "npm ERR! network getaddrinfo ENOTFOUND registry.npmjs.org registry.npmjs.org:443": (
        "node",
        {("registry.npmjs.org", 443)},
    ),
    "npm ERR! network connect ETIMEDOUT 151.101.64.162:80": ("node", {("151.101.64.162", 80)}),
    "npm ERR! request to https://registry.npmjs.org/lite-server failed, reason: connect ECONNREFUSED "
    "10.32.47.71:80": ("npm", {("registry.npmjs.org", 443)}),
    "[ERROR] Failed to execute goal on project app: Could not resolve dependencies: Could not transfer "
    "artifact org.slf4j:slf4j-api:jar:2.0.9 from/to central (https://repo.maven.apache.org/maven2): Connect "
    "to repo.maven.apache.org:443 [repo.maven.apache.org/151.101.180.215] failed: Connection refused": (
        "maven",
        {("repo.maven.apache.org", 443)},
    ),
    "Could not transfer artifact batik:batik-css:jar:1.6-1 from/to central (https://repo.maven.apache.org/"
    "maven2): repo.maven.apache.org: Unknown host repo.maven.apache.org": (
        "maven",
        {("repo.maven.apache.org", 443)},
    ),
    "   > Could not GET 'https://plugins.gradle.org/m2/com/x/y/1.0/y-1.0.pom'. Received status code 403 from "
    "server: Forbidden": ("gradle", {("plugins.gradle.org", 443)}),
    'go: github.com/x/y@v1.0.0: Get "https://proxy.golang.org/github.com/x/y/@v/v1.0.0.mod": dial tcp: lookup '
    "proxy.golang.org on 10.255.255.254:53: server misbehaving": ("go", {("proxy.golang.org", 443)}),
    "go: github.com/kr/pty@v1.1.5: Get https://proxy.golang.org/github.com/kr/pty/@v/v1.1.5.mod: dial tcp "
    "173.194.197.141:443: i/o timeout": ("go", {("proxy.golang.org", 443)}),
    "go: downloading go1.22.1: dial tcp: lookup proxy.golang.org: no such host": (
        "go",
        {("proxy.golang.org", 443)},
    ),
    "Resolving download.example.org (download.example.org)... failed: Name or service not known.": (
        "wget",
        {("download.example.org", 443)},
    ),
    "wget: unable to resolve host address 'download.example.org'": ("wget", {("download.example.org", 443)}),
    "fatal: unable to access 'https://github.com/aws/aws-parallelcluster-node.git/': Could not resolve host: "
    "github.com": ("git", {("github.com", 443)}),
    "fatal: unable to access 'https://github.com/o/r/': The requested URL returned error: 403": (
        "git",
        {("github.com", 443)},
    ),
    "CondaHTTPError: HTTP 000 CONNECTION FAILED for url <https://repo.anaconda.com/pkgs/main/linux-64/"
    "current_repodata.json>": ("conda", {("repo.anaconda.com", 443)}),
    'error: cannot install "lxd": Post "https://api.snapcraft.io/v2/snaps/refresh": dial tcp: lookup '
    "api.snapcraft.io on 127.0.0.53:53: server misbehaving": ("go", {("api.snapcraft.io", 443)}),
    "#5 0.412 ERROR: https://dl-cdn.alpinelinux.org/alpine/v3.19/main: temporary error (try again later)": (
        "apk",
        {("dl-cdn.alpinelinux.org", 443)},
    ),
    "wget: bad address 'github.com'": ("wget", {("github.com", 443)}),
    'go: github.com/x/y@v1.0.0: Get "https://proxy.golang.org/github.com/x/y/@v/list": x509: certificate signed '
    "by unknown authority": ("tls", {("proxy.golang.org", 443)}),
    "Get https://registry-1.docker.io/v2/: net/http: request canceled while waiting for connection "
    "(Client.Timeout exceeded while awaiting headers)": ("go", {("registry-1.docker.io", 443)}),
}


def test_each_tool_wording_fails_its_destination() -> None:
    """Every sample line gives failed connect observations for exactly its destinations."""
    for line, (tool, wanted) in LINES.items():
        assert tool in {h.tool for h in find_failures(line)}, line
        items = [o for o in FreeText().read([line], "f.log") if isinstance(o, Observation)]
        failed = {(o.host, o.port) for o in items if o.outcome == "failed"}
        assert failed == wanted, line
        assert all(o.kind == "connect" and o.tier == "observed" for o in items if o.outcome == "failed")


def test_a_proxy_refusing_the_tunnel_is_a_denial() -> None:
    """curl's and Python's words for a proxy answering 403/407 to CONNECT make the target denied."""
    lines = [
        "+ curl -fsSL https://download.example-vendor.com/agent.rpm -o agent.rpm",
        "curl: (56) Received HTTP code 403 from proxy after CONNECT",
        "fatal: unable to access 'https://gitlab.example.org/g/p.git/': CONNECT tunnel failed, response 403",
        "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='pypi.org', port=443): Max "
        "retries exceeded with url: /simple/x/ (Caused by ProxyError('Unable to connect to proxy', "
        "OSError('Tunnel connection failed: 403 Forbidden')))",
    ]
    items = [o for o in FreeText().read(lines, "d.log") if isinstance(o, Observation) and o.kind == "connect"]
    assert [(o.source, o.host, o.outcome) for o in items] == [
        ("d.log:2", "download.example-vendor.com", "denied"),
        ("d.log:3", "gitlab.example.org", "denied"),
        ("d.log:4", "pypi.org", "denied"),
    ]
    assert all(o.reason.startswith("denied by a proxy in the log") for o in items)


def test_success_lines_are_not_failures() -> None:
    """Download progress and successful fetches have no failure wording."""
    for line in (
        "Get:1 http://security.ubuntu.com/ubuntu jammy-security InRelease [110 kB]",
        "Hit:2 http://archive.ubuntu.com/ubuntu jammy InRelease",
        "Downloading https://files.pythonhosted.org/packages/x/requests-2.31.0-py3-none-any.whl (62 kB)",
        "Connecting to github.com (github.com)|140.82.112.3|:443... connected.",
        "Rocky Linux 9 - BaseOS                          1.2 MB/s | 2.3 MB     00:01",
        "Downloaded from central: https://repo.maven.apache.org/maven2/x/y/1.0/y-1.0.jar (13 kB at 134 kB/s)",
    ):
        assert find_failures(line) == [], line


def test_every_wording_names_its_public_source() -> None:
    """The registry is not empty and every tool wording has a needle its pattern can match."""
    assert len(FAILURES) >= 30
    assert all(w.needles and all(w.needles) and w.tool for w in FAILURES)


@given(st.text(max_size=300))
def test_find_failures_never_raises(text: str) -> None:
    """Arbitrary text gives hints or nothing."""
    for hint in find_failures("Err:1 curl: (6) Connection refused " + text):
        assert hint.outcome == "failed"
