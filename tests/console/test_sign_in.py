"""Console sign-in: emailed one-time links, sessions, sign out, fixation and idle timeout."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from conftest import Tenant
from scim_server import db
from scim_server.models import AuditEvent, ConsoleSession, ConsoleSignInLink, OutboxMessage
from scim_server.services import secrets
from tests.console.conftest import Console, csrf_of

SESSION_COOKIE = "scim_session"


def cookie(console: Console) -> str | None:
    found = console.client.get_cookie(SESSION_COOKIE)
    return found.value if found else None


def test_login_page_has_the_fixed_words(console: Console) -> None:
    html = console.get("/console/login").get_data(as_text=True)
    assert '<label for="email">Email address</label>' in html
    assert 'value="Send sign-in link"' in html


def test_a_signed_out_browser_is_sent_to_sign_in(console: Console, tenant: Tenant) -> None:
    response = console.get(f"/console/orgs/{tenant.org_id}/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/login")


def test_the_link_is_emailed_and_stored_only_as_a_hash(app: Flask, console: Console,
                                                       tenant: Tenant, make_admin) -> None:
    make_admin(tenant)
    link = console.request_link("Admin@Acme.test")  # any case of the address
    token = link.split("token=", 1)[1]
    with app.app_context():
        session = db.new_session(app, writes=False)
        [row] = session.scalars(select(ConsoleSignInLink)).all()
        assert row.token_hash == secrets.digest(token)
        assert token not in row.token_hash
        assert (row.expires_at - row.created_at) == timedelta(minutes=15)
        session.close()


def test_an_unknown_address_gets_the_same_answer_and_no_email(app: Flask, console: Console,
                                                              tenant: Tenant, make_admin
                                                              ) -> None:
    make_admin(tenant, email="member@acme.test", role="none")
    for email in ("nobody@acme.test", "member@acme.test"):
        response = console.post_form("/console/login", "/console/login", {"email": email},
                                     follow_redirects=True)
        assert response.status_code == 200
        assert "a sign-in link is on its way" in response.get_data(as_text=True)
    with app.app_context():
        session = db.new_session(app, writes=False)
        assert session.scalars(select(OutboxMessage)).all() == []
        session.close()


def test_a_bad_address_is_refused_on_the_form(console: Console) -> None:
    response = console.post_form("/console/login", "/console/login", {"email": "not-an-email"})
    assert response.status_code == 422
    assert "Enter an email address" in response.get_data(as_text=True)


def test_get_of_the_link_shows_a_sign_in_button_and_changes_nothing(
        app: Flask, console: Console, tenant: Tenant, make_admin) -> None:
    make_admin(tenant)
    link = console.request_link("admin@acme.test")
    for _ in range(2):  # a mail scanner opened it first
        page = console.get(link)
        assert page.status_code == 200
        assert 'value="Sign in"' in page.get_data(as_text=True)
    with app.app_context():
        session = db.new_session(app, writes=False)
        assert session.scalars(select(ConsoleSession)).all() == []
        assert session.scalars(select(ConsoleSignInLink.used_at)).one() is None
        session.close()


def test_the_post_signs_in_once_and_audits_it(app: Flask, console: Console, tenant: Tenant,
                                              make_admin) -> None:
    admin_id = make_admin(tenant)
    link = console.request_link("admin@acme.test")
    token = link.split("token=", 1)[1]
    response = console.post_form(link, "/console/sign-in", {"token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/console/orgs/{tenant.org_id}/users"
    assert console.get(f"/console/orgs/{tenant.org_id}/users").status_code == 200
    # The same link again, in another browser: refused.
    other = Console(app.test_client(), app)
    again = other.get(link)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    html = other.get("/console/login").get_data(as_text=True)
    refused = other.client.post("/console/sign-in", data={"csrf_token": csrf_of(html),
                                                          "token": token})
    assert refused.status_code == 410
    with app.app_context():
        session = db.new_session(app, writes=False)
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "console.signed_in")).all()
        assert [(e.actor_type, e.actor_id) for e in events] == [("account", admin_id)]
        session.close()


def test_an_expired_link_is_refused(app: Flask, console: Console, tenant: Tenant,
                                    make_admin) -> None:
    make_admin(tenant)
    link = console.request_link("admin@acme.test")
    with app.app_context():
        session = db.new_session(app)
        row = session.scalars(select(ConsoleSignInLink)).one()
        session.execute(update(ConsoleSignInLink).values(
            expires_at=row.created_at - timedelta(seconds=1)))
        session.commit()
        session.close()
    page = console.get(link)
    assert page.status_code == 410
    assert "expired" in page.get_data(as_text=True)
    html = console.get("/console/login").get_data(as_text=True)
    response = console.client.post("/console/sign-in", data={
        "csrf_token": csrf_of(html), "token": link.split("token=", 1)[1]})
    assert response.status_code == 410
    assert console.get(f"/console/orgs/{tenant.org_id}/users").status_code == 302


def test_a_made_up_token_is_refused(console: Console) -> None:
    assert console.get("/console/sign-in?token=scimsrv_sl_nope").status_code == 410


def test_the_sign_in_post_needs_its_csrf_token(console: Console, tenant: Tenant,
                                               make_admin) -> None:
    make_admin(tenant)
    link = console.request_link("admin@acme.test")
    console.get(link)
    response = console.client.post("/console/sign-in",
                                   data={"token": link.split("token=", 1)[1]})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_the_cookie_is_httponly_and_samesite_lax(console: Console) -> None:
    response = console.get("/console/login")
    header = response.headers["Set-Cookie"]
    assert header.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain http in tests; see the https test


def test_the_cookie_is_secure_behind_https(console: Console) -> None:
    response = console.client.get("/console/login", base_url="https://scim.test")
    assert "Secure" in response.headers["Set-Cookie"]


def test_signing_in_rotates_the_session(app: Flask, console: Console, tenant: Tenant,
                                        make_admin) -> None:
    """Session fixation: a cookie planted before sign-in is not the one that signs in."""
    make_admin(tenant)
    console.get("/console/login")
    planted = cookie(console)
    assert planted
    console.sign_in("admin@acme.test", tenant.org_id)
    after = cookie(console)
    assert after and after != planted
    attacker = app.test_client()
    attacker.set_cookie(SESSION_COOKIE, planted, domain="localhost")
    assert attacker.get(f"/console/orgs/{tenant.org_id}/users").status_code == 302
    # Signing in again in the same browser replaces the session id too.
    first_sessions = _session_hashes(app)
    console.sign_in("admin@acme.test", tenant.org_id)
    assert cookie(console) != after
    assert len(_session_hashes(app) - first_sessions) == 1


def _session_hashes(app: Flask) -> set[str]:
    with app.app_context():
        session = db.new_session(app, writes=False)
        hashes = set(session.scalars(select(ConsoleSession.secret_hash)))
        session.close()
    return hashes


def test_sign_out_ends_the_session_for_a_copied_cookie_too(app: Flask, signed_in: Console,
                                                           tenant: Tenant) -> None:
    users = f"/console/orgs/{tenant.org_id}/users"
    copied = cookie(signed_in)
    response = signed_in.post_form(users, "/console/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/console/login"
    assert signed_in.get(users).status_code == 302
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, copied or "", domain="localhost")
    assert replay.get(users).status_code == 302


def test_an_idle_session_ends(app: Flask, signed_in: Console, tenant: Tenant) -> None:
    users = f"/console/orgs/{tenant.org_id}/users"
    assert signed_in.get(users).status_code == 200
    with app.app_context():
        session = db.new_session(app)
        row = session.scalars(select(ConsoleSession)).one()
        session.execute(update(ConsoleSession).values(
            last_seen_at=row.last_seen_at - timedelta(minutes=31)))
        session.commit()
        session.close()
    response = signed_in.get(users)
    assert response.status_code == 302
    assert "ended=1" in response.headers["Location"]
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session has ended" in page


def test_a_deactivated_admin_is_signed_out(app: Flask, signed_in: Console,
                                           tenant: Tenant) -> None:
    from scim_server.models import Account

    with app.app_context():
        session = db.new_session(app)
        session.execute(update(Account).values(status="deactivated"))
        session.commit()
        session.close()
    assert signed_in.get(f"/console/orgs/{tenant.org_id}/users").status_code == 302


def test_next_only_goes_to_console_pages(signed_in: Console, tenant: Tenant, make_admin
                                         ) -> None:
    from scim_server.console.sign_in import _safe_next

    assert _safe_next("https://evil.test/console/orgs/x") is None
    assert _safe_next("//evil.test/x") is None
    assert _safe_next(f"/console/orgs/{tenant.org_id}/users?q=a") == \
        f"/console/orgs/{tenant.org_id}/users?q=a"


def test_asking_for_links_is_rate_limited_per_address(make_ops_app, tenant: Tenant) -> None:
    """Nobody can flood an admin's inbox: sign-in requests share the public pages' limit."""
    limited = make_ops_app(rate_limit_public_burst=2, rate_limit_public_per_second=0.01,
                           rate_limit_enabled=True)
    console = Console(limited.test_client(), limited)
    statuses = [console.post_form("/console/login", "/console/login",
                                  {"email": "admin@acme.test"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    page = console.client.post("/console/login", data={"email": "admin@acme.test"})
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "Too many attempts" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) >= 1


def test_behind_a_tls_proxy_the_cookie_is_secure_and_forms_check_their_origin(
        make_ops_app, tenant: Tenant, make_admin) -> None:
    """X-Forwarded-Proto: https (a trusted proxy) makes the cookie Secure, and a form post
    must come from a page of this host (the Referer that `same-origin` lets browsers send)."""
    make_admin(tenant)
    proxied = make_ops_app(trust_forwarded_headers=True)
    client = proxied.test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "scim.test"}
    page = client.get("/console/login", headers=https)
    assert "Secure" in page.headers["Set-Cookie"]
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = csrf_of(page.get_data(as_text=True))
    body = {"csrf_token": token, "email": "admin@acme.test"}
    foreign = client.post("/console/login", data=body,
                          headers={**https, "Referer": "https://evil.test/login"})
    assert foreign.status_code == 400
    same = client.post("/console/login", data=body,
                       headers={**https, "Referer": "https://scim.test/console/login"})
    assert same.status_code == 302
