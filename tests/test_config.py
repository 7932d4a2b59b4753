"""Settings read from the environment and validated once: retention periods, per deployment
and per tenant, with errors that name the bad entry."""

from __future__ import annotations

import re

import pytest

from voc.config import ConfigError, Settings


def test_retention_periods_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("VOC_RETENTION_DAYS", "0.5")
    monkeypatch.setenv("VOC_TENANT_RETENTION_DAYS", " acme=30, beta=7.5 ,default=90")
    settings = Settings.from_env()
    assert settings.retention_days == 0.5
    assert settings.tenant_retention_days == {"acme": 30.0, "beta": 7.5, "default": 90.0}


def test_no_tenant_periods_by_default(monkeypatch):
    monkeypatch.delenv("VOC_TENANT_RETENTION_DAYS", raising=False)
    assert Settings.from_env().tenant_retention_days == {}
    monkeypatch.setenv("VOC_TENANT_RETENTION_DAYS", "")
    assert Settings.from_env().tenant_retention_days == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("acme=30,beta=0", "entry 'beta=0' needs a number of days > 0"),
        ("acme=-3", "entry 'acme=-3' needs a number of days > 0"),
        ("acme=soon", "entry 'acme=soon' needs a number of days > 0"),
        ("acme=nan", "entry 'acme=nan' needs a number of days > 0"),
        ("acme=inf", "entry 'acme=inf' needs a number of days > 0"),
        ("=30", "entry '=30' needs a tenant name"),
        ("ac me=30", "entry 'ac me=30' needs a tenant name"),
        ("acme=30,beta", "VOC_TENANT_RETENTION_DAYS: entry 'beta' must be tenant=days"),
        ("acme=30,", "VOC_TENANT_RETENTION_DAYS: entry '' must be tenant=days"),
        ("acme=30,acme=7", "VOC_TENANT_RETENTION_DAYS: tenant 'acme' is given twice"),
    ],
)
def test_an_invalid_tenant_period_names_the_entry(monkeypatch, value, message):
    monkeypatch.setenv("VOC_TENANT_RETENTION_DAYS", value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings.from_env()


def test_an_invalid_deployment_period_is_refused(monkeypatch):
    monkeypatch.setenv("VOC_RETENTION_DAYS", "a year")
    with pytest.raises(ConfigError, match="VOC_RETENTION_DAYS must be a number, not 'a year'"):
        Settings.from_env()
    monkeypatch.setenv("VOC_RETENTION_DAYS", "-1")
    with pytest.raises(ConfigError, match="retention_days must be a number >= 0"):
        Settings.from_env()


def test_tenant_periods_set_in_code_are_validated_too():
    assert Settings.from_env({"tenant_retention_days": {"acme": 14}}).tenant_retention_days == {
        "acme": 14.0
    }
    with pytest.raises(ConfigError, match=re.escape("entry 'acme=0' needs a number of days")):
        Settings.from_env({"tenant_retention_days": {"acme": 0}})
    with pytest.raises(ConfigError, match="entry 'acme=True'"):
        Settings.from_env({"tenant_retention_days": {"acme": True}})
    with pytest.raises(ConfigError, match="must map tenant names to days"):
        Settings.from_env({"tenant_retention_days": "acme=30"})


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused(url):
    """Each connection of an in-memory SQLite database sees its own empty one: the service's
    threads would lose keys, jobs and alerts between requests (it answered 500)."""
    with pytest.raises(ConfigError, match="in-memory SQLite"):
        Settings.from_env({"database_url": url})


def test_a_database_url_that_is_not_one_is_refused():
    with pytest.raises(ConfigError, match="not a database URL"):
        Settings.from_env({"database_url": "voc.sqlite3"})
