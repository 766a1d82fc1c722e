"""JobManager: idempotent submission, resume, back-off, bounded retries (scripted runner, no Qiskit)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from qml.backends.jobs import (
    JobCancelledError,
    JobFailedError,
    JobManager,
    JobTimeoutError,
    PollPolicy,
    RetryPolicy,
    Submission,
    http_status,
    is_transient,
    key_tag,
    normalize_status,
    retry_call,
)
from qml.backends.ledger import BudgetExceededError, Ledger


class ApiError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"{status} error")
        self.status_code = status


class FakeJob:
    def __init__(
        self, runner: ScriptedRunner, job_id: str, statuses: list[str], value: float, tags: list[str]
    ):
        self.runner, self._id, self.statuses, self.value, self.tags = (
            runner,
            job_id,
            list(statuses),
            value,
            tags,
        )

    def job_id(self) -> str:
        return self._id

    def status(self) -> str:
        if self.runner.status_faults:
            raise ApiError(self.runner.status_faults.pop(0))
        return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def result(self) -> dict:
        return {"evs": np.full((2, 1), self.value)}

    def error_message(self) -> str:
        return "qubit 3 is broken"


class ScriptedRunner:
    """A service that remembers jobs (by id and tag) and follows a script of statuses."""

    def __init__(self, local: bool = False) -> None:
        self.is_local = local
        self.backend_name = "scripted"
        self.jobs: dict[str, FakeJob] = {}
        self.submits = 0
        self.counter = itertools.count()
        self.script: list[str] = ["QUEUED", "RUNNING", "DONE"]
        self.submit_faults: list[tuple[int, bool]] = []  # (status, job created anyway)
        self.status_faults: list[int] = []
        self.cancelled: list[str] = []

    def submit(self, sub, tags):
        fault = self.submit_faults.pop(0) if self.submit_faults else None
        if fault and not fault[1]:
            raise ApiError(fault[0])
        job = FakeJob(self, f"job-{next(self.counter)}", self.script, float(sub.payload), tags)
        self.jobs[job.job_id()] = job
        self.submits += 1
        if fault:
            raise ApiError(fault[0])
        return job

    def job(self, job_id):
        return None if self.is_local else self.jobs.get(job_id)

    def find_jobs(self, tags):
        return [] if self.is_local else [j for j, job in self.jobs.items() if set(tags) <= set(job.tags)]

    def extract(self, job, result):
        return result, {"job": job.job_id()}

    def usage(self, job):
        return 1.5

    def session_id(self, job):
        return None

    def cancel(self, job_id):
        self.cancelled.append(job_id)


def sub(value: float = 0.5, shots: int = 100) -> Submission:
    return Submission(
        backend="scripted",
        content_hash=f"h{value}",
        shots=shots,
        options={"shots": shots},
        cost_shots=shots,
        cost_seconds=1.0,
        payload=value,
    )


@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path / "l.sqlite")
    yield led
    led.close()


def manager(ledger, runner, **kw) -> JobManager:
    sleeps: list[float] = []
    m = JobManager(
        ledger,
        runner,
        run_id=kw.pop("run_id", "run-1"),
        sleep=sleeps.append,
        retry=RetryPolicy(attempts=4, initial=1.0, factor=2.0, max_delay=3.0),
        **kw,
    )
    m.sleeps = sleeps  # type: ignore[attr-defined]
    return m


# -- helpers -----------------------------------------------------------------------------------
def test_normalize_status():
    from qiskit.providers import JobStatus

    assert [normalize_status(s) for s in ("Queued", "Running", "Completed", "Failed", "Cancelled")] == [
        "QUEUED",
        "RUNNING",
        "DONE",
        "ERROR",
        "CANCELLED",
    ]
    assert normalize_status(JobStatus.RUNNING) == "RUNNING"
    assert normalize_status("INITIALIZING") == "QUEUED"
    with pytest.raises(ValueError, match="known"):
        normalize_status("EXPLODED")


def test_http_status_through_from_none_chains():
    def wrapped():
        try:
            raise ApiError(429)
        except ApiError:
            raise RuntimeError("Failed to run program") from None

    with pytest.raises(RuntimeError) as info:
        wrapped()
    assert http_status(info.value) == 429
    assert is_transient(info.value)
    assert not is_transient(ApiError(400))
    assert is_transient(ApiError(503))
    assert not is_transient(JobTimeoutError("still queued"))


def test_retry_call_is_bounded():
    sleeps: list[float] = []
    calls = []

    def always():
        calls.append(1)
        raise ApiError(500)

    with pytest.raises(ApiError):
        retry_call(always, RetryPolicy(attempts=3, initial=0.5), sleeps.append)
    assert len(calls) == 3
    assert sleeps == [0.5, 1.0]
    with pytest.raises(ApiError):
        retry_call(lambda: (_ for _ in ()).throw(ApiError(404)), RetryPolicy(attempts=3), sleeps.append)
    assert len(sleeps) == 2  # a 404 is not retried


# -- the manager ---------------------------------------------------------------------------------
def test_submit_poll_store_and_replay(ledger):
    runner = ScriptedRunner()
    m = manager(ledger, runner)
    out = m.run(sub(0.5))
    assert out.arrays["evs"].tolist() == [[0.5], [0.5]]
    assert not out.reused
    rec = out.record
    assert rec.status == "DONE"
    assert rec.job_id == "job-0"
    assert rec.usage_seconds == 1.5
    assert rec.step == 1
    assert key_tag(rec.key) in rec.job_tags
    assert "qml-run-run-1" in rec.job_tags
    assert m.sleeps == [1.0, 1.5]  # polled QUEUED, RUNNING with growing intervals
    # a new process with the same run id: nothing is submitted again
    m2 = manager(ledger, runner)
    again = m2.run(sub(0.5))
    assert again.reused
    assert runner.submits == 1
    assert again.arrays["evs"].tolist() == [[0.5], [0.5]]
    # the same content twice in one run is two jobs (occurrence counter), replayed in order
    m2.run(sub(0.5))
    assert runner.submits == 2


def test_poll_back_off_is_exponential_and_capped(ledger):
    runner = ScriptedRunner()
    runner.script = ["QUEUED"] * 8 + ["DONE"]
    m = JobManager(
        ledger,
        runner,
        run_id="r",
        sleep=(s := []).append,
        poll=PollPolicy(initial=1.0, factor=2.0, max_interval=5.0),
    )
    m.run(sub())
    assert s == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0]


def test_crash_between_submission_and_ledger_write(ledger):
    runner = ScriptedRunner()

    def crash(job_id):
        raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        manager(ledger, runner, after_submit=crash).run(sub(0.25))
    (rec,) = ledger.jobs()
    assert rec.status == "RESERVED"
    assert rec.job_id is None
    assert runner.submits == 1
    out = manager(ledger, runner).run(sub(0.25))  # restart: found by its key tag
    assert out.reused
    assert runner.submits == 1
    assert out.record.job_id == "job-0"
    assert ledger.budget().used_shots == 100
    assert ledger.budget().reserved_shots == 0


def test_in_flight_job_is_resumed_by_id(ledger):
    runner = ScriptedRunner()
    runner.script = ["QUEUED"]
    with pytest.raises(JobTimeoutError, match="stays in the ledger"):
        manager(ledger, runner, poll=PollPolicy(initial=1.0, timeout=0.0)).run(sub())
    (rec,) = ledger.jobs()
    assert rec.status == "QUEUED"
    assert rec.job_id == "job-0"
    runner.jobs["job-0"].statuses = ["DONE"]
    out = manager(ledger, runner).run(sub())
    assert out.reused
    assert runner.submits == 1
    assert out.record.status == "DONE"


def test_transient_submission_errors_are_retried(ledger):
    runner = ScriptedRunner()
    runner.submit_faults = [(429, False), (503, False)]
    m = manager(ledger, runner)
    m.run(sub())
    assert runner.submits == 1
    assert m.sleeps[:2] == [1.0, 2.0]


def test_ambiguous_5xx_does_not_duplicate(ledger):
    runner = ScriptedRunner()
    runner.submit_faults = [(500, True)]  # the job exists, the client saw a 500
    out = manager(ledger, runner).run(sub())
    assert runner.submits == 1
    assert out.record.job_id == "job-0"
    assert out.record.status == "DONE"


def test_non_transient_submission_error_releases_the_reservation(ledger):
    ledger.set_budget(max_shots=100)
    runner = ScriptedRunner()
    runner.submit_faults = [(400, False)]
    with pytest.raises(ApiError):
        manager(ledger, runner).run(sub())
    assert ledger.budget().reserved_shots == 0
    assert ledger.jobs()[0].status == "ERROR"
    manager(ledger, runner, run_id="run-2").run(sub())  # the budget is free again


def test_polling_survives_transient_errors(ledger):
    runner = ScriptedRunner()
    runner.status_faults = [429, 502]
    assert manager(ledger, runner).run(sub()).record.status == "DONE"


def test_failed_and_cancelled_jobs(ledger):
    runner = ScriptedRunner()
    runner.script = ["RUNNING", "ERROR"]
    with pytest.raises(JobFailedError, match="qubit 3 is broken"):
        manager(ledger, runner).run(sub())
    rec = ledger.jobs()[0]
    assert rec.status == "ERROR"
    assert rec.error == "qubit 3 is broken"
    assert rec.usage_seconds == 1.5
    with pytest.raises(JobFailedError, match="ended ERROR"):
        manager(ledger, runner, resubmit_failed=False).run(sub())
    runner.script = ["DONE"]
    out = manager(ledger, runner).run(sub())  # resubmitted: the failed job is not adopted
    assert out.record.status == "DONE"
    assert out.record.job_id == "job-1"
    assert runner.submits == 2
    runner.script = ["CANCELLED"]
    with pytest.raises(JobCancelledError):
        manager(ledger, runner, run_id="run-3").run(sub())


def test_budget_refusal_submits_nothing(ledger):
    ledger.set_budget(max_shots=150)
    runner = ScriptedRunner()
    m = manager(ledger, runner)
    m.run(sub(0.1))
    with pytest.raises(BudgetExceededError, match="100 used"):
        m.run(sub(0.2))
    assert runner.submits == 1
    assert len(ledger.jobs()) == 1


def test_local_jobs_are_rerun_not_fetched(ledger):
    runner = ScriptedRunner(local=True)
    runner.script = ["QUEUED"]
    with pytest.raises(JobTimeoutError):
        manager(ledger, runner, poll=PollPolicy(timeout=0.0)).run(sub())
    runner.script = ["DONE"]
    out = manager(ledger, runner).run(sub())
    assert runner.submits == 2
    assert out.record.status == "DONE"
    assert out.record.attempts == 2


def test_wait_for_and_cancel(ledger):
    runner = ScriptedRunner()
    runner.script = ["QUEUED"]
    with pytest.raises(JobTimeoutError):
        manager(ledger, runner, poll=PollPolicy(timeout=0.0)).run(sub(0.1))
    runner.jobs["job-0"].statuses = ["RUNNING", "DONE"]
    rec = manager(ledger, runner).wait_for("job-0")
    assert rec.status == "DONE"
    assert ledger.result("job-0")["evs"][0, 0] == 0.1
    with pytest.raises(JobTimeoutError):
        manager(ledger, runner, run_id="r2", poll=PollPolicy(timeout=0.0)).run(sub(0.2))
    rec = manager(ledger, runner).cancel("job-1")
    assert rec.status == "CANCELLED"
    assert runner.cancelled == ["job-1"]


# -- two processes on one run id: exactly one submission ----------------------------------------------
class _Waits:
    """A sleep function that says when its manager has started waiting for another one."""

    def __init__(self) -> None:
        import threading

        self.waiting = threading.Event()

    def __call__(self, seconds: float) -> None:
        import time

        self.waiting.set()
        time.sleep(0.002)


def _race(tmp_path, point: str, local: bool = False):
    """Manager A stops at ``point``; manager B (own ledger connection, same run id) starts; then A goes on."""
    import threading

    runner = ScriptedRunner(local=local)
    waits_b = _Waits()
    led_a, led_b = Ledger(tmp_path / "l.sqlite"), Ledger(tmp_path / "l.sqlite")
    hooks: dict = {}

    at_point = threading.Event()

    def pause(name):
        if (
            name == point
            and threading.current_thread() is not threading.main_thread()
            and not at_point.is_set()
        ):
            at_point.set()
            assert waits_b.waiting.wait(10), f"B never waited at {point}"

    a = manager(led_a, runner, after_submit=lambda job_id: pause("after_submit"))
    a.sleep = lambda s: pause("polling")
    real_submit = runner.submit

    def submit(sub_, tags):
        pause("before_submit")
        return real_submit(sub_, tags)

    runner.submit = submit
    runner.script = ["QUEUED", "RUNNING", "DONE"]
    b = JobManager(led_b, runner, run_id="run-1", sleep=waits_b)
    out: dict = {}
    ta = threading.Thread(target=lambda: out.setdefault("a", a.run(sub(0.25))))
    ta.start()
    assert at_point.wait(10), f"A never reached {point}"
    hooks["b"] = b.run(sub(0.25))
    ta.join(10)
    led_a.close()
    led_b.close()
    return runner, out["a"], hooks["b"]


@pytest.mark.parametrize("point", ["before_submit", "after_submit", "polling"])
@pytest.mark.parametrize("local", [False, True])
def test_two_managers_on_one_run_submit_once(tmp_path, point, local):
    runner, a, b = _race(tmp_path, point, local)
    assert runner.submits == 1
    assert not a.reused
    assert b.reused
    assert float(b.arrays["evs"][0, 0]) == float(a.arrays["evs"][0, 0]) == 0.25
    led = Ledger(tmp_path / "l.sqlite")
    (rec,) = led.jobs()
    assert rec.status == "DONE"
    assert led.budget().used_shots == 100  # charged once
    led.close()


def test_the_loser_of_the_reservation_race_waits(tmp_path):
    """B reads no row, A reserves, then B reserves: B gets A's row and must not submit."""
    import threading

    runner = ScriptedRunner()
    reserved = threading.Event()
    waits_b = _Waits()

    class LateLedger(Ledger):
        def reserve(self, req, owner=None, lease=300.0):
            assert reserved.wait(10)
            return super().reserve(req, owner, lease)

    led_a, led_b = Ledger(tmp_path / "l.sqlite"), LateLedger(tmp_path / "l.sqlite")
    real_submit = runner.submit

    def submit(sub_, tags):
        reserved.set()
        assert waits_b.waiting.wait(10)
        return real_submit(sub_, tags)

    runner.submit = submit
    a = manager(led_a, runner)
    b = JobManager(led_b, runner, run_id="run-1", sleep=waits_b)
    out: dict = {}
    ta = threading.Thread(target=lambda: out.setdefault("a", a.run(sub(0.5))))
    ta.start()
    rb = b.run(sub(0.5))
    ta.join(10)
    assert runner.submits == 1
    assert rb.reused
    assert not out["a"].reused


