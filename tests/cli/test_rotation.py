"""`scim-server token rotate --token-id ID [--overlap-hours N] --json`."""
from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from scim_server.cli import main
from scim_server.models import ScimToken, utcnow
from scim_server.services import secrets, tenancy


def _token_id(db_session, secret):
    """The token's id; the read ends its transaction so the command can write."""
    token_id = db_session.scalars(select(ScimToken.id).where(
        ScimToken.token_hash == secrets.digest(secret))).one()
    db_session.rollback()
    return token_id


def _run(monkeypatch, database_url, *args):
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    return CliRunner().invoke(main, ["token", "rotate", *args])


def test_rotate_prints_the_new_token_once_and_keeps_the_old_one_for_the_overlap(
        monkeypatch, database_url, tenant, db_session):
    old_id = _token_id(db_session, tenant.scim_token)
    result = _run(monkeypatch, database_url, "--token-id", old_id, "--overlap-hours", "2",
                  "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["previous_token_id"] == old_id and payload["token_id"] != old_id
    assert payload["directory_id"] == tenant.directory_id
    assert payload["scim_token"].startswith(secrets.SCIM_TOKEN_PREFIX)
    db_session.expire_all()
    now = utcnow()
    assert tenancy.find_usable_token(db_session, tenant.scim_token, now) is not None
    assert tenancy.find_usable_token(db_session, payload["scim_token"], now) is not None
    gone = now + timedelta(hours=2, minutes=1)
    assert tenancy.find_usable_token(db_session, tenant.scim_token, gone) is None
    assert tenancy.find_usable_token(db_session, payload["scim_token"], gone) is not None


def test_the_default_overlap_comes_from_the_settings(monkeypatch, database_url, tenant,
                                                     db_session):
    old_id = _token_id(db_session, tenant.scim_token)
    monkeypatch.setenv("SCIM_TOKEN_ROTATION_OVERLAP_HOURS", "48")
    result = _run(monkeypatch, database_url, "--token-id", old_id, "--json")
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    remaining = db_session.get(ScimToken, old_id).expires_at - utcnow()
    assert timedelta(hours=47) < remaining <= timedelta(hours=48)


def test_rotating_an_unknown_token_fails_cleanly(monkeypatch, database_url, app):
    result = _run(monkeypatch, database_url, "--token-id", "no-such-token", "--json")
    assert result.exit_code != 0
    assert "no SCIM token no-such-token" in result.output
