"""Experiment files as tables: the one reader and the one schema behind ``qml run`` and ``qml submit``.

Every experiment file is one TOML (or, for ``qml submit``, JSON) table whose ``method`` picks
its :class:`Layout` in :data:`LAYOUTS`, the registry of experiment methods: which top-level
keys and tables it may hold, which keys each table may hold, the module that reads and runs
it and the command that does. :func:`check_layout` enforces it for every reader, so the
errors read the same everywhere: the file, the bad key, the valid keys.

==========  ======================  ==================================================
method      runner                  tables
==========  ======================  ==================================================
vqe         qml.experiment          problem, ansatz, optimizer, check, execution
sweep       qml.experiment          the same and sweep
adapt       qml.experiment          the same and adapt
predict     qml.predict             problem, predict, check
submit      qml.apps.hardware        options (top level: circuit, observables, weights...)
==========  ======================  ==================================================

A file without ``method`` is a ``submit`` file when it holds keys of a circuit file
(``circuit``, ``observables``, ...) and no ``[problem]``, and a ``vqe`` file otherwise.
``[quick]`` holds overrides of the same keys, merged by :func:`with_quick`. Keys inside
``[problem]`` are the problem's parameters, checked by the reader against the problem registry.

Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "e.toml")
    >>> _ = open(p, "w").write('[problem]\\nname = "h2"\\n[quick.problem]\\nname = "lih"\\n')
    >>> read_table(p)["problem"]
    {'name': 'h2'}
    >>> with_quick(read_table(p), quick=True)["problem"]
    {'name': 'lih'}
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qml.errors import ConfigError

__all__ = [
    "COMMON_KEYS",
    "LAYOUTS",
    "Layout",
    "check_layout",
    "merge",
    "method_of",
    "parse_value",
    "read_table",
    "with_quick",
]

#: Top-level keys of the simulated experiments (vqe, sweep, adapt).
COMMON_KEYS: tuple[str, ...] = ("name", "description", "method", "seed", "backend", "dtype", "device")


@dataclass(frozen=True)
class Layout:
    """The schema of one experiment method's files (a row of :data:`LAYOUTS`).

    Attributes:
        method: The ``method`` value.
        runner: The module that reads and runs the files.
        command: The command that runs them.
        top: Top-level keys other than the tables.
        tables: Table name -> the keys it may hold (``None``: checked by the reader, e.g. a
            problem's parameters).
        quick: Whether the files may hold ``[quick]`` overrides.

    Example:
        >>> LAYOUTS["sweep"].tables["sweep"][:2]
        ('param', 'values')
    """

    method: str
    runner: str
    command: str
    top: tuple[str, ...] = COMMON_KEYS
    tables: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    quick: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """Every top-level key: ``top``, the tables and ``quick`` where allowed."""
        return (*self.top, *self.tables, *(("quick",) if self.quick else ()))


_VQE_TABLES: dict[str, tuple[str, ...] | None] = {
    "problem": None,
    "ansatz": ("name", "layers"),
    "optimizer": ("name", "steps", "lr", "tol", "restarts", "options", "shots"),
    "check": ("max_rel_error", "max_abs_error", "min_fidelity", "max_params", "fewer_params_than"),
    "execution": (
        "workers",
        "scheduler",
        "cluster",
        "jobs",
        "cores",
        "memory",
        "walltime",
        "queue",
        "segments",
    ),
}

#: The registry of experiment methods: method -> its :class:`Layout`.
LAYOUTS: dict[str, Layout] = {
    "vqe": Layout("vqe", "qml.experiment", "qml run FILE", tables=_VQE_TABLES),
    "sweep": Layout(
        "sweep",
        "qml.experiment",
        "qml run FILE",
        tables={**_VQE_TABLES, "sweep": ("param", "values", "start", "stop", "num", "continuation")},
    ),
    "adapt": Layout(
        "adapt",
        "qml.experiment",
        "qml run FILE",
        tables={**_VQE_TABLES, "adapt": ("pool", "max_ops", "grad_tol", "allow_repeats")},
    ),
    "predict": Layout(
        "predict",
        "qml.predict",
        "qml run FILE",
        top=("name", "description", "method", "seed", "backend", "dtype"),
        tables={
            "problem": None,
            "predict": (
                "model",
                "train",
                "test",
                "dense",
                "steps",
                "layers",
                "compare",
                "vary",
                "shots",
                "baselines",
                "refine",
            ),
            "check": ("min_fidelity", "mean_fidelity", "max_rel_error", "beats_baseline", "min_spearman"),
        },
    ),
    "submit": Layout(
        "submit",
        "qml.apps.hardware",
        "qml submit FILE --backend NAME",
        top=(
            "name",
            "description",
            "method",
            "circuit",
            "observables",
            "weights",
            "inputs",
            "shots",
            "gradient",
            "run_id",
        ),
        tables={"options": None},
        quick=False,
    ),
}


_NOT_IN_QUICK = ("quick", "name", "method")


def method_of(data: Mapping[str, Any]) -> str:
    """An experiment table's method: its ``method``, else ``submit`` for a circuit file, else ``vqe``.

    Example:
        >>> method_of({"problem": {"name": "h2"}}), method_of({"circuit": "c.qasm"})
        ('vqe', 'submit')
    """
    method = data.get("method")
    if method is None:
        own = set(LAYOUTS["submit"].top) - {"name", "description", "method"}
        return "submit" if "problem" not in data and own & set(data) else "vqe"
    return method if isinstance(method, str) else repr(method)


def check_layout(
    data: Mapping[str, Any], path: str | Path | None = None, method: str | None = None
) -> Layout:
    """Check an experiment table against its method's :class:`Layout`; returns that layout.

    Checks the method, the top-level keys, that every table is a table and its keys, and the
    same for the ``[quick]`` overrides.

    Args:
        data: The top-level table (as read, before ``[quick]`` is merged).
        path: The file, for the messages.
        method: The method (default: :func:`method_of`).

    Raises:
        ConfigError: An unknown method, key or table key, or a table that is not one; the
            message names the file, the key and the valid keys.

    Example:
        >>> check_layout({"problem": {"name": "h2"}, "optimiser": {}})
        Traceback (most recent call last):
        ...
        qml.errors.ConfigError: unknown key 'optimiser' at the top level of a 'vqe' experiment; valid keys: name, description, method, seed, backend, dtype, device, problem, ansatz, optimizer, check, execution, quick
    """  # noqa: E501
    where = f"{path}: " if path is not None else ""
    name = method if method is not None else method_of(data)
    layout = LAYOUTS.get(name)
    if layout is None:
        raise ConfigError(f"{where}unknown method {name!r}; valid methods: {', '.join(LAYOUTS)}")
    quick = data.get("quick", {})
    if not isinstance(quick, Mapping):
        raise ConfigError(f"{where}[quick] must be a table of overrides, got {type(quick).__name__}")
    for part, table, prefix in ((data, layout.keys, ""), (quick, layout.keys, "quick.")):
        for key in part:
            if key not in table or (prefix and key in _NOT_IN_QUICK):
                valid = [k for k in table if not prefix or k not in _NOT_IN_QUICK]
                belongs = [m for m, lay in LAYOUTS.items() if key in lay.tables and m != name]
                hint = f" ([{key}] belongs to method {belongs[0]!r} files)" if belongs else ""
                at = f"in [{prefix.rstrip('.')}]" if prefix else "at the top level"
                raise ConfigError(
                    f"{where}unknown key {key!r} {at} of a {name!r} experiment{hint}; "
                    f"valid keys: {', '.join(valid)}"
                )
        for tname, keys in layout.tables.items():
            if tname not in part:
                continue
            val = part[tname]
            if not isinstance(val, Mapping):
                raise ConfigError(f"{where}[{prefix}{tname}] must be a table, got {val!r}")
            if keys is None:
                continue
            for key in val:
                if key not in keys:
                    raise ConfigError(
                        f"{where}unknown key {key!r} in [{prefix}{tname}]; valid keys: {', '.join(keys)}"
                    )
    return layout


def read_table(path: str | Path, suffixes: tuple[str, ...] = (".toml",)) -> dict[str, Any]:
    """The top-level table of a TOML (or, where allowed, JSON) experiment file.

    Args:
        path: The file.
        suffixes: The suffixes accepted (``.toml`` is parsed as TOML, ``.json`` as JSON).

    Raises:
        ConfigError: A missing or unreadable file, another suffix, a file that does not parse, or a JSON
            file whose top level is not an object; each message names the file.

    Example:
        >>> read_table("no/such/file.toml")
        Traceback (most recent call last):
        ...
        qml.errors.ConfigError: no experiment file at no/such/file.toml
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"no experiment file at {p}")
    suffix = p.suffix.lower()
    if suffix not in suffixes:
        kinds = " or ".join(s.lstrip(".").upper() for s in suffixes)
        raise ConfigError(f"{p}: experiment files are {kinds}; expected a {' or '.join(suffixes)} file")
    try:
        text = p.read_text()
    except OSError as err:  # a directory, no permission
        raise ConfigError(f"cannot read the experiment file {p}: {err.strerror or err}") from None
    try:
        data = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{p}: invalid {suffix.lstrip('.').upper()}: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the top level must be a table (a JSON object), got {type(data).__name__}")
    return data


def parse_value(text: str) -> Any:
    """A command-line value as the experiment files would hold it: a bool, an int, a float or the text.

    Example:
        >>> [parse_value(t) for t in ("true", "3", "0.5", "tfim")]
        [True, 3, 0.5, 'tfim']
    """
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` merged in, tables recursively (a deep copy; the inputs are unchanged).

    Example:
        >>> merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}})
        {'a': {'x': 1, 'y': 3}}
    """
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = (
            merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
        )
    return out


def with_quick(data: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The table without its ``[quick]`` section, with that section merged in when ``quick``.

    Raises:
        ConfigError: ``quick`` is not a table.

    Example:
        >>> with_quick({"n": 8, "quick": {"n": 4}}, quick=False)
        {'n': 8}
    """
    over = data.get("quick", {})
    if not isinstance(over, dict):
        raise ConfigError(f"[quick] must be a table of overrides, got {type(over).__name__}")
    base = {k: v for k, v in data.items() if k != "quick"}
    return merge(base, over) if quick else base
