"""The telephony event contract (DESIGN.md, "Telephony event contract") as pydantic models.

`parse_message` turns one raw Kafka message (or one element of an HTTP batch, re-encoded)
into a validated event, or raises `InvalidTelephonyEvent` with a one-line reason that
names the field, ready for the dead-letter topic. Validation is strict on purpose: a
KPI is only as good as its inputs, so nothing is coerced ("4" is not 4, 1 is not true,
a timestamp without an offset is not a UTC instant). Unknown extra fields are ignored,
so that a telephony vendor adding a field does not dead-letter the whole stream.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from adapters.telephony.bounds import DEFAULT_LIMITS, Bounds, Limits, check_bounds
from adapters.telephony.errors import InvalidTelephonyEvent

__all__ = [
    "DEFAULT_LIMITS",
    "Bounds",
    "InvalidTelephonyEvent",
    "Limits",
    "parse_message",
    "parse_object",
    "to_archive_dict",
    "validate",
]

MAX_MESSAGE_BYTES = 65536
SUPPORTED_SCHEMA_VERSIONS = (1,)
MAX_ID_LENGTH = 128
MAX_REASON_LENGTH = 500
CORRECTION_TYPES = frozenset({"event.corrected", "event.voided"})

# Only the canonical 8-4-4-4-12 text, kept lower case: event_id is the deduplication key,
# so two spellings of one id (braces, urn:, no hyphens, upper case) must not pass as two.
_UUID_PATTERN = r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
# RFC 3339 date-time: the offset is mandatory ("Z" or +hh:mm), 'T' may be a space or lower case.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
# Message texts for range errors, so that a bounded field reads "between 1 and 5".
_RANGES: dict[str, tuple[int, int]] = {"csat": (1, 5), "qa_score": (0, 100)}


def _rfc3339(value: Any) -> datetime:
    # A naive timestamp is ambiguous (whose local time?), so it cannot be bucketed in UTC.
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise PydanticCustomError(
            "rfc3339", "must be an RFC 3339 timestamp with a UTC offset (Z or +hh:mm)"
        )
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        raise PydanticCustomError("rfc3339", "is not a valid date and time") from None


def _identifier(value: Any) -> str:
    # Ids become Kafka keys and SQL text: control characters, NUL (PostgreSQL refuses it)
    # and lone surrogates (not encodable) would break a consumer far from here.
    if not isinstance(value, str):
        raise PydanticCustomError("id_type", "must be a string")
    if not 1 <= len(value) <= MAX_ID_LENGTH or not value.isprintable():
        raise PydanticCustomError(
            "id_text", "must be 1 to {max} printable characters", {"max": MAX_ID_LENGTH}
        )
    return value


def _schema_version(value: Any) -> int:
    # A version we do not know may mean different fields; dead-lettering keeps the bytes
    # for a replay once it is supported, whereas guessing would corrupt KPIs silently.
    if type(value) is not int or value not in SUPPORTED_SCHEMA_VERSIONS:
        raise PydanticCustomError(
            "schema_version",
            "unsupported version (supported: {supported})",
            {"supported": ", ".join(map(str, SUPPORTED_SCHEMA_VERSIONS))},
        )
    return value


EventId = Annotated[str, StringConstraints(strict=True, pattern=_UUID_PATTERN, to_lower=True)]
Instant = Annotated[datetime, BeforeValidator(_rfc3339)]
Identifier = Annotated[str, BeforeValidator(_identifier)]
SchemaVersion = Annotated[int, BeforeValidator(_schema_version)]
Reason = Annotated[
    str,
    StringConstraints(
        strict=True, min_length=1, max_length=MAX_REASON_LENGTH, strip_whitespace=True
    ),
]
Seconds = Annotated[float, Strict(), Field(ge=0)]
Flag = Annotated[bool, Strict()]


class _Event(BaseModel):
    """Fields every telephony event carries."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    event_id: EventId
    agent_id: Identifier
    team_id: Identifier
    occurred_at: Instant
    schema_version: SchemaVersion = 1


class CallCompleted(_Event):
    """One handled call leg of one agent."""

    type: Literal["call.completed"]
    call_id: Identifier
    talk_seconds: Seconds
    hold_seconds: Seconds
    acw_seconds: Seconds
    transferred: Flag
    # Required but nullable: null means "not known", which must be said, not omitted.
    resolved_first_contact: Annotated[bool | None, Strict()]


