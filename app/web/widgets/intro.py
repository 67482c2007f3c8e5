"""Widgets and exercises of lessons 1 (`why-cnn`) and 2 (`fully-connected-vs-conv`): the ImageNet error chart
and the lecture's figures, top-5 on a list of scores, inputs as tensors, neighbouring-pixel correlation, and
fully connected against convolutional layers (parameter counts and connectivity)."""

import re

import numpy as np
import plotly.graph_objects as go

from app.compute import samples
from app.compute.lessons import intro, modalities
from app.compute.errors import InputError
from app.web.charts import MARKERS, PALETTE, add_human_reference, figure_json, human_reference
from app.web.i18n import translate
from app.web.pictures import data_url
from app.web.format import decimal, grouped, percent
from app.web.widgets.params import Choice, Int, Text
from app.web.widgets.registry import WidgetContext, widget

def shape_text(shape) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _t(ctx_or_lang, key: str, **values) -> str:
    lang = ctx_or_lang if isinstance(ctx_or_lang, str) else ctx_or_lang.lang
    return translate(lang, key, **values)


def _entry_label(row: dict) -> str:
    return f"{row['team']} ({row['model']})" if row["model"] and row["model"] != row["team"] else row["team"]


# ---------------------------------------------------------------------------------------------
# Lesson 1: ImageNet top-5 error by year.

@widget("imagenet-errors", params={
    "view": Choice("chart", ("chart", "lecture")), "entries": Choice("all", ("best", "all")),
}, charts=True)
def build_imagenet_errors(ctx: WidgetContext) -> dict:
    view, entries = ctx.values("view", "entries")
    lang = ctx.lang
    data = intro.imagenet_results()
    quotes = intro.lecture_figures()
    by_key = {r["key"]: r for r in data["results"]}
    best_keys = {r["key"] for r in data["best"]}
    rows = [
        {**r, "label": _entry_label(r), "percent_text": percent(r["percent"] / 100, lang, 3, trim=True), "best": r["key"] in best_keys,
         "note": r["notes"][lang]}
        for r in data["results"]
    ]
    quote_rows = [
        {**q, "label": _entry_label(q), "lecture_text_value": percent(q["lecture"] / 100, lang, 1, trim=True),
         "official": percent(q["percent"] / 100, lang, 3, trim=True), "rounded_text": percent(q["rounded"] / 100, lang, 1),
         "truncated_text": percent(q["truncated"] / 100, lang, 1), "meaning": q["meaning"][lang],
         "how_text": _t(lang, f"intro_how_{q['how']}", rounded=percent(q["rounded"] / 100, lang, 1),
                        truncated=percent(q["truncated"] / 100, lang, 1))}
        for q in quotes
    ]
    drop = data["drop_2012"]
    summary = _t(
        lang, "intro_drop_summary",
        before=_entry_label(by_key[drop["before"]]), before_pct=percent(by_key[drop["before"]]["percent"] / 100, lang, 3, trim=True),
        after=_entry_label(by_key[drop["after"]]), after_pct=percent(by_key[drop["after"]]["percent"] / 100, lang, 3, trim=True),
        points=decimal(drop["points"], lang, 3, trim=True), relative=percent(drop["relative"], lang, 1, trim=True),
        first_year=data["first"]["year"], first=percent(data["first"]["percent"] / 100, lang, 3, trim=True),
        last_year=data["last"]["year"], last=percent(data["last"]["percent"] / 100, lang, 3, trim=True),
        factor=decimal(data["factor"], lang, 1, trim=True),
    )
    result = {"view": view, "entries": entries, "rows": rows, "quotes": quote_rows, "summary": summary,
              "quote_source": intro.LECTURE_QUOTE_SOURCE,
              "views": [("chart", _t(lang, "intro_view_chart")), ("lecture", _t(lang, "intro_view_lecture"))],
              "entry_options": [("all", _t(lang, "intro_entries_all")), ("best", _t(lang, "intro_entries_best"))],
              "human": human_reference(lang)}
    if view == "chart":
        result["figure"] = _imagenet_figure(rows, quote_rows, entries, lang)
    return result


