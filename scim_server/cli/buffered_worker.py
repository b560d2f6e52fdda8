"""A gunicorn worker that reads each request whole before a thread serves it.

gunicorn's `gthread` hands a connection to a thread as soon as its first bytes arrive,
and the thread then reads the rest: fifty clients trickling their headers a byte a second
hold every thread, and the server stops answering anyone (issue 11, finding 5). Here the
worker's event loop reads requests itself, without blocking, and only a complete request
(its headers, and its body when `Content-Length` says how long) goes to the thread pool.
A slow client costs a socket and a buffer, never a thread.

Bounds: a request must arrive within `REQUEST_READ_SECONDS` (then the connection is
closed, as RFC 9110 §15.5.9 allows for a request timeout); at most `max_buffered` bytes
are buffered (headers over gunicorn's own limits are refused by its parser, a body over
`SCIM_MAX_BODY_BYTES` is refused by the application's 413). A body sent after
`Expect: 100-continue` (RFC 9110 §10.1.1) or chunked is read by the thread, as before.
TLS and HTTP/2 connections, which gunicorn handshakes in the thread, are served as gthread
serves them.
"""
from __future__ import annotations

import errno
import re
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker  # type: ignore[import-untyped]

REQUEST_READ_SECONDS = 30.0
HEADER_END = b"\r\n\r\n"
MAX_HEADER_BYTES = 128 * 1024
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d{1,19})[ \t]*(?=\r\n|$)", re.I)
THREAD_READS_BODY = re.compile(rb"\r\n(?:expect[ \t]*:[ \t]*100-continue|transfer-encoding[ \t]*:)",
                               re.I)


def request_ready(data: bytes | bytearray, max_body: int) -> bool:
    """Whether `data` holds a whole request, or enough for a thread to go on without
    waiting on the client (an oversized header block or body is refused by the thread)."""
    end = data.find(HEADER_END)
    if end < 0:
        return len(data) > MAX_HEADER_BYTES
    head = bytes(data[:end])
    if THREAD_READS_BODY.search(head):
        return True
    lengths = CONTENT_LENGTH.findall(head)
    if len(lengths) != 1:
        return True  # none: no body; several: the parser refuses the request
    length = int(lengths[0])
    return length > max_body or len(data) - end - len(HEADER_END) >= length


class BufferedConn(TConn):  # type: ignore[misc]
    """A connection with the bytes the event loop read before a thread took it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.early = bytearray()
        self.read_deadline = 0.0

    def init(self) -> None:
        fresh = not self.initialized
        super().init()
        if fresh and self.early and self.parser is not None:
            self.parser.unreader.unread(bytes(self.early))
            self.early = bytearray()


class BufferedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread whose threads only ever see whole requests (see the module docstring)."""

    max_body = 5 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: dict[BufferedConn, float] = {}

    def _buffering(self) -> bool:
        return not self.cfg.is_ssl and not getattr(self.cfg, "http2_prior_knowledge", False)

    def accept(self, listener: Any) -> None:
        if not self._buffering():
            return super().accept(listener)
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return None
        self.nr_conns += 1
        self._read_request(BufferedConn(self.cfg, client, address, listener.getsockname()))
        return None

    def on_client_socket_readable(self, conn: Any, client: Any) -> None:
        if not isinstance(conn, BufferedConn):
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_request(conn)
        return None

    def _read_request(self, conn: BufferedConn) -> None:
        conn.sock.setblocking(False)
        conn.early = bytearray()
        self.reading[conn] = time.monotonic() + REQUEST_READ_SECONDS
        self.poller.register(conn.sock, selectors.EVENT_READ,
                             partial(self._on_request_bytes, conn))

    def _on_request_bytes(self, conn: BufferedConn, sock: Any) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before finishing its request
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.early += data
        if request_ready(conn.early, self.max_body):
            self._stop_reading(conn)
            conn.data_ready = True
            if conn.initialized:  # a kept-alive connection: its parser exists already
                conn.parser.unreader.unread(bytes(conn.early))
                conn.early = bytearray()
            self.enqueue_req(conn)

    def _stop_reading(self, conn: BufferedConn) -> None:
        self.reading.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def murder_pending(self) -> None:
        """Also close connections whose request did not arrive in time."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, deadline in self.reading.items() if deadline < now]:
            self._stop_reading(conn)
            self.nr_conns -= 1
            conn.close()

    def _cap_keepalive(self, deadline: float) -> None:
        """Stopping: half-read requests get the kept-alive connections' short linger."""
        super()._cap_keepalive(deadline)
        for conn in self.reading:
            self.reading[conn] = min(self.reading[conn], deadline)
