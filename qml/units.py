"""Axis labels with units for every plot: energies in the problem's unit, bond lengths in Angstrom.

Molecules are in Hartree (``"hartree"`` -> ``Ha``) with bond lengths in Angstrom; spin models in
Pauli units (``H`` written with Pauli matrices) or spin units (``S = sigma / 2``), the problem's
``energy_unit``. Couplings and fields of spin models are in units of ``J`` and keep their names.

Example:
    >>> energy_label("hartree"), param_label("bond_length"), energy_label("spin", "|E - E0|")
    ('energy (Ha)', 'bond length (Å)', '|E - E0| (spin units)')
"""

from __future__ import annotations

from typing import Any

#: ``energy_unit`` of a problem -> the unit written on axes.
ENERGY_UNITS: dict[str, str] = {"hartree": "Ha", "pauli": "Pauli units", "spin": "spin units"}

#: Problem parameters with a physical unit -> (axis name, unit).
PARAM_UNITS: dict[str, tuple[str, str]] = {"bond_length": ("bond length", "Å")}


def energy_label(energy_unit: str | None, quantity: str = "energy") -> str:
    """``"energy (Ha)"``: ``quantity`` with the unit of ``energy_unit`` (the bare quantity when unknown).

    Example:
        >>> energy_label("pauli"), energy_label(""), energy_label("eV", "gap")
        ('energy (Pauli units)', 'energy', 'gap (eV)')
    """
    if not energy_unit:
        return quantity
    return f"{quantity} ({ENERGY_UNITS.get(energy_unit, energy_unit)})"


def param_label(name: str) -> str:
    """The axis label of a problem parameter: ``"bond length (Å)"``; other names as they are.

    Example:
        >>> param_label("bond_length"), param_label("h")
        ('bond length (Å)', 'h')
    """
    if name in PARAM_UNITS:
        what, unit = PARAM_UNITS[name]
        return f"{what} ({unit})"
    return name


def energy_unit_of(problem: str, params: dict[str, Any] | None = None) -> str:
    """The ``energy_unit`` of a registry problem, read from its parameters without building it.

    Spin models: their ``units`` parameter (or its default); molecules (a ``bond_length``,
    ``geometry`` or active-space parameter): ``"hartree"``; anything else: ``""``.

    Example:
        >>> energy_unit_of("h2"), energy_unit_of("xxz"), energy_unit_of("xxz", {"units": "pauli"})
        ('hartree', 'spin', 'pauli')
    """
    from qml.problems.registry import PROBLEMS

    spec = PROBLEMS.get(problem)
    if spec is None:
        return ""
    if "units" in spec.defaults:
        return str((params or {}).get("units") or spec.defaults["units"])
    return "hartree" if {"bond_length", "geometry", "active_electrons"} & set(spec.defaults) else ""


__all__ = ["ENERGY_UNITS", "PARAM_UNITS", "energy_label", "energy_unit_of", "param_label"]
