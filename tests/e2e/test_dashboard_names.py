"""The dashboard shows names from the roster in headless Chromium: the team picker, the
leaderboard and the alerts name people and teams (ids the roster does not know stay ids), and
the agent reviewed sees peer inputs only as the anonymity rule allows."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from adapters.kafka.broker import free_port
from aggregates.alert import Alert
from engine.bootstrap import Container, build
from engine.commands import ReviewFeedback, StartReview
from engine.tokens import Principal
from tests.e2e.browser import Browser, running_browser
from tests.integration.live import LiveModels
from tests.support import make_settings, seed_roster, token, wait_until

MANAGER = token("manager", "bob")
AGENT = token("agent", "a1")
YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
TEAMS_CSV = "team_id,name,site,time_zone\nt1,North Team,lyon,UTC\n"
PEOPLE_CSV = """person_id,display_name,email,role,team_id,manages,effective_from
a1,Ada Lovelace,ada@example.com,agent,t1,,2026-01-01
peer-kim,Kim Quartz,kim@example.com,agent,t1,,2026-01-01
bob,Bob Lead,bob@example.com,manager,,t1,
"""
MANAGER_PRINCIPAL = Principal("manager", "bob", ("t1",))
START_REVIEW = StartReview(
    agent_id="a1",
    team_id="t1",
    period_start=date(2026, 10, 1),
    period_end=date(2026, 12, 31),
    criteria=["quality"],
)
MANAGER_INPUT = ReviewFeedback(source="manager", text="steady", rating=4)
PEER_INPUT = ReviewFeedback(source="peer", author_id="peer-kim", text="helpful", rating=5)


def call(n: int, agent: str) -> tuple[bytes, bytes]:
    event = {
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "call.completed",
        "agent_id": agent,
        "team_id": "t1",
        "occurred_at": f"{YESTERDAY.isoformat()}T10:0{n}:00Z",
        "call_id": f"c{n}",
        "talk_seconds": 100 + 50 * n,
        "hold_seconds": 0,
        "acw_seconds": 20,
        "transferred": False,
        "resolved_first_contact": True,
    }
    return agent.encode(), json.dumps(event).encode()


def seed(container: Container) -> None:
    """Calls of a known and an unknown agent, an open alert, a review with one peer input."""
    live = LiveModels(container)
    container.app.save(
        Alert(
            key=f"deviation:aht_seconds:a1:{YESTERDAY}",
            rule="deviation",
            team_id="t1",
            agent_id="a1",
            kpi="aht_seconds",
            day=YESTERDAY,
            value=500.0,
            threshold=400.0,
            summary="aht_seconds above the team",
            details={},
            actor="system:alerts",
        )
    )
    reviews = container.services.reviews
    review = reviews.start(MANAGER_PRINCIPAL, START_REVIEW)
    for given in (MANAGER_INPUT, PEER_INPUT):
        reviews.add_feedback(MANAGER_PRINCIPAL, review.id, given, None)
    live.project()
    live.ingest([call(1, "a1"), call(2, "a9")])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    container = build(make_settings(tmp_path, f"sqlite:///{tmp_path / 'pl.db'}", None))
    seed_roster(container, TEAMS_CSV, PEOPLE_CSV)
    seed(container)
    config = uvicorn.Config(
        container.api(), host="127.0.0.1", port=free_port(), log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: running.started, timeout=30)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        running.should_exit = True
        thread.join(30)
        container.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with running_browser() as running:
        yield running


def sign_in(browser: Browser, url: str, header: dict[str, str]) -> None:
    browser.open(url)
    browser.wait_for("document.body.dataset.state === 'login'")
    bearer = header["Authorization"].removeprefix("Bearer ")
    browser.evaluate(
        f"document.getElementById('token').value = {json.dumps(bearer)};"
        "document.getElementById('token-form').requestSubmit(); true"
    )


def texts(browser: Browser, selector: str) -> Any:
    return browser.evaluate(
        f"[...document.querySelectorAll({json.dumps(selector)})].map((n) => n.textContent)"
    )


def test_the_team_view_names_teams_agents_and_alerts(server: str, browser: Browser) -> None:
    sign_in(browser, f"{server}/", MANAGER)
    browser.wait_for(
        "document.body.dataset.state === 'ready' && "
        "document.querySelectorAll('#leaderboard tbody tr').length === 2 && "
        "document.querySelectorAll('#alerts li.alert').length === 1",
        timeout=30,
    )
    assert texts(browser, "#team option") == ["North Team (t1)"]
    assert texts(browser, "#leaderboard tbody tr td:nth-child(2)") == ["Ada Lovelace a1", "a9"]
    assert texts(browser, "#alerts li.alert a") == ["Ada Lovelace"]


def test_the_agent_sees_their_name_and_no_peer_input_below_the_threshold(
    server: str, browser: Browser
) -> None:
    sign_in(browser, f"{server}/#agent=a1", AGENT)
    browser.wait_for(
        "document.body.dataset.view === 'agent-view' && document.body.dataset.state === 'ready' "
        "&& document.querySelectorAll('#reviews .review').length === 1",
        timeout=30,
    )
    assert browser.evaluate("document.getElementById('agent-title').textContent") == (
        "Ada Lovelace (a1)"
    )
    inputs = texts(browser, "#reviews li")
    assert inputs[0].startswith("manager · Bob Lead")
    assert "appear, without authors, once 3 have answered" in inputs[-1]
    page = browser.evaluate("document.body.textContent")
    assert "Kim" not in page and "peer-kim" not in page and "helpful" not in page
