"""Explanations: the KPI buckets, telephony events, score changes and policy behind a number."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from adapters.http.auth import CurrentPrincipal, check_read
from adapters.http.routes.common import Services, parse_id
from adapters.sql.explain import explain_progress, explain_review

router = APIRouter(tags=["audit"])


@router.get("/v1/goals/{goal_id}/progress/{n}/explain")
def goal_progress(goal_id: str, who: CurrentPrincipal, services: Services, n: int = Path(ge=1)) -> dict[str, Any]:
    """Where the goal's n-th progress value came from: KPI buckets and telephony event ids, as known then."""
    answer = explain_progress(services.app, services.db, parse_id(goal_id), n)
    check_read(who, answer)
    return answer


@router.get("/v1/reviews/{review_id}/explain")
def review(review_id: str, who: CurrentPrincipal, services: Services) -> dict[str, Any]:
    """How the review's score came to be: score changes, policy version, recomputed finalisations, goal inputs."""
    answer = explain_review(services.app, services.db, parse_id(review_id))
    check_read(who, answer)
    return answer
