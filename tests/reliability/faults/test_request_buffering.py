"""When the serving worker may hand a request to a thread: only once it is whole."""
from __future__ import annotations

import pytest

from scim_server.cli.buffered_worker import MAX_HEADER_BYTES, request_ready

LIMIT = 1000


@pytest.mark.parametrize("data, ready", [
    (b"GET / HTTP/1.1\r\nHost: x\r\n", False),  # headers still coming
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", False),  # body still coming
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", True),
    (b"POST / HTTP/1.1\r\ncontent-length:5\r\n\r\nabcde", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", True),  # over the limit: 413 at once
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", True),  # 400
    (b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", True),
    (b"GET / HTTP/1.1\r\nX: " + b"a" * (MAX_HEADER_BYTES + 1), True),  # the parser refuses
])
def test_request_ready(data: bytes, ready: bool) -> None:
    assert request_ready(data, LIMIT) is ready
