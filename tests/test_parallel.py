"""qml.parallel: task specs, the results store, sweeps that resume, and executors (serial and Dask)."""

from __future__ import annotations

import json
import os

import pytest

from qml.optimize import load_result
from qml.parallel import (
    ResultStore,
    SerialExecutor,
    TaskSpec,
    grid_specs,
    make_executor,
    parse_grid,
    run_sweep,
    run_task,
)
from qml.parallel.executors import WORKER_ENV, jobqueue_cluster

SPECS = grid_specs("tfim", {"n": 4}, {"h": [0.4, 0.9, 1.4]}, layers=[1, 2], steps=60)


def test_spec_key_is_canonical_and_sensitive():
    a = TaskSpec("tfim", {"n": 4, "h": 0.5}, layers=2)
    assert a.key() == TaskSpec("tfim", {"h": 0.5, "n": 4}, layers=2).key()
    assert a.key() != TaskSpec("tfim", {"n": 4, "h": 0.5}, layers=2, seed=1).key()
    assert TaskSpec.from_dict(json.loads(json.dumps(a.to_dict()))) == a


def test_run_task_is_pure_and_loadable(tmp_path):
    spec = SPECS[3]
    r1, r2 = run_task(spec), run_task(spec.to_dict())
    assert r1["energy"] == r2["energy"]
    assert r1["best_weights"] == r2["best_weights"]
    assert r1["extra"]["task"] == spec.to_dict()
    assert r1["extra"]["task_key"] == spec.key()
    store = ResultStore(tmp_path)
    path = store.write(spec, r1)
    assert path.name == f"{spec.key()}.json"
    assert load_result(path).energy == r1["energy"]  # one result schema
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed into place


def test_run_task_errors():
    with pytest.raises(ValueError, match="unknown backend"):
        run_task(TaskSpec("tfim", {"n": 4}, backend="gpu"))
    with pytest.raises(ValueError, match="unknown dtype"):
        run_task(TaskSpec("tfim", {"n": 4}, dtype="float16"))


def test_sweep_resumes_and_records_failures(tmp_path):
    rep = run_sweep(SPECS, tmp_path)
    assert rep.counts() == {"done": 6, "failed": 0, "skipped": 0, "total": 6}
    assert run_sweep(SPECS, tmp_path).counts()["skipped"] == 6  # nothing new
    store = ResultStore(tmp_path)
    store.path(SPECS[2]).unlink()  # lose one result: only it is recomputed
    rep = run_sweep(SPECS, tmp_path)
    assert rep.done == [SPECS[2].key()]
    assert len(rep.skipped) == 5
    bad = TaskSpec("tfim", {"n": 4, "h": 0.5}, ansatz="nope", steps=5)
    rep = run_sweep([bad], tmp_path)
    assert rep.failed == [bad.key()]
    assert store.status(bad) == "failed"
    record = json.loads(store.failed_path(bad).read_text())
    assert "nope" in record["error"]
    assert "Traceback" in record["traceback"]
    assert run_sweep([bad], tmp_path).counts()["skipped"] == 1  # not retried unless asked
    assert run_sweep([bad], tmp_path, retry_failed=True).counts()["failed"] == 1


