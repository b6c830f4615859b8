"""nn.parallel and SyncBatchNorm in one process: no MPI needed, nothing changes for
users without the ``distributed`` extra, and the single-rank paths equal the plain ones."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn.parallel import DistributedDataParallel as DDP

import mpi_launch


def python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=mpi_launch.ROOT, env=mpi_launch.environment(**env),
                          timeout=120)


def test_importing_the_library_does_not_import_mpi4py():
    proc = python("import sys, autograd, nn, optim, glassgrad.training, glassgrad.demo\n"
                  "import nn.parallel, nn.data\n"
                  "m = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(\n"
                  "    nn.Linear(3, 4), nn.BatchNorm1d(4)))\n"
                  "m(autograd.randn(5, 3)).sum().backward()\n"
                  "assert 'mpi4py' not in sys.modules, 'mpi4py was imported'\n")
    assert proc.returncode == 0, proc.stderr


def test_without_mpi4py_the_errors_say_how_to_install_it():
    proc = python("import sys; sys.modules['mpi4py'] = None\n"
                  "import nn\n"
                  "for make in (lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2)),\n"
                  "             lambda: nn.data.DistributedSampler(range(4))):\n"
                  "    try:\n"
                  "        make()\n"
                  "    except ImportError as exc:\n"
                  "        print(exc)\n"
                  "print(nn.parallel.is_available())\n")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and lines[2] == "False"
    assert all("pip install 'glassgrad[distributed]'" in line for line in lines[:2])


def test_one_process_without_mpiexec_trains_like_the_plain_model():
    """``python script.py`` (an MPI singleton, world size 1): DDP changes nothing."""
    mpi_launch.require_mpi()
    code = ("import numpy as np, autograd as ag, nn, optim\n"
            "ag.set_default_dtype(np.float64)\n"
            "def build():\n"
            "    ag.manual_seed(0)\n"
            "    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(),\n"
            "                         nn.Linear(6, 2))\n"
            "plain, wrapped = build(), build()\n"
            "ddp = nn.parallel.DistributedDataParallel(\n"
            "    nn.SyncBatchNorm.convert_sync_batchnorm(wrapped))\n"
            "x, y = ag.randn(8, 4), ag.tensor(np.arange(8) % 2)\n"
            "for m in (plain, ddp):\n"
            "    opt = optim.Adam(m.parameters(), lr=0.1)\n"
            "    for _ in range(3):\n"
            "        loss = nn.functional.cross_entropy(m(x), y)\n"
            "        opt.zero_grad(); loss.backward(); opt.step()\n"
            "a, b = plain.state_dict(), ddp.module.state_dict()\n"
            "print(ddp.world_size, max(float(np.max(np.abs(a[k] - b[k]))) for k in a))\n"
            "out = ddp(x)               # DDP adds no node: the module's output as it is\n"
            "print(out.grad_fn.name, ddp.module(x).grad_fn.name)\n")
    proc = python(code)
    assert proc.returncode == 0, proc.stderr
    size, diff, ddp_node, module_node = proc.stdout.split()
    assert size == "1" and float(diff) < 1e-12
    assert ddp_node == module_node


def test_only_a_backward_that_accumulates_averages():
    """The reduction runs from post-accumulate-grad hooks: ``autograd.grad`` (nothing
    accumulated) averages nothing, ``backward`` does once, ``create_graph`` is refused."""
    mpi_launch.require_mpi()
    code = ("import autograd as ag, nn\n"
            "ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 2))\n"
            "x = ag.randn(4, 3, requires_grad=True)\n"
            "loss = ddp(x).sum()\n"
            "ag.grad(loss, [x], retain_graph=True)\n"
            "after_grad = ddp.reducer.stats['reductions']\n"
            "loss.backward()\n"
            "print(after_grad, ddp.reducer.stats['reductions'])\n"
            "try:\n"
            "    ddp(x).sum().backward(create_graph=True)\n"
            "except RuntimeError as exc:\n"
            "    print('refused' if 'create_graph=True' in str(exc) else exc)\n")
    proc = python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "1", "refused"]


@pytest.mark.parametrize("make, kwargs, error, message", [
    (lambda: "not a module", {}, TypeError, "expected an nn.Module"),
    (lambda: nn.Linear(2, 2), {"device_ids": [0]}, ValueError, "must be None"),
    (lambda: nn.Linear(2, 2), {"comm": 1, "process_group": 2}, ValueError, "not both"),
    (lambda: nn.Linear(2, 2).requires_grad_(False), {}, RuntimeError,
     "doesn't have any parameter that requires a gradient"),
])
def test_ddp_rejects_bad_arguments_before_touching_mpi(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        DDP(make(), **kwargs)


def _pair(shape_in, features, layer):
    ag.manual_seed(3)
    sync = nn.SyncBatchNorm(features)
    plain = layer(features)
    for m in (sync, plain):
        m.weight.data[...] = np.linspace(0.5, 1.5, features)
        m.bias.data[...] = np.linspace(-1, 1, features)
    x = np.random.default_rng(0).normal(size=shape_in)
    return sync, plain, x


@pytest.mark.parametrize("shape, layer", [((6, 3), nn.BatchNorm1d),
                                          ((4, 3, 5), nn.BatchNorm1d),
                                          ((2, 3, 4, 4), nn.BatchNorm2d)])
def test_sync_batchnorm_alone_is_batchnorm(float64, shape, layer):
    sync, plain, x = _pair(shape, 3, layer)
    outs = []
    for m in (sync, plain):
        t = ag.tensor(x, requires_grad=True)
        y = m(t)
        (y * y).sum().backward()
        outs.append((y.data, t.grad.data, m.weight.grad.data, m.running_var.data.copy()))
        m.eval()
        outs.append(m(ag.tensor(x)).data)
    for a, b in zip(outs[0] + (outs[1],), outs[2] + (outs[3],)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_sync_batchnorm_checks_its_input():
    bn = nn.SyncBatchNorm(3)
    with pytest.raises(ValueError, match="expected at least 2D input"):
        bn(ag.randn(3))
    with pytest.raises(ValueError, match="has 4 channels at dim 1"):
        bn(ag.randn(2, 4))


def test_convert_sync_batchnorm_shares_parameters_and_buffers():
    inner = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2, affine=False))
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3, momentum=0.3), inner)
    model[1].running_mean.data[...] = 7
    model.eval()
    old = dict(model.named_parameters()), dict(model.named_buffers())
    keys = list(model.state_dict())
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert isinstance(model[1], nn.SyncBatchNorm) and isinstance(inner[1], nn.SyncBatchNorm)
    assert model[1].momentum == 0.3 and not model[1].training
    assert inner[1].weight is None and inner[1].bias is None
    assert all(p is old[0][n] for n, p in model.named_parameters())
    assert all(b is old[1][n] for n, b in model.named_buffers())
    assert list(model.state_dict()) == keys
    root = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(5))
    assert type(root) is nn.SyncBatchNorm
    assert repr(root) == repr(torch.nn.SyncBatchNorm(5))


def test_state_dict_keys_equal_torch_sync_batchnorm():
    ours = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Linear(4, 3),
                                                                 nn.BatchNorm1d(3)))
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})


def test_consume_prefix():
    sd = {"module.a": 1, "module.b.c": 2}
    nn.parallel.consume_prefix_in_state_dict_if_present(sd, "module.")
    assert sd == {"a": 1, "b.c": 2}


def test_timeout_setting_is_validated(monkeypatch):
    from nn.parallel import comm
    monkeypatch.setenv("GLASSGRAD_DIST_TIMEOUT", "abc")
    with pytest.raises(ValueError, match="GLASSGRAD_DIST_TIMEOUT='abc'"):
        comm.default_timeout()
    monkeypatch.setenv("GLASSGRAD_DIST_TIMEOUT", "12.5")
    assert comm.check_timeout(None, "x") == 12.5
    with pytest.raises(ValueError, match="timeout must be positive"):
        comm.check_timeout(0, "DistributedDataParallel")
    assert os.environ["GLASSGRAD_DIST_TIMEOUT"] == "12.5"


@pytest.mark.parametrize("name", ["nn.data.distributed", "nn.layers.sync_batchnorm",
                                  "nn.parallel", "nn.parallel.distributed",
                                  "nn.parallel.sync_batchnorm", "nn.parallel.reducer"])
def test_docstring_examples(name):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
