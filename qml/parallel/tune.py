"""Hyper-parameter search with Optuna: each trial a VQE task, run on an executor's workers.

:func:`parse_space` reads a search space from ``NAME=...`` strings; :func:`tune` runs an
Optuna study over it with the ask-and-tell interface: this process asks the sampler
(TPE) for trials, turns each into a :class:`~qml.parallel.tasks.TaskSpec`, runs the pure
:func:`~qml.parallel.tasks.run_task` on the executor (serial, a local Dask cluster, a
scheduler...) and tells the sampler each value the moment it arrives, asking new trials so
that the workers stay busy until ``n_trials`` minus the complete trials already stored have
run (failed ones are not retried in the same call; a rerun tops the study up).

* The objective is ``"rel_error"`` (against the problem's exact ground energy) or
  ``"energy"``; the study minimises it.
* The study lives in ``storage``: ``None`` (memory), a ``.db`` file or ``sqlite:///`` URL
  (SQLAlchemy), or any other path: an Optuna journal file. A rerun with the same storage and
  study name continues it: ``n_trials`` is the total wanted, so only the missing ones run.
* A trial whose task raises is recorded as failed (with its error) and the study goes on.
  A trial whose task spec equals that of a finished trial (a small discrete space) reuses
  its value: tasks are pure, so computing it again would give the same number.
* Ctrl-C: the trials told so far are in the storage; the ones in flight are marked failed
  ("interrupted") and the ``KeyboardInterrupt`` propagates.

Optuna is the optional extra ``qml-circuits[tune]``, imported only when a study runs.

Example:
    >>> space = parse_space(["layers=1:2:int"])
    >>> r = tune("tfim", {"n": 4, "h": 1.0}, space, n_trials=2, base={"steps": 20})
    >>> r.n_trials, r.n_failed, list(r.best_params)
    (2, 0, ['layers'])
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from qml.errors import ConfigError, MissingExtraError
from qml.optimize.results import _Record, register_kind
from qml.parallel.executors import Executor, SerialExecutor
from qml.parallel.tasks import TaskSpec, run_task

log = logging.getLogger(__name__)

#: Objectives of :func:`tune` (both minimised).
OBJECTIVES: tuple[str, ...] = ("rel_error", "energy")

#: Search-space names that are :class:`~qml.parallel.tasks.TaskSpec` fields; any other name is
#: an option of :func:`qml.optimize.vqe` and goes into ``TaskSpec.settings``.
TASK_FIELDS: tuple[str, ...] = ("ansatz", "layers", "optimizer", "steps")

#: Options of :func:`qml.optimize.vqe` a search space (or ``base``) may hold; they go into
#: ``TaskSpec.settings``. The rest (``callback``, ``simulator``, ``executor``...) the task sets.
SETTINGS: tuple[str, ...] = ("lr", "tol", "restarts", "shots", "init")

#: Names whose values must be integers, and names that only take a list of choices.
_INTEGER = frozenset({"steps", "restarts", "shots"})
_CATEGORICAL = frozenset({"optimizer", "ansatz", "init"})

_FORMS = (
    "expected NAME=LO:HI:int (integers), NAME=LO:HI (floats), NAME=LO:HI:log (floats on a log scale) "
    "or NAME=A,B,C (choices), e.g. layers=1:6:int, lr=1e-3:1:log, optimizer=adam,lbfgs"
)


def _missing_optuna() -> MissingExtraError:
    return MissingExtraError("optuna", "tune", "hyper-parameter search", "Optuna")


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise _missing_optuna() from None
    return optuna


def _searchable() -> list[str]:
    """Names a search space may hold: task fields, then options of ``vqe``."""
    return [*TASK_FIELDS, *SETTINGS]


def _check_name(name: str, valid: Sequence[str], what: str) -> None:
    if name not in valid:
        raise ConfigError(
            f"{what} {name!r}: not a searchable name; valid: {', '.join(valid)} "
            "(problem parameters are fixed with --param; the VQE seed with --seed)"
        )


def _check_dimension(name: str, dim: Any, text: str) -> tuple[Any, ...]:
    """Validate (and normalise) one dimension of a space; ``text`` is what the user wrote."""
    from qml.optimize.optimizers import OPTIMIZERS

    kind = dim[0] if isinstance(dim, tuple | list) and dim else None
    if kind == "int":
        _, lo, hi = dim
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)) or lo > hi:
            raise ConfigError(f"space {text!r}: integer bounds need LO <= HI, e.g. {name}=1:6:int")
        if (name in _INTEGER or name == "layers") and lo < 1:
            raise ConfigError(f"space {text!r}: {name} starts at 1, e.g. {name}=1:{max(hi, 2)}:int")
        return ("int", lo, hi)
    if kind == "float":
        _, lo, hi, use_log = dim
        if name in _INTEGER or name == "layers":
            raise ConfigError(f"space {text!r}: {name} takes integers, e.g. {name}={int(lo)}:{int(hi)}:int")
        lo, hi = float(lo), float(hi)
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise ConfigError(f"space {text!r}: float bounds need finite LO <= HI, e.g. lr=0.01:0.5")
        if use_log and lo <= 0:
            raise ConfigError(f"space {text!r}: a log scale needs LO > 0, e.g. lr=1e-3:1:log")
        return ("float", lo, hi, bool(use_log))
    if kind == "categorical":
        choices = list(dim[1])
        if not choices:
            raise ConfigError(f"space {text!r}: no choices; {_FORMS}")
        for c in choices:
            if c is not None and not isinstance(c, bool | int | float | str):
                raise ConfigError(f"space {text!r}: choice {c!r} is not a number, string, bool or None")
        if len(set(map(repr, choices))) != len(choices):
            raise ConfigError(f"space {text!r}: repeated choices")
        if name == "optimizer":
            bad = [c for c in choices if c not in OPTIMIZERS]
            if bad:
                raise ConfigError(
                    f"space {text!r}: unknown optimizer {bad[0]!r}; valid: {', '.join(OPTIMIZERS)}"
                )
        return ("categorical", choices)
    raise ConfigError(
        f"space {text!r}: expected ('int', lo, hi), ('float', lo, hi, log) or ('categorical', [choices])"
    )


def parse_space(items: Sequence[str]) -> dict[str, Any]:
    """A search space from ``NAME=...`` strings.

    Forms: ``NAME=LO:HI:int`` (integers, ends included), ``NAME=LO:HI`` or ``NAME=LO:HI:float``
    (floats), ``NAME=LO:HI:log`` (floats on a log scale), ``NAME=A,B,C`` (choices; numbers
    and ``true``/``false`` are parsed, e.g. ``layers=2,4,auto``). Names are
    :data:`TASK_FIELDS` (``layers``, ``steps``, ``optimizer``, ``ansatz``) or :data:`SETTINGS`,
    options of :func:`qml.optimize.vqe` (``lr``, ``tol``, ``restarts``, ``shots``, ``init``)
    that go into ``TaskSpec.settings``.

    Args:
        items: The strings, one dimension each.

    Returns:
        ``{name: ("int", lo, hi) | ("float", lo, hi, log) | ("categorical", [choices])}``.

    Raises:
        ValueError: Naming the item, what was wrong, the expected form and an example.

    Example:
        >>> space = parse_space(["layers=1:6:int", "lr=1e-3:1:log", "optimizer=adam,lbfgs"])
        >>> space["layers"], space["lr"], space["optimizer"]
        (('int', 1, 6), ('float', 0.001, 1.0, True), ('categorical', ['adam', 'lbfgs']))
    """
    from qml.tables import parse_value

    if isinstance(items, str):
        items = [items]
    valid = _searchable()
    space: dict[str, Any] = {}
    for text in items:
        name, sep, spec = str(text).partition("=")
        name, spec = name.strip(), spec.strip()
        if not sep or not name or not spec:
            raise ConfigError(f"space {text!r}: {_FORMS}")
        _check_name(name, valid, "space")
        if name in space:
            raise ConfigError(f"space {text!r}: {name} is given twice; give each name once")
        if ":" in spec:
            parts = [p.strip() for p in spec.split(":")]
            if len(parts) == 2:
                parts.append("float")
            if len(parts) != 3 or parts[2] not in ("int", "float", "log"):
                raise ConfigError(f"space {text!r}: {_FORMS}")
            if name in _CATEGORICAL:
                raise ConfigError(f"space {text!r}: {name} takes a list of choices, e.g. {name}=A,B")
            lo, hi, kind = parts
            try:
                if kind == "int":
                    dim: tuple[Any, ...] = ("int", int(lo), int(hi))
                else:
                    dim = ("float", float(lo), float(hi), kind == "log")
            except ValueError:
                raise ConfigError(
                    f"space {text!r}: bounds {lo!r}, {hi!r} are not numbers; {_FORMS}"
                ) from None
        else:
            dim = ("categorical", [parse_value(c.strip()) for c in spec.split(",")])
            if any(c == "" for c in dim[1]):
                raise ConfigError(f"space {text!r}: an empty choice; {_FORMS}")
        space[name] = _check_dimension(name, dim, text)
    return space


def _normalise_space(space: dict[str, Any] | Sequence[str]) -> dict[str, Any]:
    if isinstance(space, str) or (isinstance(space, Sequence) and not isinstance(space, dict)):
        return parse_space(space)
    if not isinstance(space, dict) or not space:
        raise ConfigError("the search space is empty: give at least one dimension, e.g. layers=1:6:int")
    valid = _searchable()
    out = {}
    for name, dim in space.items():
        _check_name(name, valid, "space")
        out[name] = _check_dimension(name, tuple(dim) if isinstance(dim, list) else dim, f"{name}={dim}")
    return out


@dataclass
class TuneResult(_Record):
    """What :func:`tune` found: the best trial and every trial of the study.

    Attributes:
        best_params: Parameters of the best complete trial (``{}`` when none completed).
        best_value: Its objective value (``None`` when none completed).
        n_trials: Complete trials in the study (earlier runs included).
        n_failed: Failed trials in the study (earlier runs included; interrupted ones too).
        study_name: The study's name; ``storage``: where it lives (``None``: memory).
        objective: ``"rel_error"`` or ``"energy"``.
        trials: One ``{"number", "params", "value", "state", "seconds", "energy",
            "rel_error", "fidelity", "cached", "error"}`` per trial, in trial order.
        seed: The VQE seed of every trial (the sampler is seeded from it too).
        versions: Package versions (Python, qml, torch, numpy, optuna).
        n_new: Trials run by this call; ``n_found``: trials already in the storage.
        best_number: The best trial's number; ``best_spec``: its task (``TaskSpec.to_dict``),
            to rerun it with :func:`~qml.parallel.tasks.run_task`.
        problem, params: The problem and its fixed parameters.
        executor: Where the trials ran; ``seconds``: wall time of this call.

    Example:
        >>> TuneResult(best_params={"layers": 2}, best_value=0.0, n_trials=3).to_dict()["kind"]
        'tune'
    """

    best_params: dict[str, Any] = field(default_factory=dict)
    best_value: float | None = None
    n_trials: int = 0
    n_failed: int = 0
    study_name: str = "qml-tune"
    storage: str | None = None
    objective: str = "rel_error"
    trials: list[dict[str, Any]] = field(default_factory=list)
    seed: int = 0
    versions: dict[str, str] = field(default_factory=dict)
    n_new: int = 0
    n_found: int = 0
    best_number: int | None = None
    best_spec: dict[str, Any] | None = None
    problem: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    executor: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    kind: ClassVar[str] = "tune"

    def top(self, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` best complete trials, best first (ties: the earlier trial first).

        Example:
            >>> t = [{"number": 0, "value": 0.5, "state": "COMPLETE"}, {"number": 1, "value": 0.1,
            ...       "state": "COMPLETE"}, {"number": 2, "value": None, "state": "FAIL"}]
            >>> [r["number"] for r in TuneResult(trials=t).top()]
            [1, 0]
        """
        done = [t for t in self.trials if t.get("state") == "COMPLETE" and t.get("value") is not None]
        return sorted(done, key=lambda t: (t["value"], t["number"]))[:k]


