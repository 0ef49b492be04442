"""Configuration from the environment, validated once at start-up."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.external import SystemsConfig
from domain import policy
from domain.career.rules import SHIPPED_RULES
from domain.needs import SAMPLE_NEEDS
from domain.privacy import RetentionRules
from domain.success_factors import SHIPPED_FACTORS

_HOST_PORT = re.compile(r"^[A-Za-z0-9._\-\[\]:]+:\d{1,5}$")


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class LogLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: The people HR does not list who may still act when the configuration names them.
NON_HR_PEOPLE = (policy.ActorRole.AUDITOR.value, policy.ActorRole.OPERATOR.value)


def _listed(text: str) -> tuple[str, ...]:
    """The entries of a comma-separated setting, without blanks."""
    return tuple(filter(None, (part.strip() for part in text.split(","))))


class Settings(BaseSettings):
    """Every knob an operator can turn. Each field is read from the variable named in `alias`."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    temporal_address: str = Field(
        "localhost:7233", alias="TEMPORAL_ADDRESS", description="host:port of the Temporal frontend"
    )
    temporal_namespace: str = Field("default", alias="TEMPORAL_NAMESPACE", min_length=1)
    temporal_task_queue: str = Field("pathways", alias="TEMPORAL_TASK_QUEUE", min_length=1)
    temporal_bulk_task_queue_text: str | None = Field(
        None, alias="TEMPORAL_BULK_TASK_QUEUE", min_length=1
    )
    """Where bulk starts (a roster) send their journeys; unset: `<TEMPORAL_TASK_QUEUE>-bulk`."""
    # A worker process's slots. Workflow code shares one CPU in a Python process, so every task
    # in hand waits for the others: few slots keep each one well inside Temporal's 10 s
    # workflow-task timeout. The bulk queue has slots of its own, so the office's tasks on the
    # main queue never wait behind a roster's thousands of first tasks.
    worker_workflow_tasks: int = Field(16, alias="WORKER_WORKFLOW_TASKS", ge=2, le=1000)
    worker_activities: int = Field(64, alias="WORKER_ACTIVITIES", ge=1, le=1000)
    worker_cached_workflows: int = Field(1000, alias="WORKER_CACHED_WORKFLOWS", ge=0, le=100_000)
    # How long a journey's next task waits for the worker that has it in memory (its sticky
    # queue) before any worker may take it, replaying its history. When every journey wakes
    # at once (a year's close) a worker just started after a crash has minutes of work queued:
    # the SDK's 10 s timed out thousands of tasks in `make chaos`, 30 s 478, 120 s 1, each
    # timeout a whole history to replay on top. The price: the tasks a crashed worker was
    # sent in its last seconds wait this long before another worker takes them.
    worker_sticky_seconds: float = Field(120.0, alias="WORKER_STICKY_SECONDS", ge=1, le=300)
    bulk_workflow_tasks: int = Field(2, alias="BULK_WORKFLOW_TASKS", ge=2, le=1000)
    bulk_activities: int = Field(8, alias="BULK_ACTIVITIES", ge=1, le=1000)
    temporal_tls_cert: Path | None = Field(None, alias="TEMPORAL_TLS_CERT")
    temporal_tls_key: Path | None = Field(None, alias="TEMPORAL_TLS_KEY")
    temporal_tls_ca: Path | None = Field(None, alias="TEMPORAL_TLS_CA")
    temporal_api_key: str | None = Field(None, alias="TEMPORAL_API_KEY")
    database_url: str | None = Field(None, alias="DATABASE_URL")
    database_connect_timeout: float = Field(15.0, alias="DATABASE_CONNECT_TIMEOUT", gt=0, le=300)
    data_dir: Path = Field(Path(".data"), alias="PATHWAYS_DATA_DIR")
    log_format: LogFormat = Field(LogFormat.CONSOLE, alias="LOG_FORMAT")
    log_level: LogLevel = Field(LogLevel.INFO, alias="LOG_LEVEL")
    payroll_url: str | None = Field(None, alias="PAYROLL_URL")
    hris_url: str | None = Field(None, alias="HRIS_URL")
    email_url: str | None = Field(None, alias="EMAIL_URL")
    http_timeout_seconds: float = Field(10.0, alias="HTTP_TIMEOUT_SECONDS", gt=0, le=300)
    # The event log's checkpoint key (see pathways/audit_key.py) and how often workers sign.
    audit_signing_key: Path | None = Field(None, alias="AUDIT_SIGNING_KEY")
    audit_public_key: Path | None = Field(None, alias="AUDIT_PUBLIC_KEY")
    # The key ring that encrypts Temporal's payloads (pathways/payload_codec.py): see payload_keys.
    payload_keys_text: str | None = Field(None, alias="PAYLOAD_KEYS")
    # How long records are kept before `pathways privacy erase` may erase a person (see
    # domain/privacy.py): years after separation, and after the grant's final report.
    retention_personnel_years: int = Field(3, alias="RETENTION_PERSONNEL_YEARS", ge=0, le=100)
    retention_grant_years: int = Field(3, alias="RETENTION_GRANT_YEARS", ge=0, le=100)
    retention_grant_final_report_on: date | None = Field(
        None, alias="RETENTION_GRANT_FINAL_REPORT_ON"
    )
    # The Temporal Web UI's origins, which the codec server (/codec in the web app) answers.
    codec_origins_text: str = Field(
        "http://localhost:8233,http://127.0.0.1:8233", alias="CODEC_ORIGINS"
    )
    # The HTTP API (pathways/api.py): `make up` and `pathways api serve` listen here.
    api_host: str = Field("127.0.0.1", alias="API_HOST", min_length=1)
    api_port: int = Field(8000, alias="API_PORT", ge=1, le=65535)
    # The key that signs the district's Open Badges (see pathways/badges.py), and the issuer's id.
    badge_signing_key: Path | None = Field(None, alias="BADGE_SIGNING_KEY")
    badge_public_key: Path | None = Field(None, alias="BADGE_PUBLIC_KEY")
    badge_issuer_id: str | None = Field(
        None, alias="BADGE_ISSUER_ID", pattern=r"^[a-z][a-z0-9+.-]*:\S+$"
    )
    # The district's enrollment rules (which HR facts start, offer or require which pathway).
    enrollment_rules: Path = Field(SHIPPED_RULES, alias="ENROLLMENT_RULES")
    needs_file: Path = Field(SAMPLE_NEEDS, alias="NEEDS_FILE")
    """The district's leadership needs by stakeholder group (the needs assessment's CSV)."""
    success_factors: Path = Field(SHIPPED_FACTORS, alias="SUCCESS_FACTORS")
    """The success-factor placement's rules (TOML)."""
    audit_checkpoint_seconds: float = Field(300.0, alias="AUDIT_CHECKPOINT_SECONDS", ge=0)
    history_archive_seconds: float = Field(3600.0, alias="HISTORY_ARCHIVE_SECONDS", ge=0)
    worker_versioning: bool = Field(True, alias="PATHWAYS_WORKER_VERSIONING")
    deployment_name: str = Field(
        "pathways", alias="PATHWAYS_DEPLOYMENT_NAME", min_length=1, max_length=255
    )
    build_id: str | None = Field(None, alias="PATHWAYS_BUILD_ID", min_length=1, max_length=255)
    operator: str | None = Field(None, alias="PATHWAYS_OPERATOR", min_length=1, max_length=100)
    """Who runs `pathways` commands (e.g. operator:jo), recorded by Temporal as the sender of each
    start and update; unset: the account running it."""
    non_hr_actors_text: str = Field("hris,university,payroll", alias="NON_HR_ACTORS")
    """Actors HR does not list who may act: systems, `auditor:<id>`, `operator:<id>`."""

    # The program office's web app (pathways/web): `make up` and `pathways web serve` listen here.
    web_host: str = Field("127.0.0.1", alias="WEB_HOST", min_length=1)
    web_port: int = Field(8080, alias="WEB_PORT", ge=1, le=65535)
    web_base_url: str | None = Field(None, alias="WEB_BASE_URL")
    """The address people reach the app at (the sign-in's return address); unset: host:port."""
    web_local_sign_in: bool = Field(False, alias="WEB_LOCAL_SIGN_IN")
    """Sign in as anyone in the local HR tables, without a password: for trying Pathways on one
    computer only (refused unless WEB_HOST is a loopback address)."""
    web_session_secret: Path | None = Field(None, alias="WEB_SESSION_SECRET")
    web_session_idle_minutes: int = Field(30, alias="WEB_SESSION_IDLE_MINUTES", ge=1, le=1440)
    web_session_max_hours: int = Field(10, alias="WEB_SESSION_MAX_HOURS", ge=1, le=72)
    web_program_dirs_text: str = Field("", alias="WEB_PROGRAM_DIRS")
    """Folders of program year definitions the app reads sessions and rules from (besides the
    shipped samples and `sample-year`'s folder), separated by commas."""
    oidc_issuer: str | None = Field(None, alias="OIDC_ISSUER")
    oidc_client_id: str | None = Field(None, alias="OIDC_CLIENT_ID")
    oidc_client_secret: str | None = Field(None, alias="OIDC_CLIENT_SECRET")
    oidc_employee_claim: str = Field("employee_id", alias="OIDC_EMPLOYEE_CLAIM", min_length=1)
    """The ID token claim that holds the person's employee id (or `auditor:<id>`)."""

    @model_validator(mode="after")
    def _bulk_queue_of_its_own(self) -> Settings:
        if self.bulk_task_queue == self.temporal_task_queue:
            raise ValueError(
                "TEMPORAL_BULK_TASK_QUEUE must differ from TEMPORAL_TASK_QUEUE: the bulk queue "
                "has slots of its own"
            )
        return self

    @property
    def bulk_task_queue(self) -> str:
        return self.temporal_bulk_task_queue_text or f"{self.temporal_task_queue}-bulk"

    @property
    def web_program_dirs(self) -> tuple[Path, ...]:
        return tuple(Path(p) for p in _listed(self.web_program_dirs_text))

    @property
    def oidc_configured(self) -> bool:
        return self.oidc_issuer is not None

    @model_validator(mode="after")
    def _web_sign_in(self) -> Settings:
        if self.web_local_sign_in and self.web_host not in LOOPBACK:
            raise ValueError(
                f"WEB_LOCAL_SIGN_IN lets anyone act as anyone: it needs WEB_HOST on this computer "
                f"only ({', '.join(sorted(LOOPBACK))}), not {self.web_host}"
            )
        oidc = (self.oidc_issuer, self.oidc_client_id, self.oidc_client_secret)
        if any(v is not None for v in oidc) and not all(v is not None for v in oidc):
            raise ValueError("OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET go together")
        if self.oidc_issuer is not None and not self.oidc_issuer.startswith(
            ("https://", "http://127.0.0.1", "http://localhost")
        ):
            raise ValueError("OIDC_ISSUER must be an https:// URL")
        return self

    @field_validator("non_hr_actors_text")
    @classmethod
    def _non_hr_actors(cls, value: str) -> str:
        for actor in _listed(value):
            prefix, _, who = actor.partition(":")
            if actor not in policy.SYSTEMS and not (who and prefix in NON_HR_PEOPLE):
                raise ValueError(
                    f"{actor!r} is not hris, university, payroll, auditor:<id> or operator:<id>"
                )
        return value

    @property
    def non_hr_actors(self) -> tuple[str, ...]:
        return _listed(self.non_hr_actors_text)

    @property
    def retention(self) -> RetentionRules:
        return RetentionRules(
            personnel_years=self.retention_personnel_years,
            grant_years=self.retention_grant_years,
            grant_final_report_on=self.retention_grant_final_report_on,
        )

    @property
    def web_address(self) -> str:
        """Where people open the web app: `WEB_BASE_URL`, or on this computer
        `http://localhost:<port>` (the host the Web UI at localhost:8233 shares its site with, so
        the browser sends the web app's session to the codec server)."""
        if self.web_base_url:
            return self.web_base_url
        host = "localhost" if self.web_host in LOOPBACK else self.web_host
        return f"http://{host}:{self.web_port}"

    @property
    def codec_origins(self) -> tuple[str, ...]:
        return _listed(self.codec_origins_text)

    @property
    def payload_keys(self) -> Path | None:
        """The key ring encrypting Temporal's payloads: `PAYLOAD_KEYS`, or else the ring
        `make up` keeps in the data folder when there is one; `PAYLOAD_KEYS=none` (or empty):
        payloads are not encrypted."""
        text = self.payload_keys_text
        if text is None:
            embedded = embedded_key_ring(self.data_dir)
            return embedded if embedded.is_file() else None
        return None if text.strip().lower() in ("", "none") else Path(text)

    @field_validator("temporal_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if not _HOST_PORT.match(value):
            raise ValueError("expected host:port, for example localhost:7233")
        port = int(value.rsplit(":", 1)[1])
        if not 0 < port < 65536:
            raise ValueError("port must be between 1 and 65535")
        return value

    @field_validator("database_url")
    @classmethod
    def _dsn(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "expected a PostgreSQL URL such as postgresql://user:pass@host:5432/db"
            )
        return value

    @field_validator("payroll_url", "hris_url", "email_url", "web_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @field_validator("deployment_name")
    @classmethod
    def _no_dot(cls, value: str) -> str:
        # Temporal writes a version as "<deployment>.<build id>" and splits it at the first dot.
        if "." in value:
            raise ValueError("a deployment name cannot contain '.'")
        return value

    @field_validator("temporal_tls_cert", "temporal_tls_key", "temporal_tls_ca")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no readable file at {value}")
        return value

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> Settings:
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError(
                "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mutual TLS)"
            )
        return self

    @property
    def systems(self) -> SystemsConfig:
        """Where the district's systems are, as the activities take it."""
        return SystemsConfig(
            hris_url=self.hris_url,
            payroll_url=self.payroll_url,
            email_url=self.email_url,
            http_timeout_seconds=self.http_timeout_seconds,
        )

    @property
    def uses_tls(self) -> bool:
        return (
            self.temporal_tls_cert is not None
            or self.temporal_tls_ca is not None
            or self.temporal_api_key is not None
        )


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        loc = item.get("loc") or ()
        field = str(loc[0]) if loc else ""
        info = Settings.model_fields.get(field)
        name = info.alias if info and info.alias else field
        got = item.get("input")
        shown = "" if got is None or isinstance(got, dict) else f" (got {got!r})"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        # A check across variables has no single field; its message names the variables.
        lines.append(f"{name}: {message}{shown}" if name else f"{message}{shown}")
    return "; ".join(lines)


def load_settings() -> Settings:
    """Read the environment; raise ConfigError naming the variable that is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def embedded_key_ring(data_dir: Path) -> Path:
    """Where `make up` keeps the payload key ring it creates when `PAYLOAD_KEYS` is unset."""
    return data_dir / "keys" / "payload-keys.json"
