"""Result records of VQE, sweeps, ADAPT-VQE and state preparation, with a JSON round trip.

Every record is a dataclass of plain values (weights as lists of floats), so
``save(path)`` writes readable JSON and ``load(path)`` reads it back into an equal
record. Each file carries ``"kind"`` (``"vqe"``, ``"sweep"``, ``"adapt"``,
``"stateprep"``, and the kinds defined elsewhere: ``"excited"``, ``"experiment"``,
``"predict"``, ``"prediction"``, ``"design"``, ``"tune"``, ``"task-failure"``) and
``"format_version"``; :func:`load_result` dispatches on the kind, in a fresh process too
(it imports the module of a kind defined elsewhere on first use). Every ``--out`` file of a
``qml`` command that computes something is such a record; raw data exports (``qml jobs
results --out`` arrays, ``qml bench`` tables) are not, and :func:`load_result` says so.
Records carry the seeds and package versions that produced them.

Example:
    >>> import tempfile, os
    >>> r = VQEResult(energy=-1.0, history=[0.0, -1.0], best_weights=[0.1], exact_energy=-1.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "r.json")
    >>> _ = r.save(path)
    >>> VQEResult.load(path) == r
    True
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import torch

from qml.errors import ConfigError
from qml.ir import Circuit

FORMAT_VERSION = 1

T = TypeVar("T", bound="_Record")


def versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of Python, qml, torch and numpy (plus installed ``extra`` distributions).

    Example:
        >>> sorted(versions())
        ['numpy', 'python', 'qml', 'torch']
    """
    import importlib.metadata as md

    import numpy as np

    import qml

    out = {
        "python": platform.python_version(),
        "qml": qml.__version__,
        "torch": str(torch.__version__),
        "numpy": np.__version__,
    }
    for dist in extra:
        with contextlib.suppress(md.PackageNotFoundError):
            out[dist] = md.version(dist)
    return out


def _clean(value: Any) -> Any:
    """JSON-safe copy: tensors and NumPy values to Python lists and numbers."""
    if isinstance(value, torch.Tensor):
        return _clean(value.detach().cpu().tolist())
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _clean(value.tolist())
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _relative(energy: float, exact: float | None) -> tuple[float | None, float | None]:
    if exact is None:
        return None, None
    err = abs(energy - exact)
    return err, err / abs(exact) if exact != 0 else err


_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "float": (int, float),
    "int": (int,),
    "str": (str,),
    "bool": (bool,),
    "None": (type(None),),
}


def _check_type(kind: str, name: str, value: Any, annotation: str) -> None:
    """Refuse a field whose JSON value does not have its declared type (``energy: "abc"``)."""
    allowed: list[type] = []
    for part in (a.strip() for a in annotation.split("|")):
        base = part.split("[", 1)[0]
        if base in _SIMPLE_TYPES:
            allowed.extend(_SIMPLE_TYPES[base])
        elif base in ("list", "tuple"):
            allowed.append(list)
        elif base == "dict":
            allowed.append(dict)
        else:
            return  # Any, records, ...: checked by their own classes
    ok = isinstance(value, tuple(allowed)) and not (isinstance(value, bool) and bool not in allowed)
    if not ok:
        got = f"{type(value).__name__} {value!r:.60}"
        raise ConfigError(f"field {name!r} of a {kind} result must be {annotation}, got {got}")


