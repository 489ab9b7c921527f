"""/docs and /redoc in headless Chromium with every host but the server unreachable: the operations
render from the files in the package and no request leaves the server; screenshots go to
test-artifacts/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from adapters.http.app import create_app
from adapters.kafka.broker import free_port
from engine.bootstrap import build
from tests.e2e.browser import Browser, chromium_path
from tests.support import make_settings, wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Any name but the loopback address resolves to nothing: the machine as good as offline.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The API alone (no broker needed to serve documentation) on a free loopback port."""
    container = build(make_settings(tmp_path, f"sqlite:///{tmp_path / 'pl.db'}", None))
    config = uvicorn.Config(
        create_app(container), host="127.0.0.1", port=free_port(), log_level="warning"
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
    executable = chromium_path()
    if executable is None:
        pytest.fail("chromium is not installed: the README's test command installs it")
    running = Browser(executable, OFFLINE)
    try:
        running.send("Network.enable")
        yield running
    finally:
        running.close()


def operation_ids(server: str) -> set[str]:
    """Every operation the OpenAPI document declares."""
    paths = httpx.get(f"{server}/openapi.json", timeout=10).json()["paths"]
    return {
        operation["operationId"]
        for item in paths.values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def requests_sent(browser: Browser) -> list[str]:
    """URLs the page asked for, but not those its Content-Security-Policy stopped before sending."""
    blocked = {
        e["params"]["requestId"]
        for e in browser.events
        if e["method"] == "Network.loadingFailed" and e["params"].get("blockedReason") == "csp"
    }
    return [
        e["params"]["request"]["url"]
        for e in browser.events
        if e["method"] == "Network.requestWillBeSent" and e["params"]["requestId"] not in blocked
    ]


def elsewhere(urls: list[str], server: str) -> list[str]:
    """URLs not from the server itself (in-page data: and blob: URLs never leave the browser)."""
    origin = urlsplit(server)
    return [
        u
        for u in urls
        if urlsplit(u).scheme not in ("data", "blob")
        and (urlsplit(u).scheme, urlsplit(u).netloc) != (origin.scheme, origin.netloc)
    ]


def settle(browser: Browser) -> None:
    """Lets late requests (images, workers) be reported before the network log is read."""
    count = -1

    def still() -> bool:
        nonlocal count
        browser.evaluate("1")  # reads the events that arrived meanwhile
        done = len(browser.events) == count
        count = len(browser.events)
        return done

    wait_until(still, timeout=10, interval=0.5)


def test_swagger_ui_renders_every_operation_from_the_package_without_network(
    server: str, browser: Browser
) -> None:
    browser.open(f"{server}/docs")
    browser.wait_for("document.querySelectorAll('.opblock').length > 0")
    assert browser.evaluate("document.querySelectorAll('.opblock').length") == len(
        operation_ids(server)
    )
    paths: Any = browser.evaluate(
        "[...document.querySelectorAll('.opblock-summary-path')].map((p) => p.dataset.path)"
    )
    assert "/v1/goals" in paths
    assert browser.evaluate(
        "document.querySelector('.information-container .title').textContent"
    ).startswith("perfledger")
    settle(browser)
    browser.screenshot(ARTIFACTS / "api-docs-swagger-ui.png")
    sent = requests_sent(browser)
    assert f"{server}/static/vendor/swagger-ui/swagger-ui-bundle.js" in sent
    assert f"{server}/openapi.json" in sent
    assert elsewhere(sent, server) == []


def test_redoc_renders_the_operations_from_the_package_without_network(
    server: str, browser: Browser
) -> None:
    browser.open(f"{server}/redoc")
    browser.wait_for(
        "document.querySelectorAll('.menu-content li[data-item-id*=\"/operation/\"]').length > 0"
    )
    listed: Any = browser.evaluate(
        "[...document.querySelectorAll('.menu-content li[data-item-id*=\"/operation/\"]')]"
        ".map((li) => li.dataset.itemId.split('/operation/')[1])"
    )
    assert set(listed) == operation_ids(server)  # the side menu lists every operation
    assert "list_goals_v1_goals_get" in listed
    settle(browser)
    browser.screenshot(ARTIFACTS / "api-docs-redoc.png")
    sent = requests_sent(browser)
    assert f"{server}/static/vendor/redoc/redoc.standalone.js" in sent
    assert f"{server}/openapi.json" in sent
    assert elsewhere(sent, server) == []
