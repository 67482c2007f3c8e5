"""Figures the lessons give where the lecture is wrong or loose (issue 10), each against an independent reference."""

import math

import torch
import torchvision
from torch import nn

from app.compute.lessons import datasets
from app.compute.nets import alexnet, lenet
from app.compute.ops import arithmetic, layer_shapes
from app.compute.nets import cost_split


def test_voc_2010_against_its_own_statistics():
    voc = datasets.voc_check()
    # VOC 2010 devkit, main trainval: train 4,998 + val 5,105 images, 23,374 objects.
    assert voc["images"] == 4998 + 5105 == 10103
    assert voc["objects"] == 23374
    assert round(voc["mean_objects"], 2) == 2.31  # not the lecture's 2.4
    assert round(voc["voc2012_mean_objects"], 1) == 2.4  # VOC 2012: 27,450 / 11,540
    assert voc["lecture_objects"] == 20000 * 2.4
    assert voc["bytes_per_image"] == 1.3e9 / 10103
    assert voc["lecture_bytes_per_image"] == 1.3e9 / 20000


def test_one_perfect_box_per_image_recall_is_images_over_objects():
    coco = datasets.one_box_recall("coco2014")
    assert coco["images"] == 82783 + 40504
    assert math.isclose(coco["recall"], (82783 + 40504) / round((82783 + 40504) * 7.2))
    assert round(coco["recall"], 2) == 0.14
    for key in datasets.DATASETS:
        assert math.isclose(datasets.derived(key)["one_box_recall"], min(1.0, 1 / datasets.DATASETS[key].mean_objects))


def _plain_vgg16_macs():
    """VGG-16 (configuration D) counted by hand: 3×3 convs at padding 1, 2×2 pools, three fc layers."""
    side, channels, convs = 224, 3, {}
    for item in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
        if item == "M":
            side //= 2
            continue
        convs[side] = convs.get(side, 0) + side * side * item * channels * 9
        channels = item
    fc = 512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000
    return convs, fc


def _plain_resnet18_macs():
    """ResNet-18 counted by hand, grouped by the resolution each block outputs."""
    groups = {112: 112 * 112 * 64 * 3 * 49}
    channels, side = 64, 56
    for stage, width in enumerate((64, 128, 256, 512)):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            out = side // stride
            macs = out * out * width * channels * 9 + out * out * width * width * 9
            if stride == 2:
                macs += out * out * width * channels  # the 1×1 projection
            groups[out] = groups.get(out, 0) + macs
            channels, side = width, out
    return groups, 512 * 1000


def test_resnet18_vs_vgg16_split_against_hand_counts_and_torchvision():
    c = cost_split.compare("resnet18", "vgg16")
    rows = {r["group"]: r for r in c["rows"]}
    vgg_convs, vgg_fc = _plain_vgg16_macs()
    res_convs, res_fc = _plain_resnet18_macs()
    for side in (224, 112, 56, 28, 14, 7):
        assert rows[side]["costly_macs"] == vgg_convs.get(side, 0)
        assert rows[side]["cheap_macs"] == res_convs.get(side, 0)
    assert rows["fc"]["costly_macs"] == vgg_fc and rows["fc"]["cheap_macs"] == res_fc
    # Parameters from torchvision's own modules, fc layers apart.
    vgg, res = torchvision.models.vgg16(weights=None), torchvision.models.resnet18(weights=None)
    vgg_fc_params = sum(p.numel() for p in vgg.classifier.parameters())
    assert rows["fc"]["costly_params"] == vgg_fc_params
    assert rows["fc"]["cheap_params"] == sum(p.numel() for p in res.fc.parameters())
    assert c["totals"]["costly_params"] == sum(p.numel() for p in vgg.parameters())
    # The claims the lesson makes: the fc layers are most of the parameter saving and ~124 M of ~15.5 G MACs,
    # and early downsampling (everything VGG does above 56×56) is a third of the multiply-add saving.
    assert rows["fc"]["params_share"] > 0.95
    assert round(vgg_fc / 1e6) == 124 and round(sum(vgg_convs.values()) / 1e9 + vgg_fc / 1e9, 1) == 15.5
    above = vgg_convs[224] + vgg_convs[112] - res_convs[112]
    assert c["above"]["sides"] == [224, 112]
    assert math.isclose(c["above"]["macs_share"], above / (sum(vgg_convs.values()) + vgg_fc
                                                           - sum(res_convs.values()) - res_fc))
    assert math.isclose(sum(r["macs_share"] for r in c["rows"]), 1.0)


