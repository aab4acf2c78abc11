"""Connection wordings: clients naming the endpoint they talk to."""

from __future__ import annotations

from egressmap.sources.text_connect import find_connections


def _said(line: str) -> list[tuple[str, str | None, int | None, str | None, str]]:
    return [(h.tool, h.host, h.port, h.url, h.outcome) for h in find_connections(line)]


def test_wget_and_curl_connection_lines() -> None:
    """wget's 'Connecting to ... connected.' and curl -v's 'Connected to' are connections."""
    assert _said("Connecting to github.com (github.com)|140.82.112.3|:443... connected.") == [
        ("wget", "github.com", 443, None, "allowed")
    ]
    assert _said(
        "Connecting to example.org (example.org)|93.184.216.34|:80... failed: Connection refused."
    ) == [("wget", "example.org", 80, None, "failed")]
    assert _said("Connecting to dl-cdn.alpinelinux.org (151.101.2.133:443)") == [
        ("wget", "dl-cdn.alpinelinux.org", 443, None, "unknown")
    ]
    assert _said("* Connected to cdn.remirepo.net (213.246.39.135) port 80") == [
        ("curl", "cdn.remirepo.net", 80, None, "allowed")
    ]


def test_urllib3_cfn_init_and_botocore_lines() -> None:
    """urllib3, cfn-init and botocore debug lines name the endpoint."""
    assert _said("DEBUG:urllib3.connectionpool:Starting new HTTPS connection (1): pypi.org:443") == [
        ("python/urllib3", "pypi.org", 443, None, "unknown")
    ]
    assert _said("Starting new HTTP connection (2): mirror.example.com") == [
        ("python/urllib3", "mirror.example.com", None, None, "unknown")
    ]
    assert _said(
        'DEBUG:urllib3.connectionpool:https://pypi.org:443 "GET /simple/boto3/ HTTP/1.1" 200 None'
    ) == [("python/urllib3", None, None, "https://pypi.org:443", "allowed")]
    assert _said(
        "2019-05-05 20:04:30,188 [DEBUG] CloudFormation client initialized with endpoint "
        "https://cloudformation.us-east-2.amazonaws.com"
    ) == [("cfn-init", None, None, "https://cloudformation.us-east-2.amazonaws.com", "unknown")]
    (making,) = _said(
        "botocore.endpoint - DEBUG - Making request for OperationModel(name=GetCallerIdentity) with params: "
        "{'url_path': '/', 'query_string': '', 'method': 'POST', 'url': 'https://sts.amazonaws.com/', 'context': {}}"
    )
    assert making[0] == "botocore" and making[3] == "https://sts.amazonaws.com/"


def test_request_lines() -> None:
    """'POST https://...' is a request; with a 2xx/3xx status it went through."""
    assert _said("POST https://api.example.com/v1/token") == [
        ("client", None, None, "https://api.example.com/v1/token", "unknown")
    ]
    assert _said("http fetch GET 200 https://registry.npmjs.org/left-pad 63ms") == [
        ("client", None, None, "https://registry.npmjs.org/left-pad", "allowed")
    ]
    assert _said("Making request to https://api.example.com/v2/items") == [
        ("client", None, None, "https://api.example.com/v2/items", "unknown")
    ]
    assert _said("see the GETTING STARTED guide at https://example.com/docs/") == []
