"""Marshmallow schemas of invitations and the outbox (see `serializers` for the house rules)."""
from __future__ import annotations

from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate

from ..models.account import SITE_ROLES
from ..models.invitation import INVITATION_STATES
from ..models.outbox import OUTBOX_STATES
from ..models.product import PRODUCT_ROLES
from ..services.invitation_status import INVITATION_STATUSES
from ..services.invitations import MAX_ADDRESSES, RESULTS, split_emails
from .serializers import ID, PageQuerySchema, email_address_rule, out

MESSAGE = validate.Length(max=2000)


class EmailsField(fields.Field):
    """A list of addresses, or one string of them separated by commas, spaces or lines."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> list[str]:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            emails = split_emails(value)
        elif isinstance(value, str):
            emails = split_emails(value)
        else:
            raise ValidationError("give a list of email addresses or one string of them")
        if not emails:
            raise ValidationError("name at least one email address")
        if len(emails) > MAX_ADDRESSES:
            raise ValidationError(f"at most {MAX_ADDRESSES} addresses per call, "
                                  f"not {len(emails)}")
        for address in emails:
            email_address_rule(address)
        return emails


class ProductRoleSchema(Schema):
    product_id = fields.String(required=True, validate=ID)
    role = fields.String(load_default="user", validate=validate.OneOf(PRODUCT_ROLES))


class InviteSchema(Schema):
    emails = EmailsField(required=True, metadata={
        "description": "a list of addresses, or one string separated by commas, spaces "
                       "or new lines", "oneOf": [{"type": "string"},
                                                 {"type": "array", "items": {"type": "string"}}]})
    products = fields.List(fields.Nested(ProductRoleSchema), load_default=list,
                           validate=validate.Length(max=50),
                           metadata={"description": "none = membership of the organization "
                                                    "only, no product access"})
    groups = fields.List(fields.String(validate=ID), load_default=list,
                         validate=validate.Length(max=50))
    site_role = fields.String(load_default="basic", validate=validate.OneOf(SITE_ROLES))
    send_email = fields.Boolean(load_default=True, truthy={True}, falsy={False})
    message = fields.String(load_default=None, allow_none=True, validate=MESSAGE)


class InviteMessageSchema(Schema):
    message = fields.String(load_default=None, allow_none=True, validate=MESSAGE,
                            metadata={"description": "personal message in the email"})


class InvitationsQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(INVITATION_STATUSES), metadata={
        "description": "the account's invitation status; lists its current invitation"})
    state = fields.String(validate=validate.OneOf(INVITATION_STATES), metadata={
        "description": "the invitation's own state (default: every state but superseded)"})
    account_id = fields.String(validate=ID)


class OutboxQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(OUTBOX_STATES))
    template = fields.String(validate=validate.Length(min=1, max=64))
    to = fields.String(validate=validate.Length(min=1, max=320),
                       metadata={"description": "recipient, exact and case-insensitive"})


class InviteResultSchema(Schema):
    email = out(fields.String())
    result = out(fields.String(validate=validate.OneOf(RESULTS)))
    account_id = out(fields.String(allow_none=True))
    invitation_id = out(fields.String(allow_none=True))
    detail = out(fields.String(allow_none=True))
    product_id = fields.String(allow_none=True)


class InviteCountsMetaSchema(Schema):
    total = out(fields.Integer())
    counts = out(fields.Dict(keys=fields.String(), values=fields.Integer()))


class InviteResultsSchema(Schema):
    data = out(fields.List(fields.Nested(InviteResultSchema)))
    meta = out(fields.Nested(InviteCountsMetaSchema))


class InvitationProductSchema(Schema):
    product_id = out(fields.String())
    role = out(fields.String())


class InvitationSchema(Schema):
    id = out(fields.String(allow_none=True, metadata={
        "description": "null for an account never invited (listed by "
                       "status=invitation_not_sent, e.g. a synced account)"}))
    account_id = out(fields.String())
    email = out(fields.String(allow_none=True))
    state = out(fields.String(allow_none=True, validate=validate.OneOf(INVITATION_STATES)))
    invitation_status = out(fields.String(validate=validate.OneOf(INVITATION_STATUSES)))
    send_email = out(fields.Boolean())
    email_status = out(fields.String(allow_none=True, validate=validate.OneOf(OUTBOX_STATES),
                                     metadata={"description": "state of its outbox email"}))
    products = out(fields.List(fields.Nested(InvitationProductSchema)))
    groups = out(fields.List(fields.String()))
    site_role = out(fields.String(allow_none=True, validate=validate.OneOf(SITE_ROLES)))
    message = out(fields.String(allow_none=True))
    created_at = out(fields.DateTime(allow_none=True))
    expires_at = out(fields.DateTime(allow_none=True))
    email_sent_at = out(fields.DateTime(allow_none=True, metadata={
        "description": "when the email was really delivered (null while queued)"}))
    accepted_at = out(fields.DateTime(allow_none=True))
    revoked_at = out(fields.DateTime(allow_none=True))


class OutboxMessageSchema(Schema):
    id = out(fields.String())
    message_id = out(fields.String())
    to = out(fields.String())
    template = out(fields.String())
    subject = out(fields.String())
    status = out(fields.String(validate=validate.OneOf(OUTBOX_STATES)))
    attempts = out(fields.Integer())
    last_error = out(fields.String(allow_none=True))
    next_attempt_at = out(fields.DateTime())
    created_at = out(fields.DateTime())
    sent_at = out(fields.DateTime(allow_none=True))
