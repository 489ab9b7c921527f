"""KPI math: buckets, additive sums, KPIs exactly as DESIGN.md defines them, late events."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from aggregates.kpis import KPI_NAMES
from projections.kpi import (
    BUCKET_KINDS,
    PlacementIndex,
    Sums,
    SumsBatch,
    SumsKey,
    add_into,
    bucket_starts,
    day_start,
    empty_sums,
    fold,
    increments,
    interval_start,
    is_empty,
    kpis,
    month_start,
    move,
    placement,
    week_start,
)

CALL_TIME = "2026-10-05T07:14:03+00:00"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _call(
    call_id: str = "c-1", agent: str = "agent-1", at: str = CALL_TIME, **fields: Any
) -> dict[str, Any]:
    event = {
        "event_id": f"e-{call_id}-{agent}",
        "type": "call.completed",
        "agent_id": agent,
        "team_id": "team-north",
        "occurred_at": at,
        "schema_version": 1,
        "call_id": call_id,
        "talk_seconds": 212.4,
        "hold_seconds": 31.0,
        "acw_seconds": 45.5,
        "transferred": False,
        "resolved_first_contact": True,
    }
    return {**event, **fields}


SURVEY_TIME, QA_TIME = "2026-10-07T11:00:00+00:00", "2026-10-09T15:30:00+00:00"


def _survey(csat: int = 4, call_id: str = "c-1", at: str = SURVEY_TIME) -> dict[str, Any]:
    return {
        "event_id": f"s-{call_id}-{csat}",
        "type": "survey.completed",
        "agent_id": "agent-1",
        "team_id": "team-north",
        "occurred_at": at,
        "schema_version": 1,
        "call_id": call_id,
        "csat": csat,
    }


def _qa(score: float, call_id: str = "c-1", at: str = QA_TIME) -> dict[str, Any]:
    return {
        "event_id": f"q-{call_id}-{score}",
        "type": "qa.evaluated",
        "agent_id": "agent-1",
        "team_id": "team-north",
        "occurred_at": at,
        "schema_version": 1,
        "call_id": call_id,
        "qa_score": score,
        "evaluator_id": "qa-lead-2",
    }


def _interval(at: str = "2026-10-05T07:00:00+00:00") -> dict[str, Any]:
    return {
        "event_id": f"i-{at}",
        "type": "agent.interval",
        "agent_id": "agent-1",
        "team_id": "team-north",
        "occurred_at": at,
        "schema_version": 1,
        "interval_seconds": 900,
        "scheduled_seconds": 900,
        "adherent_seconds": 810,
        "available_seconds": 780,
        "handling_seconds": 600,
    }


def _key(kind: str, at: str, scope: str = "agent", scope_id: str = "agent-1") -> SumsKey:
    starts = dict(zip(BUCKET_KINDS, bucket_starts(_utc(at)), strict=True))
    return scope, scope_id, kind, starts[kind]


def _row(totals: dict[SumsKey, Sums], key: SumsKey) -> dict[str, Any]:
    return kpis(totals.get(key, empty_sums()))


# --- buckets ----------------------------------------------------------------------------


def test_interval_start_is_the_utc_quarter_hour() -> None:
    seven_utc = datetime(2026, 10, 5, 7, 0, tzinfo=UTC)
    assert interval_start(_utc("2026-10-05T09:14:03+02:00")) == seven_utc
    assert interval_start(_utc("2026-10-05T07:15:00Z")) == datetime(2026, 10, 5, 7, 15, tzinfo=UTC)


def test_day_follows_utc_not_the_senders_offset() -> None:
    evening_in_chicago = datetime(2026, 10, 5, 23, 58, 10, tzinfo=timezone(timedelta(hours=-5)))
    assert day_start(evening_in_chicago) == datetime(2026, 10, 6, tzinfo=UTC)


def test_week_starts_on_monday_midnight_utc() -> None:
    sunday_night = datetime(2026, 10, 11, 23, 59, tzinfo=UTC)
    assert week_start(sunday_night) == datetime(2026, 10, 5, tzinfo=UTC)
    assert week_start(datetime(2026, 10, 12, tzinfo=UTC)) == datetime(2026, 10, 12, tzinfo=UTC)


def test_iso_week_spans_a_year_boundary() -> None:
    assert week_start(datetime(2026, 1, 1, 12, tzinfo=UTC)) == datetime(2025, 12, 29, tzinfo=UTC)


def test_month_starts_on_the_first_at_midnight_utc() -> None:
    end_of_february = datetime(2026, 2, 28, 23, 59, tzinfo=UTC)
    assert month_start(end_of_february) == datetime(2026, 2, 1, tzinfo=UTC)
    assert month_start(_utc("2026-10-31T22:00:00-05:00")) == datetime(2026, 11, 1, tzinfo=UTC)


def test_naive_datetimes_have_no_bucket() -> None:
    with pytest.raises(ValueError, match="naive"):
        interval_start(datetime(2026, 10, 5, 7, 0))


# --- increments and KPIs ----------------------------------------------------------------


def test_an_event_counts_in_four_buckets_for_its_agent_and_four_for_its_team() -> None:
    keys = [key for key, _ in increments(_call())]
    assert sorted((scope, kind) for scope, _, kind, _ in keys) == sorted(
        itertools.product(("agent", "team"), BUCKET_KINDS)
    )
    assert {scope_id for _, scope_id, _, _ in keys} == {"agent-1", "team-north"}


def test_durations_are_summed_in_whole_milliseconds() -> None:
    (_, change), *_ = increments(_call())
    assert change["handle_ms"] == 288_900
    assert change["hold_ms"] == 31_000


def test_kpis_of_a_record_with_no_data_are_all_none() -> None:
    assert kpis(empty_sums()) == dict.fromkeys(KPI_NAMES)


def test_a_kpi_without_a_denominator_is_none_not_zero() -> None:
    row = _row(fold([_interval()]), _key("day", CALL_TIME))
    assert row["calls_handled"] == 0
    assert row["aht_seconds"] is None
    assert row["fcr_rate"] is None
    assert row["csat_avg"] is None
    assert row["qa_avg"] is None
    assert row["adherence_rate"] == 0.9
    assert row["occupancy_rate"] == 600 / 780


def test_call_kpis_follow_the_definitions() -> None:
    calls = [
        _call("c-1"),
        _call(
            "c-2",
            talk_seconds=95.0,
            hold_seconds=0.0,
            acw_seconds=20.0,
            transferred=True,
            resolved_first_contact=None,
        ),
        _call(
            "c-3",
            talk_seconds=100.0,
            hold_seconds=10.0,
            acw_seconds=30.0,
            resolved_first_contact=False,
        ),
    ]
    row = _row(fold(calls), _key("interval", CALL_TIME))
    assert row["calls_handled"] == 3
    # The correctly rounded quotient of exact sums, not a float sum's rounding errors.
    assert row["aht_seconds"] == 543_900 / 3_000
    assert row["avg_hold_seconds"] == 41 / 3
    assert row["fcr_rate"] == 0.5  # the call with unknown resolution is left out
    assert row["transfer_rate"] == 1 / 3


def test_csat_average_and_top2_rate_count_every_survey() -> None:
    events = [_call()] + [_survey(csat) for csat in (5, 4, 3, 1)]
    row = _row(fold(events), _key("day", CALL_TIME))
    assert row["csat_avg"] == 13 / 4
    assert row["csat_top2_rate"] == 0.5


def test_qa_average_is_exact_for_fractional_scores() -> None:
    row = _row(fold([_call(), _qa(86.5), _qa(90.25)]), _key("day", CALL_TIME))
    assert row["qa_avg"] == 88.375


def test_team_kpis_come_from_team_sums_not_averages_of_agent_averages() -> None:
    short = [_call("c-1", agent="agent-1", talk_seconds=100.0, hold_seconds=0.0, acw_seconds=0.0)]
    long = [
        _call(f"c-{n}", agent="agent-2", talk_seconds=300.0, hold_seconds=0.0, acw_seconds=0.0)
        for n in range(3)
    ]
    totals = fold(short + long)
    assert _row(totals, _key("day", CALL_TIME))["aht_seconds"] == 100.0
    assert _row(totals, _key("day", CALL_TIME, "agent", "agent-2"))["aht_seconds"] == 300.0
    team = _row(totals, _key("day", CALL_TIME, "team", "team-north"))
    assert team["aht_seconds"] == 250.0  # (100 + 900) / 4, not (100 + 300) / 2
    assert team["calls_handled"] == 4


def test_add_into_merges_increments_of_the_same_record() -> None:
    totals: dict[SumsKey, Sums] = {}
    add_into(totals, increments(_call("c-1")) + increments(_call("c-2")))
    assert len(totals) == 8
    assert all(record["calls"] == 2 for record in totals.values())


def test_archive_and_datetime_forms_of_occurred_at_count_alike() -> None:
    as_datetime = {**_call(), "occurred_at": _utc(CALL_TIME)}
    assert increments(as_datetime) == increments(_call())


# --- late and out-of-order events -------------------------------------------------------


def test_placement_is_the_call_time_for_surveys_and_qa_scores() -> None:
    call_time = _utc(CALL_TIME)
    assert placement(_survey(), call_time) == call_time
    assert placement(_qa(80), call_time) == call_time
    assert placement(_survey(), None) == _utc(SURVEY_TIME)


def test_placement_of_calls_and_intervals_is_their_own_time() -> None:
    other = _utc("2026-10-01T00:00:00+00:00")
    assert placement(_call(), other) == _utc(CALL_TIME)
    assert placement(_interval(), other) == _utc("2026-10-05T07:00:00+00:00")


def test_survey_arriving_after_its_call_counts_in_the_call_bucket() -> None:
    totals = fold([_call(), _survey(5)])
    assert _row(totals, _key("interval", CALL_TIME))["csat_avg"] == 5.0
    assert _key("day", SURVEY_TIME) not in totals


def test_survey_arriving_before_its_call_moves_to_the_call_bucket() -> None:
    index, totals = PlacementIndex(), dict[SumsKey, Sums]()
    add_into(totals, index.apply(_survey(5)))
    own_day = _key("day", SURVEY_TIME)
    assert _row(totals, own_day)["csat_avg"] == 5.0

    add_into(totals, index.apply(_call()))
    assert _row(totals, _key("day", CALL_TIME))["csat_avg"] == 5.0
    assert is_empty(totals[own_day])  # moved out: the record holds no data, no row
    assert _row(totals, own_day) == dict.fromkeys(KPI_NAMES)


def test_survey_whose_call_never_arrives_counts_in_its_own_bucket() -> None:
    totals = fold([_survey(2, call_id="c-missing")])
    assert _row(totals, _key("day", SURVEY_TIME))["csat_avg"] == 2.0


def test_qa_score_arriving_before_its_call_moves_like_a_survey() -> None:
    totals = fold([_qa(70), _call()])
    assert _row(totals, _key("interval", CALL_TIME))["qa_avg"] == 70.0
    assert _key("day", QA_TIME) not in totals


def test_a_survey_of_another_agents_call_counts_for_that_agent_whatever_the_order() -> None:
    other_agents_leg = _call(agent="agent-2", at="2026-10-04T10:00:00+00:00")
    other_agents_leg["team_id"] = "team-south"
    for events in ([other_agents_leg, _survey(5)], [_survey(5), other_agents_leg]):
        totals = fold(events)
        assert _key("day", SURVEY_TIME) not in totals  # agent-1 rated, but never took the call
        assert ("team", "team-north", "day", _key("day", SURVEY_TIME)[3]) not in totals
        assert (
            _row(totals, _key("day", "2026-10-04T10:00:00+00:00", scope_id="agent-2"))["csat_avg"]
            == 5.0
        )
        assert (
            _row(totals, _key("day", "2026-10-04T10:00:00+00:00", "team", "team-south"))["csat_avg"]
            == 5.0
        )


def test_a_survey_of_a_transferred_call_counts_for_the_named_leg_else_the_last_leg() -> None:
    first = _call(agent="agent-2", at="2026-10-04T10:00:00+00:00")
    last = _call(agent="agent-3", at="2026-10-04T10:20:00+00:00")
    own = _call(agent="agent-1", at="2026-10-04T09:50:00+00:00")
    last_day = _key("day", "2026-10-04T10:20:00+00:00", scope_id="agent-3")
    for events in ([first, _survey(4), last], [last, first, _survey(4)], [_survey(4), last, first]):
        assert fold(events)[last_day]["csat_count"] == 1
    for events in (
        [first, _survey(4), last, own],
        [own, _survey(4), first],
        [_survey(4), last, own],
    ):
        totals = fold(events)
        assert totals[_key("day", "2026-10-04T09:50:00+00:00")]["csat_count"] == 1
        assert totals.get(last_day, {"csat_count": 0})["csat_count"] == 0


def test_move_leaves_buckets_both_times_share_alone() -> None:
    survey = _survey(5, at="2026-10-05T18:00:00+00:00")
    moves = move(survey, _utc("2026-10-05T18:00:00+00:00"), _utc(CALL_TIME))
    assert {key[2] for key, _ in moves} == {"interval"}  # same day, week and month
    assert sorted(change["csat_count"] for _, change in moves) == [-1, -1, 1, 1]


def test_an_earlier_call_with_the_same_key_takes_its_surveys() -> None:
    later, earlier = _call(at="2026-10-06T09:00:00+00:00"), _call(at=CALL_TIME)
    earlier["event_id"] = "e-other"
    totals = fold([later, _survey(3), earlier])
    assert _row(totals, _key("day", CALL_TIME))["csat_avg"] == 3.0
    assert totals[_key("day", "2026-10-06T09:00:00+00:00")]["csat_count"] == 0
    assert totals[_key("day", "2026-10-06T09:00:00+00:00")]["calls"] == 1


def test_arrival_order_changes_no_sum() -> None:
    events = [
        _call(talk_seconds=0.1, hold_seconds=0.2, acw_seconds=0.3),
        _call("c-2", at="2026-10-06T01:00:00+00:00"),
        _survey(4),
        _qa(86.7),
        _survey(1, call_id="c-2"),
        _interval(),
    ]
    expected = fold(events)
    for order in itertools.islice(itertools.permutations(events), 0, None, 7):
        assert fold(order) == expected


def test_kpis_are_identical_whatever_the_order_of_many_fractional_events() -> None:
    rng = random.Random(3)
    events = [
        _call(
            f"c-{n}",
            at=f"2026-10-05T07:{n % 60:02d}:00+00:00",
            talk_seconds=round(rng.uniform(10, 500), 1),
            hold_seconds=round(rng.random(), 3),
            acw_seconds=round(rng.uniform(0, 60), 1),
        )
        for n in range(200)
    ] + [_qa(round(rng.uniform(0, 100), 2), call_id=f"c-{n}") for n in range(0, 200, 3)]
    shuffled = events[:]
    rng.shuffle(shuffled)
    first, second = fold(events), fold(shuffled)
    assert {key: kpis(sums) for key, sums in first.items()} == {
        key: kpis(sums) for key, sums in second.items()
    }


def test_placing_a_call_reports_the_moves_of_surveys_that_came_first() -> None:
    index, survey, call = PlacementIndex(), _survey(5), _call()
    assert index.place(survey) == [(survey, _utc(SURVEY_TIME), 1)]
    assert index.place(call) == [
        (call, _utc(CALL_TIME), 1),
        (survey, _utc(SURVEY_TIME), -1),
        (survey, _utc(CALL_TIME), 1),
    ]


# --- batches ----------------------------------------------------------------------------


def _scenario() -> list[dict[str, Any]]:
    return [
        _survey(5),
        _qa(77.5),
        _interval(),
        _call(),
        _call("c-2", agent="agent-2", at="2026-10-05T07:20:00+00:00"),
        _call("c-3", at="2026-10-12T00:05:00+00:00"),
        _survey(2, call_id="c-3"),
        _survey(3, call_id="c-never", at="2026-11-01T08:00:00+00:00"),
    ]


def test_a_batch_gives_the_same_records_as_increments() -> None:
    index, batch = PlacementIndex(), SumsBatch()
    expected: dict[SumsKey, Sums] = {}
    for event in _scenario():
        placed = index.place(event)
        batch.add_placed(placed)
        for placed_event, at, sign in placed:
            add_into(
                expected,
                [
                    (key, {name: sign * amount for name, amount in change.items()})
                    for key, change in increments(placed_event, at)
                ],
            )
    assert batch.records() == expected


def test_polls_added_one_after_another_equal_one_fold() -> None:
    index, stored = PlacementIndex(), dict[SumsKey, Sums]()
    events = _scenario()
    for poll in (events[:3], events[3:5], events[5:]):
        batch = SumsBatch()
        for event in poll:
            batch.add_placed(index.place(event))
        add_into(stored, batch.records().items())
    assert {key: sums for key, sums in stored.items() if not is_empty(sums)} == fold(events)


def test_whose_call_a_survey_counts_for_does_not_depend_on_arrival_order() -> None:
    from itertools import permutations

    legs = [
        _call(agent=agent, at=at)
        for agent, at in (
            ("agent-2", "2026-10-04T10:00:00+00:00"),
            ("agent-3", "2026-10-04T10:00:00+00:00"),
            ("agent-4", "2026-10-04T09:00:00+00:00"),
        )
    ]
    legs[1]["team_id"] = "team-south"
    events = [*legs, _survey(5), _qa(80.0)]
    results = {
        json.dumps(sorted((str(k), v) for k, v in fold(list(order)).items()))
        for order in permutations(events)
    }
    assert len(results) == 1
    # a tie on the call time goes to the greatest agent id, with its leg's team
    totals = fold(events)
    assert totals[_key("day", "2026-10-04T10:00:00+00:00", "team", "team-south")]["csat_count"] == 1
