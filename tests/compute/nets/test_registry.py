"""The model registry: names and files, status, fetching (without the network) and safe loading."""

import hashlib
import os
import socket
from pathlib import Path
from urllib.error import URLError

import pytest
import torch
from torchvision.models._api import WeightsEnum

from app.compute.nets import registry
from app.compute.errors import InputError
from app.compute.nets.registry import (
    DEFAULT_MODELS,
    LENET_WEIGHTS,
    MODELS,
    FetchError,
    WeightsMissing,
    fetch_weights,
    load_model,
    loaded_models,
    weights_path,
    weights_status,
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test instead of reaching out."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    registry.clear_loaded()
    yield
    registry.clear_loaded()


def test_every_task_is_served_and_the_default_set_is_small():
    assert {spec.task for spec in MODELS.values()} == set(registry.TASKS)
    assert set(DEFAULT_MODELS) == {
        "resnet18", "fasterrcnn_mobilenet_v3_large_fpn", "lraspp_mobilenet_v3_large", "lenet5", "efficientnet_lite0",
    }
    for name in ("vgg16", "alexnet", "fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn",
                 "fcn_resnet50"):
        assert name in MODELS
    default_bytes = sum(MODELS[n].weights.meta["_file_size"] for n in DEFAULT_MODELS if MODELS[n].weights)
    assert default_bytes < 150  # MB: small enough to fetch on a classroom connection


def test_labels_come_from_the_weights():
    assert len(MODELS["resnet18"].labels) == 1000
    assert MODELS["resnet18"].labels[0] == "tench"
    assert MODELS["fasterrcnn_mobilenet_v3_large_fpn"].labels[1] == "person"
    assert MODELS["lraspp_mobilenet_v3_large"].labels[15] == "person"
    assert MODELS["keypointrcnn_resnet50_fpn"].labels == ["no person", "person"]
    assert MODELS["lenet5"].labels == [str(d) for d in range(10)]


def test_input_info_comes_from_the_transforms():
    assert MODELS["resnet18"].input_info()["crop"] == [224]
    assert MODELS["resnet18"].input_info()["mean"] == [0.485, 0.456, 0.406]
    assert MODELS["lraspp_mobilenet_v3_large"].input_info()["resize"] == [520]
    assert MODELS["maskrcnn_resnet50_fpn"].input_info()["min_size"] == 800


def test_weights_path_is_torchvisions_file_name(tmp_path):
    assert weights_path(MODELS["resnet18"], tmp_path) == tmp_path / "resnet18-f37072fd.pth"
    assert weights_path(MODELS["alexnet"], tmp_path).name == "alexnet-owt-7be5be79.pth"
    for spec in MODELS.values():
        if spec.weights is not None:
            assert weights_path(spec, tmp_path).name == spec.weights.url.rsplit("/", 1)[1]
    assert weights_path(MODELS["lenet5"], tmp_path) == LENET_WEIGHTS


# VGG-16 and AlexNet are left out for time (about 5 s each): their builders, like ResNet-18's,
# take nothing from the weights but num_classes, and ResNet-18 stands for them.
TORCHVISION_MODELS = [
    name for name, spec in MODELS.items() if spec.weights is not None and name not in ("vgg16", "alexnet")
]


@pytest.mark.parametrize("name", TORCHVISION_MODELS)
def test_built_architecture_is_torchvisions_pretrained_one(name, monkeypatch):
    spec = MODELS[name]
    ours = spec.build()
    assert sum(p.numel() for p in ours.parameters()) == spec.weights.meta["num_params"]
    state = ours.state_dict()
    # torchvision's own builder with weights, fed this state dict instead of a download
    monkeypatch.setattr(WeightsEnum, "get_state_dict", lambda self, *args, **kwargs: state)
    theirs = spec.builder(weights=spec.weights)
    # same modules with the same settings (FrozenBatchNorm2d and its eps included) …
    assert repr(ours) == repr(theirs)
    # … and the same state dict keys and shapes, both ways
    spec.build().load_state_dict(theirs.state_dict())


def test_status_of_an_empty_folder(tmp_path):
    rows = {row["name"]: row for row in weights_status(tmp_path)}
    assert set(rows) == set(MODELS)
    assert rows["resnet18"]["weights"] == "missing"
    assert rows["resnet18"]["sha256"] is None
    assert rows["resnet18"]["labels"] == 1000
    assert rows["resnet18"]["fetch"] == "stride weights fetch resnet18"
    assert rows["resnet18"]["task"] == "classification"
    assert rows["lenet5"]["weights"] == ("present" if LENET_WEIGHTS.is_file() else "missing")


def test_status_reports_size_and_a_cached_sha256(tmp_path, monkeypatch):
    path = weights_path(MODELS["resnet18"], tmp_path)
    path.write_bytes(b"not really weights")
    row = next(r for r in weights_status(tmp_path) if r["name"] == "resnet18")
    assert row["weights"] == "present"
    assert row["size_bytes"] == len(b"not really weights")
    assert row["sha256"] == hashlib.sha256(b"not really weights").hexdigest()
    assert row["hash_matches_name"] is False

    hashed = []
    real_sha256 = hashlib.sha256
    monkeypatch.setattr(registry.hashlib, "sha256", lambda *a: hashed.append(1) or real_sha256(*a))
    weights_status(tmp_path)
    assert hashed == []  # cached by mtime and size
    path.write_bytes(b"other bytes, other size")
    row = next(r for r in weights_status(tmp_path) if r["name"] == "resnet18")
    assert hashed == [1]
    assert row["sha256"] == real_sha256(b"other bytes, other size").hexdigest()


# ---- fetching ----


def test_fetch_offline_fails_cleanly(tmp_path, monkeypatch):
    calls = []

    def offline(url, **kwargs):
        calls.append((url, kwargs))
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(FetchError) as err:
        fetch_weights(["resnet18"], tmp_path / "weights", progress=False)
    message = str(err.value)
    assert "resnet18" in message
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in message
    assert "name resolution" in message
    assert "Traceback" not in message
    assert err.value.messages["ru"]
    url, kwargs = calls[0]
    assert kwargs["check_hash"] is True
    assert kwargs["model_dir"] == str(tmp_path / "weights")
    assert kwargs["progress"] is False


def test_fetch_a_bad_hash_is_a_fetch_error(tmp_path, monkeypatch):
    def bad_hash(url, **kwargs):
        raise RuntimeError('invalid hash value (expected "f37072fd", got "00000000")')

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", bad_hash)
    with pytest.raises(FetchError, match="invalid hash"):
        fetch_weights(["resnet18"], tmp_path)


def test_fetch_writes_torchvisions_file_and_replaces_a_damaged_one(tmp_path, monkeypatch):
    def download(url, model_dir, **kwargs):
        (Path(model_dir) / os.path.basename(url)).write_bytes(b"downloaded")
        return {}

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", download)
    target = weights_path(MODELS["lraspp_mobilenet_v3_large"], tmp_path)
    target.write_bytes(b"half a download")  # its sha256 does not start with d234d4ea
    paths = fetch_weights(["lraspp_mobilenet_v3_large"], tmp_path)
    assert paths == [target]
    assert target.read_bytes() == b"downloaded"


def test_fetch_default_set_and_lenet_is_not_downloaded(tmp_path, monkeypatch):
    fetched = []
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", lambda url, **kw: fetched.append(url) or {})
    paths = fetch_weights(None, tmp_path)
    assert len(fetched) == len([name for name in DEFAULT_MODELS if MODELS[name].fetchable]) == len(DEFAULT_MODELS) - 2
    if LENET_WEIGHTS.is_file():
        assert LENET_WEIGHTS in paths


def test_fetch_unknown_name_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as err:
        fetch_weights(["resnet1000"], tmp_path)
    assert err.value.status == 404
    assert "resnet18" in err.value.messages["en"]


# ---- loading ----


def test_missing_weights_name_the_fetch_command(tmp_path):
    with pytest.raises(WeightsMissing) as err:
        load_model("resnet18", tmp_path)
    assert err.value.command == "stride weights fetch resnet18"
    assert "stride weights fetch resnet18" in err.value.message("en")
    assert "stride weights fetch resnet18" in err.value.message("ru")
    assert err.value.status == 503
    assert err.value.path == tmp_path / "resnet18-f37072fd.pth"


def save_random(name, weights_dir, seed=0):
    torch.manual_seed(seed)
    model = MODELS[name].build()
    torch.save(model.state_dict(), weights_path(MODELS[name], weights_dir))
    return model


def test_load_model_loads_the_file_once_and_again_when_it_changes(tmp_path):
    saved = save_random("resnet18", tmp_path, seed=1)
    model = load_model("resnet18", tmp_path)
    assert not model.training
    for (key, ours), theirs in zip(model.state_dict().items(), saved.state_dict().values()):
        assert torch.equal(ours, theirs), key
    assert load_model("resnet18", tmp_path) is model
    assert loaded_models()[0]["name"] == "resnet18"
    file_bytes = weights_path(MODELS["resnet18"], tmp_path).read_bytes()
    assert loaded_models()[0]["sha256"] == hashlib.sha256(file_bytes).hexdigest()

    saved = save_random("resnet18", tmp_path, seed=2)
    path = weights_path(MODELS["resnet18"], tmp_path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    reloaded = load_model("resnet18", tmp_path)
    assert reloaded is not model
    assert torch.equal(reloaded.fc.weight, saved.fc.weight)


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage" * 100, "a state dict of another network"],
)
def test_unusable_file_is_never_replaced_by_an_untrained_network(tmp_path, content):
    path = weights_path(MODELS["resnet18"], tmp_path)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save({"conv.weight": torch.zeros(3, 3)}, path)
    with pytest.raises(WeightsMissing) as err:
        load_model("resnet18", tmp_path)
    assert err.value.reason != "missing"
    assert err.value.command == "stride weights fetch resnet18"


class Payload:
    """An arbitrary object: weights_only loading must refuse to unpickle it."""


def test_pickled_objects_are_refused(tmp_path):
    torch.save({"fc.weight": Payload()}, weights_path(MODELS["resnet18"], tmp_path))
    with pytest.raises(WeightsMissing):
        load_model("resnet18", tmp_path)


@pytest.mark.skipif(not LENET_WEIGHTS.is_file(), reason="app/weights/lenet5.pt not committed yet")
def test_lenet_loads_from_the_committed_file(tmp_path):
    model = load_model("lenet5", tmp_path)
    assert type(model).__name__ == "LeNet5"
    assert not model.training


def test_unknown_model_is_404(tmp_path):
    with pytest.raises(InputError) as err:
        load_model("googlenet", tmp_path)
    assert err.value.status == 404
