"""Domain rules: domain syntax, webmail refusal, lookup by an email's domain."""
from __future__ import annotations

from typing import Callable

import pytest
from sqlalchemy.orm import Session

from conftest import Tenant
from scim_server.models import Product
from scim_server.services import domain_rules as service
from scim_server.services.actors import Actor
from scim_server.services.errors import Conflict, InvalidInput


@pytest.mark.parametrize("raw,expected", [
    ("Acme.Example", "acme.example"), ("@acme.example.", "acme.example"),
    ("sub.acme.co.uk", "sub.acme.co.uk"), ("bücher.example", "xn--bcher-kva.example")])
def test_normalize_domain(raw: str, expected: str) -> None:
    assert service.normalize_domain(raw) == expected


@pytest.mark.parametrize("raw", ["acme", "acme..example", "-acme.example", "acme-.example",
                                 "a b.example", "acme.example/x", "x" * 64 + ".example", ""])
def test_invalid_domains_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        service.normalize_domain(raw)


def test_rules_refuse_webmail_and_duplicates_and_match_by_domain(
        db_session: Session, tenant: Tenant, add_product: Callable[..., Product]) -> None:
    jira = add_product("jira")
    with pytest.raises(InvalidInput, match="public email domain"):
        service.create_rule(db_session, tenant.org_id, "Outlook.com", jira.id, None, Actor.cli())
    rule = service.create_rule(db_session, tenant.org_id, "acme.example", jira.id, None,
                               Actor.cli(), approval_required=False)
    assert rule.role == "user"
    with pytest.raises(Conflict):
        service.create_rule(db_session, tenant.org_id, "ACME.example", jira.id, "admin",
                            Actor.cli())
    assert service.rule_for(db_session, tenant.org_id, "Ann@ACME.example", jira.id) is rule
    assert service.rule_for(db_session, tenant.org_id, "ann@sub.acme.example", jira.id) is None
    assert service.delete_rule(db_session, tenant.org_id, rule.id, Actor.cli()) is True
    assert service.delete_rule(db_session, tenant.org_id, rule.id, Actor.cli()) is False


@pytest.mark.parametrize("email,domain", [
    ("ann@Bücher.Example.", "xn--bcher-kva.example"), ("ann@xn--bcher-kva.example",
                                                     "xn--bcher-kva.example"),
    ("ann@ACME.example", "acme.example"), ("ceo@İacme.example", "xn--iacme-7fd.example")])
def test_an_emails_domain_is_read_as_a_rules_domain_is_kept(email: str, domain: str) -> None:
    """DNS names, not the email norm: "İacme" is another domain than "iacme"."""
    assert service.domain_of(email) == domain


def test_rules_match_an_address_on_an_internationalised_domain(
        db_session: Session, tenant: Tenant, add_product: Callable[..., Product]) -> None:
    jira = add_product("jira")
    rule = service.create_rule(db_session, tenant.org_id, "Bücher.example", jira.id, None,
                               Actor.cli())
    assert service.rule_for(db_session, tenant.org_id, "ann@bücher.EXAMPLE", jira.id) is rule
    assert [r.id for r in db_session.scalars(service.rules_query(
        tenant.org_id, "BÜCHER.example"))] == [rule.id]
    iacme = service.create_rule(db_session, tenant.org_id, "iacme.example", jira.id, None,
                                Actor.cli())
    assert service.rule_for(db_session, tenant.org_id, "ceo@iacme.example", jira.id) is iacme
    assert service.rule_for(db_session, tenant.org_id, "ceo@İacme.example", jira.id) is None
