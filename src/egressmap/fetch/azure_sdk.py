"""The Azure SDK side of ``fetch azure-logs``: a query client, and its exceptions turned into one line each.

``azure-monitor-query`` (``LogsQueryClient``) and ``azure-identity`` (``DefaultAzureCredential``: environment,
workload identity, managed identity, Azure CLI and the other developer sign-ins, in that order) are the
``[azure]`` extra and are imported only here. Throttling (HTTP 429) is retried by the SDK's retry policy,
which waits as long as ``Retry-After`` says or backs off exponentially; the retries are counted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .azure_logs import Answer
from .cloudwatch import FetchError

INSTALL_HINT = "pip install 'egressmap[azure]'"
DEFAULT_ENDPOINT = "https://api.loganalytics.io"
RETRY_TOTAL = 8
"""Calls retried at most this many times (throttling, 5xx, dropped connections) before the fetch stops."""
BACKOFF_MAX_S = 60
CREDENTIAL_OPTIONS: dict[str, Any] = {}
"""Keyword arguments for ``DefaultAzureCredential`` (the tests turn instance discovery off here)."""
_SIGN_IN = re.compile(r"failed to retrieve a token|AADSTS\d+|Credential\b")
_AADSTS = re.compile(r"AADSTS\d+:[^\r\n.]*")


def make_runner(
    workspace: str,
    endpoint: str | None = None,
    credential: Any = None,
    retry_total: int = RETRY_TOTAL,
) -> LogsRunner:
    """A runner for ``workspace``; ``credential`` defaults to the standard chain (DefaultAzureCredential)."""
    try:
        from azure.identity import DefaultAzureCredential
        from azure.monitor.query import LogsQueryClient
    except ImportError:
        raise FetchError(
            f"fetch azure-logs needs azure-monitor-query and azure-identity: {INSTALL_HINT}"
        ) from None
    # the credential chain logs a multi-line warning for each failed sign-in: the error line says it once
    debug = logging.getLogger("egressmap").getEffectiveLevel() <= logging.DEBUG
    logging.getLogger("azure").setLevel(logging.DEBUG if debug else logging.ERROR)
    if credential is None:
        credential = DefaultAzureCredential(**CREDENTIAL_OPTIONS)
    client = LogsQueryClient(
        credential,
        endpoint=endpoint or DEFAULT_ENDPOINT,
        retry_total=retry_total,
        retry_backoff_max=BACKOFF_MAX_S,
    )
    return LogsRunner(client, workspace, endpoint or DEFAULT_ENDPOINT)


class LogsRunner:
    """Runs KQL queries against one workspace through a ``LogsQueryClient``."""

    def __init__(self, client: Any, workspace: str, endpoint: str) -> None:
        self.client = client
        self.workspace = workspace
        self.endpoint = endpoint
        self.retries = 0

    def _count(self, response: Any) -> None:
        """Called for every HTTP answer, retried ones included: counts the throttled ones."""
        if response.http_response.status_code == 429:
            self.retries += 1

    def run(self, query: str, start_ms: int, end_ms: int) -> Answer:
        """The rows of ``query`` over ``[start_ms, end_ms)``; every SDK failure as one :class:`FetchError` line."""
        from azure.core.exceptions import AzureError
        from azure.monitor.query import LogsQueryStatus

        span = (_moment(start_ms), _moment(end_ms))
        try:
            found = self.client.query_workspace(
                self.workspace, query, timespan=span, raw_response_hook=self._count
            )
        except AzureError as exc:
            raise FetchError(self._explain(exc)) from None
        if found.status == LogsQueryStatus.PARTIAL:
            tables, partial = found.partial_data or [], _partial_message(found.partial_error)
        else:
            tables, partial = found.tables, None
        if not tables:
            return Answer((), (), partial)
        table = tables[0]
        return Answer(list(table.columns), [list(row) for row in table.rows], partial)

    def _explain(self, exc: Any) -> str:
        """One clear line for an SDK exception (no credentials, rejected, no workspace, throttled...)."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
        )

        status = getattr(exc, "status_code", None)
        detail = _service_message(exc)
        text = str(getattr(exc, "message", None) or exc)
        if status is None and (isinstance(exc, ClientAuthenticationError) or _SIGN_IN.search(text)):
            return _sign_in_failure(text)  # the SDK re-raises credential failures as plain HttpResponseError
        if status == 401:
            return f"Log Analytics rejected the access token (401): {detail}"
        if status == 403:
            return (f"access denied to workspace {self.workspace} (403): the identity needs the Log Analytics Reader "
                    f"role (or Microsoft.OperationalInsights/workspaces/query/*/read) on it")  # fmt: skip
        if isinstance(exc, ResourceNotFoundError) or status == 404:
            return (f"no Log Analytics workspace {self.workspace!r} at {self.endpoint} (404: {detail}): give the "
                    "workspace ID (a GUID from the workspace's Overview page), not its name")  # fmt: skip
        if status == 429:
            return "Log Analytics still throttling (429) after the retries: try again later, or resume with --checkpoint"
        if isinstance(exc, HttpResponseError) and status == 400:
            return f"Log Analytics refused the query (400): {detail}"
        if isinstance(exc, ServiceRequestError):
            return f"cannot reach Log Analytics at {self.endpoint}: {_first_line(str(exc))}"
        if isinstance(exc, HttpResponseError):
            return f"Log Analytics error ({status}): {detail}"
        return f"Azure SDK error: {_first_line(str(exc))}"


def _sign_in_failure(text: str) -> str:
    """The credential chain's multi-line report as one line: rejected credentials, or none found."""
    rejected = _AADSTS.search(text)
    if rejected:
        return f"Azure rejected the credentials ({rejected.group(0).strip()}): check the tenant, client ID and secret"
    tried = re.findall(r"^[ \t]+(\w+Credential):", text, re.MULTILINE)
    if "failed to retrieve a token" in text:
        names = f" (tried {', '.join(tried)})" if tried else ""
        return (
            f"no Azure credentials found{names}: run 'az login', set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            "AZURE_CLIENT_SECRET, or run where a managed identity is attached"
        )
    return f"Azure sign-in failed: {_first_line(text)}"


def _partial_message(error: Any) -> str:
    """The most specific message of a partial error (the SDK keeps the details, where the reason is)."""
    if error is None:
        return "partial result (no reason given)"
    found = [m for m in _messages(getattr(error, "details", None) or []) if m]
    message = found[-1] if found else str(getattr(error, "message", "") or "")
    code = str(getattr(error, "code", "") or "PartialError")
    return f"{code}: {_first_line(message)}"


def _messages(value: object) -> list[str]:
    """Every ``message`` in a nested error object, outermost first."""
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    if not isinstance(value, Mapping):  # dicts, or the SDK's models (mappings too)
        return []
    own = [str(value["message"])] if value.get("message") else []
    return own + _messages(value.get("innererror")) + _messages(value.get("details"))


def _service_message(exc: Any) -> str:
    """The service's own error code and message when the response has them, else the exception's first line."""
    error = getattr(exc, "error", None)
    code, message = getattr(error, "code", None), getattr(error, "message", None)
    model = getattr(exc, "model", None)
    if not message and model is not None:
        code, message = getattr(model, "code", code), getattr(model, "message", None)
    if message:
        return f"{code}: {_first_line(str(message))}" if code else _first_line(str(message))
    return _first_line(str(getattr(exc, "message", None) or exc))


def _first_line(text: str) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line[:300]


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
