"""WSGI entry point for any server: `gunicorn wsgi:app` (settings from SCIM_* variables)."""
from scim_server import create_app

app = create_app()
