"""`access-requests`: file, review across every site, approve, deny, reopen; `user-interests`."""
from __future__ import annotations

from typing import Any, cast

from flask import g
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .. import db
from ..models import AccessRequest, AdminKey
from ..models.product import PRODUCT_ROLES
from ..services import access_requests as service
from ..services.request_review import request_documents
from ..services.user_interests import WINDOWS, interests
from . import auth, context
from .blueprint import ORG, endpoint
from .pagination import Page, SortKey, paginate
from .serializers import EMAIL_ADDRESS, EmptySchema, PageQuerySchema, out

KEYS = (SortKey(AccessRequest.created_at, descending=True),
        SortKey(AccessRequest.id, descending=True))
REQUEST = ORG + "/access-requests/<request_id>"
STATUSES = (*service.REQUEST_STATUSES, "all")


class AccessRequestCreateSchema(Schema):
    account_id = fields.String(validate=validate.Length(min=1, max=64))
    email = fields.Email(validate=EMAIL_ADDRESS)
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _one_account(self, data: dict[str, Any], **_kw: Any) -> None:
        if ("account_id" in data) == ("email" in data):
            raise ValidationError("give exactly one of account_id and email", "account_id")


class ApproveSchema(Schema):
    role = fields.String(validate=validate.OneOf(PRODUCT_ROLES))


class DenySchema(Schema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AccessRequestsQuerySchema(PageQuerySchema):
    status = fields.String(load_default="pending", validate=validate.OneOf(STATUSES))
    product_id = fields.String(validate=validate.Length(min=1, max=64))


class RequesterSchema(Schema):
    id = out(fields.String())
    email = out(fields.String(allow_none=True))
    display_name = out(fields.String(allow_none=True))
    status = out(fields.String())
    source = out(fields.String())
    last_active = out(fields.DateTime(allow_none=True))
    groups = out(fields.List(fields.Dict()))
    product_access = out(fields.List(fields.Dict()))


class RequestedProductSchema(Schema):
    id = out(fields.String())
    key = out(fields.String())
    name = out(fields.String())
    site_id = out(fields.String())
    site_name = out(fields.String(allow_none=True))
    seat_limit = out(fields.Integer(allow_none=True))
    seats_left = out(fields.Integer(allow_none=True))


class AccessRequestSchema(Schema):
    id = out(fields.String())
    account_id = out(fields.String())
    product_id = out(fields.String())
    status = out(fields.String())
    reason = out(fields.String(allow_none=True))
    decision_message = out(fields.String(allow_none=True))
    role = out(fields.String(allow_none=True))
    source = out(fields.String())
    filed_by = out(fields.String(allow_none=True))
    created_at = out(fields.DateTime())
    decided_at = out(fields.DateTime(allow_none=True))
    decided_by = out(fields.String(allow_none=True))
    reopened_at = out(fields.DateTime(allow_none=True))
    account = out(fields.Nested(RequesterSchema))
    product = out(fields.Nested(RequestedProductSchema))


class InterestsQuerySchema(Schema):
    window = fields.String(load_default="30d", validate=validate.OneOf(tuple(WINDOWS)))


class InterestSchema(Schema):
    product_id = out(fields.String())
    product_key = out(fields.String())
    product_name = out(fields.String())
    site_id = out(fields.String())
    requests = out(fields.Integer())
    requesters = out(fields.Integer())
    approved = out(fields.Integer())
    denied = out(fields.Integer())
    pending = out(fields.Integer())
    median_decision_seconds = out(fields.Float(allow_none=True))
    previous_requests = out(fields.Integer())
    change = out(fields.Integer())
    change_percent = out(fields.Float(allow_none=True))


def _document(request: AccessRequest) -> dict[str, Any]:
    return request_documents(db.session(), [request])[0]


def _source() -> str:
    """`admin` when the key may also decide requests, else `product` (a product service)."""
    scopes = list(cast(AdminKey, g.admin_key).scopes or [])
    return "admin" if "requests:write" in auth.permissions_of(scopes) else "product"


@endpoint(ORG + "/access-requests", "POST", permission="requests:file", tag="access-requests",
          body=AccessRequestCreateSchema, response=AccessRequestSchema, statuses=(201, 200),
          summary="File an access request (a pending one for the same product is returned)")
def file_access_request(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    request, created = service.file_request(
        db.session(), auth.org_id(), body["product_id"], auth.actor(),
        account_id=body.get("account_id"), email=body.get("email"), reason=body.get("reason"),
        source=_source(),
        public_url=context.public_url())
    return _document(request), 201 if created else 200


@endpoint(ORG + "/access-requests", "GET", permission="org:read", tag="access-requests",
          query=AccessRequestsQuerySchema, response=AccessRequestSchema, paged=True,
          summary="List access requests of every site, newest first (default: pending)")
def list_access_requests(query: dict[str, Any]) -> Page:
    session = db.session()
    status = None if query["status"] == "all" else query["status"]
    stmt = service.requests_query(auth.org_id(), status, query.get("product_id"))
    page = paginate(session, stmt, KEYS, limit=query.get("limit"), cursor=query.get("cursor"))
    return Page(request_documents(session, page.items), page.next_cursor, page.total)


@endpoint(REQUEST, "GET", permission="org:read", tag="access-requests",
          response=AccessRequestSchema, summary="Read an access request with review details")
def get_access_request(request_id: str) -> dict[str, Any]:
    return _document(service.get_request(db.session(), auth.org_id(), request_id))


@endpoint(REQUEST + "/approve", "POST", permission="requests:write", tag="access-requests",
          body=ApproveSchema, response=AccessRequestSchema,
          summary="Approve: grant the product (seat limits enforced), reactivating if needed")
def approve_access_request(request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return _document(service.approve(db.session(), auth.org_id(), request_id, auth.actor(),
                                     body.get("role")))


@endpoint(REQUEST + "/deny", "POST", permission="requests:write", tag="access-requests",
          body=DenySchema, response=AccessRequestSchema,
          summary="Deny with a message; the person cannot ask again until reopened")
def deny_access_request(request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return _document(service.deny(db.session(), auth.org_id(), request_id, auth.actor(),
                                  body["message"]))


@endpoint(REQUEST + "/reopen", "POST", permission="requests:write", tag="access-requests",
          body=EmptySchema, response=AccessRequestSchema,
          summary="Lift a denial so the person may ask again")
def reopen_access_request(request_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return _document(service.reopen(db.session(), auth.org_id(), request_id, auth.actor()))


@endpoint(ORG + "/user-interests", "GET", permission="org:read", tag="access-requests",
          query=InterestsQuerySchema, response=InterestSchema, paged=True,
          summary="Which products people ask for: per product requests, requesters, "
                  "decisions, median time to decision, change against the previous window")
def list_user_interests(query: dict[str, Any]) -> Page:
    found = interests(db.session(), auth.org_id(), query["window"])
    return Page([{
        "product_id": i.product.id, "product_key": i.product.key,
        "product_name": i.product.name, "site_id": i.product.site_id,
        "requests": i.requests, "requesters": i.requesters, "approved": i.approved,
        "denied": i.denied, "pending": i.pending,
        "median_decision_seconds": i.median_decision_seconds,
        "previous_requests": i.previous_requests, "change": i.change,
        "change_percent": i.change_percent} for i in found], None, len(found))
