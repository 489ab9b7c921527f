"""Liveness files: fresh while a component's thread runs, stale once it stops."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from engine.liveness import Heartbeat, WorkerThread, heartbeat, live_dir, problems
from engine.settings import Settings
from tests.support import wait_until


def settings_in(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, liveness_seconds=0.05, port=1)


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_running_component_is_healthy_and_a_stopped_one_goes_stale(tmp_path: Path) -> None:
    settings, stop = settings_in(tmp_path), threading.Event()
    running = threading.Thread(target=stop.wait, name="perfledger-relay", daemon=True)
    finished = threading.Thread(target=lambda: None, name="perfledger-projector")
    running.start()
    finished.start()
    finished.join()
    try:
        beat = Heartbeat(settings, ["relay", "projector"], [running, finished])
        beat.beat()
        assert problems(settings, ["relay"], max_age=10) == []
        assert problems(settings, ["projector"], max_age=10) == [
            f"projector: not running (no {live_dir(settings) / 'projector'})"
        ]
        age(live_dir(settings) / "relay", 30)
        assert problems(settings, ["relay"], max_age=10)[0].startswith("relay: last alive 30s ago")
        beat.beat()
        assert problems(settings, [], max_age=10) == []
    finally:
        stop.set()


def test_nothing_reported_is_not_healthy(tmp_path: Path) -> None:
    assert problems(settings_in(tmp_path), [], max_age=10) == [
        f"no component has reported in {tmp_path / 'live'}"
    ]


def test_the_heartbeat_keeps_files_fresh_drops_stale_ones_and_removes_its_own_at_stop(
    tmp_path: Path,
) -> None:
    settings, stop = settings_in(tmp_path), threading.Event()
    worker = threading.Thread(target=stop.wait, name="perfledger-sealer", daemon=True)
    worker.start()
    live_dir(settings).mkdir(parents=True)
    left_behind = live_dir(settings) / "ingestor"  # from an earlier run that was killed
    left_behind.touch()
    age(left_behind, 60)
    try:
        with heartbeat(settings, ["sealer"], [worker]):
            assert not left_behind.exists()
            age(live_dir(settings) / "sealer", 30)
            deadline = time.monotonic() + 5
            while problems(settings, ["sealer"], max_age=1) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert problems(settings, ["sealer"], max_age=1) == []
        assert not (live_dir(settings) / "sealer").exists()
    finally:
        stop.set()


def test_the_api_is_healthy_only_when_readyz_answers(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)  # port 1: nobody listens there
    Heartbeat(settings, ["api"], []).beat()
    assert (live_dir(settings) / "api").read_text() == "http://127.0.0.1:1/readyz"
    (problem,) = problems(settings, ["api"], max_age=10)
    assert problem.startswith("api: http://127.0.0.1:1/readyz unreachable")


def test_a_worker_stuck_inside_one_call_stops_being_marked_alive(tmp_path: Path) -> None:
    settings, stop, release, entered = (
        settings_in(tmp_path),
        threading.Event(),
        threading.Event(),
        threading.Event(),
    )

    def run(loop: threading.Event, stuck: threading.Event) -> None:
        while not loop.is_set():
            if stuck.is_set():
                entered.set()
                release.wait()  # a call that does not return, e.g. a lock nobody gives back
                stuck.clear()
            loop.wait(0.01)

    stuck = threading.Event()
    worker = WorkerThread("relay", run, stop, stuck)
    worker.start()
    try:
        beat = Heartbeat(settings, ["relay"], [worker])
        beat.beat()
        assert problems(settings, ["relay"], max_age=10) == []
        stuck.set()
        assert entered.wait(5)
        worker.signal.back_by -= 60  # as if a minute had passed since it last came back
        age(live_dir(settings) / "relay", 60)
        beat.beat()
        assert problems(settings, ["relay"], max_age=10)[0].startswith("relay: last alive 60s ago")
        release.set()
        wait_until(lambda: not worker.signal.overdue(10), timeout=5)
        beat.beat()
        assert problems(settings, ["relay"], max_age=10) == []
    finally:
        release.set()
        stop.set()
        worker.join(5)
    assert not worker.is_alive()


def test_a_worker_idle_in_a_long_wait_is_not_stuck(tmp_path: Path) -> None:
    settings, stop = settings_in(tmp_path), threading.Event()
    worker = WorkerThread("progress", lambda loop: loop.wait(3600), stop)
    worker.start()
    try:
        wait_until(lambda: worker.signal.back_by > time.monotonic() + 60, timeout=5)
        Heartbeat(settings, ["progress"], [worker]).beat()
        assert problems(settings, ["progress"], max_age=0.01) == []
    finally:
        stop.set()
        worker.join(5)
