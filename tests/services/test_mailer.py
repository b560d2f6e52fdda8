"""SMTP delivery: the URL forms, the MIME message, and real servers that accept or refuse."""
from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from scim_server.services.mailer import (DeliveryError, Envelope, Mailer, SmtpSettings,
                                         build_email, header_message_id, parse_smtp_url)
from tests.smtp_support import SmtpServer, free_port

ENVELOPE = Envelope(id="m1", message_id="<abc123@scim-server>", to="ann@example.test",
                    subject="Hello", body_text="Plain body\n", body_html="<p>HTML body</p>")


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.test", ("mail.test", 25, "plain", None, None)),
    ("smtp://mail.test:2525", ("mail.test", 2525, "plain", None, None)),
    ("smtps://mail.test", ("mail.test", 465, "ssl", None, None)),
    ("smtp+starttls://mail.test", ("mail.test", 587, "starttls", None, None)),
    ("smtp://mail.test:587?starttls=true", ("mail.test", 587, "starttls", None, None)),
    ("smtp://ann%40corp:p%3As%2Fw@mail.test:25", ("mail.test", 25, "plain", "ann@corp", "p:s/w")),
])
def test_url_forms(url: str, expected: tuple[object, ...]) -> None:
    settings = parse_smtp_url(url)
    assert (settings.host, settings.port, settings.security, settings.username,
            settings.password) == expected


def test_bad_urls_say_what_is_wrong_and_passwords_stay_hidden() -> None:
    with pytest.raises(ValueError, match="scheme"):
        parse_smtp_url("http://mail.test")
    with pytest.raises(ValueError, match="host"):
        parse_smtp_url("smtp://")
    with pytest.raises(ValueError, match="smtps"):
        parse_smtp_url("smtps://mail.test?starttls=true")
    settings = parse_smtp_url("smtp://ann:hunter2@mail.test?cafile=/etc/ca.pem")
    assert settings.cafile == "/etc/ca.pem"
    assert "hunter2" not in repr(settings) and "ann" in repr(settings)


def test_message_ids_are_kept_when_well_formed_and_derived_stably_otherwise() -> None:
    assert header_message_id("<abc@scim-server>") == "<abc@scim-server>"
    derived = header_message_id("user.deactivated:42")
    assert derived == header_message_id("user.deactivated:42")
    assert derived.startswith("<") and derived.endswith("@scim-server>")
    assert derived != header_message_id("user.deactivated:43")


def test_the_mime_message_has_text_html_and_headers() -> None:
    email = build_email(ENVELOPE, "SCIM <scim@corp.test>")
    assert email["Message-ID"] == "<abc123@scim-server>"
    assert email["From"] == "SCIM <scim@corp.test>" and email["To"] == "ann@example.test"
    assert email["Auto-Submitted"] == "auto-generated" and email["Date"]
    assert email.get_body(("plain",)).get_content() == "Plain body\n"  # type: ignore[union-attr]
    assert "HTML body" in email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain = build_email(Envelope("m2", "x", "b@example.test", "S", "only text\n", None), "s@x")
    assert not plain.is_multipart()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


def _mailer(url: str) -> Mailer:
    return Mailer(parse_smtp_url(url, sender="scim@corp.test", timeout=5))


def test_delivers_over_one_connection(smtp: SmtpServer) -> None:
    with _mailer(smtp.url) as mailer:
        mailer.send(ENVELOPE)
        mailer.send(Envelope("m2", "<second@scim-server>", "bob@example.test", "Two", "2\n",
                             None))
    received = smtp.received
    assert [r.recipients for r in received] == [["ann@example.test"], ["bob@example.test"]]
    assert received[0].mail_from == "scim@corp.test"
    assert received[0].message_id == "<abc123@scim-server>"
    assert received[0].message["Subject"] == "Hello"


def test_a_5xx_refusal_is_permanent_and_a_4xx_one_is_not(smtp: SmtpServer) -> None:
    smtp.handler.rcpt_reply = "550 5.1.1 No such user"
    with _mailer(smtp.url) as mailer:
        with pytest.raises(DeliveryError) as refused:
            mailer.send(ENVELOPE)
        assert refused.value.permanent and refused.value.code == 550
        assert not refused.value.connection and "No such user" in str(refused.value)
        smtp.handler.rcpt_reply = None
        smtp.handler.data_reply = "451 4.3.0 Try again later"
        with pytest.raises(DeliveryError) as deferred:
            mailer.send(ENVELOPE)
        assert not deferred.value.permanent and deferred.value.code == 451
        smtp.handler.data_reply = None
        mailer.send(ENVELOPE)  # the same connection still works
    assert len(smtp.received) == 1


def test_a_server_that_is_down_is_a_connection_failure() -> None:
    with _mailer(f"smtp://127.0.0.1:{free_port()}") as mailer:
        with pytest.raises(DeliveryError) as down:
            mailer.send(ENVELOPE)
    assert down.value.connection and not down.value.permanent


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        message = "the openssl command is missing: the TLS tests of the mailer are NOT running"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        print(f"\n{'!' * 78}\n!! {message}\n{'!' * 78}")
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_starttls_and_login(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer(tls_context=context, logins={"mailer": "s3cret/pw"})
    try:
        for url in (f"smtp+starttls://mailer:s3cret%2Fpw@127.0.0.1:{server.port}?cafile={cert}",
                    f"smtp://mailer:s3cret%2Fpw@127.0.0.1:{server.port}?starttls=true"
                    f"&cafile={cert}"):
            with _mailer(url) as mailer:
                mailer.send(ENVELOPE)
        assert len(server.received) == 2
        with _mailer(f"smtp+starttls://mailer:wrong@127.0.0.1:{server.port}?cafile={cert}"
                     ) as mailer, pytest.raises(DeliveryError) as refused:
            mailer.send(ENVELOPE)
        assert refused.value.connection and "login refused" in str(refused.value)
        with _mailer(f"smtp+starttls://mailer:s3cret%2Fpw@127.0.0.1:{server.port}"
                     ) as mailer, pytest.raises(DeliveryError) as untrusted:
            mailer.send(ENVELOPE)  # a certificate nobody vouches for is refused
        assert untrusted.value.connection
        with _mailer(f"smtp://mailer:s3cret%2Fpw@127.0.0.1:{server.port}"
                     ) as mailer, pytest.raises(DeliveryError):
            mailer.send(ENVELOPE)  # no STARTTLS: the server refuses to go on
        assert len(server.received) == 2
    finally:
        server.stop()


def test_implicit_tls(certificate: tuple[Path, Path]) -> None:
    from aiosmtpd.controller import Controller

    from tests.smtp_support import CaptureHandler

    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler, port = CaptureHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=context)
    controller.start()
    try:
        settings = parse_smtp_url(f"smtps://127.0.0.1:{port}?cafile={cert}", timeout=5)
        assert isinstance(settings, SmtpSettings) and settings.security == "ssl"
        with Mailer(settings) as mailer:
            mailer.send(ENVELOPE)
        assert [r.recipients for r in handler.received] == [["ann@example.test"]]
    finally:
        controller.stop()
