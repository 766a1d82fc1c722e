"""The fit loop: convergence, seeding, early stopping, checkpoints that resume exactly, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from qml.models.training import History, accuracy, fit, load_checkpoint, predict


def _data(n: int = 48, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g, dtype=torch.float64)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 0.3
    return x, y


def _model(seed: int = 0) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1)).double()


def test_fit_converges_and_records_history():
    x, y = _data()
    model = _model()
    hist = fit(model, nn.MSELoss(), (x, y), (x[:8], y[:8]), epochs=40, lr=0.05, batch_size=8, seed=0)
    assert isinstance(hist, History)
    assert len(hist.train_loss) == len(hist.val_loss) == hist.epochs_run == 40
    assert hist.train_loss[-1] < 0.05 * hist.train_loss[0]
    assert hist.best_epoch >= 1
    assert hist.best_loss == min(hist.val_loss)
    assert hist.seed == 0
    assert "torch" in hist.versions
    assert hist.settings["batch_size"] == 8
    assert History.from_dict(hist.to_dict()) == hist


def test_same_seed_same_result_different_seed_differs():
    x, y = _data()
    runs = []
    for seed in (0, 0, 1):
        m = _model()
        fit(m, nn.MSELoss(), (x, y), epochs=3, lr=0.05, batch_size=8, seed=seed)
        runs.append(torch.cat([p.detach().reshape(-1) for p in m.parameters()]))
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_early_stopping_and_restore_best():
    x, y = _data()
    model = _model()
    # min_delta so large that nothing after the first epoch counts as an improvement
    hist = fit(
        model,
        nn.MSELoss(),
        (x, y),
        (x, y),
        epochs=50,
        lr=0.05,
        batch_size=8,
        seed=0,
        patience=3,
        min_delta=1e9,
    )
    assert hist.stopped_early
    assert hist.epochs_run == 4
    assert hist.best_epoch == 1
    # the weights of epoch 1 were restored: the validation loss equals the best one
    val = float(nn.functional.mse_loss(predict(model, x), y))
    assert val == pytest.approx(hist.best_loss, rel=1e-12)


def test_progress_callback_can_stop():
    x, y = _data()
    seen = []

    def progress(epoch, logs):
        seen.append((epoch, logs["train_loss"]))
        return epoch == 2

    hist = fit(_model(), nn.MSELoss(), (x, y), epochs=10, lr=0.01, seed=0, progress=progress)
    assert hist.epochs_run == 2
    assert hist.stopped_early
    assert [e for e, _ in seen] == [1, 2]


def test_checkpoint_resume_equals_uninterrupted_run(tmp_path):
    x, y = _data()
    full = _model()
    h_full = fit(
        full, nn.MSELoss(), (x, y), (x, y), epochs=8, lr=0.05, batch_size=8, seed=3, restore_best=False
    )
    ckpt = tmp_path / "run" / "ckpt.pt"
    part = _model()
    fit(
        part,
        nn.MSELoss(),
        (x, y),
        (x, y),
        epochs=3,
        lr=0.05,
        batch_size=8,
        seed=3,
        checkpoint=ckpt,
        restore_best=False,
    )
    assert load_checkpoint(ckpt)["epoch"] == 3
    resumed = _model()  # a fresh process would rebuild the model and call fit again
    h_res = fit(
        resumed,
        nn.MSELoss(),
        (x, y),
        (x, y),
        epochs=8,
        lr=0.05,
        batch_size=8,
        seed=3,
        checkpoint=ckpt,
        restore_best=False,
    )
    assert h_res.resumed_from == 3
    assert h_res.epochs_run == 8
    assert h_res.train_loss == pytest.approx(h_full.train_loss, rel=1e-12)
    for a, b in zip(full.parameters(), resumed.parameters()):
        torch.testing.assert_close(a, b, atol=1e-14, rtol=0)


def test_checkpoint_of_another_model_is_refused(tmp_path):
    x, y = _data()
    ckpt = tmp_path / "c.pt"
    fit(_model(), nn.MSELoss(), (x, y), epochs=1, seed=0, checkpoint=ckpt)
    other = nn.Linear(3, 1).double()
    with pytest.raises(ValueError, match="does not match this model"):
        fit(other, nn.MSELoss(), (x, y), epochs=2, seed=0, checkpoint=ckpt)
    fit(other, nn.MSELoss(), (x, y), epochs=1, seed=0, checkpoint=ckpt, resume=False)  # overwrite is fine
    bad = tmp_path / "bad.pt"
    torch.save({"x": 1}, bad)
    with pytest.raises(ValueError, match="not a qml fit checkpoint"):
        load_checkpoint(bad)
    with pytest.raises(ValueError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "missing.pt")


def test_dataset_input_and_metric():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(60, 2, generator=g, dtype=torch.float64)
    y = (x[:, 0] + x[:, 1] > 0).long()
    ds = torch.utils.data.TensorDataset(x, y)
    model = nn.Linear(2, 2).double()
    hist = fit(
        model,
        nn.CrossEntropyLoss(),
        ds,
        (x, y),
        epochs=30,
        lr=0.1,
        batch_size=10,
        seed=0,
        metric=accuracy,
        optimizer="sgd",
    )
    assert hist.val_metric[-1] > 0.9
    assert accuracy(torch.tensor([[1.0, 0.0]]), torch.tensor([0])) == 1.0


def test_float32_inputs_are_cast_to_model_dtype():
    x, y = _data()
    hist = fit(_model(), nn.MSELoss(), (x.float(), y.float()), epochs=2, seed=0)
    assert hist.epochs_run == 2


def test_errors():
    x, y = _data()
    m = _model()
    with pytest.raises(ValueError, match="epochs must be an integer > 0"):
        fit(m, nn.MSELoss(), (x, y), epochs=0)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        fit(m, nn.MSELoss(), (x, y), optimizer="rmsprop")
    with pytest.raises(ValueError, match="share their first"):
        fit(m, nn.MSELoss(), (x, y[:5]))
    with pytest.raises(TypeError, match="tuple \\(X, y\\)"):
        fit(m, nn.MSELoss(), x)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        fit(m, nn.MSELoss(), (x, y), seed=-1)
    with pytest.raises(ValueError, match="patience must be an integer > 0"):
        fit(m, nn.MSELoss(), (x, y), patience=0)
    with pytest.raises(ValueError, match="no trainable parameters"):
        fit(nn.Identity(), nn.MSELoss(), (x, y))
    with pytest.raises(ValueError, match=r"accuracy needs logits \(B, C\)"):
        accuracy(torch.zeros(3), torch.zeros(3))


class _Exploit:
    """Unpickling this runs ``touch <path>``: what a tampered checkpoint could do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.path}",))


