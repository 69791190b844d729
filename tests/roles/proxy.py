"""A TCP proxy in front of a JSON-RPC endpoint that a test can take down and bring back (an RPC outage)."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class OutageProxy:
    """Forwards 127.0.0.1:<port> to ``target``; :meth:`down` refuses connections until :meth:`up`."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._available = threading.Event()
        self._available.set()
        self._closed = False
        self._active: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener.listen(64)
        threading.Thread(target=self._serve, daemon=True).start()

    def down(self) -> None:
        """Refuse new connections and cut the open ones (a kept-alive HTTP connection must fail too)."""
        self._available.clear()
        with self._lock:
            for sock in list(self._active):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
            self._active.clear()

    def up(self) -> None:
        self._available.set()

    def _serve(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._available.is_set():
                client.close()  # the endpoint is down: the connection is refused mid-way
                continue
            threading.Thread(target=self._pipe_pair, args=(client,), daemon=True).start()

    def _pipe_pair(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError), socket.create_connection(self.target) as upstream:
            with self._lock:
                self._active.update((client, upstream))
            a = threading.Thread(target=self._pipe, args=(client, upstream), daemon=True)
            a.start()
            self._pipe(upstream, client)
            a.join(timeout=5)
        with self._lock:
            self._active.discard(client)
        client.close()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def __enter__(self) -> OutageProxy:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
