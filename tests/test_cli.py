"""The qml command: vqe, run, info, problems, demo; clean one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qml.apps.cli import main
from qml.optimize import VQEResult

CIRCUITS = Path(__file__).resolve().parent.parent / "circuits"


def test_demo(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "exact" in out
    assert "error" in out
    assert "tfim(n=6, h=1.0)" in out


def test_vqe_command_writes_json_and_png(tmp_path, capsys):
    out_json = tmp_path / "result.json"
    png = tmp_path / "conv.png"
    code = main(
        [
            "vqe",
            "--problem",
            "tfim",
            "--n",
            "4",
            "--h",
            "0.5",
            "--ansatz",
            "hva",
            "--layers",
            "2",
            "--optimizer",
            "lbfgs",
            "--steps",
            "100",
            "--seed",
            "0",
            "--out",
            str(out_json),
            "--plot",
            str(png),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "VQE result" in text
    assert "rel error" in text
    res = VQEResult.load(out_json)
    assert res.rel_error < 1e-8
    assert json.loads(out_json.read_text())["kind"] == "vqe"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_vqe_command_other_options(capsys):
    code = main(
        [
            "vqe",
            "--problem",
            "heisenberg",
            "--n",
            "4",
            "--open",
            "--optimizer",
            "adam",
            "--steps",
            "30",
            "--param",
            "J=0.5",
        ]
    )
    assert code == 0
    assert "heisenberg(n=4, periodic=False, J=0.5)" in capsys.readouterr().out


def test_run_command(tmp_path, capsys):
    png = tmp_path / "curve.png"
    out_json = tmp_path / "exp.json"
    code = main(
        ["run", str(CIRCUITS / "h2_dissociation.toml"), "--quick", "--plot", str(png), "--out", str(out_json)]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "bond_length" in text
    assert "passed" in text
    assert png.exists()
    assert json.loads(out_json.read_text())["kind"] == "experiment"


def test_run_command_failing_check_exits_1(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(
        '[problem]\nname = "tfim"\nn = 4\n[ansatz]\nlayers = 1\n[optimizer]\nsteps = 5\n'
        "[check]\nmax_rel_error = 1e-14\n"
    )
    assert main(["run", str(f)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_info_and_problems(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "torch" in out
    assert "CUDA available" in out
    assert "threads" in out
    assert main(["problems"]) == 0
    assert "metavqe" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["vqe", "--problem", "isingg"], "unknown problem 'isingg'; valid problems: tfim, xxz, heisenberg"),
        (
            ["vqe", "--problem", "tfim", "--n", "4", "--optimizer", "newton"],
            "unknown optimizer 'newton'; valid choices: adam, sgd, lbfgs",
        ),
        (
            ["vqe", "--problem", "h2", "--h", "1.0"],
            "unknown parameter(s) h for problem 'h2'; valid parameters",
        ),
        (["vqe", "--problem", "tfim", "--n", "2000"], "n must be an integer in 2..1024"),
        (["vqe", "--problem", "tfim", "--n", "40"], "simulation of 40 qubits with batch 1"),
        (["vqe", "--problem", "tfim", "--n", "4", "--ansatz", "uccsd"], "valid choices: hva, hea"),
        (["vqe", "--problem", "tfim", "--layers", "two"], "expected an integer >= 1 or 'auto'"),
        (["vqe"], "the following arguments are required: --problem"),
        (["launch"], "invalid choice: 'launch'"),
        (["run", "circuits/nothing.toml"], "no experiment file"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(argv, match, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert match in err
    assert err.startswith("qml: error: ")
    assert len(err.splitlines()) == 1
    assert "Traceback" not in captured.err + captured.out


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    assert "vqe" in capsys.readouterr().out


def test_vqe_auto_layers_observables_and_ground_level(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(
        [
            "vqe",
            "--problem",
            "xxz",
            "--n",
            "6",
            "--param",
            "delta=-1.5",
            "--layers",
            "auto",
            "--observables",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "Sz in {-3, 3}, 2-fold" in text  # the ferromagnetic ground level, found in every sector
    assert "depth search: stopped (target) at 1 layers" in text
    assert "staggered_m2" in text
    assert "entropy_half" in text
    from qml.optimize import load_result

    res = load_result(out)
    assert res.reachable is True
    assert abs(abs(res.extra["observables"]["sz"]["exact"]) - 3.0) < 1e-12


def test_vqe_layers_and_target_error_validation(capsys):
    assert main(["vqe", "--problem", "tfim", "--n", "4", "--layers", "deep"]) == 2
    assert "expected an integer >= 1 or 'auto'" in capsys.readouterr().err
    assert main(["vqe", "--problem", "tfim", "--n", "4", "--layers", "2", "--target-error", "1e-4"]) == 2
    assert "--target-error applies to --layers auto only" in capsys.readouterr().err


def test_vqe_states_prints_levels_against_exact(tmp_path, capsys):
    out = tmp_path / "ex.json"
    assert main(["vqe", "--problem", "tfim", "--n", "4", "--states", "3", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Px = -1" in text
    assert "levels (found vs exact" in text
    from qml.optimize import load_result

    res = load_result(out)
    assert res.kind == "excited"
    assert res.max_rel_error < 1e-8
    assert main(["vqe", "--problem", "tfim", "--n", "4", "--states", "2", "--layers", "auto"]) == 2
    assert "--states cannot be combined" in capsys.readouterr().err


def test_a_missing_extra_names_the_install_command(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_optuna(name, *args, **kwargs):
        if name == "optuna" or name.startswith("optuna."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_optuna)
    rc = main(["tune", "--problem", "tfim", "--n", "4", "--trials", "1", "--space", "layers=1:2:int"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "pip install 'qml-circuits[tune]'" in err
    assert "Traceback" not in err


def test_every_problem_flag_has_help_text(capsys):
    import re

    assert main(["vqe", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--n", "--h", "--J", "--delta", "--J2", "--bond-length", "--lattice", "--active-orbitals"):
        line = next(ln for ln in text.splitlines() if re.match(rf"\s+{flag} ", ln))
        assert len(line.split(maxsplit=2)) == 3 or "Angstrom" in text, line
    assert "Angstrom" in text


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('[problem]\nname = ["tfim"]\n', "name must be a text in quotes"),
        ('method = "adapt"\n[problem]\nname = "h2"\n[adapt]\ngrad_tol = "x"\n', "grad_tol must be a number"),
        ('device = "cuda:7"\n[problem]\nname = "tfim"\nn = 4\n', "is not available here"),
        ('device = "gpu"\n[problem]\nname = "tfim"\nn = 4\n', "device must be 'cpu'"),
        ('[problem]\nname = "tfim"\nn = 1e12\n', "n must be an integer"),
    ],
)
def test_experiment_file_type_errors_are_one_line(tmp_path, capsys, body, match):
    path = tmp_path / "e.toml"
    path.write_text(body)
    assert main(["run", str(path), "--quick"]) == 2
    err = capsys.readouterr().err
    assert match in err
    assert len(err.strip().splitlines()) == 1


def test_paths_that_cannot_be_read_or_written_fail_before_the_work(tmp_path, capsys):
    folder = tmp_path / "x.toml"
    folder.mkdir()
    assert main(["run", str(folder)]) == 2
    assert "Is a directory" in capsys.readouterr().err
    exp = tmp_path / "e.toml"
    exp.write_text('[problem]\nname = "tfim"\nn = 4\n')
    assert main(["run", str(exp), "--quick", "--out", str(tmp_path)]) == 2
    assert "is a directory; give a file name" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", str(exp), "--quick", "--out", str(blocker / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qml: error:")
    assert "Traceback" not in err


def test_vqe_restarts_progress_goes_to_stderr_with_restart_error_and_eta(monkeypatch, capsys):
    import qml.apps.cli as cli

    monkeypatch.setattr(cli, "PROGRESS_INTERVAL", 0.0)  # a line per update (a log file sees one per 15 s)
    argv = ["vqe", "--problem", "tfim", "--n", "4", "--layers", "1", "--restarts", "3", "--steps", "30"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    err = captured.err
    for text in (
        "VQE tfim(n=4), restart 1/3: evaluations = ",
        "restart 2/3",
        "restart 3/3",
        "E = -",
        "error vs exact = 3.98e-01",
        "ETA <= 0:",
    ):
        assert text in err
    assert "restart" not in captured.out
    assert "ETA" not in captured.out
    assert "VQE result" in captured.out


def test_run_dissociation_curve_shows_points_and_plots_hf_with_units(
    tmp_path, monkeypatch, capsys, saved_figures
):
    import qml.apps.cli as cli

    monkeypatch.setattr(cli, "PROGRESS_INTERVAL", 0.0)
    exp = tmp_path / "h2.toml"
    exp.write_text(
        'method = "sweep"\n[problem]\nname = "h2"\n[ansatz]\nname = "asd"\n'
        '[optimizer]\nsteps = 50\n[sweep]\nparam = "bond_length"\nvalues = [0.6, 1.4, 2.2]\n'
    )
    assert main(["run", str(exp), "--plot", str(tmp_path / "curve.png")]) == 0
    captured = capsys.readouterr()
    assert "h2: 3/3 points, bond_length = 2.2, E = " in captured.err
    assert "worst error = " in captured.err
    assert "ETA 0:" in captured.err
    assert "ETA" not in captured.out
    (fig,) = saved_figures
    ax, ax_err = fig.axes
    assert ax.get_xlabel() == ax_err.get_xlabel() == "bond length (Å)"
    assert ax.get_ylabel() == "energy (Ha)"
    assert ax_err.get_ylabel() == "|E - E_exact| (Ha)"
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert {"Hartree-Fock", "VQE", "exact"} <= set(lines)
    hf, exact = lines["Hartree-Fock"].get_ydata(), lines["exact"].get_ydata()
    assert len(hf) == 3
    assert all(h > e + 1e-3 for h, e in zip(hf, exact))  # correlation energy: HF lies above FCI


def test_vqe_convergence_plot_has_the_energy_unit(tmp_path, saved_figures):
    assert (
        main(
            ["vqe", "--problem", "heisenberg", "--n", "4", "--steps", "20", "--plot", str(tmp_path / "c.png")]
        )
        == 0
    )
    ax, ax_err = saved_figures[0].axes
    assert ax.get_ylabel() == "energy (spin units)"
    assert ax_err.get_ylabel() == "|E - E_exact| (spin units)"


def test_run_vqe_file_shows_the_restart_index(tmp_path, monkeypatch, capsys):
    import qml.apps.cli as cli

    monkeypatch.setattr(cli, "PROGRESS_INTERVAL", 0.0)
    exp = tmp_path / "t.toml"
    exp.write_text(
        'name = "t4"\n[problem]\nname = "tfim"\nn = 4\n[ansatz]\nlayers = 1\n'
        "[optimizer]\nsteps = 30\nrestarts = 2\n"
    )
    assert main(["run", str(exp)]) == 0
    err = capsys.readouterr().err
    assert "t4, restart 2/2: evaluations = " in err
    assert "error vs exact = " in err


def test_run_adapt_file_shows_operators_added(monkeypatch, capsys):
    import qml.apps.cli as cli

    monkeypatch.setattr(cli, "PROGRESS_INTERVAL", 0.0)
    assert main(["run", "circuits/h2_adapt.toml"]) == 0
    err = capsys.readouterr().err
    assert "h2_adapt: 1/6 operators, E = -1.137" in err
    assert "added = " in err
    assert "ETA <= " in err


def test_vqe_command_on_the_mps_backend(tmp_path, capsys):
    out_json = tmp_path / "r.json"
    code = main(
        [
            "vqe",
            "--problem",
            "tfim",
            "--n",
            "22",
            "--open",
            "--h",
            "1.5",
            "--layers",
            "2",
            "--steps",
            "40",
            "--backend",
            "mps",
            "--bond-dim",
            "8",
            "--out",
            str(out_json),
        ]
    )
    assert code == 0
    res = VQEResult.load(out_json)
    assert res.settings["method"] == "mps"
    assert res.settings["bond_dim"] == 8
    assert res.extra["exact_method"] == "free-fermion"
    assert res.rel_error < 1e-2
    assert res.extra["mps"]["max_bond"] <= 8


def test_vqe_command_rejects_mps_options_on_the_statevector(capsys):
    assert main(["vqe", "--problem", "tfim", "--n", "4", "--bond-dim", "8"]) == 2
    assert "--bond-dim and --cutoff apply to --backend mps" in capsys.readouterr().err


def test_the_library_never_imports_the_command_line():
    """qml.apps sits on top: no module outside it imports it (so `import qml` never loads a CLI)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "qml"
    offenders = []
    for path in root.rglob("*.py"):
        if path.is_relative_to(root / "apps"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            rel = path.relative_to(root)
            offenders += [f"{rel}: {n}" for n in names if n.split(".")[:2] == ["qml", "apps"]]
    assert not offenders, offenders