class SurveyCompleted(_Event):
    """A customer's CSAT answer about one call; often days after the call."""

    type: Literal["survey.completed"]
    call_id: Identifier
    csat: Annotated[int, Strict(), Field(ge=1, le=5)]


class QaEvaluated(_Event):
    """A quality evaluation of one call; bucketed like a survey."""

    type: Literal["qa.evaluated"]
    call_id: Identifier
    qa_score: Annotated[float, Strict(), Field(ge=0, le=100)]
    evaluator_id: Identifier


class AgentInterval(_Event):
    """Workforce-management figures for one agent over one interval starting at occurred_at."""

    type: Literal["agent.interval"]
    interval_seconds: Seconds
    scheduled_seconds: Seconds
    adherent_seconds: Seconds
    available_seconds: Seconds
    handling_seconds: Seconds


MeasuredEvent = Annotated[
    CallCompleted | SurveyCompleted | QaEvaluated | AgentInterval,
    Field(discriminator="type"),
]


class EventCorrected(_Event):
    """Replaces the measurements of an earlier event (`corrects`) with a full corrected body.

    The body is an event of the original's type. It keeps the original's identity (its
    event_id is `corrects`; agent, team, time and call stay the original's): a correction
    fixes figures, while a misattributed event is voided and sent again under a new id.
    """

    type: Literal["event.corrected"]
    corrects: EventId
    reason: Reason
    event: MeasuredEvent

    @model_validator(mode="before")
    @classmethod
    def _body_id(cls, data: Any) -> Any:
        # The body is the original event, corrected: its id is the original's,
        # so it may be left out.
        if (
            isinstance(data, dict)
            and isinstance(data.get("event"), dict)
            and isinstance(data.get("corrects"), str)
        ):
            body = data["event"]
            if "event_id" not in body:
                data = {**data, "event": {**body, "event_id": data["corrects"]}}
            elif (
                not isinstance(body["event_id"], str)
                or body["event_id"].lower() != data["corrects"].lower()
            ):
                raise PydanticCustomError("body_id", "must be the corrected event's id (corrects)")
        return data


class EventVoided(_Event):
    """Takes an earlier event (`voids`) out of every KPI; the original stays archived."""

    type: Literal["event.voided"]
    voids: EventId
    reason: Reason


TelephonyEvent = Annotated[
    CallCompleted | SurveyCompleted | QaEvaluated | AgentInterval | EventCorrected | EventVoided,
    Field(discriminator="type"),
]
TELEPHONY_EVENT_ADAPTER: TypeAdapter[TelephonyEvent] = TypeAdapter(TelephonyEvent)

_MISSING = object()
_MODELS: dict[str, type[_Event]] = {
    "call.completed": CallCompleted,
    "survey.completed": SurveyCompleted,
    "qa.evaluated": QaEvaluated,
    "agent.interval": AgentInterval,
    "event.corrected": EventCorrected,
    "event.voided": EventVoided,
}


