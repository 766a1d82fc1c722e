"""IBM Quantum through qiskit-ibm-runtime 0.51: local testing mode and the real service code path
on a fake REST client (tests/fake_runtime.py), with faults, crashes, resume, budgets and secrets."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from fake_runtime import FAKE_CRN, FAKE_TOKEN, check_client_interface, fake_service_env

from qml.backends import get_backend
from qml.backends.ibm import IBMAccountError, IBMBackend, IBMOptions, ibm_service
from qml.backends.jobs import JobCancelledError, JobFailedError, JobTimeoutError, PollPolicy, RetryPolicy
from qml.backends.ledger import BudgetExceededError, Ledger
from qml.ir import Circuit, W, X

TESTS = Path(__file__).parent
FAST = IBMOptions(shots=1000, resilience_level=0, seed_simulator=5)


@pytest.fixture
def fake_ibm(tmp_path, monkeypatch):
    """The fake IBM service (tests/fake_runtime.py) with a fake account in the environment."""
    yield from fake_service_env(tmp_path, monkeypatch)


def model_circuit() -> Circuit:
    return Circuit(2).add("RX", 0, X(0)).add("RY", 0, W(0)).add("CNOT", (0, 1)).add("RY", 1, W(1))


def remote(ledger_path: Path, run_id: str = "run-1", **kw) -> IBMBackend:
    options = kw.pop("options", FAST)
    return IBMBackend(
        "ibm_manila",
        options=options,
        ledger=ledger_path,
        run_id=run_id,
        sleep=lambda s: None,
        retry=RetryPolicy(attempts=4),
        **kw,
    )


# -- canary ---------------------------------------------------------------------------------------
def test_canary_private_client_interface_unchanged():
    problems = check_client_interface()
    assert not problems, (
        "the qiskit-ibm-runtime internals that tests/fake_runtime.py patches have moved; update the fake "
        "(and pin the new version) before trusting these tests:\n  " + "\n  ".join(problems)
    )


# -- options and accounts --------------------------------------------------------------------------
def test_options_validation_and_roundtrip():
    o = IBMOptions(shots=100, zne=True, job_tags=("exp",), zne_extrapolator=["linear"])
    assert IBMOptions.from_dict(json.loads(json.dumps(o.to_dict()))) == o
    assert o.mitigation_factor() == 2 * 3
    with pytest.raises(ValueError, match="unknown IBM options \\['shot'\\]"):
        IBMOptions.from_dict({"shot": 10})
    with pytest.raises(ValueError, match="resilience_level must be one of"):
        IBMOptions(resilience_level=3)


def test_options_reach_the_executor_estimator(tmp_path):
    b = IBMBackend(
        "fake_manila",
        ledger=tmp_path / "l.sqlite",
        options=IBMOptions(
            resilience_level=2,
            measure_mitigation=True,
            zne_noise_factors=(1, 2, 3),
            zne_extrapolator="linear",
            twirling_gates=True,
            num_randomizations=8,
            dynamical_decoupling=True,
            dd_sequence="XY4",
            max_execution_time=300,
            angle_decimals=9,
        ),
    )
    est = b.runner._estimator(777, ["qml-run-x"], seed=3)
    from qiskit_ibm_runtime.executor_estimator import Estimator

    assert isinstance(est, Estimator)
    o = est.options
    assert (o.default_shots, o.resilience_level, o.resilience.measure_mitigation) == (777, 2, True)
    assert list(o.resilience.zne.noise_factors) == [1.0, 2.0, 3.0]
    assert o.resilience.zne.extrapolator == "linear"
    assert o.twirling.enable_gates
    assert o.twirling.num_randomizations == 8
    assert o.dynamical_decoupling.enable
    assert o.dynamical_decoupling.sequence_type == "XY4"
    assert o.environment.job_tags == ["qml-run-x"]
    assert o.max_execution_time == 300
    assert o.simulator.seed_simulator == 3
    assert o.simulator.angle_decimals == 9


def test_no_account_gives_a_clear_error(monkeypatch, tmp_path):
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL"):
        monkeypatch.delenv(var, raising=False)
    import qiskit_ibm_runtime.accounts.management as mgmt

    monkeypatch.setattr(mgmt, "_DEFAULT_ACCOUNT_CONFIG_JSON_FILE", str(tmp_path / "none.json"))
    with pytest.raises(IBMAccountError, match="set QISKIT_IBM_TOKEN"):
        ibm_service()


# -- local testing mode -----------------------------------------------------------------------------
def test_local_mode_values_gradients_and_ledger(tmp_path):
    c = model_circuit()
    w = torch.tensor([0.3, -0.5], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([[0.2], [0.9]], dtype=torch.float64)
    b = get_backend(
        "ibm:fake_manila",
        options=IBMOptions(shots=4000, resilience_level=0, seed_simulator=1),
        ledger=tmp_path / "l.sqlite",
        run_id="local",
    )
    assert b.local
    assert b.capabilities.remote is False
    e = b.expval(c, ["Z0 Z1", "Z1"], w, x)
    (g,) = torch.autograd.grad(e.sum(), w)
    w2 = w.detach().clone().requires_grad_(True)
    e2 = get_backend("torch").expval(c, ["Z0 Z1", "Z1"], w2, x)
    (g2,) = torch.autograd.grad(e2.sum(), w2)
    assert torch.allclose(e, e2, atol=0.15)
    assert torch.allclose(g, g2, atol=0.25)  # device noise + shots
    (rec,) = b.ledger.jobs()
    assert rec.status == "DONE"
    assert rec.local
    assert rec.usage_seconds == 0.0
    assert b.ledger.result(rec.id)["evs"].shape == (2 * (1 + 4), 2)  # batch x (forward + 4 shifted points)
    assert b.ledger.circuit_qasm(rec.id).startswith("OPENQASM 3")
    import io

    from qiskit import qpy

    (isa,) = qpy.load(io.BytesIO(b.ledger.circuit_qpy(rec.id)))
    assert isa.num_qubits == 5
    assert isa.num_parameters == 3  # one per gate angle (slot)
    assert b.last_execution.job_ids == (rec.job_id,)


def test_legacy_estimator_behind_an_option(tmp_path):
    import warnings

    b = IBMBackend(
        "fake_manila",
        ledger=tmp_path / "l.sqlite",
        options=IBMOptions(shots=500, resilience_level=0, primitive="legacy"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = b.run(Circuit(1).add("X", 0), "Z0")
    assert r.values() < -0.5


# -- the service code path on the fake REST client ----------------------------------------------------
def test_submit_and_retrieve_later(fake_ibm, tmp_path):
    c = model_circuit()
    b = remote(tmp_path / "l.sqlite")
    assert b.name == "ibm:ibm_manila"
    assert not b.local
    r = b.run(c, ["Z0 Z1"], [[0.1, 0.2], [0.3, 0.4]], [0.5])
    (job_id,) = r.job_ids
    assert fake_ibm.submissions == 1
    assert job_id.startswith("fake-")
    job = fake_ibm.job(job_id)
    assert job["program"]["id"] == "executor"
    assert "qml-run-run-1" in job["tags"]
    # another process later: the same run replays from the ledger without submitting
    b2 = remote(tmp_path / "l.sqlite")
    r2 = b2.run(c, ["Z0 Z1"], [[0.1, 0.2], [0.3, 0.4]], [0.5])
    np.testing.assert_array_equal(r2.expectations, r.expectations)
    assert fake_ibm.submissions == 1
    assert r2.metadata["reused_jobs"] == 1
    # and the job itself can be fetched by id through the real client code
    again = b2.runner.job(job_id)
    assert again.status() == "DONE"
    assert again.result()[0].data.evs.shape == (2, 1)
    rec = b2.ledger.get(job_id)
    assert rec.usage_seconds == 2.0
    assert rec.status == "DONE"
    assert not rec.local


def test_transient_errors_are_retried(fake_ibm, tmp_path):
    fake_ibm.inject("program_run", 429, times=2)
    fake_ibm.inject("job_get", 500, times=2)
    fake_ibm.inject("job_results", 503)
    r = remote(tmp_path / "l.sqlite").run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    assert fake_ibm.submissions == 1
    assert len(r.job_ids) == 1
    assert fake_ibm.calls["program_run"] == 3


def test_ambiguous_failed_submission_is_not_duplicated(fake_ibm, tmp_path):
    fake_ibm.inject("program_run", 500, after=True)  # job created, client sees a 500
    r = remote(tmp_path / "l.sqlite").run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    assert fake_ibm.submissions == 1
    assert r.job_ids == tuple(fake_ibm.job_ids())


def test_queued_forever_times_out_then_resumes(fake_ibm, tmp_path):
    fake_ibm.next_jobs("queued")
    b = remote(tmp_path / "l.sqlite", poll=PollPolicy(initial=0.01, timeout=0.0))
    with pytest.raises(JobTimeoutError, match="stays in the ledger"):
        b.run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    (rec,) = b.ledger.jobs()
    assert rec.status == "QUEUED"
    assert rec.job_id is not None
    job = fake_ibm.job(rec.job_id)
    job["fate"] = "done"
    fake_ibm._save(job)
    r = remote(tmp_path / "l.sqlite").run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    assert r.job_ids == (rec.job_id,)
    assert fake_ibm.submissions == 1


def test_failed_and_cancelled_jobs_are_recorded(fake_ibm, tmp_path):
    fake_ibm.next_jobs("fail:qubit 3 calibration expired", "cancel")
    with pytest.raises(JobFailedError, match="qubit 3 calibration expired"):
        remote(tmp_path / "l.sqlite").run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    with pytest.raises(JobCancelledError):
        remote(tmp_path / "l.sqlite", run_id="run-2").run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    led = Ledger(tmp_path / "l.sqlite")
    assert [(r.status, r.reservation_open) for r in led.jobs()] == [("ERROR", False), ("CANCELLED", False)]
    assert "calibration expired" in led.jobs()[0].error
    # replaying the failed step submits a new job, not the failed one
    r = remote(tmp_path / "l.sqlite").run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    assert fake_ibm.submissions == 3
    assert r.job_ids[0] == fake_ibm.job_ids()[-1]


def test_crash_between_submission_and_ledger_write(fake_ibm, tmp_path):
    b = remote(tmp_path / "l.sqlite")

    def crash(job_id: str) -> None:
        raise KeyboardInterrupt("client killed right after submitting")

    b.manager.after_submit = crash
    with pytest.raises(KeyboardInterrupt):
        b.run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    assert Ledger(tmp_path / "l.sqlite").jobs()[0].status == "RESERVED"
    r = remote(tmp_path / "l.sqlite").run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    assert fake_ibm.submissions == 1
    assert r.job_ids == tuple(fake_ibm.job_ids())


def test_budget_refuses_before_submission(fake_ibm, tmp_path):
    led = Ledger(tmp_path / "l.sqlite")
    led.set_budget("default", max_shots=1500)
    b = remote(tmp_path / "l.sqlite")
    b.run(model_circuit(), "Z1", [0.1, 0.2], [0.3])  # 1 row x 1000 shots
    with pytest.raises(BudgetExceededError, match="refuses this job"):
        b.run(model_circuit(), "Z1", [0.5, 0.2], [0.3])
    assert fake_ibm.submissions == 1
    assert led.budget().used_shots == 1000
    assert led.budget().reserved_shots == 0


def test_batch_mode_and_sessions_only_when_asked(fake_ibm, tmp_path):
    b = remote(tmp_path / "l.sqlite", options=IBMOptions(shots=200, resilience_level=0, mode="batch"))
    b.run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    b.run(model_circuit(), "Z1", [0.2, 0.2], [0.3])
    modes = [s["mode"] for s in fake_ibm.sessions.values()]
    assert modes == ["batch"]
    sessions = {fake_ibm.job(j)["session_id"] for j in fake_ibm.job_ids()}
    assert sessions == set(fake_ibm.sessions)
    b.close()
    assert all(not s["accepting_jobs"] for s in fake_ibm.sessions.values())
    job_mode = remote(tmp_path / "l2.sqlite")
    job_mode.run(model_circuit(), "Z1", [0.1, 0.2], [0.3])
    assert len(fake_ibm.sessions) == 1
    assert fake_ibm.job(fake_ibm.job_ids()[-1])["session_id"] is None
    with job_mode.session():
        job_mode.run(model_circuit(), "Z1", [0.9, 0.2], [0.3])
    assert [s["mode"] for s in fake_ibm.sessions.values()] == ["batch", "dedicated"]


def test_gradient_steps_run_in_a_batch_that_is_reopened_when_expired(fake_ibm, tmp_path):
    b = remote(tmp_path / "l.sqlite")
    w = torch.tensor([0.1, 0.2], dtype=torch.float64, requires_grad=True)
    b.expval(model_circuit(), "Z1", w, [0.3]).backward()
    (sid,) = fake_ibm.sessions
    assert fake_ibm.sessions[sid]["mode"] == "batch"
    assert fake_ibm.job(fake_ibm.job_ids()[-1])["session_id"] == sid
    fake_ibm.sessions[sid]["accepting_jobs"] = False  # the service closed the batch
    w2 = (w.detach() * 2).requires_grad_(True)
    b.expval(model_circuit(), "Z1", w2, [0.3]).backward()  # refused (409): a new batch, same key
    assert len(fake_ibm.sessions) == 2
    assert fake_ibm.submissions == 2
    assert [r.status for r in b.ledger.jobs()] == ["DONE", "DONE"]
    no_batch = remote(
        tmp_path / "l2.sqlite", options=IBMOptions(shots=100, resilience_level=0, gradient_mode="job")
    )
    no_batch.expval(model_circuit(), "Z1", w, [0.3]).backward()
    assert len(fake_ibm.sessions) == 2


def test_ledger_survives_all_faults(fake_ibm, tmp_path):
    fake_ibm.inject("program_run", 429)
    fake_ibm.inject("program_run", 502, after=True)
    fake_ibm.inject("jobs_get", 500)
    fake_ibm.inject("job_get", 503, times=3)
    fake_ibm.inject("job_metadata", 500, times=10)  # usage unreadable: informative only
    fake_ibm.next_jobs("done", "fail:boom", "done")
    b = remote(tmp_path / "l.sqlite")
    c = model_circuit()
    b.run(c, "Z1", [0.1, 0.2], [0.3])
    with pytest.raises(JobFailedError):
        b.run(c, "Z1", [0.2, 0.2], [0.3])
    b.run(c, "Z1", [0.3, 0.2], [0.3])
    led = Ledger(tmp_path / "l.sqlite")
    assert led.integrity_check() == "ok"
    statuses = [r.status for r in led.jobs()]
    assert statuses == ["DONE", "ERROR", "DONE"]
    assert fake_ibm.submissions == 3
    assert led.budget().reserved_shots == 0
    assert led.budget().used_shots == 2000
    for r in led.jobs(status="DONE"):
        assert led.result(r.id)["evs"].shape == (1, 1)


# -- a hybrid model trains through the ledger; interrupted runs resume -------------------------------
class Tiny(torch.nn.Module):
    """A one-layer hybrid model: quantum expectation -> linear readout."""

    def __init__(self, backend) -> None:
        super().__init__()
        self.backend = backend
        self.w = torch.nn.Parameter(torch.tensor([0.1, -0.2], dtype=torch.float64))
        self.head = torch.nn.Linear(1, 1, dtype=torch.float64)
        with torch.no_grad():
            self.head.weight.fill_(1.0)
            self.head.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backend.expval(model_circuit(), ["Z0 Z1"], self.w, x))


def train(backend, steps: int = 3) -> list[float]:
    torch.manual_seed(0)
    model = Tiny(backend)
    opt = torch.optim.SGD(model.parameters(), lr=0.2)
    x = torch.tensor([[0.0], [0.8], [1.6]], dtype=torch.float64)
    y = torch.tensor([[1.0], [0.0], [-1.0]], dtype=torch.float64)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((model(x) - y) ** 2)
        loss.backward()
        opt.step()
    return model.w.detach().tolist()


def test_hybrid_model_trains_and_resumes_after_an_injected_crash(fake_ibm, tmp_path):
    led = tmp_path / "l.sqlite"
    b = remote(led, run_id="train")
    count = {"n": 0}

    def crash_on_third(job_id: str) -> None:
        count["n"] += 1
        if count["n"] == 3:
            raise KeyboardInterrupt("killed")

    b.manager.after_submit = crash_on_third
    with pytest.raises(KeyboardInterrupt):
        train(b, steps=4)
    assert fake_ibm.submissions == 3
    w_resumed = train(remote(led, run_id="train"), steps=4)  # restart from scratch, same run id
    assert fake_ibm.submissions == 4  # steps 1-2 from the ledger, step 3 found by tag, step 4 new
    w_replayed = train(remote(led, run_id="train"), steps=4)
    assert fake_ibm.submissions == 4
    assert w_replayed == w_resumed  # a finished run replays exactly
    recs = Ledger(led).jobs(run_id="train")
    assert [r.status for r in recs] == ["DONE"] * 4
    assert len({r.job_id for r in recs}) == 4
    assert w_resumed != [0.1, -0.2]


def test_killed_training_process_resumes_without_resubmitting(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(f"""
        import json, os, sys
        sys.path.insert(0, {str(TESTS)!r})
        os.environ["QISKIT_IBM_TOKEN"] = {FAKE_TOKEN!r}
        os.environ["QISKIT_IBM_INSTANCE"] = {FAKE_CRN!r}
        import fake_runtime
        fake_runtime.install({str(tmp_path / "service")!r})
        from test_ibm import remote, train
        b = remote(__import__("pathlib").Path({str(tmp_path / "l.sqlite")!r}), run_id="killed")
        kill_after = int(sys.argv[1])
        if kill_after:
            n = [0]
            def hook(job_id):
                n[0] += 1
                if n[0] == kill_after:
                    os._exit(17)  # SIGKILL-like: no cleanup, no ledger write
            b.manager.after_submit = hook
        print(json.dumps(train(b, steps=3)))
    """)
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.run(
        [sys.executable, str(script), "2"], capture_output=True, text=True, env=env, timeout=300
    )
    assert first.returncode == 17, first.stderr[-2000:]
    second = subprocess.run(
        [sys.executable, str(script), "0"], capture_output=True, text=True, env=env, timeout=300
    )
    assert second.returncode == 0, second.stderr[-2000:]
    jobs = list((tmp_path / "service" / "jobs").glob("*.json"))
    assert len(jobs) == 3  # one job per training step, none submitted twice
    recs = Ledger(tmp_path / "l.sqlite").jobs()
    assert [r.status for r in recs] == ["DONE"] * 3
    assert Ledger(tmp_path / "l.sqlite").integrity_check() == "ok"


# -- secrets ---------------------------------------------------------------------------------------
def test_no_secret_is_written_anywhere(fake_ibm, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    led = tmp_path / "l.sqlite"
    fake_ibm.inject("program_run", 429)
    fake_ibm.next_jobs("done", "fail:token rejected")
    b = remote(led)
    res = b.run(model_circuit(), ["Z0 Z1"], [0.1, 0.2], [0.3])
    with pytest.raises(JobFailedError):
        b.run(model_circuit(), ["Z0 Z1"], [0.2, 0.2], [0.3])
    out = tmp_path / "result.json"
    out.write_text(json.dumps(res.to_dict()))
    np.savez(tmp_path / "result.npz", **Ledger(led).result(res.job_ids[0]))
    blobs = {p.name: p.read_bytes() for p in tmp_path.glob("l.sqlite*")}
    blobs["result.json"] = out.read_bytes()
    blobs["result.npz"] = (tmp_path / "result.npz").read_bytes()
    blobs["log"] = caplog.text.encode()
    assert caplog.text  # something was logged
    for name, data in blobs.items():
        assert FAKE_TOKEN.encode() not in data, f"the token leaked into {name}"


@pytest.mark.hardware
def test_real_hardware_smoke(tmp_path, request):  # pragma: no cover - never in CI
    if "hardware" not in (request.config.getoption("-m") or ""):
        pytest.skip("real IBM hardware costs money: run explicitly with -m hardware")
    name = os.environ.get("QML_IBM_TEST_BACKEND", "ibm_brisbane")
    b = IBMBackend(name, options=IBMOptions(shots=1000, resilience_level=1), ledger=tmp_path / "l.sqlite")
    r = b.run(Circuit(2).add("H", 0).add("CNOT", (0, 1)), ["Z0 Z1"])
    assert 0.7 < float(r.values()) <= 1.0
