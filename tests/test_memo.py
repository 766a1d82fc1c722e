"""The engine's shared cache: keys owned by a module, values built once, bounded."""

import pytest

from qml.errors import ConfigError
from qml.sim.memo import OWNERS, Memo


def test_built_once_and_kept():
    m = Memo()
    calls = []
    for _ in range(3):
        assert m.get(("split", "plan", 3), lambda: calls.append(1) or None) is None  # None is a value too
    assert calls == [1]
    assert ("split", "plan", 3) in m
    assert m.owners() == {"split": 1}


def test_keys_name_their_owner():
    with pytest.raises(ConfigError, match=r"memo keys start with the owning module"):
        Memo().get(("fused", 4), lambda: 0)
    modules = {
        "program",
        "fusion",
        "collapse",
        "dense_tail",
        "numpy_state",
        "numba_rows",
        "numba_state",
        "split",
        "blockdata",
    }
    modules.add("simulator")
    assert modules == OWNERS


def test_bounded_entries_are_built_but_not_kept():
    m = Memo(limit=2)
    for k in range(5):
        assert m.get(("fusion", k), lambda k=k: k * k) == k * k
    assert len(m) == 2
    assert m.peek(("fusion", 1)) == 1
    assert m.peek(("fusion", 4)) is None
    m.clear()
    assert len(m) == 0


def test_programs_keep_their_derived_data_in_a_memo():
    from qml.ir import Circuit
    from qml.sim.fusion import fused_program
    from qml.sim.program import compile_circuit

    # a circuit of its own: compiled programs are shared, and other tests fill their memos
    prog = compile_circuit(Circuit(2).add("H", 0).add("RY", 1, 0.3579).add("CNOT", (0, 1)))
    fp = fused_program(prog, 4)
    assert fused_program(prog, 4) is fp  # kept: the second call builds nothing
    assert prog.cache.owners() == {"fusion": 1}
    assert isinstance(fp.cache, Memo)
    assert "fusion" in repr(prog.cache)
