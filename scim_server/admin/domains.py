"""`domains` (approved email domains for self-signup) and `access-settings`."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from .. import db
from ..models import DomainRule
from ..models.product import PRODUCT_ROLES
from ..services import domain_rules as service
from ..services.request_settings import NOTIFY_MODES, org_settings, update_settings
from . import auth
from .blueprint import ORG, endpoint
from .pagination import Page, SortKey, paginate
from .serializers import PageQuerySchema, out
from .validators import kept_length

KEYS = (SortKey(DomainRule.created_at), SortKey(DomainRule.id))


def strict_bool(**kwargs: Any) -> fields.Boolean:
    """A boolean that takes only JSON true or false, not "yes" or 1."""
    return fields.Boolean(truthy={True}, falsy={False}, **kwargs)


class DomainRuleCreateSchema(Schema):
    domain = fields.String(required=True, validate=kept_length(DomainRule.domain, required=True))
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(validate=validate.OneOf(PRODUCT_ROLES))
    approval_required = strict_bool(load_default=True)
    notify_admins = strict_bool(load_default=True)


class DomainsQuerySchema(PageQuerySchema):
    domain = fields.String(validate=validate.Length(min=1, max=253))


class DomainRuleSchema(Schema):
    id = out(fields.String())
    domain = out(fields.String())
    product_id = out(fields.String())
    role = out(fields.String())
    approval_required = out(fields.Boolean())
    notify_admins = out(fields.Boolean())
    created_at = out(fields.DateTime())


class AccessSettingsSchema(Schema):
    deactivated_may_request = out(fields.Boolean())
    notify_admins_on_requests = out(fields.String(validate=validate.OneOf(NOTIFY_MODES)))
    signup_any_domain = out(fields.Boolean())


class AccessSettingsUpdateSchema(Schema):
    deactivated_may_request = strict_bool()
    notify_admins_on_requests = fields.String(validate=validate.OneOf(NOTIFY_MODES))
    signup_any_domain = strict_bool()


@endpoint(ORG + "/domains", "GET", permission="org:read", tag="domains",
          query=DomainsQuerySchema, response=DomainRuleSchema, paged=True,
          summary="List approved email domains and what they give")
def list_domains(query: dict[str, Any]) -> Page:
    return paginate(db.session(), service.rules_query(auth.org_id(), query.get("domain")), KEYS,
                    limit=query.get("limit"), cursor=query.get("cursor"))


@endpoint(ORG + "/domains", "POST", permission="org:write", tag="domains",
          body=DomainRuleCreateSchema, response=DomainRuleSchema, statuses=(201,),
          summary="Approve an email domain the organization owns for a product (webmail: 422)")
def create_domain(body: dict[str, Any]) -> DomainRule:
    return service.create_rule(db.session(), auth.org_id(), body["domain"], body["product_id"],
                               body.get("role"), auth.actor(),
                               approval_required=body["approval_required"],
                               notify_admins=body["notify_admins"])


@endpoint(ORG + "/domains/<rule_id>", "DELETE", permission="org:write", tag="domains",
          statuses=(204,), summary="Remove an approved domain (idempotent; access stays)")
def delete_domain(rule_id: str) -> None:
    service.delete_rule(db.session(), auth.org_id(), rule_id, auth.actor())


@endpoint(ORG + "/access-settings", "GET", permission="org:read", tag="domains",
          response=AccessSettingsSchema, summary="Read the access request and sign-up settings")
def get_access_settings() -> dict[str, Any]:
    return org_settings(db.session(), auth.org_id())


@endpoint(ORG + "/access-settings", "PATCH", permission="org:write", tag="domains",
          body=AccessSettingsUpdateSchema, response=AccessSettingsSchema,
          summary="Change the access request and sign-up settings")
def update_access_settings(body: dict[str, Any]) -> dict[str, Any]:
    return update_settings(db.session(), auth.org_id(), body, auth.actor())
