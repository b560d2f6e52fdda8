"""Rotating a SCIM token: the successor works at once, the old one until the overlap ends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from scim_server.models import AuditEvent, Directory, ScimToken, utcnow
from scim_server.services import secrets, tenancy, token_rotation
from scim_server.services.actors import Actor
from scim_server.services.errors import InvalidInput, NotFound


@pytest.fixture
def directory(db_session, tenant) -> Directory:
    return db_session.get(Directory, tenant.directory_id)


def _token_of(db_session, secret: str) -> ScimToken:
    return db_session.scalars(select(ScimToken).where(
        ScimToken.token_hash == secrets.digest(secret))).one()


def test_old_and_new_overlap_then_only_the_new_one_works(db_session, tenant):
    old = _token_of(db_session, tenant.scim_token)
    now = utcnow()
    rotated = token_rotation.rotate_scim_token(db_session, old.id, Actor.cli(),
                                               overlap=timedelta(hours=6), now=now)
    db_session.commit()
    assert rotated.old.id == old.id and rotated.new.id != old.id
    assert rotated.secret.startswith("scimsrv_dt_") and rotated.secret != tenant.scim_token
    assert rotated.new.directory_id == tenant.directory_id
    assert old.expires_at == now + timedelta(hours=6) and rotated.new.expires_at is None
    during = now + timedelta(hours=5)
    assert tenancy.find_usable_token(db_session, tenant.scim_token, during) is not None
    assert tenancy.find_usable_token(db_session, rotated.secret, during) is not None
    after = now + timedelta(hours=6, seconds=1)
    assert tenancy.find_usable_token(db_session, tenant.scim_token, after) is None
    assert tenancy.find_usable_token(db_session, rotated.secret, after) is not None
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "scim_token.rotated")).one()
    assert event.target_id == old.id and event.changes["successor_id"] == rotated.new.id


def test_both_tokens_answer_over_scim_during_the_overlap(db_session, tenant, client):
    old = _token_of(db_session, tenant.scim_token)
    rotated = token_rotation.rotate_scim_token(db_session, old.id, Actor.cli(),
                                               overlap=timedelta(hours=1))
    db_session.commit()
    for secret in (tenant.scim_token, rotated.secret):
        answer = client.get(f"{tenant.scim_base}/Users",
                            headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 200


def test_zero_overlap_retires_the_old_token_now(db_session, tenant):
    old = _token_of(db_session, tenant.scim_token)
    token_rotation.rotate_scim_token(db_session, old.id, Actor.cli(), overlap=timedelta(0))
    db_session.commit()
    assert tenancy.find_usable_token(db_session, tenant.scim_token) is None


def test_an_overlap_never_extends_the_old_tokens_life(db_session, directory):
    issued = tenancy.issue_scim_token(db_session, directory, Actor.cli(),
                                      expires_in=timedelta(hours=2))
    ends = issued.token.expires_at
    rotated = token_rotation.rotate_scim_token(db_session, issued.token.id, Actor.cli(),
                                               overlap=timedelta(hours=24))
    assert rotated.old.expires_at == ends


def test_the_successor_keeps_the_lifetime_policy(db_session, directory):
    issued = tenancy.issue_scim_token(db_session, directory, Actor.cli(), name="entra",
                                      expires_in=timedelta(days=90))
    now = issued.token.created_at + timedelta(days=80)
    rotated = token_rotation.rotate_scim_token(db_session, issued.token.id, Actor.cli(),
                                               overlap=timedelta(hours=24), now=now)
    assert rotated.new.name == "entra"
    assert abs(rotated.new.expires_at - (now + timedelta(days=90))) < timedelta(seconds=1)


def test_dead_unknown_or_silly_requests_are_refused(db_session, directory, tenant):
    revoked = tenancy.issue_scim_token(db_session, directory, Actor.cli())
    tenancy.revoke_scim_token(db_session, revoked.token.id, Actor.cli())
    expired = tenancy.issue_scim_token(db_session, directory, Actor.cli(),
                                       expires_in=timedelta(seconds=1))
    later = utcnow() + timedelta(minutes=1)
    for token_id in (revoked.token.id, expired.token.id):
        with pytest.raises(InvalidInput):
            token_rotation.rotate_scim_token(db_session, token_id, Actor.cli(),
                                             overlap=timedelta(hours=1), now=later)
    with pytest.raises(NotFound):
        token_rotation.rotate_scim_token(db_session, "no-such-token", Actor.cli(),
                                         overlap=timedelta(hours=1))
    live = _token_of(db_session, tenant.scim_token)
    for overlap in (timedelta(hours=-1), timedelta(days=91)):
        with pytest.raises(InvalidInput):
            token_rotation.rotate_scim_token(db_session, live.id, Actor.cli(), overlap=overlap)
