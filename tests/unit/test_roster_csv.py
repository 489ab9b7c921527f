"""Reading roster files: every problem named by file, line and column, none skipped."""

from __future__ import annotations

from datetime import date

import pytest

from engine.roster_csv import (
    PEOPLE_COLUMNS,
    TEAM_COLUMNS,
    Problem,
    parse_people,
    parse_teams,
    write_csv,
)
from tests.support import example_roster

LIMIT = 1_000_000
TEAMS = "team_id,name,site,time_zone\n"
PEOPLE = "person_id,display_name,email,role,team_id,manages,effective_from\n"


def where(problems: list[Problem]) -> list[tuple[str, int | None, str | None]]:
    return [(p.file, p.line, p.column) for p in problems]


def test_the_example_roster_reads_without_a_problem() -> None:
    teams, people = example_roster()
    parsed_teams = parse_teams(teams.encode(), LIMIT)
    parsed_people = parse_people(people.encode(), LIMIT)
    assert parsed_teams.problems == parsed_people.problems == []
    assert [row.team_id for _, row in parsed_teams.rows] == [
        "team-01",
        "team-02",
        "team-03",
        "team-04",
    ]
    moves = [row for _, row in parsed_people.rows if row.person_id == "agent-0005"]
    assert [(r.team_id, r.effective_from) for r in moves] == [
        ("team-01", date(2026, 1, 1)),
        ("team-02", date(2026, 11, 16)),
    ]
    dirk = next(row for _, row in parsed_people.rows if row.person_id == "dirk")
    assert dirk.manages == ("team-03", "team-04") and dirk.team_id is None


def test_unknown_missing_and_repeated_columns_are_refused_by_name() -> None:
    parsed = parse_teams(b"team_id,name,name,zone,extra\n", LIMIT)
    assert sorted(where(parsed.problems)) == [
        ("teams.csv", 1, "extra"),
        ("teams.csv", 1, "name"),
        ("teams.csv", 1, "site"),
        ("teams.csv", 1, "time_zone"),
        ("teams.csv", 1, "zone"),
    ]
    messages = {p.column: p.message for p in parsed.problems}
    assert messages["extra"].startswith("unknown column")
    assert messages["site"].startswith("missing column")
    assert messages["name"] == "the column appears more than once"
    assert parsed.rows == []


def test_columns_may_come_in_another_order() -> None:
    parsed = parse_teams(b"site,time_zone,team_id,name\nbj,Asia/Shanghai,t1,Team\n", LIMIT)
    assert parsed.problems == []
    assert parsed.rows[0][1].site == "bj"


def test_every_bad_line_is_listed_with_its_line_and_column() -> None:
    text = (
        PEOPLE
        + "a1,Ann,ann@example.com,agent,t1,,2026-01-01\n"  # line 2: fine
        + "a2,Bo,not-an-email,agent,t1,,2026-01-01\n"  # 3: email
        + "a3,Cy,cy@example.com,agnet,t1,,2026-01-01\n"  # 4: role
        + "a4,Di,di@example.com,agent,t1,,01/02/2026\n"  # 5: effective_from
        + "a5,Ed,ed@example.com,agent,,,\n"  # 6: agent without team
        + "a6,Fy,fy@example.com,agent,t1,,\n"  # 7: team without date
        + "a7,Gu,gu@example.com,agent,t1,t2,2026-01-01\n"  # 8: agents manage nothing
        + "a8,,ha@example.com,manager,,,\n"  # 9: display_name empty
        + "a9,Io,io@example.com,manager,,,2026-02-30\n"  # 10: no such date
        + "a10,Jo\n"  # 11: field count
    )
    parsed = parse_people(text.encode(), LIMIT)
    assert where(parsed.problems) == [
        ("people.csv", 3, "email"),
        ("people.csv", 4, "role"),
        ("people.csv", 5, "effective_from"),
        ("people.csv", 6, "team_id"),
        ("people.csv", 7, "effective_from"),
        ("people.csv", 8, "manages"),
        ("people.csv", 9, "display_name"),
        ("people.csv", 10, "effective_from"),
        ("people.csv", 11, None),
    ]
    assert [row.person_id for _, row in parsed.rows] == ["a1"]


