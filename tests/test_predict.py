"""``qml predict`` for any family: --vary parsing, TOML files, output schema, errors."""

from __future__ import annotations

import argparse
import json

import pytest

from qml.apps.cli import main as cli_main
from qml.apps.predict import add_predict_arguments, family_settings, parse_vary
from qml.optimize import load_result
from qml.predict import run_predict_file


def _args(*argv: str) -> argparse.Namespace:
    return add_predict_arguments(argparse.ArgumentParser()).parse_args(list(argv))


def test_parse_vary_and_settings():
    assert parse_vary(["h=0:2", "J2=0:0.5"]) == {"h": (0.0, 2.0), "J2": (0.0, 0.5)}
    problem, vary, fixed = family_settings(
        _args(
            "--problem",
            "j1j2",
            "--vary",
            "J2=0:0.5",
            "--lattice",
            "ladder",
            "--lx",
            "3",
            "--open",
            "--param",
            "units=pauli",
        )
    )
    assert (problem, vary) == ("j1j2", {"J2": (0.0, 0.5)})
    assert fixed == {"lattice": "ladder", "lx": 3, "periodic": False, "units": "pauli"}


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--problem", "xxz", "--vary", "delta"], "expected NAME=LO:HI"),
        (["--problem", "xxz", "--vary", "delta=0:x"], "expected NAME=LO:HI"),
        (["--problem", "xxz", "--vary", "h=0:1", "--vary", "h=1:2"], "names 'h' twice"),
        (["--problem", "xxz", "--vary", "nope=0:1"], "not a parameter of 'xxz'"),
        (["--problem", "xxz", "--vary", "h=0:1", "--param", "h=1"], "both varied and fixed"),
        (["--problem", "xxz", "--vary", "h=0:1", "--param", "J"], "expected KEY=VALUE"),
        (["--problem", "nope", "--vary", "h=0:1"], "unknown problem 'nope'"),
    ],
)
def test_settings_errors(argv, match):
    with pytest.raises(ValueError, match=match):
        family_settings(_args(*argv))


def test_cli_family_run_writes_loadable_json_and_plots(tmp_path, capsys, monkeypatch, saved_figures):
    import qml.apps.cli

    monkeypatch.setattr(qml.apps.cli, "PROGRESS_INTERVAL", 0.0)  # a progress line per update
    out, png = tmp_path / "r.json", tmp_path / "r.png"
    rc = cli_main(
        [
            "predict",
            "--problem",
            "heisenberg",
            "--n",
            "4",
            "--vary",
            "h=0:3",
            "--train",
            "4",
            "--test",
            "5",
            "--shots",
            "100",
            "--out",
            str(out),
            "--plot",
            str(png),
        ]
    )
    assert rc == 0
    captured = capsys.readouterr()
    text = captured.out
    for line in (
        "branch Sz = -1 (2/3): 4/4 points, layers = 1, max rel error = ",
        "refine branch 1/3: ",
        "evaluations, loss = ",
        "ETA <= 0:",
        "evaluate: 5/5 points, mean fidelity = 1.000000, max rel error = ",
        "evaluate exact_interp: 5/5 points, mean fidelity = ",
        "physics: ",
    ):
        assert line in captured.err
    assert "ETA" not in text
    assert "predicted crossings: 1 (Sz = 0 -> Sz = -1), 2 (Sz = -1 -> Sz = -2)" in text
    assert "exact to round-off" in text  # N=4 plateaus are exact: no spread-error ranking
    data = json.loads(out.read_text())
    assert data["kind"] == "prediction"
    for name in ("sector", "exact_interp", "shadow"):
        assert {"mean_fidelity", "min_fidelity", "max_rel_error"} <= set(data["models"][name]["summary"])
    assert load_result(out).summary()["min_fidelity"] > 0.999
    assert png.exists()
    assert (tmp_path / "r_physics.png").exists()
    prediction, physics = saved_figures
    assert prediction.axes[0].get_ylabel() == "energy (spin units)"
    assert prediction.axes[-1].get_ylabel() == "energy error / spread (spin units)"
    assert prediction.axes[-1].get_xlabel() == "h"
    labels = [ax.get_ylabel() for ax in physics.axes]
    assert "half-chain entropy (nats)" in labels
    assert labels[-1] == "predicted spread (spin units)"


