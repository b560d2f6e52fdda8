"""`activity` (products report use), `inactive-users` and reclaiming their seats."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from .. import db
from ..models import Account, Product
from ..services import activity as activity_service
from ..services import inactive_users as service
from . import auth, context
from .blueprint import ORG, endpoint
from .pagination import Page, SortKey, paginate
from .serializers import EMAIL_ADDRESS, PageQuerySchema, out

KEYS = (SortKey(Account.created_at), SortKey(Account.id))
DAYS = validate.Range(min=1, max=3650)


class ActivityReportSchema(Schema):
    account_id = fields.String(validate=validate.Length(min=1, max=64))
    email = fields.Email(validate=EMAIL_ADDRESS)
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    at = fields.AwareDateTime(default_timezone=None)

    @validates_schema
    def _one_account(self, data: dict[str, Any], **_kw: Any) -> None:
        if ("account_id" in data) == ("email" in data):
            raise ValidationError("give exactly one of account_id and email", "account_id")


class ActivitySchema(Schema):
    account_id = out(fields.String())
    product_id = out(fields.String())
    last_active_at = out(fields.DateTime())
    account_last_active_at = out(fields.DateTime())


class InactiveQuerySchema(PageQuerySchema):
    days = fields.Integer(required=True, validate=DAYS)


class SweepSchema(Schema):
    days = fields.Integer(required=True, strict=True, validate=DAYS)
    dry_run = fields.Boolean(truthy={True}, falsy={False}, load_default=False)
    notify = fields.Boolean(truthy={True}, falsy={False}, load_default=False)
    message = fields.String(validate=validate.Length(min=1, max=2000))


class SeatSchema(Schema):
    product_id = out(fields.String())
    product_name = out(fields.String())


class InactiveUserSchema(Schema):
    id = out(fields.String())
    email = out(fields.String(allow_none=True))
    display_name = out(fields.String(allow_none=True))
    source = out(fields.String())
    last_active = out(fields.DateTime(allow_none=True))
    created_at = out(fields.DateTime())
    seats = out(fields.List(fields.Nested(SeatSchema)))


class ReclaimedSchema(Schema):
    product_id = out(fields.String())
    product_name = out(fields.String())
    seats = out(fields.Integer())


class SweepResultSchema(Schema):
    dry_run = out(fields.Boolean())
    days = out(fields.Integer())
    cutoff = out(fields.DateTime())
    accounts = out(fields.List(fields.Nested(InactiveUserSchema)))
    seats_reclaimed = out(fields.List(fields.Nested(ReclaimedSchema)))
    seats_reclaimed_total = out(fields.Integer())
    notified = out(fields.Integer())


def _product_names() -> dict[str, str]:
    return dict(db.session().execute(select(Product.id, Product.name)
                                     .where(Product.org_id == auth.org_id())).all())


def _documents(accounts: list[Account], seats: dict[str, list[str]]) -> list[dict[str, Any]]:
    names = _product_names()
    return [{"id": a.id, "email": a.email, "display_name": a.display_name, "source": a.source,
             "last_active": a.last_active_at, "created_at": a.created_at,
             "seats": [{"product_id": p, "product_name": names.get(p, p)}
                       for p in seats.get(a.id, [])]} for a in accounts]


@endpoint(ORG + "/activity", "POST", permission="activity:report", tag="activity",
          body=ActivityReportSchema, response=ActivitySchema,
          summary="Report that an account used a product (now, or at `at`)")
def report_activity(body: dict[str, Any]) -> dict[str, Any]:
    row, account = activity_service.record_activity(
        db.session(), auth.org_id(), body["product_id"], auth.actor(),
        account_id=body.get("account_id"), email=body.get("email"), at=body.get("at"))
    return {"account_id": account.id, "product_id": row.product_id,
            "last_active_at": row.last_active_at,
            "account_last_active_at": account.last_active_at}


@endpoint(ORG + "/inactive-users", "GET", permission="org:read", tag="activity",
          query=InactiveQuerySchema, response=InactiveUserSchema, paged=True,
          summary="Billable users (active, holding a seat) inactive for `days` days")
def list_inactive_users(query: dict[str, Any]) -> Page:
    session = db.session()
    stmt = service.inactive_accounts_query(auth.org_id(), query["days"])
    page = paginate(session, stmt, KEYS, limit=query.get("limit"), cursor=query.get("cursor"))
    seats = service.seats_held(session, [a.id for a in page.items])
    return Page(_documents(page.items, seats), page.next_cursor, page.total)


@endpoint(ORG + "/inactive-users/deactivate", "POST", permission="users:write", tag="activity",
          body=SweepSchema, response=SweepResultSchema,
          summary="Deactivate inactive billable users in one audited operation (`dry_run` "
                  "shows who and which seats come back; `notify` emails each how to return)")
def deactivate_inactive_users(body: dict[str, Any]) -> dict[str, Any]:
    result = service.sweep(db.session(), auth.org_id(), body["days"], auth.actor(),
                           dry_run=body["dry_run"], notify=body["notify"],
                           message=body.get("message"), public_url=context.public_url())
    names = _product_names()
    return {"dry_run": result.dry_run, "days": result.days, "cutoff": result.cutoff,
            "accounts": _documents(result.accounts, result.seats),
            "seats_reclaimed": [{"product_id": p, "product_name": names.get(p, p), "seats": n}
                                for p, n in sorted(result.seats_reclaimed.items())],
            "seats_reclaimed_total": sum(result.seats_reclaimed.values()),
            "notified": result.notified}
