"""Failure wordings: how package managers, downloaders and SDKs say a fetch or a connection failed.

A failed download in a build log is the best evidence there is of a host the firewall blocked: the stack
tried it. Each wording below is what the tool itself prints, with the public source it was read from
(the tool's source or a log pasted in a public issue). Only the facts (the wording) are taken from those.

Wordings are tried in order; every match on a line contributes its words to the reason. A wording names its
target with the groups ``host``/``port`` or ``url``; one that names neither (``curl: (28) ...``,
``Temporary failure in name resolution``) marks the URLs of its line, or borrows the target from an earlier
line (``context``).
"""

from __future__ import annotations

from .text_hint import Hint, Wording, hints_of, wording

_HOST = r"(?P<host>[A-Za-z0-9][\w.-]*[A-Za-z0-9]|\[[0-9A-Fa-f:.]+\])"
_URL = r"(?P<url>(?:https?|ftp)://[^\s\"'<>\]\[]+?)"
_TLS = "TLS certificate not trusted ({what}): a TLS-intercepting middlebox?"

FAILURES: tuple[Wording, ...] = (
    # --- apt (apt-pkg/acquire*.cc, methods/connect.cc) ----------------------------------------------------
    # "Err:1 http://archive.ubuntu.com/ubuntu focal InRelease" then, indented on the next line, the reason;
    # "W: Failed to fetch http://.../InRelease  Temporary failure resolving 'archive.ubuntu.com'"
    # (microsoft/WSL#4792, microsoft/vscode#191340).
    wording("apt", "Err:", r"(?<![\w:])Err:\d+ " + _URL + r"(?=\s|$)", "fetch error (Err:)", default_port=80),
    wording("apt", "Failed to fetch", r"\bFailed to fetch " + _URL + r"(?=\s|$)", "Failed to fetch"),
    # methods/connect.cc: _("Temporary failure resolving '%s'"), _("Could not resolve '%s'"),
    # _("Could not connect to %s:%s (%s), connection timed out"), _("Could not connect to %s:%s (%s).").
    wording(
        "apt",
        "Temporary failure resolving",
        r"Temporary failure resolving '" + _HOST + "'",
        "Temporary failure resolving (DNS)",
        default_port=80,
    ),
    wording(
        "apt",
        "Could not resolve '",
        r"Could not resolve '" + _HOST + "'",
        "Could not resolve",
        default_port=80,
    ),
    wording(
        "apt",
        "Could not connect to",
        r"Could not connect to " + _HOST + r":(?P<port>\w+) \([^)]*\)(?P<why>, connection timed out)?",
        "Could not connect{why}",
    ),
    # "E: Failed to fetch ...  Unable to connect to azure.archive.ubuntu.com:http: [IP: 52.252.75.106 80]"
    # (actions/runner-images#7603); methods/connect.cc: _("Cannot initiate the connection to %s:%s (%s).").
    wording(
        "apt",
        "Unable to connect to",
        r"Unable to connect to " + _HOST + r":(?P<port>\w+):",
        "Unable to connect",
    ),
    wording(
        "apt",
        "Cannot initiate the connection",
        r"Cannot initiate the connection to " + _HOST + r":(?P<port>\w+)",
        "Cannot initiate the connection",
    ),
    # --- librepo / dnf / yum ---------------------------------------------------------------------------------
    # librepo downloader.c: "Curl error (%d): %s for %s [%s]", e.g. "Curl error (6): Couldn't resolve host name
    # for https://rpm.example.org/repodata/repomd.xml [Could not resolve host: rpm.example.org]"
    # (rpm-software-management/rpm#3870, furlongm/patchman#548); "Status code: %ld for %s".
    wording(
        "dnf/librepo",
        "Curl error (",
        r"Curl error \((?P<code>\d+)\): (?P<msg>.*?) for " + _URL + r"(?=\s|$)",
        "Curl error ({code}): {msg}",
    ),
    wording(
        "dnf/librepo",
        "Status code: ",
        r"Status code: (?P<code>\d{3}) for " + _URL + r"(?=\s|$)",
        "HTTP {code}",
    ),
    # yum 3: "http://host/repodata/repomd.xml: [Errno 14] PYCURL ERROR 7 - \"Failed to connect to ...\"" and
    # "[Errno 14] curl#6 - \"Could not resolve host: mirrorlist.centos.org; Unknown error\""
    # (engintron/engintron#1173, kaltura/platform-install-packages#439); "Could not retrieve mirrorlist URL".
    wording(
        "yum",
        "[Errno ",
        r"\[Errno (?P<code>\d+)\] (?P<msg>PYCURL ERROR \d+|curl#\d+|HTTPS? Error \d+)(?: - \"?(?P<detail>[^\"]*))?",
        "[Errno {code}] {msg} {detail}",
    ),
    wording(
        "yum",
        "Could not retrieve mirrorlist",
        r"Could not retrieve mirrorlist " + _URL + r"(?=\s|$)",
        "Could not retrieve mirrorlist",
    ),
    # dnf/yum and many downloaders: "Cannot download ...", "Cannot retrieve ...", "Failed to download ..." mark
    # the URL on the same line (a line that names no URL names no destination).
    wording(
        "download",
        "annot ",
        r"\bCannot (?P<verb>download|retrieve)\b",
        "Cannot {verb}",
    ),
    wording("download", "Failed to download", r"\bFailed to download\b", "Failed to download"),
    # --- curl ---------------------------------------------------------------------------------------------------
    # curl prints "curl: (N) <message>" on a failed transfer (tool_main); lib/connect.c:
    # "Failed to connect to %s port %u after %ld ms: %s"; lib/hostip.c: "Could not resolve host: %s";
    # older curl: "Couldn't resolve host '%s'"; TLS: "OpenSSL SSL_connect: ... in connection to %s:%d".
    wording("curl", "curl: (", r"curl: \((?P<code>\d+)\) (?P<msg>.*)", "({code}) {msg}", context="curl"),
    wording(
        "curl", "Could not resolve host: ", r"Could not resolve host: " + _HOST, "Could not resolve host"
    ),
    wording(
        "curl", "Couldn't resolve host '", r"Couldn't resolve host '" + _HOST + "'", "Couldn't resolve host"
    ),
    wording(
        "curl",
        "Failed to connect to ",
        r"Failed to connect to " + _HOST + r" port (?P<port>\d+)",
        "Failed to connect",
    ),
    # curl 7.29 (CentOS 7's yum): "[Errno 14] curl#7 - \"Failed connect to mirrors.example.com:80; Connection
    # refused\"" (seen in many public yum logs).
    wording(
        "curl", "Failed connect to ", r"Failed connect to " + _HOST + r":(?P<port>\d+)", "Failed connect"
    ),
    wording(
        "curl", " in connection to ", r" in connection to " + _HOST + r":(?P<port>\d+)", "TLS connect failed"
    ),
    # --- Python: urllib3 / requests / pip ---------------------------------------------------------------------
    # urllib3 exceptions name the pool: "HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded
    # with url: /simple/x/ (Caused by ...)" (pypa/pip#9508).
    wording(
        "python/urllib3",
        "ConnectionPool(host=",
        r"HTTPS?ConnectionPool\(host='"
        + _HOST
        + r"', port=(?P<port>\d+)\): (?P<msg>[A-Z][a-z]+(?: (?!with\b)[a-z]+){0,3})",
        "{msg}",
    ),
    # pip: "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after
    # connection broken by 'NewConnectionError('<...>: Failed to establish a new connection: [Errno -3]
    # Temporary failure in name resolution')': /simple/requests/" (pypa/pip#9190; urllib3 connectionpool.py).
    wording(
        "pip",
        "after connection broken by",
        r"Retrying \(Retry\(total=\d+[^)]*\)\) after connection broken by '(?P<err>\w+)\(.*'\s*: (?P<path>/\S*)",
        "retrying after {err}",
        context="pip",
    ),
    # pip index/collector.py: "Could not fetch URL %s: %s - skipping".
    wording(
        "pip",
        "Could not fetch URL",
        r"Could not fetch URL " + _URL + r": (?P<why>[^:]*)",
        "Could not fetch URL: {why}",
    ),
    # --- Ruby, chef/cinc -----------------------------------------------------------------------------------------
    # Net::HTTP: "Failed to open TCP connection to localhost:443 (Connection refused - connect(2) ...)"
    # (Esri/arcgis-cookbook#56); chef: "remote_file[/var/chef/cache/x.tar.gz] (cookbook::recipe line 1) had an
    # error: SocketError: Error connecting to https://github.com/... - getaddrinfo: ..." (chef/chef#6267);
    # "ERROR: Connection refused connecting to https://host/organizations/..., retry 1/5" (chefspec#874).
    wording(
        "ruby",
        "Failed to open TCP connection to",
        r"Failed to open TCP connection to " + _HOST + r":(?P<port>\d+)(?: \((?P<why>[^)]*)\))?",
        "Failed to open TCP connection ({why})",
    ),
    wording(
        "chef",
        "had an error:",
        r"(?P<res>\w+)\[[^\]]*\] \([^)]*\) had an error: "
        r"(?P<err>SocketError|Errno::E[A-Z]+|Net::\w+|OpenSSL::SSL::SSLError|Timeout::Error)",
        "{res} had an error: {err}",
    ),
    wording(
        "chef",
        "Error connecting to",
        r"Error connecting to " + _URL + r"(?: - (?P<why>.*))?$",
        "Error connecting: {why}",
    ),
    wording("chef", "connecting to ", r"(?P<why>[\w ]+) connecting to " + _URL + r", retry \d+/\d+", "{why}"),
    # --- node / npm ------------------------------------------------------------------------------------------------
    # "npm ERR! request to https://registry.npmjs.org/lite-server failed, reason: connect ECONNREFUSED
    # 10.32.47.71:80" (nodejs/help#1887); "npm ERR! network getaddrinfo ENOTFOUND registry.npmjs.org
    # registry.npmjs.org:443" (npm/npm#13152); "Error: connect ETIMEDOUT 151.101.8.162:443" (npm/npm#14509).
    wording(
        "npm", "request to ", r"request to " + _URL + r" failed, reason: (?P<why>.*)", "request failed: {why}"
    ),
    wording(
        "node",
        "getaddrinfo E",
        r"getaddrinfo (?P<code>ENOTFOUND|EAI_AGAIN|ESERVFAIL) " + _HOST,
        "getaddrinfo {code}",
    ),
    wording(
        "node",
        "connect E",
        r"connect (?P<code>ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH) " + _HOST + r":(?P<port>\d+)",
        "connect {code}",
        weak=True,
    ),
    # --- Java: Maven / Gradle ------------------------------------------------------------------------------------
    # "Could not transfer artifact g:a:pom:1 from/to central (https://repo.maven.apache.org/maven2): Connect to
    # repo.maven.apache.org:443 [repo.maven.apache.org/151.101.180.215] failed: Connection refused"
    # (swagger-api/swagger-inflector#204, redhat-developer/rh-che#1632); "Failed to connect to
    # repo.maven.apache.org/151.101.120.215:443" (kohsuke/jcifs#14); Gradle: "Could not GET 'https://...'.
    # Received status code 403 from server: Forbidden".
    wording(
        "maven",
        "Could not transfer",
        r"Could not transfer (?:artifact|metadata) \S+ from/to (?P<repo>[\w.-]+) \(" + _URL + r"\)",
        "Could not transfer from {repo}",
    ),
    wording(
        "maven",
        "Connect to ",
        r"Connect to " + _HOST + r":(?P<port>\d+) \[[^\]]*\] failed: (?P<why>[^;]*)",
        "Connect failed: {why}",
    ),
    wording(
        "maven",
        "Failed to connect to ",
        r"Failed to connect to " + _HOST + r"/[\d.:a-fA-F]+:(?P<port>\d+)",
        "Failed to connect",
    ),
    wording("maven", "Unknown host ", r"\bUnknown host " + _HOST, "Unknown host"),
    wording(
        "maven",
        "Failure to transfer",
        r"Failure to transfer \S+ from " + _URL + r" was cached",
        "Failure to transfer (cached)",
    ),
    wording(
        "gradle", "Could not ", r"Could not (?P<verb>GET|HEAD|PUT|POST) '" + _URL + "'", "Could not {verb}"
    ),
    # --- Go modules --------------------------------------------------------------------------------------------
    # "go: github.com/x/y@v1: Get \"https://proxy.golang.org/...\": dial tcp: lookup proxy.golang.org on
    # 10.255.255.254:53: server misbehaving"; older Go without quotes: "Get https://proxy.golang.org/...: dial
    # tcp 173.194.197.141:443: i/o timeout" (golang/go#34548). Other Go programs print the same (docker pull:
    # "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup ...", snap: "Post https://api.snapcraft.io/...").
    wording(
        "go",
        ("Get ", "Post ", "Head ", "Put "),
        r"\b(?:Get|Post|Head|Put) \"?"
        + _URL
        + r"\"?: (?P<why>(?:dial tcp|net/http|x509|read tcp|proxyconnect|EOF|remote error)[^\"]*)",
        "Get failed: {why}",
    ),
    wording(
        "go",
        "dial tcp: lookup ",
        r"dial tcp: lookup " + _HOST + r"(?: on \S+)?: (?P<why>.*)",
        "lookup failed: {why}",
    ),
    # --- git, conda -------------------------------------------------------------------------------------------
    # git over libcurl: "fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com"
    # or "...': The requested URL returned error: 403"; conda: "CondaHTTPError: HTTP 000 CONNECTION FAILED for
    # url <https://repo.anaconda.com/pkgs/main/win-64/current_repodata.json>" (public troubleshooting notes).
    wording(
        "git",
        "unable to access '",
        r"unable to access '" + _URL + r"': (?P<why>.*)",
        "unable to access: {why}",
    ),
    wording(
        "conda",
        "CondaHTTPError",
        r"CondaHTTPError: HTTP (?P<code>\d{3})(?P<why>[A-Z ]*?) for url <" + _URL + ">",
        "HTTP {code}{why}",
    ),
    # --- A proxy refusing the tunnel: denied, not just failed -------------------------------------------------
    # curl lib/http_proxy.c: "Received HTTP code %d from proxy after CONNECT" (curl: (56) ...); curl 8:
    # "CONNECT tunnel failed, response %d"; Python http.client: "Tunnel connection failed: 403 Forbidden".
    wording(
        "proxy",
        "from proxy after CONNECT",
        r"Received HTTP code (?P<code>4\d\d) from proxy after CONNECT",
        "proxy answered {code} to CONNECT",
        outcome="denied",
        context="curl",
    ),
    wording(
        "proxy",
        "CONNECT tunnel failed",
        r"CONNECT tunnel failed, response (?P<code>4\d\d)",
        "proxy answered {code} to CONNECT",
        outcome="denied",
        context="curl",
    ),
    wording(
        "proxy",
        "Tunnel connection failed",
        r"Tunnel connection failed: (?P<code>4\d\d)",
        "proxy answered {code} to CONNECT",
        outcome="denied",
    ),
    # --- Alpine: apk and BusyBox wget ----------------------------------------------------------------------------
    # apk: "ERROR: http://dl-cdn.alpinelinux.org/alpine/v3.15/main: temporary error (try again later)", "WARNING:
    # Ignoring http://.../APKINDEX.tar.gz: temporary error (try again later)"; BusyBox wget: "wget: bad address
    # 'github.com'", "wget: can't connect to remote host (151.101.2.133): Connection refused" (public docker
    # build logs and Kubernetes troubleshooting notes).
    wording(
        "apk",
        ": temporary error",
        _URL + r": temporary error \(try again later\)",
        "temporary error (try again later)",
    ),
    wording("wget", "bad address '", r"bad address '" + _HOST + r"(?::(?P<port>\d+))?'", "bad address"),
    wording(
        "wget",
        "can't connect to remote host",
        r"can't connect to remote host \(" + _HOST + r"\): (?P<why>.*)",
        "can't connect to remote host: {why}",
        weak=True,
        context="curl",
    ),
    # --- wget ------------------------------------------------------------------------------------------------------
    # "Resolving host (host)... failed: Name or service not known." and "wget: unable to resolve host address
    # 'host'" (GNU wget src/host.c).
    wording(
        "wget",
        "Resolving ",
        r"Resolving " + _HOST + r" \([^)]*\)\.\.\. failed: (?P<why>[^.]*)",
        "Resolving failed: {why}",
    ),
    wording(
        "wget",
        "unable to resolve host address",
        r"unable to resolve host address .?" + _HOST,
        "unable to resolve host address",
    ),
    # --- TLS interception: the middlebox re-signs, the client does not trust it ------------------------------------
    # Python ssl "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"; pip "There was a problem confirming
    # the ssl certificate"; curl (60) "SSL certificate problem: self-signed certificate in certificate chain";
    # Ruby/OpenSSL "certificate verify failed"; Go "x509: certificate signed by unknown authority"; node
    # "SELF_SIGNED_CERT_IN_CHAIN" / "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"; Java "PKIX path building failed".
    wording("tls", "CERTIFICATE_VERIFY_FAILED", r"(?P<what>CERTIFICATE_VERIFY_FAILED)", _TLS, context="curl"),
    wording(
        "tls",
        "certificate verify failed",
        r"(?<!\] )(?P<what>certificate verify failed)",
        _TLS,
        context="curl",
    ),
    wording("tls", "SSL certificate problem", r"(?P<what>SSL certificate problem)", _TLS, context="curl"),
    wording("tls", "x509: certificate", r"(?P<what>x509: certificate signed by unknown authority)", _TLS),
    wording("tls", "_CERT", r"(?P<what>SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)", _TLS),
    wording("tls", "PKIX path building failed", r"(?P<what>PKIX path building failed)", _TLS),
    # --- Plain socket errors: only the targets the same line names ----------------------------------------------
    wording(
        "network",
        "onnection ",
        r"(?P<what>Connection (?:timed out|refused|reset(?: by peer)?))",
        "{what}",
    ),
    wording("network", "unreachable", r"(?P<what>Network is unreachable)", "{what}"),
    wording("network", "No route to host", r"(?P<what>No route to host)", "{what}"),
    wording("network", "name resolution", r"(?P<what>Temporary failure in name resolution)", "{what}"),
    wording("network", "Name or service not known", r"(?P<what>Name or service not known)", "{what}"),
)


def find_failures(line: str) -> list[Hint]:
    """Every failure wording in ``line`` (empty for a line that reports no failure)."""
    return hints_of(FAILURES, line)
