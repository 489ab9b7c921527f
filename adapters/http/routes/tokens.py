"""Revocation of bearer tokens by admins: one token by its id, or every token of a person."""

from __future__ import annotations

from typing import Any, Self

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices

router = APIRouter(tags=["tokens"])
EXAMPLE: dict[str, Any] = {
    "kind": "subject",
    "value": "agent-0007",
    "issued_until": 1796094000,
    "revoked_at": "2026-12-01T04:20:00.123456+00:00",
    "revoked_by": "admin:alice",
    "reason": "left the company",
}


class RevokeTokens(BaseModel):
    """One token by its id (`jti`), or every token of a subject issued until now."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"subject": "agent-0007", "reason": "left the company"},
                {"jti": "3f7c2a9d0b6e4f1a8c5d2e7b9a0f1c3d", "reason": "leaked in a ticket"},
            ]
        },
    )
    jti: str | None = Field(default=None, min_length=1, max_length=200)
    subject: str | None = Field(default=None, min_length=1, max_length=200)
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def one_of_them(self) -> Self:
        if (self.jti is None) == (self.subject is None):
            raise ValueError("name either `jti` or `subject`")
        return self


class RevocationOut(BaseModel):
    """A revocation: a token (`kind` token, `value` its jti) or every token of a subject issued
    until `issued_until` (epoch seconds; `kind` subject). Refused everywhere within a second or
    two (PERFLEDGER_TOKEN_REFRESH_SECONDS)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})
    kind: str
    value: str
    issued_until: int | None = None
    revoked_at: str
    revoked_by: str
    reason: str


class Revocations(BaseModel):
    """Every revocation in force."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [EXAMPLE]}]})
    items: list[RevocationOut]


@router.post("/v1/tokens/revocations", status_code=201, response_model=RevocationOut)
def revoke(body: RevokeTokens, who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """Revokes one token, or every token of a subject issued until now (admins)."""
    return services.tokens.revoke_as(who, body.jti, body.subject, body.reason)


@router.get("/v1/tokens/revocations", response_model=Revocations)
def revocations(who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """Every revocation in force (admins)."""
    return {"items": services.tokens.revocations_as(who)}
