"""Review commands and reads: scoring, 360-degree inputs, calibration, finalisation, disputes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from adapters.http.auth import (
    CurrentPrincipal,
    check_manage,
    check_own,
    check_read,
    readable_teams,
    require_role,
)
from adapters.http.routes.common import IfMatch, Services, accepted, document, page, parse_id
from adapters.sql.documents_view import list_documents
from aggregates.review import Review
from engine.commands import Calibrate, Dispute, Reason, ReviewFeedback, ScoreCriterion, StartReview
from engine.tokens import Principal

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


def managed(services: Services, who: Principal, review_id: str) -> Review:
    review = services.app.load(Review, parse_id(review_id))
    check_manage(who, review.team_id)
    return review


def own(services: Services, who: Principal, review_id: str) -> Review:
    review = services.app.load(Review, parse_id(review_id))
    check_own(who, review.agent_id)
    return review


@router.post("", status_code=201)
def start_review(body: StartReview, who: CurrentPrincipal, services: Services, response: Response) -> dict[str, Any]:
    """Starts a review under a stored policy (policy_id, policy_version) or inline criteria."""
    check_manage(who, body.team_id)
    review = services.app.start_review(body, actor=who.actor)
    return accepted(review, response, policy_id=review.policy_id, policy_version=review.policy_version)


@router.post("/{review_id}/scores")
def score(
    review_id: str, body: ScoreCriterion, who: CurrentPrincipal, services: Services,
    version: IfMatch, response: Response,
) -> dict[str, Any]:
    """Scores a criterion 1..5 with a rationale; a reason is required to change a score."""
    review = managed(services, who, review_id)
    return accepted(services.app.score_review(review.id, body, who.actor, version), response)


@router.post("/{review_id}/feedback")
def feedback(
    review_id: str, body: ReviewFeedback, who: CurrentPrincipal, services: Services,
    version: IfMatch, response: Response,
) -> dict[str, Any]:
    """Adds a 360-degree input (self, peer, manager or customer)."""
    review = managed(services, who, review_id)
    return accepted(services.app.add_review_feedback(review.id, body, who.actor, version), response)


@router.post("/{review_id}/calibrate")
def calibrate(
    review_id: str, body: Calibrate, who: CurrentPrincipal, services: Services,
    version: IfMatch, response: Response,
) -> dict[str, Any]:
    """Adjusts the overall score (within ±1) as agreed in calibration, with a reason."""
    review = managed(services, who, review_id)
    return accepted(services.app.calibrate_review(review.id, body, who.actor, version), response)


@router.post("/{review_id}/finalize")
def finalize(
    review_id: str, who: CurrentPrincipal, services: Services, version: IfMatch, response: Response
) -> dict[str, Any]:
    """Computes and records the overall score; the review then refuses changes until reopened."""
    review = managed(services, who, review_id)
    review = services.app.finalise_review(review.id, who.actor, version)
    return accepted(review, response, overall_score=review.overall_score)


@router.post("/{review_id}/acknowledge")
def acknowledge(
    review_id: str, who: CurrentPrincipal, services: Services, version: IfMatch, response: Response
) -> dict[str, Any]:
    """The agent acknowledges their finalised review."""
    review = own(services, who, review_id)
    return accepted(services.app.acknowledge_review(review.id, who.actor, version), response)


@router.post("/{review_id}/reopen")
def reopen(
    review_id: str, body: Reason, who: CurrentPrincipal, services: Services, version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Reopens a finalised review for changes; the reason is kept."""
    review = managed(services, who, review_id)
    return accepted(services.app.reopen_review(review.id, body.reason, who.actor, version), response)


@router.post("/{review_id}/cancel")
def cancel(
    review_id: str, body: Reason, who: CurrentPrincipal, services: Services, version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Cancels an in-progress review with a reason; its period is free for another review."""
    review = managed(services, who, review_id)
    review = services.app.cancel_review(review.id, body.reason, who.actor, version)
    return accepted(review, response, status=review.status)


@router.post("/{review_id}/disputes")
def dispute(
    review_id: str, body: Dispute, who: CurrentPrincipal, services: Services, version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """The agent disputes the overall score, or one criterion's, of their finalised review."""
    review = own(services, who, review_id)
    return accepted(services.app.dispute_review(review.id, body, who.actor, version), response)


@router.post("/{review_id}/disputes/{index}/uphold")
def uphold(
    review_id: str, index: int, body: Reason, who: CurrentPrincipal, services: Services,
    version: IfMatch, response: Response,
) -> dict[str, Any]:
    """The reviewer keeps a disputed score, saying why (to change it: reopen and re-score)."""
    review = managed(services, who, review_id)
    return accepted(services.app.uphold_dispute(review.id, index, body.reason, who.actor, version), response)


@router.get("/{review_id}")
def get_review(review_id: str, who: CurrentPrincipal, services: Services, response: Response) -> dict[str, Any]:
    """The review: scores, inputs, calibration, score changes, finalisations, open disputes."""
    doc = document(services, "Review", review_id)
    check_read(who, doc)
    response.headers["ETag"] = str(doc["version"])
    return doc


@router.get("")
def list_reviews(
    who: CurrentPrincipal, services: Services, agent_id: str | None = None,
    team_id: str | None = None, status: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000), cursor: str | None = None,
) -> dict[str, Any]:
    """Reviews by agent, team and status, ordered by id; pass next_cursor to page on."""
    require_role(who, "admin", "auditor", "manager", "agent")
    if who.role == "agent":
        agent_id = who.subject
    items = list_documents(services.db, "Review", filters={"agent_id": agent_id, "team_id": team_id,
                           "status": status}, teams=readable_teams(who), after=cursor, limit=limit)
    return page(items, limit)