@dataclass
class _Record:
    kind: ClassVar[str] = "record"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form with ``kind`` and ``format_version``."""
        d = {"kind": self.kind, "format_version": FORMAT_VERSION}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, _Record):
                d[f.name] = v.to_dict()
            elif isinstance(v, list) and v and isinstance(v[0], _Record):
                d[f.name] = [x.to_dict() for x in v]
            else:
                d[f.name] = _clean(v)
        return d

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Inverse of :meth:`to_dict`; unknown keys are refused with the valid ones listed."""
        if not isinstance(data, dict):
            raise ConfigError(f"a {cls.kind} result must be a JSON object, got {type(data).__name__}")
        if data.get("kind") != cls.kind:
            what = _not_a_record(data) or f"got kind={data.get('kind')!r}"
            raise ConfigError(f"expected a {cls.kind!r} result: {what}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names - {"kind", "format_version"})
        if unknown:
            raise ConfigError(
                f"unknown fields {unknown} in a {cls.kind} result; valid fields: {sorted(names)}"
            )
        for f in dataclasses.fields(cls):
            if f.name in data:
                _check_type(cls.kind, f.name, data[f.name], str(f.type))
        return cls(**cls._decode({k: v for k, v in data.items() if k in names}))

    @classmethod
    def _decode(cls, d: dict[str, Any]) -> dict[str, Any]:
        return d

    def save(self, path: str | Path) -> Path:
        """Write the record as JSON (parent directories are created); returns the path."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_dict(), indent=1))
        return p

    @classmethod
    def load(cls: type[T], path: str | Path) -> T:
        """Read a record written by :meth:`save`."""
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"no result file at {p}")
        return cls.from_dict(json.loads(p.read_text()))


class _EnergyRecord(_Record):
    """Shared behaviour of results with an energy, an exact reference, weights and a circuit."""

    if TYPE_CHECKING:  # the dataclass fields every subclass declares (not fields of this class)
        energy: float
        best_weights: list[float]
        exact_energy: float | None
        abs_error: float | None
        rel_error: float | None
        circuit: dict[str, Any] | None

    def __post_init__(self) -> None:
        if self.exact_energy is not None and self.abs_error is None:
            self.abs_error, self.rel_error = _relative(self.energy, self.exact_energy)

    @property
    def weights(self) -> torch.Tensor:
        """``best_weights`` as a float64 tensor (for warm starts)."""
        return torch.tensor(self.best_weights, dtype=torch.float64)

    def circuit_obj(self) -> Circuit | None:
        """The ansatz (or grown circuit) as a :class:`~qml.ir.Circuit` (``None`` if not stored)."""
        circuit = self.circuit
        return None if circuit is None else Circuit.from_dict(circuit)


@dataclass
class VQEResult(_EnergyRecord):
    """The outcome of one VQE run.

    Attributes:
        energy: Lowest energy found (exact expectation value at ``best_weights``).
        history: Energy of every evaluation in order.
        best_weights: The weights of ``energy``.
        exact_energy: Sector-resolved exact ground-state energy (``None`` if unknown).
        abs_error: ``|energy - exact_energy|``.
        rel_error: ``abs_error / |exact_energy|``.
        fidelity: Weight of the optimised state in the exact ground space.
        n_params: Number of trainable weights.
        n_wires: Number of qubits.
        problem: Problem label (``"tfim(n=8, h=1.0)"``).
        problem_name: Registry name, if any.
        problem_params: Parameters of the problem.
        ansatz: Ansatz name; ``layers``: its layers.
        optimizer: Optimiser name; ``settings``: its settings.
        seed: Seed of the reported run; ``seeds``: all seeds tried (restarts).
        init: How the weights were initialised (``"problem"``, ``"warm"``, a strategy...).
        n_evals: Circuit evaluations; ``n_iters``: optimiser iterations.
        converged: Whether a tolerance ended the run; ``message``: why it stopped.
        timings: Seconds (``total``, ``exact``, ``optimize``) and ``per_eval_ms``.
        versions: Package versions.
        energy_unit: ``"pauli"``, ``"spin"`` or ``"hartree"``.
        circuit: The ansatz as :meth:`qml.ir.Circuit.to_dict` data.
        sector: Label of the ground level's symmetry sector(s), e.g. ``"Sz = 0"``.
        reachable: Whether the ansatz's conserved quantities allow the ground space
            (``None``: not checked, no reference state).
        reachability: Why not (or a one-line summary of the check).
        extra: Anything else (e.g. ``hf_energy``, the exact method, ``conserved``,
            ``depth_history`` of ``layers="auto"``).

    Example:
        >>> r = VQEResult(energy=-0.99, history=[-0.99], best_weights=[0.0], exact_energy=-1.0)
        >>> round(r.rel_error, 6), r.weights.tolist()
        (0.01, [0.0])
    """

    kind: ClassVar[str] = "vqe"

    energy: float = 0.0
    history: list[float] = field(default_factory=list)
    best_weights: list[float] = field(default_factory=list)
    exact_energy: float | None = None
    abs_error: float | None = None
    rel_error: float | None = None
    fidelity: float | None = None
    n_params: int = 0
    n_wires: int = 0
    problem: str = ""
    problem_name: str | None = None
    problem_params: dict[str, Any] = field(default_factory=dict)
    ansatz: str = ""
    layers: int | None = None
    optimizer: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    seeds: list[int] = field(default_factory=list)
    init: str = ""
    n_evals: int = 0
    n_iters: int = 0
    converged: bool = False
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    energy_unit: str = ""
    circuit: dict[str, Any] | None = None
    sector: str | None = None
    reachable: bool | None = None
    reachability: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The headline numbers, for tables.

        Example:
            >>> VQEResult(energy=-1.0, exact_energy=-1.0).summary()["rel_error"]
            0.0
        """
        return {
            "problem": self.problem,
            "ansatz": f"{self.ansatz}" + (f" x{self.layers}" if self.layers else ""),
            "optimizer": self.optimizer,
            "n_params": self.n_params,
            "energy": self.energy,
            "exact": self.exact_energy,
            "abs_error": self.abs_error,
            "rel_error": self.rel_error,
            "fidelity": self.fidelity,
            "n_evals": self.n_evals,
            "seconds": self.timings.get("total"),
        }


@dataclass
class SweepResult(_Record):
    """VQE along a parameter path (e.g. a bond-dissociation curve), one :class:`VQEResult` per value.

    Attributes:
        param: The swept parameter's name.
        values: The parameter values, in the order run.
        results: One VQE result per value.
        continuation: Whether each point started from the previous optimum.
        timings: ``{"total": seconds}``.
        versions: Package versions.

    Example:
        >>> s = SweepResult("h", [0.5, 1.0], [VQEResult(energy=-1.0, exact_energy=-1.0)] * 2)
        >>> s.energies, s.max_abs_error
        ([-1.0, -1.0], 0.0)
    """

    kind: ClassVar[str] = "sweep"

    param: str = "value"
    values: list[float] = field(default_factory=list)
    results: list[VQEResult] = field(default_factory=list)
    continuation: bool = True
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def _decode(cls, d: dict[str, Any]) -> dict[str, Any]:
        d = dict(d)
        d["results"] = [VQEResult.from_dict(r) for r in d.get("results", [])]
        return d

    @property
    def energies(self) -> list[float]:
        """VQE energies per value."""
        return [r.energy for r in self.results]

    @property
    def exact_energies(self) -> list[float | None]:
        """Exact energies per value."""
        return [r.exact_energy for r in self.results]

    @property
    def max_abs_error(self) -> float | None:
        """Largest ``|E - E_exact|`` along the path (``None`` without references)."""
        errs = [r.abs_error for r in self.results if r.abs_error is not None]
        return max(errs) if errs else None

    @property
    def min_fidelity(self) -> float | None:
        """Smallest fidelity along the path."""
        fids = [r.fidelity for r in self.results if r.fidelity is not None]
        return min(fids) if fids else None

    @property
    def max_rel_error(self) -> float | None:
        """Largest relative error along the path."""
        errs = [r.rel_error for r in self.results if r.rel_error is not None]
        return max(errs) if errs else None


@dataclass
class AdaptResult(_EnergyRecord):
    """The outcome of ADAPT-VQE.

    Attributes:
        energy: Final energy; ``exact_energy``, ``abs_error``, ``rel_error``, ``fidelity`` as in VQE.
        energies: Energy after each growth step (index 0: the reference state).
        gradient_norms: Pool-gradient norm at each step (before choosing).
        max_gradients: Largest pool gradient at each step.
        selected: Names of the chosen pool operators, in order.
        selected_indices: Their pool indices.
        best_weights: Final weights (one per selected operator).
        n_params: Number of parameters of the grown circuit.
        circuit: The grown circuit (:meth:`qml.ir.Circuit.to_dict`).
        converged: True if the gradient norm fell below ``grad_tol``.
        message: Why it stopped.
        step_sizes: Operators appended at each growth step (1 each, several with TETRIS).
        step_weights: Weights after each growth step (the circuit after step ``s`` is the
            reference plus the first ``sum(step_sizes[:s + 1])`` selected operators).
        problem, pool, optimizer, settings, seed, timings, versions, energy_unit, n_evals: as in VQE.

    Example:
        >>> AdaptResult(energy=-1.0, exact_energy=-1.0, selected=["double(0, 1, 2, 3)"]).abs_error
        0.0
    """

    kind: ClassVar[str] = "adapt"

    energy: float = 0.0
    exact_energy: float | None = None
    abs_error: float | None = None
    rel_error: float | None = None
    fidelity: float | None = None
    energies: list[float] = field(default_factory=list)
    gradient_norms: list[float] = field(default_factory=list)
    max_gradients: list[float] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)
    selected_indices: list[int] = field(default_factory=list)
    best_weights: list[float] = field(default_factory=list)
    n_params: int = 0
    n_wires: int = 0
    circuit: dict[str, Any] | None = None
    converged: bool = False
    message: str = ""
    problem: str = ""
    problem_name: str | None = None
    problem_params: dict[str, Any] = field(default_factory=dict)
    pool: str = ""
    pool_size: int = 0
    optimizer: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    n_evals: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    energy_unit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    step_sizes: list[int] = field(default_factory=list)
    step_weights: list[list[float]] = field(default_factory=list)


