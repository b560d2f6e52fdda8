"""Migration 0008_casefold_norms: stored norms refolded by the rule PostgreSQL's lower() uses."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import create_engine, text

MIGRATION = Path(__file__).resolve().parents[1] / "migrations/versions/0008_casefold_norms.py"


def _module():
    spec = importlib.util.spec_from_file_location("casefold_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_refold_rewrites_only_the_changed_norms(tmp_path, monkeypatch) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE directory_users (id TEXT, user_name TEXT, "
                                "user_name_norm TEXT, display_name TEXT, display_name_norm TEXT)"))
        connection.execute(text("CREATE TABLE directory_user_values (id TEXT, value TEXT, "
                                "value_norm TEXT)"))
        connection.execute(text("CREATE TABLE groups (id TEXT, display_name TEXT, "
                                "display_name_norm TEXT)"))
        rows = [("1", "İlker", "İlker".lower(), "ΟΔΟΣ", "ΟΔΟΣ".lower()),
                ("2", "ilker", "ilker", None, None), ("3", "İrem", "İrem".lower(), "Ève", "ève")]
        connection.execute(text("INSERT INTO directory_users VALUES (:a, :b, :c, :d, :e)"),
                           [dict(zip("abcde", row)) for row in rows])
        connection.execute(text("INSERT INTO directory_user_values VALUES ('v', 'İ@x', :n)"),
                           {"n": "İ@x".lower()})
        module = _module()
        monkeypatch.setattr(module.op, "get_bind", lambda: connection, raising=False)
        module.upgrade()
        norms = dict(connection.execute(text(
            "SELECT id, user_name_norm || '|' || coalesce(display_name_norm, '') "
            "FROM directory_users")).all())
        # "İlker" would collide with "ilker": it keeps its old norm; the others are refolded.
        assert norms == {"1": "İlker".lower() + "|οδοσ", "2": "ilker|", "3": "irem|ève"}
        assert connection.execute(text("SELECT value_norm FROM directory_user_values")
                                  ).scalar() == "i@x"
        module.downgrade()
        assert connection.execute(text("SELECT user_name_norm FROM directory_users WHERE id = '3'")
                                  ).scalar() == "İrem".lower()
