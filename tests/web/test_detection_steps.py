"""The NMS and MABO widgets and their exercises: numbers against plain Python, forgiving controls, both languages."""

import re

import pytest

from app.web.widgets import EXERCISES
from app.web.widgets.detection_steps import NMS_OBJECTS
from app.web.widgets.registry import check_answer, make_question
from tests.compute.ops.test_detection_ops import plain_iou, plain_nms
from tests.web.test_lecture_corrections import fragment

CYRILLIC = re.compile("[а-яё]", re.I)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 1.0])
def test_nms_widget_against_plain_greedy_nms(client, lang, threshold):
    from app.compute.ops import nms

    page = fragment(client, "detection", "nms", lang, threshold=threshold, seed=4)
    found = nms.candidates(list(NMS_OBJECTS), (512, 512), 4)
    keep, by = plain_nms(found["boxes"], found["scores"], threshold)
    assert page.count('class="is-kept"') == len(keep)
    for box, killer in by.items():
        row = re.search(rf'<tr data-box="{box + 1}".*?</tr>', page, re.S).group(0)
        assert f"#{killer + 1}" in row
    summary = re.search(r"data-nms-summary>(.*?)</p>", page, re.S).group(1)
    assert f" {len(keep)} " in summary and bool(CYRILLIC.search(summary)) is (lang == "ru")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_nms_widget_keeps_a_bad_value_and_says_why(client, lang):
    page = fragment(client, "detection", "nms", lang, refused=True, threshold="1,7x")
    assert 'value="1,7x"' in page and 'aria-invalid="true"' in page
    message = re.search(r'class="field-error"[^>]*>(.*?)</small>', page, re.S).group(1)
    # The reason names the allowed range and echoes what was typed.
    assert re.search(r"1[.,]0", message) and re.search(r"1[.,]7x", message)
    assert bool(CYRILLIC.search(message)) is (lang == "ru")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_mabo_widget_against_plain_python(client, lang):
    from app.compute.ops.mabo import sliding_windows

    truth = [[100, 100, 300, 400], [10, 10, 60, 60]]
    page = fragment(client, "cv-tasks", "mabo", lang, truth="; ".join(" ".join(map(str, b)) for b in truth),
                    sizes="64 128", step=0.5)
    windows = sliding_windows(512, 512, [64, 128], 0.5)
    best = [max(plain_iou(t, w) for w in windows) for t in truth]
    mean = f"{sum(best) / 2:.3f}"
    assert (mean if lang == "en" else mean.replace(".", ",")) in re.search(r"data-mabo>(.*?)</p>", page, re.S).group(1)
    assert page.count("ld-truth") == 2


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_mabo_in_the_detection_lesson_uses_its_own_defaults(client, lang):
    """The detection lesson's second MABO (block mabo-det): larger windows from the lesson's block, the photo's
    three objects as true boxes; MABO against plain Python."""
    from app.compute.ops.mabo import sliding_windows
    from app.web.widgets.detection_steps import NMS_OBJECTS

    page = fragment(client, "detection", "mabo-det", lang)
    windows = sliding_windows(512, 512, [128, 256, 384], 0.5)
    best = [max(plain_iou(list(t), w) for w in windows) for t in NMS_OBJECTS]
    mean = f"{sum(best) / len(best):.3f}"
    assert (mean if lang == "en" else mean.replace(".", ",")) in re.search(r"data-mabo>(.*?)</p>", page, re.S).group(1)
    assert page.count("ld-truth") == 3


@pytest.mark.parametrize("state", [{"truth": "1 2 3"}, {"truth": ""}, {"truth": "0 0 900 10"}, {"sizes": "65"},
                                   {"step": "0"}])
def test_mabo_widget_bad_input_keeps_the_text(client, state):
    page = fragment(client, "cv-tasks", "mabo", "ru", refused=True, **state)
    name, value = next(iter(state.items()))
    assert f'value="{value}"' in page and f'id="mabo-{name}-error"' in page


