"""Queue emails in the outbox, in the caller's transaction, rendered from named templates.

A message's `message_id` is derived from its `cause` (an event name the caller chooses,
such as `invitation:<invitation id>`), so the same cause never queues a second email and a
delivery retried after a crash carries the same Message-ID header. Templates live in
`scim_server/templates/email/<template>.txt` and `.html`; the text template sets the
subject with `{% set subject = ... %}`. `TEMPLATES` lists the context each one needs.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import OutboxMessage, utcnow

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"
SITE_CSS = Path(__file__).resolve().parent.parent / "static" / "site.css"

# template -> (required context keys, optional keys that default to None)
TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "invitation": (("org_name", "accept_url", "expires_at"),
                   ("message", "inviter", "products", "site_role")),
    "access_granted": (("org_name", "product_name"), ("role", "product_url", "message")),
    "access_denied": (("org_name", "product_name"), ("message",)),
    "deactivation_notice": (("org_name",), ("message", "request_access_url")),
    "access_request_filed": (("org_name", "requester_email", "product_name"),
                             ("reason", "review_url", "requester_name")),
    "access_request_approved": (("org_name", "product_name"), ("role", "product_url", "message")),
    "access_request_denied": (("org_name", "product_name"), ("message",)),
    "token_expiry_warning": (("org_name", "credential_label", "expires_at"), ("remedy",)),
    "console_sign_in": (("org_name", "sign_in_url", "expires_minutes"), ()),
}

_environment = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
# Emails wear the pages' design (docs/console.md "One design"): the stylesheet goes
# inline in the HTML part, as mail clients load nothing from elsewhere.
_environment.globals["site_css"] = SITE_CSS.read_text(encoding="utf-8")


def message_id_for(cause: str) -> str:
    """The RFC 5322 §3.6.4 Message-ID of the email caused by `cause`, stable across retries."""
    return f"<{hashlib.sha256(cause.encode('utf-8')).hexdigest()[:32]}@scim-server>"


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Render `template` to (subject, plain text, HTML); unknown names or gaps raise ValueError."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    required, optional = TEMPLATES[template]
    missing = [key for key in required if key not in context]
    if missing:
        raise ValueError(f"email template {template!r} needs {', '.join(missing)}")
    values = {key: None for key in optional} | context
    try:
        text_module = _environment.get_template(f"{template}.txt").make_module(values)
        body_html = _environment.get_template(f"{template}.html").render(values)
    except TemplateError as exc:
        raise ValueError(f"email template {template!r} failed: {exc}") from exc
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    if not subject:
        raise ValueError(f"email template {template!r} sets no subject")
    return subject, str(text_module).strip() + "\n", body_html


def _find(session: Session, message_id: str) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.message_id == message_id)).first()


def enqueue(session: Session, *, org_id: str | None, to: str, template: str,
            context: dict[str, Any], cause: str) -> OutboxMessage:
    """Queue one email for `to`; a cause already queued returns its existing message."""
    message_id = message_id_for(cause)
    existing = _find(session, message_id)
    if existing is not None:
        return existing
    subject, body_text, body_html = render(template, context)
    message = OutboxMessage(
        org_id=org_id, message_id=message_id, to=to, template=template, subject=subject,
        body_text=body_text, body_html=body_html,
        context=json.loads(json.dumps(context, default=str)),
        status="queued", attempts=0, next_attempt_at=utcnow(),
    )
    try:
        with session.begin_nested():  # a concurrent transaction may queue the same cause
            session.add(message)
    except IntegrityError:
        existing = _find(session, message_id)
        if existing is None:
            raise
        return existing
    return message
