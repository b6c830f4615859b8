"""K ranks with B/K samples each train exactly like one process with B (issue 19).

One ``mpiexec -n K`` run of ``worker_equality.py`` per K (2 and 3, more ranks than
this machine's cores); rank 0 trains the one-process reference alongside and reports
every comparison. float64 throughout; equality means 1e-10 relative.
"""
import json
import os

import pytest

import mpi_launch

TOL = 1e-10
TRAINING = [f"{kind}_{opt}" for kind in ("mlp", "mlp_bn", "cnn_bn") for opt in ("sgd", "adam")]


@pytest.fixture(scope="module", params=[2, 3], ids=lambda k: f"{k}ranks")
def results(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp") / "results.json"
    proc = mpi_launch.run(request.param, [os.path.join(mpi_launch.HERE, "worker_equality.py"),
                                          str(out)])
    assert proc.returncode == 0, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    with open(out) as f:
        data = json.load(f)
    assert data["world_size"] == request.param
    return data


@pytest.mark.parametrize("case", TRAINING + ["mlp_adam_small_buckets"])
def test_training_equals_one_process(results, case):
    """SGD (momentum, weight decay) and Adam; MLP, MLP + SyncBatchNorm1d, CNN +
    SyncBatchNorm2d: parameters and running statistics after 4 steps."""
    r = results[case]
    assert r["rel_error"] < TOL
    assert r["identical_across_ranks"]          # every rank holds the same weights
    assert r["reductions"] == 4
    assert r["allreduce_calls"] == 4 * r["buckets"]     # flat buckets, one call each


def test_small_buckets_split_the_gradients(results):
    assert results["mlp_adam"]["buckets"] == 1                    # 1 MiB first bucket
    assert results["mlp_adam_small_buckets"]["buckets"] == 3      # ~100-byte cap


def test_no_sync_accumulation(results):
    r = results["no_sync"]
    assert r["reductions"] == r["expected_reductions"]      # no_sync backward: no allreduce
    assert r["rel_error_vs_summed_step"] < TOL
    assert r["rel_error_vs_one_process"] < TOL


def test_distributed_sampler_training(results):
    r = results["sampler"]
    assert r["sampler_defaults_to_comm_world"]
    assert r["rel_error"] < TOL


def test_two_forwards_in_one_backward_are_averaged(results):
    assert results["two_forwards"]["rel_error"] < TOL


def test_unused_parameters(results):
    r = results["unused"]
    assert r["unused_grad_is_none"]     # no rank used it: None, as in one process
    assert r["extra_grad_present"]      # rank 0 only: averaged with zeros
    assert r["rel_error"] < TOL


def test_plain_batchnorm_gets_rank0_buffers(results):
    r = results["plain_bn"]
    assert r["differs_before_forward"]
    assert r["identical_after_forward"]


def test_state_dict_has_module_prefix(results):
    r = results["state_dict"]
    assert r["keys"] == ["module." + k for k in r["module_keys"]]
    assert r["roundtrip_ok"] and r["stripped_equals_module"]


def test_mismatched_models_fail_on_every_rank(results):
    k = results["world_size"]
    for case, words in (("shape", "of shape (9, 6)"), ("count", "has 6 parameters where "
                                                                "rank 0 has 4")):
        messages = results["mismatch"][case]
        assert len(messages) == k and all(m == messages[0] for m in messages)
        assert f"rank {k - 1}" in messages[0] and words in messages[0]


def test_sync_batchnorm_with_uneven_batches(results):
    assert results["syncbn_uneven"]["rel_error"] < TOL


def test_sync_batchnorm_second_order(results):
    """The all-reduce's backward is itself recorded under create_graph."""
    assert results["syncbn_double_backward"]["rel_error"] < TOL


def test_buckets_marked_ready_in_any_order(results):
    r = results["ready_order"]
    assert r["buckets"] >= 3 and r["all_started_before_finish"]
    assert r["calls"] == r["buckets"] + 1          # the re-marked bucket was sent again
    assert r["rel_error"] < TOL


def test_a_term_computed_before_the_ddp_call_is_averaged(results):
    r = results["term_before_ddp"]
    assert r["rel_error"] < TOL and r["identical_across_ranks"]
    assert r["reductions"] == 1


def test_buckets_start_while_backward_runs(results):
    """Overlap: by the time backward reaches the first layer's output (before the
    first layer's gradients exist), the buckets of the later layers are already sent."""
    r = results["term_before_ddp"]
    assert r["buckets"] >= 3
    assert len(r["started_when_first_layer_reached"]) == 1
    assert 1 <= r["started_when_first_layer_reached"][0] < r["buckets"]
