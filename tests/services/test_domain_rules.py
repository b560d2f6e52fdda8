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
