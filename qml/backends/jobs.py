"""Submit, resume and poll jobs through the ledger: never twice, never lost.

:class:`JobManager` runs one :class:`Submission` at a time for a run:

1. It derives the submission's idempotency key from the run id, the content hash
   (backend, circuit, parameter values, observables, shots, options) and how many
   times this content already occurred in the run, so replaying a deterministic
   training script maps every step to the same key.
2. A key whose job is DONE returns the stored result: nothing is submitted.
3. A key with a job id (queued or running when the client died) is fetched by id and
   waited for. A key that was reserved but has no job id (the client died between
   submission and the ledger write) is looked up by its tag ``qml-key-<key>`` before
   anything is resubmitted. Local-testing-mode jobs cannot be fetched again, so they are
   resubmitted (they are free) and their results stored at once.
4. Another process working on the same key (two copies of a script resuming one run id)
   holds the key's claim in the ledger (:meth:`~qml.backends.ledger.Ledger.claim`): this
   one waits until the job is final and returns its stored result, or takes over when the
   owner gave up, died on this host or let its lease lapse. Exactly one process submits.
5. Otherwise the budget is reserved (atomically; :class:`~qml.backends.ledger.BudgetExceededError`
   refuses the job before submission), the job is submitted with its tags and the job
   id is written to the ledger.
6. Polling backs off exponentially (:class:`PollPolicy`); transient API errors (HTTP
   429 and 5xx, connection errors) are retried a bounded number of times
   (:class:`RetryPolicy`). An ambiguous failed submission (a 5xx after which the job
   may exist) is checked by tag before it is retried.

Statuses are normalised by :func:`normalize_status`: remote ``RuntimeJobV2.status()``
returns strings, local jobs return ``qiskit.providers.JobStatus`` enums.

Example:
    >>> normalize_status("Completed"), normalize_status("QUEUED")
    ('DONE', 'QUEUED')
    >>> RetryPolicy(attempts=4, initial=1.0, factor=2.0, max_delay=3.0).delays()
    [1.0, 2.0, 3.0]
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

import numpy as np

from qml import config
from qml.backends.ledger import FINAL_STATUSES, JobRecord, JobRequest, Ledger, LedgerError, new_owner, redact
from qml.errors import ConfigError, QMLError

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = [
    "TRANSIENT_HTTP",
    "JobCancelledError",
    "JobFailedError",
    "JobManager",
    "JobTimeoutError",
    "Outcome",
    "PollPolicy",
    "RetryPolicy",
    "Runner",
    "Submission",
    "http_status",
    "is_transient",
    "key_tag",
    "normalize_status",
    "retry_call",
]

#: HTTP statuses retried as transient.
TRANSIENT_HTTP = frozenset({408, 429, 500, 502, 503, 504})

_STATUS_MAP = {
    "COMPLETED": "DONE",
    "DONE": "DONE",
    "FAILED": "ERROR",
    "ERROR": "ERROR",
    "CANCELLED": "CANCELLED",
    "CANCELED": "CANCELLED",
    "QUEUED": "QUEUED",
    "INITIALIZING": "QUEUED",
    "VALIDATING": "QUEUED",
    "PENDING": "QUEUED",
    "RUNNING": "RUNNING",
}


class JobFailedError(QMLError, RuntimeError):
    """A job ended in ERROR (the reason is in the message and the ledger)."""

    def __init__(self, message: str, job_id: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


class JobCancelledError(JobFailedError):
    """A job was cancelled (by you, the service, or a closed session)."""


class JobTimeoutError(QMLError, TimeoutError):
    """Polling gave up; the job is still in the ledger and can be resumed or waited for."""

    def __init__(self, message: str, job_id: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


def normalize_status(status: Any) -> str:
    """One status vocabulary: QUEUED, RUNNING, DONE, ERROR, CANCELLED.

    Accepts the strings of ``RuntimeJobV2.status()`` and of the REST API
    (``"Completed"``, ``"Failed"``...) and the ``JobStatus`` enums of local jobs.

    Raises:
        ValueError: For anything else (the message lists the known statuses).

    Example:
        >>> from qiskit.providers import JobStatus
        >>> normalize_status(JobStatus.DONE), normalize_status("Failed")
        ('DONE', 'ERROR')
    """
    name = getattr(status, "name", status)
    s = str(name).strip().upper()
    if s in _STATUS_MAP:
        return _STATUS_MAP[s]
    raise ConfigError(f"unknown job status {status!r}; known: {sorted(_STATUS_MAP)}")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 10:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def http_status(exc: BaseException) -> int | None:
    """The HTTP status behind an exception (looks through ``raise ... from`` chains).

    qiskit-ibm-runtime raises ``RequestsApiError(status_code=...)`` from its client and
    re-raises some as ``IBMRuntimeError(...) from None``; the original stays in
    ``__context__``.

    Example:
        >>> class E(Exception):
        ...     status_code = 503
        >>> http_status(E())
        503
    """
    for e in _chain(exc):
        code = getattr(e, "status_code", None)
        if isinstance(code, int) and code > 0:
            return code
        resp = getattr(e, "response", None)
        code = getattr(resp, "status_code", None)
        if isinstance(code, int) and code > 0:
            return code
    return None


def is_transient(exc: BaseException) -> bool:
    """Whether an error is worth retrying: HTTP 408/429/5xx, or a connection/timeout error.

    Example:
        >>> is_transient(ConnectionError("reset")), is_transient(ValueError("bad circuit"))
        (True, False)
    """
    code = http_status(exc)
    if code is not None:
        return code in TRANSIENT_HTTP
    for e in _chain(exc):
        if isinstance(e, (ConnectionError, TimeoutError)) and not isinstance(e, JobTimeoutError):
            return True
        mod = type(e).__module__
        if mod.startswith(("requests", "urllib3")) and type(e).__name__ in (
            "ConnectionError",
            "Timeout",
            "ReadTimeout",
            "ConnectTimeout",
            "ProtocolError",
        ):
            return True
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries of transient API errors with exponential back-off.

    Attributes:
        attempts: Total tries (1 = no retry).
        initial: First delay in seconds.
        factor: Multiplier per retry.
        max_delay: Cap of one delay.
    """

    attempts: int = 5
    initial: float = 1.0
    factor: float = 2.0
    max_delay: float = 60.0

    def delays(self) -> list[float]:
        """The sleeps between tries."""
        return [min(self.initial * self.factor**i, self.max_delay) for i in range(max(self.attempts - 1, 0))]