@pytest.mark.parametrize("seed", range(15))
def test_nms_and_mabo_exercises_against_plain_python(seed):
    q = make_question(EXERCISES["nms-count"], seed, "en", {})
    listing = q.prompt.split("scores:")[1].split("NMS runs")[0]
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", listing)]
    boxes, scores = [], []
    for i in range(5):  # "#n [x1, y1, x2, y2] (score)"
        chunk = numbers[i * 6:(i + 1) * 6]
        boxes.append(chunk[1:5])
        scores.append(chunk[5])
    threshold = float(re.search(r"threshold (\d\.\d)", q.prompt).group(1))
    assert q.answer == len(plain_nms(boxes, scores, threshold)[0])
    assert check_answer(q, str(q.answer)) and not check_answer(q, str(q.answer + 1))

    m = make_question(EXERCISES["mabo-value"], seed, "en", {})
    boxes = [list(map(float, b)) for b in re.findall(r"\[(\d+), (\d+), (\d+), (\d+)\]", m.prompt)]
    truth, proposals = boxes[:2], boxes[2:5]
    expected = sum(max(plain_iou(t, p) for p in proposals) for t in truth) / 2
    assert m.answer == pytest.approx(expected, abs=0.0006)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("channel", [None, 8])  # counted from 1: the array's channel 7
def test_roi_anchors_widget(client, lang, channel):
    """RoI pooling of a real feature map (EfficientNet-Lite0's stage 5, stride 16): every pooled value is the plain
    Python maximum over its bin of that map, with the bins' rounding written in the test."""
    from app.compute.ops import roi
    from app.web.format import decimal
    from tests.compute.ops.test_detection_ops import plain_roi_pool

    state = {"output": 2, "row": 5, "col": 7, **({"channel": channel} if channel is not None else {})}  # from 1
    page = fragment(client, "detection", "roi", lang, **state)
    maps = roi.efficientnet_map("astronaut", "")
    assert maps.shape == (112, 32, 32)
    shown = channel - 1 if channel is not None else int(maps.mean(axis=(1, 2)).argmax())  # the array's index
    pooled = plain_roi_pool(maps[shown], [275, 340, 505, 512], 2, 1 / 16)
    for value in (v for r in pooled for v in r):
        assert decimal(float(value), lang, 2) in page  # the formatter only writes the number in the page's language
    assert "EfficientNet-Lite0" in page and f" {shown + 1} " in page  # the channel as the page counts it
    assert ("21,600" if lang == "en" else "21\u00a0600") in page and page.count("ld-anchor") == 9
    assert "(5, 7)" in page and "(96, 64)" in page  # map position row 5, column 7 from 1: pixel x = 16·6, y = 16·4


