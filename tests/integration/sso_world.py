"""The single sign-on world of the integration tests: the test provider, a roster and the API."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from engine.ports import RosterPerson, RosterTeam
from engine.roster_index import RosterIndex
from engine.tokens import Principal
from tests.oidc_provider import OidcProvider
from tests.support import Pipeline, make_settings, seed_roster

ANN = RosterPerson("p-ann", "Ann Lee", "ann@centre.example", "manager", external_id="E-1")
BO = RosterPerson("p-bo", "Bo Chen", "bo@centre.example", "agent", external_id="E-2")
ROSTER = RosterIndex(  # the same people as the CSV below, for tests without a database
    people=[ANN, BO],
    teams=[RosterTeam("team-east", "East", "site-1", "Asia/Shanghai", managers=("p-ann",))],
)
TEAMS_CSV = "team_id,name,site,time_zone\nteam-east,East,site-1,Asia/Shanghai\n"
PEOPLE_CSV = (
    "person_id,display_name,email,role,team_id,manages,effective_from\n"
    "p-ann,Ann Lee,ann@centre.example,manager,,team-east,\n"
    "p-bo,Bo Chen,bo@centre.example,agent,team-east,,2026-01-01\n"
    "p-di,Di Wu,di@centre.example,director,,,\n"
)


@contextlib.contextmanager
def running_provider() -> Iterator[OidcProvider]:
    """The test provider on a free loopback port, with Ann, Bo and a stranger as its users;
    stopped whatever the test did."""
    provider = OidcProvider().start()
    try:
        provider.add_user(ANN.email, ANN.display_name)
        provider.add_user(BO.email, BO.display_name)
        provider.add_user("di@centre.example", "Di Wu")
        provider.add_user("zed@elsewhere.example", "Zed Stranger")
        yield provider
    finally:
        provider.stop()


def sso_settings(provider_issuer: str, **overrides: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": provider_issuer,
        "oidc_client_id": "perfledger",
        "oidc_client_secret": "provider-client-secret",
        "oidc_audience": "perfledger-api",
        "oidc_keys_refetch_seconds": 0,
        "oidc_timeout_seconds": 2,
        **overrides,
    }


@contextlib.contextmanager
def api(tmp_path: Path, **settings: Any) -> Iterator[TestClient]:
    """The API over a fresh SQLite store (no broker) with these settings, Ann and Bo imported
    into its roster and linked to their external ids."""
    pipeline = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", None, **settings))
    seed_roster(pipeline.container, TEAMS_CSV, PEOPLE_CSV)
    for person in (ANN, BO):  # as `perfledger roster link` records them
        pipeline.container.services.roster.set_external_id(
            Principal("admin", "roster-seed"), person.person_id, person.external_id
        )
    try:
        with TestClient(pipeline.container.api()) as client:
            yield client
    finally:
        pipeline.close()


@contextlib.contextmanager
def silent_listener() -> Iterator[str]:
    """A loopback address that accepts connections and never answers: an issuer that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
