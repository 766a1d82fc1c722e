"""A fake IBM Quantum REST service for offline tests of the *real* qiskit-ibm-runtime code path.

qiskit-ibm-runtime 0.51.0 talks to the service through one class,
``qiskit_ibm_runtime.api.client.RuntimeClient`` (imported by name into
``qiskit_ibm_runtime.qiskit_runtime_service``), plus ``Account.list_instances`` (IBM Cloud
Global Search) when the service starts. :func:`install` replaces both, so that
``QiskitRuntimeService``, ``IBMBackend``, ``Session``/``Batch``, the executor-based
``Estimator`` (parameter encoding to the v2.0 executor schema), ``RuntimeJobV2``
(status polling, result decoding and client-side post-processing) all run unchanged,
while "the server" lives in a temp directory:

* backends are fake backends served under IBM-like names (``ibm_manila`` is
  ``FakeManilaV2``'s configuration and calibration data);
* a submitted job is stored as JSON under ``root/jobs/``; it becomes ``Running`` and
  then ``Completed`` as the client polls, and runs the executor program locally on Aer
  (``qiskit_ibm_runtime.fake_provider.executor.run_quantum_program``) when it completes;
* jobs survive the client process (a restarted process can fetch them by id or tag);
* faults can be injected: HTTP 429/500 from any client method, a 5xx returned *after* the
  job was created (an ambiguous submission), jobs that stay queued, fail with a reason or
  are cancelled.

Only test code imports this module. Nothing here logs or stores the account token.

Example (in a test)::

    server = install(tmp_path)          # or the ``fake_ibm`` fixture of the tests
    service = QiskitRuntimeService(channel="ibm_quantum_platform", token="x", instance=FAKE_CRN)
    backend = service.backend("ibm_manila")
"""

from __future__ import annotations

import inspect
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: The qiskit-ibm-runtime version this fake was written against (the canary test checks it).
PINNED_VERSION = "0.51.0"
#: A syntactically valid IBM Cloud CRN for the fake instance.
FAKE_CRN = "crn:v1:bluemix:public:quantum-computing:us-east:a/fake0000:fake-instance::"
#: Remote name -> fake backend class name.
BACKENDS = {"ibm_manila": "FakeManilaV2", "ibm_lima": "FakeLimaV2"}

#: The RuntimeClient methods qiskit-ibm-runtime 0.51.0 calls on this code path, with their
#: parameter names (the canary test compares them with the installed class).
CLIENT_METHODS: dict[str, tuple[str, ...]] = {
    "__init__": ("self", "params"),
    "program_run": (
        "self",
        "program_id",
        "backend_name",
        "params",
        "image",
        "log_level",
        "session_id",
        "job_tags",
        "max_execution_time",
        "start_session",
        "session_time",
        "private",
        "calibration_id",
    ),
    "job_get": ("self", "job_id", "exclude_params"),
    "jobs_get": (
        "self",
        "limit",
        "skip",
        "backend_name",
        "pending",
        "program_id",
        "job_tags",
        "session_id",
        "created_after",
        "created_before",
        "descending",
        "include_mocks",
    ),
    "job_results": ("self", "job_id"),
    "job_cancel": ("self", "job_id"),
    "job_delete": ("self", "job_id"),
    "job_logs": ("self", "job_id"),
    "job_metadata": ("self", "job_id"),
    "create_session": ("self", "backend", "instance", "max_time", "mode", "kwargs"),
    "cancel_session": ("self", "session_id"),
    "close_session": ("self", "session_id"),
    "session_details": ("self", "session_id"),
    "list_backends": ("self", "include_mocks"),
    "backend_configuration": ("self", "backend_name", "refresh", "calibration_id"),
    "backend_status": ("self", "backend_name"),
    "backend_properties": ("self", "backend_name", "datetime", "calibration_id"),
    "update_tags": ("self", "job_id", "tags"),
    "cloud_usage": ("self",),
}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Fault:
    """An injected failure of one client method.

    Attributes:
        method: RuntimeClient method name (e.g. ``"program_run"``, ``"job_get"``).
        status: HTTP status code of the ``RequestsApiError``.
        times: How many calls fail.
        after: For ``program_run``: create the job first, then fail (ambiguous submission).
    """

    method: str
    status: int = 500
    times: int = 1
    after: bool = False


