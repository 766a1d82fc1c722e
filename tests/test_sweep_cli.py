"""``qml sweep`` and ``qml results`` from the command line."""

from __future__ import annotations

import json

import pytest

from qml.apps.cli import main


def _sweep(out, *extra):
    return main(
        [
            "sweep",
            "--problem",
            "tfim",
            "--n",
            "4",
            "--grid",
            "h=0.5:1.5:3",
            "--layers",
            "1,2",
            "--steps",
            "50",
            "--out",
            str(out),
            *extra,
        ]
    )


def test_sweep_then_nothing_new_then_results(tmp_path, capsys):
    assert _sweep(tmp_path) == 0
    assert "6 computed, 0 failed, 0 already stored" in capsys.readouterr().err
    assert _sweep(tmp_path) == 0
    assert "nothing to compute: all 6 tasks" in capsys.readouterr().err
    assert main(["results", str(tmp_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 6
    for r in rows:
        assert {"params", "energy", "exact", "rel_error", "fidelity", "seconds"} <= set(r)
        assert r["status"] == "done"
        assert r["params"]["n"] == 4
    assert main(["results", str(tmp_path), "--csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("key,status,problem,params")
    assert len(lines) == 7
    assert main(["results", str(tmp_path), "--plot", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").stat().st_size > 0


def test_sweep_progress_and_a_dissociation_plot_with_hf_and_units(
    tmp_path, capsys, monkeypatch, saved_figures
):
    import qml.apps.cli

    monkeypatch.setattr(qml.apps.cli, "PROGRESS_INTERVAL", 0.0)  # a progress line per finished task
    grid = ["--grid", "bond_length=0.6:2.0:3"]
    assert main(["sweep", "--problem", "h2", *grid, "--steps", "40", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "sweep: 1/3 tasks, running = 2, failed = 0, last rel error = " in captured.err
    assert "worst rel error = " in captured.err
    assert "ETA 0:" in captured.err
    assert captured.out == ""
    assert main(["results", str(tmp_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["energy_unit"] for r in rows} == {"hartree"}
    assert all(r["hf_energy"] > r["exact"] for r in rows)
    assert main(["results", str(tmp_path), "--plot", str(tmp_path / "curve.png")]) == 0
    (fig,) = saved_figures
    ax_e, ax_r = fig.axes
    assert ax_r.get_xlabel() == "bond length (Å)"
    assert ax_e.get_ylabel() == "energy (Ha)"
    labels = [line.get_label() for line in ax_e.get_lines()]
    assert "Hartree-Fock" in labels
    assert "exact" in labels


def test_ctrl_c_exits_130_and_keeps_results(tmp_path, capsys, monkeypatch):
    import qml.parallel.sweep as sweep

    real = sweep.run_task
    calls = {"n": 0}

    def flaky(spec):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(spec)

    monkeypatch.setattr(sweep, "run_task", flaky)
    assert _sweep(tmp_path) == 130
    assert "interrupted: 2 of 6 results are stored" in capsys.readouterr().err
    monkeypatch.setattr(sweep, "run_task", real)
    assert _sweep(tmp_path) == 0
    assert "4 computed, 0 failed, 2 already stored" in capsys.readouterr().err


def test_two_local_workers(tmp_path, capsys):
    pytest.importorskip("distributed")
    assert _sweep(tmp_path, "--workers", "2") == 0
    assert "on local" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--grid", "h=0:1"], "NAME=LO:HI:COUNT"),
        (["--layers", "0"], "integers >= 1 or 'auto'"),
        (["--param", "J"], "expected KEY=VALUE"),
        (["--seeds", "0"], "seeds must be >= 1"),
    ],
)
def test_sweep_errors(tmp_path, capsys, extra, match):
    assert main(["sweep", "--problem", "tfim", "--n", "4", "--out", str(tmp_path), *extra]) == 2
    assert match in capsys.readouterr().err
    assert main(["results", str(tmp_path / "nope")]) == 2
    assert "no results directory" in capsys.readouterr().err
