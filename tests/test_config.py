"""The settings table: how variables are read, and the reference generated from it."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from scim_server.config import Config
from scim_server.config_reference import reference_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_the_configuration_reference_is_generated_from_the_table():
    assert DOC.read_text() == reference_markdown(), (
        "docs/configuration.md is stale: python3 -m scim_server.config_reference "
        "> docs/configuration.md")


def test_every_setting_says_what_it_means():
    silent = [f.name for f in fields(Config) if not f.metadata.get("meaning")]
    assert not silent


def test_the_reference_lists_settings_by_their_variable():
    text = DOC.read_text()
    for variable in ("SCIM_DATABASE_URL", "SCIM_SMTP_URL", "SCIM_PUBLIC_URL",
                     "SCIM_RATE_LIMIT_SCIM_BURST", "SCIM_OUTBOX_POLL_SECONDS",
                     "SCIM_TOKEN_CACHE_SECONDS", "SCIM_EXPIRY_WARNING_DAYS"):
        assert f"| `{variable}` |" in text
    assert "SCIM_TESTING" not in text


def test_variables_are_parsed_by_type(monkeypatch):
    monkeypatch.setenv("SCIM_PUBLIC_URL", "https://scim.example.com/")
    monkeypatch.setenv("SCIM_LOG_LEVEL", "debug")
    monkeypatch.setenv("SCIM_MAX_PAGE_SIZE", "250")
    monkeypatch.setenv("SCIM_TOKEN_CACHE_SECONDS", "2.5")
    monkeypatch.setenv("SCIM_RATE_LIMIT_ENABLED", "off")
    monkeypatch.setenv("SCIM_TRUST_FORWARDED_HEADERS", "yes")
    monkeypatch.setenv("SCIM_EXPIRY_WARNING_DAYS", "14, 3")
    monkeypatch.setenv("SCIM_CORS_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("SCIM_SMTP_URL", "smtp://mail:25")
    config = Config.from_env()
    assert config.public_url == "https://scim.example.com"
    assert config.log_level == "DEBUG"
    assert config.max_page_size == 250
    assert config.token_cache_seconds == 2.5
    assert config.rate_limit_enabled is False
    assert config.trust_forwarded_headers is True
    assert config.expiry_warning_days == (14, 3)
    assert config.cors_allowed_origins == ("https://a.example", "https://b.example")
    assert config.smtp_url == "smtp://mail:25"


def test_empty_variables_keep_the_defaults(monkeypatch, tmp_path):
    for name in ("SCIM_MAX_PAGE_SIZE", "SCIM_SMTP_URL", "SCIM_EXPIRY_WARNING_DAYS",
                 "SCIM_RATE_LIMIT_ENABLED", "SCIM_DATABASE_URL"):
        monkeypatch.setenv(name, "")
    monkeypatch.chdir(tmp_path)
    config = Config.from_env()
    assert config.max_page_size == 1000
    assert config.smtp_url is None
    assert config.expiry_warning_days == (30, 7)
    assert config.rate_limit_enabled is True
    assert config.database_url == f"sqlite:///{tmp_path / 'scim-server.sqlite3'}"


def test_overrides_win_and_unknown_names_are_refused(monkeypatch):
    monkeypatch.setenv("SCIM_MAX_PAGE_SIZE", "250")
    assert Config.from_env(max_page_size=9).max_page_size == 9
    with pytest.raises(TypeError, match="unknown settings"):
        Config.from_env(no_such_setting=1)


def test_a_bad_number_names_its_variable(monkeypatch):
    monkeypatch.setenv("SCIM_MAX_PAGE_SIZE", "lots")
    with pytest.raises(ValueError, match="SCIM_MAX_PAGE_SIZE"):
        Config.from_env()


def test_secrets_stay_out_of_the_repr(monkeypatch):
    monkeypatch.setenv("SCIM_METRICS_TOKEN", "very-secret-metrics-token")
    assert "very-secret" not in repr(Config.from_env())
