"""Derived data of a compiled program, built once per key: the one cache the engine modules share.

A :class:`~qml.sim.program.Program` and a :class:`~qml.sim.fusion.FusedProgram` each carry a
:class:`Memo`. Every key starts with the name of the module that owns the entry (one of
:data:`OWNERS`), so that entries of different modules cannot collide and a reader can tell
who wrote what; the rest of the key is that module's business. A memo is bounded: past
``limit`` entries new values are still built and returned, but not kept.

Example:
    >>> m = Memo()
    >>> m.get(("fusion", "fused", 4), lambda: "built")
    'built'
    >>> m.get(("fusion", "fused", 4), lambda: "not called")
    'built'
    >>> m.owners()
    {'fusion': 1}
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from qml.errors import ConfigError

__all__ = ["OWNERS", "Memo"]

T = TypeVar("T")

#: The modules that keep derived data on programs.
OWNERS = frozenset(
    {
        "program",
        "fusion",
        "collapse",
        "dense_tail",
        "numpy_state",
        "numba_rows",
        "numba_state",
        "split",
        "blockdata",
        "simulator",
    }
)
_MISSING = object()


class Memo:
    """A bounded map ``key -> value`` whose values are built on first use (see the module docstring).

    Args:
        limit: Most entries kept.
    """

    __slots__ = ("_data", "limit")

    def __init__(self, limit: int = 4096) -> None:
        self._data: dict[tuple[Hashable, ...], Any] = {}
        self.limit = limit

    def get(self, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
        """The value of ``key``, built by ``build()`` the first time (and kept while under the limit).

        Raises:
            ConfigError: The key does not start with one of :data:`OWNERS` (a bug in the caller).

        Example:
            >>> Memo().get(("split", "plan", 3), lambda: None) is None
            True
        """
        got = self._data.get(key, _MISSING)
        if got is _MISSING:
            if not key or key[0] not in OWNERS:
                raise ConfigError(
                    f"memo keys start with the owning module, one of {sorted(OWNERS)}; got {key!r}"
                )
            got = build()
            if len(self._data) < self.limit:
                self._data[key] = got
        result: T = got
        return result

    def peek(self, key: tuple[Hashable, ...]) -> Any:
        """The value kept for ``key``, or ``None`` (nothing is built).

        Example:
            >>> Memo().peek(("fusion", "fused", 4, -1)) is None
            True
        """
        return self._data.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Forget every entry.

        Example:
            >>> m = Memo()
            >>> _ = m.get(("program", "x"), lambda: 1)
            >>> m.clear(); len(m)
            0
        """
        self._data.clear()

    def owners(self) -> dict[str, int]:
        """Entries per owning module (what the memo holds, for debugging).

        Example:
            >>> Memo().owners()
            {}
        """
        out: dict[str, int] = {}
        for key in self._data:
            out[str(key[0])] = out.get(str(key[0]), 0) + 1
        return out

    def __repr__(self) -> str:
        return f"Memo({self.owners()})"