@dataclass(frozen=True)
class PollPolicy:
    """Status polling with exponential back-off.

    Attributes:
        initial: First interval in seconds.
        factor: Growth per poll.
        max_interval: Cap of one interval.
        timeout: Give up (:class:`JobTimeoutError`) after this many seconds; ``None`` waits forever.
    """

    initial: float = 1.0
    factor: float = 1.5
    max_interval: float = 60.0
    timeout: float | None = None


def retry_call(
    fn: Callable[[], T],
    policy: RetryPolicy = RetryPolicy(),
    sleep: Callable[[float], None] = time.sleep,
    what: str = "API call",
    before_retry: Callable[[], None] | None = None,
) -> T:
    """Call ``fn``, retrying transient errors (see :func:`is_transient`) per ``policy``.

    Example:
        >>> calls = []
        >>> def flaky():
        ...     calls.append(1)
        ...     if len(calls) < 3:
        ...         raise ConnectionError("reset")
        ...     return "ok"
        >>> retry_call(flaky, sleep=lambda s: None), len(calls)
        ('ok', 3)
    """
    delays = policy.delays()
    for i in range(len(delays) + 1):
        try:
            return fn()
        except Exception as exc:
            if i == len(delays) or not is_transient(exc):
                raise
            log.warning(
                "%s failed with a transient error (HTTP %s); retry %d/%d in %.1f s",
                what,
                http_status(exc),
                i + 1,
                len(delays),
                delays[i],
            )
            sleep(delays[i])
            if before_retry is not None:
                before_retry()
    raise AssertionError("unreachable")  # pragma: no cover


def key_tag(key: str) -> str:
    """The job tag that lets a run find the job of an idempotency key again.

    Example:
        >>> key_tag("0123456789abcdef" * 4)
        'qml-key-0123456789abcdef01234567'
    """
    return f"qml-key-{key[:24]}"