register_kind(TuneResult)


def _storage(storage: str | Path | None) -> tuple[Any, str | None]:
    """The Optuna storage for ``storage`` and its description (path or URL)."""
    optuna = _optuna()
    if storage is None:
        return None, None
    text = str(storage)
    if "://" in text:
        url = text
    elif text.endswith(".db"):
        Path(text).parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(text).resolve()}"
    else:
        path = Path(text)
        if path.is_dir():
            raise ConfigError(f"storage {text!r} is a directory; give a file, e.g. {text}/study.log")
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(str(path))
        return optuna.storages.JournalStorage(backend), text
    try:
        return optuna.storages.RDBStorage(url), url
    except ImportError as err:
        raise ConfigError(
            f"storage {text!r} needs SQLAlchemy ({err}); pip install sqlalchemy, "
            "or use a journal file such as study.log"
        ) from None


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna's own INFO lines off while a study runs (this module logs its progress)."""
    optuna = _optuna()
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def _suggest(trial: Any, space: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, dim in space.items():
        if dim[0] == "int":
            out[name] = trial.suggest_int(name, dim[1], dim[2])
        elif dim[0] == "float":
            out[name] = trial.suggest_float(name, dim[1], dim[2], log=dim[3])
        else:
            out[name] = trial.suggest_categorical(name, dim[1])
    return out


def _spec(
    problem: str, params: dict[str, Any], base: dict[str, Any], chosen: dict[str, Any], seed: int
) -> TaskSpec:
    merged = {**base, **chosen}
    fields = {k: merged[k] for k in (*TASK_FIELDS, "dtype") if k in merged}
    settings = {k: v for k, v in merged.items() if k not in fields}
    return TaskSpec(problem, dict(params), seed=seed, settings=settings, **fields)


def _objective_value(result: dict[str, Any], objective: str, problem: str) -> float:
    if objective == "rel_error":
        if result.get("exact_energy") is None or result.get("rel_error") is None:
            raise ConfigError(
                f"objective 'rel_error' needs an exact reference energy and {problem!r} has none here "
                "(too large for exact diagonalisation?); use objective 'energy'"
            )
        value = float(result["rel_error"])
    else:
        value = float(result["energy"])
    if not math.isfinite(value):
        raise ConfigError(f"objective {objective!r} is {value} (the optimisation diverged?)")
    return value


def _record(t: Any) -> dict[str, Any]:
    """A study trial as a plain dict for :attr:`TuneResult.trials`."""
    res = t.user_attrs.get("result") or {}
    return {
        "number": t.number,
        "params": dict(t.params),
        "value": t.value if t.state.name == "COMPLETE" else None,
        "state": t.state.name,
        "seconds": res.get("seconds"),
        "energy": res.get("energy"),
        "rel_error": res.get("rel_error"),
        "fidelity": res.get("fidelity"),
        "cached": bool(t.user_attrs.get("cached", False)),
        "error": t.user_attrs.get("error"),
    }


def _summary(study: Any, **info: Any) -> TuneResult:
    from qml.optimize.results import versions

    trials = study.get_trials(deepcopy=False)
    records = [_record(t) for t in trials]
    result = TuneResult(
        n_trials=sum(r["state"] == "COMPLETE" for r in records),
        n_failed=sum(r["state"] == "FAIL" for r in records),
        study_name=study.study_name,
        trials=records,
        versions=versions(("optuna", "distributed")),
        **info,
    )
    done = [t for t in trials if t.state.name == "COMPLETE"]
    if done:
        best = min(done, key=lambda t: (t.value, t.number))
        result.best_params = dict(best.params)
        result.best_value = best.value
        result.best_number = best.number
        result.best_spec = best.user_attrs.get("task")
    return result


def _batch(executor: Executor) -> int:
    info = executor.describe()
    counts = [info.get("workers"), info.get("jobs", 0) * info.get("cores", 0)]
    return max(1, *(int(c) for c in counts if isinstance(c, int)))


def load_study_result(storage: str | Path, study_name: str = "qml-tune") -> TuneResult:
    """The state of a stored study (the same summary :func:`tune` returns, nothing run).

    Raises:
        ValueError: When the storage holds no study of that name (the ones it holds are listed).

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
        >>> _ = tune("tfim", {"n": 4}, ["layers=1:2:int"], n_trials=1, storage=path, base={"steps": 20})
        >>> load_study_result(path).n_trials
        1
    """
    optuna = _optuna()
    store, where = _storage(storage)
    with _quiet_optuna():
        names = optuna.get_all_study_names(store)
        if study_name not in names:
            raise ConfigError(
                f"no study {study_name!r} in {where}; it holds: {', '.join(names) or 'nothing'}"
            )
        study = optuna.load_study(study_name=study_name, storage=store)
    attrs = study.user_attrs.get("qml_tune", {})
    return _summary(
        study,
        storage=where,
        objective=attrs.get("objective", "rel_error"),
        seed=attrs.get("seed", 0),
        problem=attrs.get("problem", ""),
        params=attrs.get("params", {}),
    )


def tune(
    problem: str,
    params: dict[str, Any],
    space: dict[str, Any] | Sequence[str],
    *,
    n_trials: int = 20,
    objective: str = "rel_error",
    storage: str | Path | None = None,
    study_name: str = "qml-tune",
    seed: int = 0,
    executor: Executor | None = None,
    batch: int | None = None,
    base: dict[str, Any] | None = None,
    sampler: Any = None,
    progress: Callable[[dict[str, Any]], Any] | None = None,
) -> TuneResult:
    """Search ``space`` for the VQE settings that minimise ``objective`` on one problem.

    Args:
        problem: Registry problem name; ``params``: its fixed parameters (``{"n": 6, "h": 1.0}``).
        space: From :func:`parse_space` (or the strings it reads).
        n_trials: Complete trials the study should hold: a study resumed from ``storage``
            runs only the missing ones (0: just report what is stored). Failed trials do not
            count, and are not retried in the same call; a rerun tops the study up.
        objective: ``"rel_error"`` (needs an exact reference) or ``"energy"``; minimised.
        storage: ``None`` (memory), ``x.db`` / ``sqlite:///...`` (SQLAlchemy), or any other
            path: an Optuna journal file (created when missing).
        study_name: The study in the storage (created, or continued when it exists).
        seed: The VQE seed of every trial. The TPE sampler is seeded with ``seed`` plus the
            number of trials already stored, so a fresh study is reproducible and a resumed
            one does not repeat the points it already tried.
        executor: Where tasks run (default: serial, in this process); not closed here.
        batch: Trials in flight at once (default: the executor's workers, 1 for serial).
        base: Settings of every trial that the space does not set: task fields
            (``layers``, ``steps``, ``optimizer``, ``ansatz``, ``dtype``) and ``vqe``
            options (``lr``, ``tol``...).
        sampler: An Optuna sampler instead of ``TPESampler(seed=...)``.
        progress: Called after each trial with ``{"done", "failed", "running", "total",
            "complete", "best_value", "best_params", "elapsed", "eta", "trial"}`` (counts of
            this call; ``complete``: complete trials in the study; ``trial``: the trial's record),
            and once at the start (``trial`` ``None``).

    Returns:
        A :class:`TuneResult` over the whole study, with ``n_new`` (run now) and ``n_found``.

    Raises:
        ValueError: For a bad problem, parameter, space, objective or storage; a study in the
            storage that was started for another problem, objective or base settings; or
            Optuna not installed.
        KeyboardInterrupt: On Ctrl-C, once the trials in flight are marked failed; the
            trials told before are in the storage.

    Example:
        >>> r = tune("tfim", {"n": 4, "h": 1.0}, {"layers": ("int", 1, 2)}, n_trials=2,
        ...          base={"steps": 20})
        >>> r.n_new, len(r.trials), r.best_spec["problem"]
        (2, 2, 'tfim')
    """
    from qml.problems.registry import check_param_names

    optuna = _optuna()
    params = dict(params or {})
    check_param_names(problem, ("fixed", params))
    if objective not in OBJECTIVES:
        raise ConfigError(f"unknown objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
        raise ConfigError(f"n_trials must be an integer >= 0, got {n_trials!r}")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        raise ConfigError(f"batch must be an integer >= 1, got {batch!r}")
    space = _normalise_space(space)
    base = dict(base or {})
    valid_base = [*_searchable(), "dtype"]
    for key in base:
        _check_name(key, valid_base, "base setting")
    if base.get("optimizer") is not None:
        _check_dimension("optimizer", ("categorical", [base["optimizer"]]), f"optimizer={base['optimizer']}")

    ex = executor or SerialExecutor()
    in_flight_max = batch or _batch(ex)
    store, where = _storage(storage)
    t0 = time.perf_counter()
    # What a stored study must agree on to be continued (base as the task it implies: defaults filled in).
    plain = _spec(problem, params, base, {}, seed)
    implied = {k: getattr(plain, k) for k in (*TASK_FIELDS, "dtype")} | plain.settings
    identity = json.loads(
        json.dumps(
            {"problem": problem, "params": params, "objective": objective, "base": implied, "seed": seed},
            default=str,
        )
    )
    if store is None:
        store = optuna.storages.InMemoryStorage()
    with _quiet_optuna():
        probe = optuna.create_study(
            storage=store, study_name=study_name, load_if_exists=True, direction="minimize"
        )
        found = probe.get_trials(deepcopy=False)
        if sampler is None:
            sampler = optuna.samplers.TPESampler(seed=seed + len(found))
        study = optuna.load_study(study_name=study_name, storage=store, sampler=sampler)
    if study.direction.name != "MINIMIZE":
        raise ConfigError(f"study {study_name!r} in {where} maximises; use another study name")
    stored = study.user_attrs.get("qml_tune")
    if stored is None:
        study.set_user_attr("qml_tune", {**identity, "space": json.loads(json.dumps(space))})
    else:
        differ = [k for k in identity if stored.get(k) != identity[k]]
        if differ:
            what = "; ".join(f"{k}: stored {stored.get(k)!r}, now {identity[k]!r}" for k in differ)
            raise ConfigError(
                f"study {study_name!r} in {where} was started with other settings ({what}); "
                "use another study name or storage, or the same settings to continue it"
            )
    # Finished tasks by key: a trial that repeats a spec reuses the value (tasks are pure).
    known: dict[str, Any] = {}
    for t in found:
        task_key = (t.user_attrs.get("result") or {}).get("task_key")
        if t.state.name == "COMPLETE" and task_key:
            known.setdefault(task_key, t)
    complete = sum(t.state.name == "COMPLETE" for t in found)
    n_new = max(0, n_trials - complete)
    log.info(
        "tune %s: %d trials stored (%d complete), %d to run on %s, %d at a time",
        study_name,
        len(found),
        complete,
        n_new,
        ex.describe().get("kind"),
        in_flight_max,
    )
    counts = {"done": 0, "failed": 0, "launched": 0}
    best: dict[str, Any] = {"value": None, "params": {}}
    with contextlib.suppress(ValueError):
        best.update(value=study.best_value, params=study.best_params)

    def ask() -> tuple[Any, TaskSpec]:
        trial = study.ask()
        counts["launched"] += 1
        try:
            chosen = _suggest(trial, space)
        except ValueError as err:
            trial.set_user_attr("error", f"search space mismatch: {err}")
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            raise ConfigError(
                f"the search space does not fit study {study_name!r} in {where} ({err}); "
                "use the space it was started with, or another study name"
            ) from None
        return trial, _spec(problem, params, base, chosen, seed)

    def tick(record: dict[str, Any] | None) -> None:
        if progress is None:
            return
        finished = counts["done"] + counts["failed"]
        elapsed = time.perf_counter() - t0
        progress(
            {
                "done": counts["done"],
                "failed": counts["failed"],
                "running": counts["launched"] - finished,
                "total": n_new,
                "complete": complete + counts["done"],
                "best_value": best["value"],
                "best_params": dict(best["params"]),
                "elapsed": elapsed,
                "eta": elapsed / finished * (n_new - finished) if finished else None,
                "trial": record,
            }
        )

    def tell(
        trial: Any,
        spec: TaskSpec,
        result: dict[str, Any] | None,
        error: BaseException | None,
        wall: float,
        cached: bool = False,
    ) -> None:
        value = None
        if error is None and result is not None:
            try:
                value = _objective_value(result, objective, problem)
            except ValueError as err:
                error = err
        attrs: dict[str, Any] = {"task": spec.to_dict()}
        if error is None:
            assert result is not None  # a task without an error returned its result
            attrs["result"] = {
                "energy": result["energy"],
                "exact_energy": result.get("exact_energy"),
                "rel_error": result.get("rel_error"),
                "fidelity": result.get("fidelity"),
                "layers": result.get("layers"),
                "n_params": result.get("n_params"),
                "seconds": 0.0 if cached else (result.get("timings") or {}).get("total", wall),
                "task_key": spec.key(),
            }
            if cached:
                attrs["cached"] = True
        else:
            attrs["error"] = f"{type(error).__name__}: {error}"
        for k, v in attrs.items():
            trial.set_user_attr(k, v)
        if error is None:
            frozen = study.tell(trial, value)
            counts["done"] += 1
            known.setdefault(spec.key(), frozen)
            if best["value"] is None or value < best["value"]:
                best.update(value=value, params=dict(trial.params))
            log.info("trial %d %s: %s = %.6g", trial.number, trial.params, objective, value)
        else:
            frozen = study.tell(trial, state=optuna.trial.TrialState.FAIL)
            counts["failed"] += 1
            log.warning("trial %d %s failed: %s", trial.number, trial.params, attrs["error"])
        tick(_record(frozen))

    def next_trial() -> tuple[Any, TaskSpec] | None:
        """Ask for trials until one needs computing (repeats of finished specs are told at once)."""
        while counts["launched"] < n_new:
            trial, spec = ask()
            hit = known.get(spec.key())
            if hit is None:
                return trial, spec
            cached = {
                "energy": hit.user_attrs["result"]["energy"],
                "exact_energy": hit.user_attrs["result"]["exact_energy"],
                "rel_error": hit.user_attrs["result"]["rel_error"],
                "fidelity": hit.user_attrs["result"]["fidelity"],
                "layers": hit.user_attrs["result"]["layers"],
                "n_params": hit.user_attrs["result"]["n_params"],
            }
            tell(trial, spec, cached, None, 0.0, cached=True)
        return None

    flight: dict[Any, tuple[Any, TaskSpec, float]] = {}
    tick(None)
    try:
        if hasattr(ex, "client"):
            _run_dask(ex.client, flight, next_trial, tell, in_flight_max)
        else:
            while counts["launched"] < n_new:
                # A wave of trials (each in ``flight`` from the moment it is asked), told as they finish.
                while len(flight) < in_flight_max and (item := next_trial()) is not None:
                    flight[len(flight)] = (*item, time.perf_counter())
                if not flight:
                    break
                wave = [spec.to_dict() for _, spec, _ in flight.values()]
                # ``run_task`` is looked up here (not bound at import) so that tests can replace it.
                for i, result, error in ex.as_completed(run_task, wave):
                    trial, spec, started = flight.pop(i)
                    tell(trial, spec, result, error, time.perf_counter() - started)
    except BaseException as err:
        for trial, _, _ in flight.values():
            with contextlib.suppress(Exception):
                trial.set_user_attr("error", f"interrupted ({type(err).__name__})")
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
        raise
    return _summary(
        study,
        storage=where,
        objective=objective,
        seed=seed,
        n_new=counts["done"] + counts["failed"],
        n_found=len(found),
        problem=problem,
        params=params,
        executor=ex.describe(),
        seconds=time.perf_counter() - t0,
    )


def _run_dask(
    client: Any,
    flight: dict[Any, tuple[Any, TaskSpec, float]],
    next_trial: Callable[[], tuple[Any, TaskSpec] | None],
    tell: Callable[..., None],
    width: int,
) -> None:
    """Keep ``width`` tasks on the cluster: submit, tell each result as it lands, submit the next."""
    from distributed import as_completed

    queue = as_completed()
    submitted: list[Any] = []

    def fill() -> None:
        while len(flight) < width and (item := next_trial()) is not None:
            trial, spec = item
            fut = client.submit(run_task, spec.to_dict(), pure=False)
            flight[fut.key] = (trial, spec, time.perf_counter())
            submitted.append(fut)
            queue.add(fut)

    try:
        fill()
        for fut in queue:
            trial, spec, started = flight.pop(fut.key)
            result, error = None, None
            if fut.status == "error":
                error = fut.exception()
            elif fut.status == "cancelled":
                error = RuntimeError("task cancelled (did its worker or the scheduler go away?)")
            else:
                result = fut.result()
            tell(trial, spec, result, error, time.perf_counter() - started)
            fill()
    finally:
        with contextlib.suppress(Exception):
            client.cancel([f for f in submitted if not f.done()])


__all__ = ["OBJECTIVES", "SETTINGS", "TASK_FIELDS", "TuneResult", "load_study_result", "parse_space", "tune"]
