"""A plain, seeded torch training loop: :func:`fit` with early stopping and resumable checkpoints.

``fit`` trains any ``nn.Module`` (hybrid or purely classical) on tensors ``(X, y)`` or a
``torch.utils.data.Dataset`` with mini-batches shuffled by a private seeded generator, logs
progress, stops early when the monitored loss stops improving, and writes a checkpoint
(model, optimiser, generator state, history) after every epoch. Calling ``fit`` again with
the same checkpoint path resumes where it stopped: a run interrupted after epoch ``k`` and
resumed gives the same weights as an uninterrupted run.

Example:
    >>> import torch
    >>> from torch import nn
    >>> X = torch.linspace(-1, 1, 32, dtype=torch.float64).reshape(-1, 1)
    >>> model = nn.Linear(1, 1).double()
    >>> hist = fit(model, nn.MSELoss(), (X, 3 * X), epochs=60, lr=0.1, batch_size=8, seed=0)
    >>> hist.train_loss[-1] < 1e-3
    True
"""

from __future__ import annotations

import copy
import logging
import math
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qml.errors import ConfigError, ConfigTypeError
from qml.optimize.optimizers import torch_optimizer

log = logging.getLogger(__name__)

Tensor = torch.Tensor
DataLike = tuple[Tensor, ...] | list[Tensor] | torch.utils.data.Dataset
#: ``progress(epoch, logs)``; ``logs`` has ``train_loss``, ``val_loss``, ``val_metric``, ``seconds``,
#: ``epoch`` and ``epochs`` (the total).
Progress = Callable[[int, dict[str, Any]], Any]
#: Optimisers understood by :func:`fit`.
FIT_OPTIMIZERS: tuple[str, ...] = ("adam", "adamw", "sgd")
CHECKPOINT_FORMAT = "qml-fit-checkpoint"


def _versions() -> dict[str, str]:
    from qml.optimize.results import versions

    return versions()


@dataclass
class History:
    """What :func:`fit` returns: per-epoch losses, the best epoch and how the run ended.

    Attributes:
        train_loss: Mean training loss per epoch.
        val_loss: Mean validation loss per epoch (empty without validation data).
        val_metric: ``metric`` on the validation data per epoch (empty without a metric).
        best_epoch: Epoch (1-based) of the lowest monitored loss.
        best_loss: That loss (validation loss when there is validation data, else training).
        epochs_run: Epochs completed (including those of a resumed run).
        stopped_early: True when early stopping (or the progress callback) ended the run.
        resumed_from: The epoch the run was resumed after, or ``None``.
        seed: The seed of the shuffling generator.
        settings: ``lr``, ``batch_size``, ``optimizer``, ``patience``...
        seconds: Wall time of this call.
        versions: Package versions.

    Example:
        >>> History(train_loss=[1.0, 0.5]).epochs_run
        0
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_metric: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_loss: float | None = None
    epochs_run: int = 0
    stopped_early: bool = False
    resumed_from: int | None = None
    seed: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict (JSON-ready) form.

        Example:
            >>> History(seed=3).to_dict()["seed"]
            3
        """
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """Inverse of :meth:`to_dict`.

        Example:
            >>> History.from_dict(History(seed=2).to_dict()).seed
            2
        """
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"unknown History fields {unknown}; valid fields: {sorted(names)}")
        return cls(**data)


def accuracy(logits: Tensor, targets: Tensor) -> float:
    """Fraction of rows whose arg-max class equals the integer target.

    Example:
        >>> accuracy(torch.tensor([[2.0, 1.0], [0.0, 1.0]]), torch.tensor([0, 0]))
        0.5
    """
    if logits.dim() != 2 or targets.dim() != 1 or logits.shape[0] != targets.shape[0]:
        raise ConfigError(
            f"accuracy needs logits (B, C) and integer targets (B,), got {tuple(logits.shape)} and "
            f"{tuple(targets.shape)}"
        )
    return float((logits.argmax(dim=1) == targets).to(torch.float64).mean())


