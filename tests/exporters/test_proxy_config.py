"""proxy-config: the script parses, runs for real under a temporary root, refuses bad proxy URLs, and its
no_proxy is read the same way by real curl, urllib, requests and botocore (loopback only).

Node is not exercised: only Node >= 24 reads NO_PROXY by itself (NODE_USE_ENV_PROXY=1); older versions
have no built-in proxy support to test.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSRequest
from botocore.httpsession import URLLib3Session
from botocore.utils import get_environ_proxies

from egressmap.errors import ConfigError
from egressmap.exporters import ExportOptions
from egressmap.exporters.proxy_config import FIXED, ProxyConfigExport, checked_proxy
from egressmap.model import Classification, Entry, Match, Policy, PrivateEndpoint

SHELLS = [s for s in ("sh", "bash") if shutil.which(s)]
P = "http://proxy.example.internal:3128"
NP = ",".join([*FIXED, "sts.us-east-1.amazonaws.com", ".sts.us-east-1.amazonaws.com", "10.0.0.5"])
BEGIN, END = "# BEGIN egressmap proxy-config", "# END egressmap proxy-config"
GEN = "egressmap proxy-config (generated; run the bootstrap script again to change it)"
VARS = f"http_proxy={P}\nhttps_proxy={P}\nno_proxy={NP}\nHTTP_PROXY={P}\nHTTPS_PROXY={P}\nNO_PROXY={NP}\n"
UNIT = f"# {GEN}\n[Service]\n" + "".join(f'Environment="{line}"\n' for line in VARS.splitlines())

BAD_PROXIES = [
    "http://proxy example:3128",
    'http://proxy";touch /tmp/pwned;"',
    "http://proxy';touch /tmp/pwned;'",
    "http://proxy;reboot",
    "http://proxy\n:3128",
    "http://proxy:3128\n",
    "http://proxy:3128\t",
    "http://user:secret@proxy:3128",
    "ftp://proxy:21",
    "socks5://proxy:1080",
    "proxy:3128",
    "http://proxy:99999",
    "http://proxy:0",
    "http://proxy/path",
    "http://$(id):3128",
    "http://`id`:3128",
    "http://[fd00::1",
    "http://a..b:3128",
    "http://-a.example:3128",
]


def _entry(
    pattern: str,
    match: Match = "exact",
    endpoint: PrivateEndpoint = "none",
    category: str = "other",
    ports: tuple[int, ...] = (443,),
) -> Entry:
    cloud = endpoint != "none"
    c = Classification(
        scope="cloud" if cloud else "internet",
        provider="aws" if cloud else None,
        service=pattern.split(".")[0] if cloud else None,
        private_endpoint=endpoint,
        category=category,
    )
    return Entry(
        pattern, (pattern.removeprefix("*."),), ports, c, "observed", 1, 0, ("observed: t",), (), match=match
    )


SMALL = Policy(
    (
        _entry("sts.us-east-1.amazonaws.com", endpoint="interface", category="cloud-api"),
        _entry("10.0.0.5", category="internal", ports=(8080,)),
        _entry("pypi.org"),
    )
)
"""One interface endpoint, one internal address, one internet name that stays behind the proxy."""


def _script(tmp_path: Path, policy: Policy, proxy: str | None = P) -> Path:
    path = tmp_path / "proxy-config.sh"
    path.write_text(ProxyConfigExport().render(policy, ExportOptions(proxy=proxy)).text, encoding="utf-8")
    return path


def _run(
    shell: str, script: Path, root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {"PATH": os.environ["PATH"], "EGRESSMAP_ROOT": str(root), **(env or {})}
    return subprocess.run(
        [shell, str(script), *args], env=full, capture_output=True, text=True, timeout=120, check=False
    )


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("proxy", [P, None])
def test_script_parses(shell: str, proxy: str | None, shared_policy: Policy, tmp_path: Path) -> None:
    """``sh -n`` and ``bash -n`` accept the script, baked or taking the proxy at run time, empty or not."""
    for policy in (shared_policy, Policy(())):
        done = subprocess.run(
            [shell, "-n", str(_script(tmp_path, policy, proxy))], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_script_writes_exact_files_and_is_idempotent(shell: str, tmp_path: Path) -> None:
    """Run for real under a temporary root, twice: exactly these files, the second run changes nothing."""
    root = tmp_path / "root"
    (root / "etc/dnf").mkdir(parents=True)
    (root / "etc/apt/apt.conf.d").mkdir(parents=True)
    (root / "opt/aws/amazon-cloudwatch-agent/etc").mkdir(parents=True)
    (root / "etc/dnf/dnf.conf").write_text(
        "[main]\ngpgcheck=1\nproxy=http://old:1\n\n[epel]\nname=EPEL\nproxy=http://repo-proxy:3128\n"
    )
    (root / "etc/yum.conf").symlink_to("dnf/dnf.conf")
    (root / "etc/environment").write_text('PATH="/usr/bin:/bin"\nhttp_proxy=http://old:1\n')
    cwa = root / "opt/aws/amazon-cloudwatch-agent/etc/common-config.toml"
    cwa.write_text(
        '# [proxy]\n#    http_proxy = "{http_url}"\n[credentials]\n  shared_credential_profile = "x"\n'
    )
    script = _script(tmp_path, SMALL)
    dnf = (
        f"[main]\n{BEGIN}\nproxy={P}\n{END}\ngpgcheck=1\n\n[epel]\nname=EPEL\nproxy=http://repo-proxy:3128\n"
    )
    quoted = re.sub(r"=(.*)", r"='\1'", VARS)
    expected = {
        "etc/apt/apt.conf.d/95egressmap-proxy": (
            f'// {GEN}\nAcquire::http::Proxy "{P}";\nAcquire::https::Proxy "{P}";\n'
        ),
        "etc/dnf/dnf.conf": dnf,
        "etc/environment": f'PATH="/usr/bin:/bin"\n{BEGIN}\n{VARS}{END}\n',
        "etc/pip.conf": f"[global]\n{BEGIN}\nproxy = {P}\n{END}\n",
        "etc/profile.d/zz-egressmap-proxy.sh": (
            f"# {GEN}\n{quoted}export http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY\n"
        ),
        "etc/systemd/system/amazon-ssm-agent.service.d/egressmap-proxy.conf": UNIT,
        "etc/systemd/system/docker.service.d/egressmap-proxy.conf": UNIT,
        "etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d/egressmap-proxy.conf": UNIT,
        "etc/yum.conf": dnf,
        "opt/aws/amazon-cloudwatch-agent/etc/common-config.toml": (
            '# [proxy]\n#    http_proxy = "{http_url}"\n[credentials]\n  shared_credential_profile = "x"\n'
            f'[proxy]\n{BEGIN}\n    http_proxy = "{P}"\n    https_proxy = "{P}"\n    no_proxy = "{NP}"\n{END}\n'
        ),
    }
    for _ in range(2):
        done = _run(shell, script, root)
        assert done.returncode == 0, done.stderr
        assert _tree(root) == expected
        assert (root / "etc/yum.conf").is_symlink()


@pytest.mark.parametrize("shell", SHELLS)
def test_absent_tools_are_left_alone(shell: str, tmp_path: Path) -> None:
    """Without apt, dnf, yum or the CloudWatch agent only the environment, pip and unit drop-ins appear."""
    root = tmp_path / "root"
    root.mkdir()
    done = _run(shell, _script(tmp_path, SMALL, proxy=None), root, "https://[FD00::1]:8443/")
    assert done.returncode == 0, done.stderr
    assert sorted(_tree(root)) == [
        "etc/environment",
        "etc/pip.conf",
        "etc/profile.d/zz-egressmap-proxy.sh",
        "etc/systemd/system/amazon-ssm-agent.service.d/egressmap-proxy.conf",
        "etc/systemd/system/docker.service.d/egressmap-proxy.conf",
        "etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d/egressmap-proxy.conf",
    ]
    assert (root / "etc/pip.conf").read_text().splitlines()[2] == "proxy = https://[FD00::1]:8443"
    assert "Session Manager does not support HTTPS proxies" in done.stderr


@pytest.mark.parametrize("bad", BAD_PROXIES)
def test_bad_proxy_refused_at_export(bad: str) -> None:
    """A proxy URL with credentials, spaces, quotes, shell characters or another scheme is a ConfigError."""
    with pytest.raises(ConfigError, match="proxy-config: --proxy"):
        ProxyConfigExport().render(SMALL, ExportOptions(proxy=bad))


@pytest.mark.parametrize("shell", SHELLS)
def test_bad_proxy_refused_by_script(shell: str, tmp_path: Path) -> None:
    """The script checks its argument and $EGRESSMAP_PROXY before writing anything; no proxy is a usage error."""
    script = _script(tmp_path, SMALL, proxy=None)
    root = tmp_path / "root"
    root.mkdir()
    for bad in BAD_PROXIES:
        for args, env in (((bad,), {}), ((), {"EGRESSMAP_PROXY": bad})):
            done = _run(shell, script, root, *args, env=env)
            assert (done.returncode, list(root.iterdir())) == (2, []), (bad, done.stderr)
            assert "refusing proxy URL" in done.stderr
    done = _run(shell, script, root)
    assert done.returncode == 2 and "usage:" in done.stderr
    done = _run(shell, _script(tmp_path, SMALL), root, "http://other:1")
    assert done.returncode == 2 and "takes no arguments" in done.stderr
    assert list(root.iterdir()) == []


def test_good_proxy_forms_are_canonical() -> None:
    """Host names are lower-cased, IPv6 addresses compressed, a trailing slash dropped."""
    assert checked_proxy("http://Proxy.Example.internal:3128/") == "http://proxy.example.internal:3128"
    assert checked_proxy("https://[FD00:0::1]:8443") == "https://[fd00::1]:8443"
    assert checked_proxy("http://10.0.0.9") == "http://10.0.0.9"


def test_no_proxy_for_every_kind_of_entry() -> None:
    """Exact, wildcard and IP entries become name,.name pairs; covered names are dropped; approximations say so."""
    policy = Policy(
        (
            _entry("s3.us-east-1.amazonaws.com", endpoint="gateway", category="cloud-api"),
            _entry("b.s3.us-east-1.amazonaws.com", endpoint="gateway", category="cloud-api"),
            _entry("*.blob.core.windows.net", "one-label", "interface", "cloud-api"),
            _entry("*.corp.example", "subdomains", category="internal"),
            _entry("fd00:1::5", category="internal"),
            _entry("10.0.0.5", category="internal"),
            _entry("login.microsoftonline.com", category="cloud-api"),
        )
    )
    rendered = ProxyConfigExport().render(policy, ExportOptions(proxy=P))
    line = next(x for x in rendered.text.splitlines() if x.startswith("NO_PROXY_LIST="))
    assert line.split("'")[1].split(",") == [
        *FIXED,
        "s3.us-east-1.amazonaws.com",
        ".s3.us-east-1.amazonaws.com",
        "corp.example",
        ".corp.example",
        "blob.core.windows.net",
        ".blob.core.windows.net",
        "10.0.0.5",
        "fd00:1::5",
        "[fd00:1::5]",
    ]
    assert "#   b.s3.us-east-1.amazonaws.com: aws b gateway endpoint; covered by s3." in rendered.text
    assert "#   login.microsoftonline.com port 443" in rendered.text
    assert [a.split(":")[0] for a in rendered.approximations] == [
        "no_proxy for *.corp.example (subdomains",
        "no_proxy for *.blob.core.windows.net (one-label",
        "no_proxy has no 'this name only' form all tools share",
    ]


# --- real clients against loopback servers ---------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """Records the target of every request: the proxy sees absolute URLs or CONNECT, the origin a Host."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: list[str] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.hits.append(self.path if "://" in self.path else str(self.headers.get("Host")))
        self._reply(200)

    def do_CONNECT(self) -> None:
        self.server.hits.append(self.path)
        self._reply(403)

    def _reply(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[_Server, _Server]]:
    """A recording "proxy" and a recording "origin" on loopback."""
    pair = (_Server(), _Server())
    threads = [threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True) for s in pair]
    for t in threads:
        t.start()
    yield pair
    for s in pair:
        s.shutdown()
        s.server_close()


