"""Explanations: the KPI buckets, telephony events, score changes and policy behind a number."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, parse_id

router = APIRouter(tags=["audit"])


@router.get("/v1/goals/{goal_id}/progress/{n}/explain")
def goal_progress(
    goal_id: str, who: CurrentPrincipal, services: AppServices, n: int = Path(ge=1)
) -> dict[str, Any]:
    """Where the goal's n-th progress value came from: KPI buckets and telephony event ids,
    as known then."""
    return services.audit.explain_progress(who, parse_id(goal_id), n)


@router.get("/v1/reviews/{review_id}/explain")
def review(review_id: str, who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """How the review's score came to be: score changes, policy version, recomputed finalisations,
    goal inputs."""
    return services.audit.explain_review(who, parse_id(review_id))
