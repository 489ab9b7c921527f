"""Logging, set up in one place: plain text for people or JSON lines for a log pipeline.

Every record logged while an HTTP request is being answered carries that request's id
(`request_id`, from the context variable the request-id middleware sets), so a problem
answer's `request_id` finds its log lines, traceback included. uvicorn's own loggers
propagate to the same handler (the runner passes `log_config=None`).
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import IO, Literal

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["text", "json"]
# The id of the HTTP request being answered in this context; None outside a request.
request_id: ContextVar[str | None] = ContextVar("perfledger_request_id", default=None)
TEXT = "%(asctime)s %(levelname)s %(name)s: %(request_tag)s%(message)s"
JSON_FIELDS = ("levelname", "name", "message")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id (kept if the record names one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = getattr(record, "request_id", None) or request_id.get()
        record.request_id = rid
        record.request_tag = f"[{rid}] " if rid else ""
        return True


class JsonLines(JsonFormatter):
    """One JSON object a line; the text format's tag is left out (request_id is its own key)."""

    def process_log_record(self, log_record: dict[str, object]) -> dict[str, object]:
        log_record.pop("request_tag", None)
        if log_record.get("request_id") is None:
            log_record.pop("request_id", None)
        return log_record


def formatter(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        # `time`: ISO 8601 in UTC, unambiguous for a log pipeline (asctime is local, without zone).
        return JsonLines(list(JSON_FIELDS), rename_fields={"levelname": "level"}, timestamp="time")
    return logging.Formatter(TEXT)


def configure(
    log_format: LogFormat = "text", *, verbose: bool = False, stream: IO[str] | None = None
) -> None:
    """The root handler on stderr in the chosen format. Like logging.basicConfig, it leaves
    a root logger that already has handlers (a test harness's) as it is."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # kafka-python's own chatter is only of use when debugging.
    logging.getLogger("kafka").setLevel(logging.DEBUG if verbose else logging.CRITICAL)
