"""REALFACE_POLL_REQUESTS_PER_MINUTE: the provider request budget of photo polling."""

import pytest

from bot.config import ConfigError, Settings

SANDBOX = {"TELEGRAM_BOT_TOKEN": "1:x", "REALFACE_SANDBOX": "1"}


def test_the_budget_defaults_within_a_tenth_of_naive_polling_and_can_be_set() -> None:
    assert Settings.from_env(SANDBOX).poll_requests_per_minute == 1200
    settings = Settings.from_env({**SANDBOX, "REALFACE_POLL_REQUESTS_PER_MINUTE": "300"})
    assert settings.poll_requests_per_minute == 300


@pytest.mark.parametrize("raw", ["0", "-5", "fast", "1.5"])
def test_a_budget_that_is_not_a_positive_whole_number_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="REALFACE_POLL_REQUESTS_PER_MINUTE"):
        Settings.from_env({**SANDBOX, "REALFACE_POLL_REQUESTS_PER_MINUTE": raw})
