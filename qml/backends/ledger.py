"""A persistent job ledger (SQLite): what was submitted, where it is, what it returned, what it cost.

Every hardware submission goes through the ledger, so that a crashed or interrupted
training run resumes without submitting any finished or in-flight job twice, results
survive the client, and a budget is enforced *before* money is spent.

Design:

* SQLite in WAL mode (readers never block the writer), ``busy_timeout`` for concurrent
  processes, every change in one explicit transaction (``BEGIN IMMEDIATE``), and a
  schema version in ``PRAGMA user_version`` (a newer file is refused, never rewritten).
* One row per *idempotency key*: a hash of the run id, the occurrence of this content in
  the run, the backend, the circuit, the parameter values, the observables, the shots
  and the options. Re-running the same deterministic script finds its rows again.
* A row stores the circuit as QPY (exact resubmission: layout and parameter order kept)
  and as OpenQASM 3 (for people), the parameter values and results as ``.npz`` blobs
  (results of the executor-based Estimator are not JSON-serialisable), the job id, job
  tags, session id, a normalised status (``RESERVED`` before submission, then
  ``QUEUED``/``RUNNING``/``DONE``/``ERROR``/``CANCELLED``), timestamps and usage.
* Budgets: :meth:`Ledger.reserve` checks ``used + open reservations + this job`` against
  the limit and inserts the row in the same transaction, so two processes cannot both
  pass the check. Completion turns the reservation into usage.
* Submission claims: the process that reserves a row owns its submission (``claim_owner``,
  ``claim_expires``: host, pid and a nonce, with a lease); another process that finds the row
  waits (:meth:`Ledger.claim` until the owner finishes, releases it, dies on this host, or
  lets its lease lapse) and then reads the stored result or takes over recovery. So two
  processes replaying the same run submit each job once, whatever the interleaving.
* Secrets: text written here goes through :func:`redact` (the IBM token from the
  environment, if any, is replaced by ``***``); the ledger never receives credentials.

Example:
    >>> import tempfile, os
    >>> led = Ledger(os.path.join(tempfile.mkdtemp(), "jobs.sqlite"))
    >>> led.set_budget("default", max_shots=10_000)
    >>> req = JobRequest(key="k1", run_id="r", backend="fake_manila", shots=4000, cost_shots=4000)
    >>> rec = led.reserve(req)
    >>> rec.status, led.budget().reserved_shots
    ('RESERVED', 4000)
    >>> led.reserve(JobRequest(key="k2", run_id="r", backend="fake_manila", shots=8000, cost_shots=8000))
    Traceback (most recent call last):
    ...
    qml.backends.ledger.BudgetExceededError: budget 'default' refuses this job: 8000 shots requested, \
0 used + 4000 reserved of 10000 (6000 left)
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

import numpy as np

from qml import config
from qml.errors import ConfigError, QMLError

log = logging.getLogger(__name__)

__all__ = [
    "FINAL_STATUSES",
    "SCHEMA_VERSION",
    "STATUSES",
    "Budget",
    "BudgetExceededError",
    "JobRecord",
    "JobRequest",
    "Ledger",
    "LedgerError",
    "default_ledger_path",
    "new_owner",
    "redact",
]

#: Schema version stored in ``PRAGMA user_version``.
SCHEMA_VERSION = 2
#: Normalised statuses. ``RESERVED``: budget reserved, not (known to be) submitted.
STATUSES = ("RESERVED", "QUEUED", "RUNNING", "DONE", "ERROR", "CANCELLED")
FINAL_STATUSES = ("DONE", "ERROR", "CANCELLED")
#: Environment variables whose values are secrets (never written anywhere).
SECRET_ENV_VARS = ("QISKIT_IBM_TOKEN", "IBM_QUANTUM_TOKEN", "QISKIT_IBM_API_KEY")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS budgets (
    name TEXT PRIMARY KEY,
    max_shots INTEGER,
    max_seconds REAL,
    used_shots INTEGER NOT NULL DEFAULT 0,
    used_seconds REAL NOT NULL DEFAULT 0,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL,
    step INTEGER,
    backend TEXT NOT NULL,
    primitive TEXT NOT NULL DEFAULT 'estimator',
    shots INTEGER,
    options TEXT NOT NULL DEFAULT '{}',
    budget TEXT NOT NULL DEFAULT 'default',
    cost_shots INTEGER NOT NULL DEFAULT 0,
    cost_seconds REAL NOT NULL DEFAULT 0,
    reservation_open INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    error TEXT,
    job_id TEXT,
    job_tags TEXT NOT NULL DEFAULT '[]',
    session_id TEXT,
    local INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    usage_seconds REAL,
    circuit_qpy BLOB,
    circuit_qasm TEXT,
    inputs_npz BLOB,
    observables TEXT,
    result_npz BLOB,
    result_meta TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    submitted TEXT,
    finished TEXT,
    claim_owner TEXT,
    claim_expires REAL
);
CREATE INDEX IF NOT EXISTS jobs_run ON jobs (run_id, step);
CREATE INDEX IF NOT EXISTS jobs_job_id ON jobs (job_id);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
"""


