"""fit, History and evaluate: learning, bookkeeping, interruption, determinism, error messages."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import cnnlessons as cl
from cnnlessons.augment import RandomShift
from cnnlessons.train import aux_loss

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def data():
    return cl.load_mnist("train", subset=512), cl.load_mnist("test", subset=256)


def tiny(seed: int = 0, bn: bool = False) -> nn.Module:
    torch.manual_seed(seed)
    layers = [nn.Conv2d(1, 8, 3, stride=2)]  # N x 8 x 13 x 13
    if bn:
        layers.append(nn.BatchNorm2d(8))
    layers += [nn.ReLU(), nn.Flatten(), nn.Linear(8 * 13 * 13, 10)]
    return nn.Sequential(*layers)


class WithAux(nn.Module):
    """GoogLeNet-style: (main, aux1, aux2) in train mode, main only in eval mode."""

    def __init__(self) -> None:
        super().__init__()
        self.body = tiny()
        self.aux1 = nn.Linear(28 * 28, 10)
        self.aux2 = nn.Linear(28 * 28, 10)

    def forward(self, x):
        main = self.body(x)
        if self.training:
            flat = x.flatten(1)
            return main, self.aux1(flat), self.aux2(flat)
        return main


def quiet(**kw):
    return dict(live=False, progress=False, device="cpu", **kw)


def test_fit_learns_and_fills_history(data):
    train, test = data
    model = tiny()
    before = model[0].weight.detach().clone()
    h = cl.fit(model, train, test, epochs=3, batch_size=64, lr=0.05, momentum=0.9, label="tiny", **quiet())
    assert isinstance(h, cl.History)
    assert h.steps == 3 * 8 == len(h.step_acc)
    assert h.eval_step == [8, 16, 24] and h.eval_epoch == [1.0, 2.0, 3.0]
    assert len(h.train_loss) == len(h.train_acc) == len(h.test_loss) == len(h.test_acc) == 3
    assert h.train_loss[-1] < h.train_loss[0]
    assert sum(h.step_loss[-5:]) / 5 < sum(h.step_loss[:5]) / 5
    assert h.final_test_acc > 0.5 and 0 <= min(h.step_acc) and max(h.step_acc) <= 1
    assert h.images_seen == 3 * 512 and h.images_per_s > 0 and h.wall_time >= h.train_time > 0
    assert h.device == "cpu" and h.label == "tiny" and not h.interrupted
    assert "tiny" in h.summary() and "test" in h.summary() and str(h) == h.summary()
    # the model keeps its training, and evaluate agrees with the History's last test figures
    assert not torch.equal(before, model[0].weight)
    assert model.training
    loss, acc = cl.evaluate(model, test, batch_size=100)
    assert acc == pytest.approx(h.final_test_acc) and loss == pytest.approx(h.test_loss[-1], rel=1e-5)


def test_steps_mode_and_eval_every(data):
    h = cl.fit(tiny(), data[0], data[1], steps=20, batch_size=100, eval_every=6, **quiet())
    assert h.steps == 20
    assert h.eval_step == [6, 12, 18, 20]
    assert h.eval_epoch[0] == pytest.approx(6 / 6)  # 512 images, batch 100 -> 6 steps an epoch
    assert h.steps_to(0.0) == 1 and h.steps_to(1.01) is None


def test_deterministic_on_cpu(data):
    runs = [
        cl.fit(tiny(), data[0], data[1], epochs=2, batch_size=64, seed=3, augment=RandomShift(2), **quiet())
        for _ in range(2)
    ]
    assert runs[0].step_loss == runs[1].step_loss
    assert runs[0].test_acc == runs[1].test_acc
    other = cl.fit(tiny(), data[0], epochs=2, batch_size=64, seed=4, **quiet())
    assert other.step_loss != runs[0].step_loss


def test_interrupt_returns_partial_history_and_keeps_weights(data):
    model = tiny()

    def stop(model, step, loss):
        if step == 5:
            raise KeyboardInterrupt

    h = cl.fit(model, data[0], data[1], epochs=5, batch_size=32, on_step=stop, **quiet())
    assert h.interrupted and h.steps == 5  # steps 0..4 finished, step 5 stopped before its update
    assert len(h.test_acc) == 1  # the partial run is evaluated once
    reference = tiny()
    cl.fit(reference, data[0], steps=5, batch_size=32, **quiet())
    assert torch.equal(model[0].weight, reference[0].weight)


def test_on_step_sees_gradients(data):
    norms = []
    cl.fit(
        tiny(),
        data[0],
        steps=4,
        batch_size=64,
        on_step=lambda m, step, loss: norms.append(float(m[0].weight.grad.norm())),
        **quiet(),
    )
    assert len(norms) == 4 and all(n > 0 for n in norms)


def test_tuple_outputs_need_a_loss_and_aux_loss_works(data):
    with pytest.raises(TypeError, match="aux_loss"):
        cl.fit(WithAux(), data[0], steps=2, **quiet())
    h = cl.fit(WithAux(), data[0], data[1], steps=10, batch_size=64, loss_fn=aux_loss(0.3), **quiet())
    assert h.steps == 10 and h.final_test_acc is not None
    # main + 0.3 x (aux1 + aux2), by hand
    x, y = data[0][0][:8], data[0][1][:8]
    m = WithAux()
    main, a1, a2 = m(x)
    expected = F.cross_entropy(main, y) + 0.3 * (F.cross_entropy(a1, y) + F.cross_entropy(a2, y))
    assert aux_loss()(m(x), y).item() == pytest.approx(expected.item())


def test_optimizers_and_schedule(data):
    for kw in (
        dict(optimizer="adam"),
        dict(optimizer=lambda p: torch.optim.AdamW(p, lr=1e-3)),
        dict(schedule="onecycle", lr=0.1, momentum=0.9),
        dict(channels_last=True),
        dict(weight_decay=1e-4),
    ):
        h = cl.fit(tiny(bn=True), data[0], steps=12, batch_size=64, **kw, **quiet())
        assert h.steps == 12 and all(torch.isfinite(torch.tensor(h.step_loss)))


def test_channels_last_leaves_weights_contiguous(data):
    model = tiny()
    cl.fit(model, data[0], steps=2, channels_last=True, **quiet())
    assert model[0].weight.is_contiguous()


def test_augment_runs_inside_fit(data):
    seen = []

    def aug(x):
        seen.append(x.shape)
        return x.flip(-1)

    cl.fit(tiny(), data[0], steps=3, batch_size=50, augment=aug, **quiet())
    assert (50, 1, 28, 28) in seen


def test_text_line_per_epoch(data, capsys):
    cl.fit(tiny(), data[0], data[1], epochs=2, batch_size=128, live=False, device="cpu")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1.00/2") and "test loss" in lines[0]


def test_live_curves_draw_without_matplotlib_figures(data, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = []
    from cnnlessons import live

    real = live.LiveCurves.render
    monkeypatch.setattr(live.LiveCurves, "render", lambda self: frames.append(self.title) or real(self))
    h = cl.fit(
        tiny(), data[0], data[1], epochs=2, batch_size=128, live=True, progress=False, device="cpu", label="live"
    )
    assert h.steps == 8 and not plt.get_fignums()  # no matplotlib figure left open
    assert frames and frames[-1].startswith("done: ")  # the last frame is the summary


def test_live_curves_use_one_display_handle(data, monkeypatch):
    pytest.importorskip("IPython")
    import base64
    import io

    from PIL import Image

    from cnnlessons import live

    calls = []

    class Handle:
        def update(self, obj, raw=False):
            calls.append(("update", obj))
            assert raw is True

    def fake_display(obj, display_id=False, raw=False):
        calls.append(("display", obj))
        assert display_id is True and raw is True
        return Handle()

    monkeypatch.setattr("IPython.display.display", fake_display)
    hist = cl.History(label="x", batch_size=4)
    curves = live.LiveCurves(hist, total_steps=10, steps_per_epoch=5, notebook=True)
    hist.step_loss += [2.0, 1.5]
    hist.step_acc += [0.1, 0.5]
    curves.update("step 2/10")
    hist.step_loss += [1.2] * 8
    hist.step_acc += [0.6] * 8
    hist.eval_step += [5, 10]
    hist.eval_epoch += [1.0, 2.0]
    hist.train_acc += [0.4, 0.6]
    hist.test_acc += [0.5, 0.7]
    hist.test_loss += [1.4, 1.1]
    curves.finish("done")
    kinds = [k for k, _ in calls]
    assert kinds == ["display", "update", "update"]
    last = calls[-1][1]
    assert "done" in last["text/plain"] and curves.title == "done"
    image = Image.open(io.BytesIO(base64.b64decode(last["image/png"])))
    assert image.size == (live.WIDTH, live.HEIGHT)
    # Both colours are on the image: the train (blue) and test (orange) curves were drawn.
    colors = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert live.TRAIN in colors and live.TEST in colors


def test_live_curves_nice_ticks():
    from cnnlessons.live import nice_ticks

    assert nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0.0, 2.4) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert nice_ticks(85.0, 96.0) == [85.0, 87.5, 90.0, 92.5, 95.0]
    assert nice_ticks(3.0, 3.0)  # a flat series still gets ticks


def test_evaluate_restores_mode(data):
    model = tiny().train()
    loss, acc = cl.evaluate(model, data[1])
    assert model.training and 0 <= acc <= 1 and loss > 0
    model.eval()
    cl.evaluate(model, data[1])
    assert not model.training


# ----- errors a student can cause --------------------------------------------------------------
@pytest.mark.parametrize(
    "bad, kind, message",
    [
        (lambda x, y: (x, y[:-1]), ValueError, "512 images but 511 labels"),
        (lambda x, y: (x[:, 0], y), ValueError, "unsqueeze"),
        (lambda x, y: (x, y.float()), TypeError, "labels.long"),
        (lambda x, y: x, TypeError, "pair"),
        (lambda x, y: (x.numpy(), y), TypeError, "torch.as_tensor"),
        (lambda x, y: (x, torch.nn.functional.one_hot(y)), ValueError, "argmax"),
    ],
)
def test_data_errors(data, bad, kind, message):
    with pytest.raises(kind, match=message):
        cl.fit(tiny(), bad(*data[0]), steps=1, **quiet())


def test_wrong_image_shape_for_model(data):
    x, y = data[0]
    with pytest.raises(ValueError, match=r"in_channels.*cnnlessons.trace"):
        cl.fit(tiny(), (x.repeat(1, 3, 1, 1), y), steps=1, **quiet())
    with pytest.raises(ValueError, match=r"in_features"):
        cl.fit(tiny(), (x[:, :, :20, :20], y), steps=1, **quiet())


def test_model_output_errors(data):
    torch.manual_seed(0)
    five = nn.Sequential(nn.Flatten(), nn.Linear(784, 5))
    with pytest.raises(ValueError, match="outputs 5 classes but the labels go up to 9"):
        cl.fit(five, data[0], steps=1, **quiet())
    with pytest.raises(ValueError, match="flatten"):
        cl.fit(nn.Conv2d(1, 10, 28), data[0], steps=1, **quiet())


def test_argument_errors(data):
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        cl.fit(tiny(), data[0], steps=1, optimizer="adamw", **quiet())
    with pytest.raises(TypeError, match="must return a torch.optim.Optimizer"):
        cl.fit(tiny(), data[0], steps=1, optimizer=lambda p: None, **quiet())
    with pytest.raises(ValueError, match="schedule"):
        cl.fit(tiny(), data[0], steps=1, schedule="cosine", **quiet())
    with pytest.raises(ValueError, match="epochs must be"):
        cl.fit(tiny(), data[0], epochs=0, **quiet())
    with pytest.raises(ValueError, match="batch_size must be"):
        cl.fit(tiny(), data[0], batch_size=0, **quiet())
    with pytest.raises(ValueError, match="augment must return"):
        cl.fit(tiny(), data[0], steps=1, augment=lambda x: x[:, :, :10], **quiet())
    frozen = tiny().requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        cl.fit(frozen, data[0], steps=1, **quiet())


# ----- CUDA: the captured training step -------------------------------------------------------
@cuda
def test_cuda_graph_trains_like_eager(data):
    kw = dict(epochs=2, batch_size=64, lr=0.05, momentum=0.9, live=False, progress=False, device="cuda")
    g_model, e_model = tiny(), tiny()
    g = cl.fit(g_model, data[0], data[1], **kw)
    e = cl.fit(e_model, data[0], data[1], cuda_graph=False, **kw)
    assert g.cuda_graph and not e.cuda_graph
    assert g.steps == e.steps == 2 * 8  # 512 / 64: no partial batch to drop
    assert g.step_loss == pytest.approx(e.step_loss, rel=1e-3, abs=1e-4)
    assert next(g_model.parameters()).is_cuda
    assert g.final_test_acc == pytest.approx(e.final_test_acc, abs=0.02)


@cuda
def test_cuda_graph_variants(data):
    kw = dict(steps=20, batch_size=100, live=False, progress=False, device="cuda")
    h = cl.fit(tiny(bn=True), data[0], data[1], optimizer="adam", **kw)
    assert h.cuda_graph and h.steps == 20 and h.images_seen == 2000
    h = cl.fit(WithAux(), data[0], data[1], loss_fn=aux_loss(), augment=RandomShift(2), **kw)
    assert h.cuda_graph and h.step_loss[-1] < h.step_loss[0]
    h = cl.fit(tiny(), data[0], on_step=lambda m, s, loss: None, **kw)
    assert not h.cuda_graph  # a callback between backward and step rules the graph out
    with pytest.raises(ValueError, match="cuda_graph=True"):
        cl.fit(tiny(), data[0], schedule="onecycle", cuda_graph=True, **kw)


def test_bf16_precision_trains_and_a_wrong_precision_says_what_to_use():
    torch.manual_seed(0)
    x = torch.randn(256, 1, 28, 28)
    y = torch.randint(0, 10, (256,))
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8 * 26 * 26, 10)
    )
    h = cl.fit(
        model,
        (x, y),
        epochs=8,
        batch_size=64,
        optimizer="adam",
        lr=3e-3,
        precision="bf16",
        device="cpu",
        live=False,
        progress=False,
    )
    assert h.train_loss[-1] < h.train_loss[0]
    assert next(model.parameters()).dtype == torch.float32  # autocast: weights stay float32
    with pytest.raises(ValueError, match="precision must be 'fp32' or 'bf16'"):
        cl.fit(model, (x, y), steps=1, precision="fp16", device="cpu", live=False, progress=False)
