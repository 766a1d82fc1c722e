"""Smoke tests of the benchmark scripts: each main runs in-process at a tiny size and writes its files.

No timing is asserted; only that every contender produced a row and the outputs exist.
"""

from __future__ import annotations

import csv
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--repeats", "2", "--threads", "2", "--max-seconds", "30"]


def _load(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(name)


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """The scripts call ``torch.set_num_threads``; restore the session's value afterwards."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _check_outputs(out: Path, stem: str, rows: list[dict[str, Any]], contenders: set[str]) -> None:
    for ext in ("csv", "json", "md", "png"):
        assert (out / f"{stem}.{ext}").is_file(), f"{stem}.{ext} missing"
    with open(out / f"{stem}.csv") as f:
        csv_rows = list(csv.DictReader(f))
    assert len(csv_rows) == len(rows) > 0
    doc = json.loads((out / f"{stem}.json").read_text())
    assert len(doc["rows"]) == len(rows)
    assert doc["meta"]["threads"] == 2
    assert {r["contender"] for r in rows} == contenders
    for r in rows:
        assert r["status"] in ("ok", "skipped", "error")
        assert r["versions"]
        if r["status"] == "ok":
            assert r["repeats"] >= 2  # more for short calls (autorange to 0.25 s)
            assert r["median_s"] >= r["min_s"] > 0
            assert r["peak_mem_mb"] is not None
        else:
            assert r["reason"]
    native = [r for r in rows if r["contender"].startswith("qml")]
    assert native
    assert all(r["status"] == "ok" for r in native), [r["reason"] for r in native]


def test_w1_smoke(tmp_path: Path) -> None:
    w1 = _load("benchmarks.bench_w1")
    rows = w1.main(["--n", "3", "--batch", "2", "--layers", "1", "--out", str(tmp_path), *TINY])
    _check_outputs(tmp_path, "w1", rows, set(w1.CONTENDERS))
    ref = next(r for r in rows if r["contender"] == w1.REFERENCE)
    assert ref["ratio_vs_native"] == 1.0
    for r in rows:  # every framework computes the same gradient
        if r["status"] == "ok":
            assert r["check"] is not None, r
            assert r["check"] < 1e-4, r


def test_w2_smoke(tmp_path: Path) -> None:
    w2 = _load("benchmarks.bench_w2")
    rows = w2.main(["--n", "3", "--layers", "1", "--bandwidth-mib", "8", "--out", str(tmp_path), *TINY])
    _check_outputs(
        tmp_path,
        "w2",
        rows,
        {
            "qml-adjoint-c128",
            "qml-adjoint-c64",
            "qml-forward",
            "pl-lightning-adjoint",
            "pl-default-backprop",
            "aer-estimator-ps",
            "aer-estimator-fwd",
        },
    )
    native = [r for r in rows if r["contender"].startswith("qml-adjoint")]
    assert all(r["floor_s"] > 0 and r["ratio_floor"] > 0 for r in native)


def test_w3_smoke(tmp_path: Path) -> None:
    w3 = _load("benchmarks.bench_w3")
    rows = w3.main(["--n", "3", "--layers", "1", "--shots", "100", "--out", str(tmp_path), *TINY])
    _check_outputs(tmp_path, "w3", rows, {"qml-sample", "aer-sampler"})


def test_run_case_records_failures_instead_of_raising(tmp_path: Path) -> None:
    common = _load("benchmarks.common")
    s = common.Settings(repeats=2, max_seconds=1e-9, out=tmp_path)
    case = {"workload": "T", "n": 3, "B": 1, "L": 1}

    def boom() -> Any:
        raise RuntimeError("kaput")

    def skip() -> Any:
        raise common.Skip("not in scope")

    reg = common.SlowRegistry()
    quiet = {"log": lambda _msg: None}
    assert common.run_case(case, "a", "complex128", boom, s, **quiet)["status"] == "error"
    assert common.run_case(case, "b", "complex128", skip, s, **quiet)["reason"] == "not in scope"
    work = lambda: lambda: sum(range(1000))  # noqa: E731
    slow = common.run_case(case, "c", "complex128", work, s, registry=reg, **quiet)
    assert slow["status"] == "skipped"
    assert "too slow" in slow["reason"]
    bigger = common.run_case({**case, "n": 4}, "c", "complex128", boom, s, registry=reg, **quiet)
    assert bigger["status"] == "skipped"
    assert "smaller configuration" in bigger["reason"]
    huge = common.run_case(case, "d", "complex128", boom, s, mem_estimate=1e18, **quiet)
    assert huge["status"] == "skipped"
    assert "memory" in huge["reason"]


def test_short_calls_spin_up_before_timing() -> None:
    common = _load("benchmarks.common")
    calls = [0]

    def fn() -> None:
        calls[0] += 1

    (row,) = common._timed_interleaved([fn], 3, [True])
    spun = calls[0] - row["repeats"] - 1  # the last call measures peak memory
    assert spun >= 1
    calls[0] = 0
    (row,) = common._timed_interleaved([fn], 3)
    assert calls[0] == row["repeats"] + 1


def test_contenders_are_timed_in_alternating_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    common = _load("benchmarks.common")
    monkeypatch.setattr(common, "MIN_TIMED_S", 0.0)  # one call per slot
    order: list[str] = []
    fns = [lambda: order.append("a"), lambda: order.append("b"), lambda: order.append("c")]
    rows = common._timed_interleaved(fns, 4)
    rounds = ["a", "b", "c", "c", "b", "a"] * 2
    assert order == [*rounds, "a", "b", "c"]  # four rounds (order reversed each), then the peak-memory calls
    assert [r["repeats"] for r in rows] == [4, 4, 4]
    assert {r["interleaved"] for r in rows} == {3}


def test_a_failing_contender_leaves_the_rounds_and_the_others_are_timed(tmp_path: Path) -> None:
    common = _load("benchmarks.common")
    s = common.Settings(repeats=3, max_seconds=60, out=tmp_path)
    state = {"calls": 0}

    def flaky() -> int:  # the warm-up passes, a timed call fails
        state["calls"] += 1
        if state["calls"] > 1:
            raise MemoryError("no room")
        return 0

    contenders = [
        common.Contender("ok1", "complex128", lambda: lambda: sum(range(10))),
        common.Contender("flaky", "complex128", lambda: flaky),
        common.Contender("skips", "complex128", lambda: (_ for _ in ()).throw(common.Skip("out of scope"))),
        common.Contender("ok2", "complex128", lambda: lambda: sum(range(20))),
    ]
    rows = common.run_cases({"workload": "T", "n": 3, "B": 1, "L": 1}, contenders, s, log=lambda _m: None)
    by = {r["contender"]: r for r in rows}
    assert [r["contender"] for r in rows] == ["ok1", "flaky", "skips", "ok2"]
    assert by["ok1"]["status"] == by["ok2"]["status"] == "ok"
    assert by["ok1"]["interleaved"] == 3
    assert by["ok2"]["repeats"] >= 3
    assert by["flaky"]["status"] == "error"
    assert "out of memory" in by["flaky"]["reason"]
    assert by["skips"]["status"] == "skipped"
    assert by["skips"]["reason"] == "out of scope"
    sequential = common.run_cases(
        {"workload": "T", "n": 3, "B": 1, "L": 1},
        contenders[:1],
        common.Settings(repeats=3, out=tmp_path, interleave=False),
        log=lambda _m: None,
    )
    assert sequential[0]["status"] == "ok"
    assert sequential[0]["interleaved"] == 1


def test_mps_peers_smoke(tmp_path: Path) -> None:
    mp = _load("benchmarks.mps_peers")
    rows = mp.main(
        [
            "--models",
            "tfim",
            "--n",
            "8",
            "--layers",
            "1",
            "--chi",
            "4",
            "--out",
            str(tmp_path),
            "--no-plot",
            *TINY,
        ]
    )
    ok = [r for r in rows if r["status"] == "ok"]
    assert {r["contender"] for r in ok} >= {mp.REFERENCE, "aer-mps"}
    for r in ok:  # nothing truncates at chi = 4 on 8 sites after one layer: every contender agrees
        if r["check"] is not None:
            assert r["check"] < (1e-5 if "c64" in r["contender"] else 1e-7), r


PEER_MODULES = {
    "qsim": "qsimcirq",
    "qulacs": "qulacs",
    "tc": "tensorcircuit",
    "tq": "torchquantum",
    "pl": "pennylane",
}


@pytest.mark.parametrize("hide", [False, True], ids=["installed-peers", "no-peers"])
def test_peers_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hide: bool) -> None:
    """bench_peers at toy sizes: natives verified and timed; every peer is verified and timed
    where installed, and a ``not installed`` skip where not (CI lacks the ``bench`` extra;
    ``no-peers`` hides them all through ``sys.modules[name] = None``)."""
    import importlib.util

    common = _load("benchmarks.common")
    peers = _load("benchmarks.bench_peers")
    monkeypatch.setattr(common, "MIN_TIMED_S", 0.005)  # toy sizes: no autorange, no spin-up
    monkeypatch.setattr(common, "SPIN_UP_S", 0.0)
    if hide:
        for module in [*PEER_MODULES.values(), "pennylane_lightning"]:
            monkeypatch.setitem(sys.modules, module, None)  # find_spec() -> None: "not installed"
    argv = ["--n", "3", "--forward-layers", "2", "--train-n", "2", "--batch", "3", "--pairs", "3x1"]
    rows = peers.main([*argv, "--no-plot", "--out", str(tmp_path), *TINY])
    assert {r["workload"] for r in rows} == {"forward", "train", "energy"}
    assert {r["circuit"] for r in rows if r["workload"] == "train"} == {"encode", "reupload"}
    for wl in ("forward", "train", "energy"):
        assert (tmp_path / f"peers_{wl}.csv").is_file()
        assert (tmp_path / f"peers_{wl}.md").is_file()
    for r in rows:
        assert r["peer_version"], r
        fam = peers.family(r["contender"])
        if fam != "qml" and importlib.util.find_spec(PEER_MODULES[fam]) is None:
            assert r["status"] == "skipped", r
            assert r["reason"].startswith("not installed"), r
            continue
        assert r["status"] == "ok", (r["contender"], r["reason"])  # verified against native, then timed
        assert r["check"] is not None, r
        assert r["check"] <= r["tolerance"], r
        assert r["median_s"] >= r["min_s"] > 0
        if fam == "tc":
            assert r["compile_s"] > 0
    if hide:
        assert all(r["status"] == "skipped" for r in rows if peers.family(r["contender"]) != "qml")
    with pytest.raises(common.Skip, match="not installed"):
        peers.need("no_such_peer_module_xyz")


def test_gpu_check_runs_on_the_cpu_and_checks_the_device(tmp_path: Path) -> None:
    """The GPU session's script, tested here with --device cpu --quick: every section runs, the
    device-against-CPU checks pass, and the route calibration names its verdicts."""
    gpu = _load("benchmarks.gpu_check")
    out = gpu.main(["--device", "cpu", "--quick", "--budget", "60", "--out", str(tmp_path)])
    assert set(out["sections"]) == {"check", "forward", "train", "energy", "routes", "peers"}
    assert all(r["ok"] for r in out["sections"]["check"]), out["sections"]["check"]
    assert all(r["median_s"] > 0 for r in out["sections"]["forward"])
    assert {r["method"] for r in out["sections"]["routes"]} == {"collapse", "split"}
    assert all("cpu_model_right" in r for r in out["sections"]["routes"])
    assert out["meta"]["device"]["copy_gb_s"] > 0
    assert (tmp_path / "gpu_check.json").is_file()
    assert "## forward" in (tmp_path / "gpu_check.md").read_text()
