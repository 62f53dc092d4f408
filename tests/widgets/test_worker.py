"""The re-query worker on its own: no traitlets, no widget, a plain owner object."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from limewidgets.widgets._worker import RequeryWorker


class Owner:
    """Records the jobs it ran; a job can be held at a gate or made to fail."""

    def __init__(self):
        self.ran = []
        self.failed = []
        self.idle = 0
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self.fail = False

    def _run_job(self, slot, payload):
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10), "test gate never opened"
        if self.fail:
            raise RuntimeError(f"job {payload} failed")
        self.ran.append((slot, payload))

    def _job_failed(self, slot, payload, err):
        self.failed.append((slot, payload, str(err)))

    def _worker_idle(self):
        self.idle += 1


def test_runs_a_job_and_is_idle_afterwards():
    owner = Owner()
    worker = RequeryWorker(owner)
    worker.submit("state", 1)
    assert worker.wait(10)
    assert owner.ran == [("state", 1)]
    assert owner.idle == 1
    assert not worker.busy and not worker.has_work


def test_newest_payload_replaces_the_waiting_one_and_slots_keep_their_order():
    owner = Owner()
    owner.gate = threading.Event()
    worker = RequeryWorker(owner)
    worker.submit("state", 1)
    assert owner.started.wait(10)  # job 1 is running, held at the gate
    worker.submit("search", "a")
    worker.submit("state", 2)
    worker.submit("state", 3)  # replaces 2, which never runs
    owner.gate.set()
    assert worker.wait(10)
    assert owner.ran == [("state", 1), ("state", 3), ("search", "a")]
    assert owner.idle == 1  # idle once, after the last job, not between jobs


def test_a_failing_job_is_reported_and_the_worker_keeps_working():
    owner = Owner()
    worker = RequeryWorker(owner)
    owner.fail = True
    worker.submit("state", 1)
    assert worker.wait(10)
    assert owner.failed == [("state", 1, "job 1 failed")]
    owner.fail = False
    worker.submit("state", 2)
    assert worker.wait(10)
    assert owner.ran == [("state", 2)]


def test_an_idle_worker_holds_no_thread():
    owner = Owner()
    worker = RequeryWorker(owner)
    for payload in range(3):
        worker.submit("state", payload)
        assert worker.wait(10)
    thread_gone = threading.Event()
    for _ in range(100):
        if not worker.alive:
            thread_gone.set()
            break
        threading.Event().wait(0.01)
    assert thread_gone.is_set()
    assert not any(t.name == worker.name for t in threading.enumerate())


def test_discard_and_close_drop_waiting_jobs():
    owner = Owner()
    owner.gate = threading.Event()
    worker = RequeryWorker(owner)
    worker.submit("state", 1)
    assert owner.started.wait(10)
    worker.submit("search", "a")
    assert worker.discard("search") is True
    assert worker.discard("search") is False
    worker.submit("state", 2)
    worker.close()
    owner.gate.set()
    assert worker.wait(10)
    assert owner.ran == [("state", 1)]
    worker.submit("state", 3)  # a closed worker starts again on new work
    assert worker.wait(10)
    assert owner.ran == [("state", 1), ("state", 3)]


def test_unknown_slot_is_a_value_error():
    worker = RequeryWorker(Owner())
    with pytest.raises(ValueError, match="slot must be one of"):
        worker.submit("nope", 1)
    with pytest.raises(ValueError, match="slots must name"):
        RequeryWorker(Owner(), ())


def test_the_worker_does_not_keep_its_owner_alive():
    owner = Owner()
    worker = RequeryWorker(owner)
    worker.submit("state", 1)
    assert worker.wait(10)
    ref = weakref.ref(owner)
    del owner
    gc.collect()
    assert ref() is None
    assert not worker.has_work