@pytest.mark.parametrize("seed", range(10))
def test_anchor_count_exercise(seed):
    q = make_question(EXERCISES["anchor-count"], seed, "en", {})
    w, h, stride = map(int, re.search(r"A (\d+)×(\d+) image .*? stride (\d+)", q.prompt).groups())
    sizes, ratios = map(int, re.search(r"of (\d+) sizes × (\d+) aspect", q.prompt).groups())
    assert q.answer == (w // stride) * (h // stride) * sizes * ratios


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_transposed_conv_widget_shows_torchs_output(client, lang):
    import json

    import torch
    import torch.nn.functional as F

    page = fragment(client, "segmentation", "transposed", lang, input="1 2; 3 4", kernel="1 2; 3 4", stride=2,
                    padding=1, output_padding=1)
    expected = F.conv_transpose2d(torch.tensor([[[[1.0, 2], [3, 4]]]]), torch.tensor([[[[1.0, 2], [3, 4]]]]),
                                  stride=2, padding=1, output_padding=1)[0, 0]
    trace = json.loads(re.search(r"data-trace>(.*?)</script>", page, re.S).group(1))
    assert [[float(v.replace(",", ".")) for v in row] for row in trace["steps"][-1]["output"]] == expected.tolist()
    assert "(2 − 1)·2 − 2·1 + 2 + 1 = 3" in page
    bad = fragment(client, "segmentation", "transposed", lang, refused=True, output_padding=5)
    assert 'value="5"' in bad and "field-error" in bad


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_upsampling_compare_widget(client, lang):
    """A real class score map (EfficientNet-Lite0's CAM at stride 32) upsampled ×2: the bilinear error recomputed
    here with F.interpolate, the fitted kernel's error with one whole least-squares problem."""
    import torch
    import torch.nn.functional as F

    from app.compute.nets import class_maps
    from app.web.format import decimal

    page = fragment(client, "segmentation", "upsample", lang, factor=2)
    maps = class_maps.score_maps("chelsea", 2, "")
    coarse, dense = torch.from_numpy(maps["coarse"])[None, None], torch.from_numpy(maps["dense"])[None, None]
    bilinear = float((F.interpolate(coarse, scale_factor=2, mode="bilinear") - dense).pow(2).mean())
    columns = []
    for a in range(4):
        for b in range(4):
            w = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
            w[0, 0, a, b] = 1
            columns.append(F.conv_transpose2d(coarse, w, stride=2, padding=1).flatten())
    design = torch.stack(columns, 1)
    best = torch.linalg.lstsq(design, dense.flatten()[:, None]).solution
    learned = float(((design @ best).flatten() - dense.flatten()).pow(2).mean())
    assert learned <= bilinear
    for value in (bilinear, learned):
        assert decimal(value, lang, 4) in page
    assert maps["label"] in page and "EfficientNet-Lite0" in page
    assert page.count("<img") == 6


@pytest.mark.parametrize("seed", range(10))
def test_tc_output_size_exercise(seed):
    q = make_question(EXERCISES["tc-output-size"], seed, "en", {})
    k, stride, padding, out_pad, h = map(int, re.search(
        r"(\d+)×\d+ kernel, stride (\d+), padding (\d+) and output padding (\d+) gets a (\d+)×", q.prompt).groups())
    assert q.answer == (h - 1) * stride - 2 * padding + k + out_pad


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_alexnet_augment_widget(client, lang):
    page = fragment(client, "alexnet", "augment", lang, seed=3)
    counts = re.search(r"data-aug-counts>(.*?)</p>", page, re.S).group(1)
    for n in (33, 1089, 2178, 2048):
        assert (f"{n:,}" if lang == "en" else f"{n:,}".replace(",", "\u00a0")) in counts
    assert page.count('<li><img') == 6
    assert 'value="abc"' in fragment(client, "alexnet", "augment", lang, refused=True, sigma="abc")


@pytest.mark.parametrize("seed", range(10))
def test_augment_count_exercise(seed):
    q = make_question(EXERCISES["augment-count"], seed, "en", {})
    image, crop = map(int, re.search(r"are (\d+)×\d+; .*? random (\d+)×", q.prompt).groups())
    assert q.answer == (image - crop + 1) ** 2 * 2


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_depth_budget_widget(client, lang):
    from app.compute.nets import depth_budget

    page = fragment(client, "alexnet", "depth", lang, budget="60")
    for row in depth_budget.at_budget(60_000_000):
        assert f'data-depth="{row["depth"]}"' in page
        assert (f"{row['params']:,}" if lang == "en" else f"{row['params']:,}".replace(",", "\u00a0")) in page
    assert "field-error" in fragment(client, "alexnet", "depth", lang, refused=True, budget="7")


@pytest.mark.parametrize("seed", range(8))
def test_depth_params_exercise(seed):
    q = make_question(EXERCISES["depth-params"], seed, "en", {})
    d, c = map(int, re.search(r"stack of (\d+) convolutions, each 3×3 with (\d+) filters", q.prompt).groups())
    assert q.answer == (27 + 1) * c + (d - 1) * (9 * c + 1) * c


@pytest.mark.parametrize("block, lesson", [("roi", "detection"), ("upsample", "segmentation")])
def test_efficientnet_widgets_without_weights_say_so(client, monkeypatch, block, lesson):
    """Without EfficientNet-Lite0's weights the RoI map and the score map give way to the weights note (the anchors
    stay); nothing is computed and nothing fails."""
    from pathlib import Path

    from app.compute.nets.registry import WeightsMissing
    from app.web.widgets import registry

    def missing(name, weights_dir):
        raise WeightsMissing(name, Path("/nowhere") / f"{name}.pth")

    monkeypatch.setattr(registry, "weights_stamp", missing)
    page = fragment(client, lesson, block, "en")
    assert 'data-weights-missing="efficientnet_lite0"' in page
    assert "data-roi-pooled" not in page and "data-up-errors" not in page
    if block == "roi":
        assert page.count("ld-anchor") == 9