def test_line_numbers_count_blank_lines_and_quoted_line_breaks() -> None:
    text = TEAMS + '\n"t1",Team,bj,Asia/Shanghai\n"t2","Two\nlines",bj,Nowhere/Zone\n'
    parsed = parse_teams(text.encode(), LIMIT)
    assert parsed.rows[0][0] == 3
    assert where(parsed.problems) == [("teams.csv", 4, "name"), ("teams.csv", 4, "time_zone")]


@pytest.mark.parametrize(
    ("value", "column"),
    [
        ("t 1 ,Team,bj,UTC", "team_id"),  # surrounding spaces
        ("t;1,Team,bj,UTC", "team_id"),  # ';' separates the teams of `manages`
        ("t\x01,Team,bj,UTC", "team_id"),  # unprintable
        ("t1,Team,,UTC", "site"),
        ("t1,Team,bj,+08:00", "time_zone"),
        ("t1,Team,bj,localtime", "time_zone"),
        ("t1,Team,bj,asia/shanghai", "time_zone"),
        ("x" * 200 + ",Team,bj,UTC", "team_id"),
    ],
)
def test_ids_and_zones_of_the_wrong_shape_are_refused(value: str, column: str) -> None:
    parsed = parse_teams((TEAMS + value + "\n").encode(), LIMIT)
    assert where(parsed.problems) == [("teams.csv", 2, column)]


def test_a_file_that_is_not_csv_stops_with_the_line_it_broke_on() -> None:
    parsed = parse_teams((TEAMS + 't1,Team,bj,UTC\nt2,"unterminated,bj,UTC\n').encode(), LIMIT)
    assert [(p.line, p.message.startswith("not valid CSV")) for p in parsed.problems] == [(3, True)]


def test_a_file_that_is_not_utf8_is_refused_naming_the_line() -> None:
    parsed = parse_people(PEOPLE.encode() + b"a1,J\xf6rg,j@example.com,admin,,,\n", LIMIT)
    assert where(parsed.problems) == [("people.csv", 2, None)]
    assert "UTF-8" in parsed.problems[0].message


def test_an_oversized_file_is_refused_whole_with_the_limit_named() -> None:
    data = (TEAMS + "t1,Team,bj,UTC\n" * 100).encode()
    parsed = parse_teams(data, 1024)
    assert where(parsed.problems) == [("teams.csv", None, None)]
    assert "PERFLEDGER_ROSTER_MAX_BYTES" in parsed.problems[0].message
    assert parsed.rows == []


def test_an_empty_file_names_the_header_it_needs() -> None:
    parsed = parse_teams(b"", LIMIT)
    assert where(parsed.problems) == [("teams.csv", 1, None)]
    assert ",".join(TEAM_COLUMNS) in parsed.problems[0].message


def test_a_byte_order_mark_is_not_part_of_the_first_column() -> None:
    parsed = parse_teams(b"\xef\xbb\xbf" + (TEAMS + "t1,Team,bj,UTC\n").encode(), LIMIT)
    assert parsed.problems == []


def test_the_file_name_given_is_the_one_problems_name() -> None:
    parsed = parse_teams(b"nope\n", LIMIT, file="upload-7.csv")
    assert {p.file for p in parsed.problems} == {"upload-7.csv"}
    assert str(parsed.problems[0]).startswith("upload-7.csv:1: nope: unknown column")


def test_written_csv_reads_back_as_the_same_rows() -> None:
    rows = [["p1", 'Ann "The" Lee, Jr.', "ann@example.com", "manager", "", "t1;t2", ""]]
    parsed = parse_people(write_csv(PEOPLE_COLUMNS, rows).encode(), LIMIT)
    assert parsed.problems == []
    row = parsed.rows[0][1]
    assert (row.display_name, row.manages) == ('Ann "The" Lee, Jr.', ("t1", "t2"))


def test_a_line_lists_its_column_problems_and_its_rule_problems_together() -> None:
    parsed = parse_people((PEOPLE + "a1,Ann,not-an-email,agent,,t1,\n").encode(), LIMIT)
    assert [(p.column, p.message) for p in parsed.problems] == [
        ("email", "'not-an-email' is not a plausible e-mail address"),
        ("team_id", "an agent needs a team"),
        ("manages", "only managers and directors manage teams (the role is agent)"),
    ]
    # A rule about a column already refused says nothing more about it.
    parsed = parse_people((PEOPLE + "a1,Ann,a@example.com,agent, t1,,\n").encode(), LIMIT)
    assert [p.column for p in parsed.problems] == ["team_id"]
