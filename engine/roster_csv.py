"""Roster files: teams.csv and people.csv read into validated rows, every problem named by file,
line and column; and written back in the same format.

teams.csv has the header `team_id,name,site,time_zone`; people.csv
`person_id,display_name,email,role,team_id,manages,effective_from`. Columns may come in any
order, but a missing, unknown or repeated column is refused by name. Reading goes on after a
bad line, so one pass lists every problem; only a file that cannot be read as CSV at all
(not UTF-8, broken quoting) stops at the first.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from aggregates.errors import InvalidValue
from aggregates.roster import MANAGING_ROLES, is_zone

TEAM_COLUMNS = ("team_id", "name", "site", "time_zone")
PEOPLE_COLUMNS = (
    "person_id",
    "display_name",
    "email",
    "role",
    "team_id",
    "manages",
    "effective_from",
)
MAX_ID = 128
MAX_NAME = 200
MAX_EMAIL = 254
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Problem:
    """What is wrong where: file, line (1 is the header; None: the whole file), column."""

    file: str
    line: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


class RosterProblems(InvalidValue):
    """Roster files with problems: nothing was applied (422, every problem listed)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"the roster files have {len(problems)} problem(s); nothing was applied",
            field="roster",
        )
        self.problems = problems


def roster_id(value: str) -> str:
    """A person, team or site id: printable, no surrounding spaces, no ';'."""
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_ID:
        raise ValueError(f"must be at most {MAX_ID} characters")
    if not value.isprintable() or value != value.strip():
        raise ValueError("must be printable, without surrounding spaces")
    if ";" in value:
        raise ValueError("must not contain ';' (it separates the teams of `manages`)")
    return value


def name(value: str) -> str:
    """A display name or team name: printable, not blank."""
    if not value.strip():
        raise ValueError("must not be empty")
    if len(value) > MAX_NAME:
        raise ValueError(f"must be at most {MAX_NAME} characters")
    if not value.isprintable():
        raise ValueError("must be printable")
    return value


def email(value: str) -> str:
    """A plausible e-mail address (someone@somewhere.tld)."""
    if len(value) > MAX_EMAIL or not EMAIL.fullmatch(value) or not value.isprintable():
        raise ValueError(f"{value!r} is not a plausible e-mail address")
    return value


def time_zone(value: str) -> str:
    """An IANA time zone name."""
    if not is_zone(value):
        raise ValueError(f"{value!r} is not an IANA time zone name (such as Europe/Berlin)")
    return value


def optional(value: Any) -> Any:
    """An empty cell as None."""
    return None if value == "" else value


def iso_date(value: Any) -> Any:
    """YYYY-MM-DD as a date (nothing else: no timestamps, no other formats)."""
    if value is None or isinstance(value, date):
        return value
    if not ISO_DATE.fullmatch(str(value)):
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date of the calendar") from None


def team_list(value: Any) -> Any:
    """`manages`: team ids separated by ';'."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";")) if value.strip() else ()
    return value


RosterId = Annotated[str, AfterValidator(roster_id)]
Name = Annotated[str, AfterValidator(name)]


class TeamRow(BaseModel):
    """One line of teams.csv."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    team_id: RosterId
    name: Name
    site: RosterId
    time_zone: Annotated[str, AfterValidator(time_zone)]