@dataclass
class StatePrepResult(_Record):
    """The outcome of :func:`qml.optimize.prepare_state`.

    Attributes:
        fidelity: ``|<target|psi>|^2`` at ``best_weights``.
        cost: Final cost (``1 - fidelity`` for the global cost, the local cost otherwise).
        history: Cost of every evaluation.
        best_weights: Optimised weights.
        local_cost: Whether the local cost was used.
        n_params, n_wires, optimizer, settings, seed, n_evals, timings, versions: as in VQE.

    Example:
        >>> StatePrepResult(fidelity=0.99, cost=0.01).infidelity
        0.01
    """

    kind: ClassVar[str] = "stateprep"

    fidelity: float = 0.0
    cost: float = 0.0
    history: list[float] = field(default_factory=list)
    best_weights: list[float] = field(default_factory=list)
    local_cost: bool = False
    n_params: int = 0
    n_wires: int = 0
    optimizer: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    n_evals: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def infidelity(self) -> float:
        """``1 - fidelity``."""
        return round(1.0 - self.fidelity, 15)

    @property
    def weights(self) -> torch.Tensor:
        """``best_weights`` as a float64 tensor."""
        return torch.tensor(self.best_weights, dtype=torch.float64)


_KINDS: dict[str, type[_Record]] = {c.kind: c for c in (VQEResult, SweepResult, AdaptResult, StatePrepResult)}


