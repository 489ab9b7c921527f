"""Who may do what: the role and team scope rules every application service applies.

The caller (engine/callers.py) is resolved from the roster at request time; these rules ask
the roster again at the moment of the action which team an agent belongs to. A write names an
agent, and that agent must be, now, in a team the caller manages; the team recorded on a new
record is the roster's, and a body naming another team is refused (403). Reads follow the
same teams. Roles (README "Roles"): admin everything; auditor reads everything and writes
nothing; director reads their sites (none named: the centre) and writes only team goals (goal
templates) of those teams; manager reads and writes the records of their teams' agents; agent
reads their own records, their team's KPIs and their own line of its leaderboard.

With no roster at all (no team imported yet), only principals outside the roster exist
(admin, auditor, ingest) and a write records the team its body names, as before the roster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from aggregates.errors import InvalidValue
from engine.callers import Clock, Forbidden, NotOnRoster, Principal, utc_now
from engine.ports import Roster, RosterFeed

__all__ = ["Forbidden", "NotOnRoster", "Principal", "Scope", "require_role"]

WRITERS = ("admin", "manager")
STAFF_READERS = ("admin", "auditor", "director", "manager")


def teams_during(roster: Roster, agent_id: str, first: date, last: date) -> set[str]:
    """The teams the agent belonged to on some day of [first, last] (memberships start on a
    local date and last until the next one starts)."""
    spans = roster.memberships(agent_id)
    found = set()
    for n, membership in enumerate(spans):
        ends = spans[n + 1].effective_from if n + 1 < len(spans) else None
        if membership.effective_from <= last and (ends is None or ends > first):
            found.add(membership.team_id)
    return found


def listed(ids: list[str], most: int = 20) -> str:
    """Ids for a message: the first `most` of them, and how many more."""
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return ", ".join(ids[:most]) + more


def require_role(principal: Principal, *roles: str) -> None:
    """Refuses a caller whose role is not one of those named."""
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role} may not do this")


def check_own(principal: Principal, agent_id: str) -> None:
    """Acts only the agent may take on their own records (acknowledge, dispute)."""
    if principal.role != "agent" or principal.subject != agent_id:
        raise Forbidden("only the agent concerned may do this")


class Scope:
    """The scope rules over the roster as it stands at the moment of each action (one
    consistent roster per check: the feed's catch-up)."""

    def __init__(self, feed: RosterFeed, clock: Clock = utc_now) -> None:
        self.feed = feed
        self.clock = clock

    # --- the roster now ------------------------------------------------------------------

    def roster(self) -> Roster:
        """The roster as it stands now."""
        return self.feed.catch_up()

    def has_roster(self, roster: Roster | None = None) -> bool:
        """Whether any team has been imported (else the pre-roster rules hold)."""
        return bool((roster or self.roster()).teams())

    def team_now(self, agent_id: str, roster: Roster | None = None) -> str | None:
        """The agent's team at this instant per the roster (None: not on it, or not yet)."""
        return (roster or self.roster()).team_at(agent_id, self.clock())

    # --- writes --------------------------------------------------------------------------

    def record_team(
        self,
        who: Principal,
        agent_id: str,
        named_team: str | None,
        during: tuple[date, date] | None = None,
    ) -> str:
        """The team a new record of `agent_id` is recorded for: a team of the agent's in the
        roster — the one now, or the one the body names when the agent belonged to it during
        the record's period (a goal for the days before a move) — with the caller managing the
        agent's team now. Any other team named is refused."""
        self._check_writer(who)
        roster = self.roster()
        team = self.team_now(agent_id, roster)
        if team is None:
            if who.role == "admin" and not self.has_roster(roster) and named_team:
                return named_team
            raise InvalidValue(
                f"agent {agent_id} is not in any team of the roster now", field="agent_id"
            )
        self._check_manages(who, agent_id, team)
        if named_team is None or named_team == team:
            return team
        if during is not None and named_team in teams_during(roster, agent_id, *during):
            return named_team
        raise Forbidden(
            f"agent {agent_id} belongs to team {team} (roster), not to team {named_team}"
            + ("" if during is None else " during the period")
            + ": records are kept for the agent's team"
        )

    def check_agent_write(self, who: Principal, agent_id: str) -> None:
        """A command on an existing record of `agent_id`: the agent is in a team the caller
        manages now (admins: any)."""
        self._check_writer(who)
        if who.role == "admin":
            return
        team = self.team_now(agent_id)
        if team is None:
            raise Forbidden(f"agent {agent_id} is in no team you manage now")
        self._check_manages(who, agent_id, team)

    def agent_check(self, who: Principal) -> Callable[[Any], None]:
        """The check an application command runs on the aggregate it loaded (its agent)."""
        return lambda aggregate: self.check_agent_write(who, aggregate.agent_id)

    def check_team_write(self, who: Principal, team_id: str) -> None:
        """A team's own settings (alert rules): admins and the team's managers."""
        self._check_writer(who)
        if who.role == "manager" and team_id not in who.teams:
            raise Forbidden(f"you do not manage team {team_id}")

    def check_team_goal_write(self, who: Principal, team_id: str) -> None:
        """A team goal (goal template): admins, the team's managers and its site's director."""
        if who.role == "director":
            if who.sites and team_id not in who.teams:
                raise Forbidden(f"team {team_id} is not in your sites ({', '.join(who.sites)})")
            if not who.sites and self.roster().team(team_id) is None:
                raise Forbidden(f"team {team_id} is not on the roster")
            return
        self.check_team_write(who, team_id)

    def check_assignment(self, who: Principal, team_id: str, agent_ids: Iterable[str]) -> None:
        """A team goal set for agents: each a roster agent of that team now (unknown ids: 422
        with the list; agents of other teams: 403 with the list)."""
        self.check_team_goal_write(who, team_id)
        roster = self.roster()
        if who.role == "admin" and not self.has_roster(roster):
            return
        teams = {agent: self.team_now(agent, roster) for agent in agent_ids}
        unknown = sorted(agent for agent, team in teams.items() if team is None)
        if unknown:
            raise InvalidValue(
                "not agents of the roster now: " + listed(unknown),
                field="agent_ids",
                unknown=unknown,
            )
        elsewhere = sorted(agent for agent, team in teams.items() if team != team_id)
        if elsewhere:
            raise Forbidden(f"not agents of team {team_id} now: " + listed(elsewhere))

    def _check_writer(self, who: Principal) -> None:
        if who.role == "director":
            raise Forbidden("a director writes only team goals (goal templates)")
        if who.role not in WRITERS:
            raise Forbidden(f"role {who.role} may not change records")

    @staticmethod
    def _check_manages(who: Principal, agent_id: str, team: str) -> None:
        if who.role == "manager" and team not in who.teams:
            raise Forbidden(f"agent {agent_id} belongs to team {team}, which you do not manage")

    # --- reads ---------------------------------------------------------------------------

    def can_read(self, who: Principal, doc: Mapping[str, Any]) -> bool:
        """A record: everything for admins, auditors and centre directors; a team's records for
        its managers and its site's director (and a manager the records of agents in their
        teams now); an agent their own."""
        if who.reads_everything:
            return True
        if who.role == "agent":
            return bool(doc.get("agent_id")) and doc.get("agent_id") == who.subject
        if who.role not in ("manager", "director"):
            return False
        if doc.get("team_id") in who.teams:
            return True
        agent = doc.get("agent_id")
        return (
            who.role == "manager" and isinstance(agent, str) and self.team_now(agent) in who.teams
        )

    def check_read(self, who: Principal, doc: Mapping[str, Any]) -> None:
        """Refuses a record (a document or an aggregate's state) outside the caller's scope."""
        if not self.can_read(who, doc):
            raise Forbidden("outside your scope")

    def page_filters(
        self, who: Principal, agent_id: str | None
    ) -> tuple[str | None, tuple[str, ...] | None]:
        """The agent filter and the teams (None: all) of a list in the caller's scope."""
        require_role(who, *STAFF_READERS, "agent")
        if who.role == "agent":
            return who.subject, None  # whatever they asked for: their own
        if who.reads_everything:
            return agent_id, None
        if who.role == "manager" and agent_id is not None and self.team_now(agent_id) in who.teams:
            return agent_id, None  # an agent of theirs now: all of that agent's records
        return agent_id, who.teams

    def check_team_read(self, who: Principal, team_id: str) -> None:
        """A team's staff views (goal roll-up, alert rules): admins, auditors, directors of its
        site and its managers."""
        require_role(who, *STAFF_READERS)
        if not who.reads_everything and team_id not in who.teams:
            raise Forbidden(f"role {who.role} may not read team {team_id}")

    def check_team_figures(self, who: Principal, team_id: str) -> None:
        """A team's KPIs and leaderboard: its staff readers, and the agents in it now."""
        if who.role == "agent" and who.team is not None and who.team == team_id:
            return
        if who.role == "agent" or who.role not in STAFF_READERS:
            raise Forbidden("outside your scope")
        self.check_team_read(who, team_id)

    def check_agent_figures(
        self, who: Principal, agent_id: str, telephony_team: Callable[[str], str | None]
    ) -> None:
        """An agent's own KPIs: the agent, and whoever reads the agent's team (the roster's now,
        else the one telephony reports)."""
        if who.role == "agent":
            if who.subject != agent_id:
                raise Forbidden("agents read only their own KPIs")
            return
        require_role(who, *STAFF_READERS)
        if who.reads_everything:
            return
        team = self.team_now(agent_id) or telephony_team(agent_id)
        if team not in who.teams:
            raise Forbidden("outside your scope")

    def readable_teams(self, who: Principal, found: Iterable[str]) -> list[str]:
        """Of the teams found, those the caller may read (an agent: their own)."""
        require_role(who, *STAFF_READERS, "agent")
        if who.reads_everything:
            return list(found)
        mine = (who.team,) if who.role == "agent" else who.teams
        return [t for t in found if t in mine]
