"""Secrets never reach logs, error bodies or metrics: unit checks, then failing requests."""
from __future__ import annotations

import json
import logging
import sys
import time

import pytest
from sqlalchemy.exc import IntegrityError

from scim_server.ops.redaction import MASK, RedactingFilter, redact, redact_value, register_secret
from scim_server.ops.request_log import JsonFormatter
from scim_server.services import directory_users, secrets, tenancy
from scim_server.services.actors import Actor

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PASSWORD = "Corr3ct-Horse-Battery-Staple!"


@pytest.mark.parametrize("prefix", secrets.PREFIXES)
def test_every_secret_prefix_is_masked_and_the_hint_is_kept(prefix):
    secret = secrets.generate(prefix)
    text = f"token {secret} failed; hint {secrets.hint(secret)}"
    cleaned = redact(text)
    assert secret not in cleaned
    assert cleaned == f"token {prefix}{MASK} failed; hint {secrets.hint(secret)}"


@pytest.mark.parametrize("text, secret", [
    ("Authorization: Bearer abc.DEF-123", "abc.DEF-123"),
    ("basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ('{"userName": "bjensen", "password": "t0p \\" secret"}', 't0p \\" secret'),
    ('{"detail": "{\\"password\\": \\"inner-secret\\"}"}', "inner-secret"),
    ("/invitations/accept?token=opaque-value&next=1", "opaque-value"),
    ("password='pw-in-repr' and api_key=key-in-text, then", "pw-in-repr"),
    ("password='pw-in-repr' and api_key=key-in-text, then", "key-in-text"),
    ("smtp://mailer:smtp-pass@mail.example:587", "smtp-pass"),
    ("postgresql://pg:db-pass@db.internal/scim", "db-pass"),
    ("(psycopg.errors.UniqueViolation) duplicate\n[SQL: INSERT INTO t]\n"
     "[parameters: {'token_hash': 'digest-value', 'body_text': 'Hi'}]\n"
     "(Background on this error at: https://sqlalche.me/e/20/gkpj)", "digest-value"),
    ('{"body_text": "Your invitation link", "to": "a@example.com"}', "Your invitation link"),
])
def test_secret_shapes_are_masked(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert MASK in cleaned


@pytest.mark.parametrize("text", [
    '{"userName": "bjensen", "active": true, "tokens_count": 3}',
    '{"token": ["Missing data for required field."]}',
    "GET /scim/v2/directories/<directory_id>/Users 200",
    "hint scimsrv_dt_…abcd",
])
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


def test_masked_json_stays_json():
    body = json.dumps({"detail": "bad", "password": "x y z", "nested": {"apiKey": "k"}})
    assert json.loads(redact(body)) == {"detail": "bad", "password": MASK,
                                        "nested": {"apiKey": MASK}}


def test_sql_parameters_inside_json_text_keep_the_json_valid():
    error = ("(psycopg.errors.UniqueViolation) duplicate\n[SQL: INSERT INTO t]\n"
             "[parameters: ('pw-value', \"it's [x]\")]\n(Background on this error at: y)")
    line = json.dumps({"exception": error, "user_agent": "Agent [en]"})
    cleaned = json.loads(redact(line))
    assert "pw-value" not in cleaned["exception"] and "[SQL: INSERT INTO t]" in cleaned["exception"]
    assert cleaned["exception"].endswith("(Background on this error at: y)")
    assert cleaned["user_agent"] == "Agent [en]"


def test_hostile_input_is_redacted_in_linear_time():
    """Long runs that would make naive patterns backtrack quadratically (minutes, not ms)."""
    hostile = ["Bearer " + "a" * 200_000, "a" * 200_000, "a" * 100_000 + "://" + "b" * 100_000,
               ("x" * 100 + "password") * 2_000, 'password: "' + 'a\\"' * 20_000,
               "[parameters: " * 2_000 + "x" * 100_000, "token=" * 20_000]
    started = time.perf_counter()
    for text in hostile:
        redact(text)
    assert time.perf_counter() - started < 5


def test_redact_value_masks_secret_keys_and_scans_strings():
    token = secrets.generate(secrets.SCIM_TOKEN_PREFIX)
    value = {"password": "pw", "count": 3, "items": [{"note": f"uses {token}"}],
             "token": ["a list is searched, not masked"], "active": True}
    assert redact_value(value) == {
        "password": MASK, "count": 3,
        "items": [{"note": f"uses {secrets.SCIM_TOKEN_PREFIX}{MASK}"}],
        "token": ["a list is searched, not masked"], "active": True}


def test_registered_literals_are_masked():
    register_secret("metrics-literal-0123456789")
    assert redact("scraped with metrics-literal-0123456789") == f"scraped with {MASK}"
    register_secret("short")  # too short to be a secret: never masks ordinary words
    assert redact("a short word") == "a short word"


def test_filter_and_formatter_remove_secrets_from_messages_and_tracebacks():
    token = secrets.generate(secrets.ADMIN_KEY_PREFIX)
    try:
        raise IntegrityError("INSERT INTO admin_keys", {"key_hash": "digest-1234"},
                             RuntimeError(f"duplicate for {token}"))
    except IntegrityError:
        record = logging.LogRecord("scim_server.test", logging.ERROR, __file__, 1,
                                   "failed with %s and password=%s", (token, PASSWORD),
                                   sys.exc_info())
    assert RedactingFilter().filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    for secret in (token, PASSWORD, "digest-1234"):
        assert secret not in line
    assert entry["message"] == f"failed with {secrets.ADMIN_KEY_PREFIX}{MASK} and password={MASK}"
    assert "IntegrityError" in entry["exception"]


def test_failing_requests_leak_no_secret(client, tenant, scim, app, db_session, capsys, caplog,
                                         monkeypatch):
    caplog.set_level(logging.INFO)
    with app.app_context():
        directory = db_session.get(tenancy.Directory, tenant.directory_id)
        revoked = tenancy.issue_scim_token(db_session, directory, Actor.cli())
        tenancy.revoke_scim_token(db_session, revoked.token.id, Actor.cli())
        db_session.commit()
    invitation = secrets.generate(secrets.INVITATION_PREFIX)
    secrets_sent = [tenant.scim_token, tenant.admin_key, revoked.secret, PASSWORD, invitation]
    user = {"schemas": [USER_SCHEMA], "userName": "bjensen", "password": PASSWORD}
    responses = [
        client.get(f"{tenant.scim_base}/Users",
                   headers={"Authorization": f"Bearer {revoked.secret}"}),
        scim.post("/Users", json={"schemas": [USER_SCHEMA], "password": PASSWORD}),
        scim.post("/Users", json=user),
        scim.post("/Users", json=user),  # 409: the same userName again
        scim.get("/Users", query_string={"filter": f'password eq "{PASSWORD}"'}),
        scim.get("/Users", query_string={"filter": f'userName eq "{tenant.scim_token}" and'}),
        scim.post("/Users", data=f'{{"userName": "{tenant.scim_token}", "password": "{PASSWORD}"',
                  content_type="application/scim+json"),
        scim.post("/Users", data=f"password={PASSWORD}", content_type="text/plain"),
        client.get(f"{tenant.admin_base}/users/no-such-user", headers=tenant.admin_headers),
        client.get(f"{tenant.admin_base}/users", headers=tenant.scim_headers),
        client.post("/invitations/accept", json={"token": invitation}),
        client.get("/invitations/accept", query_string={"token": invitation}),
        scim.get("/Users", headers={"X-Request-Id": tenant.scim_token}),
    ]
    created = responses[2].get_json()
    responses.append(scim.patch(f"/Users/{created['id']}", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "bogus", "path": "password", "value": PASSWORD}]}))

    def explode(*_args, **_kwargs):
        raise RuntimeError(f"lost {tenant.scim_token} with password={PASSWORD}")

    monkeypatch.setattr(directory_users, "get_user", explode)
    responses.append(scim.get(f"/Users/{created['id']}"))
    responses.append(client.get("/metrics"))

    statuses = [r.status_code for r in responses]
    assert statuses[:4] == [401, 400, 201, 409]
    assert all(status >= 400 for status in statuses[4:12]), statuses
    assert responses[12].headers["X-Request-Id"] != tenant.scim_token
    assert statuses[-2] == 500 and statuses[-1] == 200
    captured = capsys.readouterr().err + caplog.text
    assert captured.count('"logger": "scim_server.requests"') >= len(responses)
    assert "RuntimeError" in captured and MASK in captured  # the traceback was logged, masked
    exposed = [captured] + [r.get_data(as_text=True) for r in responses] + [
        str(dict(r.headers)) for r in responses]
    for secret in secrets_sent:
        leaks = [text[:300] for text in exposed if secret in text]
        assert not leaks, f"a secret leaked: {leaks}"


# Issue 15: redaction pre-checks plain substrings before running its patterns. The
# pre-check may only skip work, never a secret: these lines hold one in each shape.
@pytest.mark.parametrize("line", [
    'password="hunter2x"', "API-KEY: abcdefgh12", "Authorization: Bearer abcdef1234XYZ",
    "url postgresql://u:s3cretpw@db/x", "EMAIL_BODY=secret words here",
    "paſſword=hunter2x",  # the long s folds to s in case-insensitive matching
])
def test_precheck_never_skips_a_secret(line):
    assert "[REDACTED]" in redact(line)
