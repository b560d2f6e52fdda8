"""Marshmallow schemas of provisioning health (see `serializers` for the house rules)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..services.provisioning_health import FAILING, HEALTHY
from .serializers import PageQuerySchema, ToleranceSchema, out

OUTCOME = {"description": "`success`, or the HTTP status we answered (`400`, `409`, ...)"}


class _Window(Schema):
    since = fields.AwareDateTime(metadata={"description": "from (default: 24 hours before until)"})
    until = fields.AwareDateTime(metadata={"description": "to (default: now)"})

    @validates_schema
    def _ordered(self, data: dict, **_kwargs: object) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("since must not be after until", "since")


class HealthQuerySchema(_Window):
    pass


class FailuresQuerySchema(PageQuerySchema, _Window):
    status = fields.Integer(validate=validate.Range(min=400, max=599))
    scim_type = fields.String(data_key="scimType", validate=validate.Length(min=1, max=40),
                              metadata={"description": "RFC 7644 §3.12 scimType, e.g. "
                                                       "`uniqueness`"})


class RequestsQuerySchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=400),
                         metadata={"description": "a userName or an email address"})
    limit = fields.Integer(validate=validate.Range(min=1, max=500))


class LastPushSchema(Schema):
    at = out(fields.DateTime(attribute="last_push_at"))
    resource = out(fields.String())
    operation = out(fields.String())


class HourCountSchema(Schema):
    hour = out(fields.DateTime())
    resource = out(fields.String())
    operation = out(fields.String())
    outcome = out(fields.String(metadata=OUTCOME))
    count = out(fields.Integer())


class FailureSchema(Schema):
    id = out(fields.Integer())
    occurred_at = out(fields.DateTime())
    request_id = out(fields.String(allow_none=True))
    method = out(fields.String())
    path = out(fields.String(metadata={"description": "the path below the directory, ids "
                                                      "as `{id}`"}))
    resource = out(fields.String())
    operation = out(fields.String())
    status = out(fields.Integer())
    scim_type = out(fields.String(allow_none=True, data_key="scimType"))
    detail = out(fields.String(allow_none=True))
    resource_id = out(fields.String(allow_none=True, attribute="subject_id"))
    subject = out(fields.String(allow_none=True, metadata={
        "description": "the userName or group displayName involved, when known"}))


class HealthTotalsSchema(Schema):
    requests = out(fields.Integer())
    failures = out(fields.Integer())
    error_rate = out(fields.Float(metadata={"description": "failures / requests"}))
    by_outcome = out(fields.Dict(keys=fields.String(), values=fields.Integer()))


class HealthSchema(Schema):
    directory_id = out(fields.String())
    state = out(fields.String(validate=validate.OneOf((HEALTHY, FAILING))))
    failing_since = out(fields.DateTime(allow_none=True))
    last_push = out(fields.Nested(LastPushSchema, allow_none=True))
    last_failure = out(fields.Nested(FailureSchema, allow_none=True))
    since = out(fields.DateTime())
    until = out(fields.DateTime())
    totals = out(fields.Nested(HealthTotalsSchema, attribute="summary"))
    counts = out(fields.List(fields.Nested(HourCountSchema)))
    tolerances = out(fields.List(fields.Nested(ToleranceSchema)))


class PersonRequestSchema(Schema):
    kind = out(fields.String(validate=validate.OneOf(("failure", "change"))))
    occurred_at = out(fields.DateTime())
    request_id = out(fields.String(allow_none=True))
    method = out(fields.String(allow_none=True))
    path = out(fields.String(allow_none=True))
    operation = out(fields.String(allow_none=True))
    status = out(fields.Integer(allow_none=True))
    scim_type = out(fields.String(allow_none=True, data_key="scimType"))
    detail = out(fields.String(allow_none=True))
    action = out(fields.String(allow_none=True, metadata={
        "description": "the audit action of a change, e.g. `scim.user.updated`"}))


class PersonRequestsSchema(Schema):
    query = out(fields.String())
    account_id = out(fields.String(allow_none=True))
    user_name = out(fields.String(allow_none=True))
    email = out(fields.String(allow_none=True))
    data = out(fields.List(fields.Nested(PersonRequestSchema), attribute="entries"))