@dataclass
class FakeRuntimeServer:
    """The fake service's state (jobs on disk, faults, counters).

    Args:
        root: Directory holding ``jobs/`` (survives a client restart).
        polls_queued: ``job_get`` calls a job answers ``Queued`` before ``Running``.
        polls_running: ``job_get`` calls it answers ``Running`` before completing.
        qpu_seconds_per_job: Usage reported for each completed job.
    """

    root: Path
    polls_queued: int = 1
    polls_running: int = 1
    qpu_seconds_per_job: float = 2.0
    faults: list[Fault] = field(default_factory=list)
    fates: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    on_submit: Callable[[str], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        (self.root / "jobs").mkdir(parents=True, exist_ok=True)

    # -- test controls ----------------------------------------------------------------
    def inject(self, method: str, status: int = 500, times: int = 1, after: bool = False) -> None:
        """Make the next ``times`` calls of ``method`` fail with HTTP ``status``."""
        if method not in CLIENT_METHODS:
            raise ValueError(f"unknown client method {method!r}; known: {sorted(CLIENT_METHODS)}")
        self.faults.append(Fault(method, status, times, after))

    def next_jobs(self, *fates: str) -> None:
        """Fates of the next submitted jobs: ``"done"``, ``"queued"`` (forever),
        ``"fail:<reason>"`` or ``"cancel"``."""
        self.fates.extend(fates)

    @property
    def submissions(self) -> int:
        """Jobs created so far (all processes: counted on disk)."""
        return len(list((self.root / "jobs").glob("*.json")))

    def job_ids(self) -> list[str]:
        """Ids of all jobs, oldest first."""
        jobs = [self._load(p.stem) for p in (self.root / "jobs").glob("*.json")]
        return [j["id"] for j in sorted(jobs, key=lambda j: (j["created"], j["id"]))]

    def job(self, job_id: str) -> dict[str, Any]:
        """A job's stored record."""
        return self._load(job_id)

    # -- storage ------------------------------------------------------------------------
    def _path(self, job_id: str) -> Path:
        return self.root / "jobs" / f"{job_id}.json"

    def _load(self, job_id: str) -> dict[str, Any]:
        return json.loads(self._path(job_id).read_text())

    def _save(self, job: dict[str, Any]) -> None:
        tmp = self._path(job["id"]).with_suffix(".tmp")
        tmp.write_text(json.dumps(job))
        tmp.replace(self._path(job["id"]))

    # -- fault handling -------------------------------------------------------------------
    def _count(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1

    def _fault(self, method: str) -> Fault | None:
        for f in self.faults:
            if f.method == method and f.times > 0:
                f.times -= 1
                return f
        return None

    @staticmethod
    def _error(method: str, status: int) -> Exception:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        text = {
            429: "Too Many Requests",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            404: "Not Found",
            409: "Conflict",
        }.get(status, "Error")
        return RequestsApiError(f"'{status} Server Error: {text} for url: https://fake/{method}'", status)

    def check(self, method: str) -> Fault | None:
        """Count a call and raise an injected fault (except ``after`` faults, returned)."""
        self._count(method)
        f = self._fault(method)
        if f is not None and not f.after:
            raise self._error(method, f.status)
        return f

    # -- jobs -------------------------------------------------------------------------------
    def create_job(
        self, program_id: str, backend: str, params: dict, tags: list[str] | None, session_id: str | None
    ) -> dict[str, Any]:
        job_id = "fake-" + uuid.uuid4().hex[:20]
        fate = self.fates.pop(0) if self.fates else "done"
        job = {
            "id": job_id,
            "backend": backend,
            "program": {"id": program_id},
            "params": params,
            "tags": list(tags or []),
            "session_id": session_id,
            "created": _now(),
            "fate": fate,
            "polls": 0,
            "state": {"status": "Queued"},
            "result": None,
            "usage": None,
        }
        with self._lock:
            self._save(job)
        if self.on_submit is not None:
            self.on_submit(job_id)
        return job

    def advance(self, job_id: str) -> dict[str, Any]:
        """One poll: move the job along its fate and return its record."""
        with self._lock:
            job = self._load(job_id)
            status = job["state"]["status"]
            if status in ("Completed", "Failed", "Cancelled"):
                return job
            job["polls"] += 1
            fate = job["fate"]
            if fate == "queued":
                pass
            elif fate == "cancel":
                job["state"] = {"status": "Cancelled", "reason": "cancelled by the service"}
            elif job["polls"] > self.polls_queued + self.polls_running:
                if fate.startswith("fail"):
                    reason = fate.partition(":")[2] or "job failed"
                    job["state"] = {"status": "Failed", "reason": reason, "reason_code": 1517}
                    job["result"] = f"Traceback (most recent call last):\nRuntimeError: {reason}"
                else:
                    job["result"] = self._execute(job)
                    job["usage"] = self.qpu_seconds_per_job
                    job["state"] = {"status": "Completed"}
            elif job["polls"] > self.polls_queued:
                job["state"] = {"status": "Running"}
            self._save(job)
            return job

    def _execute(self, job: dict[str, Any]) -> str:
        if job["program"]["id"] != "executor":
            raise NotImplementedError(
                f"the fake service only runs the 'executor' program, got {job['program']['id']!r}"
            )
        from ibm_quantum_schemas.common import CompressedTensorModel
        from ibm_quantum_schemas.executor.version_2_0 import (
            ItemMetadataModel,
            MetadataModel,
            QuantumProgramResultItemModel,
            QuantumProgramResultModel,
        )
        from qiskit_ibm_runtime.fake_provider.executor.run_quantum_program import run_quantum_program
        from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import passthrough_data_to_2_0
        from qiskit_ibm_runtime.quantum_program.params_converters import QUANTUM_PROGRAM_PARAMS_CONVERTERS

        conv = QUANTUM_PROGRAM_PARAMS_CONVERTERS[job["params"]["schema_version"]]
        program, options = conv.decoder(conv.model.model_validate(job["params"]))
        for item in program.items:  # the service finalizes decoded samplexes before sampling
            samplex = getattr(item, "samplex", None)
            if samplex is not None and not getattr(samplex, "_finalized", True):
                samplex.finalize()
        result = run_quantum_program(fake_backend_for(job["backend"]), program, options.simulator)
        model = QuantumProgramResultModel(
            data=[
                QuantumProgramResultItemModel(
                    results={k: CompressedTensorModel.from_numpy(v) for k, v in item.items()},
                    metadata=ItemMetadataModel(),
                )
                for item in result
            ],
            metadata=MetadataModel(chunk_timing=[]),
            passthrough_data=passthrough_data_to_2_0(result.passthrough_data),
            semantic_role=program._semantic_role,
        )
        return model.model_dump_json()


_FAKES: dict[str, Any] = {}


def fake_backend_for(name: str) -> Any:
    """The fake backend object behind a remote name (cached)."""
    if name not in BACKENDS:
        raise KeyError(name)
    if name not in _FAKES:
        import qiskit_ibm_runtime.fake_provider as fp

        _FAKES[name] = getattr(fp, BACKENDS[name])()
    return _FAKES[name]


def _backend_json(name: str, kind: str) -> dict[str, Any]:
    fake = fake_backend_for(name)
    fname = fake.conf_filename if kind == "conf" else fake.props_filename
    data = json.loads((Path(fake.dirname) / fname).read_text())
    data["backend_name"] = name
    return data


class FakeRuntimeClient:
    """Drop-in for ``qiskit_ibm_runtime.api.client.RuntimeClient`` backed by a :class:`FakeRuntimeServer`."""

    server: FakeRuntimeServer  # set by install()

    def __init__(self, params: Any) -> None:
        self._instance = params.instance
        self._configuration_registry: dict[str, dict[str, Any]] = {}

    # -- jobs -------------------------------------------------------------------------------
    def program_run(
        self,
        program_id: str,
        backend_name: str | None,
        params: dict,
        image: str | None,
        log_level: str | None,
        session_id: str | None,
        job_tags: list[str] | None = None,
        max_execution_time: int | None = None,
        start_session: bool | None = False,
        session_time: int | None = None,
        private: bool | None = False,
        calibration_id: str | None = None,
    ) -> dict:
        fault = self.server.check("program_run")
        if backend_name not in BACKENDS:
            raise self.server._error("program_run", 404)
        if session_id is not None and session_id not in self.server.sessions:
            raise self.server._error("program_run", 404)
        if session_id is not None and not self.server.sessions[session_id]["accepting_jobs"]:
            raise self.server._error("program_run", 409)  # the batch/session was closed or expired
        job = self.server.create_job(program_id, backend_name, params, job_tags, session_id)
        if fault is not None:  # an "after" fault: the job exists, but the client sees an error
            raise self.server._error("program_run", fault.status)
        return {"id": job["id"], "backend": backend_name}

    def _job(self, job_id: str) -> dict[str, Any]:
        try:
            return self.server.job(job_id)
        except FileNotFoundError:
            raise self.server._error("job_get", 404) from None

    def job_get(self, job_id: str, exclude_params: bool = True) -> dict:
        self.server.check("job_get")
        self._job(job_id)
        job = self.server.advance(job_id)
        out = {k: v for k, v in job.items() if k not in ("result", "fate", "polls", "usage")}
        if exclude_params:
            out.pop("params", None)
        return out

    def jobs_get(
        self,
        limit: int | None = None,
        skip: int | None = None,
        backend_name: str | None = None,
        pending: bool | None = None,
        program_id: str | None = None,
        job_tags: list[str] | None = None,
        session_id: str | None = None,
        created_after: Any = None,
        created_before: Any = None,
        descending: bool = True,
        include_mocks: bool = False,
    ) -> dict:
        self.server.check("jobs_get")
        jobs = [self.server.job(j) for j in self.server.job_ids()]
        if backend_name:
            jobs = [j for j in jobs if j["backend"] == backend_name]
        if job_tags:
            jobs = [j for j in jobs if set(job_tags) <= set(j["tags"])]
        if session_id:
            jobs = [j for j in jobs if j["session_id"] == session_id]
        if program_id:
            jobs = [j for j in jobs if j["program"]["id"] == program_id]
        if pending is not None:
            final = ("Completed", "Failed", "Cancelled")
            jobs = [j for j in jobs if (j["state"]["status"] not in final) == pending]
        if descending:
            jobs = jobs[::-1]
        count = len(jobs)
        jobs = jobs[skip or 0 :][: limit or None]
        slim = [
            {k: v for k, v in j.items() if k not in ("params", "result", "fate", "polls", "usage")}
            for j in jobs
        ]
        return {"jobs": slim, "count": count}

    def job_results(self, job_id: str) -> str:
        self.server.check("job_results")
        job = self._job(job_id)
        return job["result"] or ""

    def job_cancel(self, job_id: str) -> None:
        self.server.check("job_cancel")
        job = self._job(job_id)
        if job["state"]["status"] in ("Completed", "Failed", "Cancelled"):
            raise self.server._error("job_cancel", 409)
        job["state"] = {"status": "Cancelled", "reason": "cancelled by the user"}
        self.server._save(job)

    def job_delete(self, job_id: str) -> None:
        self.server.check("job_delete")
        self.server._path(job_id).unlink(missing_ok=True)

    def job_logs(self, job_id: str) -> str:
        self.server.check("job_logs")
        return ""

    def job_metadata(self, job_id: str) -> dict[str, Any]:
        self.server.check("job_metadata")
        job = self._job(job_id)
        done = job["usage"] is not None
        return {
            "timestamps": {"created": job["created"], "running": None, "finished": None},
            "usage": {
                "quantum_seconds": job["usage"] or 0,
                "seconds": job["usage"] or 0,
                "qpu_charge_time_seconds": job["usage"] or 0,
                "status": "complete" if done else "pending",
            },
        }

    def update_tags(self, job_id: str, tags: list) -> Any:
        self.server.check("update_tags")
        job = self._job(job_id)
        job["tags"] = list(tags)
        self.server._save(job)

        class _Response:
            status_code = 204

        return _Response()

    # -- sessions ---------------------------------------------------------------------------
    def create_session(
        self,
        backend: str | None = None,
        instance: str | None = None,
        max_time: int | None = None,
        mode: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        self.server.check("create_session")
        sid = "sess-" + uuid.uuid4().hex[:12]
        self.server.sessions[sid] = {
            "id": sid,
            "backend_name": backend,
            "mode": mode,
            "state": "open",
            "accepting_jobs": True,
            "max_time": max_time,
        }
        return {"id": sid}

    def cancel_session(self, session_id: str) -> None:
        self.server.check("cancel_session")
        self.server.sessions[session_id]["state"] = "closed"

    def close_session(self, session_id: str) -> None:
        self.server.check("close_session")
        self.server.sessions[session_id]["accepting_jobs"] = False
        self.server.sessions[session_id]["state"] = "closed"

    def session_details(self, session_id: str) -> dict[str, Any]:
        self.server.check("session_details")
        return dict(self.server.sessions[session_id])

    # -- backends ---------------------------------------------------------------------------
    def list_backends(self, include_mocks: bool = False) -> list[dict[str, Any]]:
        self.server.check("list_backends")
        return [{"name": name, "status": {"name": "online"}, "physical_qubits": None} for name in BACKENDS]

    def backend_configuration(
        self, backend_name: str, refresh: bool = False, calibration_id: str | None = None
    ) -> dict[str, Any]:
        self.server.check("backend_configuration")
        if backend_name not in BACKENDS:
            raise self.server._error("backend_configuration", 404)
        return _backend_json(backend_name, "conf")

    def backend_status(self, backend_name: str) -> dict[str, Any]:
        self.server.check("backend_status")
        return {
            "backend_name": backend_name,
            "backend_version": "1.0.0",
            "operational": True,
            "pending_jobs": 0,
            "status_msg": "active",
        }

    def backend_properties(
        self, backend_name: str, datetime: Any = None, calibration_id: str | None = None
    ) -> dict[str, Any]:
        self.server.check("backend_properties")
        return _backend_json(backend_name, "props")

    def cloud_usage(self) -> dict[str, Any]:
        self.server.check("cloud_usage")
        return {"usage_limit_reached": False, "usage_consumed_seconds": 0}


def _fake_instances(self: Any) -> list[dict[str, Any]]:
    return [{"crn": FAKE_CRN, "plan": "open", "name": "fake-instance", "tags": [], "pricing_type": "free"}]


def check_client_interface() -> list[str]:
    """What moved in qiskit-ibm-runtime's private client interface since 0.51.0 (empty: nothing).

    Checks the version, where ``RuntimeClient`` is looked up, each method's parameter
    names, ``Account.list_instances``, and the executor schema version used for encoding.
    """
    import qiskit_ibm_runtime
    import qiskit_ibm_runtime.qiskit_runtime_service as qrs
    from qiskit_ibm_runtime.accounts.account import Account
    from qiskit_ibm_runtime.api.client import RuntimeClient
    from qiskit_ibm_runtime.executor import Executor

    problems: list[str] = []
    if qiskit_ibm_runtime.__version__ != PINNED_VERSION:
        problems.append(
            f"qiskit-ibm-runtime is {qiskit_ibm_runtime.__version__}, the fake pins {PINNED_VERSION}"
        )
    if getattr(qrs, "RuntimeClient", None) is not RuntimeClient:
        problems.append("qiskit_runtime_service no longer imports RuntimeClient by name (patch point moved)")
    for name, expected in CLIENT_METHODS.items():
        fn = getattr(RuntimeClient, name, None)
        if fn is None:
            problems.append(f"RuntimeClient.{name} no longer exists")
            continue
        got = tuple(inspect.signature(fn).parameters)
        if got != expected:
            problems.append(f"RuntimeClient.{name} parameters changed: {got} != {expected}")
    public = {n for n, v in vars(RuntimeClient).items() if callable(v) and not n.startswith("_")}
    new = sorted(public - set(CLIENT_METHODS))
    if new:
        problems.append(f"RuntimeClient has methods the fake does not implement: {new}")
    if not callable(getattr(Account, "list_instances", None)):
        problems.append("Account.list_instances no longer exists (instance discovery moved)")
    from qiskit_ibm_runtime.runtime_job_v2 import RuntimeJobV2

    if "self._session_id" not in inspect.getsource(RuntimeJobV2.__init__):
        problems.append("RuntimeJobV2 no longer keeps _session_id (qml.backends.ibm reads it)")
    if getattr(Executor, "_SCHEMA_VERSION", None) != "v2.0":
        problems.append(
            f"Executor._SCHEMA_VERSION is {getattr(Executor, '_SCHEMA_VERSION', None)!r}, not 'v2.0'"
        )
    return problems


@contextmanager
def installed(root: Path, **server_options: Any) -> Iterator[FakeRuntimeServer]:
    """Context manager form of :func:`install` (restores the real client on exit)."""
    server, undo = install(root, **server_options)
    try:
        yield server
    finally:
        undo()


def install(root: Path, **server_options: Any) -> tuple[FakeRuntimeServer, Callable[[], None]]:
    """Patch qiskit-ibm-runtime to use the fake service; returns ``(server, undo)``.

    Usable outside pytest (e.g. in a subprocess that a test kills).
    """
    import qiskit_ibm_runtime.qiskit_runtime_service as qrs
    from qiskit_ibm_runtime.accounts.account import Account

    server = FakeRuntimeServer(Path(root), **server_options)
    client_cls = type("FakeRuntimeClient", (FakeRuntimeClient,), {"server": server})
    saved = (qrs.RuntimeClient, Account.list_instances)
    qrs.RuntimeClient = client_cls  # type: ignore[misc]
    Account.list_instances = _fake_instances  # type: ignore[method-assign]

    def undo() -> None:
        qrs.RuntimeClient, Account.list_instances = saved  # type: ignore[misc]

    return server, undo


def fake_service(token: str = "fake-token-0000") -> Any:
    """A ``QiskitRuntimeService`` on the fake (call after :func:`install`)."""
    from qiskit_ibm_runtime import QiskitRuntimeService

    return QiskitRuntimeService(channel="ibm_quantum_platform", token=token, instance=FAKE_CRN)


FAKE_TOKEN = "qml-fake-token-7f3a9c1e5b"


def fake_service_env(tmp_path: Path, monkeypatch: Any) -> Iterator[FakeRuntimeServer]:
    """Body of the tests' ``fake_ibm`` fixture: the fake service installed, with a fake account
    (token, instance) in the environment and ``HOME`` moved so no saved account is read."""
    monkeypatch.setenv("QISKIT_IBM_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", FAKE_CRN)
    monkeypatch.setenv("QISKIT_IBM_CHANNEL", "ibm_quantum_platform")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with installed(tmp_path / "fake_service") as server:
        yield server