@dataclass(frozen=True)
class Submission:
    """Everything needed to submit one job, and to resubmit or inspect it from the ledger.

    Attributes:
        backend: Backend name.
        content_hash: Hash of what is computed (circuit, parameter values, observables,
            shots, options, backend); equal content gives equal hashes.
        shots: Shots per measurement basis and parameter row.
        options: JSON-serialisable options (no secrets).
        cost_shots: Total shots the job will use (for the budget).
        cost_seconds: Estimated QPU seconds (for the budget).
        payload: Whatever the runner needs to submit (e.g. the pub); not stored.
        primitive: ``"estimator"`` or ``"sampler"``.
        circuit_qpy: QPY of the submitted (ISA) circuit.
        circuit_qasm: OpenQASM 3 of it.
        inputs: Arrays to store (parameter values, ...).
        observables: JSON-serialisable observables.
        tags: Extra job tags.
    """

    backend: str
    content_hash: str
    shots: int | None
    options: Mapping[str, Any]
    cost_shots: int
    cost_seconds: float
    payload: Any = None
    primitive: str = "estimator"
    circuit_qpy: bytes | None = None
    circuit_qasm: str | None = None
    inputs: Mapping[str, np.ndarray] | None = None
    observables: Any = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """Result of :meth:`JobManager.run`.

    Attributes:
        arrays: Result arrays (e.g. ``evs``, ``stds``).
        metadata: Result metadata.
        record: The ledger row.
        reused: True when nothing was submitted (result from the ledger, or a job found again).
    """

    arrays: dict[str, np.ndarray]
    metadata: dict[str, Any]
    record: JobRecord
    reused: bool