def _imagenet_figure(rows: list[dict], quotes: list[dict], entries: str, lang: str) -> dict:
    best = [r for r in rows if r["best"]]
    hover = "%{customdata}<extra></extra>"

    def points(selected, name, symbol, color, position, size=13):
        return go.Scatter(
            x=[r["year"] for r in selected], y=[r["percent"] for r in selected], name=name,
            mode="markers+text", text=[f"{r['label']}<br>{r['percent_text']}" for r in selected],
            textposition=position, cliponaxis=False,
            customdata=[f"{r['year']} · {r['label']}: {r['percent_text']}<br>{r['note']}" for r in selected],
            hovertemplate=hover, marker={"symbol": symbol, "size": size, "color": color, "line": {"width": 2, "color": color}},
        )

    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[r["year"] for r in best], y=[r["percent"] for r in best], mode="lines",
                                line={"color": "#8c959f", "width": 2}, name=_t(lang, "intro_trace_best"),
                                hoverinfo="skip"))
    figure.add_trace(points([r for r in best if not r["cnn"]], _t(lang, "not_a_cnn"), MARKERS[1], PALETTE[1],
                            "top center"))
    # Labels of the best CNN entries go below-left and the others above-right, so the two 2012 entries do not collide.
    figure.add_trace(points([r for r in best if r["cnn"]], _t(lang, "cnn"), MARKERS[0], PALETTE[0],
                            "bottom left"))
    if entries == "all":
        others = [r for r in rows if not r["best"]]
        figure.add_trace(points(others, _t(lang, "intro_trace_other"), "diamond-open", PALETTE[3], "top right", 11))
    figure.add_trace(go.Scatter(
        x=[q["year"] for q in quotes], y=[q["lecture"] for q in quotes], name=_t(lang, "intro_trace_lecture"),
        mode="markers", marker={"symbol": "x-thin", "size": 16, "color": PALETTE[7], "line": {"width": 2, "color": PALETTE[7]}},
        customdata=[_t(lang, "intro_lecture_hover", value=q["lecture_text_value"], label=q["label"], official=q["official"])
                    for q in quotes],
        hovertemplate=hover,
    ))
    add_human_reference(figure, lang)
    figure.update_layout(
        xaxis={"title": {"text": _t(lang, "intro_axis_year")}, "dtick": 1, "range": [2009.5, 2015.9]},
        # Room below 0 % keeps the lowest labels off the year ticks.
        yaxis={"title": {"text": _t(lang, "top_5_error")}, "range": [-4, 33], "tick0": 0, "dtick": 5,
               "ticksuffix": "%" if lang == "en" else " %"},
        legend={"orientation": "h", "y": -0.3},
        margin={"l": 60, "r": 30, "t": 20, "b": 70},
        separators=".," if lang == "en" else ", ",
    )
    return figure_json(figure)


# ---------------------------------------------------------------------------------------------
# Lesson 1: top-1 and top-5 on a list of class scores.

CLASSES = (
    ("tabby cat", "полосатая кошка"), ("tiger cat", "тигровая кошка"), ("Egyptian cat", "египетская кошка"),
    ("Persian cat", "персидская кошка"), ("lynx", "рысь"), ("red fox", "рыжая лиса"), ("tiger", "тигр"),
    ("cougar", "пума"), ("teddy bear", "плюшевый мишка"), ("toilet paper", "туалетная бумага"),
)


def _class_names(lang: str, count: int = len(CLASSES)) -> list[str]:
    return [pair[0 if lang == "en" else 1] for pair in CLASSES[:count]]


def _scores(ctx: WidgetContext, seed: int) -> list[float]:
    """The scores typed by the student, or seeded ones when the field is empty."""
    raw = ctx.value("scores").replace(";", " ").strip()
    if not raw:
        return intro.seeded_scores(seed, len(CLASSES))
    # A comma right before a digit is a decimal comma (1,5); any other comma separates numbers.
    parts = re.sub(r",(?=\d)", ".", raw).replace(",", " ").replace("\u2212", "-").split()
    try:
        values = [float(v) for v in parts]
    except ValueError:
        values = []
    if not 2 <= len(values) <= len(CLASSES):
        raise InputError(
            en=f"“scores” must be 2 to {len(CLASSES)} numbers separated by spaces, one per class.",
            ru=f"«scores» — это от 2 до {len(CLASSES)} чисел через пробел, по одному на класс.",
        )
    return values


