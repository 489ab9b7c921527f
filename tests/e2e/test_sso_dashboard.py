"""The dashboard signs in through the test OpenID provider in headless Chromium: the sign-in
button, the provider's form, the way back, the signed-in person's name on the page, /v1/me
through the API with the page's session, and sign-out."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from engine.bootstrap import build
from tests.e2e.browser import Browser, chromium_path
from tests.integration.sso_world import (
    ANN,
    PEOPLE_CSV,
    TEAMS_CSV,
    running_provider,
    sso_settings,
)
from tests.oidc_provider import OidcProvider
from tests.support import make_settings, seed_roster, wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@contextlib.contextmanager
def serving(tmp_path: Path, provider: OidcProvider) -> Iterator[str]:
    """The API and dashboard under uvicorn on a free loopback port, Ann and Bo imported into
    its roster; stopped whatever the test did."""
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'p.db'}", None, **sso_settings(provider.issuer)
    )
    container = build(settings)
    seed_roster(container, TEAMS_CSV, PEOPLE_CSV)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    provider.redirect_uris.add(f"{url}/v1/auth/callback")
    server = uvicorn.Server(uvicorn.Config(container.api(), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30)
        yield url
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()
        container.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.fail("chromium is not installed: the README's test command installs it")
    running = Browser(executable)
    try:
        yield running
    finally:
        running.close()


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


def click(browser: Browser, element_id: str) -> None:
    browser.evaluate(f"document.getElementById('{element_id}').click(); true")


def test_the_dashboard_signs_in_through_the_provider_and_shows_the_persons_name(
    tmp_path: Path, provider: OidcProvider, browser: Browser
) -> None:
    with serving(tmp_path, provider) as url:
        browser.open(f"{url}/")
        settle(browser, "document.body.dataset.state === 'login'")
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
