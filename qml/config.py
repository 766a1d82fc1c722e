"""Environment variables that change what qml does: read here, and only here.

Every ``QML_*`` variable the package reads is a :class:`Setting` in :data:`SETTINGS`, with
what it means and what happens when it is unset; the functions below parse them (a value
that cannot be read raises :class:`~qml.errors.ConfigError` naming the variable and what
it accepts, instead of being ignored). ``qml info`` shows the ones that are set, and the
README's table is checked against :data:`SETTINGS` by the test suite.

==========================  ========================================================================
Variable                    Meaning
==========================  ========================================================================
``QML_MEMORY_LIMIT``        Cap on the memory the guard allows (``512M``, ``4G``, bytes).
``QML_RETAIN_MEMORY``       ``1``: keep freed state buffers in the process (glibc ``mallopt``);
                            ``0``: never, even where the ``qml`` command would.
``QML_LEDGER``              Path of the SQLite job ledger (default ``~/.qml/ledger.sqlite``).
``QML_RUN_ID``              Run id for hardware submissions (replaying one resumes it).
``QML_IBM_USD_PER_SECOND``  Price per QPU second for cost estimates (default 1.60).
``QML_CACHE_DIR``           Directory for the molecule integral cache (unset: memory only).
==========================  ========================================================================

Example:
    >>> sorted(SETTINGS)[:2]
    ['QML_CACHE_DIR', 'QML_IBM_USD_PER_SECOND']
    >>> parse_bytes("2K")
    2048
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from qml.errors import ConfigError

__all__ = [
    "SETTINGS",
    "Setting",
    "cache_dir",
    "ibm_usd_per_second",
    "is_set",
    "ledger_path",
    "memory_limit",
    "parse_bytes",
    "raw",
    "retain_memory",
    "run_id",
]


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, what it changes, and what unset means.

    Attributes:
        name: The variable (``QML_...``).
        meaning: What it changes, and the values it accepts.
        unset: What happens when it is not set.
    """

    name: str
    meaning: str
    unset: str


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "QML_MEMORY_LIMIT",
            "cap on the memory the simulators' guard allows: bytes, or with suffix K/M/G/T (e.g. 4G)",
            "the free memory of the device",
        ),
        Setting(
            "QML_RETAIN_MEMORY",
            "1: keep freed state buffers in the process (glibc mallopt) from the first simulation; "
            "0: never, even in the qml command and the benchmark scripts",
            "only the qml command and the benchmark scripts retain freed memory",
        ),
        Setting(
            "QML_LEDGER",
            "path of the SQLite ledger that records every hardware job",
            "~/.qml/ledger.sqlite",
        ),
        Setting(
            "QML_RUN_ID",
            "run id for hardware submissions; replaying a run id resumes that run",
            "a fresh run-<12 hex> per run",
        ),
        Setting(
            "QML_IBM_USD_PER_SECOND",
            "price of one QPU second in US dollars, for the cost estimates before submission",
            "1.60 (IBM's pay-as-you-go list price)",
        ),
        Setting(
            "QML_CACHE_DIR",
            "directory where molecule integrals are cached as JSON between processes",
            "integrals are cached in memory only",
        ),
    )
}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def raw(name: str) -> str | None:
    """The stripped value of a registered variable, or None when unset or empty.

    Args:
        name: A key of :data:`SETTINGS`.

    Raises:
        ConfigError: ``name`` is not a setting (a typo in the package, not in the environment).

    Example:
        >>> raw("QML_CACHE_DIR") is None or isinstance(raw("QML_CACHE_DIR"), str)
        True
    """
    if name not in SETTINGS:
        raise ConfigError(f"{name!r} is not a qml setting; the settings are {sorted(SETTINGS)}")
    value = os.environ.get(name, "").strip()
    return value or None


def is_set(name: str) -> bool:
    """Whether a registered variable is set to a non-empty value.

    Example:
        >>> is_set("QML_LEDGER") in (True, False)
        True
    """
    return raw(name) is not None


def parse_bytes(text: str) -> int:
    """Parse ``"512M"``, ``"2G"``, ``"1048576"`` into bytes.

    Raises:
        ConfigError: The text is not a byte count.

    Example:
        >>> parse_bytes("1.5K")
        1536
    """
    t = text.strip().upper().removesuffix("B")
    mult = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}.get(t[-1:], 1)
    try:
        value = int(float(t[:-1] if mult > 1 else t) * mult)
    except ValueError:
        raise ConfigError(
            f"cannot read a byte count from {text!r}; expected e.g. 512M, 2G or 1048576"
        ) from None
    if value <= 0:
        raise ConfigError(f"a byte count must be positive, got {text!r}; expected e.g. 512M, 2G")
    return value


def memory_limit() -> int | None:
    """``QML_MEMORY_LIMIT`` in bytes, or None when unset.

    Raises:
        ConfigError: The value is not a positive byte count.

    Example:
        >>> memory_limit() is None or memory_limit() > 0
        True
    """
    value = raw("QML_MEMORY_LIMIT")
    if value is None:
        return None
    try:
        return parse_bytes(value)
    except ConfigError as err:
        raise ConfigError(f"QML_MEMORY_LIMIT: {err}; or unset it") from None


def retain_memory() -> bool | None:
    """``QML_RETAIN_MEMORY``: True (asked for), False (vetoed) or None (unset).

    Raises:
        ConfigError: The value is neither a yes (1/true/yes/on) nor a no (0/false/no/off).

    Example:
        >>> retain_memory() in (True, False, None)
        True
    """
    value = raw("QML_RETAIN_MEMORY")
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ConfigError(
        f"QML_RETAIN_MEMORY={value!r} is neither yes nor no; "
        "set 1 (retain freed memory), 0 (never) or unset it"
    )


def ledger_path() -> Path:
    """``QML_LEDGER`` (``~`` expanded) or ``~/.qml/ledger.sqlite``.

    Example:
        >>> ledger_path().suffix in (".sqlite", ".db", "") or True
        True
    """
    value = raw("QML_LEDGER")
    return Path(value).expanduser() if value else Path.home() / ".qml" / "ledger.sqlite"


def run_id() -> str | None:
    """``QML_RUN_ID``, or None when unset (the caller makes a fresh one).

    Example:
        >>> run_id() is None or isinstance(run_id(), str)
        True
    """
    return raw("QML_RUN_ID")


def ibm_usd_per_second(default: float) -> float:
    """``QML_IBM_USD_PER_SECOND`` as a float, or ``default`` when unset.

    Raises:
        ConfigError: The value is not a non-negative number.

    Example:
        >>> ibm_usd_per_second(1.6) >= 0
        True
    """
    value = raw("QML_IBM_USD_PER_SECOND")
    if value is None:
        return default
    try:
        price = float(value)
    except ValueError:
        price = -1.0
    if not price >= 0:
        raise ConfigError(
            f"QML_IBM_USD_PER_SECOND={value!r} is not a price; set US dollars per QPU second "
            f"(e.g. {default:.2f}) or unset it"
        )
    return price


def cache_dir() -> Path | None:
    """``QML_CACHE_DIR`` (``~`` expanded), or None when unset.

    Example:
        >>> cache_dir() is None or isinstance(cache_dir(), Path)
        True
    """
    value = raw("QML_CACHE_DIR")
    return Path(value).expanduser() if value else None