def test_interrupted_sweep_keeps_finished_results(tmp_path):
    seen = []

    def stop_after_two(p):
        seen.append(p["done"])
        if p["done"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(SPECS, tmp_path, progress=stop_after_two)
    store = ResultStore(tmp_path)
    assert sum(store.status(s) == "done" for s in SPECS) == 2
    rep = run_sweep(SPECS, tmp_path)
    assert rep.counts() == {"done": 4, "failed": 0, "skipped": 2, "total": 6}


def test_grid_parsing_and_errors():
    assert parse_grid("h=0.2:1.8:5")[1] == [0.2, 0.6, 1.0, 1.4, 1.8]
    with pytest.raises(ValueError, match="NAME=LO:HI:COUNT"):
        parse_grid("h=0:1")
    with pytest.raises(ValueError, match="not a parameter"):
        grid_specs("tfim", {"nope": 1})
    with pytest.raises(ValueError, match="both fixed and on a grid"):
        grid_specs("tfim", {"h": 1.0}, {"h": [0.5]})
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("mpi")
    with pytest.raises(ValueError, match="workers must be an integer"):
        make_executor("local", workers=0)
    assert isinstance(make_executor(None), SerialExecutor)


distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def local():
    with make_executor("local", workers=2) as ex:
        yield ex


def test_local_cluster_equals_serial_bit_for_bit(local, tmp_path):
    serial, parallel = tmp_path / "s", tmp_path / "p"
    run_sweep(SPECS, serial)
    rep = run_sweep(SPECS, parallel, local)
    assert rep.counts()["done"] == 6
    assert rep.executor["workers"] == 2
    a, b = ResultStore(serial), ResultStore(parallel)
    for s in SPECS:
        ra, rb = a.load(s), b.load(s)
        assert ra.energy == rb.energy
        assert ra.best_weights == rb.best_weights
        assert ra.history == rb.history


def test_workers_run_single_threaded(local):
    def threads(_):
        import torch

        return {k: os.environ.get(k) for k in WORKER_ENV}, torch.get_num_threads()

    for env, n in (r for _, r, _ in local.as_completed(threads, [0, 1])):
        assert env == WORKER_ENV
        assert n == 1


def test_killed_worker_loses_no_finished_result(local, tmp_path):
    """A worker killed mid-sweep: its tasks are rescheduled, finished results stay, a rerun adds none."""
    pids = list(local.client.run(os.getpid).values())
    state = {"killed": False}

    def kill_one(p):
        if p["done"] >= 1 and not state["killed"]:
            state["killed"] = True
            os.kill(pids[0], 9)

    specs = grid_specs("tfim", {"n": 5}, {"h": [0.3, 0.6, 0.9, 1.2, 1.5, 1.8]}, layers=[2], steps=80)
    run_sweep(specs, tmp_path, local, progress=kill_one)
    store = ResultStore(tmp_path)
    assert state["killed"]
    assert all(store.status(s) in ("done", "failed") for s in specs)
    rep = run_sweep(specs, tmp_path, local, retry_failed=True)
    assert rep.counts()["done"] + rep.counts()["skipped"] == len(specs)
    assert all(store.status(s) == "done" for s in specs)


def test_slurm_job_script_is_generated():
    pytest.importorskip("dask_jobqueue")
    cluster = jobqueue_cluster(
        "slurm",
        cores=4,
        memory="16GB",
        walltime="01:00:00",
        queue="short",
        scheduler_options={"dashboard_address": None},
    )
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH" in script
    assert "--cpus-per-task=4" in script
    assert "-p short" in script
    assert "export OMP_NUM_THREADS=1" in script
    assert "--nworkers 4" in script
    assert "--nthreads 1" in script
    with pytest.raises(ValueError, match="unknown batch system"):
        jobqueue_cluster("lsf")


def test_vqe_restarts_on_executor_match_in_process(local):
    from qml.optimize import vqe
    from qml.problems import get_problem

    p = get_problem("tfim", n=6, h=0.7, periodic=False)
    here = vqe(p, "lbfgs", 80, restarts=3, layers=2)
    with make_executor("serial") as ex:
        serial = vqe(p, "lbfgs", 80, restarts=3, layers=2, executor=ex)
    dask = vqe(p, "lbfgs", 80, restarts=3, layers=2, executor=local)
    assert serial.energy == dask.energy == here.energy
    assert serial.best_weights == dask.best_weights
    assert dask.seeds == [0, 1, 2]
    assert len(dask.extra["restart_energies"]) == 3
    with pytest.raises(ValueError, match="not callback"):
        vqe(p, "lbfgs", 10, restarts=2, callback=lambda *a: None, executor=local)


def test_prediction_branches_on_executor_match_in_process(local):
    from qml.models.family_prediction import predict_family

    kw = {"train": 4, "test": 3, "baselines": False, "physics": False, "refine": 0}
    here = predict_family("heisenberg", {"h": (0.0, 3.0)}, {"n": 4}, **kw)
    there = predict_family("heisenberg", {"h": (0.0, 3.0)}, {"n": 4}, executor=local, **kw)
    assert here.models["sector"]["energy"] == there.models["sector"]["energy"]
    assert [b["label"] for b in here.branches] == [b["label"] for b in there.branches]


def test_sweep_in_segments(local):
    from qml.optimize import vqe_sweep

    vals = [0.2, 0.5, 0.8, 1.1, 1.4, 1.7]
    kw = {"param": "h", "problem_params": {"n": 5, "periodic": False}, "steps": 60, "layers": 2}
    chain = vqe_sweep("tfim", vals, **kw)
    one = vqe_sweep("tfim", vals, continuation="segments:1", **kw)  # one segment = the serial continuation
    assert [r.best_weights for r in one.results] == [r.best_weights for r in chain.results]
    serial = vqe_sweep("tfim", vals, continuation="segments:3", **kw)
    seen: list[tuple[int, float, float]] = []
    dask = vqe_sweep(
        "tfim",
        vals,
        continuation="segments:3",
        executor=local,
        point_callback=lambda k, v, r: seen.append((k, v, r.energy)),
        **kw,
    )
    # each point once, in the order its segment finished
    assert sorted(seen) == [(k, v, r.energy) for k, (v, r) in enumerate(zip(vals, dask.results))]
    assert [r.energy for r in serial.results] == [r.energy for r in dask.results]
    assert [r.extra["segment"] for r in dask.results] == [0, 0, 1, 1, 2, 2]
    assert [r.init for r in dask.results] == ["problem", "warm"] * 3  # an anchor per segment
    assert dask.values == vals
    assert dask.timings["segments"] == 3
    with pytest.raises(ValueError, match="'segments:K'"):
        vqe_sweep("tfim", vals, continuation="segments:x", **kw)
    with pytest.raises(ValueError, match="registry problem name"):
        vqe_sweep(lambda h: None, vals, continuation="segments:2", param="h")
