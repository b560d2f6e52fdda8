"""One design: site.css defines the shared class names, and HTML emails wear it too."""
from __future__ import annotations

import re
from pathlib import Path

from scim_server.services import outbox

SITE_CSS = Path(__file__).resolve().parents[2] / "scim_server" / "static" / "site.css"
SHARED = (".page", ".card", ".button", ".button--primary", ".button--danger", ".chip",
          ".chip--has-site-access", ".chip--invitation-pending", ".chip--invitation-expired",
          ".chip--invitation-not-sent", ".chip--no-site-access", ".field", ".error",
          ".notice")


def defined_classes(css: str) -> set[str]:
    selectors = re.sub(r"\{[^}]*\}", "", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    return set(re.findall(r"\.[a-z][a-z0-9-]*", selectors))


def test_site_css_defines_the_shared_class_names() -> None:
    missing = set(SHARED) - defined_classes(SITE_CSS.read_text(encoding="utf-8"))
    assert not missing


def test_the_stylesheet_is_served(client) -> None:
    with client.get("/static/site.css") as response:  # a file response: close it
        assert response.status_code == 200 and response.mimetype == "text/css"
        assert ".chip--invitation-not-sent" in response.get_data(as_text=True)


def test_html_emails_carry_the_design() -> None:
    for template, context in [
            ("console_sign_in", {"org_name": "Acme", "sign_in_url": "https://x.test/s",
                                 "expires_minutes": 15}),
            ("invitation", {"org_name": "Acme", "accept_url": "https://x.test/a",
                            "expires_at": "2026-12-30"})]:
        _subject, _text, html = outbox.render(template, context)
        assert ".button--primary" in html and "&#34;" not in html.split("</style>")[0]
        assert 'class="button button--primary"' in html
        assert '<div class="page"><div class="card">' in html
