"""Running a fake of a vendor's HTTP API on a free loopback port, for the adapter tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


class LoopbackFake:
    """Start, stop and address a fake; its `handler` reaches it as `handler.<fake_name>`."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    fake_name: ClassVar[str]
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Any:
        handler = type("Handler", (self.handler,), {self.fake_name: self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"
