"""Marshmallow schemas of the admin API: input validated and output shaped at the edge.

Input schemas raise on unknown fields (marshmallow's default RAISE) and take JSON types
strictly (an integer is not a string, a string is not a number). Output schemas mark
every field they always emit as required, so the OpenAPI document generated from them
states exactly what a response carries.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..models import Account, AdminKey, Directory, Group, Product, ScimToken, Site
from ..models.account import ACCOUNT_SOURCES, ACCOUNT_STATUSES, SITE_ROLES
from ..models.admin_key import ADMIN_SCOPES
from ..models.directory import IDP_PROFILES
from ..models.group import GROUP_SOURCES
from ..models.product import PRODUCT_ROLES
from ..services.email_addresses import check_email_address, folds_onto_another_domain
from ..services.errors import InvalidInput
from ..services.invitation_status import INVITATION_STATUSES
from .validators import StoredEmail, WholeRegexp, kept_length

ID = validate.Length(min=1, max=64)
PRODUCT_KEY = [kept_length(Product.key, required=True), WholeRegexp(
    r"^[a-z0-9][a-z0-9._-]*$", error="lower-case letters, digits, '.', '_', '-'")]


def out(field: fields.Field) -> fields.Field:
    """An output field that is always present (nullable ones are present as null)."""
    field.required = True
    return field


def email_address_rule(value: str) -> None:
    """The service's email rules as a marshmallow validator, so a refusal is a 4xx."""
    try:
        check_email_address(value)
    except InvalidInput as exc:
        raise ValidationError(str(exc)) from exc
    refused = folds_onto_another_domain(value)
    if refused is not None:
        raise ValidationError(refused)


EMAIL_ADDRESS = [StoredEmail(), email_address_rule]


# ---- inputs -------------------------------------------------------------------------

class SiteCreateSchema(Schema):
    name = fields.String(required=True, validate=kept_length(Site.name, required=True))
    url = fields.URL(allow_none=True, validate=kept_length(Site.url))


class SiteUpdateSchema(Schema):
    name = fields.String(validate=kept_length(Site.name, required=True))
    url = fields.URL(allow_none=True, validate=kept_length(Site.url))


class ProductCreateSchema(Schema):
    site_id = fields.String(required=True, validate=ID)
    key = fields.String(required=True, validate=PRODUCT_KEY)
    name = fields.String(required=True, validate=kept_length(Product.name, required=True))
    seat_limit = fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=0, max=2**31 - 1))
    roles = fields.List(fields.String(validate=validate.OneOf(PRODUCT_ROLES)),
                        validate=validate.Length(min=1))


class ProductUpdateSchema(Schema):
    name = fields.String(validate=kept_length(Product.name, required=True))
    seat_limit = fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=0, max=2**31 - 1))
    roles = fields.List(fields.String(validate=validate.OneOf(PRODUCT_ROLES)),
                        validate=validate.Length(min=1))


class GrantPutSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(PRODUCT_ROLES))


class UserUpdateSchema(Schema):
    email = fields.Email(validate=EMAIL_ADDRESS)
    display_name = fields.String(allow_none=True, validate=kept_length(Account.display_name))


class DeactivateSchema(Schema):
    message = fields.String(validate=validate.Length(max=2000))


class EmptySchema(Schema):
    """A body that must be empty or `{}`."""


class SiteAccessPutSchema(Schema):
    role = fields.String(load_default="basic", validate=validate.OneOf(SITE_ROLES))


class GroupCreateSchema(Schema):
    name = fields.String(required=True, validate=kept_length(Group.display_name, required=True))


class GroupUpdateSchema(Schema):
    name = fields.String(required=True, validate=kept_length(Group.display_name, required=True))


class MemberSchema(Schema):
    account_id = fields.String(validate=ID)
    group_id = fields.String(validate=ID)

    @validates_schema
    def _exactly_one(self, data: dict, **_kwargs: object) -> None:
        if ("account_id" in data) == ("group_id" in data):
            raise ValidationError("give exactly one of account_id or group_id", "_schema")


class RateLimitSchema(Schema):
    """A bucket of `burst` requests refilled at `per_second` (docs/operations.md#rate-limits)."""

    per_second = fields.Float(required=True, validate=validate.Range(min=0.01, max=100_000))
    burst = fields.Integer(required=True, strict=True, validate=validate.Range(min=1,
                                                                               max=1_000_000))