def test_a_tampered_checkpoint_cannot_run_code(tmp_path):
    marker = tmp_path / "pwned"
    ckpt = tmp_path / "ckpt.pt"
    torch.save({"format": "qml-fit-1", "model": _Exploit(marker)}, ckpt)
    with pytest.raises(ValueError, match="not a readable qml fit checkpoint"):
        load_checkpoint(ckpt)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated", b"not a checkpoint"])
def test_a_truncated_or_foreign_checkpoint_gives_a_clear_error(tmp_path, content):
    ckpt = tmp_path / "ckpt.pt"
    ckpt.write_bytes(content)
    with pytest.raises(ValueError, match="delete it or pass resume=False"):
        load_checkpoint(ckpt)


def test_a_half_written_checkpoint_left_by_a_kill_is_removed(tmp_path):
    x, y = _data()
    ckpt = tmp_path / "ckpt.pt"
    fit(_model(), nn.MSELoss(), (x, y), epochs=2, lr=0.05, batch_size=8, seed=3, checkpoint=ckpt)
    stale = tmp_path / "ckpt.pt.tmp"
    stale.write_bytes(b"half a checkpoint")
    h = fit(_model(), nn.MSELoss(), (x, y), epochs=3, lr=0.05, batch_size=8, seed=3, checkpoint=ckpt)
    assert h.resumed_from == 2
    assert not stale.exists()


def test_vqe_checkpoint_leftovers_and_truncation(tmp_path):
    from qml.optimize.optimizers import Checkpoint

    path = tmp_path / "opt.pt"
    (tmp_path / "opt.pt.tmp").write_bytes(b"partial")
    assert Checkpoint(str(path), resume=True).load("adam", 3) is None
    assert not (tmp_path / "opt.pt.tmp").exists()
    path.write_bytes(b"PK\x03\x04 cut")
    with pytest.raises(ValueError, match="is not readable"):
        Checkpoint(str(path), resume=True).load("adam", 3)
