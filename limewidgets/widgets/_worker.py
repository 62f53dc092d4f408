"""The background worker that answers a widget's re-queries without blocking the kernel.

:class:`RequeryWorker` knows nothing about traitlets: it runs jobs for an *owner* (the widget)
that it holds only through a weak reference, so a widget that is dropped without ``close()`` is
still freed. Its thread lives only while there is work: an idle widget holds no thread at all.

Each job kind has a one-slot mailbox, not a queue: a newer payload replaces the one still
waiting, so a burst of edits costs at most two model calls (the one already running and the
latest). Slots are served in the order they were declared.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Sequence
from typing import Any, Protocol

_EMPTY = object()


class WorkerOwner(Protocol):
    """What the worker calls on its owner (all called from the worker thread).

    ``_run_job(slot, payload)`` runs one job; ``_job_failed(slot, payload, err)`` is told about an
    exception the job let through; ``_worker_idle()`` is called with the worker's lock held when
    the last job finished and nothing is waiting.
    """

    def _run_job(self, slot: str, payload: Any) -> None: ...

    def _job_failed(self, slot: str, payload: Any, err: Exception) -> None: ...

    def _worker_idle(self) -> None: ...


class RequeryWorker:
    """A daemon thread, started on demand, serving one-slot mailboxes for a weakly held owner.

    Parameters
    ----------
    owner : WorkerOwner
        The object whose ``_run_job`` does the work. Only a weak reference is kept: once the
        owner is garbage-collected the worker closes itself and its thread ends.
    slots : sequence of str, default=("state", "search")
        The job kinds, highest priority first.
    name : str, default="limewidgets-requery"
        The thread's name.
    lock : threading.RLock, optional
        The lock guarding the mailboxes. Pass the owner's own lock when the owner publishes
        results under it, so that "nothing is waiting" and "mark idle" are one atomic step.
    """

    def __init__(
        self,
        owner: WorkerOwner,
        slots: Sequence[str] = ("state", "search"),
        *,
        name: str = "limewidgets-requery",
        lock: threading.RLock | None = None,
    ) -> None:
        if not slots:
            raise ValueError("slots must name at least one job kind")
        self._owner = weakref.ref(owner)
        self._slots: dict[str, Any] = dict.fromkeys(slots, _EMPTY)
        self.name = name
        self.lock = threading.RLock() if lock is None else lock
        self._changed = threading.Condition(self.lock)
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        # Runs when the owner is collected; holds the worker, never the owner.
        weakref.finalize(owner, self.close)

    # ------------------------------------------------------------------ state
    @property
    def has_work(self) -> bool:
        """Whether a job is waiting in some slot."""
        with self.lock:
            return any(payload is not _EMPTY for payload in self._slots.values())

    @property
    def busy(self) -> bool:
        """Whether a job is running right now."""
        with self.lock:
            return self._busy

    @property
    def alive(self) -> bool:
        """Whether the worker thread is running."""
        with self.lock:
            return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ API
    def submit(self, slot: str, payload: Any) -> None:
        """Put ``payload`` in ``slot`` (replacing a waiting one) and wake or start the thread.

        Parameters
        ----------
        slot : str
            One of the worker's slots.
        payload : object
            Passed to ``owner._run_job(slot, payload)``.
        """
        with self.lock:
            if slot not in self._slots:
                raise ValueError(f"slot must be one of {list(self._slots)}; got {slot!r}")
            self._slots[slot] = payload
            self._closed = False
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def discard(self, slot: str) -> bool:
        """Drop the payload waiting in ``slot``; return whether there was one."""
        with self.lock:
            waiting = self._slots.get(slot, _EMPTY) is not _EMPTY
            if slot in self._slots:
                self._slots[slot] = _EMPTY
            self._changed.notify_all()
            return waiting

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no job is running or waiting.

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most (default: no limit).

        Returns
        -------
        bool
            True if the worker is idle, False if the timeout expired first.
        """
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._busy and not self._has_work(), timeout=timeout
            )

    def close(self, timeout: float | None = None) -> None:
        """Drop waiting jobs; the thread ends after the job it is running, if any.

        Parameters
        ----------
        timeout : float, optional
            Also wait this many seconds for the thread to end (default: do not wait).
        """
        with self._changed:
            self._closed = True
            for slot in self._slots:
                self._slots[slot] = _EMPTY
            thread = self._thread
            self._changed.notify_all()
        if timeout is not None and thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # ------------------------------------------------------------------ the thread
    def _has_work(self) -> bool:
        return any(payload is not _EMPTY for payload in self._slots.values())

    def _take(self) -> tuple[str, Any]:
        for slot, payload in self._slots.items():
            if payload is not _EMPTY:
                self._slots[slot] = _EMPTY
                return slot, payload
        raise RuntimeError("no job waiting")  # unreachable: called only when _has_work()

    def _serve(self) -> None:
        while True:
            with self._changed:
                if self._closed or not self._has_work():
                    # An idle widget keeps no thread; a later submit starts a new one (under
                    # the lock, so no job can slip in between this check and the exit).
                    self._thread = None
                    return
                slot, payload = self._take()
                self._busy = True
            # The strong reference lives only while a job runs, never while the thread waits.
            owner = self._owner()
            try:
                if owner is not None:
                    owner._run_job(slot, payload)
            except Exception as err:  # the worker must not die: the owner reports it
                if owner is not None:
                    # If even reporting fails (e.g. the comm is gone) there is no one to tell.
                    with contextlib.suppress(Exception):
                        owner._job_failed(slot, payload, err)
            finally:
                with self._changed:
                    self._busy = False
                    if owner is not None and not self._has_work():
                        with contextlib.suppress(Exception):
                            owner._worker_idle()
                    self._changed.notify_all()
                owner = None
                payload = None
