"""Application services: what the HTTP routes (and any other entry point) call.

Each service takes the principal (who is calling), applies the scope rules
(engine/scope.py) and runs one command with a single load of its aggregate, or reads
through the read ports (engine/ports.py). The composition root builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.application import PerfLedger
from engine.ports import Documents, Explanations, KpiFigures, SealCheck, TelephonyDesk
from engine.services.alerts import AlertService
from engine.services.audit import AuditService
from engine.services.check_ins import CheckInService
from engine.services.goals import GoalService
from engine.services.kpis import KpiService
from engine.services.reviews import ReviewService
from engine.services.teams import TeamService
from engine.services.telephony import TelephonyService
from engine.services.templates import TemplateService


@dataclass(frozen=True)
class Services:
    """The application services of one process."""

    goals: GoalService
    check_ins: CheckInService
    reviews: ReviewService
    templates: TemplateService
    alerts: AlertService
    audit: AuditService
    telephony: TelephonyService
    teams: TeamService
    kpis: KpiService

    def close(self) -> None:
        self.telephony.close()


def services(
    app: PerfLedger, documents: Documents, explanations: Explanations, seals: SealCheck, desk: TelephonyDesk,
    figures: KpiFigures,
) -> Services:
    """Every application service over one application and its read ports."""
    return Services(
        goals=GoalService(app, documents), check_ins=CheckInService(app, documents),
        reviews=ReviewService(app, documents), templates=TemplateService(app, documents),
        alerts=AlertService(app, documents), audit=AuditService(app, documents, explanations, seals),
        telephony=TelephonyService(desk), teams=TeamService(documents), kpis=KpiService(figures),
    )
