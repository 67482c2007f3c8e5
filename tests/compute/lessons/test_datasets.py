"""The lecture's dataset table as data, and the numbers derived from it, checked by hand."""

import pytest

from app.compute.lessons import datasets
from app.compute.errors import InputError
from app.settings import ROOT

LECTURE = ROOT.parent / "shared" / "lecture" / "cnn-lecture.txt"


def test_the_lecture_figures():
    voc, imagenet, coco = (datasets.DATASETS[k] for k in ("voc2010", "ilsvrc2014", "coco2014"))
    assert (voc.classes, imagenet.classes, coco.classes) == (20, 200, 80)
    assert (voc.mean_objects, imagenet.mean_objects, coco.mean_objects) == (2.4, 1.1, 7.2)
    assert voc.size_gb == 1.3
    for d in datasets.DATASETS.values():
        # "~20k" is 20,000: the stored count is the lecture's cell read as a number
        assert d.images == int(d.images_text.strip("~k")) * 1000


@pytest.mark.skipif(not LECTURE.exists(), reason="the lecture text is not beside the project")
def test_the_table_is_in_the_lecture():
    text = LECTURE.read_text(encoding="utf-8")
    cells = "\t".join(d.images_text for d in datasets.DATASETS.values())
    assert cells in text
    assert "\t".join(f"{d.mean_objects:g}" for d in datasets.DATASETS.values()) in text
    assert "\t".join(str(d.classes) for d in datasets.DATASETS.values()) in text
    for d in datasets.DATASETS.values():
        assert d.remark_ru.rstrip(".") in text


@pytest.mark.parametrize("key, objects, per_class, objects_per_class", [
    ("voc2010", 48_000, 1_000, 2_400), ("ilsvrc2014", 517_000, 2_350, 2_585), ("coco2014", 864_000, 1_500, 10_800)])
def test_derived_numbers(key, objects, per_class, objects_per_class):
    d = datasets.derived(key, 100)
    assert d["objects"] == objects
    assert d["images_per_class"] == pytest.approx(per_class)
    assert d["objects_per_class"] == pytest.approx(objects_per_class)
    assert d["detections"] == d["images"] * 100
    assert d["iou_pairs"] == round(d["images"] * 100 * d["mean_objects"])


def test_bytes_per_image_only_where_a_size_is_known():
    assert datasets.derived("voc2010")["bytes_per_image"] == pytest.approx(1.3e9 / 20_000)
    assert datasets.derived("coco2014")["bytes_per_image"] is None


def test_compare_gives_ratios():
    result = datasets.compare("voc2010", "coco2014", 10)
    assert result["ratios"]["images"] == pytest.approx(6.0)
    assert result["ratios"]["objects"] == pytest.approx(864_000 / 48_000)
    assert result["ratios"]["mean_objects"] == pytest.approx(3.0)
    assert set(result["ratios"]) == set(datasets.QUANTITIES)


def test_coco_check():
    check = datasets.coco_check()
    assert check["images"] == 123_287 and check["difference"] == 3_287
    assert check["size_gb"] == 19 and check["bytes_per_image"] == pytest.approx(19e9 / 123_287)


@pytest.mark.parametrize("key, detections", [("mnist", 100), ("voc2010", 0), ("voc2010", 1001), ("voc2010", 2.5),
                                            ("voc2010", True)])
def test_bad_requests(key, detections):
    with pytest.raises(InputError):
        datasets.derived(key, detections)