# -- data handling -----------------------------------------------------------------------------
class _Data:
    """Uniform access to ``(X, y, ...)`` tensors or a Dataset by a list of row indices."""

    def __init__(self, data: DataLike, what: str) -> None:
        if isinstance(data, (tuple, list)):
            tensors = [t if isinstance(t, Tensor) else torch.as_tensor(t) for t in data]
            if not tensors:
                raise ConfigError(f"{what} is empty; pass (X, y) tensors or a Dataset")
            n = tensors[0].shape[0] if tensors[0].dim() else 0
            if any(t.dim() == 0 or t.shape[0] != n for t in tensors):
                raise ConfigError(
                    f"{what} tensors must share their first (batch) dimension, got shapes "
                    f"{[tuple(t.shape) for t in tensors]}"
                )
            self.tensors: list[Tensor] | None = tensors
            self.dataset = None
            self.n = int(n)
        elif isinstance(data, torch.utils.data.Dataset):
            self.tensors = None
            self.dataset = data
            self.n = len(data)  # type: ignore[arg-type]
        else:
            raise ConfigTypeError(
                f"{what} must be a tuple (X, y) of tensors or a torch Dataset, got {type(data).__name__}"
            )
        if self.n == 0:
            raise ConfigError(f"{what} has no rows")

    def batch(self, idx: Tensor) -> list[Tensor]:
        if self.tensors is not None:
            return [t[idx] for t in self.tensors]
        items = [self.dataset[int(i)] for i in idx]  # type: ignore[index]
        out = torch.utils.data.default_collate(items)
        return list(out) if isinstance(out, (tuple, list)) else [out]


def _model_dtype(model: nn.Module) -> tuple[torch.dtype | None, torch.device | None]:
    for p in model.parameters():
        return p.dtype, p.device
    return None, None


def _prepare(batch: list[Tensor], dtype: torch.dtype | None, device: torch.device | None) -> list[Tensor]:
    out = []
    for t in batch:
        if dtype is not None and t.is_floating_point():
            t = t.to(dtype=dtype)
        if device is not None:
            t = t.to(device)
        out.append(t)
    return out


def _forward_loss(
    model: nn.Module, loss_fn: Callable[..., Tensor], batch: list[Tensor]
) -> tuple[Tensor, Tensor]:
    if len(batch) < 2:
        raise ConfigError("each batch needs inputs and targets: pass train_data=(X, y)")
    out = model(*batch[:-1])
    return loss_fn(out, batch[-1]), out


def _evaluate(
    model: nn.Module,
    loss_fn: Callable[..., Tensor],
    data: _Data,
    batch_size: int,
    metric: Callable[[Tensor, Tensor], float] | None,
) -> tuple[float, float | None]:
    dtype, device = _model_dtype(model)
    was_training = model.training
    model.eval()
    total, outs, targets = 0.0, [], []
    with torch.no_grad():
        for start in range(0, data.n, batch_size):
            idx = torch.arange(start, min(start + batch_size, data.n))
            batch = _prepare(data.batch(idx), dtype, device)
            loss, out = _forward_loss(model, loss_fn, batch)
            total += float(loss) * len(idx)
            if metric is not None:
                outs.append(out)
                targets.append(batch[-1])
    model.train(was_training)
    value = metric(torch.cat(outs), torch.cat(targets)) if metric is not None else None
    return total / data.n, value


def _save(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)  # atomic: a crash never leaves a half-written checkpoint


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`fit` (``model``, ``optimizer``, ``epoch``, ``history``...).

    The file is read with ``torch.load(weights_only=True)``: only tensors, numbers, strings
    and containers, so a tampered checkpoint cannot execute code.

    Raises:
        ValueError: If the file is missing, truncated, holds anything but plain data, or is
            not a :func:`fit` checkpoint.

    Example:
        >>> load_checkpoint("/nonexistent.pt")
        Traceback (most recent call last):
        ...
        qml.errors.ConfigError: no checkpoint at /nonexistent.pt
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"no checkpoint at {p}")
    try:
        # weights_only: tensors, numbers, strings and containers only; a tampered file cannot run code
        data = torch.load(p, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConfigError(
            f"{p} is not a readable qml fit checkpoint ({first[:200]}); it may be truncated or not written "
            "by qml.models.fit: delete it or pass resume=False"
        ) from None
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"{p} is not a qml fit checkpoint (expected format {CHECKPOINT_FORMAT!r})")
    return data


def _check_positive(name: str, value: Any, integer: bool) -> None:
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not value > 0:
        raise ConfigError(f"{name} must be {'an integer' if integer else 'a number'} > 0, got {value!r}")


