"""Experiment files as tables: the one reader behind ``qml run``, ``qml predict`` and ``qml submit``.

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
from pathlib import Path
from typing import Any

from qml.errors import ConfigError

__all__ = ["merge", "read_table", "with_quick"]


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
