"""What the console's browser tests share: Chromium, a real SMTP server, axe-core, sign-in.

Chromium is Debian's (/usr/bin/chromium) driven by the `playwright` package; axe-core
comes inside the `axe-playwright-python` package (no CDN). Without them the tests are
skipped with a loud notice, except under CI=true, where they fail.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from tests.smtp_support import SmtpServer, deliver_all

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PUBLIC = "http://scim.test"  # the public URL of the test app, mapped to the live server
SERIOUS = ("serious", "critical")


def unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " and CI=true requires it")
    print(f"\n{'!' * 78}\n!! {message}\n{'!' * 78}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install -y chromium): the console "
                    "browser tests are NOT running")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing: the console browser tests are NOT "
                    "running")
    with sync_playwright() as running:
        yield running


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
def chromium(playwright: Any, live_server: str) -> Iterator[Any]:
    """Chromium that reaches the live server under the app's public name, scim.test."""
    port = urlsplit(live_server).port
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP scim.test 127.0.0.1:{port}"])
    yield browser
    browser.close()


def assert_accessible(page: Any) -> None:
    """axe-core on the page: no serious or critical violation."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        unavailable("axe-playwright-python is missing: the accessibility checks are NOT "
                    "running")
    results = Axe().run(page)
    violations = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not violations, (page.url, [(v["id"], v["impact"], v["help"],
                                        [n["target"] for n in v["nodes"]][:3])
                                       for v in violations])


def newest_mail(smtp: SmtpServer, to: str, pattern: str) -> str:
    """The first link matching `pattern` in the newest email to `to`."""
    mails = [m for m in smtp.received if to in m.recipients]
    assert mails, f"no email to {to}"
    found = re.search(pattern, mails[-1].part("plain"))
    assert found is not None, mails[-1].part("plain")
    return found.group(0)


def sign_in(page: Any, app: Any, smtp: SmtpServer, email: str) -> None:
    """As a person would: ask for a link, open it from the email, select "Sign in"."""
    page.goto(f"{PUBLIC}/console/login")
    assert_accessible(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send sign-in link").click()
    page.wait_for_selector("text=a sign-in link is on its way")
    deliver_all(app, smtp)
    link = newest_mail(smtp, email, r"http://scim\.test/console/sign-in\?token=\S+")
    page.goto(link)
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("h1:has-text('Users')")