@widget("top5-scores", params={
    "scores": Text(""), "seed": Int(11, 0, 999_999), "true": Int(0, 0, len(CLASSES) - 1), "k": Int(5, 1, len(CLASSES)),
})
def build_top5_scores(ctx: WidgetContext) -> dict:
    seed = ctx.value("seed")
    scores = _scores(ctx, seed)
    names = _class_names(ctx.lang, len(scores))
    true = ctx.value("true", high=len(scores) - 1)  # fewer scores typed: fewer classes to pick from
    k = ctx.value("k", high=len(scores))
    report = intro.top_k(scores, true, k)
    lang = ctx.lang
    rows = [
        {**row, "name": names[row["index"]], "score_text": decimal(row["score"], lang, 2, trim=True),
         "probability_text": percent(row["probability"], lang, 1),
         "bar": round(100 * row["probability"], 1)}
        for row in report["rows"]
    ]
    first = names[report["ranking"][0]]
    scores_text = " ".join(decimal(s, lang, 4, trim=True) for s in scores)
    return {
        "report": report, "rows": rows, "names": list(enumerate(names)), "true": true, "k": k, "seed": seed,
        "scores_text": scores_text, "first": first, "true_name": names[true],
        "true_probability": percent(report["true_probability"], lang, 1),
        "topk_mass": percent(report["topk_mass"], lang, 1),
        "loss": decimal(report["loss"], lang, 3),
        "next_seed": (seed + 1) % 1_000_000,
        "code": (
            "import torch\n\n"
            f"scores = torch.tensor([{', '.join(f'{s:g}' for s in scores)}])  # one score (logit) per class\n"
            "p = torch.softmax(scores, dim=0)                 # probabilities, they sum to 1\n"
            f"top = torch.topk(p, k={k}).indices               # the {k} most likely classes\n"
            f"true_class = {true}\n"
            "print('top-1 correct:', top[0].item() == true_class)\n"
            f"print('top-{k} correct:', true_class in top.tolist())"
        ),
    }


# ---------------------------------------------------------------------------------------------
# Lesson 1: inputs as tensors.

KINDS = ("image", "sound", "volume", "video")
PHOTO_SIDE = 200
VOLUME_DEPTH, VOLUME_SIDE = 48, 128
N_FFTS = (64, 128, 256, 512, 1024)
WAVE_POINTS = 300
ZOOM_SECONDS = 0.02  # the close-ups of the waveform's start and end


def _gray_url(values: np.ndarray, low: float = 0.0, high: float = 1.0) -> str:
    scaled = np.clip((np.asarray(values, dtype=np.float64) - low) / (high - low), 0, 1)
    return data_url((scaled * 255).round().astype(np.uint8))


PHOTOS = tuple(key for key in samples.SAMPLES if key != "camera")  # colour photos


def _samples(ctx: WidgetContext) -> list[tuple[str, str]]:
    return [(key, samples.SAMPLES[key].captions[ctx.lang]) for key in PHOTOS]


