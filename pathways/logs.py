"""Structured logging, configured once for the worker, the starter and the activities.

Every line carries the workflow id, run id and activity type when it is written from inside
a workflow or an activity. Lines from the Temporal SDK and other stdlib loggers pass through
the same processors, so production output is uniformly JSON.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import asyncpg
import structlog
from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError

_configured = False
# Attributes every stdlib LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "workflow_info",
    "activity_info",
}


def _temporal_context(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Add workflow and activity identity to a log line.

    The SDK's logger adapters put `temporal_workflow` / `temporal_activity` on the stdlib
    record; structlog calls made inside an activity get the identity from the activity
    context directly.
    """
    record = event_dict.get("_record")
    details: dict[str, Any] = {}
    if record is not None:
        details.update(getattr(record, "temporal_workflow", None) or {})
        details.update(getattr(record, "temporal_activity", None) or {})
        if "workflow_run_id" in details:  # the SDK's activity logger names it so
            details.setdefault("run_id", details.pop("workflow_run_id"))
    elif activity.in_activity():
        info = activity.info()
        details = {
            "workflow_id": info.workflow_id,
            "run_id": info.workflow_run_id,
            "workflow_type": info.workflow_type,
            "activity_type": info.activity_type,
            "activity_id": info.activity_id,
            "attempt": info.attempt,
        }
    for key, value in details.items():
        if key in ("namespace", "task_queue"):
            continue
        event_dict.setdefault(key, value)
    if record is not None:
        # Fields a stdlib caller passed as `extra=`, e.g. workflow.logger.info(..., extra={...}).
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith(("temporal_", "_")):
                event_dict.setdefault(key, value)
    return event_dict


def _expected(error: BaseException) -> bool:
    """Failures the code raises on purpose or that an outage causes: a line, not a traceback."""
    from activities.db import DatabaseUnavailable
    from activities.systems import ExternalSystemUnavailable

    return isinstance(
        error,
        ApplicationError
        | ExternalSystemUnavailable
        | DatabaseUnavailable
        | asyncpg.PostgresConnectionError
        | asyncpg.CannotConnectNowError
        | asyncpg.InterfaceError
        | OSError
        | TimeoutError,
    )


def _one_line_for_expected(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """An expected failure (an activity refused for good, PostgreSQL or a district system
    down) becomes `error="Type: message"`; the unexpected keep their traceback."""
    exc_info = event_dict.get("exc_info")
    if exc_info is True:
        exc_info = sys.exc_info()
    error = exc_info if isinstance(exc_info, BaseException) else None
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        error = exc_info[1]
    if error is not None and _expected(error):
        event_dict.pop("exc_info")
        text = " ".join(str(error).split())
        event_dict["error"] = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return event_dict


def configure_logging(log_format: str = "console", level: str = "info") -> None:
    """Route structlog and stdlib logging through one set of processors."""
    global _configured
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _temporal_context,
        _one_line_for_expected,
    ]
    renderer: structlog.typing.Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        shared.append(structlog.processors.format_exc_info)
    else:
        # A plain traceback: rich's, with every frame's local variables, runs to hundreds of
        # lines a failure and holds the event loop the workers share while it renders.
        renderer = structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )

    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    # The identity goes into fields, not into the message text.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False
    for noisy in ("asyncio", "httpx", "httpcore", "pgserver"):
        logging.getLogger(noisy).setLevel(max(numeric_level, logging.WARNING))
    _configured = True


def get_logger(name: str | None = None) -> Any:
    if not _configured:
        configure_logging()
    return structlog.get_logger(name)
