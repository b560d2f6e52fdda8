"""The top-level `wsgi.py` gives a working application to any WSGI server."""
from __future__ import annotations

import importlib


def test_wsgi_module_builds_the_app(database_url, app, monkeypatch):
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    import wsgi

    module = importlib.reload(wsgi)
    response = module.app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"
