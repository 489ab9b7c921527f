"""DevelopmentPlan: objectives and actions to develop one agent over a period, closed with an
outcome."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from aggregates.actors import person
from aggregates.errors import InvalidValue, RuleViolation
from aggregates.ids import new_id
from aggregates.kpis import KPI_NAMES
from aggregates.scoring import DIRECTIONS, is_number

ACTION_KINDS = ("coaching_session", "shadowing", "training", "reading", "other")
ORIGIN_KINDS = ("review", "alert", "manual")
OUTCOMES = ("achieved", "partly_achieved", "not_achieved")
OBJECTIVE_KEYS = ("title", "goal_id", "kpi", "target", "direction")
ACTION_KEYS = ("kind", "description", "owner_id", "due")
MAX_DAYS = 366  # a plan is reviewed at least yearly; a longer one is a new plan
MAX_OBJECTIVES = 20
MAX_ACTIONS = 100
MAX_NOTES = 1000


class DevelopmentPlan(Aggregate):
    """A plan to develop one agent: objectives, actions with owners and due dates, notes."""

    # Random, or derived from an Idempotency-Key so that a retried create is stored once.
    create_id = staticmethod(new_id)

    @event("Started")
    def __init__(
        self,
        *,
        agent_id: str,
        team_id: str,
        period_start: date,
        period_end: date,
        objectives: list[dict[str, Any]],
        actions: list[dict[str, Any]],
        origin: dict[str, Any],
        actor: str,
    ) -> None:
        check_text(agent_id, "agent_id")
        check_text(team_id, "team_id")
        if person(actor) == agent_id:
            raise RuleViolation("nobody starts their own development plan", agent_id=agent_id)
        check_period(period_start, period_end)
        check_origin(origin)
        if not isinstance(objectives, list) or not objectives:
            raise InvalidValue("a plan starts with at least one objective", field="objectives")
        check_count(objectives, MAX_OBJECTIVES, "objectives")
        check_count(actions, MAX_ACTIONS, "actions")
        for index, objective in enumerate(objectives):
            check_objective(objective, f"objectives[{index}]")
        for index, action in enumerate(actions):
            check_action(action, period_start, period_end, f"actions[{index}]")
        self.agent_id = agent_id
        self.team_id = team_id
        self.manager = actor
        self.period_start = period_start
        self.period_end = period_end
        self.origin = dict(origin)
        self.objectives = [dict(o) for o in objectives]
        self.actions = [open_action(a) for a in actions]
        self.notes: list[dict[str, Any]] = []
        self.status = "open"
        self.outcome: str | None = None

    # --- objectives and actions ------------------------------------------------------------

    def add_objective(self, *, objective: dict[str, Any], actor: str) -> None:
        """Adds an objective to the open plan."""
        self.check_open()
        self.check_manager_change(actor, "add objectives")
        check_count([*self.objectives, objective], MAX_OBJECTIVES, "objectives")
        check_objective(objective, "objective")
        self._objective_added(objective=dict(objective), actor=actor)

    @event("ObjectiveAdded")
    def _objective_added(self, objective: dict[str, Any], actor: str) -> None:
        self.objectives.append(dict(objective))

    def add_action(self, *, action: dict[str, Any], actor: str) -> None:
        """Adds an action, due within the plan's period, to the open plan."""
        self.check_open()
        self.check_manager_change(actor, "add actions")
        check_count([*self.actions, action], MAX_ACTIONS, "actions")
        check_action(action, self.period_start, self.period_end, "action")
        self._action_added(action=dict(action), actor=actor)

    @event("ActionAdded")
    def _action_added(self, action: dict[str, Any], actor: str) -> None:
        self.actions.append(open_action(action))

    def complete_action(self, *, index: int, note: str, actor: str) -> None:
        """Marks the open action at ``index`` (0-based) done, with a note."""
        self.check_open()
        self.check_action_index(index)
        self.check_agent_owns(index, actor)
        self.check_action_open(index)
        if not isinstance(note, str):
            raise InvalidValue("note must be text", field="note", plan_id=str(self.id))
        self._action_completed(index=index, note=note, before="open", after="done", actor=actor)

    # The event's own timestamp is passed in as the completion time; None lets the event
    # supply it (eventsourcing requires every keyword-only parameter of a decorated method).
    @event("ActionCompleted")
    def _action_completed(
        self,
        index: int,
        note: str,
        before: str,
        after: str,
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        self.actions[index].update(status=after, note=note, done_by=actor, done_at=timestamp)

    def cancel_action(self, *, index: int, reason: str, actor: str) -> None:
        """Cancels the open action at ``index`` (0-based), saying why."""
        self.check_open()
        self.check_action_index(index)
        self.check_manager_change(actor, "cancel actions")
        self.check_action_open(index)
        check_text(reason, "reason")
        self._action_cancelled(
            index=index, reason=reason, before="open", after="cancelled", actor=actor
        )

    @event("ActionCancelled")
    def _action_cancelled(
        self,
        index: int,
        reason: str,
        before: str,
        after: str,
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        self.actions[index].update(status=after, note=reason, done_by=actor, done_at=timestamp)

    # --- progress and closing --------------------------------------------------------------

    def note_progress(self, *, text: str, check_in_id: str | None, actor: str) -> None:
        """Records a progress note, from a check-in (its id) or directly."""
        self.check_open()
        check_text(text, "text")
        if check_in_id is not None:
            check_text(check_in_id, "check_in_id")
        if len(self.notes) >= MAX_NOTES:
            raise RuleViolation(f"a plan keeps at most {MAX_NOTES} notes", plan_id=str(self.id))
        self._progress_noted(text=text, check_in_id=check_in_id, actor=actor)

    @event("ProgressNoted")
    def _progress_noted(self, text: str, check_in_id: str | None, actor: str) -> None:
        self.notes.append({"text": text, "check_in_id": check_in_id, "actor": actor})

    def close(self, *, outcome: str, summary: str, actor: str) -> None:
        """Closes the plan with its outcome and a summary; nothing changes after."""
        self.check_open()
        self.check_manager_change(actor, "close the plan")
        if outcome not in OUTCOMES:
            raise InvalidValue(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome")
        check_text(summary, "summary")
        self._closed(outcome=outcome, summary=summary, before="open", after="closed", actor=actor)

    @event("Closed")
    def _closed(self, outcome: str, summary: str, before: str, after: str, actor: str) -> None:
        self.status = after
        self.outcome = outcome

    # --- rules -----------------------------------------------------------------------------

    def check_open(self) -> None:
        if self.status != "open":
            raise RuleViolation(
                "the development plan is closed: nothing changes after closing",
                plan_id=str(self.id),
            )

    def check_action_index(self, index: int) -> None:
        if type(index) is not int or not 0 <= index < len(self.actions):
            raise InvalidValue(
                f"no action {index!r} on this plan", field="index", plan_id=str(self.id)
            )

    def check_action_open(self, index: int) -> None:
        status = self.actions[index]["status"]
        if status != "open":
            # Only open -> done and open -> cancelled: a finished action is not reopened.
            raise RuleViolation(
                f"action {index} is {status}: only an open action changes status",
                plan_id=str(self.id),
                index=index,
            )

    def check_manager_change(self, actor: str, what: str) -> None:
        """The agent reads their plan and adds to it, but does not steer it."""
        if person(actor) == self.agent_id:
            raise RuleViolation(f"the agent may not {what} on their own plan", plan_id=str(self.id))

    def check_agent_owns(self, index: int, actor: str) -> None:
        """The agent completes only the actions they own."""
        owner = self.actions[index]["owner_id"]
        if person(actor) == self.agent_id and owner != self.agent_id:
            raise RuleViolation(
                f"action {index} is owned by {owner}, not by the agent",
                plan_id=str(self.id),
                index=index,
            )


def open_action(action: dict[str, Any]) -> dict[str, Any]:
    return {**action, "status": "open", "note": None, "done_by": None, "done_at": None}


def check_period(start: date, end: date) -> None:
    for name, day in (("period_start", start), ("period_end", end)):
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidValue("must be a date", field=name)
    if end <= start:
        raise InvalidValue("period_end must be after period_start", field="period_end")
    if (end - start).days > MAX_DAYS:
        raise InvalidValue(f"a plan spans at most {MAX_DAYS} days", field="period_end")


def check_origin(origin: dict[str, Any]) -> None:
    check_keys(origin, ("kind", "id"), "origin")
    if origin["kind"] not in ORIGIN_KINDS:
        raise InvalidValue(f"kind must be one of {', '.join(ORIGIN_KINDS)}", field="origin.kind")
    if origin["kind"] == "manual":
        if origin["id"] is not None:
            raise InvalidValue("a manual plan names no origin id", field="origin.id")
    else:
        check_text(origin["id"], "origin.id")


def check_objective(objective: dict[str, Any], field: str) -> None:
    check_keys(objective, OBJECTIVE_KEYS, field)
    check_text(objective["title"], f"{field}.title")
    goal_id, kpi, target, direction = (objective[k] for k in OBJECTIVE_KEYS[1:])
    if goal_id is not None and kpi is not None:
        raise InvalidValue("an objective is tied to a goal or a KPI, not both", field=field)
    if goal_id is not None:
        check_text(goal_id, f"{field}.goal_id")
    if kpi is not None and kpi not in KPI_NAMES:
        raise InvalidValue(f"no KPI {kpi!r} in the catalogue", field=f"{field}.kpi")
    if (target is None) != (direction is None):
        raise InvalidValue("a target goes with a direction", field=f"{field}.direction")
    if kpi is not None and target is None:
        raise InvalidValue("an objective on a KPI has a target", field=f"{field}.target")
    if target is not None and not is_number(target):
        raise InvalidValue("target must be a number", field=f"{field}.target")
    if direction is not None and direction not in DIRECTIONS:
        raise InvalidValue(f"direction must be one of {DIRECTIONS}", field=f"{field}.direction")


def check_action(action: dict[str, Any], start: date, end: date, field: str) -> None:
    check_keys(action, ACTION_KEYS, field)
    if action["kind"] not in ACTION_KINDS:
        raise InvalidValue(f"kind must be one of {', '.join(ACTION_KINDS)}", field=f"{field}.kind")
    check_text(action["description"], f"{field}.description")
    check_text(action["owner_id"], f"{field}.owner_id")
    due = action["due"]
    if not isinstance(due, date) or isinstance(due, datetime):
        raise InvalidValue("due must be a date", field=f"{field}.due")
    if not start <= due <= end:
        raise InvalidValue(
            f"due must be within the plan's period {start}..{end}", field=f"{field}.due"
        )


def check_count(items: object, most: int, field: str) -> None:
    if not isinstance(items, list):
        raise InvalidValue("must be a list", field=field)
    if len(items) > most:
        raise InvalidValue(f"at most {most}", field=field)


def check_keys(item: object, keys: tuple[str, ...], field: str) -> None:
    if not isinstance(item, dict):
        raise InvalidValue("must be an object", field=field)
    missing = [key for key in keys if key not in item]
    if missing:
        raise InvalidValue(f"missing {', '.join(missing)}", field=f"{field}.{missing[0]}")
    unknown = sorted(set(item) - set(keys))
    if unknown:
        raise InvalidValue(f"unexpected {', '.join(unknown)}", field=f"{field}.{unknown[0]}")


def check_text(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must not be blank", field=field)