class DirectoryCreateSchema(Schema):
    name = fields.String(required=True, validate=kept_length(Directory.name, required=True))
    idp = fields.String(load_default="generic", validate=validate.OneOf(IDP_PROFILES))
    rate_limit = fields.Nested(RateLimitSchema, allow_none=True)


class DirectoryUpdateSchema(Schema):
    name = fields.String(validate=kept_length(Directory.name, required=True))
    rate_limit = fields.Nested(RateLimitSchema, allow_none=True)


class TokenCreateSchema(Schema):
    name = fields.String(load_default="", validate=kept_length(ScimToken.name))
    expires_in_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=3650))


class AdminKeyCreateSchema(TokenCreateSchema):
    name = fields.String(load_default="", validate=kept_length(AdminKey.name))
    scopes = fields.List(fields.String(validate=validate.OneOf(ADMIN_SCOPES)), required=True,
                         validate=validate.Length(min=1))


# ---- query strings ------------------------------------------------------------------

class PageQuerySchema(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=2000))


class ProductsQuerySchema(PageQuerySchema):
    site_id = fields.String(validate=ID)


class UsersQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(ACCOUNT_STATUSES))
    source = fields.String(validate=validate.OneOf(ACCOUNT_SOURCES))
    product = fields.String(validate=ID, metadata={"description": "a product id"})
    q = fields.String(validate=validate.Length(min=1, max=200),
                      metadata={"description": "free text in name or email"})
    directory_id = fields.String(validate=ID)
    last_active_before = fields.AwareDateTime(metadata={
        "description": "last active before this time, or never"})
    last_active_since = fields.AwareDateTime()
    invitation_status = fields.String(validate=validate.OneOf(INVITATION_STATUSES))


class GroupsQuerySchema(PageQuerySchema):
    source = fields.String(validate=validate.OneOf(GROUP_SOURCES))
    directory_id = fields.String(validate=ID)
    q = fields.String(validate=validate.Length(min=1, max=200))


class AuditQuerySchema(PageQuerySchema):
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    action = fields.String(validate=validate.Length(max=64),
                           metadata={"description": "exact, or a prefix ending in *"})
    actor = fields.String(validate=validate.Length(max=200),
                          metadata={"description": "actor type, or type:id"})
    target = fields.String(validate=validate.Length(max=100))
    target_type = fields.String(validate=validate.Length(max=30))


# ---- outputs ------------------------------------------------------------------------

class SiteSchema(Schema):
    id = out(fields.String())
    name = out(fields.String())
    url = out(fields.String(allow_none=True))
    created_at = out(fields.DateTime())


class ProductSchema(Schema):
    id = out(fields.String())
    site_id = out(fields.String())
    key = out(fields.String())
    name = out(fields.String())
    seat_limit = out(fields.Integer(allow_none=True))
    roles = out(fields.List(fields.String(validate=validate.OneOf(PRODUCT_ROLES))))
    created_at = out(fields.DateTime())


class LicenceSchema(Schema):
    product_id = out(fields.String())
    product_key = out(fields.String())
    product_name = out(fields.String())
    seat_limit = out(fields.Integer(allow_none=True))
    used = out(fields.Integer())
    available = out(fields.Integer(allow_none=True))


class GrantSchema(Schema):
    id = out(fields.String())
    product_id = out(fields.String())
    grantee_type = out(fields.String(validate=validate.OneOf(("user", "group"))))
    account_id = out(fields.String(allow_none=True))
    group_id = out(fields.String(allow_none=True))
    role = out(fields.String(validate=validate.OneOf(PRODUCT_ROLES)))
    origin = out(fields.String())
    created_at = out(fields.DateTime())


class RouteSchema(Schema):
    type = out(fields.String(validate=validate.OneOf(("direct", "group"))))
    role = out(fields.String())
    grant_id = out(fields.String())
    group_id = fields.String()
    group_name = fields.String()
    nested = fields.Boolean()


class ProductAccessSchema(Schema):
    product_id = out(fields.String())
    role = out(fields.String(validate=validate.OneOf(PRODUCT_ROLES)))
    routes = out(fields.List(fields.Nested(RouteSchema)))


class AccountGroupSchema(Schema):
    id = out(fields.String())
    name = out(fields.String())
    source = out(fields.String(validate=validate.OneOf(GROUP_SOURCES)))


