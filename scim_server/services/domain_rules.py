"""Approved email domains: people on a domain the organization owns may sign up for a product.

The admin asserts that the organization owns the domain; public webmail domains, which
nobody owns, are refused as rules. A rule names the product, the role it gives, whether
an admin must approve first, and whether admins are told of each sign-up.
"""
from __future__ import annotations

import re

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import DomainRule, Product
from . import audit
from .actors import Actor
from .errors import Conflict, InvalidInput, NotFound

LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN = re.compile(rf"^(?:{LABEL}\.)+[a-z]{{2,63}}$")
# Domains anybody can get an address on: owning one of them proves nothing.
WEBMAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com",
    "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com", "icloud.com", "me.com",
    "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de",
    "gmx.net", "web.de", "mail.com", "yandex.ru", "yandex.com", "mail.ru", "zoho.com",
    "qq.com", "163.com", "126.com", "fastmail.com", "tutanota.com", "hey.com", "orange.fr",
    "free.fr", "libero.it", "t-online.de", "comcast.net", "verizon.net",
})


def canonical_domain(raw: str) -> str | None:
    """The DNS name `raw` stands for (lower case, IDNA A-label, no leading `@` or trailing
    dot), or None when it is none.

    Domains follow DNS, not the email norm (services/email_addresses.py): IDNA maps
    "İ" to "i" + U+0307, so "İacme.test" is xn--iacme-7fd.test, not iacme.test.
    """
    domain = raw.strip().lower().lstrip("@").rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return domain if len(domain) <= 253 and DOMAIN.match(domain) else None


def normalize_domain(raw: str) -> str:
    """The domain a rule keeps (`canonical_domain`); an invalid one raises."""
    domain = canonical_domain(raw)
    if domain is None:
        raise InvalidInput(f"{raw!r} is not a valid domain name")
    return domain


def domain_of(email: str) -> str:
    """The domain of an address as rules keep theirs; as written when it is no DNS name
    (no rule matches it then)."""
    written = email.rpartition("@")[2].strip()
    return canonical_domain(written) or written


def create_rule(session: Session, org_id: str, domain: str, product_id: str, role: str | None,
                actor: Actor, *, approval_required: bool = True,
                notify_admins: bool = True) -> DomainRule:
    """Approve a domain for a product; webmail domains and duplicates are refused."""
    domain = normalize_domain(domain)
    if domain in WEBMAIL_DOMAINS:
        raise InvalidInput(f"{domain} is a public email domain that anyone can use; only a "
                           "domain your organization owns can be approved")
    product = session.get(Product, product_id)
    if product is None or product.org_id != org_id:
        raise NotFound(f"no product {product_id} in this organization")
    role = role or product.default_role
    if role not in (product.roles or []):
        raise InvalidInput(f"role {role!r} is not a role of {product.name!r}; choose one of "
                           f"{', '.join(product.roles or [])}")
    rule = DomainRule(org_id=org_id, domain=domain, product_id=product.id, role=role,
                      approval_required=approval_required, notify_admins=notify_admins)
    try:
        with session.begin_nested():
            session.add(rule)
    except IntegrityError as exc:
        raise Conflict(f"{domain} is already approved for {product.name!r}; delete that rule "
                       "to change it") from exc
    audit.record(session, org_id=org_id, actor=actor, action="domain_rule.created",
                 target_type="domain_rule", target_id=rule.id,
                 changes={"domain": domain, "product_id": product.id, "role": role,
                          "approval_required": approval_required,
                          "notify_admins": notify_admins})
    return rule


def delete_rule(session: Session, org_id: str, rule_id: str, actor: Actor) -> bool:
    """Remove a rule (idempotent); access already given through it stays."""
    rule = session.get(DomainRule, rule_id)
    if rule is None or rule.org_id != org_id:
        return False
    session.delete(rule)
    session.flush()
    audit.record(session, org_id=org_id, actor=actor, action="domain_rule.deleted",
                 target_type="domain_rule", target_id=rule_id,
                 changes={"domain": rule.domain, "product_id": rule.product_id})
    return True


def rules_query(org_id: str, domain: str | None = None) -> Select:
    stmt = select(DomainRule).where(DomainRule.org_id == org_id)
    if domain:
        stmt = stmt.where(DomainRule.domain == (canonical_domain(domain) or domain.strip()))
    return stmt


def rule_for(session: Session, org_id: str, email: str, product_id: str) -> DomainRule | None:
    """The rule approving `email`'s domain for the product, if any."""
    return session.scalars(select(DomainRule).where(
        DomainRule.org_id == org_id, DomainRule.product_id == product_id,
        DomainRule.domain == domain_of(email))).first()
