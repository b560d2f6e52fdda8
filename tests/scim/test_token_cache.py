"""The per-process token cache: fewer lookups, bounded staleness after revocation."""
from __future__ import annotations

from sqlalchemy import event, select

from scim_server import db
from scim_server.models import Directory, ScimToken
from scim_server.scim.token_cache import TokenCache
from scim_server.services import tenancy
from scim_server.services.actors import Actor


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl():
    clock = FakeClock()
    cache = TokenCache(5, clock)
    cache.put("d", "t", Directory(id="x", org_id="o", name="n", idp="generic"), None, None)
    assert cache.get("d").token_id == "t"
    clock.now += 5
    assert cache.get("d") is None


def test_a_zero_ttl_caches_nothing():
    cache = TokenCache(0)
    cache.put("d", "t", Directory(id="x"), None, None)
    assert cache.get("d") is None


def test_cached_tokens_skip_the_lookup_and_revocation_applies_at_once(
        app, scim, db_session, monkeypatch):
    clock = FakeClock()
    monkeypatch.setitem(app.extensions, "scim_server.token_cache", TokenCache(5, clock))
    engine = app.extensions[db.EXTENSION_KEY][0]
    statements: list[str] = []

    def capture(conn, cursor, statement, *args):  # noqa: ANN001
        statements.append(statement)

    assert scim.get("/ServiceProviderConfig").status_code == 200
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert scim.get("/ServiceProviderConfig").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert not [s for s in statements if "scim_tokens" in s or "directories" in s]
    assert len([s for s in statements if "credential_stamps" in s]) == 1

    token = db_session.scalars(select(ScimToken)).one()
    tenancy.revoke_scim_token(db_session, token.id, Actor.cli())
    db_session.commit()
    assert scim.get("/Users").status_code == 401, "the revocation stamp moved: no grace"
