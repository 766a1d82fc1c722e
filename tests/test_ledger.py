"""The SQLite job ledger: schema, idempotent reservations, atomic budgets, blobs, secrets."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from qml.backends.ledger import (
    SCHEMA_VERSION,
    BudgetExceededError,
    JobRequest,
    Ledger,
    LedgerError,
    arrays_to_npz,
    npz_to_arrays,
    redact,
)


def req(key: str, shots: int = 100, seconds: float = 1.0, **kw) -> JobRequest:
    return JobRequest(
        key=key,
        run_id="run-a",
        backend="fake_manila",
        shots=shots,
        cost_shots=shots,
        cost_seconds=seconds,
        **kw,
    )


@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path / "sub" / "ledger.sqlite")
    yield led
    led.close()


def test_schema_and_wal(ledger, tmp_path):
    assert ledger.schema_version == SCHEMA_VERSION
    assert ledger._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.integrity_check() == "ok"
    raw = sqlite3.connect(tmp_path / "future.sqlite")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(LedgerError, match="newer than this qml-circuits understands"):
        Ledger(tmp_path / "future.sqlite")


def test_reserve_is_idempotent(ledger):
    a = ledger.reserve(req("k1", job_tags=("qml-run-a",), step=3, options={"shots": 100}))
    b = ledger.reserve(req("k1", shots=999))
    assert a == b
    assert a.status == "RESERVED"
    assert a.step == 3
    assert a.options == {"shots": 100}
    assert ledger.budget().reserved_shots == 100
    assert ledger.find("nope") is None


def test_lifecycle_and_budget_settlement(ledger):
    ledger.set_budget("default", max_shots=1000, max_seconds=100)
    ledger.reserve(
        req("k1", 300, 10.0, inputs={"parameter_values": np.ones((2, 3))}, observables=[[["ZZ", 1.0]]])
    )
    rec = ledger.mark_submitted("k1", "job-1", session_id="s1")
    assert (rec.status, rec.job_id, rec.attempts, rec.session_id) == ("QUEUED", "job-1", 1, "s1")
    assert ledger.set_status("k1", "RUNNING").status == "RUNNING"
    arrays = {"evs": np.arange(6.0).reshape(2, 3), "stds": np.zeros((2, 3))}
    rec = ledger.finish("k1", "DONE", arrays, {"note": "ok"}, usage_seconds=4.5)
    assert rec.status == "DONE"
    assert rec.has_result
    assert not rec.reservation_open
    assert rec.finished
    b = ledger.budget()
    assert (b.used_shots, b.used_seconds, b.reserved_shots, b.remaining_shots) == (300, 4.5, 0, 700)
    np.testing.assert_array_equal(ledger.result("job-1")["evs"], arrays["evs"])
    assert ledger.result_metadata(rec.id) == {"note": "ok"}
    assert ledger.inputs("k1")["parameter_values"].shape == (2, 3)
    assert ledger.observables("k1") == [[["ZZ", 1.0]]]
    # a DONE row is never overwritten
    again = ledger.finish("k1", "DONE", {"evs": np.zeros(1)})
    assert np.array_equal(ledger.result("k1")["evs"], arrays["evs"])
    assert again.status == "DONE"
    with pytest.raises(LedgerError, match="already DONE"):
        ledger.set_status("k1", "RUNNING")


def test_budget_refuses_and_reserves_nothing(ledger):
    ledger.set_budget("default", max_shots=500)
    ledger.reserve(req("k1", 400))
    with pytest.raises(BudgetExceededError, match="400 reserved of 500 \\(100 left\\)"):
        ledger.reserve(req("k2", 200))
    assert ledger.find("k2") is None
    ledger.set_budget("default", max_seconds=1.5)  # a second limit applies too
    with pytest.raises(BudgetExceededError, match="QPU s estimated"):
        ledger.reserve(req("k3", 50, seconds=1.0))  # 1.0 reserved + 1.0 > 1.5
    ledger.release("k1")
    ledger.reserve(req("k3", 50, seconds=1.0))
    assert ledger.budget().reserved_shots == 50


def test_failed_jobs_charge_only_usage_and_can_be_reopened(ledger):
    ledger.set_budget("default", max_shots=150)
    ledger.reserve(req("k1", 100))
    ledger.mark_submitted("k1", "job-1")
    rec = ledger.finish("k1", "ERROR", usage_seconds=0.5, error="calibration failed")
    assert rec.error == "calibration failed"
    assert ledger.budget().used_shots == 0
    with pytest.raises(LedgerError, match="has no result"):
        ledger.result("k1")
    rec = ledger.reopen("k1")
    assert rec.status == "RESERVED"
    assert rec.job_id is None
    assert ledger.budget().reserved_shots == 100
    with pytest.raises(LedgerError, match="only ERROR or CANCELLED"):
        ledger.reopen("k1")


def test_get_by_id_job_id_key_prefix(ledger):
    key = "ab" * 32
    ledger.reserve(req(key))
    ledger.mark_submitted(key, "job-xyz")
    assert ledger.get(1).key == key
    assert ledger.get("1").key == key
    assert ledger.get("job-xyz").key == key
    assert ledger.get(key[:10]).key == key
    with pytest.raises(LedgerError, match="no job matches"):
        ledger.get("zzzzzzzzzz")
    assert [r.key for r in ledger.jobs(run_id="run-a")] == [key]
    assert ledger.jobs(status="DONE") == []


def test_invalid_status_and_finish(ledger):
    ledger.reserve(req("k1"))
    with pytest.raises(LedgerError, match="unknown job status"):
        ledger.set_status("k1", "PAUSED")
    with pytest.raises(LedgerError, match="needs a final status"):
        ledger.finish("k1", "RUNNING")
    with pytest.raises(LedgerError, match="needs its result arrays"):
        ledger.finish("k1", "DONE")
    with pytest.raises(LedgerError, match="no job with key"):
        ledger.mark_submitted("missing", "j")


def test_transaction_rolls_back(ledger):
    ledger.reserve(req("k1"))

    def failing_update() -> None:
        with ledger._tx() as c:
            c.execute("UPDATE jobs SET status='DONE' WHERE key='k1'")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        failing_update()
    assert ledger.find("k1").status == "RESERVED"
    assert ledger.integrity_check() == "ok"


def test_concurrent_reservations_never_exceed_the_budget(tmp_path):
    path = tmp_path / "shared.sqlite"
    Ledger(path).set_budget("default", max_shots=1000)
    ok, refused = [], []

    def worker(i: int) -> None:
        led = Ledger(path)
        for j in range(10):
            try:
                led.reserve(req(f"w{i}-{j}", 100))
                ok.append(1)
            except BudgetExceededError:
                refused.append(1)
        led.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    led = Ledger(path)
    assert len(ok) == 10
    assert len(refused) == 30
    assert led.budget().reserved_shots == 1000
    assert led.integrity_check() == "ok"


def test_npz_roundtrip_no_pickle():
    a = {"evs": np.random.default_rng(0).normal(size=(3, 2)), "names": np.array(["s[0]", "s[1]"])}
    b = npz_to_arrays(arrays_to_npz(a))
    np.testing.assert_array_equal(a["evs"], b["evs"])
    assert b["names"].tolist() == ["s[0]", "s[1]"]


def test_secrets_are_redacted(ledger, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "tok-very-secret-42")
    assert redact("auth tok-very-secret-42 failed") == "auth *** failed"
    ledger.reserve(req("k1", options={"note": "tok-very-secret-42"}))
    ledger.mark_submitted("k1", "j1")
    ledger.finish("k1", "ERROR", error="401 for token tok-very-secret-42")
    rec = ledger.get("k1")
    assert "tok-very-secret-42" not in rec.error
    assert rec.options == {"note": "***"}


def test_a_newer_ledger_is_not_touched(tmp_path):
    path = tmp_path / "future.sqlite"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE t (x INTEGER)")
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="newer than this qml-circuits understands"):
        Ledger(path)
    assert path.read_bytes() == before  # no WAL switch, no migration
    assert not (tmp_path / "future.sqlite-wal").exists()


def test_a_version_1_ledger_gains_the_submission_claim(tmp_path):
    from qml.backends.ledger import _SCHEMA, JobRequest

    path = tmp_path / "v1.sqlite"
    raw = sqlite3.connect(path)
    claim_columns = "    finished TEXT,\n    claim_owner TEXT,\n    claim_expires REAL"
    v1 = _SCHEMA.replace(claim_columns, "    finished TEXT")
    assert "claim_owner" not in v1
    raw.executescript(v1)
    raw.execute("PRAGMA user_version = 1")
    raw.execute(
        "INSERT INTO jobs (key, run_id, backend, status, created, updated) "
        "VALUES ('old', 'r', 'b', 'QUEUED', 'then', 'then')"
    )
    raw.commit()
    raw.close()
    led = Ledger(path)
    assert led.schema_version == SCHEMA_VERSION == 2
    assert led.find("old").status == "QUEUED"
    led.reserve(JobRequest(key="new", run_id="r", backend="b"), owner="me")
    assert led.claim_holder("new") == "me"
    assert led.claim("old", "me")
    led.close()


def test_redact_hides_saved_account_tokens(tmp_path, monkeypatch):
    import json

    from qml.backends.ledger import redact

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".qiskit").mkdir()
    (tmp_path / ".qiskit" / "qiskit-ibm.json").write_text(json.dumps({"default": {"token": "s3cr3t-token"}}))
    assert redact("401: bad token s3cr3t-token for you") == "401: bad token *** for you"


def test_job_refs_are_not_sql_patterns(ledger):
    ledger.reserve(req("abcdefgh-1"))
    assert ledger.get("abcdefgh").key == "abcdefgh-1"  # a unique prefix
    for pattern in ("%%%%%%%%", "________", "abcdefg_"):
        with pytest.raises(LedgerError):
            ledger.get(pattern)


def test_cli_errors_never_print_the_token(tmp_path, monkeypatch, capsys):
    from qml.apps.hardware import main

    monkeypatch.setenv("QISKIT_IBM_TOKEN", "tok-1234567890")
    exp = tmp_path / "e.toml"
    exp.write_text('circuit = "tok-1234567890.json"\nobservables = ["Z0"]\n')
    assert main(["submit", str(exp), "--backend", "fake_manila", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "tok-1234567890" not in err
    assert "***" in err


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "is empty"),
        (b"this is not sqlite at all" * 40, "not a readable SQLite ledger"),
        (None, "directory"),
    ],
)
def test_broken_ledger_files_give_one_clear_error(tmp_path, content, match):
    path = tmp_path / "l.sqlite"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(LedgerError, match=match):
        Ledger(path)
    if content is not None:
        assert path.read_bytes() == content  # left as it was


def _open_and_reserve(path, key):
    led = Ledger(path)
    led.reserve(req(key))
    led.close()
    return key


def test_processes_creating_one_new_ledger_at_once(tmp_path):
    import multiprocessing

    path = tmp_path / "new" / "l.sqlite"
    with multiprocessing.get_context("fork").Pool(6) as pool:
        keys = pool.starmap(_open_and_reserve, [(path, f"key-{i}") for i in range(6)])
    led = Ledger(path)
    assert sorted(r.key for r in led.jobs()) == sorted(keys)
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".new")]  # no temporary files left
    led.close()