def parse_message(
    raw: bytes,
    limits: Limits | None = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> TelephonyEvent:
    """Validate one raw telephony message, or raise InvalidTelephonyEvent saying why.

    `limits` adds the plausibility bounds (adapters/telephony/bounds.py) at the time
    `now`; None skips them, for re-reading the archive, whose events were accepted under
    the limits of their day. The doors use `validate`, the same check in its fast form.
    """
    event = _parse_message(raw)
    if limits is not None:
        check_bounds(to_archive_dict(event), limits, now)
    return event


def validate(raw: bytes, bounds: Bounds) -> dict[str, Any]:
    """The one validation of both doors (Kafka and HTTP): the event as an archive dict,
    or InvalidTelephonyEvent."""
    event = to_archive_dict(_parse_message(raw))
    bounds.check(event)
    return event


def _parse_message(raw: bytes) -> TelephonyEvent:
    if len(raw) <= MAX_MESSAGE_BYTES and b"NaN" not in raw and b"Infinity" not in raw:
        # The hot path: pydantic parses and validates the bytes in one pass. Anything it
        # refuses takes the slow path below, which also finds the words for the reason.
        try:
            return TELEPHONY_EVENT_ADAPTER.validate_json(raw)
        except ValidationError:
            pass
    return parse_object(_json_value(raw), limits=None)


def parse_object(
    obj: Any, limits: Limits | None = DEFAULT_LIMITS, now: datetime | None = None
) -> TelephonyEvent:
    """Validate one already-decoded JSON value (e.g. one element of an HTTP batch)."""
    if not isinstance(obj, dict):
        _reject(f"message: not a JSON object (got {_json_kind(obj)})")
    model = _model_for(obj.get("type", _MISSING))
    try:
        event: TelephonyEvent = model.model_validate(obj)  # type: ignore[assignment]
    except ValidationError as error:
        raise InvalidTelephonyEvent(_reasons(error.errors())) from None
    if limits is not None:
        check_bounds(to_archive_dict(event), limits, now)
    return event


def to_archive_dict(event: TelephonyEvent) -> dict[str, Any]:
    """The event as a JSON-ready dict, occurred_at normalised to UTC ISO 8601."""
    data = event.model_dump()
    data["occurred_at"] = event.occurred_at.astimezone(UTC).isoformat()
    if isinstance(event, EventCorrected):
        data["event"]["occurred_at"] = event.event.occurred_at.astimezone(UTC).isoformat()
    return data


def _reject(reason: str) -> NoReturn:
    raise InvalidTelephonyEvent(reason)


def _json_value(raw: bytes) -> Any:
    # The size check comes first so that a huge message costs no decoding at all.
    if len(raw) > MAX_MESSAGE_BYTES:
        _reject(f"message: too big ({len(raw)} bytes, limit {MAX_MESSAGE_BYTES})")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        _reject("message: not valid UTF-8")
    try:
        return _DECODER.decode(text)
    except ValueError as error:
        _reject(f"message: not valid JSON ({_first_line(error)})")
    except RecursionError:
        _reject("message: not valid JSON (nested too deeply)")


def _no_constant(name: str) -> NoReturn:
    # NaN and Infinity are not JSON, although Python's parser accepts them by default.
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def _model_for(kind: object) -> type[_Event]:
    if kind is _MISSING:
        _reject("type: required")
    if not isinstance(kind, str):
        _reject("type: must be a string")
    model = _MODELS.get(kind)
    if model is None:
        _reject(f"type: unknown event type {kind[:60]!r}")
    return model


def _reasons(errors: list[ErrorDetails]) -> str:
    # Every problem is named: a model has a dozen fields at most, so the line stays short.
    reasons = [_reason(error) for error in errors]
    if any(reason.startswith("corrects:") for reason in reasons):
        # The body's id is the one in `corrects`: its problem is said once, there.
        reasons = [reason for reason in reasons if not reason.startswith("event.event_id:")]
    return "; ".join(reasons)


def _reason(error: ErrorDetails) -> str:
    loc = list(error["loc"])
    if len(loc) > 1 and loc[0] == "event" and loc[1] in _MODELS:
        del loc[1]  # a correction's body: the union's tag is the body's type, said already
    if error["type"] == "body_id":
        loc = ["event", "event_id"]
    field = ".".join(str(part) for part in loc) or "message"
    return f"{field}: {_problem(field.removeprefix('event.'), error)}"


def _problem(field: str, error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required"
    if kind == "body_id":
        return "must be the corrected event's id (corrects), or left out"
    if kind in ("string_too_short", "string_too_long") and field == "reason":
        return f"must be 1 to {MAX_REASON_LENGTH} characters"
    if kind == "union_tag_invalid" and field == "event":
        return "type: must be one of call.completed, survey.completed, qa.evaluated, agent.interval"
    if kind == "union_tag_not_found" and field == "event":
        return "type: required"
    if kind in ("greater_than_equal", "less_than_equal") and field in _RANGES:
        low, high = _RANGES[field]
        return f"must be between {low} and {high}"
    if kind == "greater_than_equal":
        return f"must be >= {_number(error.get('ctx', {}).get('ge'))}"
    if kind == "string_pattern_mismatch" and field in ("event_id", "corrects", "voids"):
        return "must be a UUID (8-4-4-4-12 hex digits)"
    return _PROBLEMS.get(kind) or error["msg"]


_PROBLEMS = {
    "bool_type": "must be a JSON boolean (true or false)",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be a string",
}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _json_kind(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:120]
