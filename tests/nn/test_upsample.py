"""Upsample / interpolate against PyTorch (float64): outputs and input gradients."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import run_both


pytestmark = pytest.mark.usefixtures("float64")   # conftest: float64, seeded


def check(ours, theirs, x):
    """Compare output (and indices, if returned) and the input gradient with torch's."""
    run_both(torch, ours, theirs, [x], rtol=1e-7, atol=1e-12, seed=1)



SIZES = [dict(scale_factor=2), dict(size=(7, 9)), dict(scale_factor=(1.7, 2.3)),
         dict(size=(3, 2)), dict(scale_factor=1.5, recompute_scale_factor=True),
         dict(scale_factor=3)]


@pytest.mark.parametrize("sizing", SIZES)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_upsample_nearest_matches_torch(sizing, mode):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4))
    check(nn.Upsample(mode=mode, **sizing), torch.nn.Upsample(mode=mode, **sizing), x)


@pytest.mark.parametrize("sizing", SIZES)
@pytest.mark.parametrize("align_corners", [False, True])
def test_upsample_bilinear_matches_torch(sizing, align_corners):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 4))
    kw = dict(sizing, mode="bilinear", align_corners=align_corners)
    check(nn.Upsample(**kw), torch.nn.Upsample(**kw), x)


@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_linear_1d(align_corners):
    x = np.random.default_rng(2).standard_normal((2, 3, 6))
    check(lambda t: F.interpolate(t, scale_factor=2.5, mode="linear",
                                  align_corners=align_corners),
          lambda t: torch.nn.functional.interpolate(t, scale_factor=2.5, mode="linear",
                                                    align_corners=align_corners), x)


def test_fixed_mode_upsampling_layers():
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4))
    check(nn.UpsamplingBilinear2d(scale_factor=2),
          torch.nn.UpsamplingBilinear2d(scale_factor=2), x)
    check(nn.UpsamplingNearest2d(size=(5, 7)), torch.nn.UpsamplingNearest2d(size=(5, 7)), x)


def test_interpolate_errors():
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(ag.zeros((1, 1, 2, 2)), size=3, scale_factor=2)
    with pytest.raises(ValueError, match="bicubic"):
        F.interpolate(ag.zeros((1, 1, 2, 2)), scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(ag.zeros((1, 1, 2, 2)), scale_factor=2, align_corners=True)
