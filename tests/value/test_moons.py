"""The lecture's moons demo written in micrograd style with ``Value``s trains as it does
in micrograd: the same loss at every step as a reference, and the lecture's accuracy.

The reference is the same model, loss and SGD written with whole NumPy arrays and the
gradients derived by hand (the math micrograd's scalar graph computes, summed in
another order), started from the very same weights. It stands in for micrograd, whose
scalar engine would take minutes here.
"""
import numpy as np
from autograd import Value

from micrograd_style import make_moons, train_moons

STEPS = 100


def reference_training(weights, X, y, steps=STEPS):
    """(loss, accuracy) per step of the demo, vectorized; ``weights`` is a list of
    (W, b) per layer with W of shape (out, in)."""
    params = [(W.copy(), b.copy()) for W, b in weights]
    y = (y * 2 - 1).astype(float)
    n = len(y)
    history = []
    for k in range(steps):
        acts = [X]
        zs = []
        for i, (W, b) in enumerate(params):
            z = acts[-1] @ W.T + b                                    # (n, out)
            zs.append(z)
            acts.append(np.maximum(z, 0) if i < len(params) - 1 else z)
        scores = acts[-1][:, 0]                                       # (n,)
        margins = 1 - y * scores
        data_loss = np.maximum(margins, 0).sum() / n
        reg_loss = 1e-4 * sum((W * W).sum() + (b * b).sum() for W, b in params)
        accuracy = np.mean((y > 0) == (scores > 0))
        history.append((data_loss + reg_loss, accuracy))
        # backward: d(loss)/d(scores), then layer by layer
        g = (-y * (margins > 0) / n)[:, None]                         # (n, 1)
        grads = []
        for i in reversed(range(len(params))):
            W, b = params[i]
            if i < len(params) - 1:
                g = g * (zs[i] > 0)
            grads.append((g.T @ acts[i] + 2e-4 * W, g.sum(0) + 2e-4 * b))
            g = g @ W                                                 # (n, in)
        lr = 1.0 - 0.9 * k / 100
        params = [(W - lr * gW, b - lr * gb)
                  for (W, b), (gW, gb) in zip(params, reversed(grads))]
    return history


def initial_weights(seed):
    """The Values' starting weights as arrays, read off an untrained model."""
    _, model = train_moons(Value, np.zeros((1, 2)), np.zeros(1, dtype=int), steps=0,
                           seed=seed)
    return [(np.array([[float(w.data) for w in n.w] for n in layer.neurons]),
             np.array([float(n.b.data) for n in layer.neurons])) for layer in model.layers]


def test_moons_mlp_in_micrograd_style_trains_like_the_reference():
    X, y = make_moons(100, noise=0.1, seed=0)
    history, model = train_moons(Value, X, y, steps=STEPS, seed=1337)
    reference = reference_training(initial_weights(1337), X, y)

    got_loss, ref_loss = np.array(history)[:, 0], np.array(reference)[:, 0]
    np.testing.assert_allclose(got_loss, ref_loss, rtol=1e-9, atol=1e-12)
    assert [acc for _, acc in history] == [acc for _, acc in reference]
    # the lecture's result: every one of the 100 points classified correctly
    assert reference[-1][1] == 1.0 and history[-1][1] == 1.0
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