def test_a_claim_of_a_dead_process_is_taken_over_at_once(ledger):
    from qml.backends.ledger import JobRequest

    ledger.reserve(JobRequest(key="k", run_id="r", backend="b"), owner="ghost-host:1:x", lease=3600)
    assert not ledger.claim("k", "me")  # another host: the lease binds
    import socket

    ledger.unclaim("k", "ghost-host:1:x")
    dead = f"{socket.gethostname()}:{2**22 + 12345}:x"  # above the usual pid_max: no such process
    ledger.claim("k", dead, lease=3600)
    assert ledger.claim("k", "me")
    assert ledger.claim_holder("k") == "me"


def test_an_interrupted_submitter_releases_its_claim(ledger):
    runner = ScriptedRunner()

    def crash(job_id):
        raise KeyboardInterrupt("killed")

    with pytest.raises(KeyboardInterrupt):
        manager(ledger, runner, after_submit=crash).run(sub(0.25))
    (rec,) = ledger.jobs()
    assert ledger.claim_holder(rec.key) is None


def _process_run(path, marker, delay):
    """One process of the two-process test: a scripted service that logs each submission to ``marker``."""
    import time

    runner = ScriptedRunner()
    real_submit = runner.submit

    def submit(sub_, tags):
        with open(marker, "a") as f:
            f.write("submit\n")
        time.sleep(delay)
        return real_submit(sub_, tags)

    runner.submit = submit
    led = Ledger(path)
    out = JobManager(led, runner, run_id="run-1", sleep=lambda s: time.sleep(0.01)).run(sub(0.75))
    led.close()
    return float(out.arrays["evs"][0, 0]), out.reused


def test_two_processes_resuming_one_run_submit_once(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    marker = tmp_path / "submissions.log"
    with ctx.Pool(2) as pool:
        results = pool.starmap(
            _process_run, [(tmp_path / "l.sqlite", marker, 0.5), (tmp_path / "l.sqlite", marker, 0.5)]
        )
    assert marker.read_text().count("submit") == 1
    assert sorted(r for _, r in results) == [False, True]
    assert all(v == 0.75 for v, _ in results)