def register_kind(cls: type[_Record]) -> type[_Record]:
    """Make :func:`load_result` read records of ``cls.kind`` (for result classes defined elsewhere).

    Example:
        >>> register_kind(VQEResult).kind
        'vqe'
    """
    _KINDS.setdefault(cls.kind, cls)
    return cls


#: Result kinds defined outside this module: kind -> the module that defines (and registers) it.
_LAZY_KINDS: dict[str, str] = {
    "excited": "qml.optimize.excited",
    "prediction": "qml.models.family_prediction",
    "predict": "qml.predict",
    "design": "qml.design.result",
    "experiment": "qml.experiment",
    "tune": "qml.parallel.tune",
    "task-failure": "qml.parallel.tasks",
}

#: JSON files of the package that are not result records (their ``"format"``), and what to do instead.
_NOT_RECORDS: dict[str, str] = {
    "qml-predict": (
        "a qml predict result of an older version (format 'qml-predict', before results were "
        "'predict' records); rerun the qml predict (or qml run) command with --out to write one"
    ),
    "qml-circuit": "a circuit, not a result; read it with qml.ir.Circuit.from_json",
    "qml-conditional-evaluation": (
        "an evaluation of a conditional model, not a result file; read it with "
        "qml.models.evaluate.EvaluationResult.load"
    ),
}


