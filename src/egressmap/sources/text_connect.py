"""Connection wordings: lines where a client names the endpoint it is connecting or talking to.

Such a line is connection evidence (``observed``), not a link in a message. Each wording is what the tool
prints, with the public source it was read from.
"""

from __future__ import annotations

from .text_hint import Hint, Wording, hints_of, wording

_HOST = r"(?P<host>[A-Za-z0-9][\w.-]*[A-Za-z0-9]|\[[0-9A-Fa-f:.]+\])"
_URL = r"(?P<url>https?://[^\s\"'<>,]+)"
_QUOTED_URL = r"(?P<url>https?://[^\s\"'<>]+)"

_METHODS = ("GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "PATCH ", "OPTIONS ")

CONNECTIONS: tuple[Wording, ...] = (
    # GNU wget: "Connecting to github.com (github.com)|140.82.112.3|:443... connected." or "... failed: ...".
    wording(
        "wget",
        "Connecting to ",
        r"Connecting to " + _HOST + r"(?: \([^)]*\))?\|[^|]*\|:(?P<port>\d+)\.\.\. ?connected",
        "connected",
        outcome="allowed",
    ),
    wording(
        "wget",
        "Connecting to ",
        r"Connecting to " + _HOST + r"(?: \([^)]*\))?\|[^|]*\|:(?P<port>\d+)\.\.\. ?failed: (?P<why>[^.]*)",
        "connection failed: {why}",
        outcome="failed",
    ),
    # BusyBox wget (Alpine images): "Connecting to dl-cdn.alpinelinux.org (151.101.2.133:443)".
    wording(
        "wget",
        "Connecting to ",
        r"Connecting to " + _HOST + r" \([\d.:a-fA-F\[\]]+:(?P<port>\d+)\)",
        "connecting",
        outcome="unknown",
    ),
    # curl -v: "* Connected to cdn.remirepo.net (213.246.39.135) port 80" (remicollet/remirepo#284).
    wording(
        "curl",
        "Connected to ",
        r"Connected to " + _HOST + r" \([^)]*\) port (?P<port>\d+)",
        "connected",
        outcome="allowed",
    ),
    # urllib3 connectionpool.py: log.debug("Starting new HTTPS connection (%d): %s:%s", n, host, port)
    # (older releases print the host alone).
    wording(
        "python/urllib3",
        "Starting new HTTP",
        r"Starting new (?P<scheme>HTTPS?) connection \(\d+\): " + _HOST + r"(?::(?P<port>\d+))?",
        "Starting new {scheme} connection",
        outcome="unknown",
    ),
    # urllib3 connectionpool.py: log.debug('%s://%s:%s "%s %s %s" %s %s', scheme, host, port, method, url,
    # version, status, length): the response to a request it sent.
    wording(
        "python/urllib3",
        " HTTP/",
        r"(?P<url>https?://[\w.-]+:\d+) \"(?P<method>[A-Z]+) \S* HTTP/[\d.]+\" (?P<status>[1-3]\d\d)\b",
        "{method} answered {status}",
        outcome="allowed",
    ),
    # aws-cfn-bootstrap cfn_client.py: log.debug("CloudFormation client initialized with endpoint %s", endpoint),
    # e.g. "2019-05-05 20:04:30,188 [DEBUG] CloudFormation client initialized with endpoint
    # https://cloudformation.us-east-2.amazonaws.com" (aws/aws-parallelcluster#663, #4952).
    wording(
        "cfn-init",
        "initialized with endpoint",
        r"(?P<client>[\w-]*) ?client initiali[sz]ed with endpoint:? " + _URL,
        "{client} client endpoint",
        outcome="unknown",
    ),
    # botocore (aws cli --debug, boto3 debug logging): "Endpoint provider result: https://sts.us-east-1...",
    # "Making request for OperationModel(name=X) with params: {... 'url': 'https://...' ...}",
    # "Sending http request: <AWSPreparedRequest stream_output=False, method=POST, url=https://iam.../, ...>".
    wording(
        "botocore",
        "Endpoint provider result:",
        r"Endpoint provider result: " + _URL,
        "endpoint resolved",
        outcome="unknown",
    ),
    wording(
        "botocore",
        "Making request for OperationModel",
        r"Making request for OperationModel\(name=(?P<op>\w+)\).*?'url': '" + _QUOTED_URL,
        "request {op}",
        outcome="unknown",
    ),
    wording(
        "botocore",
        "AWSPreparedRequest",
        r"Sending http request: <AWSPreparedRequest [^>]*?method=(?P<method>[A-Z]+), url=" + _URL,
        "sending {method}",
        outcome="unknown",
    ),
    # Several SDKs and tools: "Making request to https://...", "Sending request to https://...".
    wording(
        "client",
        "request to ",
        r"\b(?P<verb>Making|Sending) request to " + _URL,
        "{verb} request",
        outcome="unknown",
    ),
    # A request line: "POST https://...", npm's "http fetch GET 200 https://registry.npmjs.org/x 63ms" (npm/npm
    # #19461). Answered 1xx-3xx, the connection worked; otherwise it was at least attempted.
    wording(
        "client",
        _METHODS,
        r"(?<![\w\"/])(?P<method>GET|POST|PUT|HEAD|DELETE|PATCH|OPTIONS) (?P<status>[1-3]\d\d) " + _URL,
        "{method} answered {status}",
        outcome="allowed",
    ),
    wording(
        "client",
        _METHODS,
        r"(?<![\w\"/])(?P<method>GET|POST|PUT|HEAD|DELETE|PATCH|OPTIONS) (?:[45]\d\d )?" + _URL,
        "{method} request",
        outcome="unknown",
    ),
)


def find_connections(line: str) -> list[Hint]:
    """Every connection wording in ``line``."""
    return hints_of(CONNECTIONS, line)
