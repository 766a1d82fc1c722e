"""The tutorial notebooks: stored without outputs, and they run top to bottom in quick mode.

Every notebook reads ``QML_NOTEBOOK_QUICK`` in its first code cell and shrinks its sizes when
it is set; files it writes go to ``QML_NOTEBOOK_OUT``. The execution tests (marked ``slow``)
run each notebook in a fresh kernel with nbclient, from the ``notebooks/`` directory, with a
wall-clock budget per notebook (enforced cell by cell: each cell may use what is left).
In quick mode the whole set takes about a minute on two cores.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = (
    "01_first_circuit.ipynb",
    "02_ground_states.ipynb",
    "03_wavefunction_prediction.ipynb",
    "04_hybrid_qml.ipynb",
    "05_hardware.ipynb",
    "06_benchmarks.ipynb",
    "07_circuit_design.ipynb",
)
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
#: Wall-clock budget of each notebook in quick mode (seconds; measured: 6-20 s on two busy cores).
BUDGET = {"05_hardware.ipynb": 150, "06_benchmarks.ipynb": 150}
DEFAULT_BUDGET = 120
#: Metadata keys that editors add while running a notebook; they must not be committed.
TRANSIENT_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def _load(name: str) -> dict:
    return json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))


def _code(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_all_tutorials_are_present():
    assert set(EXPECTED) <= set(NOTEBOOKS), f"missing: {sorted(set(EXPECTED) - set(NOTEBOOKS))}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stripped_and_valid(name):
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.read(NOTEBOOK_DIR / name, as_version=4))
    nb = _load(name)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        where = f"{name}, cell {i}: run `python scripts/strip_notebooks.py` before committing"
        assert cell["outputs"] == [], where
        assert cell["execution_count"] is None, where
        assert not set(cell.get("metadata", {})) & set(TRANSIENT_CELL_METADATA), where


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_conventions(name):
    code = _code(_load(name))
    assert code, f"{name} has no code cell"
    assert "QML_NOTEBOOK_QUICK" in code[0], f"{name}: the first code cell must read QML_NOTEBOOK_QUICK"
    text = "\n".join(code)
    assert not re.search(r"import\s+pennylane\s+as\s+qml\b", text), "PennyLane is `qp`; `qml` is this package"
    credentials = re.search(r"QISKIT_IBM_TOKEN['\"]\s*\]\s*=|save_account\(", text)
    assert not credentials, f"{name} must not hold credentials"


def test_readme_links_every_notebook():
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    for name in NOTEBOOKS:
        assert f"]({name})" in readme, f"notebooks/README.md does not link {name}"


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_quick_mode(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("QML_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("QML_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("QML_LEDGER", str(tmp_path / "ledger.sqlite"))  # never the user's ledger
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))  # the kernel inherits the test's thread limits
    for var in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_CHANNEL"):
        monkeypatch.delenv(var, raising=False)  # everything runs offline on fake backends

    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    budget = BUDGET.get(name, DEFAULT_BUDGET)
    deadline = [0.0]

    def time_left(cell) -> int:
        if not deadline[0]:
            deadline[0] = time.monotonic() + budget
        return max(1, int(deadline[0] - time.monotonic()))

    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout_func=time_left,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - start
    assert elapsed < budget + 60, f"{name} took {elapsed:.0f} s (budget {budget} s)"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
