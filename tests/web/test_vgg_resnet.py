"""The vgg and resnet lessons' widgets through their fragment URLs: default and edge states, bad input
answered with 422 and a translated message, the missing-weights note, and the path with weights present."""

import dataclasses
import re
from html import unescape

import pytest
import torch
import torchvision

from fastapi.testclient import TestClient

from app.compute.lessons import history
from app.compute.nets import activations
from app.compute.nets.architectures import architecture_table, compare_vgg16_with_lecture, vgg_configurations
from app.compute.nets.registry import MODELS, clear_loaded, weights_path
from app.main import create_app
from app.settings import Settings
from app.web.widgets import EXERCISES, vgg_resnet
from app.web.widgets.registry import make_question
from tests.web.refusals import kept_refusal


def fragment(client, lesson, block, lang="en", **state):
    query = "&".join(f"{block}.{key}={value}" for key, value in state.items())
    return client.get(f"/{lang}/lessons/{lesson}/widgets/{block}?{query}")


def test_lessons_have_enough_exercises(app):
    for slug in ("vgg", "resnet"):
        for lang in ("en", "ru"):
            lesson = app.state.catalog.get(lang, slug)
            assert sum(1 for b in lesson.blocks.values() if b.kind == "exercise") >= 3


def test_vgg_table_rows_memory_params_and_lecture_figures(client):
    response = fragment(client, "vgg", "table", step=3)
    assert response.status_code == 200
    html = response.text
    table = architecture_table("vgg16")
    assert html.count('data-row="') == len(table["layers"]) == 22
    conv1 = table["layers"][1]
    assert f"224×224×64 = {conv1['activations']:,}" in html
    assert f"(3×3×3)×64 = {conv1['weights']:,}" in html
    assert "7×7×512×4096 = 102,760,448" in html  # the lecture's way of writing FC6
    assert "lecture: 3.2M" in html  # the slide's own figure, in small print
    assert f"{table['totals']['params']:,}" in html and f"{table['totals']['activations']:,}" in html
    # Rows after the current step start hidden; the running totals are the server's.
    assert html.count("is-pending") == 22 - 4
    trace = re.search(r"<script type=\"application/json\" data-trace>(.*?)</script>", html, re.S).group(1)
    assert f"{sum(r['activations'] for r in table['layers'][:4]):,}" in trace


def test_vgg_table_without_weights_says_so_and_shows_no_maps(client):
    html = fragment(client, "vgg", "table").text
    assert "stride weights fetch vgg16" in html
    assert "not installed" in html
    assert "data:image/png" not in html
    russian = fragment(client, "vgg", "table", lang="ru").text
    assert "не установлены" in russian and "stride weights fetch vgg16" in russian


def test_vgg_table_shows_maps_when_weights_are_present(monkeypatch, tmp_path):
    torch.manual_seed(0)
    model = torchvision.models.vgg16(weights=None).eval()
    x, crop = activations.photo_input("vgg16", "coffee")
    computed = {"network": "vgg16", "sample": "coffee", "crop": crop,
                "rows": activations.network_activations(model, x, "vgg16")}
    calls = []

    def fake(network, sample, weights_dir, device="cpu"):
        # The real maps of a real forward pass; only the file behind the weights is skipped (500 MB).
        assert (network, sample, weights_dir) == ("vgg16", "coffee", tmp_path)
        calls.append(sample)
        return computed

    weights_path(MODELS["vgg16"], tmp_path).write_bytes(b"stands in for the weights")
    monkeypatch.setattr(vgg_resnet.activations, "sample_activations", fake)
    with TestClient(create_app(Settings(device="cpu", weights_dir=tmp_path))) as client:
        html = fragment(client, "vgg", "table", sample="coffee", step=1).text
        again = fragment(client, "vgg", "table", sample="coffee", step=2).text
    assert calls == ["coffee"]  # the maps are computed once per photo and weights file, then kept
    assert again.count('src="data:image/png') == html.count('src="data:image/png')
    assert "stride weights fetch" not in html
    maps = sum(len(r["maps"]) for r in computed["rows"])
    assert maps == 18 * activations.MAPS_PER_ROW  # 13 convs and 5 pools; the input and the FCs have none
    assert html.count('src="data:image/png') == maps
    assert html.count('src="data:image/jpeg') == 1  # the crop the network sees


@pytest.mark.parametrize(("state", "word"), [
    ({"step": "99"}, "step"), ({"step": "-1"}, "step"), ({"step": "x"}, "step"),
    ({"sample": "nope"}, "sample"), ({"speed": "0"}, "speed"), ({"speed": "nan"}, "speed"),
])
def test_vgg_table_bad_state(client, state, word):
    response = fragment(client, "vgg", "table", **state)
    assert word in kept_refusal(response)
    assert re.search("[а-яё]{4}", kept_refusal(fragment(client, "vgg", "table", lang="ru", **state)))


