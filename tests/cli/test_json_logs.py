"""Every line a server writes is JSON, gunicorn's own start, worker and stop lines too."""
from __future__ import annotations

import json
import urllib.request


def test_every_line_of_a_served_run_is_json(start_server):
    server = start_server("--workers", "2")
    with urllib.request.urlopen(server.base_url + "/healthz", timeout=5) as answer:
        assert answer.status == 200
    server.terminate()
    assert server.wait() == 0
    lines = [line for line in server.output().splitlines() if line.strip()]
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not JSON: {line!r}\n{server.output()}") from None
    gunicorn = [e for e in entries if e["logger"].startswith("gunicorn")]
    messages = " ".join(e["message"] for e in gunicorn)
    assert "Starting gunicorn" in messages and "Booting worker" in messages
    assert all({"ts", "level", "logger", "message"} <= set(e) for e in entries)
