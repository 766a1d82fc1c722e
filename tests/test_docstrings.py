"""Docstrings: every public name has an ``Example`` section, every doctest passes, the docs build.

* Public names are the ``__all__`` entries of ``qml``, ``qml.templates``, ``qml.problems``,
  ``qml.optimize``, ``qml.models`` and ``qml.backends`` (those that import). Classes and
  functions must carry their own docstring with an ``Example:`` (or ``Examples:``) section;
  constants and type aliases cannot hold a docstring and are not checked.
* The doctests of every module of the package run (like ``pytest --doctest-modules qml``).
* ``python docs/build.py`` renders the API reference with pdoc (skipped without pdoc).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "qml",
    "qml.templates",
    "qml.problems",
    "qml.optimize",
    "qml.models",
    "qml.backends",
    "qml.ed",
    "qml.symmetry",
    "qml.correlations",
    "qml.entanglement",
    "qml.readout",
    "qml.optimize.depth",
    "qml.models.sectors",
    "qml.models.branches",
    "qml.models.family_prediction",
    "qml.models.family_physics",
    "qml.shadows",
    "qml.parallel",
    "qml.apps.sweep",
    "qml.parallel.tune",
    "qml.apps.tune",
    "qml.mps",
    "qml.freefermion",
    "qml.dmrg",
)
EXAMPLE = re.compile(r"^\s*Examples?:\s*$", re.MULTILINE)
#: Public names still without an example, with the file to add it in. Remove an entry when its
#: example lands (the test then reports XPASS).
KNOWN_MISSING: dict[str, str] = {}


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:  # a package that is not there (yet), or a missing optional dependency
        return None


def _public_callables() -> list[tuple[str, str]]:
    out = []
    for pkg in PACKAGES:
        mod = _import(pkg)
        if mod is None:
            continue
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj):
                out.append((pkg, name))
    return out


def _cases():
    for pkg, name in _public_callables():
        full = f"{pkg}.{name}"
        marks = []
        if full in KNOWN_MISSING:
            reason = f"no Example yet: add one in {KNOWN_MISSING[full]}"
            marks.append(pytest.mark.xfail(reason=reason, strict=False))
        yield pytest.param(pkg, name, id=full, marks=marks)


@pytest.mark.parametrize(("pkg", "name"), list(_cases()))
def test_public_name_has_an_example(pkg, name):
    obj = getattr(importlib.import_module(pkg), name)
    doc = obj.__doc__  # its own docstring: inspect.getdoc would inherit a base class's
    where = inspect.getsourcefile(obj) if not inspect.isbuiltin(obj) else "?"
    assert doc, f"{pkg}.{name} has no docstring ({where})"
    assert EXAMPLE.search(doc), f"{pkg}.{name} has no 'Example:' section in its docstring ({where})"


def _modules() -> list[str]:
    import qml

    names = ["qml"]
    for info in pkgutil.walk_packages(qml.__path__, prefix="qml.", onerror=lambda name: None):
        names.append(info.name)
    return sorted(names)


@pytest.mark.slow
@pytest.mark.parametrize("modname", _modules())
def test_doctests(modname):
    mod = _import(modname)
    if mod is None:
        pytest.skip(f"{modname} does not import here (optional dependency)")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures = []
    for test in finder.find(mod, modname):
        result = runner.run(test, out=failures.append)
        if result.failed:
            failures.append(f"--- {test.name} ({result.failed} of {result.attempted} examples failed)\n")
    assert not failures, "".join(failures)


@pytest.mark.slow
def test_api_reference_builds(tmp_path):
    pytest.importorskip("pdoc")
    spec = importlib.util.spec_from_file_location("qml_docs_build", ROOT / "docs" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    messages = build.build(tmp_path)
    assert not messages, messages
    assert (tmp_path / "index.html").is_file()
    page = (tmp_path / "qml" / "sim" / "simulator.html").read_text(encoding="utf-8")
    assert '<h6 id="example">Example:</h6>' in page
    # a Sphinx role (":class:`Simulator`" in the docstring of qml.sim.simulator.state) became a link
    assert '<p>Statevector with a default <code><a href="#Simulator">Simulator</a></code>' in page