def _not_a_record(data: dict[str, Any]) -> str | None:
    """What a JSON object without a result ``kind`` is and what to do with it (``None``: it has a kind)."""
    if "kind" in data:
        return None
    fmt = data.get("format")
    if isinstance(fmt, str) and fmt in _NOT_RECORDS:
        return f"this is {_NOT_RECORDS[fmt]}"
    return (
        "it has no 'kind' field, so it is not a result record written by a qml command's --out "
        "(raw data exports such as the arrays of 'qml jobs results --out' and the tables of "
        "'qml bench --out' are read with json, numpy or csv instead)"
    )


def _record_class(kind: Any, where: str) -> type[_Record]:
    """The class of result ``kind`` (importing the module that defines it on first use)."""
    if isinstance(kind, str) and kind in _LAZY_KINDS and kind not in _KINDS:
        import importlib

        importlib.import_module(_LAZY_KINDS[kind])  # lazy: those modules import this one
    if not isinstance(kind, str) or kind not in _KINDS:
        valid = ", ".join(sorted(set(_KINDS) | set(_LAZY_KINDS)))
        raise ConfigError(f"{where} is not a qml result: kind={kind!r}; valid kinds: {valid}")
    return _KINDS[kind]


def record_from_dict(data: Any, where: str = "the data") -> _Record:
    """The result record of a plain dict (the ``kind`` field picks the class), as :func:`load_result`.

    Args:
        data: The dict form (:meth:`to_dict` of any record).
        where: What the data is, for error messages (a file name).

    Raises:
        ConfigError: For anything but a result record's dict, saying what it is and what to do.

    Example:
        >>> record_from_dict(VQEResult(energy=-1.0).to_dict()).energy
        -1.0
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"{where} is not a qml result file: expected a JSON object, got {type(data).__name__}"
        )
    what = _not_a_record(data)
    if what is not None:
        raise ConfigError(f"{where} is not a qml result file: {what}")
    return _record_class(data["kind"], where).from_dict(data)


def load_result(path: str | Path) -> _Record:
    """Load any result file (the ``kind`` field picks the class).

    Every ``--out`` file of a computation is a record: ``qml vqe`` (``vqe``; ``excited`` with
    ``--states``), ``qml run`` (``experiment``, holding the method's record), ``qml predict``
    (``predict`` for the presets, ``prediction`` with ``--vary``), ``qml design`` (``design``),
    ``qml tune`` (``tune``) and each file of a ``qml sweep --out`` directory (``vqe``, or
    ``task-failure`` for a failed task). Anything else is refused with what it is and what to do.

    Raises:
        ConfigError: For a missing file, a file that is not JSON or not a result record.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "s.json")
        >>> SweepResult("h", [1.0], [VQEResult(energy=-2.0)]).save(p).name
        's.json'
        >>> type(load_result(p)).__name__
        'SweepResult'
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"no result file at {p}")
    try:
        data = json.loads(p.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(
            f"{p} is not a qml result file: not valid JSON ({err}); result records are the JSON files "
            "that qml vqe, run, predict, design, tune and sweep write with --out"
        ) from None
    return record_from_dict(data, str(p))


__all__ = [
    "FORMAT_VERSION",
    "AdaptResult",
    "StatePrepResult",
    "SweepResult",
    "VQEResult",
    "load_result",
    "record_from_dict",
    "register_kind",
    "versions",
]
