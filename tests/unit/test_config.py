import pytest

from bot.config import ConfigError, Settings


def test_a_token_alone_is_sandbox_mode() -> None:
    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x"})
    assert settings.sandbox and settings.poll_seconds == 3.0 and settings.http_port == 8080
    assert "1:x" not in repr(settings)  # secrets stay out of logs


def test_provider_keys_and_base_urls() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:x",
            "SUNRA_API_KEY": "k",
            "TOKEN360_API_KEY": "t",
            "TOKEN360_BASE_URL": "http://127.0.0.1:9/",
            "REALFACE_SANDBOX_PROVIDERS": "all",
        }
    )
    assert not settings.sandbox
    assert set(settings.provider_keys()) == {"sunra", "token360"}
    assert settings.token360 is not None and settings.token360.base_url == "http://127.0.0.1:9"
    assert settings.sunra is not None and settings.sunra.base_url == "https://api.sunra.ai"
    assert "k" not in repr(settings.sunra)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REALFACE_POLL_SECONDS", "soon"),
        ("REALFACE_POLL_SECONDS", "-1"),
        ("REALFACE_DAILY_VIDEOS", "0"),
        ("REALFACE_DAILY_VIDEOS", "2.5"),
        ("REALFACE_HTTP_PORT", "70000"),
        ("REALFACE_SANDBOX_PROVIDERS", "token360,acme"),
    ],
)
def test_bad_values_say_what_to_set(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x", name: value})
    assert name in str(caught.value)


def test_no_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        Settings.from_env({})
