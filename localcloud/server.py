"""Serves the local gateway over real HTTP on 127.0.0.1 (standard library only)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from localcloud.gateway import MAX_PAYLOAD_BYTES, GatewayResponse, HttpApiGateway

if TYPE_CHECKING:
    from localcloud.files import LocalFiles

__all__ = ["SIMULATOR_3DS_PATH", "make_server"]

#: Where a local customer answers the card simulator's 3-D Secure challenge (Stripe hosts this
#: page in real life): ``POST /_simulator/3ds/<order_id>`` (``?outcome=fail`` to fail it).
SIMULATOR_3DS_PATH = "/_simulator/3ds/"

Authenticate = Callable[[str, bool], GatewayResponse]


def make_server(
    gateway: HttpApiGateway,
    host: str,
    port: int,
    quiet: bool = False,
    authenticate: Authenticate | None = None,
    files: LocalFiles | None = None,
) -> ThreadingHTTPServer:
    """``files``: S3's upload forms and the images CDN (``/_s3/``, ``/_images/``, see localcloud.files)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "localcloud"

        def _serve(self) -> None:
            started = time.perf_counter()
            length = int(self.headers.get("content-length") or 0)
            parts = urlsplit(self.path)
            served = files if files is not None and files.serves(parts.path) else None
            if length > (served.max_body_bytes if served is not None else MAX_PAYLOAD_BYTES):
                self.send_response(413)
                self.send_header("content-type", "application/json")
                body = b'{"message":"Request Entity Too Large"}'
                self.send_header("content-length", str(len(body)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else b""
            if served is not None:
                response = served.answer(self.command, parts.path, list(self.headers.items()), body)
            elif (
                authenticate is not None
                and self.command == "POST"
                and parts.path.startswith(SIMULATOR_3DS_PATH)
            ):
                outcome = parse_qs(parts.query).get("outcome", ["succeed"])[0]
                response = authenticate(parts.path.removeprefix(SIMULATOR_3DS_PATH), outcome != "fail")
            else:
                response = gateway.handle(
                    self.command,
                    parts.path,
                    parts.query,
                    list(self.headers.items()),
                    body,
                    self.client_address[0],
                )
            self.send_response(response.status)
            for key, value in response.headers:
                if key.lower() not in {"content-length", "connection", "transfer-encoding"}:
                    self.send_header(key, value)
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
            if not quiet:
                elapsed = (time.perf_counter() - started) * 1000
                sys.stdout.write(f"{self.command} {self.path} -> {response.status} ({elapsed:.1f} ms)\n")
                sys.stdout.flush()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
