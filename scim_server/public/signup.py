"""`POST /signup` `{"email", "product_id"}`: self-signup on an approved email domain.

Public: no credential, so the answer is the same 202 whatever the address's state (new,
unconfirmed, confirmed, already holding the product, denied, or the product full): what
happened goes by email to the address and to the admins' review list. Only a product
that does not exist, a domain that is not approved and a malformed body are refused, as
RFC 9457 problem documents like the admin API's: none of them depends on the address.
"""
from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, current_app, json, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import db
from ..admin.errors import Problem, from_domain, problem_response
from ..admin.serializers import EMAIL_ADDRESS
from ..admin.text_gate import refuse_unstorable
from ..config import Config
from ..services import signup as service
from ..services.errors import DomainError
from ..services.invitation_tokens import InvitationSettings

bp = Blueprint("public_signup", __name__)
ANSWER = ("Check your email: if this address can sign up for this product, we sent it a "
          "message that says what happens next.")


class SignupSchema(Schema):
    email = fields.Email(required=True, validate=EMAIL_ADDRESS)
    product_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


def _body() -> dict[str, Any]:
    if (request.mimetype or "").lower() != "application/json":
        raise Problem(415, "send the body as application/json", slug="unsupported-media-type")
    try:
        raw = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}", slug="malformed-body") from exc
    if not isinstance(raw, dict):
        raise Problem(400, "the body must be a JSON object", slug="malformed-body")
    refuse_unstorable(raw, "body", "malformed-body")
    return cast(dict[str, Any], SignupSchema().load(raw))


@bp.post("/signup")
def sign_up() -> Response:
    """Sign an address up for a product; the one answer says to check the email."""
    body = _body()
    config = cast(Config, current_app.config["SCIM"])
    session = db.session()
    service.sign_up(session, body["email"], body["product_id"],
                    InvitationSettings(public_url=str(config.public_url)))
    session.commit()
    payload = {"status": "accepted", "email": body["email"], "product_id": body["product_id"],
               "detail": ANSWER}
    return current_app.response_class(json.dumps(payload), status=202,
                                      mimetype="application/json")


@bp.errorhandler(Problem)
def _problem(error: Problem) -> Response:
    return problem_response(error)


@bp.errorhandler(DomainError)
def _domain(error: DomainError) -> Response:
    problem = from_domain(error)
    problem.extensions = {}  # a refusal's facts (account ids) are for admins, not the public
    return problem_response(problem)


@bp.errorhandler(ValidationError)
def _invalid(error: ValidationError) -> Response:
    return problem_response(Problem(422, "the request has invalid fields; see errors",
                                    slug="validation-failed", errors=error.messages))


@bp.errorhandler(IntegrityError)
def _conflict(_error: IntegrityError) -> Response:
    return problem_response(Problem(409, "a concurrent sign-up changed this; retry",
                                    slug="conflict"))


@bp.errorhandler(OperationalError)
def _unavailable(_error: OperationalError) -> Response:
    return problem_response(Problem(503, "the database is busy; retry",
                                    headers={"Retry-After": "1"}))