def test_vgg_chart_scales_and_findings(client):
    html = fragment(client, "vgg", "chart", scale="log").text
    assert "data-plotly" in html and '"type":"log"' in html.replace(" ", "")
    rows = architecture_table("vgg16")["layers"]
    fc_share = 100 * sum(r["params"] for r in rows if r["kind"] == "fc") / sum(r["params"] for r in rows)
    assert f"{fc_share:.1f}%" in html
    assert fragment(client, "vgg", "chart", scale="cubic").status_code == 422


def test_vgg_lecture_totals_beside_computed(client):
    c = compare_vgg16_with_lecture()
    html = fragment(client, "vgg", "lecture", batch=4).text
    assert "138M parameters" in html and f"{c['lecture_weights_sum']:,}" in html
    assert f"{c['params']:,}" in html and f"{c['biases']:,} biases" in html
    assert f"{c['lecture_rows_memory_sum']:,.0f}" in html and f"{c['activations']:,}" in html
    assert f"{c['forward_mib']:.1f} MiB" in html and f"{c['forward_backward_mib']:.1f} MiB" in html
    assert f"{c['forward_bytes'] * 4 / 2**20:.1f} MiB" in html  # the batch of 4
    assert "93" in html and "×2" in html
    for bad in ("0", "513", "two"):
        assert fragment(client, "vgg", "lecture", batch=bad).status_code == 422


def test_vgg_lecture_in_russian_uses_russian_numbers(client):
    html = fragment(client, "vgg", "lecture", lang="ru").text
    assert "138\u00a0357\u00a0544" in html and "МиБ" in html


@pytest.mark.parametrize("columns", ["lecture", "all"])
def test_vgg_configs_generated_from_networks(client, columns):
    names = ("B", "C", "D") if columns == "lecture" else ("A", "B", "C", "D", "E")
    html = fragment(client, "vgg", "configs", columns=columns).text
    configs = vgg_configurations(names)
    for name in names:
        assert f"{configs[name]['weight_layers']} weight layers" in html
    assert html.count("conv1-256") == 1 and html.count("conv1-512") == 2  # C's 1×1 convs, marked
    assert html.count('class="differs') == (3 if columns == "lecture" else 3 + 3)  # C's 1×1 convs; E's fourth convs
    assert fragment(client, "vgg", "configs", columns="F").status_code == 422


def test_vgg_stack_counts(client):
    html = fragment(client, "vgg", "stack", layers=2, channels=64).text
    assert "5×5" in html and f"{2 * 9 * 64 * 64:,}" in html and f"{25 * 64 * 64:,}" in html
    assert html.count("<td class=\"ring-") == 25
    assert "One layer is just" in fragment(client, "vgg", "stack", layers=1).text
    for state in ({"layers": "0"}, {"layers": "7"}, {"channels": "0"}, {"channels": "1.5"}):
        assert fragment(client, "vgg", "stack", **state).status_code == 422


def test_resnet_depth_chart_from_history(client):
    html = unescape(fragment(client, "resnet", "depth", scale="linear").text)
    for entry in history.entries():
        assert entry["name"] in html and entry["source"] in html
    summary = history.depth_summary()
    assert f"{summary['depth_factor']:.0f}× deeper" in html
    assert "15.3%" in html and "16.422%" in html  # the lecture's quote beside the 2012 results
    assert fragment(client, "resnet", "depth", scale="sideways").status_code == 422


def test_resnet_block_without_weights_is_labelled(client):
    response = fragment(client, "resnet", "block", sample="coffee", channel=2)
    html = response.text
    assert response.status_code == 200
    assert "not a trained one" in html and "Sobel" in html
    assert html.count('src="data:image/png') == 3  # x, F(x), ReLU(F(x) + x)
    assert "[6×112×112]" in html
    for state in ({"channel": "7"}, {"channel": "0"}, {"sample": "moon"}):  # 6 channels, counted from 1
        response = fragment(client, "resnet", "block", **state)
        assert response.status_code == 422, state


@pytest.fixture
def resnet_weights(tmp_path):
    torch.manual_seed(0)
    model = MODELS["resnet18"].build()
    torch.save(model.state_dict(), weights_path(MODELS["resnet18"], tmp_path))
    yield tmp_path
    clear_loaded()


