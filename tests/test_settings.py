"""One policy for every setting read from the environment (ctg_data.settings): absent or blank
gives the default, a value that cannot be used is refused in French, naming the variable."""

from datetime import date
from decimal import Decimal

import pytest

from ctg_data import settings
from ctg_data.accounts import AuthSettings
from ctg_data.errors import SettingError

READERS = [  # variable, reader, default, a good value and what it reads as, a bad value
    ("CTG_LOCK_AFTER", settings.lock_after, 5, ("3", 3), "0"),
    ("CTG_LOCK_MINUTES", settings.lock_minutes, 15, ("2", 2), "deux"),
    ("CTG_SESSION_MINUTES", settings.session_minutes, 30, ("45", 45), "-5"),
    ("CTG_PASSWORD_CHECKS", settings.password_checks, 4, ("8", 8), "4.5"),
    ("CTG_MAX_UPLOAD_MB", settings.max_upload_mb, Decimal(20), ("0,5", Decimal("0.5")), "0"),
    ("CTG_TOLERANCE_ABS", settings.tolerance_abs, Decimal(1), ("5000", Decimal(5000)), "beaucoup"),
    ("CTG_TOLERANCE_REL", settings.tolerance_rel, Decimal("0.01"), ("0,02", Decimal("0.02")), "-0.1"),
    ("CTG_TODAY", settings.pinned_today, None, ("2026-11-26", date(2026, 11, 26)), "26/11/2026"),
]


@pytest.mark.parametrize("name, reader, default, good, bad", READERS, ids=[r[0] for r in READERS])
def test_every_setting_follows_the_one_policy(monkeypatch, name, reader, default, good, bad):
    monkeypatch.delenv(name, raising=False)
    assert reader() == default
    monkeypatch.setenv(name, "  ")
    assert reader() == default
    monkeypatch.setenv(name, good[0])
    assert reader() == good[1]
    monkeypatch.setenv(name, bad)
    with pytest.raises(SettingError) as refused:
        reader()
    assert f"Le réglage {name} vaut « {bad} »" in str(refused.value) and "est attendu" in str(refused.value)


def test_the_sign_in_settings_are_read_through_the_policy(monkeypatch):
    monkeypatch.setenv("CTG_LOCK_AFTER", "3")
    assert AuthSettings.from_env().lock_after == 3
    monkeypatch.setenv("CTG_LOCK_AFTER", "trois")  # used to fall back to 5 without a word
    with pytest.raises(SettingError, match="CTG_LOCK_AFTER"):
        AuthSettings.from_env()
