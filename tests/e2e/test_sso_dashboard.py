"""The dashboard signs in through the test OpenID provider in headless Chromium: the sign-in
button, the provider's form, the way back, the signed-in person's name on the page, /v1/me
through the API with the page's session, and sign-out."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.kafka.broker import free_port
from tests.e2e.browser import Browser, running_browser, up_answers
from tests.integration.sso_world import (
    ANN,
    PEOPLE_CSV,
    TEAMS_CSV,
    running_provider,
    sso_settings,
)
from tests.oidc_provider import OidcProvider
from tests.support import SECRET, token, wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@contextlib.contextmanager
def serving(tmp_path: Path, provider: OidcProvider) -> Iterator[str]:
    """`perfledger roster import` of Ann and Bo, then `perfledger up` on a free port with the
    provider as its issuer (all from the environment); stopped whatever the test did."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider.redirect_uris.add(f"{url}/v1/auth/callback")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PERFLEDGER_")},
        "PERFLEDGER_DATA_DIR": str(tmp_path / "data"),
        "PERFLEDGER_SECRET": SECRET,
        "PERFLEDGER_KAFKA_SESSION_TIMEOUT_MS": "2000",
        **{f"PERFLEDGER_{k.upper()}": str(v) for k, v in sso_settings(provider.issuer).items()},
    }
    (tmp_path / "teams.csv").write_text(TEAMS_CSV)
    (tmp_path / "people.csv").write_text(PEOPLE_CSV)
    perfledger = [sys.executable, "-m", "engine.cli"]
    files = ["--teams", str(tmp_path / "teams.csv"), "--people", str(tmp_path / "people.csv")]
    imported = subprocess.run(
        [*perfledger, "roster", "import", *files], env=env, capture_output=True, timeout=120
    )
    assert imported.returncode == 0, imported.stderr
    log = tmp_path / "up.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [*perfledger, "up", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_until(lambda: up_answers(process, url, log), timeout=60, interval=0.2)
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


def settle(browser: Browser, expression: str, timeout: float = 30.0) -> Any:
    """Waits for the expression across page loads (a navigation drops the page's context)."""

    def check() -> Any:
        try:
            return browser.evaluate(
                f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()"
            )
        except RuntimeError:
            return False  # the page was between two documents

    return wait_until(check, timeout=timeout, interval=0.2)


def local_token(subject: str) -> str:
    """A perfledger token of the agent `subject`, as `perfledger token issue` prints it."""
    return token("agent", subject)["Authorization"].removeprefix("Bearer ")


def click(browser: Browser, element_id: str) -> None:
    browser.evaluate(f"document.getElementById('{element_id}').click(); true")


def test_the_dashboard_signs_in_through_the_provider_and_shows_the_persons_name(
    tmp_path: Path, provider: OidcProvider, browser: Browser
) -> None:
    with serving(tmp_path, provider) as url:
        browser.open(f"{url}/")
        settle(browser, "document.body.dataset.state === 'login'")
        # A pasted local token shows its person's name too; signing out returns to sign-in.
        browser.evaluate(
            f"document.getElementById('token').value = {json.dumps(local_token('p-bo'))};"
            "document.getElementById('token-form').requestSubmit(); true"
        )
        assert settle(browser, "document.getElementById('who').textContent") == "Bo Chen"
        click(browser, "logout")
        settle(browser, "document.body.dataset.view === 'login'")
        settle(browser, "!document.getElementById('sso').hidden")
        click(browser, "sso-login")

        # The provider's own form, on the provider's origin.
        settle(
            browser,
            f"location.origin === '{provider.issuer}' && !!document.getElementById('email')",
        )
        browser.evaluate(f"document.getElementById('email').value = '{ANN.email}'; true")
        click(browser, "sign-in")

        # Back on the dashboard, signed in: the person's name from the roster in the bar.
        settle(
            browser, f"location.origin === '{url}' && document.body.dataset.view === 'team-view'"
        )
        name = settle(
            browser,
            "!document.getElementById('who').hidden && document.getElementById('who').textContent",
        )
        assert name == "Ann Lee"
        assert browser.evaluate("location.href") == f"{url}/"  # no code, no token in the URL
        assert browser.evaluate("document.cookie") == ""  # the cookies are HttpOnly
        assert browser.evaluate("localStorage.getItem('perfledger.token')") is None
        session = browser.evaluate("sessionStorage.getItem('perfledger.session')")
        assert session and provider.token_requests == 1
        browser.screenshot(ARTIFACTS / "dashboard-signed-in.png")

        me = httpx.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {session}"}, timeout=10)
        assert me.status_code == 200
        assert me.json()["display_name"] == "Ann Lee" and me.json()["person_id"] == "p-ann"

        # Reloading keeps the session of this tab; signing out ends it.
        browser.send("Page.reload")
        settle(browser, "document.getElementById('who').textContent === 'Ann Lee'")
        click(browser, "logout")
        settle(browser, "document.body.dataset.view === 'login'")
        assert browser.evaluate("sessionStorage.getItem('perfledger.session')") is None
        assert browser.evaluate("document.getElementById('who').hidden") is True