def new_owner() -> str:
    """A claim owner name for this process: ``host:pid:nonce``.

    Example:
        >>> new_owner().count(":") >= 2
        True
    """
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claim_alive(owner: str, expires: float | None) -> bool:
    """Whether a claim still binds: its lease runs and its owner is not a dead process on this host."""
    if expires is None or expires < time.time():
        return False
    host, _, rest = str(owner).partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def _create_tables(conn: sqlite3.Connection) -> None:
    """Run the statements of :data:`_SCHEMA` (all ``IF NOT EXISTS``) on ``conn``."""
    for stmt in _SCHEMA.split(";"):
        if stmt.strip():
            conn.execute(stmt)


def _newer(path: Path, version: int) -> LedgerError:
    return LedgerError(
        f"ledger {path} has schema version {version}, newer than this qml-circuits understands "
        f"({SCHEMA_VERSION}); upgrade qml-circuits or use another ledger file"
    )


def _create_atomically(path: Path) -> None:
    """Create a new ledger file with its schema in one step (a temporary file linked into place).

    So a ledger file is never seen empty while another process creates it, and an empty
    file can be refused as truncated.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.new")
    conn = sqlite3.connect(str(tmp))
    try:
        _create_tables(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.commit()
    finally:
        conn.close()
    try:
        os.link(tmp, path)  # fails if another process created the ledger meanwhile: theirs stays
    except FileExistsError:
        pass
    except OSError:  # no hard links on this file system
        if not path.exists():
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


class LedgerError(QMLError, RuntimeError):
    """A ledger operation was refused (wrong schema, unknown key, invalid status...)."""


class BudgetExceededError(LedgerError):
    """A job would take a budget past its limit; nothing was reserved or submitted."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _saved_tokens() -> tuple[str, ...]:
    """Tokens of Qiskit's saved accounts (``~/.qiskit/qiskit-ibm.json``), read to hide them, never stored."""
    path = Path.home() / ".qiskit" / "qiskit-ibm.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return ()
    if not isinstance(data, dict):
        return ()
    accounts = [acc for acc in data.values() if isinstance(acc, dict)]
    return tuple(str(acc["token"]) for acc in accounts if isinstance(acc.get("token"), str))


@overload
def redact(text: str, extra: tuple[str, ...] = ()) -> str: ...
@overload
def redact(text: None, extra: tuple[str, ...] = ()) -> None: ...
def redact(text: str | None, extra: tuple[str, ...] = ()) -> str | None:
    """Replace secrets (IBM tokens from the environment or Qiskit's saved accounts, ``extra``) by ``***``.

    Example:
        >>> redact("token abc123 leaked", extra=("abc123",))
        'token *** leaked'
    """
    if text is None:
        return None
    secrets = [os.environ.get(v, "") for v in SECRET_ENV_VARS] + list(_saved_tokens()) + list(extra)
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text


