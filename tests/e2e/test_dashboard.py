"""The dashboard in headless Chromium against `perfledger up --demo`: it loads, charts draw data,
the drill-down works, and a screenshot is kept in test-artifacts/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.kafka.broker import free_port
from aggregates.kpis import CATALOGUE
from engine.demo import demo_agents
from tests.e2e.browser import Browser, running_browser, up_answers
from tests.support import SECRET, token, wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHARTED = sum(
    "chart" in kpi.dashboard for kpi in CATALOGUE
)  # one chart per KPI the catalogue charts
MANAGER = token("manager", "lead")["Authorization"].removeprefix("Bearer ")  # of team-01, team-02


def demo_roster() -> dict[str, tuple[str, bytes]]:
    """The demo's centre (50 agents in 5 teams) as roster files: `lead` manages team-01 and
    team-02."""
    members = demo_agents(50, 5)
    teams = "team_id,name,site,time_zone\n" + "".join(
        f"{team},{team},demo,UTC\n" for team in members
    )
    people = "person_id,display_name,email,role,team_id,manages,effective_from\n"
    people += "lead,Lee Lead,lead@example.com,manager,,team-01;team-02,\n"
    for team, agents in members.items():
        people += "".join(
            f"{a},Demo {a[-4:]},{a}@example.com,agent,{team},,2026-01-01\n" for a in agents
        )
    return {"teams": ("teams.csv", teams.encode()), "people": ("people.csv", people.encode())}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[str]:
    """`perfledger up --demo` on free ports; killed at the end whatever happens."""
    port = free_port()
    env = {
        **os.environ,
        "PERFLEDGER_DATA_DIR": str(tmp_path / "data"),
        "PERFLEDGER_SECRET": SECRET,
        "PERFLEDGER_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "PERFLEDGER_ALERT_EVERY_SECONDS": "1",
        "PERFLEDGER_PROGRESS_EVERY_SECONDS": "1",
    }
    env.pop("PERFLEDGER_KAFKA_BOOTSTRAP", None)
    env.pop("PERFLEDGER_DATABASE_URL", None)
    log = tmp_path / "up.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "up", "--port", str(port), "--demo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: up_answers(process, url, log), timeout=60, interval=0.2)
        imported = httpx.post(f"{url}/v1/roster/import", files=demo_roster(), headers=token())
        assert imported.status_code == 200, imported.text
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with running_browser() as running:
        yield running


def drawn(browser: Browser, charts: str) -> list[int]:
    """Data points drawn per chart of a chart grid."""
    return list(
        browser.evaluate(
            f"[...document.querySelectorAll('{charts} svg.chart')]"
            ".map((c) => c.querySelectorAll('circle.dot').length)"
        )
    )


def test_dashboard_shows_live_team_kpis_and_drills_down_to_an_agent(
    demo: str, browser: Browser
) -> None:
    browser.open(f"{demo}/")
    browser.wait_for("document.body.dataset.state === 'login'")
    browser.evaluate(
        f"document.getElementById('token').value = {json.dumps(MANAGER)};"
        "document.getElementById('token-form').requestSubmit(); true"
    )
    browser.wait_for(
        "document.body.dataset.view === 'team-view' && document.body.dataset.state === 'ready'"
    )
    assert browser.evaluate("localStorage.getItem('perfledger.token')") == MANAGER
    assert browser.evaluate(
        "[...document.querySelectorAll('#team option')].map((o) => o.value)"
    ) == ["team-01", "team-02"]
    # The demo streams as the page watches: it refreshes itself until every chart has data.
    browser.wait_for(
        "[...document.querySelectorAll('#team-charts svg.chart')]"
        ".every((c) => c.querySelectorAll('circle.dot').length > 0)",
        timeout=90,
    )
    assert len(drawn(browser, "#team-charts")) == CHARTED
    browser.wait_for("document.querySelectorAll('#leaderboard tbody tr').length === 10", timeout=30)
    assert (
        browser.evaluate("document.querySelectorAll('#team-charts line.target').length") >= 1
    )  # goal targets
    assert browser.evaluate(
        "document.querySelector('#tiles [data-kpi=aht_seconds] .target').textContent"
    ).startswith("goal ≤")
    refreshes = int(browser.evaluate("document.body.dataset.refreshes"))
    browser.wait_for(f"Number(document.body.dataset.refreshes) > {refreshes}", timeout=15)
    browser.screenshot(ARTIFACTS / "dashboard-team.png")

    browser.evaluate(
        "document.querySelector('#leaderboard tr[data-agent=\"agent-0001\"]').click(); true"
    )
    browser.wait_for(
        "document.body.dataset.view === 'agent-view' && "
        f"document.querySelectorAll('#agent-charts svg.chart').length === {CHARTED} && "
        "document.querySelectorAll('#goals tr[data-goal]').length === 3 && "
        "document.querySelectorAll('#reviews .review').length === 1",
        timeout=30,
    )
    assert sum(drawn(browser, "#agent-charts")) > 0
    assert (
        browser.evaluate("document.getElementById('agent-title').textContent")
        == "Demo 0001 (agent-0001)"
    )
    assert (
        browser.evaluate("document.querySelectorAll('#check-ins li.open').length") == 1
    )  # one action item open
    assert (
        browser.evaluate("document.querySelectorAll('#reviews tbody tr').length") == 3
    )  # the score history
    browser.screenshot(ARTIFACTS / "dashboard-agent.png")
    assert (ARTIFACTS / "dashboard-agent.png").stat().st_size > 10_000
