"""egressmap's own recording proxy on 127.0.0.1 (port 0), run in a thread of the test process.

The fetch under test is synchronous and threaded, so the proxy gets its own event loop in a thread; closing it
shuts the server down, which writes every record (one JSON line per request or tunnel) to ``record``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from egressmap.proxy.allow import Verdict
from egressmap.proxy.server import ProxyConfig, ProxyServer, allow_all

WAIT = 60.0
"""Longest wait for the proxy to start or stop: generous, nothing waits this long when things work."""


class RecordingProxy:
    """The running proxy: ``url`` to give to ``--proxy``, and its record file once :meth:`close` returned."""

    def __init__(
        self, tmp: Path, decide: Callable[[str, int], Verdict] = allow_all, enforce: bool = False
    ) -> None:
        """Start the proxy (allowing everything unless ``decide`` says otherwise)."""
        self.record = tmp / "proxy-record.jsonl"
        self.config = ProxyConfig(port=0, record=str(self.record), decide=decide, enforce=enforce, grace=0.5)
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        if not self._ready.wait(WAIT):
            raise RuntimeError("the proxy did not start")

    async def _main(self) -> None:
        server = ProxyServer(self.config, report=lambda line: None)
        try:
            _, self.port = await server.start()
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        finally:
            self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await server.shutdown()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> list[dict[str, Any]]:
        """Stop the proxy; every record it wrote."""
        if self._thread.is_alive() and self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(WAIT)
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line.strip()]
