"""Build the HTML API reference of ``qml`` from its docstrings with pdoc.

Usage (from the repository root; needs ``pip install pdoc``, tested with pdoc 16.0.0)::

    python docs/build.py                # writes docs/_build/index.html, one page per module
    python docs/build.py --out site/    # somewhere else
    python docs/build.py --strict       # exit 1 if a module fails to import or a docstring warns

The docstrings are Google style (``Args:``, ``Returns:``, ``Example:`` with doctests). Sphinx
cross-reference roles such as ``:class:`~qml.ir.Circuit``` are turned into code spans, which
pdoc links to the documented object. Optional dependencies (PennyLane, Qiskit, the IBM
runtime) must be installed for their adapter modules to be documented.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
#: The package documented: it and every public submodule (pdoc alone skips submodules that a
#: package's ``__all__`` does not list, which is all of ours).
PACKAGE = "qml"
_ROLES = "class|func|meth|mod|data|attr|exc|obj|const|ref|term"
_ROLE = re.compile(rf":(?:py:)?(?:{_ROLES}):`~?([^`<]+?)(?:\s*<[^>]*>)?`")


def public_modules(package: str = PACKAGE) -> list[str]:
    """The package and its submodules whose dotted names have no ``_``-prefixed part, sorted.

    Example:
        >>> mods = public_modules()
        >>> mods[0], "qml.ir" in mods, "qml.templates._common" in mods
        ('qml', True, False)
    """
    import importlib
    import pkgutil

    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.", onerror=lambda name: None):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _listed_by_parent(name: str) -> bool:
    """Whether pdoc documents module ``name`` as a submodule of its parent anyway.

    That is the case when the parent has no ``__all__`` or lists the submodule's name in it
    (e.g. ``qml.optimize.__all__`` has the function ``vqe``, which is also a submodule name).
    """
    import importlib

    parent, _, child = name.rpartition(".")
    if not parent:
        return False
    mod_all = getattr(importlib.import_module(parent), "__all__", None)
    return mod_all is None or child in mod_all


def sphinx_roles_to_code(docstring: str) -> str:
    """``:class:`~qml.ir.Circuit``` -> ```qml.ir.Circuit``` (a code span pdoc can link).

    Example:
        >>> sphinx_roles_to_code("a :class:`~qml.ir.Circuit` and :func:`qml.expval`")
        'a `qml.ir.Circuit` and `qml.expval`'
    """
    return _ROLE.sub(r"`\1`", docstring)


def build(out: Path) -> list[str]:
    """Render the reference into ``out``; returns the warnings raised while rendering.

    Deprecation warnings of imported libraries are not counted; pdoc reports modules that
    fail to import and docstring problems as warnings.

    Raises:
        ImportError: If pdoc is not installed.
    """
    import pdoc
    import pdoc.docstrings
    import pdoc.render

    from qml import __version__

    # h5py (imported by PennyLane's qchem) asks platform.processor(), which runs `uname -p`
    # the first time; pdoc forbids subprocesses while importing, so ask here, once, beforehand
    platform.processor()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    original = pdoc.docstrings.convert
    if not getattr(original, "_qml_wrapped", False):

        def convert(docstring: str, docformat: str, source_file: Path | None) -> str:
            return original(sphinx_roles_to_code(docstring), docformat, source_file)

        convert._qml_wrapped = True  # type: ignore[attr-defined]
        pdoc.docstrings.convert = convert  # render_helpers looks it up at call time
    pdoc.render.configure(
        docformat="google",
        template_directory=DOCS / "templates",
        footer_text=f"qml-circuits {__version__}",
        search=True,
        show_source=True,
    )
    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(*[m for m in public_modules() if not _listed_by_parent(m)], output_directory=out)
    ignored = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
    messages = [
        str(w.message)
        for w in caught
        if not issubclass(w.category, ignored)
        # source-location guesses for members of aliased outside classes (Tensor = torch.Tensor),
        # which the template hides anyway
        and not str(w.message).startswith("Cannot determine where")
    ]
    for m in messages:
        print(f"warning: {m}", file=sys.stderr)
    return messages


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description="Build the qml API reference (HTML) with pdoc.")
    parser.add_argument("--out", type=Path, default=DOCS / "_build", help="output directory")
    parser.add_argument("--strict", action="store_true", help="fail on import errors and docstring warnings")
    args = parser.parse_args(argv)
    try:
        messages = build(args.out)
    except ImportError as exc:
        print(f"cannot build the docs: {exc}; install pdoc with `pip install pdoc==16.0.0`", file=sys.stderr)
        return 2
    pages = sum(1 for _ in args.out.rglob("*.html"))
    print(f"wrote {pages} pages to {args.out} (open {args.out / 'index.html'})")
    return 1 if (args.strict and messages) else 0


if __name__ == "__main__":
    sys.exit(main())
