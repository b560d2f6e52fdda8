"""`/admin/v1/docs`: the OpenAPI document as a page, served from the package, no script."""
from __future__ import annotations

import re
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.sources: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "a":
            self.links.append(attributes.get("href") or "")
        if "src" in attributes or (tag == "link" and "href" in attributes):
            self.sources.append(attributes.get("src") or attributes.get("href"))


def test_the_reference_lists_every_operation_of_the_document(client):
    answer = client.get("/admin/v1/docs")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    html = answer.get_data(as_text=True)
    document = client.get("/admin/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert f"{method.upper()}</span> <code>{path}</code>" in html, (method, path)
            assert operation["summary"].replace("'", "&#x27;") in html
    assert "/admin/v1/orgs/{org_id}/admin-keys" in html
    assert "Needs permission" in html


def test_the_reference_needs_nothing_from_elsewhere(client):
    answer = client.get("/admin/v1/docs")
    page = Page()
    page.feed(answer.get_data(as_text=True))
    assert "script" not in page.tags
    assert page.sources == []  # no CDN, no stylesheet or script to fetch
    assert not re.search(r"https?://", answer.get_data(as_text=True).split("<body>", 1)[0])
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src" not in csp or "'none'" in csp


def test_every_link_in_the_reference_lands_on_an_anchor(client):
    page = Page()
    page.feed(client.get("/admin/v1/docs").get_data(as_text=True))
    local = [link[1:] for link in page.links if link.startswith("#")]
    assert local and set(local) <= page.ids
    assert "schema-AdminKeyCreate" in page.ids


def test_the_admin_key_body_is_described_field_by_field(client):
    html = client.get("/admin/v1/docs").get_data(as_text=True)
    section = html.split('id="schema-AdminKeyCreate"', 1)[1].split("<h3", 1)[0]
    for field in ("scopes", "name", "expires_in_days"):
        assert f"<code>{field}</code>" in section
    assert "product-service" in section


def test_each_text_field_says_how_long_it_may_be(client):
    """The limits the OpenAPI document states as `maxLength`, in words (the columns')."""
    from scim_server.models import AdminKey, Group
    from tests.lengths_support import kept

    html = client.get("/admin/v1/docs").get_data(as_text=True)
    section = html.split('id="schema-AdminKeyCreate"', 1)[1].split("<h3", 1)[0]
    assert f"at most {kept(AdminKey.name)} characters" in section
    group = html.split('id="schema-GroupCreate"', 1)[1].split("<h3", 1)[0]
    assert f"1 to {kept(Group.display_name)} characters" in group
