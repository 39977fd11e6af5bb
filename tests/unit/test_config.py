from pathlib import Path

import pytest

from bot.config import ConfigError, ProviderKey, Settings
from bot.providers.registry import DECLARATIONS

TOKEN = {"TELEGRAM_BOT_TOKEN": "1:x"}


def test_sandbox_only_when_asked() -> None:
    settings = Settings.from_env({**TOKEN, "REALFACE_SANDBOX": "1"})
    assert settings.sandbox and settings.poll_seconds == 3.0 and settings.http_port == 8080
    assert settings.provider_keys() == {} and settings.sandbox_providers == ("token360",)
    assert "1:x" not in repr(settings)  # secrets stay out of logs


def test_a_token_alone_is_refused_with_the_way_out() -> None:
    # A deployment that lost its provider secret must not serve simulated results.
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(TOKEN)
    [problem] = caught.value.problems
    assert "REALFACE_SANDBOX=1" in problem and "--sandbox" in problem
    for declaration in DECLARATIONS:
        assert declaration.key_variable in problem


def test_settings_made_in_code_fail_as_fast() -> None:
    with pytest.raises(ConfigError, match="No provider key"):
        Settings(telegram_token="1:x")
    with pytest.raises(ConfigError, match="acme"):
        Settings(telegram_token="1:x", providers={"acme": ProviderKey("k", "http://x")})
    assert Settings(telegram_token="1:x", sandbox=True).sandbox


def test_provider_keys_and_base_urls() -> None:
    settings = Settings.from_env(
        {
            **TOKEN,
            "SUNRA_API_KEY": "k",
            "TOKEN360_API_KEY": "t",
            "TOKEN360_BASE_URL": "http://127.0.0.1:9/",
            "REALFACE_SANDBOX_PROVIDERS": "all",
        }
    )
    assert not settings.sandbox
    keys = settings.provider_keys()
    assert list(keys) == ["token360", "sunra"]  # the registry's order
    assert keys["token360"].base_url == "http://127.0.0.1:9"
    assert keys["sunra"].base_url == "https://api.sunra.ai"
    assert settings.sandbox_providers == tuple(d.name for d in DECLARATIONS)
    assert "k" not in repr(keys["sunra"]) and "'t'" not in repr(settings)


def test_vendor_options_come_from_the_vendor_prefix() -> None:
    env = {**TOKEN, "POWERTOKENS_API_KEY": "p", "POWERTOKENS_AUTH_BEARER": "true"}
    key = Settings.from_env(env).provider_keys()["powertokens"]
    assert key.options == {"AUTH_BEARER": "true"}
    assert key.base_url == "https://powertokens.ai/api"


def test_every_declared_provider_is_configurable() -> None:
    for declaration in DECLARATIONS:
        env = {**TOKEN, declaration.key_variable: "k"}
        assert list(Settings.from_env(env).provider_keys()) == [declaration.name]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REALFACE_POLL_SECONDS", "soon"),
        ("REALFACE_POLL_SECONDS", "-1"),
        ("REALFACE_DAILY_VIDEOS", "0"),
        ("REALFACE_DAILY_VIDEOS", "2.5"),
        ("REALFACE_HTTP_PORT", "70000"),
        ("REALFACE_SANDBOX_PROVIDERS", "token360,acme"),
        ("REALFACE_SANDBOX", "maybe"),
    ],
)
def test_bad_values_say_what_to_set(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**TOKEN, "REALFACE_SANDBOX": "1", name: value})
    assert name in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    env = {"REALFACE_POLL_SECONDS": "soon", "REALFACE_HTTP_PORT": "70000"}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "REALFACE_POLL_SECONDS",
        "REALFACE_HTTP_PORT",
        "REALFACE_SANDBOX=1",
    ):
        assert sum(name in p for p in problems) == 1, name
    assert str(caught.value).splitlines() == list(problems)  # one line each, no traceback text


def test_no_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        Settings.from_env({"REALFACE_SANDBOX": "1"})


def test_the_database_is_a_sqlite_path_or_a_postgresql_url() -> None:
    sandbox = {**TOKEN, "REALFACE_SANDBOX": "1"}
    default = Settings.from_env(sandbox)
    assert default.database == "data/realface.sqlite3" and default.files == Path("data")
    local = Settings.from_env({**sandbox, "REALFACE_DATABASE": "/srv/bot/realface.db"})
    assert local.files == Path("/srv/bot")
    shared = Settings.from_env(
        {**sandbox, "REALFACE_DATABASE": "postgresql://u:p@db:5432/realface"}
    )
    assert shared.database.startswith("postgresql://") and shared.files == Path("data")
    moved = {**sandbox, "REALFACE_DATABASE": "postgres://db/r", "REALFACE_DATA_DIR": "/media"}
    assert Settings.from_env(moved).files == Path("/media")
    for wrong in ("mysql://u:secret@db/realface", "sqlite:///data/x.db", "redis://db"):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({**sandbox, "REALFACE_DATABASE": wrong})
        [problem] = caught.value.problems
        assert "REALFACE_DATABASE" in problem and "secret" not in problem
        assert "postgresql://" in problem or "plain path" in problem
