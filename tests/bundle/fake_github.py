"""A fake GitHub (releases API, release downloads, tag archives) and mirror on 127.0.0.1, over HTTPS (trustme).

It runs in a thread of the test process so the tests can read what each request asked for (the ``Range`` of
a resumed download). Files can misbehave: ``break_first`` sends half the body of the first full request and
closes the connection; ``honour_range=False`` answers a Range with the whole file (200). ``redirects`` send a
path elsewhere (302).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import ssl
import tarfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

PAGE = 2
"""Assets per API page, whatever ``per_page`` asks (so that three assets take two pages)."""


@dataclass
class Blob:
    """One file the server holds."""

    body: bytes
    content_type: str = "application/octet-stream"
    break_first: bool = False
    honour_range: bool = True
    served: int = 0


def sha(body: bytes) -> str:
    """The sha256 of ``body``."""
    return hashlib.sha256(body).hexdigest()


def tar_gz(top: str, files: Mapping[str, bytes]) -> bytes:
    """A reproducible .tar.gz of ``files`` under ``top/`` (fixed times and owners)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = {f"{top}/{name}".rsplit("/", 1)[0] for name in files}
        for d in sorted(dirs | {top}):
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
            tar.addfile(info)
        for name, body in sorted(files.items()):
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(body), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(body))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a refused download) is no error of the server's."""


class FakeGitHub:
    """The server: ``base`` (https://127.0.0.1:PORT), ``api`` (``base``/api/v3), ``ca_file``, ``requests``."""

    def __init__(self, tmp: Path) -> None:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = tmp / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        self.blobs: dict[str, Blob] = {}
        self.documents: dict[str, tuple[Any, dict[str, str]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.redirects: dict[str, str] = {}
        """Path -> the URL it answers 302 Found with."""
        self.lock = threading.Lock()
        self._next_id = 1
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                fake.answer(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.api = f"{self.base}/api/v3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def ranges(self, path: str) -> list[str | None]:
        """The Range header of each request for ``path``, in order."""
        return [h.get("range") for p, h in self.requests if p == path]

    def add_release(
        self,
        repo: str,
        tag: str,
        assets: Mapping[str, Blob],
        digests: Mapping[str, str | None],
        archive: Mapping[str, bytes],
    ) -> None:
        """A release with ``assets`` (API ``digest`` from ``digests``) and the tag's source archive."""
        rid = self._next_id
        self._next_id += 1
        self.documents[f"/api/v3/repos/{repo}/releases/tags/{tag}"] = ({"id": rid, "tag_name": tag}, {})
        items = [
            {
                "name": name,
                "size": len(blob.body),
                "state": "uploaded",
                "browser_download_url": f"{self.base}/{repo}/releases/download/{tag}/{name}",
                "digest": None if digests.get(name) is None else f"sha256:{digests[name]}",
            }
            for name, blob in sorted(assets.items())
        ]
        pages = [items[i : i + PAGE] for i in range(0, len(items), PAGE)] or [[]]
        for n, page in enumerate(pages, 1):
            path = f"/api/v3/repos/{repo}/releases/{rid}/assets?per_page=100" + (
                f"&page={n}" if n > 1 else ""
            )
            link = {}
            if n < len(pages):
                nxt = f"{self.base}/api/v3/repos/{repo}/releases/{rid}/assets?per_page=100&page={n + 1}"
                link = {"Link": f'<{nxt}>; rel="next"'}
            self.documents[path] = (page, link)
        for name, blob in assets.items():
            self.blobs[f"/{repo}/releases/download/{tag}/{name}"] = blob
        top = f"{repo.split('/', 1)[1]}-{tag}"
        self.blobs[f"/{repo}/archive/refs/tags/{tag}.tar.gz"] = Blob(
            tar_gz(top, archive), content_type="application/x-gzip"
        )

    def answer(self, h: BaseHTTPRequestHandler) -> None:
        """Serve one request."""
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self.lock:
            self.requests.append((h.path, headers))
        if h.path in self.redirects:
            self._send(h, 302, b"", "text/plain", {"Location": self.redirects[h.path]})
            return
        if h.path in self.documents:
            doc, extra = self.documents[h.path]
            self._send(h, 200, json.dumps(doc).encode(), "application/json", extra)
            return
        blob = self.blobs.get(h.path)
        if blob is None:
            self._send(h, 404, b'{"message": "Not Found"}', "application/json", {})
            return
        with self.lock:
            blob.served += 1
            first = blob.served == 1
        wanted = headers.get("range", "")
        if wanted.startswith("bytes=") and blob.honour_range:
            start = int(wanted[6:].split("-", 1)[0])
            end = len(blob.body) - 1
            extra = {"Content-Range": f"bytes {start}-{end}/{len(blob.body)}"}
            self._send(h, 206, blob.body[start:], blob.content_type, extra)
            return
        if blob.break_first and first:
            h.send_response(200)
            h.send_header("Content-Type", blob.content_type)
            h.send_header("Content-Length", str(len(blob.body)))
            h.end_headers()
            h.wfile.write(blob.body[: len(blob.body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        self._send(h, 200, blob.body, blob.content_type, {})

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, extra: Mapping[str, str]
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)