def test_three_by_three_stride_two_padding_one_gives_half_rounded_up():
    for width in range(1, 300):
        result = arithmetic.conv_arithmetic(width, 3, 2, 1)
        assert result["floor_output"] == math.ceil(width / 2)
        assert torch.nn.functional.conv2d(torch.zeros(1, 1, width, width), torch.zeros(1, 1, 3, 3),
                                          stride=2, padding=1).shape[-1] == math.ceil(width / 2)


def test_lenet_c3_sparse_against_the_paper_and_dense_against_torch():
    c3 = lenet.c3_connections()
    # The paper's table I, written out row by row: an X where S2 map (row) feeds C3 map (column).
    table = ["X...XXX..XXXX.XX", "XX...XXX..XXXX.X", "XXX...XXX..X.XXX",
             ".XXX..XXXX..X.XX", "..XXX..XXXX.XX.X", "...XXX..XXXX.XXX"]
    links = [[row[col] == "X" for row in table] for col in range(16)]
    assert [tuple(i for i, on in enumerate(col) if on) for col in links] == [tuple(sorted(c)) for c in lenet.PAPER_C3_INPUTS]
    assert c3["sparse_links"] == sum(map(sum, links)) == 60
    assert c3["sparse_params"] == 60 * 25 + 16 == 1516  # the paper states 1,516 trainable parameters
    assert c3["dense_params"] == sum(p.numel() for p in nn.Conv2d(6, 16, 5).parameters()) == 2416


def test_lenets_own_conv_pool_conv_pool_shapes():
    table = layer_shapes.stack_shapes((1, 32, 32), layer_shapes.small_stack(5, False, 6, 16))
    sides = [row["output"][1] for row in table["rows"]]
    plain, side = [], 32
    for step in ("conv", "pool", "conv", "pool"):
        side = side - 5 + 1 if step == "conv" else side // 2
        plain.append(side)
    assert sides == plain == [28, 14, 10, 5]
    model_shapes = lenet.LeNet5().forward_layers(torch.zeros(1, 1, 32, 32))
    assert [tuple(model_shapes[name].shape[1:]) for name in ("c1", "s2", "c3", "s4")] == \
        [tuple(row["output"]) for row in table["rows"]]


def test_alexnet_conv1_leaves_column_224_unread():
    def plain(width, kernel=11, stride=4, padding=0):
        read = set()
        start = -padding
        while start + kernel <= width + padding:
            read.update(range(start, start + kernel))
            start += stride
        return [c + 1 for c in range(width) if c not in read]

    assert alexnet.unread_columns(224) == plain(224) == [224]
    assert alexnet.unread_columns(227) == plain(227) == []
    for width in range(11, 240):
        for padding in (0, 1, 2):
            assert alexnet.unread_columns(width, padding=padding) == plain(width, padding=padding)


def test_alexnet_ensemble_without_extra_data():
    ensemble = next(d for d in alexnet.training_details() if d["key"] == "ensemble")
    assert ensemble["values"]["plain_models"] == 5 and ensemble["values"]["plain_ensemble"] == 16.4
    assert math.isclose(ensemble["values"]["plain_gain"], 18.2 - 16.4)
    relu = next(d for d in alexnet.training_details() if d["key"] == "relu")
    assert "Nair" in relu["note"]["en"] and "Джарретта" in relu["note"]["ru"]
