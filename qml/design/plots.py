"""Pareto fronts of design results as one figure: accuracy against transpiled two-qubit gates.

Example:
    >>> from qml.design.result import DesignResult
    >>> row = {"label": "adapt step 1", "method": "adapt", "two_qubit_gates": 10}
    >>> row.update(abs_error=1e-4, fidelity=0.99)
    >>> r = DesignResult(problem="h2", method="adapt", history=[row], front=[row], target_error=1.6e-3)
    >>> fig = plot_fronts([r])
    >>> len(fig.axes)
    2
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qml.design.evaluate import pareto_front
from qml.design.result import DesignResult
from qml.errors import ConfigError

_FLOOR = 1e-12


def _series(rows: Sequence[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """The Pareto front of ``rows`` in ``key`` (``"fidelity"``: in the infidelity) as plot points."""
    if key == "fidelity":
        rows = [{**r, "infidelity": 1.0 - r["fidelity"]} for r in rows]
        key = "infidelity"
    front = pareto_front(rows, key)
    return [r["two_qubit_gates"] for r in front], [max(r[key], _FLOOR) for r in front]


def plot_fronts(results: Sequence[DesignResult], path: str | Path | None = None) -> Any:
    """Energy error and infidelity against transpiled two-qubit gates: each method's front and the templates'.

    One panel shows ``abs_error`` (with ``target_error``), the other ``1 - fidelity`` (with
    ``1 - target_fidelity``); each design method's candidates are dots, its Pareto front a
    line, its design a star; the fixed templates (the same for every result of one
    problem) are drawn once per ansatz.

    Args:
        results: Design results of one problem on one target (e.g. one per method).
        path: Write a PNG here when given.

    Returns:
        The matplotlib ``Figure``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from qml.units import energy_label

    if not results:
        raise ConfigError("plot_fronts needs at least one DesignResult")
    fig = Figure(figsize=(7.5, 8.0), constrained_layout=True)
    FigureCanvasAgg(fig)
    ax_e, ax_f = fig.subplots(2, 1, sharex=True)
    for ax, key in ((ax_e, "abs_error"), (ax_f, "fidelity")):
        seen_templates: set[str] = set()
        for r in results:
            rows = [h for h in r.history if h.get(key) is not None]
            if not rows:
                continue
            ys_all = [max(1.0 - h[key], _FLOOR) if key == "fidelity" else max(h[key], _FLOOR) for h in rows]
            dots = ax.semilogy([h["two_qubit_gates"] for h in rows], ys_all, ".", alpha=0.35, ms=4)
            xs, ys = _series(rows, key)
            ax.semilogy(xs, ys, "-", color=dots[0].get_color(), lw=1.5, label=f"{r.method}")
            value = (1.0 - r.fidelity) if key == "fidelity" and r.fidelity is not None else r.abs_error
            if value is not None:
                ax.semilogy([r.two_qubit_gates], [max(value, _FLOOR)], "*", ms=13, color=dots[0].get_color())
            by_ansatz: dict[str, list[dict[str, Any]]] = {}
            for t in r.templates:
                if t.get(key) is not None:
                    by_ansatz.setdefault(t.get("ansatz", t["label"]), []).append(t)
            for name, trows in by_ansatz.items():
                if name in seen_templates:
                    continue
                seen_templates.add(name)
                trows = sorted(trows, key=lambda t: t["two_qubit_gates"])
                ys_t = [
                    max(1.0 - t[key], _FLOOR) if key == "fidelity" else max(t[key], _FLOOR) for t in trows
                ]
                ax.semilogy(
                    [t["two_qubit_gates"] for t in trows], ys_t, "s--", ms=5, lw=1, label=f"template {name}"
                )
        r0 = results[0]
        goal = (
            r0.target_error
            if key == "abs_error"
            else (None if r0.target_fidelity is None else 1.0 - r0.target_fidelity)
        )
        if goal is not None:
            ax.axhline(goal, color="k", ls=":", lw=1, label="target")
        ax.set_ylabel(energy_label(r0.energy_unit, "|E - E0|") if key == "abs_error" else "1 - fidelity")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax_f.set_xlabel(f"two-qubit gates after transpilation to {r0.target.get('name', 'the target')}")
    ax_e.set_title(f"{r0.problem}: accuracy against hardware cost")
    if path is not None:
        fig.savefig(str(path), dpi=120)
    return fig


__all__ = ["plot_fronts"]
