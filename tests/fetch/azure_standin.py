"""A local HTTPS stand-in of the Log Analytics query API and of the Microsoft Entra token endpoint.

It listens on 127.0.0.1 port 0 with a certificate from a throw-away ``trustme`` CA and answers:

- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: the OpenID metadata MSAL reads (instance discovery off);
- ``GET /metadata/identity/oauth2/token``: instance metadata (IMDS) of a VM with no managed identity (400);
- ``POST /{tenant}/oauth2/v2.0/token``: a client-credentials token for the right secret, else the documented
  ``invalid_client`` error with an ``AADSTS7000215`` description;
- ``POST /v1/workspaces/{id}/query``: the documented response shape ``{"tables": [{"name": "PrimaryResult",
  "columns": [{"name", "type"}], "rows": [[...]]}]}``. The table is the query's first word, the rows those whose
  ``TimeGenerated`` lies in the body's ``timespan`` (``start/end``). An unknown workspace is a 404
  ``PathNotFoundError``; more rows than ``row_limit`` is a 200 with the first rows and a ``PartialError`` whose
  details say the record limit was exceeded, as the service does; ``throttle`` answers 429 that many times first.

Response shape: https://learn.microsoft.com/azure/azure-monitor/logs/api/response-format
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import trustme

TENANT = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "66666666-7777-8888-9999-000000000000"
SECRET = "stand-in-secret"
WORKSPACE = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TOKEN = "stand-in-access-token"
PARTIAL_MESSAGE = "Some of the data could not be read: a storage partition did not answer"


@dataclass
class StandIn:
    """The server's state: stored rows per table, scripted failures, and every request seen."""

    url: str
    ca_file: Path
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    row_limit: int = 1_000_000
    throttle: int = 0
    deny: bool = False
    """Answer every query 403 (the identity has no read access to the workspace)."""
    broken: set[str] = field(default_factory=set)
    """Tables whose queries always come back partial for a reason a shorter range does not cure."""
    queries: list[dict[str, Any]] = field(default_factory=list)
    tokens: int = 0
    throttled: int = 0


def _type(name: str, value: object) -> str:
    if name == "TimeGenerated":
        return "datetime"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "real"
    return "string"


def _when(text: str) -> datetime:
    head, _, rest = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(rest + '000000')[:6]}+00:00")


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        """OpenID metadata for the tenant."""
        base = self.server.state.url
        if self.path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant = self.path.split("/")[1]
            self._send(200, {
                "issuer": f"{base}/{tenant}/v2.0",
                "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            })  # fmt: skip
        elif self.path.startswith("/metadata/identity/oauth2/token"):  # IMDS on a VM without an identity
            self._send(400, {"error": "invalid_request", "error_description": "Identity not found"})
        else:
            self._send(404, {"error": "not_found"})

    def do_POST(self) -> None:
        """Tokens and queries."""
        state = self.server.state
        body = self._body()
        if self.path.endswith("/oauth2/v2.0/token"):
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("client_id") == CLIENT_ID and form.get("client_secret") == SECRET:
                state.tokens += 1
                self._send(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                 "access_token": TOKEN})  # fmt: skip
            else:
                self._send(401, {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                    "sent in the request is the client secret value.\r\nTrace ID: 0\r\nTimestamp: 2026-11-20",
                    "error_codes": [7000215],
                })  # fmt: skip
            return
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["v1", "workspaces"] or parts[3] != "query":
            self._send(
                404, {"error": {"code": "PathNotFoundError", "message": "The requested path does not exist"}}
            )
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(
                401,
                {
                    "error": {
                        "code": "InvalidTokenError",
                        "message": "The provided authentication is not valid",
                    }
                },
            )
            return
        if state.deny:
            self._send(403, {"error": {"code": "InsufficientAccessError",
                                       "message": "The provided credentials have insufficient access to perform the "
                                       "requested operation"}})  # fmt: skip
            return
        if state.throttle > 0:
            state.throttle -= 1
            state.throttled += 1
            self._send(
                429,
                {"error": {"code": "ThrottledError", "message": "Too many requests"}},
                {"Retry-After": "0"},
            )
            return
        if parts[2] != WORKSPACE:
            self._send(
                404, {"error": {"code": "PathNotFoundError", "message": "The requested path does not exist"}}
            )
            return
        request = json.loads(body)
        state.queries.append(request)
        self._answer(request)

    def _answer(self, request: dict[str, Any]) -> None:
        state = self.server.state
        table = request["query"].split(None, 1)[0]
        start, end = (_when(t) for t in request["timespan"].split("/"))
        if table not in state.tables:
            self._send(400, {"error": {"code": "BadArgumentError", "message": "The request had some invalid properties",
                                       "innererror": {"code": "SemanticError",
                                                      "message": f"Failed to resolve table expression named '{table}'"}}})  # fmt: skip
            return
        rows = [r for r in state.tables[table] if start <= _when(r["TimeGenerated"]) < end]
        names: list[str] = []
        for row in state.tables[table]:
            names += [k for k in row if k not in names]
        sample = {k: next((r[k] for r in state.tables[table] if r.get(k) is not None), "") for k in names}
        columns = [{"name": n, "type": _type(n, sample[n])} for n in names]
        answer: dict[str, Any] = {"tables": [{"name": "PrimaryResult", "columns": columns,
                                              "rows": [[r.get(n) for n in names] for r in rows[: state.row_limit]]}]}  # fmt: skip
        if len(rows) > state.row_limit:
            answer["error"] = self._partial(
                f"Query result set has exceeded the internal record count limit {state.row_limit} records "
                "(E_QUERY_RESULT_SET_TOO_LARGE)"
            )
        elif table in state.broken:
            answer["error"] = self._partial(PARTIAL_MESSAGE)
        self._send(200, answer)

    @staticmethod
    def _partial(message: str) -> dict[str, Any]:
        return {
            "code": "PartialError",
            "message": "There were some errors when processing your query.",
            "details": [{"code": "EngineError", "message": "Something went wrong processing your query on the server.",
                         "innererror": {"code": "-2133196797", "message": message, "severity": 2,
                                        "severityName": "Error"}}],
        }  # fmt: skip


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: StandIn


def start(directory: Path) -> tuple[StandIn, _Server]:
    """Start the stand-in; its state (URL, CA file) and the server (``shutdown()`` it when done)."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = directory / "stand-in-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.state = StandIn(f"https://127.0.0.1:{server.server_address[1]}", ca_file)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.state, server
