"""The package's errors: one base class for every error a user can fix.

An error derived from :class:`QMLError` means the input was wrong (a setting, a circuit, a
file, a missing optional dependency); its message says what was wrong, what was expected and
how to fix it. The ``qml`` command prints such an error as one line and exits with status 2.
Any other exception escaping the package is a bug: the command prints its traceback and says
so.

The classes also derive from the built-in exception a caller would expect (``ValueError``,
``ImportError``, ``MemoryError``, ``RuntimeError``), so ``except ValueError`` keeps working.

* :class:`ConfigError` (a ``ValueError``): a bad argument, setting, name or file content.
* :class:`ConfigTypeError` (a ``TypeError``): an argument or setting of the wrong type.
* :class:`CircuitError` (a ``ValueError``): an ill-formed circuit, gate or template.
* :class:`MissingExtraError` (a ``ModuleNotFoundError``): an optional dependency is not
  installed; the message names the extra that installs it.
* ``SimulationMemoryError`` (:mod:`qml.sim.memory`, a ``MemoryError``): a state that does not fit.
* ``IBMAccountError``, ``JobFailedError``, ``JobTimeoutError``, ``LedgerError``
  (:mod:`qml.backends`, ``RuntimeError``/``TimeoutError``): hardware account, job and ledger.

Example:
    >>> from qml.errors import ConfigError, QMLError
    >>> try:
    ...     raise ConfigError("steps must be >= 1, got 0")
    ... except ValueError as err:
    ...     isinstance(err, QMLError)
    True
    >>> str(MissingExtraError("quimb", "dmrg", "DMRG"))
    "DMRG needs quimb, which is not installed; install it with: pip install 'qml-circuits[dmrg]'"
"""

from __future__ import annotations


class QMLError(Exception):
    """Base of the errors a user can fix (bad input, not a bug in the package).

    Example:
        >>> issubclass(ConfigError, QMLError), issubclass(ValueError, QMLError)
        (True, False)
    """


class ConfigError(QMLError, ValueError):
    """A bad argument, setting, name or file content.

    Example:
        >>> isinstance(ConfigError("x"), ValueError)
        True
    """


class ConfigTypeError(QMLError, TypeError):
    """An argument or setting of the wrong type (a float where a wire index belongs, a dict for a list).

    Example:
        >>> isinstance(ConfigTypeError("x"), TypeError)
        True
    """


class CircuitError(QMLError, ValueError):
    """An ill-formed circuit: unknown gate, wrong wires or parameters, a template's bad sizes.

    Example:
        >>> isinstance(CircuitError("x"), ValueError)
        True
    """


class MissingExtraError(QMLError, ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra that installs it.

    Args:
        module: The missing module's import name (``"quimb"``; ``err.name``).
        extra: The ``qml-circuits`` extra that installs it (``"dmrg"``).
        what: What needs it (``"DMRG"``).
        package: How the message names it (default ``module``: ``"PySCF"`` for ``pyscf``).

    Example:
        >>> err = MissingExtraError("optuna", "tune", "hyper-parameter search", "Optuna")
        >>> err.name, err.extra, str(err).split(",")[0]
        ('optuna', 'tune', 'hyper-parameter search needs Optuna')
    """

    def __init__(self, module: str, extra: str, what: str, package: str | None = None) -> None:
        super().__init__(
            f"{what} needs {package or module}, which is not installed; "
            f"install it with: pip install 'qml-circuits[{extra}]'",
            name=module,
        )
        self.extra = extra
        self._args = (module, extra, what, package)

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str | None]]:
        return (type(self), self._args)  # pickles across processes (Dask workers)


class SecondDerivativeError(QMLError, NotImplementedError):
    """A backward pass that is not itself differentiable was asked for ``create_graph=True``.

    Example:
        >>> issubclass(SecondDerivativeError, NotImplementedError)
        True
    """


def refuse_second_order(setting: str, why: str, instead: str) -> None:
    """Raise :class:`SecondDerivativeError` when grad mode is on, which inside a backward pass
    means ``create_graph=True``.

    For the backward passes of custom ``torch.autograd.Function`` s whose gradient is not
    itself differentiable (``once_differentiable`` alone lets the second derivative miss
    their terms silently wherever the incoming gradients do not require grad).

    Args:
        setting: What the user chose (``"diff='adjoint'"``, ``"method='mps'"``).
        why: Why its gradient is not differentiable.
        instead: What gives second derivatives.

    Example:
        >>> import torch
        >>> with torch.no_grad():  # a backward pass without create_graph runs like this
        ...     refuse_second_order("diff='adjoint'", "its gradient is not", "diff='backprop'")
    """
    import torch

    if torch.is_grad_enabled():
        raise SecondDerivativeError(
            f"second derivatives (create_graph=True, hessians) are not available with {setting}: {why}; "
            f"use {instead} for them"
        )


__all__ = [
    "CircuitError",
    "ConfigError",
    "ConfigTypeError",
    "MissingExtraError",
    "QMLError",
    "SecondDerivativeError",
    "refuse_second_order",
]