def test_cli_preset_progress_on_stderr_and_plot_units(tmp_path, capsys, monkeypatch, saved_figures):
    import qml.apps.cli

    monkeypatch.setattr(qml.apps.cli, "PROGRESS_INTERVAL", 0.0)
    argv = ["predict", "--problem", "tfim", "--n", "4", "--train", "3", "--test", "3", "--dense", "5"]
    assert cli_main([*argv, "--steps", "10", "--plot", str(tmp_path / "p.png")]) == 0
    captured = capsys.readouterr()
    for line in (
        "per-point VQE: 3/3 points, energy = ",
        "fit mlp: 1/13 evaluations, loss = ",
        "ETA <= 0:",
        "evaluate mlp: 3/3 points, mean fidelity = ",
        "max rel error = ",
    ):
        assert line in captured.err
    assert "ETA" not in captured.out
    assert "mean_fidelity" in captured.out
    (fig,) = saved_figures
    assert fig.axes[0].get_ylabel() == "energy (Pauli units)"
    assert fig.axes[-1].get_xlabel() == "h"


def test_cli_open_chain_and_errors(capsys):
    assert (
        cli_main(
            [
                "predict",
                "--problem",
                "tfim",
                "--n",
                "4",
                "--open",
                "--vary",
                "h=0.5:1.5",
                "--train",
                "4",
                "--test",
                "3",
                "--no-baselines",
                "--layers",
                "2",
            ]
        )
        == 0
    )
    assert "open" not in capsys.readouterr().err
    assert cli_main(["predict", "--problem", "xxz"]) == 2
    assert "name the varied parameter with --vary" in capsys.readouterr().err
    assert cli_main(["predict", "--problem", "xxz", "--vary", "delta=0:1", "--model", "meta"]) == 2
    assert "--model is for the presets" in capsys.readouterr().err


def test_family_experiment_file(tmp_path):
    p = tmp_path / "f.toml"
    p.write_text(
        'method = "predict"\nseed = 1\n[problem]\nname = "xxz"\nn = 4\nperiodic = false\n'
        "[predict]\nvary = {delta = [-0.5, 1.5]}\ntrain = 4\ntest = 4\nshots = 100\n"
        "[check]\nmin_fidelity = 0.95\nmax_rel_error = 0.05\n"
    )
    result, checks = run_predict_file(p)
    assert result.fixed == {"n": 4, "periodic": False}
    assert result.seed == 1
    assert [c.name for c in checks] == ["min_fidelity", "max_rel_error"]
    assert all(c.passed for c in checks)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'method = "predict"\n[problem]\nname = "xxz"\nnope = 1\n[predict]\nvary = {delta = [0, 1]}\n'
    )
    with pytest.raises(ValueError, match="unknown key 'nope' in \\[problem\\]"):
        run_predict_file(bad)
    bad.write_text('method = "predict"\n[problem]\nname = "xxz"\n[predict]\nvary = {delta = 1}\n')
    with pytest.raises(ValueError, match="vary must be a table of \\[lo, hi\\] pairs"):
        run_predict_file(bad)


def test_ctrl_c_keeps_the_trained_branches(tmp_path, monkeypatch, capsys):
    import qml.models.branches as branches

    real = branches.fit_branch
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(branches, "fit_branch", flaky)
    out = tmp_path / "r.json"
    rc = cli_main(
        [
            "predict",
            "--problem",
            "heisenberg",
            "--n",
            "4",
            "--vary",
            "h=0:3",
            "--train",
            "4",
            "--test",
            "3",
            "--out",
            str(out),
        ]
    )
    assert rc == 130
    assert "branches trained so far" in capsys.readouterr().err
    partial = load_result(out)
    assert len(partial.branches) == 1
    assert partial.settings["interrupted"]
    assert not partial.models
