"""A loopback HTTP proxy in front of moto that records Lambda Invoke payloads.

Why: this machine has no Docker, so moto cannot run a function, and its Docker-free backend
answers Invoke without keeping the payload. The proxy forwards every request unchanged to moto
(which answers with the real API's status codes and errors) and keeps the body of each
`POST /2015-03-31/functions/<name>/invocations`, so a test can run the shard payloads the
packaged parent dispatched with the packaged child. It observes; it never answers itself.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Invocation:
    function: str
    invocation_type: str
    payload: bytes


@dataclass
class RecordingProxy:
    upstream: str
    invocations: list[Invocation] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> RecordingProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "POST" and self.path.endswith("/invocations"):
                    name = self.path.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
                    kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                    proxy.invocations.append(Invocation(urllib.request.unquote(name), kind, body))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                # http.client, not urllib: urllib would add a form Content-Type to a POST
                # without one, and moto then routes the request elsewhere.
                target = urllib.parse.urlsplit(proxy.upstream)
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    status, reply, answer = response.status, response.headers, response.read()
                finally:
                    connection.close()
                self.send_response(status)
                for key, value in reply.items():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
