"""The batched device path of classification (app.compute.nets.device_batch), run on the CPU: the same
decoder API and tensor code the GPU uses, checked against PIL and against the PIL-based classify_batch."""

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from app.compute import samples
from app.compute.nets import inference
from app.compute.errors import InputError
from app.compute.images import ORIENTATION, exif_orientation, open_upload
from app.compute.nets import device_batch
from app.compute.nets.device_batch import EncodedJpeg, Preset, classify_mixed, decode_jpegs, prepare, preset_of, upright
from app.compute.nets.registry import get_spec


def jpeg(image: Image.Image, orientation: int | None = None, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(buffer, "JPEG", quality=quality, exif=exif.tobytes() if orientation else b"")
    return buffer.getvalue()


def encoded(data: bytes) -> EncodedJpeg:
    image, fmt = open_upload(data, max_bytes=10 * 2**20, max_pixels=40_000_000, min_side=256)
    assert fmt == "JPEG"
    return EncodedJpeg(data, exif_orientation(image), image.size)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_upright_turns_tensors_as_pil_transposes(orientation):
    pixels = np.random.default_rng(orientation).integers(0, 256, (4, 7, 3), dtype=np.uint8)  # (H, W, 3)
    image = Image.fromarray(pixels)
    expected = image.transpose(ORIENTATION[orientation]) if orientation in ORIENTATION else image
    turned = upright(torch.from_numpy(pixels).permute(2, 0, 1), orientation)  # (3, H', W')
    assert np.array_equal(turned.permute(1, 2, 0).numpy(), np.asarray(expected))


def test_decode_jpegs_decodes_a_batch_and_isolates_a_damaged_file():
    photo = samples.load_sample("chelsea", 300)
    good = jpeg(photo)
    rotated = jpeg(photo, orientation=6)
    damaged = good[: len(good) // 3]  # cut short: the header is intact, the scan is not
    items = [encoded(good), encoded(rotated), EncodedJpeg(damaged, None, photo.size), encoded(good)]
    out = decode_jpegs(items, "cpu")
    assert isinstance(out[2], InputError) and out[2].status == 400
    reference = np.asarray(Image.open(io.BytesIO(good)).convert("RGB"))  # (H, W, 3) by libjpeg through PIL
    for tensor in (out[0], out[3]):
        assert tensor.dtype == torch.uint8 and tuple(tensor.shape) == (3, photo.height, photo.width)
        assert np.abs(tensor.permute(1, 2, 0).numpy().astype(int) - reference).mean() < 1.0
    assert tuple(out[1].shape) == (3, photo.width, photo.height)  # orientation 6: a quarter turn
    assert items[1].size == (photo.width, photo.height)  # open_upload reports the stored size


def test_preset_of_reads_torchvision_and_own_presets():
    resnet = preset_of(get_spec("resnet18").transforms())
    assert resnet == Preset(256, 224, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), "bilinear")
    lite = preset_of(get_spec("efficientnet_lite0").transforms())
    assert lite.mode == "bicubic" and lite.resize == 256 and lite.crop == 224
    assert preset_of(get_spec("lenet5").transforms()) is None  # digits are prepared differently


@pytest.mark.parametrize("name", ["resnet18", "efficientnet_lite0"])
def test_prepare_matches_the_models_own_preprocessing(name):
    transform = get_spec(name).transforms()
    photo = samples.load_sample("coffee", 800)  # 800×600: resize, then a centre crop along the width
    pixels = torch.from_numpy(np.asarray(photo).copy()).permute(2, 0, 1)  # (3, H, W) uint8
    ours = prepare([pixels, pixels.transpose(1, 2)], preset_of(transform))  # landscape and portrait
    assert ours.shape == (2, 3, 224, 224) and ours.dtype == torch.float32
    theirs = transform(photo)  # (3, 224, 224)
    one_level = 1 / 255 / min(transform.std)  # one grey level in normalised units
    assert (ours[0] - theirs).abs().mean() < one_level
    assert (ours[0] - theirs).abs().max() < 12 * one_level  # rounding to uint8 in between, at most
    portrait = transform(photo.transpose(Image.Transpose.TRANSPOSE))
    assert (ours[1] - portrait).abs().mean() < one_level


def test_classify_mixed_answers_as_the_pil_path_with_real_weights(tmp_path):
    """EfficientNet-Lite0's ImageNet weights ship with its package: the same top-5 as classify_batch."""
    chelsea, coffee = samples.load_sample("chelsea", 800), samples.load_sample("coffee", 800)
    upload = jpeg(chelsea.transpose(Image.Transpose.ROTATE_90), orientation=6, quality=95)  # stored sideways
    items = [encoded(upload), coffee, EncodedJpeg(b"\xff\xd8\xff" + b"\x00" * 64, None, (8, 8))]
    answers = classify_mixed("efficientnet_lite0", items, tmp_path, "cpu")
    assert isinstance(answers[2], InputError)
    decoded = ImageOps.exif_transpose(Image.open(io.BytesIO(upload)))  # the same pixels, through PIL
    reference = inference.classify_batch("efficientnet_lite0", [decoded, coffee], tmp_path, "cpu")
    assert answers[0]["image_size"] == [chelsea.width, chelsea.height]  # upright again
    assert answers[1]["image_size"] == [coffee.width, coffee.height]
    for ours, theirs in zip(answers[:2], reference):
        assert [t["index"] for t in ours["top5"][:1]] == [t["index"] for t in theirs["top5"][:1]]
        for a, b in zip(ours["top5"], theirs["top5"]):
            if a["index"] == b["index"]:
                assert abs(a["probability"] - b["probability"]) < 0.03
    assert answers[1]["top5"][0]["label"] == "espresso"
    assert "cat" in " ".join(t["label"] for t in answers[0]["top5"][:3])


def test_top5_reads_the_top_of_each_row():
    probabilities = torch.softmax(torch.randn(3, 10, generator=torch.Generator().manual_seed(0)), dim=1)
    answers = device_batch.top5(probabilities, [f"class {i}" for i in range(10)])
    order = probabilities.argsort(dim=1, descending=True)[:, :5]
    for row, answer in enumerate(answers):
        assert [t["index"] for t in answer["top5"]] == order[row].tolist()
        assert [t["label"] for t in answer["top5"]] == [f"class {i}" for i in order[row].tolist()]
        assert answer["top5"][0]["probability"] == pytest.approx(float(probabilities[row].max()))
