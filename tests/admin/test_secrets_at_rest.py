"""No usable secret rests in clear: an emailed invitation link is in the email only.

The invitation keeps its token as a hash; the outbox keeps the email with the token
sealed away and erases it once the message is sent or dead (services/outbox.py). The
check dumps every table of the database and searches the dump for each token.
"""
from __future__ import annotations

from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from scim_server import db
from tests.admin.conftest import AdminClient
from tests.smtp_support import SmtpServer, deliver_all


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def dump_database(app: Flask) -> str:
    """Every row of every table in the database (not only the ones the models know)."""
    engine = app.extensions[db.EXTENSION_KEY][0]
    lines: list[str] = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}: {tuple(row)!r}")
    return "\n".join(lines)


def token_of(mail_text: str) -> str:
    link = next(word for word in mail_text.split() if "/invitations/accept?token=" in word)
    return parse_qs(urlsplit(link).query)["token"][0]


def test_delivered_invitation_tokens_are_nowhere_in_the_database(
        app: Flask, admin: AdminClient, client: FlaskClient, smtp: SmtpServer) -> None:
    emails = ["ann@example.test", "bob@example.test", "cy@example.test"]
    response = admin.post("/invitations", json={"emails": emails, "message": "Welcome"})
    assert response.status_code == 200, response.get_json()
    queued = dump_database(app)
    assert queued.count("scimsrv_inv_") == 3, "one sealed copy each while queued, not five"
    report = deliver_all(app, smtp)
    assert len(report.sent) == 3
    tokens = {}
    for mail in smtp.received:
        text_part, html_part = mail.part("plain"), mail.part("html")
        tokens[mail.recipients[0]] = token_of(text_part)
        assert f"/invitations/accept?token={tokens[mail.recipients[0]]}" in html_part
    assert set(tokens) == set(emails)
    dump = dump_database(app)
    assert "outbox_messages" in dump and "invitations" in dump
    for token in tokens.values():
        assert token.startswith("scimsrv_inv_")
        assert token not in dump
        assert token[len("scimsrv_inv_"):] not in dump
    # The link in the email works.
    accepted = client.post("/invitations/accept", json={"token": tokens["ann@example.test"]})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)


def test_a_dead_invitation_email_keeps_no_token_either(
        app: Flask, admin: AdminClient, smtp: SmtpServer) -> None:
    smtp.handler.refuse_addresses["gone@example.test"] = "550 5.1.1 no such mailbox"
    response = admin.post("/invitations", json={"emails": ["gone@example.test"]})
    assert response.status_code == 200, response.get_json()
    report = deliver_all(app, smtp)
    assert len(report.dead) == 1
    dump = dump_database(app)
    assert "scimsrv_inv_" not in dump
    outbox = admin.get("/outbox").get_json()["data"]
    assert [m["status"] for m in outbox] == ["dead"]