class Runner(Protocol):
    """What :class:`JobManager` needs from an execution service (see :mod:`qml.backends.ibm`)."""

    is_local: bool
    backend_name: str

    def submit(self, sub: Submission, tags: list[str]) -> Any:
        """Submit; return a job object (``job_id()``, ``status()``, ``result()``)."""
        ...

    def job(self, job_id: str) -> Any | None:
        """Fetch a job by id; ``None`` when jobs of this runner cannot be fetched (local)."""
        ...

    def find_jobs(self, tags: list[str]) -> list[str]:
        """Ids of jobs carrying all ``tags``, oldest first (``[]`` when not searchable)."""
        ...

    def extract(self, job: Any, result: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Result arrays and metadata of a finished job."""
        ...

    def usage(self, job: Any) -> float | None:
        """QPU seconds the job used, if known."""
        ...

    def session_id(self, job: Any) -> str | None:
        """The job's session or batch id, if any."""
        ...

    def cancel(self, job_id: str) -> None:
        """Cancel a job."""
        ...


def new_run_id() -> str:
    """``$QML_RUN_ID`` or a fresh ``run-<12 hex>``.

    Example:
        >>> new_run_id().startswith("run-") or config.run_id() is not None
        True
    """
    return config.run_id() or f"run-{uuid.uuid4().hex[:12]}"


@dataclass
class JobManager:
    """Idempotent submission through a :class:`~qml.backends.ledger.Ledger` (module docstring).

    Args:
        ledger: The ledger.
        runner: The execution service.
        run_id: Identifies the run; replaying the same run id resumes it.
        budget: Budget charged.
        retry: Retries of transient API errors.
        poll: Status polling.
        sleep: Sleep function (tests pass a no-op).
        resubmit_failed: A replayed key whose job ended in ERROR/CANCELLED is submitted
            again (True) or raises (False).
        after_submit: Called with the job id right after submission, before the ledger
            write (a fault-injection point for tests).
        lease: Seconds a claim on a key binds without renewal (renewed at every poll).
        owner: This manager's claim name (default: host, pid and a nonce).
    """

    ledger: Ledger
    runner: Runner
    run_id: str = field(default_factory=new_run_id)
    budget: str = "default"
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    sleep: Callable[[float], None] = time.sleep
    resubmit_failed: bool = True
    after_submit: Callable[[str], None] | None = None
    lease: float = 300.0
    owner: str = field(default_factory=new_owner)
    step: int = 0
    submitted: int = 0
    reused: int = 0
    _occurrences: dict[str, int] = field(default_factory=dict, repr=False)

    def key_for(self, content_hash: str, occurrence: int) -> str:
        """The idempotency key of the ``occurrence``-th submission of ``content_hash`` in this run."""
        return hashlib.sha256(f"{self.run_id}\0{content_hash}\0{occurrence}".encode()).hexdigest()

    def tags_for(self, key: str, extra: tuple[str, ...] = ()) -> list[str]:
        """Job tags: the run, the key (for lookup after a crash), and ``extra``."""
        return [f"qml-run-{self.run_id}", key_tag(key), *extra]

    # -- main entry -----------------------------------------------------------------------
    def run(self, sub: Submission, again: bool = False) -> Outcome:
        """Submit (or find again) and wait for one job; see the module docstring.

        Args:
            sub: The submission.
            again: Retry the previous submission of the same content under the same key
                (after it failed to submit), instead of counting a new occurrence.

        Raises:
            BudgetExceededError: Before submission, if the budget refuses the job.
            JobFailedError: If the job failed (JobCancelledError if cancelled).
            JobTimeoutError: If polling timed out (the job stays in the ledger).
        """
        self.step += 1
        n = self._occurrences.get(sub.content_hash, 0)
        if again and n > 0:
            n -= 1
        else:
            self._occurrences[sub.content_hash] = n + 1
        key = self.key_for(sub.content_hash, n)
        tags = self.tags_for(key, sub.tags)
        rec = self.ledger.find(key)
        if rec is not None and rec.status == "DONE":
            self.reused += 1
            log.info("step %d: job %s already DONE in the ledger; not resubmitted", self.step, rec.job_id)
            return Outcome(self.ledger.result(key), self.ledger.result_metadata(key), rec, True)
        if rec is not None and rec.status in ("ERROR", "CANCELLED"):
            if not self.resubmit_failed:
                raise JobFailedError(
                    f"job {rec.job_id} of this step ended {rec.status}: {rec.error}", rec.job_id
                )
            log.warning(
                "step %d: previous job %s ended %s (%s); submitting again",
                self.step,
                rec.job_id,
                rec.status,
                rec.error,
            )
            with contextlib.suppress(LedgerError):  # another process may have reopened it first
                self.ledger.reopen(key)
            rec = None  # the failed job carries the same key tag: do not look for it again
            reopened = True
        else:
            reopened = False
        existed = rec is not None
        created = False
        if rec is None:
            rec = self.ledger.find(key)
            if rec is None:
                rec = self.ledger.reserve(self._request(key, sub, tags), owner=self.owner, lease=self.lease)
                created = self.ledger.claim_holder(key) == self.owner
        if not created:
            done = self._acquire(key)
            if done is not None:
                return done
        try:
            cur = self.ledger.find(key)
            assert cur is not None
            if cur.status == "DONE":  # finished by another process while this one waited
                self.reused += 1
                return Outcome(self.ledger.result(key), self.ledger.result_metadata(key), cur, True)
            if cur.final:
                msg = f"job {cur.job_id} of this step ended {cur.status}: {cur.error}"
                raise JobFailedError(msg, cur.job_id)
            recover = not created and (existed or not reopened or cur.job_id is not None)
            job, reused = self._recover(cur, tags) if recover else (None, False)
            if job is None:
                job = self._submit(key, sub, tags)
                reused = False
            else:
                self.reused += 1
            rec, arrays, meta = self._await(key, job)
            return Outcome(arrays, meta, rec, reused)
        finally:
            self.ledger.unclaim(key, self.owner)

    def _request(self, key: str, sub: Submission, tags: list[str]) -> JobRequest:
        return JobRequest(
            key=key,
            run_id=self.run_id,
            backend=sub.backend,
            shots=sub.shots,
            step=self.step,
            primitive=sub.primitive,
            options=sub.options,
            budget=self.budget,
            cost_shots=sub.cost_shots,
            cost_seconds=sub.cost_seconds,
            job_tags=tuple(tags),
            local=self.runner.is_local,
            circuit_qpy=sub.circuit_qpy,
            circuit_qasm=sub.circuit_qasm,
            inputs=sub.inputs,
            observables=sub.observables,
        )

    def _acquire(self, key: str) -> Outcome | None:
        """Wait for ``key``'s claim; the stored outcome if another process finished the job meanwhile."""
        start = time.monotonic()
        interval = min(self.poll.initial, 0.05) if self.runner.is_local else self.poll.initial
        waited = False
        while not self.ledger.claim(key, self.owner, self.lease):
            cur = self.ledger.find(key)
            assert cur is not None
            if cur.status == "DONE":
                self.reused += 1
                log.info(
                    "step %d: job %s finished in another process; using its stored result",
                    self.step,
                    cur.job_id,
                )
                return Outcome(self.ledger.result(key), self.ledger.result_metadata(key), cur, True)
            if cur.final:
                raise JobFailedError(
                    f"job {cur.job_id} of this step ended {cur.status} in another process: {cur.error}",
                    cur.job_id,
                )
            if not waited:
                log.info(
                    "step %d: another process (%s) is submitting this job; waiting for it",
                    self.step,
                    self.ledger.claim_holder(key),
                )
                waited = True
            if self.poll.timeout is not None and time.monotonic() - start > self.poll.timeout:
                raise JobTimeoutError(
                    f"another process ({self.ledger.claim_holder(key)}) still holds job "
                    f"{cur.job_id or key[:12]} "
                    f"after {self.poll.timeout:.0f} s; run again later or `qml jobs wait {cur.id}`",
                    cur.job_id,
                )
            self.sleep(interval)
            interval = min(interval * self.poll.factor, self.poll.max_interval)
        return None

    # -- pieces ---------------------------------------------------------------------------
    def _recover(self, rec: JobRecord, tags: list[str]) -> tuple[Any | None, bool]:
        """A job submitted before (by id, else by tag), or ``None``."""
        if self.runner.is_local:
            if rec.job_id is not None:
                log.warning(
                    "local job %s cannot be fetched again after a restart; running it again", rec.job_id
                )
            return None, False
        if rec.job_id is not None:
            known_id = rec.job_id
            job = self._call(lambda: self.runner.job(known_id), "fetching job")
            if job is not None:
                log.info("resuming job %s (%s) found by id in the ledger", rec.job_id, rec.status)
                return job, True
        job = self._find_by_tag(rec.key)
        if job is not None:
            job_id = str(job.job_id())
            log.warning(
                "job %s was submitted before the ledger recorded it; found it by tag, not resubmitting",
                job_id,
            )
            self.ledger.mark_submitted(rec.key, job_id, self.runner.session_id(job), attempt=False)
            return job, True
        return None, False

    def _find_by_tag(self, key: str) -> Any | None:
        """The newest live (not failed or cancelled) job tagged with ``key``, or ``None``."""
        if self.runner.is_local:
            return None
        found = self._call(lambda: self.runner.find_jobs([key_tag(key)]), "searching jobs by tag")
        for job_id in reversed(found):  # newest first; skip failed earlier attempts
            job = self._call(partial(self.runner.job, job_id), "fetching job")
            if job is None:
                continue
            if normalize_status(self._call(job.status, f"polling job {job_id}")) in ("ERROR", "CANCELLED"):
                continue
            return job
        return None

    def _call(self, fn: Callable[[], T], what: str) -> T:
        return retry_call(fn, self.retry, self.sleep, what)

    def _submit(self, key: str, sub: Submission, tags: list[str]) -> Any:
        adopted: list[Any] = []

        def check_ghost() -> None:
            # A 5xx may come after the service created the job: look for it before retrying.
            job = self._find_by_tag(key)
            if job is not None:
                log.warning("the failed submission created job %s after all; using it", job.job_id())
                adopted.append(job)

        def attempt() -> Any:
            if adopted:
                return adopted[-1]
            return self.runner.submit(sub, tags)

        try:
            job = retry_call(attempt, self.retry, self.sleep, "submitting job", before_retry=check_ghost)
        except Exception as exc:
            if not self.runner.is_local:
                try:
                    check_ghost()
                except Exception:
                    log.warning("could not check for a job created by the failed submission")
            if adopted:
                job = adopted[-1]
            else:
                self.ledger.release(key, f"submission failed: {redact(str(exc))}")
                raise
        job_id = str(job.job_id())
        if not adopted:
            self.submitted += 1
        if self.after_submit is not None:
            self.after_submit(job_id)
        self.ledger.mark_submitted(key, job_id, self.runner.session_id(job), attempt=not adopted)
        log.info("step %d: submitted job %s (%d shots budgeted)", self.step, job_id, sub.cost_shots)
        return job

    def _await(self, key: str, job: Any) -> tuple[JobRecord, dict[str, np.ndarray], dict[str, Any]]:
        job_id = str(job.job_id())
        status = self.wait(key, job)
        usage = None
        try:
            usage = self._call(lambda: self.runner.usage(job), "reading job usage")
        except Exception as exc:
            log.warning("could not read the usage of job %s: %s", job_id, redact(str(exc)))
        if status == "DONE":
            result = self._call(job.result, "fetching job result")
            arrays, meta = self.runner.extract(job, result)
            rec = self.ledger.finish(key, "DONE", arrays, meta, usage)
            return rec, arrays, meta
        reason = None
        try:
            reason = job.error_message() if hasattr(job, "error_message") else None
        except Exception:
            reason = None
        reason = redact(reason) or f"job {status.lower()}"
        self.ledger.finish(key, status, usage_seconds=usage, error=reason)
        cls = JobCancelledError if status == "CANCELLED" else JobFailedError
        raise cls(f"job {job_id} on {self.runner.backend_name} ended {status}: {reason}", job_id)

    def wait(self, key: str, job: Any) -> str:
        """Poll ``job`` with back-off until it is final; keeps the ledger status current."""
        job_id = str(job.job_id())
        start = time.monotonic()
        # local testing-mode jobs run in this process and finish in a fraction of a second
        cap = min(self.poll.max_interval, 0.5) if self.runner.is_local else self.poll.max_interval
        interval = min(self.poll.initial, 0.05) if self.runner.is_local else self.poll.initial
        last = None
        while True:
            status = normalize_status(self._call(job.status, f"polling job {job_id}"))
            if status in FINAL_STATUSES:
                return status
            if status != last:
                with contextlib.suppress(LedgerError):  # a final row (set by another process) stays
                    self.ledger.set_status(key, status)
                last = status
            self.ledger.claim(key, self.owner, self.lease)  # renew the lease while the job runs
            if self.poll.timeout is not None and time.monotonic() - start > self.poll.timeout:
                raise JobTimeoutError(
                    f"job {job_id} is still {status} after {self.poll.timeout:.0f} s; it stays in the "
                    "ledger: "
                    f"run the same script again to resume, or `qml jobs wait {job_id}`",
                    job_id,
                )
            self.sleep(interval)
            interval = min(interval * self.poll.factor, cap)

    # -- ledger maintenance (used by the CLI) ------------------------------------------------
    def wait_for(self, ref: str | int) -> JobRecord:
        """Wait for a recorded job (by ledger id, job id or key) and store its result."""
        rec = self.ledger.get(ref)
        if rec.final:
            return rec
        if rec.job_id is None:
            raise LedgerError(f"job {rec.id} was never submitted (RESERVED); nothing to wait for")
        job_id = rec.job_id
        job = self._call(lambda: self.runner.job(job_id), "fetching job")
        if job is None:
            raise LedgerError(
                f"job {rec.job_id} ran in local testing mode and cannot be fetched again; rerun the script"
            )
        with contextlib.suppress(JobFailedError):  # the ledger records the failure
            self._await(rec.key, job)
        return self.ledger.get(rec.key)

    def cancel(self, ref: str | int) -> JobRecord:
        """Cancel a recorded job and mark it CANCELLED (a RESERVED row is released)."""
        rec = self.ledger.get(ref)
        if rec.final:
            return rec
        if rec.job_id is None:
            return self.ledger.release(rec.key, "cancelled before submission")
        job_id = rec.job_id
        self._call(lambda: self.runner.cancel(job_id), f"cancelling job {job_id}")
        return self.ledger.finish(rec.key, "CANCELLED", error="cancelled by the user")