def fit(
    model: nn.Module,
    loss_fn: Callable[..., Tensor],
    train_data: DataLike,
    val_data: DataLike | None = None,
    epochs: int = 100,
    lr: float = 1e-2,
    batch_size: int = 32,
    seed: int = 0,
    *,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    patience: int | None = None,
    min_delta: float = 0.0,
    restore_best: bool = True,
    checkpoint: str | Path | None = None,
    resume: bool = True,
    progress: Progress | None = None,
    metric: Callable[[Tensor, Tensor], float] | None = None,
    log_every: int = 1,
) -> History:
    """Train ``model`` by mini-batch gradient descent on ``loss_fn(model(X), y)``.

    Args:
        model: Any ``nn.Module`` (inputs are cast to its parameters' dtype and device).
        loss_fn: ``loss_fn(outputs, targets) -> scalar`` (e.g. ``nn.CrossEntropyLoss()``).
        train_data: ``(X, y)`` tensors (more tensors: all but the last go to the model) or a Dataset.
        val_data: Optional validation data, same form; it is monitored for early stopping.
        epochs: Total number of epochs (a resumed run continues up to this number).
        lr: Learning rate.
        batch_size: Mini-batch size (the last batch of an epoch may be smaller).
        seed: Seed of the shuffling generator (the model's own initialisation is not touched).
        optimizer: ``"adam"`` (default), ``"adamw"`` or ``"sgd"`` (momentum 0.9).
        weight_decay: L2 penalty of the optimiser.
        patience: Stop after this many epochs without an improvement of the monitored loss
            by more than ``min_delta`` (``None``: never stop early).
        min_delta: Minimal improvement that resets the patience counter.
        restore_best: At the end, load the weights of the best epoch into ``model``.
        checkpoint: File to write after every epoch (model, optimiser, generator state,
            history, best weights); with ``resume=True`` an existing file is continued.
        resume: Continue from ``checkpoint`` when it exists.
        progress: ``progress(epoch, logs)`` after every epoch (``logs``: ``train_loss``, ``val_loss``,
            ``val_metric``, ``seconds``, ``epoch``, ``epochs``); return ``True`` to stop. The ``qml``
            commands' :meth:`qml.apps.cli.ProgressBar.epoch` shows it as epoch i/N, losses and ETA.
        metric: ``metric(outputs, targets) -> float`` on the validation data (e.g. :func:`accuracy`).
        log_every: Log (INFO) every this many epochs.

    Returns:
        A :class:`History`.

    Raises:
        ValueError: For bad settings or data, or a checkpoint of another model.

    Example:
        >>> X = torch.randn(40, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        >>> y = (X[:, 0] > 0).long()
        >>> model = nn.Linear(2, 2).double()
        >>> h = fit(model, nn.CrossEntropyLoss(), (X, y), (X, y), epochs=50, lr=0.1, metric=accuracy)
        >>> h.val_metric[-1] > 0.9
        True
    """
    if not isinstance(model, nn.Module):
        raise ConfigTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    _check_positive("epochs", epochs, True)
    _check_positive("lr", lr, False)
    _check_positive("batch_size", batch_size, True)
    if patience is not None:
        _check_positive("patience", patience, True)
    if optimizer not in FIT_OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {optimizer!r}; valid choices: {', '.join(FIT_OPTIMIZERS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    train = _Data(train_data, "train_data")
    val = _Data(val_data, "val_data") if val_data is not None else None
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ConfigError("the model has no trainable parameters")
    momentum: dict[str, Any] = {"momentum": 0.9} if optimizer == "sgd" else {}
    opt = torch_optimizer(optimizer, params, float(lr), weight_decay=float(weight_decay), **momentum)
    gen = torch.Generator().manual_seed(int(seed))
    settings = {
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "optimizer": optimizer,
        "weight_decay": weight_decay,
        "patience": patience,
        "min_delta": min_delta,
        "n_train": train.n,
        "n_val": None if val is None else val.n,
    }
    hist = History(seed=int(seed), settings=settings, versions=_versions())
    best_state: dict[str, Tensor] | None = None
    bad_epochs = 0
    start_epoch = 0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if ckpt is not None:
        stale = ckpt.with_name(ckpt.name + ".tmp")
        if stale.exists():  # a write interrupted by a kill; the checkpoint itself is intact
            log.info("removing the half-written %s left by an interrupted run", stale)
            stale.unlink()
    if ckpt is not None and resume and ckpt.exists():
        data = load_checkpoint(ckpt)
        try:
            model.load_state_dict(data["model"])
        except (RuntimeError, ValueError) as err:
            raise ConfigError(
                f"checkpoint {ckpt} does not match this model ({err}); delete it or pass resume=False"
            ) from None
        opt.load_state_dict(data["optimizer"])
        gen.set_state(data["generator"])
        hist = History.from_dict(data["history"])
        hist.resumed_from = int(data["epoch"])
        hist.versions = _versions()
        best_state, bad_epochs, start_epoch = data["best_state"], int(data["bad_epochs"]), int(data["epoch"])
        log.info("resuming from %s after epoch %d", ckpt, start_epoch)
        if hist.stopped_early:
            start_epoch = epochs  # the stored run had finished
    dtype, device = _model_dtype(model)
    t0 = time.perf_counter()
    model.train()
    stop = False
    for epoch in range(start_epoch + 1, epochs + 1):
        perm = torch.randperm(train.n, generator=gen)
        total = 0.0
        for start in range(0, train.n, batch_size):
            idx = perm[start : start + batch_size]
            batch = _prepare(train.batch(idx), dtype, device)
            opt.zero_grad()
            loss, _ = _forward_loss(model, loss_fn, batch)
            if not torch.isfinite(loss):
                raise ConfigError(
                    f"the loss became {float(loss)} at epoch {epoch}; lower lr or check the data"
                )
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        hist.train_loss.append(total / train.n)
        monitored = hist.train_loss[-1]
        vmetric = None
        if val is not None:
            vloss, vmetric = _evaluate(model, loss_fn, val, batch_size, metric)
            hist.val_loss.append(vloss)
            monitored = vloss
            if vmetric is not None:
                hist.val_metric.append(vmetric)
        hist.epochs_run = epoch
        if hist.best_loss is None or monitored < hist.best_loss - min_delta:
            hist.best_loss, hist.best_epoch, bad_epochs = monitored, epoch, 0
            best_state = copy.deepcopy(
                {k: v.detach().clone() for k, v in model.state_dict().items() if isinstance(v, Tensor)}
            )
        else:
            bad_epochs += 1
        logs = {
            "train_loss": hist.train_loss[-1],
            "val_loss": hist.val_loss[-1] if val is not None else None,
            "val_metric": vmetric,
            "seconds": time.perf_counter() - t0,
            "epoch": epoch,
            "epochs": epochs,
        }
        if epoch % max(1, log_every) == 0 or epoch == epochs:
            log.info(
                "epoch %d/%d: train %.6g%s%s",
                epoch,
                epochs,
                logs["train_loss"],
                "" if val is None else f", val {logs['val_loss']:.6g}",
                "" if vmetric is None else f", metric {vmetric:.4g}",
            )
        if patience is not None and bad_epochs >= patience:
            log.info(
                "early stopping at epoch %d (best %d, loss %.6g)", epoch, hist.best_epoch, hist.best_loss
            )
            hist.stopped_early = stop = True
        if progress is not None and progress(epoch, logs) is True:
            hist.stopped_early = stop = True
        if ckpt is not None:
            _save(
                ckpt,
                {
                    "format": CHECKPOINT_FORMAT,
                    "epoch": epoch,
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "generator": gen.get_state(),
                    "history": hist.to_dict(),
                    "best_state": best_state,
                    "bad_epochs": bad_epochs,
                },
            )
        if stop:
            break
    if restore_best and best_state is not None:
        model.load_state_dict(best_state, strict=False)
    hist.seconds = time.perf_counter() - t0
    if hist.best_loss is not None and not math.isfinite(hist.best_loss):
        log.warning("the best loss is not finite")
    return hist


def predict(model: nn.Module, inputs: Tensor, batch_size: int = 256) -> Tensor:
    """Model outputs for ``inputs`` in evaluation mode, without gradients, batch by batch.

    Example:
        >>> predict(nn.Identity(), torch.ones(3, 2)).shape
        torch.Size([3, 2])
    """
    dtype, device = _model_dtype(model)
    was = model.training
    model.eval()
    outs: list[Tensor] = []
    with torch.no_grad():
        for start in range(0, inputs.shape[0], batch_size):
            (x,) = _prepare([inputs[start : start + batch_size]], dtype, device)
            outs.append(model(x))
    model.train(was)
    return torch.cat(outs)


__all__ = ["FIT_OPTIMIZERS", "History", "accuracy", "fit", "load_checkpoint", "predict"]