DIRECT = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://localhost/",
    "http://[::1]/",
    "http://sts.us-east-1.amazonaws.com/",
    "http://STS.eu-west-1.amazonaws.com/",
    "http://bucket.s3.eu-west-1.amazonaws.com/key",
    "http://us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com/archives",
    "http://ccstore1.blob.core.windows.net/",
    "http://10.0.0.5:8080/",
    "http://10.1.0.4:9443/",
]
"""IMDS, loopback, the shared policy's private endpoints (and names below them) and internal addresses."""

PROXIED = [
    "http://pypi.org/simple/",
    "http://login.microsoftonline.com/",
    "http://route53.amazonaws.com/",
    "http://xsts.us-east-1.amazonaws.com/",
    "http://sts.ap-south-1.amazonaws.com/",
    "http://10.0.0.6/",
    "http://169.254.169.253/",
]
"""Names the policy does not bypass, near misses included (label boundary, other region, next address)."""

Fetch = Callable[[str], None]


def _curl(env: dict[str, str], origin: int) -> Fetch:
    def fetch(url: str) -> None:
        # Every direct connection goes to the loopback origin whatever the URL says; the proxy is 127.0.0.1.
        subprocess.run(
            [
                "curl",
                "-sS",
                "-o",
                os.devnull,
                "--max-time",
                "30",
                "--connect-to",
                f"::127.0.0.1:{origin}",
                url,
            ],
            env=env,
            capture_output=True,
            timeout=60,
            check=False,
        )

    return fetch