class SiteMembershipSchema(Schema):
    site_id = out(fields.String())
    role = out(fields.String(validate=validate.OneOf(SITE_ROLES)))
    removed_at = out(fields.DateTime(allow_none=True))


class AccountSchema(Schema):
    id = out(fields.String())
    email = out(fields.String(allow_none=True))
    display_name = out(fields.String(allow_none=True))
    status = out(fields.String(validate=validate.OneOf(ACCOUNT_STATUSES)))
    source = out(fields.String(validate=validate.OneOf(ACCOUNT_SOURCES)))
    directory_id = out(fields.String(allow_none=True))
    invitation_status = out(fields.String(validate=validate.OneOf(INVITATION_STATUSES)))
    product_access = out(fields.List(fields.Nested(ProductAccessSchema)))
    groups = out(fields.List(fields.Nested(AccountGroupSchema)))
    sites = out(fields.List(fields.Nested(SiteMembershipSchema)))
    last_active = out(fields.DateTime(allow_none=True))
    created_at = out(fields.DateTime())
    deactivated_at = out(fields.DateTime(allow_none=True))
    deletion_due_at = out(fields.DateTime(allow_none=True))
    erased_at = out(fields.DateTime(allow_none=True))


class SiteAccessSchema(Schema):
    account_id = out(fields.String())
    site_id = out(fields.String())
    role = out(fields.String(validate=validate.OneOf(SITE_ROLES)))


class GroupSchema(Schema):
    id = out(fields.String())
    name = out(fields.String())
    source = out(fields.String(validate=validate.OneOf(GROUP_SOURCES)))
    directory_id = out(fields.String(allow_none=True))
    member_count = out(fields.Integer())
    created_at = out(fields.DateTime())


class GroupMemberSchema(Schema):
    member_id = out(fields.String())
    member_type = out(fields.String(validate=validate.OneOf(("User", "Group"))))
    created_at = out(fields.DateTime())


class AuditActorSchema(Schema):
    type = out(fields.String())
    id = out(fields.String(allow_none=True))


class AuditTargetSchema(Schema):
    type = out(fields.String(allow_none=True))
    id = out(fields.String(allow_none=True))


class AuditEventSchema(Schema):
    id = out(fields.Integer())
    occurred_at = out(fields.DateTime())
    actor = out(fields.Nested(AuditActorSchema))
    action = out(fields.String())
    target = out(fields.Nested(AuditTargetSchema))
    changes = out(fields.Dict())
    request_id = out(fields.String(allow_none=True))


class DirectorySchema(Schema):
    id = out(fields.String())
    name = out(fields.String())
    idp = out(fields.String(validate=validate.OneOf(IDP_PROFILES)))
    scim_path = out(fields.String())
    created_at = out(fields.DateTime())
    rate_limit = out(fields.Nested(lambda: EffectiveRateLimitSchema()))


class EffectiveRateLimitSchema(Schema):
    per_second = out(fields.Float())
    burst = out(fields.Integer())
    source = out(fields.String(validate=validate.OneOf(("directory", "server"))))


class TokenSchema(Schema):
    id = out(fields.String())
    name = out(fields.String())
    hint = out(fields.String())
    created_at = out(fields.DateTime())
    expires_at = out(fields.DateTime(allow_none=True))
    revoked_at = out(fields.DateTime(allow_none=True))
    last_used_at = out(fields.DateTime(allow_none=True))


class IssuedTokenSchema(TokenSchema):
    directory_id = out(fields.String())
    scim_token = out(fields.String(metadata={"description": "shown once; only a hash is kept"}))


class ToleranceSchema(Schema):
    name = out(fields.String())
    count = out(fields.Integer())
    last_fired_at = out(fields.DateTime())
    last_request_id = out(fields.String(allow_none=True))


class AdminKeySchema(TokenSchema):
    scopes = out(fields.List(fields.String(validate=validate.OneOf(ADMIN_SCOPES))))


class IssuedAdminKeySchema(AdminKeySchema):
    admin_key = out(fields.String(metadata={"description": "shown once; only a hash is kept"}))


class ProblemSchema(Schema):
    """An RFC 9457 problem document; extension members may follow."""

    class Meta:
        unknown = "include"

    type = out(fields.String())
    title = out(fields.String())
    status = out(fields.Integer())
    detail = out(fields.String())
    errors = fields.Raw(metadata={"description": "field name → messages (invalid input)"})
