"""Headless Chromium over the Chrome DevTools protocol (a websocket), for the dashboard test."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import websocket

from tests.support import wait_until

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One Chromium process with a fresh profile, and one page to drive."""

    def __init__(self, executable: str, *flags: str) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="perfledger-chromium-"))
        self.process = subprocess.Popen(
            [executable, *FLAGS, *flags, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ids = itertools.count(1)
        self.events: list[
            dict[str, Any]
        ] = []  # what the page reported in between, for tests to read
        self.socket: websocket.WebSocket | None = None
        try:
            self.socket = websocket.create_connection(self._page_url(), timeout=30)
        except BaseException:
            self.close()
            raise

    def _page_url(self) -> str:
        # Chromium writes the port it chose (port 0) into the profile once it listens.
        marker = self.profile / "DevToolsActivePort"
        wait_until(lambda: marker.exists() and marker.read_text().strip(), timeout=30)
        port = int(marker.read_text().split()[0])
        pages = wait_until(
            lambda: [
                t
                for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
                if t["type"] == "page"
            ],
            timeout=15,
        )
        return str(pages[0]["webSocketDebuggerUrl"])

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Sends one command and returns its result (events in between are kept in self.events)."""
        assert self.socket is not None
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if "method" in message:
                self.events.append(message)
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, width: int = 1440, height: int = 1100) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        self.send("Page.navigate", url=url)

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Polls until the expression is truthy; while the page is loading it counts as false."""
        guarded = f"(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()"
        return wait_until(lambda: self.evaluate(guarded), timeout=timeout, interval=0.2)

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page, not just the viewport."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=1440,
            height=min(max(height, 800), 4000),
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(0.3)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(OSError):
                self.socket.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


@contextlib.contextmanager
def running_browser() -> Iterator[Browser]:
    """A headless Chromium for one test, closed also when the test fails."""
    executable = chromium_path()
    if executable is None:
        raise AssertionError("chromium is not installed: the README's test command installs it")
    running = Browser(executable)
    try:
        yield running
    finally:
        running.close()


def up_answers(process: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    """Whether a started `perfledger up` answers /healthz; fails at once when it exited."""
    if process.poll() is not None:
        raise AssertionError(f"perfledger up exited: {log.read_text()}")
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
