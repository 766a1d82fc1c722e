"""Strip outputs, execution counts and run-time metadata from notebooks before committing.

Usage (from the repository root)::

    python scripts/strip_notebooks.py                  # strip notebooks/*.ipynb in place
    python scripts/strip_notebooks.py --check          # exit 1 and list the files that need stripping
    python scripts/strip_notebooks.py path/to/a.ipynb  # only these files

Only standard-library JSON handling is used, so the script runs without Jupyter installed.
Cell sources, cell ids, markdown and the notebook's kernelspec are kept exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Cell metadata keys written by editors while running cells.
TRANSIENT_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")
#: Notebook metadata keys written by editors (widget state, kernel versions).
TRANSIENT_NOTEBOOK_METADATA = ("widgets", "varInspector", "toc")


def strip(nb: dict[str, Any]) -> dict[str, Any]:
    """Return ``nb`` without outputs, execution counts and transient metadata (modified in place)."""
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {})
        for key in TRANSIENT_CELL_METADATA:
            meta.pop(key, None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    meta = nb.get("metadata", {})
    for key in TRANSIENT_NOTEBOOK_METADATA:
        meta.pop(key, None)
    info = meta.get("language_info")
    if isinstance(info, dict):  # keep the language, drop the interpreter version of whoever ran it last
        meta["language_info"] = {k: v for k, v in info.items() if k in ("name", "pygments_lexer")}
    return nb


def dumps(nb: dict[str, Any]) -> str:
    """Serialise like Jupyter does (one-space indent, sorted keys, trailing newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Strip (or with ``--check`` only inspect) notebooks; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a file needs stripping")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    dirty = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = dumps(strip(json.loads(text)))
        if new != text:
            dirty.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in dirty:
        print(f"{'needs stripping' if args.check else 'stripped'}: {path}")
    return 1 if (args.check and dirty) else 0


if __name__ == "__main__":
    sys.exit(main())
