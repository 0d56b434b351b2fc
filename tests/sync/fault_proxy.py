"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1 between the client and a real review server.

It reads each request whole and decides, per request, with a seeded random generator:

- ``drop``: close the connection without forwarding (the server never sees the request);
- ``cut``: forward the request, read the server's whole answer, then send only part of it (or
  nothing) and close: the server did the work, the client never learns the result;
- ``delay``: wait a little, then forward normally.

Each request goes to the server on a fresh connection, so the server's keep-alive timeouts never
show up as faults that were not chosen. ``close()`` stops listening (a server that is down: every
connection is refused); ``start()`` listens again on the same port.
"""

from __future__ import annotations

import collections
import contextlib
import random
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

FAULT_KINDS = ("drop", "cut", "delay")
_MAX_HEADER = 64 * 1024


class _Closed(Exception):  # noqa: N818 - control flow: the peer closed the connection
    pass


@dataclass(frozen=True)
class _Message:
    head: bytes  # start line and headers, with the blank line
    body: bytes

    @property
    def raw(self) -> bytes:
        return self.head + self.body


class FaultProxy:
    """Forward 127.0.0.1:<port> to ``upstream``, injecting faults into ``fault_rate`` of the requests."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        fault_rate: float = 0.3,
        kinds: Sequence[str] = FAULT_KINDS,
        delay: tuple[float, float] = (0.02, 0.2),
        seed: int = 8,
    ) -> None:
        self.upstream = upstream
        self.fault_rate = fault_rate
        self.kinds = tuple(kinds)
        self.delay = delay
        self.faults: collections.Counter[str] = collections.Counter()
        self.requests = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._port = 0
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> FaultProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._port))
        listener.listen(64)
        self._port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True, name="fault-proxy")
        thread.start()
        self._threads.append(thread)
        return self

    def close(self) -> None:
        """Go down: close every open connection and refuse new ones until :meth:`start`."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the accept() blocked in the other thread.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the work -----------------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _choose(self) -> str:
        with self._lock:
            self.requests += 1
            if self._random.random() >= self.fault_rate:
                return ""
            kind = self._random.choice(self.kinds)
            self.faults[kind] += 1
            return kind

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self._open.add(client)
        with client:
            reader = _Reader(client)
            try:
                while True:
                    request = _read_message(reader, request=True)
                    fault = self._choose()
                    if fault == "drop":
                        return
                    if fault == "delay":
                        time.sleep(self._random.uniform(*self.delay))
                    response = self._forward(request)
                    if fault == "cut":
                        client.sendall(response.raw[: self._random.randrange(0, len(response.raw))])
                        return
                    client.sendall(response.raw)
                    if b"connection: close" in response.head.lower():
                        return
            except (_Closed, OSError):
                return
            finally:
                with self._lock:
                    self._open.discard(client)

    def _forward(self, request: _Message) -> _Message:
        with socket.create_connection(self.upstream, timeout=60) as upstream:
            upstream.sendall(request.raw)
            return _read_message(_Reader(upstream), request=False, request_head=request.head)


class _Reader:
    """Buffered reads of exact sizes and lines from a socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise _Closed
        self._buffer += chunk

    def until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if len(self._buffer) > _MAX_HEADER:
                raise _Closed
            self._fill()
        index = self._buffer.index(marker) + len(marker)
        data, self._buffer = self._buffer[:index], self._buffer[index:]
        return data

    def exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def rest(self) -> bytes:
        try:
            while True:
                self._fill()
        except _Closed:
            data, self._buffer = self._buffer, b""
            return data


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = (line.split(":", 1) for line in lines if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def _read_message(reader: _Reader, *, request: bool, request_head: bytes = b"") -> _Message:
    head = reader.until(b"\r\n\r\n")
    headers = _headers(head)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _Message(head, _read_chunked(reader))
    if "content-length" in headers:
        return _Message(head, reader.exactly(int(headers["content-length"])))
    if request or _bodiless(head, request_head):
        return _Message(head, b"")
    return _Message(head, reader.rest())  # the body runs until the server closes


def _bodiless(head: bytes, request_head: bytes) -> bool:
    status = int(head.split(b" ", 2)[1])
    return status in (204, 304) or status < 200 or request_head.startswith(b"HEAD ")


def _read_chunked(reader: _Reader) -> bytes:
    parts = []
    while True:
        line = reader.until(b"\r\n")
        parts.append(line)
        size = int(line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            break
        parts.append(reader.exactly(size + 2))
    while True:  # trailers, up to the blank line
        line = reader.until(b"\r\n")
        parts.append(line)
        if line == b"\r\n":
            return b"".join(parts)
