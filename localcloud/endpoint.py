"""moto's AWS APIs over HTTP, served from the local cloud's own process (``make run`` listens on
port 4566), so another process (``commerce-admin --endpoint-url http://127.0.0.1:4566``, the AWS
CLI) sees the same data as the local stack.

Same process, same backends: moto's server answers from the module-level backends the in-process
mock writes to, and localcloud's hooks are patches on moto's classes, so they hold here too: a
``lambda invoke`` runs the real handler in this process, DynamoDB calls take the one DynamoDB lock,
rules and streams deliver as they do for in-process calls.

One route is localcloud's own: ``GET /_localcloud/outbox?limit=N``, the emails SES and the texts SNS
"sent" (``localcloud.outbox`` reads them from moto's backends). moto has no AWS API that lists them,
and its own ``/moto-api/data.json`` dump fails here: it reads every attribute of every model, and a
Lambda function's ``docker_client`` raises without Docker.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

__all__ = ["DEFAULT_PORT", "OUTBOX_PATH", "AwsEndpoint", "outbox"]

DEFAULT_PORT = 4566
OUTBOX_PATH = "/_localcloud/outbox"

_WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def outbox(region: str, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    """The last ``limit`` emails and texts, oldest first (``localcloud.outbox`` reads them)."""
    from localcloud import outbox as sent

    emails = [
        {
            "message_id": email.message_id,
            "from": email.sender,
            "to": [*email.to, *email.cc, *email.bcc],
            "subject": email.subject,
            "body": email.body,
        }
        for email in sent.emails(region=region)
    ]
    texts = [
        {"message_id": text.message_id, "phone": text.phone, "text": text.text}
        for text in sent.texts(region=region)
    ]
    return {"emails": emails[-limit:] if limit else [], "texts": texts[-limit:] if limit else []}


def _with_outbox(app: _WsgiApp, region: str) -> _WsgiApp:
    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != OUTBOX_PATH:
            return app(environ, start_response)
        try:
            limit = int(parse_qs(environ.get("QUERY_STRING", "")).get("limit", ["20"])[0])
        except ValueError:
            limit = -1
        if not 0 <= limit <= 1000:
            body = json.dumps({"message": "limit is a whole number from 0 to 1000"}).encode()
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [body]
        body = json.dumps(outbox(region, limit)).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return serve


class AwsEndpoint:
    """moto's server on a thread of this process (what ``moto.server.ThreadedMotoServer`` does, plus
    the outbox route and without a log line per request)."""

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT, region: str = "us-east-1") -> None:
        self.host = host
        self.port = port
        self.region = region
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> AwsEndpoint:
        """Raises ``OSError`` when the port is taken."""
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        app = _with_outbox(DomainDispatcherApplication(create_backend_app), self.region)
        # Bound here: werkzeug exits the process (sys.exit) when it cannot bind the port itself.
        listening = socket.create_server((self.host, self.port))
        try:
            self._server = make_server(
                self.host, self.port, app, threaded=True, request_handler=QuietHandler, fd=listening.fileno()
            )
        finally:
            listening.close()  # the server keeps its own duplicate of the socket
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.25},
            name="aws-endpoint",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> AwsEndpoint:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
