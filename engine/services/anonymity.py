"""Anonymous peer 360: what the agent reviewed may see of the inputs peers gave about them.

Managers, directors, auditors and admins see every input with its author. The agent reviewed
(and any other role that can read the review) sees peer inputs without author, actor or time,
and none at all until at least `threshold` peers answered (PERFLEDGER_PEER_INPUT_THRESHOLD).
The same rule applies to every way of reading a review: the document, lists, the replayed
state and the event trail; in the trail the hash of a redacted event (and the next event's
`prev_hash`, which repeats it) is left out too, because the few possible authors could be
tried against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.tokens import Principal

# Sources whose author the agent reviewed does not see (there is no subordinate source yet).
ANONYMOUS_SOURCES = frozenset({"peer"})
# Roles that see who gave each input.
SEE_AUTHORS = frozenset({"manager", "director", "auditor", "admin"})
# What identifies an input's author, directly or by its moment.
AUTHOR_KEYS = ("author_id", "actor", "at")
FEEDBACK_EVENT = "Review.FeedbackReceived"
DEFAULT_THRESHOLD = 3


def is_anonymous(source: object) -> bool:
    """Whether inputs of that source are shown to the agent without author."""
    return source in ANONYMOUS_SOURCES


def without_author(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An input (or an event's payload) without what names or dates its author."""
    return {k: v for k, v in entry.items() if k not in AUTHOR_KEYS}


@dataclass(frozen=True)
class PeerAnonymity:
    """Applies the anonymity rule to each read of a review."""

    threshold: int = DEFAULT_THRESHOLD

    def hides_authors(self, who: Principal, agent_id: object) -> bool:
        """True for the agent reviewed and any role that is not trusted with authors."""
        return who.subject == agent_id or who.role not in SEE_AUTHORS

    def notice(self, shown: bool) -> dict[str, Any]:
        """What the redacted answer says about the rule it was read under."""
        return {"sources": sorted(ANONYMOUS_SOURCES), "threshold": self.threshold, "shown": shown}

    def inputs(self, inputs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        """The inputs as the agent sees them, and whether the anonymous ones are shown."""
        anonymous = sum(1 for i in inputs if is_anonymous(i.get("source")))
        shown = anonymous >= self.threshold
        kept = [
            without_author(i) if is_anonymous(i.get("source")) else dict(i)
            for i in inputs
            if shown or not is_anonymous(i.get("source"))
        ]
        return kept, shown

    def review(self, who: Principal, doc: dict[str, Any]) -> dict[str, Any]:
        """A review document (or replayed review state) as the caller may see it."""
        if not self.hides_authors(who, doc.get("agent_id")) or "inputs" not in doc:
            return doc
        inputs, shown = self.inputs(list(doc["inputs"]))
        return {**doc, "inputs": inputs, "anonymity": self.notice(shown)}

    def reviews(self, who: Principal, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A page of reviews as the caller may see them."""
        return [self.review(who, doc) for doc in docs]

    def trail(
        self, who: Principal, agent_id: object, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A review's event trail as the caller may see it."""
        if not self.hides_authors(who, agent_id):
            return rows
        peer = [r for r in rows if is_peer_input(r)]
        shown = len(peer) >= self.threshold
        answer: list[dict[str, Any]] = []
        redacted_before = False
        for row in rows:
            if is_peer_input(row):
                answer.append(redacted_row(row, shown))
                redacted_before = True
                continue
            # The next event's prev_hash is the redacted event's hash: left out as well.
            answer.append(
                {k: v for k, v in row.items() if k != "prev_hash"} if redacted_before else row
            )
            redacted_before = False
        return answer

    def replayed(self, who: Principal, result: dict[str, Any]) -> dict[str, Any]:
        """A replayed review (state and the events that led there) as the caller may see it."""
        if result.get("type") != "Review":
            return result
        state = result["state"]
        if not self.hides_authors(who, state.get("agent_id")):
            return result
        # The rule applies to the review as it was at that point: its inputs then.
        return {
            **result,
            "state": self.review(who, state),
            "events": self.trail(who, state.get("agent_id"), result["events"]),
        }


def is_peer_input(row: Mapping[str, Any]) -> bool:
    """Whether a trail row is an input from an anonymous source."""
    data = row.get("data")
    return (
        row.get("type") == FEEDBACK_EVENT
        and isinstance(data, Mapping)
        and is_anonymous(data.get("source"))
    )


def redacted_row(row: Mapping[str, Any], shown: bool) -> dict[str, Any]:
    """A peer input's trail row: without author, moment and hash; a bare mark until shown."""
    if not shown:
        return {"sequence": row.get("sequence"), "withheld": True}
    return {
        "sequence": row.get("sequence"),
        "type": row.get("type"),
        "data": without_author(row["data"]),
        "withheld": False,
    }
