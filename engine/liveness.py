"""Liveness for container health checks: a file per running component, kept fresh by `up`.

`perfledger up` touches <data dir>/live/<component> every PERFLEDGER_LIVENESS_SECONDS
while that component's loop turns; `perfledger health` fails when a file is missing or
stale. Every worker loop looks at its stop signal on each turn (and waits on it when
idle), so the signal it is handed records when the loop will next be back: a worker
stuck inside one call stops its file being touched. The API's file holds its /readyz
address, which the check also asks, so an API is healthy only when it answers and the
pipeline behind it keeps up.
"""

from __future__ import annotations

import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from engine.settings import Settings

LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def live_dir(settings: Settings) -> Path:
    return settings.data_dir / "live"


def readyz_url(settings: Settings) -> str:
    """Where a check inside the same container reaches this process's API."""
    host = LOOPBACK.get(settings.host, settings.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}/readyz"


class LoopSignal(threading.Event):
    """A worker's view of the shared stop signal: each look at it is a sign of the loop's life."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop
        self.back_by = time.monotonic()

    def is_set(self) -> bool:
        self.back_by = time.monotonic()
        return self.stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        # Idle by design until then: not stuck.
        self.back_by = time.monotonic() + (math.inf if timeout is None else timeout)
        return self.stop.wait(timeout)

    def set(self) -> None:
        self.stop.set()

    def clear(self) -> None:
        self.stop.clear()

    def overdue(self, max_age: float) -> bool:
        return time.monotonic() - self.back_by > max_age


class WorkerThread(threading.Thread):
    """A component's thread; its loop gets a LoopSignal of the shared stop, so liveness sees it
    turn."""

    def __init__(
        self, name: str, run: Callable[..., None], stop: threading.Event, *args: object
    ) -> None:
        self.signal = LoopSignal(stop)
        super().__init__(
            target=run, args=(self.signal, *args), name=f"perfledger-{name}", daemon=True
        )


def running(thread: threading.Thread, max_age: float) -> bool:
    """Alive, and (for a worker) its loop came back to its stop signal within max_age."""
    if not thread.is_alive():
        return False
    return not (isinstance(thread, WorkerThread) and thread.signal.overdue(max_age))


class Heartbeat:
    """Keeps one liveness file per component fresh while the component runs."""

    def __init__(
        self, settings: Settings, components: Sequence[str], threads: Iterable[threading.Thread]
    ) -> None:
        self.settings = settings
        self.directory = live_dir(settings)
        by_name = {t.name.removeprefix("perfledger-"): t for t in threads}
        # The API is served on the main thread: it lives as long as the process does.
        self.watched = {
            name: by_name.get(name, threading.main_thread())
            for name in components
            if name in by_name or name == "api"
        }

    def beat(self) -> None:
        """Touches the file of every component whose loop still turns."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, thread in self.watched.items():
            if running(thread, default_max_age(self.settings)):
                path = self.directory / name
                path.write_text(readyz_url(self.settings) if name == "api" else "")

    def forget(self) -> None:
        for name in self.watched:
            (self.directory / name).unlink(missing_ok=True)

    def forget_stale(self, max_age: float) -> None:
        """Drops files a killed earlier run left behind, so a plain `perfledger health` judges
        this one."""
        for path in self.directory.glob("*") if self.directory.exists() else ():
            if time.time() - path.stat().st_mtime > max_age:
                path.unlink(missing_ok=True)


@contextmanager
def heartbeat(
    settings: Settings, components: Sequence[str], threads: Iterable[threading.Thread]
) -> Iterator[None]:
    """Runs a Heartbeat in a daemon thread for the duration of the block, then removes its files."""
    beat, stop = Heartbeat(settings, components, threads), threading.Event()
    beat.forget_stale(default_max_age(settings))
    beat.beat()

    def run() -> None:
        while not stop.wait(settings.liveness_seconds):
            beat.beat()

    thread = threading.Thread(target=run, name="perfledger-liveness", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        beat.forget()


def default_max_age(settings: Settings) -> float:
    """Six missed beats (30 s by default) mean the component is gone or stuck: long enough
    for a slow batch or a broker reconnect, short enough for an orchestrator to act on."""
    return 6 * settings.liveness_seconds


def problems(settings: Settings, components: Sequence[str], max_age: float) -> list[str]:
    """Why the named components (all with a file, when none are named) are not healthy; empty
    when they are."""
    directory = live_dir(settings)
    names = list(components)
    if not names and directory.exists():
        names = sorted(p.name for p in directory.glob("*"))
    if not names:
        return [f"no component has reported in {directory}"]
    found = []
    for name in names:
        found.extend(problem_of(directory / name, name, max_age))
    return found


def problem_of(path: Path, name: str, max_age: float) -> list[str]:
    if not path.exists():
        return [f"{name}: not running (no {path})"]
    age = time.time() - path.stat().st_mtime
    if age > max_age:
        return [f"{name}: last alive {age:.0f}s ago (limit {max_age:.0f}s)"]
    if name == "api":
        return api_problem(path.read_text().strip())
    return []


def api_problem(url: str) -> list[str]:
    try:
        with urllib.request.urlopen(url, timeout=5):  # our own loopback address
            return []
    except urllib.error.HTTPError as error:
        return [f"api: {url} answered {error.code}"]
    except OSError as error:
        return [f"api: {url} unreachable: {error}"]
    except ValueError:  # caught between the heartbeat's truncate and write: next time
        return [f"api: no address in its liveness file yet ({url!r})"]
