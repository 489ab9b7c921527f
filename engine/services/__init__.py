"""Application services: what the HTTP routes (and any other entry point) call.

Each service takes the principal (who is calling), applies the scope rules
(engine/scope.py) and runs one command with a single load of its aggregate, or reads
through the read ports (engine/ports.py). The composition root builds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.application import PerfLedger
from engine.health import HealthBoard
from engine.ports import (
    Deliveries,
    Documents,
    Explanations,
    KpiFigures,
    OperationsRecords,
    Roster,
    RosterFeed,
    SealCheck,
    TelephonyIntake,
    TelephonyRecords,
)
from engine.services.alerts import AlertService
from engine.services.anonymity import PeerAnonymity
from engine.services.audit import AuditService
from engine.services.check_ins import CheckInService
from engine.services.goals import GoalService
from engine.services.kpis import KpiService
from engine.services.notifications import NotificationService
from engine.services.operations import OperationsService
from engine.services.reviews import ReviewService
from engine.services.roster import RosterService
from engine.services.teams import TeamService
from engine.services.telephony import TelephonyService
from engine.services.templates import TemplateService
from engine.services.tokens import TokenService
from engine.settings import Settings


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
    operations: OperationsService
    tokens: TokenService
    roster: RosterService
    notifications: NotificationService

    def close(self) -> None:
        self.telephony.close()


@dataclass(frozen=True)
class ReadPorts:
    """Everything the services read, as the composition root implements it."""

    docs: Documents
    explanations: Explanations
    seals: SealCheck
    intake: TelephonyIntake
    telephony: TelephonyRecords
    figures: KpiFigures
    records: OperationsRecords
    roster: Roster
    roster_feed: RosterFeed
    deliveries: Deliveries


def services(
    settings: Settings,
    app: PerfLedger,
    reads: ReadPorts,
    health: HealthBoard,
    components: Mapping[str, Any],
    tokens: TokenService,
) -> Services:
    """Every application service over one application and its read ports."""
    docs = reads.docs
    anonymity = PeerAnonymity(settings.peer_input_threshold)
    return Services(
        goals=GoalService(app, docs),
        check_ins=CheckInService(app, docs),
        reviews=ReviewService(app, docs, anonymity),
        templates=TemplateService(app, docs),
        alerts=AlertService(app, docs),
        audit=AuditService(app, docs, reads.explanations, reads.seals, anonymity),
        telephony=TelephonyService(reads.intake, reads.telephony),
        teams=TeamService(docs),
        kpis=KpiService(reads.figures, reads.roster),
        operations=OperationsService(reads.records, settings, health, components),
        tokens=tokens,
        roster=RosterService(app, reads.roster, reads.roster_feed, settings.roster_max_bytes),
        notifications=NotificationService(
            app,
            reads.deliveries,
            reads.roster,
            settings.signing_secret(),
            settings.webhook_allow_http,
        ),
    )
