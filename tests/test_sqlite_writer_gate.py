"""The SQLite writer gate (scim_server/sqlite_writer_gate.py): one writer at a time,
the next one let in the moment the last one finishes, across threads and processes."""
from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from scim_server.sqlite_writer_gate import WriterGate

#: SQLite's busy handler sleeps up to 100 ms between retries; the gate must wake far sooner.
PROMPT_SECONDS = 0.05


def test_one_thread_may_enter_again_and_leaves_on_its_last_leave(tmp_path: Path) -> None:
    gate = WriterGate(str(tmp_path / "db.writer-lock"), wait_seconds=1)
    assert gate.enter() and gate.enter()
    gate.leave()
    entered = threading.Event()
    other = threading.Thread(target=lambda: gate.enter() and entered.set())
    other.start()
    assert not entered.wait(0.2), "still held after one of two leaves"
    gate.leave()
    assert entered.wait(1)
    other.join()


def test_a_waiting_thread_enters_as_soon_as_the_holder_leaves(tmp_path: Path) -> None:
    gate = WriterGate(str(tmp_path / "db.writer-lock"), wait_seconds=5)
    assert gate.enter()
    entered_at: list[float] = []
    waiter = threading.Thread(target=lambda: gate.enter() and entered_at.append(
        time.monotonic()))
    waiter.start()
    time.sleep(0.2)
    assert not entered_at
    left_at = time.monotonic()
    gate.leave()
    waiter.join(2)
    assert entered_at and entered_at[0] - left_at < PROMPT_SECONDS


def _hold_in_another_process(path: str, held: "multiprocessing.synchronize.Event",
                             seconds: float) -> None:
    gate = WriterGate(path, wait_seconds=5)
    assert gate.enter()
    held.set()
    time.sleep(seconds)
    gate.leave()


@pytest.fixture
def other_process_holds(tmp_path: Path):
    context = multiprocessing.get_context("spawn")
    path = str(tmp_path / "db.writer-lock")

    def start(seconds: float) -> multiprocessing.process.BaseProcess:
        held = context.Event()
        process = context.Process(target=_hold_in_another_process, args=(path, held, seconds))
        process.start()
        assert held.wait(30), "the other process never took the gate"
        return process

    yield path, start


def test_processes_take_turns(other_process_holds) -> None:
    path, start = other_process_holds
    process = start(0.5)
    started = time.monotonic()
    gate = WriterGate(path, wait_seconds=5)
    assert gate.enter()
    waited = time.monotonic() - started
    gate.leave()
    process.join(10)
    assert 0.3 < waited < 0.5 + 0.3, waited


def test_a_wait_that_runs_out_goes_on_without_the_gate(other_process_holds) -> None:
    path, start = other_process_holds
    process = start(2.0)
    gate = WriterGate(path, wait_seconds=0.3)
    started = time.monotonic()
    assert gate.enter() is False
    assert 0.25 < time.monotonic() - started < 1.0
    gate.leave()  # harmless: nothing was entered
    process.join(10)
    assert gate.enter() is True, "the turn is free again once the holder left"
    gate.leave()


def test_a_dead_holder_frees_the_gate(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    path = str(tmp_path / "db.writer-lock")
    held = context.Event()
    process = context.Process(target=_hold_in_another_process, args=(path, held, 60))
    process.start()
    assert held.wait(30)
    process.kill()
    process.join(10)
    gate = WriterGate(path, wait_seconds=2)
    started = time.monotonic()
    assert gate.enter()
    assert time.monotonic() - started < 0.5
    gate.leave()
