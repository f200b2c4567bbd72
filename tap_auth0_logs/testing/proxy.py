"""A forward proxy for tests: HTTP CONNECT tunnels, as corporate HTTPS proxies offer.

It records the `host:port` of every tunnel it opens, so a test can tell whether the tap went
through it (HTTPS_PROXY) or around it (NO_PROXY).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from socketserver import BaseRequestHandler, ThreadingTCPServer


class ConnectProxy:
    """`start()` serves on 127.0.0.1 at a free port; `url` is what HTTPS_PROXY takes."""

    def __init__(self) -> None:
        self.tunnels: list[str] = []
        proxy = self

        class Handler(BaseRequestHandler):
            def handle(self) -> None:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
                if method != "CONNECT":
                    self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                    return
                proxy.tunnels.append(target)
                host, port = target.rsplit(":", 1)
                with socket.create_connection((host, int(port))) as upstream:
                    self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    _relay(self.request, upstream)

        self._server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ConnectProxy:
        """Serve in a background thread."""
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    sockets = [client, upstream]
    while True:
        readable, _, broken = select.select(sockets, [], sockets, 30)
        if broken or not readable:
            return
        for source in readable:
            with contextlib.suppress(OSError):
                data = source.recv(65536)
                if not data:
                    return
                (upstream if source is client else client).sendall(data)
