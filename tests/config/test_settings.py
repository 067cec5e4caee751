from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings


def test_defaults_run_a_console_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///data/cohort.db"
    assert settings.discord.token is None and settings.telegram.token is None
    assert not settings.has_platform_token


def test_environment_nested_with_double_underscores(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHORT_TELEGRAM__TOKEN", "123:secret")
    monkeypatch.setenv("COHORT_PRIVACY__STORE_MESSAGE_TEXT", "true")
    settings = load_settings()
    assert settings.telegram.token is not None
    assert settings.telegram.token.get_secret_value() == "123:secret"
    assert settings.privacy.store_message_text is True
    assert settings.has_platform_token
    assert "123:secret" not in repr(settings)


def test_toml_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "cohort.toml"
    toml.write_text('timezone = "Europe/Berlin"\ncommunity_name = "PyLadies"\n'
                    '[limits]\nmax_line = 2000\n')
    monkeypatch.setenv("COHORT_COMMUNITY_NAME", "From env")
    settings = load_settings(toml)
    assert settings.timezone == "Europe/Berlin"
    assert settings.limits.max_line == 2000
    assert settings.community_name == "From env"


def test_bad_values_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHORT_TELEGRAM__MODE", "carrier-pigeon")
    with pytest.raises(SettingsError, match=r"telegram\.mode"):
        load_settings()


def test_masked_hides_every_secret(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHORT_DISCORD__TOKEN", "discord-secret")
    monkeypatch.setenv("COHORT_DATABASE_URL", "postgresql+asyncpg://cohort:pw123@db:5432/cohort")
    masked = str(load_settings().masked())
    assert "discord-secret" not in masked and "pw123" not in masked
    assert "postgresql+asyncpg://cohort:********@db:5432/cohort" in masked


def test_the_example_settings_file_is_valid(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    example = Path(__file__).parents[2] / "config" / "example.toml"
    settings = load_settings(example)
    assert settings.database_url.startswith("sqlite")


def test_community_ids_from_the_environment_as_a_list_or_commas(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHORT_DISCORD__GUILD_IDS", "111, 222")
    monkeypatch.setenv("COHORT_DISCORD__ADMIN_IDS", "[333]")
    monkeypatch.setenv("COHORT_TELEGRAM__CHAT_IDS", "-1001234567890")
    settings = load_settings()
    assert settings.discord.guild_ids == [111, 222]
    assert settings.discord.admin_ids == [333]
    assert settings.telegram.chat_ids == [-1001234567890]


@pytest.mark.parametrize("secret", [None, "", "has:colon"])
def test_webhook_mode_needs_a_valid_secret(tmp_path, monkeypatch, secret):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHORT_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("COHORT_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/telegram")
    if secret is not None:
        monkeypatch.setenv("COHORT_TELEGRAM__WEBHOOK_SECRET", secret)
    with pytest.raises(SettingsError, match="webhook_secret"):
        load_settings()
    monkeypatch.setenv("COHORT_TELEGRAM__WEBHOOK_SECRET", "s3cret-OK_1")
    assert load_settings().telegram.mode == "webhook"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("COHORT_TIMEZONE", "Mars/Olympus",
     "invalid setting timezone (COHORT_TIMEZONE): unknown time zone 'Mars/Olympus' "
     "(use an IANA name such as Europe/Berlin)"),
    ("COHORT_LIMITS__MAX_LINE", "abc",
     "invalid setting limits.max_line (COHORT_LIMITS__MAX_LINE): Input should be a valid "
     "integer, unable to parse string as an integer (got 'abc')"),
    ("COHORT_TIMEZNOE", "UTC",
     "unknown setting COHORT_TIMEZNOE; did you mean COHORT_TIMEZONE? "
     "(see config/example.toml)"),
    ("COHORT_DISCORD__ADMIN_ROLE", "[]",
     "unknown setting COHORT_DISCORD__ADMIN_ROLE; did you mean COHORT_DISCORD__ADMIN_ROLES? "
     "(see config/example.toml)"),
])
def test_a_bad_setting_is_one_line_naming_it(tmp_path, monkeypatch, name, value, expected):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value) == expected


def test_unknown_keys_in_the_settings_file_suggest_the_closest_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    toml = tmp_path / "cohort.toml"
    toml.write_text('[telegram]\nchat_id = [-100123]\n')
    with pytest.raises(SettingsError) as refused:
        load_settings(toml)
    assert str(refused.value) == (
        "unknown setting telegram.chat_id in the settings file; did you mean telegram.chat_ids?")


def test_secrets_are_never_echoed_in_a_settings_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COHORT_TELEGRAM__MODE", "webhook")
    monkeypatch.setenv("COHORT_TELEGRAM__WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.setenv("COHORT_TELEGRAM__WEBHOOK_SECRET", "almost:secret")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "almost:secret" not in str(refused.value)


def test_a_dotenv_file_may_hold_other_programs_variables_but_no_misspelt_setting(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=x\nCOHORT_TIMEZONE=Europe/Berlin\n")
    assert load_settings().timezone == "Europe/Berlin"
    (tmp_path / ".env").write_text("COHORT_TIMEZNOE=Europe/Berlin\n")
    with pytest.raises(SettingsError, match="did you mean COHORT_TIMEZONE"):
        load_settings()