def _urllib(url: str) -> None:
    try:
        with urllib.request.build_opener().open(url, timeout=30):
            pass
    except urllib.error.URLError:
        pass


def _requests(url: str) -> None:
    with requests.get(url, timeout=30):
        pass


def _botocore(url: str) -> None:
    session = URLLib3Session(proxies=get_environ_proxies(url))
    try:
        session.send(AWSRequest(method="GET", url=url).prepare())
    finally:
        session.close()


@pytest.mark.parametrize("client", ["curl", "urllib", "requests", "botocore"])
def test_no_proxy_is_read_the_same_way_by_real_clients(
    client: str,
    servers: tuple[_Server, _Server],
    shared_policy: Policy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the environment the script writes, each client goes direct to exactly the bypassed names."""
    assert client != "curl" or shutil.which("curl"), "curl is required: scripts/test installs it from apt"
    proxy, origin = servers
    root = tmp_path / "root"
    done = _run("sh", _script(tmp_path, shared_policy, None), root, f"http://127.0.0.1:{proxy.port}")
    assert done.returncode == 0, done.stderr
    block = (root / "etc/environment").read_text().split(BEGIN + "\n")[1].split(END)[0]
    written = dict(line.split("=", 1) for line in block.splitlines())
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")} | written
    for key in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(key)
    for key, value in written.items():
        monkeypatch.setenv(key, value)
    real = socket.getaddrinfo

    def loopback(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        """Every name and address resolves to the origin; only the proxy's own address is real."""
        if (host, str(port)) == ("127.0.0.1", str(proxy.port)):
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", origin.port))]

    monkeypatch.setattr(socket, "getaddrinfo", loopback)
    fetch = {"curl": _curl(env, origin.port), "urllib": _urllib, "requests": _requests, "botocore": _botocore}
    seen: dict[str, str] = {}
    for url in DIRECT + PROXIED:
        proxy.hits.clear()
        origin.hits.clear()
        fetch[client](url)
        assert len(proxy.hits) + len(origin.hits) == 1, (url, proxy.hits, origin.hits)
        seen[url] = "direct" if origin.hits else "proxy"
    assert seen == dict.fromkeys(DIRECT, "direct") | dict.fromkeys(PROXIED, "proxy")
