"""Review commands and reads: scoring, 360-degree inputs, calibration, finalisation, disputes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, IfMatch, accepted, page, parse_id, versioned
from engine.commands import Calibrate, Dispute, Reason, ReviewFeedback, ScoreCriterion, StartReview

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])


@router.post("", status_code=201)
def start_review(
    body: StartReview, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """Starts a review under a stored policy (policy_id, policy_version) or inline criteria."""
    review = services.reviews.start(who, body)
    return accepted(
        review, response, policy_id=review.policy_id, policy_version=review.policy_version
    )


@router.post("/{review_id}/scores")
def score(
    review_id: str,
    body: ScoreCriterion,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Scores a criterion 1..5 with a rationale; a reason is required to change a score."""
    return accepted(services.reviews.score(who, parse_id(review_id), body, version), response)


@router.post("/{review_id}/feedback")
def feedback(
    review_id: str,
    body: ReviewFeedback,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Adds a 360-degree input (self, peer, manager or customer)."""
    return accepted(
        services.reviews.add_feedback(who, parse_id(review_id), body, version), response
    )


@router.post("/{review_id}/calibrate")
def calibrate(
    review_id: str,
    body: Calibrate,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Adjusts the overall score (within ±1) as agreed in calibration, with a reason."""
    return accepted(services.reviews.calibrate(who, parse_id(review_id), body, version), response)


@router.post("/{review_id}/finalize")
def finalize(
    review_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Computes and records the overall score; the review then refuses changes until reopened."""
    review = services.reviews.finalise(who, parse_id(review_id), version)
    return accepted(review, response, overall_score=review.overall_score)


@router.post("/{review_id}/acknowledge")
def acknowledge(
    review_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """The agent acknowledges their finalised review."""
    return accepted(services.reviews.acknowledge(who, parse_id(review_id), version), response)


@router.post("/{review_id}/reopen")
def reopen(
    review_id: str,
    body: Reason,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Reopens a finalised review for changes; the reason is kept."""
    return accepted(
        services.reviews.reopen(who, parse_id(review_id), body.reason, version), response
    )


@router.post("/{review_id}/cancel")
def cancel(
    review_id: str,
    body: Reason,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Cancels an in-progress review with a reason; its period is free for another review."""
    review = services.reviews.cancel(who, parse_id(review_id), body.reason, version)
    return accepted(review, response, status=review.status)


@router.post("/{review_id}/disputes")
def dispute(
    review_id: str,
    body: Dispute,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """The agent disputes the overall score, or one criterion's, of their finalised review."""
    return accepted(services.reviews.dispute(who, parse_id(review_id), body, version), response)


@router.post("/{review_id}/disputes/{index}/uphold")
def uphold(
    review_id: str,
    index: int,
    body: Reason,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """The reviewer keeps a disputed score, saying why (to change it: reopen and re-score)."""
    review = services.reviews.uphold(who, parse_id(review_id), index, body.reason, version)
    return accepted(review, response)


@router.get("/{review_id}")
def get_review(
    review_id: str, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """The review: scores, inputs, calibration, score changes, finalisations, open disputes."""
    return versioned(services.reviews.get(who, review_id), response)


@router.get("")
def list_reviews(
    who: CurrentPrincipal,
    services: AppServices,
    agent_id: str | None = None,
    team_id: str | None = None,
    status: str | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = None,
) -> dict[str, Any]:
    """Reviews by agent, team and status, ordered by id; pass next_cursor to page on."""
    return page(services.reviews.page(who, agent_id, team_id, status, limit, cursor), limit)
