"""Queue emails in the outbox, in the caller's transaction, rendered from named templates.

A message's `message_id` is derived from its `cause` (an event name the caller chooses,
such as `invitation:<invitation id>`), so the same cause never queues a second email and a
delivery retried after a crash carries the same Message-ID header. Templates live in
`scim_server/templates/email/<template>.txt` and `.html`; the text template sets the
subject with `{% set subject = ... %}`. `TEMPLATES` lists the context each one needs.

A bearer secret an email carries (an invitation token, a sign-in or action link) is
passed as `secrets=[...]`: every copy of it in the stored subject, bodies and context is
replaced by a placeholder, the secret itself waits in `sealed_secrets`, and the worker
puts it back only in the email it sends. Once the message is sent, or goes dead, the
sealed secrets are erased, so the database keeps no usable copy of any emailed link.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable, Sequence

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import OutboxMessage, utcnow
from .column_lengths import shortened

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
    "request_access_confirm": (("org_name", "product_name", "confirm_url", "hours"), ()),
    "token_expiry_warning": (("org_name", "credential_label", "expires_at"),
                             ("remedy", "effect", "in_days", "hint")),
    "signup_notice": (("org_name", "product_name", "detail"), ()),
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


SECRET_PLACEHOLDER = "[[scim-server:secret:{}]]"
#: What an erased secret reads as, should a message ever be shown or sent again.
ERASED_SECRET = "(link removed after delivery)"


def seal(secrets: Sequence[str], *texts: str) -> list[str]:
    """`texts` with each secret replaced by its numbered placeholder."""
    ordered = sorted(enumerate(secrets), key=lambda item: -len(item[1]))  # longest first
    sealed = []
    for text in texts:
        for index, secret in ordered:
            text = text.replace(secret, SECRET_PLACEHOLDER.format(index))
        sealed.append(text)
    return sealed


def unseal(text: str | None, secrets: Sequence[str] | None, count: int = 8) -> str | None:
    """`text` with its placeholders filled in again (or marked erased when `secrets` is None)."""
    if text is None:
        return None
    values = list(secrets or [])
    for index in range(max(len(values), count)):
        text = text.replace(SECRET_PLACEHOLDER.format(index),
                            values[index] if index < len(values) else ERASED_SECRET)
    return text


def _find(session: Session, message_id: str) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.message_id == message_id)).first()


def enqueue(session: Session, *, org_id: str | None, to: str, template: str,
            context: dict[str, Any], cause: str,
            secrets: Sequence[str] = ()) -> OutboxMessage:
    """Queue one email for `to`; a cause already queued returns its existing message.

    `secrets` are bearer secrets the context carries (in links): they are stored apart
    and erased after delivery (see the module docstring).
    """
    message_id = message_id_for(cause)
    existing = _find(session, message_id)
    if existing is not None:
        return existing
    subject, body_text, body_html = render(template, context)
    stored_context = json.dumps(context, default=str)
    kept = [secret for secret in dict.fromkeys(secrets) if secret]
    if kept:
        subject, body_text, body_html, stored_context = seal(
            kept, subject, body_text, body_html, stored_context)
    # Names a subject quotes each fit their own columns but may not fit this one together.
    subject = shortened(subject, OutboxMessage.subject)
    message = OutboxMessage(
        org_id=org_id, message_id=message_id, to=to, template=template, subject=subject,
        body_text=body_text, body_html=body_html, context=json.loads(stored_context),
        sealed_secrets=kept or None, status="queued", attempts=0, next_attempt_at=utcnow(),
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


CANCELLABLE = ("queued", "failed")  # not claimed by a worker: nobody is sending them now


def cancel_unsent(session: Session, causes: Iterable[str], reason: str) -> int:
    """Make the not-yet-sent emails of these causes `dead` with `reason`, in one statement.

    A message a worker has claimed (`sending`) or delivered (`sent`) is left alone: the
    compare on `status` makes the cancel and a worker's claim exclude each other.
    """
    message_ids = [message_id_for(cause) for cause in causes]
    if not message_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.message_id.in_(message_ids),
               OutboxMessage.status.in_(CANCELLABLE))
        .values(status="dead", last_error=reason, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
