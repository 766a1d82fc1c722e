"""``qml bench``: argument pass-through, locating the scripts, a real quick run."""

import json

import pytest

from qml.apps import bench as bench_cli
from qml.apps.cli import main


def test_options_after_the_workload_go_to_the_script():
    import argparse

    p = argparse.ArgumentParser()
    bench_cli.add_bench_command(p.add_subparsers(dest="command"))
    args = p.parse_args(["bench", "w2", "--dtype", "complex64", "--n", "10"])
    assert (args.workload, args.script_args) == ("w2", ["--dtype", "complex64", "--n", "10"])


def test_unknown_workload_is_refused(capsys):
    assert main(["bench", "w9"]) == 2
    assert "w9" in capsys.readouterr().err


def test_missing_checkout_explains_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(bench_cli, "__file__", str(tmp_path / "site" / "qml" / "bench_cli.py"))
    with pytest.raises(FileNotFoundError, match=r"source checkout.*pip install"):
        bench_cli.benchmarks_root(start=tmp_path)


def test_quick_w1_run_writes_results(tmp_path):
    out = tmp_path / "res"
    code = main(
        [
            "bench",
            "w1",
            "--quick",
            "--contenders",
            "qml",
            "--no-plot",
            "--repeats",
            "1",
            "--threads",
            "1",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    rows = json.loads((out / "w1.json").read_text())["rows"]
    assert {r["contender"] for r in rows} == {"qml-backprop", "qml-adjoint"}
    assert all(r["status"] == "ok" for r in rows)
