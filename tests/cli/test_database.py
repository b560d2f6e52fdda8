"""`scim-server db upgrade|downgrade|current` say what they did (issue 17, finding 3)."""
from __future__ import annotations

from click.testing import CliRunner

from scim_server.cli import main


def test_upgrade_reports_what_it_applied_and_downgrade_what_it_undid(empty_database_url):
    runner = CliRunner(env={"SCIM_DATABASE_URL": empty_database_url})

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output.strip()

    assert run("db", "current") == "behind"
    first = run("db", "upgrade")
    assert first.startswith("applied ") and "0001" in first, first
    assert run("db", "upgrade") == "database is up to date: nothing applied"
    assert run("db", "current") == "current"
    undone = run("db", "downgrade")
    assert undone.startswith("undid 1 migration(s): ")
    assert run("db", "current") == "behind"
    assert run("db", "upgrade") == "applied 1 migration(s): " + undone.split(": ")[1]
