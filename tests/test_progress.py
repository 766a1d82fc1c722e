"""The shared progress bar of the ``qml`` commands: plain lines, ETA, the callback adapters."""

from __future__ import annotations

import io

import pytest
import torch
from rich.console import Console
from torch import nn

import qml.apps.cli as cli
from qml.apps.cli import ProgressBar
from qml.models.training import fit


def _plain() -> Console:
    return Console(file=io.StringIO(), width=200)


def test_plain_lines_at_milestones_and_at_the_end_only():
    con = _plain()
    with ProgressBar("job", 10, unit="points", console=con) as bar:
        bar.update(completed=1, status={"E": -1.5})  # not a milestone, interval not reached: no line
        assert con.file.getvalue() == ""
        bar.update(completed=2, status={"error vs exact": 3.2e-4}, milestone=True)
        bar.start("next stage", 4, unit="evaluations", bound=True)
        bar.update(completed=1, status={"loss": 0.25})
    lines = con.file.getvalue().strip().splitlines()
    assert lines[0].startswith(
        "job: 2/10 points, E = -1.5, error vs exact = 3.20e-04, 0:00:00 elapsed, ETA 0:"
    )
    # the stage's end repeats nothing already written; the last stage ends the output, without ETA
    assert lines[1] == "next stage: 1/4 evaluations, loss = 0.25, 0:00:00 elapsed"
    assert len(lines) == 2


def test_eta_is_marked_as_an_upper_bound_and_the_interval_writes_lines(monkeypatch):
    monkeypatch.setattr(cli, "PROGRESS_INTERVAL", 0.0)
    con = _plain()
    with ProgressBar("VQE", 100, bound=True, count=False, console=con) as bar:
        bar.update(completed=10, eta=125.0)
        assert bar.eta_text() == "ETA <= 0:02:05"
        bar.update(completed=20)  # no caller estimate: elapsed / done x remaining
        left = bar.eta()
        assert left is not None
        assert left >= 0
    text = con.file.getvalue()
    assert "VQE: 0:00:00 elapsed, ETA <= 0:02:05" in text
    assert "10/100" not in text  # count=False hides done/total


def test_nothing_is_written_after_an_error():
    con = _plain()

    def fail() -> None:
        with ProgressBar("job", 3, console=con) as bar:
            bar.update(completed=1)
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fail()
    assert con.file.getvalue() == ""


def test_a_terminal_renders_the_bar_with_fields_and_eta():
    con = Console(file=io.StringIO(), force_terminal=True, width=200)
    bar = ProgressBar("fit", 8, unit="evaluations", bound=True, console=con)
    bar.update(completed=4, status={"loss": -1.25})
    out = Console(file=io.StringIO(), width=200)
    out.print(bar.progress.get_renderable())
    text = out.file.getvalue()
    assert "fit" in text
    assert "4/8 evaluations, loss = -1.25" in text
    assert "ETA <= 0:00:0" in text


def test_stage_adapter_restarts_the_count_and_shows_info():
    con = _plain()
    with ProgressBar("predict", console=con) as bar:
        bar.stage("fit mlp", 0, 26, {"unit": "evaluations", "bound": True})
        bar.stage("fit mlp", 5, 26, {"unit": "evaluations", "bound": True, "loss": -3.5})
        assert bar.eta_text().startswith("ETA <= ")
        bar.stage("evaluate", 2, 3, {"unit": "points", "mean_fidelity": 0.9991, "max_rel_error": 2e-5})
        bar.stage("evaluate", 1, 3, {"unit": "points"})  # counting again: a new bar, same name
    lines = con.file.getvalue().strip().splitlines()
    assert lines[0].startswith("fit mlp: 5/26 evaluations, loss = -3.5")
    assert lines[1].startswith("evaluate: 2/3 points, mean fidelity = 0.999100, max rel error = 2.00e-05")
    assert lines[2].startswith("evaluate: 1/3 points")


def test_training_fit_drives_the_bar_epoch_by_epoch(monkeypatch):
    monkeypatch.setattr(cli, "PROGRESS_INTERVAL", 0.0)
    X = torch.linspace(-1, 1, 16, dtype=torch.float64).reshape(-1, 1)
    con = _plain()
    with ProgressBar("fit", console=con) as bar:
        fit(
            nn.Linear(1, 1).double(),
            nn.MSELoss(),
            (X, 2 * X),
            (X, 2 * X),
            epochs=3,
            lr=0.1,
            progress=bar.epoch,
        )
    lines = con.file.getvalue().strip().splitlines()
    assert lines[0].startswith("fit: 1/3 epochs, train loss = ")
    assert "val loss = " in lines[0]
    assert "ETA 0:00:0" in lines[0]
    assert lines[-1].startswith("fit: 3/3 epochs")


def test_parallel_restarts_show_restarts_done_with_eta_and_error(monkeypatch, capsys):
    from qml.parallel import SerialExecutor

    monkeypatch.setattr(cli, "executor_from_args", lambda args: SerialExecutor())
    code = cli.main(
        [
            "vqe",
            "--problem",
            "tfim",
            "--n",
            "4",
            "--layers",
            "1",
            "--restarts",
            "2",
            "--workers",
            "2",
            "--steps",
            "20",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "VQE tfim(n=4) on workers: 1/2 restarts, best E = " in captured.err
    assert "2/2 restarts" in captured.err
    assert "error vs exact = " in captured.err
    assert "ETA 0:" in captured.err
    assert "restarts" not in captured.out
