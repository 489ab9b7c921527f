"""The FastAPI application: routers, error handlers, the container in app.state."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from adapters.http import (
    auditor,
    conventions,
    errors,
    idempotency,
    metrics,
    naming,
    openapi_examples,
    requests_log,
    sso,
)
from adapters.http.routes import (
    alerts,
    audit,
    check_ins,
    dashboard,
    development_plans,
    docs,
    explain,
    goals,
    health,
    kpis,
    notifications,
    reviews,
    roster,
    telephony,
    templates,
    tokens,
)
from adapters.http.routes.common import clean_parameters
from engine.bootstrap import Container


def create_app(container: Container) -> FastAPI:
    """The HTTP API over one container; nothing connects at import time."""
    app = FastAPI(
        title="perfledger",
        version="1.0",
        description="Event-sourced performance tracking for contact centres.",
        dependencies=[Depends(clean_parameters)],
        docs_url=None,  # served from the package by routes/docs.py, not from a CDN
        redoc_url=None,
    )
    app.state.container = container
    errors.install(app)
    metrics.install(app, container)
    for module in (
        goals,
        audit,
        health,
        kpis,
        telephony,
        check_ins,
        development_plans,
        reviews,
        templates,
        alerts,
        roster,
        notifications,
    ):
        app.include_router(module.router)
    app.include_router(tokens.router)
    dashboard.install(app)
    sso.install(app)  # sign-in with the OpenID issuer, GET /v1/me
    app.include_router(explain.router)
    app.include_router(docs.router)
    auditor.install(app)
    openapi_examples.install(app)
    idempotency.install(app)
    conventions.install(app)  # ETags, 304 and Location, also on idempotent replays
    naming.install(app, lambda: container.roster)  # outside conventions: a 304 costs no names
    requests_log.install(app)  # last: the outermost middleware
    return app