def default_ledger_path() -> Path:
    """``$QML_LEDGER`` or ``~/.qml/ledger.sqlite``.

    Example:
        >>> default_ledger_path().name
        'ledger.sqlite'
    """
    return config.ledger_path()


def arrays_to_npz(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Arrays to compressed ``.npz`` bytes (no pickles).

    Example:
        >>> npz_to_arrays(arrays_to_npz({"a": np.arange(3)}))["a"].tolist()
        [0, 1, 2]
    """
    buf = io.BytesIO()
    # numpy's stub types **kwds like the allow_pickle flag; they are arrays here
    np.savez_compressed(buf, **{k: np.asarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
    return buf.getvalue()


def npz_to_arrays(blob: bytes) -> dict[str, np.ndarray]:
    """Inverse of :func:`arrays_to_npz`."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@dataclass(frozen=True)
class JobRequest:
    """What :meth:`Ledger.reserve` records before a submission.

    Attributes:
        key: Idempotency key (unique per submission content and occurrence in a run).
        run_id: The training/experiment run.
        backend: Backend name.
        shots: Shots per measurement basis and parameter row.
        step: Step number within the run (for people; not part of the key).
        primitive: ``"estimator"`` or ``"sampler"``.
        options: JSON-serialisable options (no secrets).
        budget: Budget name charged.
        cost_shots: Total shots this job is expected to use.
        cost_seconds: Estimated QPU seconds.
        job_tags: Tags the job is submitted with.
        local: A local-testing-mode job (cannot be fetched again by id).
        circuit_qpy: The submitted circuit as QPY.
        circuit_qasm: The submitted circuit as OpenQASM 3.
        inputs: Arrays needed to resubmit (parameter values, ...).
        observables: JSON-serialisable observables (labels and coefficients).
    """

    key: str
    run_id: str
    backend: str
    shots: int | None = None
    step: int | None = None
    primitive: str = "estimator"
    options: Mapping[str, Any] = field(default_factory=dict)
    budget: str = "default"
    cost_shots: int = 0
    cost_seconds: float = 0.0
    job_tags: tuple[str, ...] = ()
    local: bool = False
    circuit_qpy: bytes | None = None
    circuit_qasm: str | None = None
    inputs: Mapping[str, np.ndarray] | None = None
    observables: Any = None


@dataclass(frozen=True)
class JobRecord:
    """One ledger row (blobs are loaded on demand: :meth:`Ledger.result`, :meth:`Ledger.inputs`)."""

    id: int
    key: str
    run_id: str
    step: int | None
    backend: str
    primitive: str
    shots: int | None
    options: dict[str, Any]
    budget: str
    cost_shots: int
    cost_seconds: float
    reservation_open: bool
    status: str
    error: str | None
    job_id: str | None
    job_tags: tuple[str, ...]
    session_id: str | None
    local: bool
    attempts: int
    usage_seconds: float | None
    has_result: bool
    created: str
    updated: str
    submitted: str | None
    finished: str | None

    @property
    def final(self) -> bool:
        """The status is DONE, ERROR or CANCELLED."""
        return self.status in FINAL_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["job_tags"] = list(self.job_tags)
        return d


@dataclass(frozen=True)
class Budget:
    """A budget's limits and consumption (``None`` limit: unlimited).

    Attributes:
        name: Budget name.
        max_shots: Shot limit.
        max_seconds: QPU-seconds limit.
        used_shots: Shots of finished jobs.
        used_seconds: QPU seconds of finished jobs (reported usage, else the estimate).
        reserved_shots: Shots reserved by jobs not finished yet.
        reserved_seconds: Seconds reserved by jobs not finished yet.
    """

    name: str
    max_shots: int | None
    max_seconds: float | None
    used_shots: int
    used_seconds: float
    reserved_shots: int
    reserved_seconds: float

    @property
    def remaining_shots(self) -> int | None:
        """Shots left after usage and open reservations (``None``: unlimited)."""
        if self.max_shots is None:
            return None
        return self.max_shots - self.used_shots - self.reserved_shots

    @property
    def remaining_seconds(self) -> float | None:
        """Seconds left after usage and open reservations (``None``: unlimited)."""
        if self.max_seconds is None:
            return None
        return self.max_seconds - self.used_seconds - self.reserved_seconds


_COLUMNS = (
    "id, key, run_id, step, backend, primitive, shots, options, budget, cost_shots, cost_seconds, "
    "reservation_open, status, error, job_id, job_tags, session_id, local, attempts, usage_seconds, "
    "result_npz IS NOT NULL, created, updated, submitted, finished"
)


def _record(row: tuple) -> JobRecord:
    (
        id_,
        key,
        run_id,
        step,
        backend,
        primitive,
        shots,
        options,
        budget,
        cost_shots,
        cost_seconds,
        res_open,
        status,
        error,
        job_id,
        tags,
        session_id,
        local,
        attempts,
        usage,
        has_result,
        created,
        updated,
        submitted,
        finished,
    ) = row
    return JobRecord(
        id_,
        key,
        run_id,
        step,
        backend,
        primitive,
        shots,
        json.loads(options),
        budget,
        int(cost_shots),
        float(cost_seconds),
        bool(res_open),
        status,
        error,
        job_id,
        tuple(json.loads(tags)),
        session_id,
        bool(local),
        int(attempts),
        usage,
        bool(has_result),
        created,
        updated,
        submitted,
        finished,
    )


class Ledger:
    """The SQLite job ledger (see the module docstring).

    Args:
        path: Database file (created with its directory); default :func:`default_ledger_path`.
        timeout: Seconds to wait for another process's write lock.

    Raises:
        LedgerError: If the file has a newer schema version than this code knows.

    Example:
        >>> import tempfile, os
        >>> Ledger(os.path.join(tempfile.mkdtemp(), "l.sqlite")).schema_version
        2
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, timeout: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_ledger_path()
        if self.path.is_dir():
            raise LedgerError(
                f"ledger path {self.path} is a directory; give a file (e.g. {self.path / 'ledger.sqlite'})"
            )
        if self.path.exists() and self.path.stat().st_size == 0:
            raise LedgerError(
                f"ledger {self.path} is empty (0 bytes): it was truncated, and its jobs and budgets are not "
                "in it. Restore it from a backup, or delete it to start a new ledger"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            _create_atomically(self.path)
        self._conn = sqlite3.connect(
            str(self.path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        try:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as err:
            self._conn.close()
            raise LedgerError(
                f"ledger {self.path} is not a readable SQLite ledger ({err}); restore it from a backup or "
                "give another --ledger file"
            ) from None
        if version > SCHEMA_VERSION:  # checked before anything is written: a newer file stays as it is
            self._conn.close()
            raise _newer(self.path, version)
        mode = self._journal_wal(timeout)
        if str(mode).lower() != "wal":
            log.warning("ledger %s: WAL journal mode unavailable (got %s)", self.path, mode)
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def _journal_wal(self, timeout: float) -> str:
        """Switch to WAL; two processes opening a new file at once may find it locked: retry."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return str(self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on error)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as c:
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:  # upgraded by a newer process since the check in __init__
                raise _newer(self.path, version)
            if version < SCHEMA_VERSION:
                _create_tables(c)
                if version == 1:  # version 2 added the submission claim
                    c.execute("ALTER TABLE jobs ADD COLUMN claim_owner TEXT")
                    c.execute("ALTER TABLE jobs ADD COLUMN claim_expires REAL")
                c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        """The file's schema version."""
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` (``"ok"`` when the file is sound)."""
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])

    # -- budgets --------------------------------------------------------------------------
    def set_budget(
        self, name: str = "default", max_shots: int | None = None, max_seconds: float | None = None
    ) -> None:
        """Create or change a budget's limits (usage is kept).

        Example:
            >>> import tempfile, os
            >>> led = Ledger(os.path.join(tempfile.mkdtemp(), "l.sqlite"))
            >>> led.set_budget("student", max_seconds=600)
            >>> led.budget("student").max_seconds
            600.0
        """
        for what, v in (("max_shots", max_shots), ("max_seconds", max_seconds)):
            number = isinstance(v, (int, float)) and not isinstance(v, bool)
            if v is not None and (not number or not math.isfinite(v) or v < 0):
                raise ConfigError(f"{what} must be a finite number >= 0 or None (unlimited), got {v!r}")
        with self._tx() as c:
            c.execute(
                "INSERT INTO budgets (name, max_shots, max_seconds, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET max_shots=excluded.max_shots, "
                "max_seconds=excluded.max_seconds, "
                "updated=excluded.updated",
                (name, max_shots, None if max_seconds is None else float(max_seconds), _now()),
            )

    def _budget(self, c: sqlite3.Connection, name: str) -> Budget:
        row = c.execute(
            "SELECT max_shots, max_seconds, used_shots, used_seconds FROM budgets WHERE name = ?", (name,)
        ).fetchone()
        res = c.execute(
            "SELECT COALESCE(SUM(cost_shots), 0), COALESCE(SUM(cost_seconds), 0) FROM jobs "
            "WHERE budget = ? AND reservation_open = 1",
            (name,),
        ).fetchone()
        if row is None:
            return Budget(name, None, None, 0, 0.0, int(res[0]), float(res[1]))
        return Budget(name, row[0], row[1], int(row[2]), float(row[3]), int(res[0]), float(res[1]))

    def budget(self, name: str = "default") -> Budget:
        """A budget's state (a budget never set is unlimited)."""
        return self._budget(self._conn, name)

    def budgets(self) -> list[Budget]:
        """All budgets that were set, plus any charged without limits."""
        names = {r[0] for r in self._conn.execute("SELECT name FROM budgets")}
        names |= {r[0] for r in self._conn.execute("SELECT DISTINCT budget FROM jobs")}
        return [self.budget(n) for n in sorted(names)]

    # -- jobs -----------------------------------------------------------------------------
    def reserve(self, req: JobRequest, owner: str | None = None, lease: float = 300.0) -> JobRecord:
        """Atomically check the budget and record a job about to be submitted.

        If the key is already in the ledger, its row is returned unchanged (nothing is
        reserved twice; :meth:`claim_holder` tells whether this caller inserted it). A row
        that ended in ERROR or CANCELLED is *not* reopened here: use :meth:`reopen`. With
        ``owner``, a new row is claimed by it (see :meth:`claim`) in the same transaction.

        Raises:
            BudgetExceededError: If ``used + reserved + req.cost`` exceeds a limit.
        """
        if req.shots is not None and req.shots < 0:
            raise ConfigError(f"shots must be >= 0, got {req.shots}")
        now = _now()
        with self._tx() as c:
            row = c.execute(f"SELECT {_COLUMNS} FROM jobs WHERE key = ?", (req.key,)).fetchone()
            if row is not None:
                return _record(row)
            self._check_budget(c, req.budget, req.cost_shots, req.cost_seconds)
            c.execute(
                "INSERT INTO jobs (key, run_id, step, backend, primitive, shots, options, budget, "
                "cost_shots, "
                "cost_seconds, reservation_open, status, job_tags, local, circuit_qpy, circuit_qasm, "
                "inputs_npz, "
                "observables, created, updated, claim_owner, claim_expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, 1, 'RESERVED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    req.key,
                    req.run_id,
                    req.step,
                    req.backend,
                    req.primitive,
                    req.shots,
                    redact(json.dumps(dict(req.options), sort_keys=True, default=str)),
                    req.budget,
                    int(req.cost_shots),
                    float(req.cost_seconds),
                    json.dumps(list(req.job_tags)),
                    int(req.local),
                    req.circuit_qpy,
                    req.circuit_qasm,
                    None if req.inputs is None else arrays_to_npz(req.inputs),
                    None if req.observables is None else json.dumps(req.observables),
                    now,
                    now,
                    owner,
                    None if owner is None else time.time() + lease,
                ),
            )
            return _record(c.execute(f"SELECT {_COLUMNS} FROM jobs WHERE key = ?", (req.key,)).fetchone())

    # -- submission claims ------------------------------------------------------------------
    def claim(self, key: str, owner: str, lease: float = 300.0) -> bool:
        """Take (or renew) the right to submit and await the job of ``key``; ``False`` if another holds it.

        The claim is free when nobody holds it, when its lease has lapsed, or when its owner
        was a process on this host that no longer exists (killed). A row that is already
        final cannot be claimed.

        Example:
            >>> import tempfile, os
            >>> led = Ledger(os.path.join(tempfile.mkdtemp(), "l.sqlite"))
            >>> _ = led.reserve(JobRequest(key="k", run_id="r", backend="b"), owner=new_owner())
            >>> led.claim("k", new_owner())
            False
        """
        with self._tx() as c:
            sql = "SELECT status, claim_owner, claim_expires FROM jobs WHERE key = ?"
            row = c.execute(sql, (key,)).fetchone()
            if row is None:
                raise LedgerError(f"no job with key {key!r} in ledger {self.path}")
            status, holder, expires = row
            if status in FINAL_STATUSES:
                return False
            if holder not in (None, owner) and _claim_alive(holder, expires):
                return False
            c.execute(
                "UPDATE jobs SET claim_owner=?, claim_expires=? WHERE key=?",
                (owner, time.time() + lease, key),
            )
            return True

    def unclaim(self, key: str, owner: str) -> None:
        """Give up ``owner``'s claim on ``key`` (nothing happens if another holds it)."""
        with self._tx() as c:
            c.execute(
                "UPDATE jobs SET claim_owner=NULL, claim_expires=NULL WHERE key=? AND claim_owner=?",
                (key, owner),
            )

    def claim_holder(self, key: str) -> str | None:
        """The live holder of ``key``'s claim, or ``None``."""
        sql = "SELECT claim_owner, claim_expires FROM jobs WHERE key = ?"
        row = self._conn.execute(sql, (key,)).fetchone()
        if row is None or row[0] is None or not _claim_alive(row[0], row[1]):
            return None
        return str(row[0])

    def _check_budget(self, c: sqlite3.Connection, name: str, shots: int, seconds: float) -> None:
        b = self._budget(c, name)
        if b.max_shots is not None and b.used_shots + b.reserved_shots + shots > b.max_shots:
            raise BudgetExceededError(
                f"budget {name!r} refuses this job: {shots} shots requested, {b.used_shots} used + "
                f"{b.reserved_shots} reserved of {b.max_shots} ({b.remaining_shots} left)"
            )
        if b.max_seconds is not None and b.used_seconds + b.reserved_seconds + seconds > b.max_seconds + 1e-9:
            raise BudgetExceededError(
                f"budget {name!r} refuses this job: {seconds:.1f} QPU s estimated, {b.used_seconds:.1f} "
                "used + "
                f"{b.reserved_seconds:.1f} reserved of {b.max_seconds:.1f} ({b.remaining_seconds:.1f} left)"
            )

    def reopen(self, key: str) -> JobRecord:
        """Put an ERROR/CANCELLED row back to RESERVED for a new attempt (budget re-checked)."""
        with self._tx() as c:
            rec = self._get(c, key)
            if rec.status not in ("ERROR", "CANCELLED"):
                raise LedgerError(f"only ERROR or CANCELLED jobs can be reopened; {key[:12]} is {rec.status}")
            self._check_budget(c, rec.budget, rec.cost_shots, rec.cost_seconds)
            c.execute(
                "UPDATE jobs SET status='RESERVED', reservation_open=1, job_id=NULL, session_id=NULL, "
                "error=NULL, "
                "submitted=NULL, finished=NULL, updated=? WHERE key=?",
                (_now(), key),
            )
            return self._get(c, key)

    def _get(self, c: sqlite3.Connection, key: str) -> JobRecord:
        row = c.execute(f"SELECT {_COLUMNS} FROM jobs WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise LedgerError(f"no job with key {key!r} in ledger {self.path}")
        return _record(row)

    def find(self, key: str) -> JobRecord | None:
        """The row with this idempotency key, or ``None``."""
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE key = ?", (key,)).fetchone()
        return None if row is None else _record(row)

    def get(self, ref: str | int) -> JobRecord:
        """A row by ledger id (int or digits), job id, or key (or a unique key prefix of 8+ characters).

        Raises:
            LedgerError: If nothing (or more than one row) matches.
        """
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (int(ref),)).fetchone()
            if row is not None:
                return _record(row)
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM jobs WHERE job_id = ? OR key = ?", (ref, ref)
        ).fetchall()
        if not rows and isinstance(ref, str) and len(ref) >= 8:
            escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE key LIKE ? ESCAPE '\\'", (escaped + "%",)
            ).fetchall()
        if len(rows) != 1:
            raise LedgerError(
                f"{'no' if not rows else 'more than one'} job matches {ref!r} in {self.path} "
                "(use a ledger id, a job id or a key)"
            )
        return _record(rows[0])

    def jobs(
        self,
        run_id: str | None = None,
        status: str | None = None,
        backend: str | None = None,
        limit: int | None = None,
    ) -> list[JobRecord]:
        """Rows, oldest first, optionally filtered; with ``limit``, only the newest ``limit`` rows."""
        where, args = [], []
        for col, val in (("run_id", run_id), ("status", status), ("backend", backend)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = (
            f"SELECT {_COLUMNS} FROM jobs"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY id"
        )
        rows = [_record(r) for r in self._conn.execute(sql, args)]
        return rows if limit is None else rows[-int(limit) :]

    def mark_submitted(
        self,
        key: str,
        job_id: str,
        session_id: str | None = None,
        status: str = "QUEUED",
        attempt: bool = True,
    ) -> JobRecord:
        """Record the job id right after submission (or after finding the job by tag)."""
        status = _check_status(status)
        with self._tx() as c:
            self._get(c, key)
            c.execute(
                "UPDATE jobs SET job_id=?, session_id=?, status=?, submitted=COALESCE(submitted, ?), "
                "attempts=attempts+?, updated=? WHERE key=?",
                (job_id, session_id, status, _now(), int(attempt), _now(), key),
            )
            return self._get(c, key)

    def set_status(self, key: str, status: str, error: str | None = None) -> JobRecord:
        """Update a non-final status (QUEUED/RUNNING); final ones go through :meth:`finish`."""
        status = _check_status(status)
        if status in FINAL_STATUSES:
            raise LedgerError(f"use finish() for the final status {status}")
        with self._tx() as c:
            rec = self._get(c, key)
            if rec.final:
                raise LedgerError(f"job {key[:12]} is already {rec.status}; a final status is not changed")
            c.execute(
                "UPDATE jobs SET status=?, error=?, updated=? WHERE key=?",
                (status, redact(error), _now(), key),
            )
            return self._get(c, key)

    def finish(
        self,
        key: str,
        status: str,
        arrays: Mapping[str, np.ndarray] | None = None,
        metadata: Mapping[str, Any] | None = None,
        usage_seconds: float | None = None,
        error: str | None = None,
    ) -> JobRecord:
        """Store the outcome and settle the budget, in one transaction.

        DONE charges the reserved shots and the reported usage (the estimate when none
        is reported); ERROR and CANCELLED charge only reported usage. Finishing a row
        that is already DONE is a no-op (the first result is kept).
        """
        status = _check_status(status)
        if status not in FINAL_STATUSES:
            raise LedgerError(f"finish() needs a final status {FINAL_STATUSES}, got {status}")
        if status == "DONE" and arrays is None:
            raise LedgerError("a DONE job needs its result arrays")
        with self._tx() as c:
            rec = self._get(c, key)
            if rec.status == "DONE":
                return rec
            shots = rec.cost_shots if status == "DONE" else 0
            seconds = (
                usage_seconds
                if usage_seconds is not None
                else (rec.cost_seconds if status == "DONE" else 0.0)
            )
            if rec.reservation_open:
                c.execute(
                    "INSERT INTO budgets (name, updated) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                    (rec.budget, _now()),
                )
                c.execute(
                    "UPDATE budgets SET used_shots = used_shots + ?, used_seconds = used_seconds + ?, "
                    "updated=? "
                    "WHERE name = ?",
                    (int(shots), float(seconds), _now(), rec.budget),
                )
            c.execute(
                "UPDATE jobs SET status=?, reservation_open=0, result_npz=?, result_meta=?, "
                "usage_seconds=?, error=?, "
                "finished=?, updated=? WHERE key=?",
                (
                    status,
                    None if arrays is None else arrays_to_npz(arrays),
                    None
                    if metadata is None
                    else redact(json.dumps(dict(metadata), sort_keys=True, default=str)),
                    usage_seconds,
                    redact(error),
                    _now(),
                    _now(),
                    key,
                ),
            )
            return self._get(c, key)

    def release(self, key: str, error: str | None = None) -> JobRecord:
        """Drop a RESERVED row that was never submitted (its reservation is returned)."""
        with self._tx() as c:
            rec = self._get(c, key)
            if rec.status != "RESERVED" or rec.job_id is not None:
                raise LedgerError(
                    f"only a RESERVED job without job id can be released; {key[:12]} is {rec.status}"
                )
            c.execute(
                "UPDATE jobs SET status='ERROR', reservation_open=0, error=?, finished=?, updated=? WHERE "
                "key=?",
                (redact(error or "not submitted"), _now(), _now(), key),
            )
            return self._get(c, key)

    # -- blobs ----------------------------------------------------------------------------
    def result(self, ref: str | int) -> dict[str, np.ndarray]:
        """The stored result arrays of a DONE job.

        Raises:
            LedgerError: If the job has no result (not DONE).
        """
        rec = self.get(ref)
        row = self._conn.execute("SELECT result_npz FROM jobs WHERE key = ?", (rec.key,)).fetchone()
        if row[0] is None:
            raise LedgerError(
                f"job {rec.id} ({rec.job_id or 'not submitted'}) has no result: it is {rec.status}"
            )
        return npz_to_arrays(row[0])

    def result_metadata(self, ref: str | int) -> dict[str, Any]:
        """The stored result metadata (``{}`` if none)."""
        rec = self.get(ref)
        row = self._conn.execute("SELECT result_meta FROM jobs WHERE key = ?", (rec.key,)).fetchone()
        return {} if row[0] is None else json.loads(row[0])

    def inputs(self, ref: str | int) -> dict[str, np.ndarray]:
        """The stored input arrays (parameter values) of a job."""
        rec = self.get(ref)
        row = self._conn.execute("SELECT inputs_npz FROM jobs WHERE key = ?", (rec.key,)).fetchone()
        return {} if row[0] is None else npz_to_arrays(row[0])

    def circuit_qpy(self, ref: str | int) -> bytes | None:
        """The submitted circuit as QPY bytes (load with ``qiskit.qpy.load``)."""
        rec = self.get(ref)
        return self._conn.execute("SELECT circuit_qpy FROM jobs WHERE key = ?", (rec.key,)).fetchone()[0]

    def circuit_qasm(self, ref: str | int) -> str | None:
        """The submitted circuit as OpenQASM 3 text."""
        rec = self.get(ref)
        return self._conn.execute("SELECT circuit_qasm FROM jobs WHERE key = ?", (rec.key,)).fetchone()[0]

    def observables(self, ref: str | int) -> Any:
        """The stored observables (JSON data)."""
        rec = self.get(ref)
        raw = self._conn.execute("SELECT observables FROM jobs WHERE key = ?", (rec.key,)).fetchone()[0]
        return None if raw is None else json.loads(raw)


def _check_status(status: str) -> str:
    s = str(status).upper()
    if s not in STATUSES:
        raise LedgerError(f"unknown job status {status!r}; valid: {', '.join(STATUSES)}")
    return s