class PersonRow(BaseModel):
    """One line of people.csv: a person's details, and their team from a date on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: RosterId
    display_name: Name
    email: Annotated[str, AfterValidator(email)]
    role: Literal["agent", "manager", "director", "auditor", "admin"]
    team_id: Annotated[RosterId | None, BeforeValidator(optional)]
    manages: Annotated[tuple[RosterId, ...], BeforeValidator(team_list)]
    effective_from: Annotated[date | None, BeforeValidator(iso_date), BeforeValidator(optional)]

    def details(self) -> tuple[str, str, str, tuple[str, ...]]:
        """What every line of the same person must agree on."""
        return (self.display_name, self.email, self.role, self.manages)


def person_rules(values: dict[str, str], failed: set[str]) -> Iterator[tuple[str, str]]:
    """Rules across the columns of one people.csv line, on its text: (column, what is wrong).

    They run whether or not the columns' own checks passed, so a line lists every problem it
    has; a rule that involves a column already refused (`failed`) is left out.
    """
    role, team, day = values["role"], values["team_id"], values["effective_from"]
    manages = values["manages"].strip()

    def usable(*columns: str) -> bool:
        return not failed.intersection(columns)

    if role == "agent" and not team and usable("role", "team_id"):
        yield "team_id", "an agent needs a team"
    if team and not day and usable("team_id", "effective_from"):
        yield "effective_from", "needed with a team_id: the date the person joins the team"
    if not team and day and usable("team_id", "effective_from"):
        yield "effective_from", "only for a line with a team_id"
    if manages and role not in MANAGING_ROLES and usable("role", "manages"):
        yield "manages", f"only managers and directors manage teams (the role is {role})"


Row = TypeVar("Row", bound=BaseModel)


@dataclass
class Parsed(Generic[Row]):
    """The valid rows of a file by line number, and the problems found."""

    rows: list[tuple[int, Row]]
    problems: list[Problem]


def decode(file: str, data: bytes, max_bytes: int) -> tuple[str | None, list[Problem]]:
    """The text of an uploaded file, or the problem that keeps it from being read."""
    if len(data) > max_bytes:
        return None, [
            Problem(
                file,
                None,
                None,
                f"the file is larger than {max_bytes} bytes, the most an import accepts "
                "(PERFLEDGER_ROSTER_MAX_BYTES)",
            )
        ]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return None, [Problem(file, line, None, f"not UTF-8 text (byte {error.start})")]


def parse(
    file: str, data: bytes, columns: tuple[str, ...], model: type[Any], max_bytes: int
) -> Parsed[Any]:
    """The rows of a roster file, validated line by line."""
    text, problems = decode(file, data, max_bytes)
    parsed: Parsed[Any] = Parsed([], problems)
    if text is None:
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = header_of(file, next(reader, None), columns, parsed.problems)
        if header is None:
            return parsed
        last = reader.line_num
        for fields in reader:
            line, last = last + 1, reader.line_num
            if not fields or fields == [""]:
                continue
            row = validate_line(file, line, header, fields, model, parsed.problems)
            if row is not None:
                parsed.rows.append((line, row))
    except csv.Error as error:
        parsed.problems.append(Problem(file, reader.line_num, None, f"not valid CSV: {error}"))
    return parsed


def header_of(
    file: str, fields: list[str] | None, columns: tuple[str, ...], problems: list[Problem]
) -> list[str] | None:
    """The header's column names, or None (with the problems) when it is not the expected one."""
    expected = ",".join(columns)
    if not fields or fields == [""]:
        problems.append(Problem(file, 1, None, f"the file is empty; its header must be {expected}"))
        return None
    found = len(problems)
    for column in sorted({c for c in fields if fields.count(c) > 1}):
        problems.append(Problem(file, 1, column, "the column appears more than once"))
    for column in [c for c in fields if c not in columns]:
        problems.append(Problem(file, 1, column, f"unknown column; the header is {expected}"))
    for column in [c for c in columns if c not in fields]:
        problems.append(Problem(file, 1, column, f"missing column; the header is {expected}"))
    return fields if len(problems) == found else None


def validate_line(
    file: str,
    line: int,
    header: list[str],
    fields: list[str],
    model: type[Any],
    problems: list[Problem],
) -> Any:
    """The line as a validated row, or None with its problems recorded."""
    if len(fields) != len(header):
        problems.append(
            Problem(file, line, None, f"{len(fields)} fields, but the header has {len(header)}")
        )
        return None
    values = dict(zip(header, fields, strict=True))
    found: list[Problem] = []
    row = None
    try:
        row = model.model_validate(values)
    except ValidationError as error:
        for e in error.errors():
            column = str(e["loc"][0]) if e["loc"] else None
            found.append(Problem(file, line, column, e["msg"].removeprefix("Value error, ")))
    if model is PersonRow:
        failed = {p.column for p in found if p.column}
        found += [Problem(file, line, c, m) for c, m in person_rules(values, failed)]
        found.sort(key=lambda p: PEOPLE_COLUMNS.index(p.column) if p.column else -1)
    problems.extend(found)
    return None if found else row


def parse_teams(data: bytes, max_bytes: int, file: str = "teams.csv") -> Parsed[TeamRow]:
    """The rows of a teams.csv."""
    return parse(file, data, TEAM_COLUMNS, TeamRow, max_bytes)


def parse_people(data: bytes, max_bytes: int, file: str = "people.csv") -> Parsed[PersonRow]:
    """The rows of a people.csv."""
    return parse(file, data, PEOPLE_COLUMNS, PersonRow, max_bytes)


def write_csv(columns: tuple[str, ...], rows: Iterable[Iterable[str]]) -> str:
    """CSV text with the header and the rows (line ends as in the files read: \\n)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()
