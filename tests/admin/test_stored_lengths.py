"""Text longer than the column that keeps it is refused before any write, on both backends.

PostgreSQL's `VARCHAR(n)` fails mid-transaction on a longer value (a 500) where SQLite
keeps it whole, so the two would disagree. The admin API answers 422 with a problem
document whose `errors` name the field and whose message names the limit. Every limit
below is read from the column the model declares, never from the code under test.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from conftest import Tenant
from scim_server import db
from scim_server.models import (Account, AdminKey, Directory, DomainRule, Group, OutboxMessage,
                                Product, ScimToken, Site)
from tests.admin.conftest import AdminClient, problem
from tests.lengths_support import address, dotted_at_the_limit, kept


def count(app: Flask, model: Any) -> int:
    with app.app_context():
        session = db.new_session(app, writes=False)
        found = int(session.scalar(select(func.count()).select_from(model)) or 0)
        session.close()
    return found


def refused(response: Any, field: str, limit: int) -> dict[str, Any]:
    """A 422 problem whose `errors` name `field` with a message that names `limit`."""
    body = problem(response, 422)
    messages = body["errors"][field]
    assert any(str(limit) in message for message in messages), messages
    return body


# (path, body without the field, field, column): every admin write of free text.
FIELDS: list[tuple[str, dict[str, Any], str, InstrumentedAttribute]] = [
    ("/sites", {}, "name", Site.name),
    ("/products", {"key": "jira"}, "name", Product.name),
    ("/groups", {}, "name", Group.display_name),
    ("/directories", {}, "name", Directory.name),
    ("/admin-keys", {"scopes": ["read-only"]}, "name", AdminKey.name),
]


@pytest.fixture
def body_for(site_id: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def _body(path: str, base: dict[str, Any]) -> dict[str, Any]:
        return {"site_id": site_id, **base} if path == "/products" else dict(base)

    return _body


@pytest.mark.parametrize("path, base, field, column", FIELDS,
                         ids=[f"{p[1:]}.{f}" for p, _b, f, _c in FIELDS])
def test_a_name_one_longer_than_its_column_is_a_422_naming_field_and_limit(
        app: Flask, admin: AdminClient, body_for: Callable[..., dict[str, Any]], path: str,
        base: dict[str, Any], field: str, column: InstrumentedAttribute) -> None:
    model = column.class_
    before = count(app, model)
    limit = kept(column)
    response = admin.post(path, json={**body_for(path, base), field: "n" * (limit + 1)})
    refused(response, field, limit)
    assert count(app, model) == before, "nothing was stored"
    longest = admin.post(path, json={**body_for(path, base), field: "n" * limit})
    assert longest.status_code == 201, longest.get_data(as_text=True)


def test_renames_refuse_the_same_lengths(admin: AdminClient, site_id: str,
                                         make_product: Callable[..., dict[str, Any]]) -> None:
    product = make_product("jira", "Jira")
    group = admin.post("/groups", json={"name": "Team"}).get_json()
    directory = admin.post("/directories", json={"name": "Okta"}).get_json()
    for path, column in ((f"/sites/{site_id}", Site.name),
                         (f"/products/{product['id']}", Product.name),
                         (f"/groups/{group['id']}", Group.display_name),
                         (f"/directories/{directory['id']}", Directory.name)):
        refused(admin.patch(path, json={"name": "r" * (kept(column) + 1)}), "name",
                kept(column))
    assert admin.get(f"/groups/{group['id']}").get_json()["name"] == "Team"
    assert admin.get(f"/products/{product['id']}").get_json()["name"] == "Jira"


def test_token_names_and_site_urls_and_domains_fit_their_columns(
        app: Flask, admin: AdminClient, tenant: Tenant, site_id: str,
        make_product: Callable[..., dict[str, Any]]) -> None:
    jira = make_product("jira", "Jira")
    token = kept(ScimToken.name)
    refused(admin.post(f"/directories/{tenant.directory_id}/tokens",
                       json={"name": "t" * (token + 1)}), "name", token)
    url = kept(Site.url)
    long_url = "https://acme.test/" + "u" * (url - len("https://acme.test/") + 1)
    refused(admin.post("/sites", json={"name": "Wiki", "url": long_url}), "url", url)
    domain = kept(DomainRule.domain)
    refused(admin.post("/domains", json={"domain": "d" * (domain + 1),
                                         "product_id": jira["id"]}), "domain", domain)
    assert count(app, DomainRule) == 0


def test_a_product_key_is_refused_whole_not_before_a_trailing_new_line(
        app: Flask, admin: AdminClient, site_id: str) -> None:
    """`^...$` in Python also matches before a final "\\n": a 100-character key plus a
    new line was 101 characters (500 on PostgreSQL; stored with its "\\n" on SQLite)."""
    limit = kept(Product.key)
    for key in ("k" * limit + "\n", "jira\n"):
        response = admin.post("/products", json={"site_id": site_id, "key": key,
                                                 "name": "Jira"})
        assert problem(response, 422)["errors"].keys() == {"key"}
    assert count(app, Product) == 0
    refused(admin.post("/products", json={"site_id": site_id, "key": "k" * (limit + 1),
                                          "name": "Jira"}), "key", limit)
    created = admin.post("/products", json={"site_id": site_id, "key": "k" * limit,
                                            "name": "Jira"})
    assert created.status_code == 201 and created.get_json()["key"] == "k" * limit


def test_the_openapi_document_states_each_limit(admin: AdminClient) -> None:
    """Schemathesis fuzzes the API from this document, boundary values included."""
    schemas = admin.get("/admin/v1/openapi.json").get_json()["components"]["schemas"]
    expected = {
        ("SiteCreate", "name"): Site.name, ("SiteCreate", "url"): Site.url,
        ("SiteUpdate", "name"): Site.name, ("ProductCreate", "name"): Product.name,
        ("ProductCreate", "key"): Product.key, ("ProductUpdate", "name"): Product.name,
        ("GroupCreate", "name"): Group.display_name, ("GroupUpdate", "name"): Group.display_name,
        ("DirectoryCreate", "name"): Directory.name, ("DirectoryUpdate", "name"): Directory.name,
        ("TokenCreate", "name"): ScimToken.name, ("AdminKeyCreate", "name"): AdminKey.name,
        ("DomainRuleCreate", "domain"): DomainRule.domain,
        ("UserUpdate", "email"): Account.email,
        ("UserUpdate", "display_name"): Account.display_name,
        ("AccessRequestCreate", "email"): Account.email,
        ("ActivityReport", "email"): Account.email,
    }
    stated = {key: schemas[key[0]]["properties"][key[1]].get("maxLength") for key in expected}
    assert stated == {key: kept(column) for key, column in expected.items()}


# ---- email addresses ---------------------------------------------------------------

def test_an_address_longer_than_the_column_is_an_invalid_address(
        admin: AdminClient, make_account: Callable[..., str]) -> None:
    account_id = make_account("ada@acme.test")
    limit = kept(Account.email)
    refused(admin.patch(f"/users/{account_id}", json={"email": address("ada", limit + 1)}),
            "email", limit)
    assert admin.get(f"/users/{account_id}").get_json()["email"] == "ada@acme.test"


def test_an_address_as_long_as_the_column_is_kept_whole_whatever_its_letters(
        admin: AdminClient, make_account: Callable[..., str]) -> None:
    account_id = make_account("ada@acme.test")
    email = dotted_at_the_limit()
    response = admin.patch(f"/users/{account_id}", json={"email": email})
    assert response.status_code == 200, response.get_json()
    assert admin.get(f"/users/{account_id}").get_json()["email"] == email
    found = admin.get("/users", query_string={"q": email[:60]}).get_json()["data"]
    assert [user["id"] for user in found] == [account_id]


def test_an_invitation_to_such_an_address_is_an_invalid_email_result(
        app: Flask, admin: AdminClient) -> None:
    too_long = address("ada", kept(Account.email) + 1)
    response = admin.post("/invitations", json={"emails": [too_long, dotted_at_the_limit(),
                                                           "ok@acme.test"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    results = [r["result"] for r in response.get_json()["data"]]
    assert results == ["invalid_email", "invited", "invited"]
    assert count(app, Account) == 2


# ---- text the server derives from stored values --------------------------------------

@pytest.fixture
def org_admin(app: Flask, tenant: Tenant) -> str:
    """An organization admin, who is emailed about every access request."""
    with app.app_context():
        session = db.new_session(app)
        account = Account(org_id=tenant.org_id, email="boss@acme.test",
                          email_norm="boss@acme.test", email_verified=True, is_org_admin=True)
        session.add(account)
        session.commit()
        account_id = account.id
        session.close()
    return account_id


def test_a_request_from_a_long_named_person_is_filed_and_its_email_subject_shortened(
        app: Flask, admin: AdminClient, org_admin: str, tenant: Tenant,
        make_product: Callable[..., dict[str, Any]]) -> None:
    """The admins' email subject is "<name> asks for access to <product>": a name and an
    address are each allowed up to their columns, and together exceed the subject's."""
    product = make_product("p" * kept(Product.key), "P" * kept(Product.name))
    name = "N" * kept(Account.display_name)
    with app.app_context():
        session = db.new_session(app)
        person = Account(org_id=tenant.org_id, email="person@acme.test",
                         email_norm="person@acme.test", email_verified=True, display_name=name)
        session.add(person)
        session.commit()
        person_id = person.id
        session.close()
    response = admin.post("/access-requests", json={"account_id": person_id,
                                                    "product_id": product["id"]})
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context():
        session = db.new_session(app, writes=False)
        [message] = session.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "access_request_filed"))
        subject, context = message.subject, message.context
        session.close()
    assert len(subject) <= kept(OutboxMessage.subject) and subject.startswith(name[:100])
    assert subject.endswith("…")
    assert json.dumps(context).count(name) == 1, "the email's context keeps the whole name"