def test_resnet_block_and_classification_with_weights_present(resnet_weights):
    # The app's own weights folder (its settings), not the environment's: widgets ask their context.
    with TestClient(create_app(Settings(device="cpu", weights_dir=resnet_weights))) as client:
        block = fragment(client, "resnet", "block", sample="astronaut", channel=64).text
        classify = fragment(client, "resnet", "classify", sample="astronaut").text
        result = client.post("/api/models/resnet18/predict", json={"sample": "astronaut"}).json()
    assert "layer1.0" in block and "[64×56×56]" in block and "not a trained one" not in block
    assert "weights-missing" not in classify
    assert 'data-model="resnet18"' in classify and "data-photo-input" in classify
    assert '<option value="resnet18" selected>ResNet-18</option>' in classify
    assert re.search(r'<option value="vgg16"\s+disabled[^>]*>VGG-16 \(weights not installed: stride weights fetch vgg16\)',
                     unescape(classify))
    # The sample chosen in the lesson is offered first; the photo goes through the models' JSON API.
    assert classify.index('value="astronaut"') < classify.index('value="chelsea"')
    assert len(result["top5"]) == 5


def test_resnet_classify_without_resnet_weights_runs_efficientnet(client):
    for lang, words, title in (("en", "weights not installed", "according to EfficientNet-Lite0"),
                               ("ru", "веса не установлены", "по мнению EfficientNet-Lite0")):
        html = unescape(fragment(client, "resnet", "classify", lang=lang, sample="rocket").text)
        assert 'data-model="efficientnet_lite0"' in html and "data-photo-input" in html and title in html
        assert "weights-missing" not in html  # nothing to fetch before the first answer
        assert '<option value="efficientnet_lite0" selected>EfficientNet-Lite0</option>' in html
        option = re.search(r'<option value="resnet18"[^>]*>([^<]*)</option>', html)
        assert "disabled" in option.group(0) and option.group(1) == f"ResNet-18 ({words}: stride weights fetch resnet18)"
    assert fragment(client, "resnet", "classify", sample="../etc").status_code == 422
    assert fragment(client, "resnet", "classify", model="lenet5").status_code == 422


def test_resnet_classify_without_any_imagenet_weights_names_the_command(client, monkeypatch):
    spec = dataclasses.replace(MODELS["efficientnet_lite0"], installed_file=lambda: None)
    monkeypatch.setitem(MODELS, "efficientnet_lite0", spec)  # a broken install: not even the package
    for lang, words in (("en", "not installed"), ("ru", "не установлены")):
        html = fragment(client, "resnet", "classify", lang=lang, sample="rocket").text
        assert "stride weights fetch resnet18" in html and words in html
        assert "data-photo-input" not in html


def test_resnet_table_and_comparison(client):
    table = architecture_table("resnet18")
    html = fragment(client, "resnet", "table", compare="vgg16").text
    assert html.count("<tr class=\"kind-") == len(table["layers"])
    assert f"{table['totals']['params']:,}" in html and "(18 weight layers)" in html
    vgg = architecture_table("vgg16")["totals"]
    assert f"{vgg['params'] / table['totals']['params']:.1f}× fewer" in html
    assert "VGG-16’s" not in fragment(client, "resnet", "table", compare="none").text
    assert fragment(client, "resnet", "table", compare="alexnet").status_code == 422


def _numbers(text):
    return [int(n) for n in re.findall(r"\d+", text)]


@pytest.mark.parametrize("seed", range(10))
def test_exercise_answers_follow_from_their_prompts(seed):
    stack = make_question(EXERCISES["vgg-stack-3x3"], seed, "en", {})
    layers, _, _, _, channels, channels_out = _numbers(str(stack.prompt))[:6]
    assert channels == channels_out
    assert stack.answer in (2 * layers + 1, layers * 9 * channels**2, (2 * layers + 1) ** 2 * channels**2)

    block = make_question(EXERCISES["resnet-block-params"], seed, "en", {})
    c = _numbers(str(block.prompt))[0]
    assert block.answer == 2 * 3 * 3 * c * c

    params = make_question(EXERCISES["vgg-conv-params"], seed, "en", {})
    k, filters, _, _, k2, c_in = _numbers(str(params.prompt))[:6]
    weights = k * k2 * c_in * filters
    assert params.answer == (weights + filters if "weights and biases" in str(params.prompt) else weights)

    shape = make_question(EXERCISES["resnet-block-shape"], seed, "en", {})
    size, _, c_in, *_ = _numbers(str(shape.prompt))
    stride = int(re.search(r"stride (\d)", str(shape.prompt)).group(1))
    out = (size + 2 - 3) // stride + 1
    assert shape.answer == (out, out, c_in * stride)


def test_layer_descriptions_are_translated(client):
    vgg = fragment(client, "vgg", "table", lang="ru").text
    assert "свёртка 3×3, фильтров: 64, шаг 1, дополнение 1" in vgg and "filters" not in vgg
    resnet = fragment(client, "resnet", "table", lang="ru").text
    assert "тождественный обходной путь" in resnet and "shortcut" not in resnet