@widget("input-tensors", params={
    "kind": Choice("image", KINDS), "sample": Choice("chelsea", PHOTOS), "signal": Choice("chirp", modalities.SIGNALS),
    "n_fft": Choice(256, N_FFTS), "hop": Int(None, 8, max(N_FFTS)),  # hop: n_fft / 4 unless set, at most n_fft
    "slice": Int(VOLUME_DEPTH // 2, 0, VOLUME_DEPTH - 1), "frames": Int(8, 2, 16),
    "motion": Choice("pan", modalities.MOTIONS),
})
def build_input_tensors(ctx: WidgetContext) -> dict:
    kind = ctx.value("kind")
    base = {"kind": kind, "kinds": [(k, _t(ctx, f"intro_kind_{k}")) for k in KINDS]}
    if kind == "image":
        return {**base, **_image_part(ctx)}
    if kind == "sound":
        return {**base, **_sound_part(ctx)}
    if kind == "volume":
        return {**base, **_volume_part(ctx)}
    return {**base, **_video_part(ctx)}


def _image_part(ctx: WidgetContext) -> dict:
    sample = ctx.value("sample")
    image = intro.image_tensor(sample, PHOTO_SIDE)
    _, height, width = image["shape"]
    photo = image["tensor"].permute(1, 2, 0).numpy()
    names = ("R", "G", "B")
    channels = [
        {"name": names[c], "url": data_url(image["channels"][c]), "shape": shape_text(image["channels"][c].shape),
         "mean": decimal(image["means"][c], ctx.lang, 1, trim=True), "corner": image["corner"][c]}
        for c in range(3)
    ]
    return {
        "sample": sample, "samples": _samples(ctx), "photo_url": data_url(photo, "JPEG"), "height": height, "width": width,
        "shape": shape_text(image["shape"]), "hwc_shape": shape_text(image["hwc_shape"]), "channels": channels,
        "numel": grouped(image["numel"], ctx.lang), "credit": samples.SAMPLES[sample].credit,
        "code": (
            "import numpy as np, torch\n"
            "from skimage import data\n\n"
            f"photo = data.{samples.SAMPLES[sample].loader}()  # numpy, (H, W, 3) uint8\n"
            "x = torch.from_numpy(photo).permute(2, 0, 1)  # (C, H, W): channels first, as PyTorch layers expect\n"
            "r, g, b = x  # each channel is (H, W)\n"
            f"# here the photo is shrunk to {height}×{width}: x.shape == torch.Size({image['shape']})"
        ),
    }


def _sound_part(ctx: WidgetContext) -> dict:
    signal, n_fft = ctx.values("signal", "n_fft")
    hop = ctx.value("hop", default=n_fft // 4, high=n_fft)
    x = modalities.synth_signal(signal)
    spec = modalities.spectrogram(x, n_fft, hop)
    freq_bins, frames = spec["shape"]
    (length,) = spec["signal_shape"]
    lows, highs = modalities.envelope(x, WAVE_POINTS)
    # Waveform as SVG points: x across the samples, y from −1 (bottom, 100) to 1 (top, 0).
    top = " ".join(f"{i},{50 - 48 * h:.1f}" for i, h in enumerate(highs))
    bottom = " ".join(f"{i},{50 - 48 * v:.1f}" for i, v in reversed(list(enumerate(lows))))
    zoom = int(ZOOM_SECONDS * modalities.SAMPLE_RATE)

    def trace(piece):
        return " ".join(f"{i},{50 - 48 * v:.1f}" for i, v in enumerate(piece))
    db = spec["db"]
    loudest = float(db.max())
    picture = np.flipud(np.clip((db - (loudest - 80)) / 80, 0, 1))  # 80 dB range, low frequencies at the bottom
    lang = ctx.lang
    return {
        "signal": signal, "signals": [(s, _t(ctx, f"intro_signal_{s}")) for s in modalities.SIGNALS],
        "n_fft": n_fft, "n_ffts": [(str(n), str(n)) for n in N_FFTS], "hop": hop,
        "wave_points": f"{top} {bottom}", "wave_width": len(highs),
        "zoom_start": trace(x[:zoom]), "zoom_end": trace(x[-zoom:]), "zoom_width": zoom - 1,
        "zoom_ms": decimal(1000 * ZOOM_SECONDS, lang, 0, trim=True),
        "spectrogram_url": data_url((picture * 255).round().astype(np.uint8)),
        "spec_width": frames, "spec_height": freq_bins,
        "signal_shape": shape_text(spec["signal_shape"]), "shape": shape_text(spec["shape"]),
        "length": length, "freq_bins": freq_bins, "frames": frames, "half": n_fft // 2,
        "quotient": length // hop,
        "sample_rate": grouped(modalities.SAMPLE_RATE, lang), "nyquist": grouped(modalities.SAMPLE_RATE // 2, lang),
        "seconds": decimal(length / modalities.SAMPLE_RATE, lang, 2, trim=True),
        "bin_hz": decimal(spec["bin_hz"], lang, 2, trim=True), "frame_ms": decimal(1000 * spec["frame_seconds"], lang, 2, trim=True),
        "peak_first": decimal(spec["peak_hz"][1], lang, 0, trim=True), "peak_last": decimal(spec["peak_hz"][-2], lang, 0, trim=True),
        "code": (
            "import torch\n\n"
            f"x = torch.as_tensor(signal)          # (T,) = ({length},), {modalities.SAMPLE_RATE} samples per second\n"
            f"S = torch.stft(x, n_fft={n_fft}, hop_length={hop}, window=torch.hann_window({n_fft}),\n"
            "               return_complex=True).abs()\n"
            f"S.shape  # torch.Size([{freq_bins}, {frames}]): n_fft/2 + 1 frequencies × (1 + T // hop) frames"
        ),
    }


def _volume_part(ctx: WidgetContext) -> dict:
    z = ctx.value("slice")
    cut = modalities.volume_slices(VOLUME_DEPTH, VOLUME_SIDE, z)
    depth, height, width = cut["shape"]
    return {
        "slice": z, "depth": depth, "max_slice": depth - 1, "shape": shape_text(cut["shape"]),
        "axial_url": _gray_url(cut["axial"]), "coronal_url": _gray_url(cut["coronal"]),
        "sagittal_url": _gray_url(cut["sagittal"]),
        "axial_shape": shape_text(cut["axial_shape"]), "coronal_shape": shape_text(cut["coronal_shape"]),
        "sagittal_shape": shape_text(cut["sagittal_shape"]), "height": height, "width": width,
        "y": cut["y"], "x": cut["x"], "numel": grouped(cut["numel"], ctx.lang),
        # Shown at twice the size; the dashed line on the side views marks the axial slice.
        "show": {"w": 2 * width, "h": 2 * height, "d": 2 * depth}, "slice_pct": round(100 * (z + 0.5) / depth, 2),
        "code": (
            f"v = volume                 # torch.Size([{depth}, {height}, {width}]): (D, H, W)\n"
            f"axial    = v[{z}]           # (H, W) = ({height}, {width})\n"
            f"coronal  = v[:, {cut['y']}]       # (D, W) = ({depth}, {width})\n"
            f"sagittal = v[:, :, {cut['x']}]    # (D, H) = ({depth}, {height})\n"
            f"batch = v[None, None]      # (N, C, D, H, W) = (1, 1, {depth}, {height}, {width}) for nn.Conv3d"
        ),
    }


def _video_part(ctx: WidgetContext) -> dict:
    sample, frames, motion = ctx.values("sample", "frames", "motion")
    video = modalities.video_frames(sample, frames, motion)
    t, c, h, w = video["shape"]
    lang = ctx.lang
    return {
        "sample": sample, "samples": _samples(ctx), "frames": frames, "motion": motion,
        "motions": [(m, _t(ctx, f"intro_motion_{m}")) for m in modalities.MOTIONS],
        "frame_urls": [data_url(f, "JPEG") for f in video["frames"]], "frame_side": w,
        "shape": shape_text(video["shape"]), "frame_shape": shape_text([c, h, w]),
        "numel": grouped(video["numel"], lang), "bytes_uint8": grouped(video["bytes_uint8"], lang),
        "bytes_float32": grouped(video["bytes_float32"], lang),
        "change": decimal(float(np.mean(video["change"])), lang, 1, trim=True), "credit": samples.SAMPLES[sample].credit,
        "code": (
            f"frames = [frame_0, …, frame_{t - 1}]    # each (C, H, W) = ({c}, {h}, {w})\n"
            f"video = torch.stack(frames)          # (T, C, H, W) = ({t}, {c}, {h}, {w})\n"
            f"clip = video.permute(1, 0, 2, 3)[None]  # (N, C, T, H, W) = (1, {c}, {t}, {h}, {w}) for nn.Conv3d"
        ),
    }


# ---------------------------------------------------------------------------------------------
# Lesson 1: neighbouring pixels are correlated.

CORRELATION_SIDE = 256


@widget("pixel-correlation", params={
    "sample": Choice("camera", tuple(samples.SAMPLES)), "distance": Int(40, 2, 100),
}, charts=True)
def build_pixel_correlation(ctx: WidgetContext) -> dict:
    sample, distance = ctx.values("sample", "distance")
    gray = samples.load_sample_gray(sample, CORRELATION_SIDE)
    result = modalities.sample_correlation(sample, CORRELATION_SIDE, distance)
    lang = ctx.lang
    figure = go.Figure()
    for key, color, symbol, dash in (("horizontal", PALETTE[0], MARKERS[0], "solid"), ("vertical", PALETTE[3], MARKERS[1], "dash")):
        figure.add_trace(go.Scatter(
            x=result["distances"], y=result[key], name=_t(lang, f"intro_corr_{key}"), mode="lines+markers",
            line={"color": color, "dash": dash}, marker={"symbol": symbol, "size": 6, "color": color},
            hovertemplate="d = %{x}: r = %{y:.3f}<extra></extra>",
        ))
    figure.update_layout(
        xaxis={"title": {"text": _t(lang, "intro_corr_axis_distance")}},
        yaxis={"title": {"text": _t(lang, "intro_corr_axis_r")}, "range": [min(0.0, min(result["horizontal"] + result["vertical"])), 1.02]},
        legend={"orientation": "h", "y": -0.25}, margin={"l": 60, "r": 20, "t": 20, "b": 60},
        separators=".," if lang == "en" else ", ",
    )
    return {
        "sample": sample, "samples": [(key, s.captions[lang]) for key, s in samples.SAMPLES.items()],
        "distance": distance, "figure": figure_json(figure), "photo_url": _gray_url(gray),
        "height": gray.shape[0], "width": gray.shape[1],
        "near": decimal(result["horizontal"][0], lang, 2),
        "far": decimal(result["horizontal"][-1], lang, 2), "far_distance": result["distances"][-1],
        "credit": samples.SAMPLES[sample].credit,
    }
