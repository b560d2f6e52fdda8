"""The docs say what the code does: each claim an issue found wrong, checked against the code."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def read(name: str) -> str:
    return (ROOT / name).read_text()


def every_doc() -> dict[str, str]:
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return {str(p.relative_to(ROOT)): p.read_text() for p in paths}


def test_email_delivery_is_called_at_least_once_as_the_worker_does():
    worker = read("scim_server/services/outbox_worker.py")
    assert "at-least-once" in worker
    for name, text in every_doc().items():
        assert not re.search(r"exactly[ -]once per cause|delivered[^.]*exactly once", text), name
    assert "at least once" in read("README.md")


def test_no_doc_promises_that_a_deep_page_costs_what_the_first_does():
    assert "page 1,000 costs what" not in read("docs/scim.md")


def test_the_documented_sqlite_page_cache_is_the_one_db_py_sets():
    kib = int(re.search(r"PRAGMA cache_size=-(\d+)", read("scim_server/db.py")).group(1))
    operators = read("docs/benchmarks.md").split("### Settings for operators", 1)[1]
    stated = re.search(r"(\d+) MB page\s+cache per connection", operators)
    assert stated and int(stated.group(1)) == kib // 1024


def test_member_count_is_described_as_the_cache_it_is():
    groups = read("scim_server/admin/groups.py")
    assert "count_members" in groups  # readers count rows; the stored count is a cache
    assert "only a\n  cache" in read("docs/scim.md") or "only a cache" in read("docs/scim.md")


def test_docs_carry_no_internal_wording():
    for name, text in every_doc().items():
        for phrase in ("later issue", "endpoints of later", "issue #", "TODO"):
            assert phrase not in text, (name, phrase)


def test_readme_try_it_uses_what_quickstart_prints():
    readme = read("README.md")
    for variable in ("SCIM_URL", "SCIM_TOKEN", "ADMIN_URL", "ADMIN_KEY"):
        assert f"${variable}" in readme
    assert ". ./scim-server.env" in readme and "outbox show" in readme
    assert "SCIM_SMTP_URL=console:" in readme


def test_the_admin_api_lengths_table_is_the_columns():
    """docs/admin-api.md lists each limit; the model's column is where it comes from."""
    from scim_server.models import (Account, AdminKey, Directory, DomainRule, EmailedLink,
                                    Group, OutboxMessage, Product, ScimToken, Site)
    from tests.lengths_support import kept

    table = read("docs/admin-api.md").split("| field | at most (characters) |", 1)[1]
    rows = re.findall(r"^\s*\| (.+?) \| ([\d ·]+) \|$", table.split("\n\n", 1)[0], re.M)
    stated = {field: [int(n) for n in numbers.split("·")] for field, numbers in rows}
    # Each number of a row, and the columns that must all keep exactly that many.
    columns = {
        "site `name` · `url`": [(Site.name,), (Site.url,)],
        "product `key` · `name`": [(Product.key,), (Product.name,)],
        "group `name`": [(Group.display_name,)],
        "directory `name`": [(Directory.name,)],
        "SCIM token and admin key `name`": [(ScimToken.name, AdminKey.name)],
        "domain `domain`": [(DomainRule.domain,)],
        "user `display_name`": [(Account.display_name,)],
        "any email address (`email`, `emails`)": [
            (Account.email, Account.email_norm, EmailedLink.email_norm, OutboxMessage.to)],
    }
    assert set(stated) == set(columns)
    for field, groups in columns.items():
        lengths = [{kept(column) for column in group} for group in groups]
        assert all(len(kept_by) == 1 for kept_by in lengths), (field, lengths)
        assert stated[field] == [kept_by.pop() for kept_by in lengths], field
