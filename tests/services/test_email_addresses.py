"""The one rule for an email address's normalised form, and what every entry checks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from scim_server.casefold import fold
from scim_server.services.directory_users import norm
from scim_server.services.email_addresses import (
    email_norm,
    email_too_long,
    folds_onto_another_domain,
)

PACKAGE = Path(__file__).resolve().parents[2] / "scim_server"


@pytest.mark.parametrize(("address", "expected"), [
    ("Ada@Example.COM", "ada@example.com"),
    (" ada@example.com\t", "ada@example.com"),
    ("İlker@acme.test", "ilker@acme.test"),      # str.lower(): "i̇lker", two for "İ"
    ("ΟΔΟΣ@acme.test", "οδοσ@acme.test"),        # str.lower(): a final "ς"
    ("Ève@ÉCOLE.test", "ève@école.test"),
    ("ẞtraße@acme.test", "ßtraße@acme.test"),   # simple lowercase: "ẞ" is "ß", never "ss"
])
def test_the_norm_is_the_simple_lowercase_of_the_trimmed_address(address: str,
                                                                 expected: str) -> None:
    assert email_norm(address) == expected


@pytest.mark.parametrize("address", ["İlker@acme.test", "ΟΔΟΣ@acme.test", "Ève@x.test",
                                     "ılgın@acme.test", "K@x.test"])
def test_the_norm_is_the_one_scim_stores_and_filters_by(address: str) -> None:
    """SCIM keeps `emails.value` by `casefold.fold` (PostgreSQL's lower()): the same form."""
    assert email_norm(address) == norm(address) == fold(address)
    assert email_norm(email_norm(address)) == email_norm(address)
    assert len(email_norm(address)) == len(address)  # one character for one


def test_an_address_is_too_long_only_by_its_own_length() -> None:
    """The norm is never longer than the address, so "İ" no longer counts twice."""
    assert email_too_long("İ" * 64 + "@" + "a" * 63 + ".test") is None
    assert "321" in (email_too_long("a" * 64 + "@" + "a." * 126 + "test") or "")


@pytest.mark.parametrize(("address", "refused"), [
    ("ceo@İacme.test", True),    # "İacme.test" is xn--iacme-7fd.test; folded, it is iacme.test
    ("ceo@iacme.test", False),
    ("İlker@acme.test", False),  # the local part is the domain's business
    ("ada@École.test", False),   # é either way: the same DNS name
    ("ada@ΟΔΟΣ.test", False),
    ("not-an-address", False),
])
def test_an_address_whose_folded_domain_is_another_domain_is_refused(address: str,
                                                                      refused: bool) -> None:
    assert (folds_onto_another_domain(address) is not None) is refused


def test_no_module_lower_cases_an_email_address_itself() -> None:
    """One rule, one home: an address is normalised by `email_norm`, never `str.lower()`."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"email|address", line, re.IGNORECASE) and re.search(
                    r"\.(lower|casefold)\(\)", line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []
