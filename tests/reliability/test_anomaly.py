"""Anomaly mode: the first op that introduces NaN/inf, forward or backward, is named
together with the place in the user's code where it was created."""
import inspect

import numpy as np
import pytest

import autograd as ag
from autograd import anomaly

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")   # log(0) etc. on purpose


def leaf(a):
    return ag.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def here():
    """'test_anomaly.py:<line of the caller>'."""
    return f"test_anomaly.py:{inspect.currentframe().f_back.f_lineno}"


def make_log(x):
    site = here(); y = ag.log(x)  # noqa: E702 - same line on purpose
    return y, site


def test_forward_inf_names_the_op_the_shapes_and_the_line():
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            make_log(leaf([0.0, 2.0]))
    msg = str(info.value)
    site = f"test_anomaly.py:{inspect.getsourcelines(make_log)[1] + 1}"
    for part in ("detect_anomaly", "'log'", "produced inf", "shapes (2,)", site,
                 "in make_log"):
        assert part in msg, (part, msg)


def test_forward_nan_is_blamed_on_the_op_that_made_it():
    x = leaf([0.0, 1.0])
    with ag.detect_anomaly():
        y = x * 0.0
        with pytest.raises(RuntimeError, match=r"'div' \(node #\d+\) produced nan"):
            y / y


def test_composed_functions_report_the_user_line_not_library_internals():
    x = leaf([[0.0, -np.inf]])          # an -inf mask row that is fully masked...
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            line = here(); ag.softmax(x * np.inf)  # noqa: E702
    msg = str(info.value)
    assert line in msg and "produced nan" in msg, msg
    assert "autograd" + "/" not in msg.split("created at")[1], msg


def test_non_finite_inputs_fed_on_purpose_pass_through():
    x = leaf([[1.0, 2.0, 3.0]])
    mask = np.array([[False, False, True]])
    with ag.detect_anomaly():
        scores = ag.where(mask, -np.inf, x)          # an attention-style mask
        p = ag.softmax(scores, axis=-1)
        (p * ag.tensor([[1.0, 2.0, 3.0]], dtype=np.float64)).sum().backward()
        nan_in = leaf([np.nan, 1.0])
        (nan_in * 2).sum()                            # NaN given by the user: not blamed
        with ag.no_grad():
            padded = ag.ops.pad(x, pad_width=((0, 0), (1, 1)), value=-np.inf)
    assert np.isfinite(x.grad.data).all()
    assert np.isinf(padded.data).sum() == 2


def test_forward_is_checked_under_no_grad_too():
    with ag.detect_anomaly(), ag.no_grad():
        with pytest.raises(RuntimeError, match="'exp' produced inf"):
            ag.exp(ag.tensor([1000.0], dtype=np.float64))


def test_backward_inf_names_the_op_input_and_creation_site():
    x = leaf([0.0, 4.0])
    with ag.detect_anomaly():
        line = here(); y = ag.sqrt(x)  # noqa: E702
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    msg = str(info.value)
    for part in ("backward of 'sqrt'", "produced inf", "input 0 (shape (2,))",
                 f"{line} in test_backward", "d sqrt(x)/dx"):
        assert part in msg, (part, msg)
    assert x.grad is None


def test_backward_nan_from_a_custom_function():
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * np.nan

    x = leaf([1.0])
    with ag.detect_anomaly():
        line = here(); y = Bad.apply(x)  # noqa: E702
        with pytest.raises(RuntimeError, match=rf"backward of 'Bad'.*nan.*{line}"):
            y.sum().backward()


def test_backward_of_a_graph_built_before_anomaly_mode_says_the_site_is_unknown():
    x = leaf([0.0])
    y = ag.sqrt(x).sum()
    with ag.detect_anomaly(), pytest.raises(RuntimeError, match="before anomaly mode"):
        y.backward()


def test_off_by_default_and_silent_when_off():
    assert not ag.is_anomaly_enabled()
    x = leaf([0.0, 1.0])
    y = ag.log(x)
    assert np.isneginf(y.data[0])
    ag.sqrt(x).sum().backward()
    assert np.isinf(x.grad.data[0])


def test_no_anomaly_work_at_all_when_off(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("anomaly code ran while anomaly mode was off")
    monkeypatch.setattr(anomaly, "after_forward", boom)
    monkeypatch.setattr(anomaly, "after_backward", boom)
    monkeypatch.setattr(anomaly, "creation_site", boom)
    x = leaf([1.0, 2.0])
    (ag.softmax(x) * x).sum().backward()
    assert x.grad is not None


def test_switches_restore_the_previous_state():
    with ag.detect_anomaly():
        assert ag.is_anomaly_enabled()
        with ag.detect_anomaly(False):
            assert not ag.is_anomaly_enabled()
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()

    @ag.detect_anomaly()
    def f():
        return ag.is_anomaly_enabled()
    assert f() and not ag.is_anomaly_enabled()

    ag.set_detect_anomaly(True)
    try:
        assert ag.is_anomaly_enabled()
    finally:
        ag.set_detect_anomaly(False)
    assert not ag.is_anomaly_enabled()
    with ag.set_detect_anomaly(True):
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()


def test_error_inside_the_block_still_restores():
    with pytest.raises(RuntimeError), ag.detect_anomaly():
        ag.log(ag.tensor([0.0]))
    assert not ag.is_anomaly_enabled()


def test_finite_training_step_is_unchanged_by_anomaly_mode():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    grads = []
    for mode in (False, True):
        w = leaf(w0)
        with ag.detect_anomaly(mode):
            x = ag.tensor(rng.standard_normal((4, 3)), dtype=np.float64)
            ag.log_softmax(x @ w, axis=1).mean().backward()
        grads.append(w.grad.data)
        rng = np.random.default_rng(0)
        rng.standard_normal((3, 2))
    np.testing.assert_array_equal(grads[0], grads[1])


def test_ops_inside_nn_layers_name_the_layer_code_and_the_user_line():
    import nn
    layer = nn.Linear(2, 2)
    with ag.no_grad():
        layer.weight.fill_(3e38)          # finite, but the product overflows float32
    x = ag.tensor([[1.0, 1.0]])
    with ag.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            line = here(); layer(x)  # noqa: E702
    msg = str(info.value)
    assert "produced inf" in msg and "nn" + "/" in msg.split("created at")[1], msg
    assert f"called from reliability/{line}" in msg, msg


def test_backward_nan_inside_an_nn_loss_names_the_op_and_user_line():
    import nn
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    target = ag.tensor([1.0, 1.0])
    with ag.detect_anomaly():
        line = here(); loss = nn.functional.mse_loss(ag.sqrt(x), target)  # noqa: E702
        with pytest.raises(RuntimeError, match=rf"backward of 'sqrt'.*{line}"):
            loss.backward()
