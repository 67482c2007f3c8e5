"""Exercises of the lessons whose widgets are in app.web.widgets.intro: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

import torch
from markupsafe import Markup, escape

from app.compute.lessons import intro, modalities
from app.web.format import decimal, grouped
from app.web.widgets.intro import _class_names, shape_text
from app.web.exercises.shared import conv_params_solution
from app.web.widgets.registry import Question, exercise
from app.web.i18n import translate


TOP5_CHOICES = ("a", "b", "c")  # ex_top5_choice_<letter>


@exercise("why-cnn-top5")
def why_cnn_top5(rng: random.Random, lang: str, params: dict) -> Question:
    count = rng.choice([7, 8, 9, 10])
    scores = [v / 10 for v in rng.sample(range(-40, 61), count)]  # distinct, so no ties
    ranking = sorted(range(count), key=lambda i: -scores[i])
    outcome = rng.choice("abc")
    if outcome == "a":
        true = ranking[0]
    elif outcome == "b":
        true = ranking[rng.randrange(1, 5)]
    else:
        true = ranking[rng.randrange(5, count)]
    report = intro.top_k(scores, true, 5)
    answer = "a" if report["top1_correct"] else "b" if report["topk_correct"] else "c"
    names = _class_names(lang, count)
    order = list(range(count))
    rng.shuffle(order)
    head = ("Class", "Score") if lang == "en" else ("Класс", "Оценка")
    table = "".join(f"<tr><td>{escape(names[i])}</td><td>{escape(decimal(scores[i], lang, 1, trim=True))}</td></tr>" for i in order)
    text = translate(lang, "ex_why_cnn_top5_text", names_true=names[true])
    prompt, figure = text, Markup(f"<table class=\"intro-score-table\"><tr><th>{head[0]}</th><th>{head[1]}</th></tr>{table}</table>")
    hint = translate(lang, "ex_why_cnn_top5_hint")
    ranked = ", ".join(f"{n + 1}. {names[i]} ({decimal(scores[i], lang, 1, trim=True)})" for n, i in enumerate(ranking))
    solution = translate(lang, "ex_why_cnn_top5_solution", ranked=ranked, names_true=names[true],
        report_true_rank=report['true_rank'])
    choices = tuple((k, translate(lang, f"ex_top5_choice_{k}")) for k in TOP5_CHOICES)
    return Question(prompt=prompt, figure=figure, answer=answer, kind="choice", choices=choices, hint=hint,
                    solution=solution)


@exercise("why-cnn-stft-shape")
def why_cnn_stft_shape(rng: random.Random, lang: str, params: dict) -> Question:
    length = rng.choice([4000, 8000, 11025, 16000, 22050])
    n_fft = rng.choice([128, 256, 512, 1024])
    hop = rng.choice([n_fft // 4, n_fft // 2, *(h for h in (100, 160) if h <= n_fft)])
    freq_bins, frames = modalities.stft_shape(length, n_fft, hop)
    text = translate(lang, "ex_why_cnn_stft_shape_text", grouped_length_lang=grouped(length, lang), length=length,
        n_fft=n_fft, hop=hop)
    hint = translate(lang, "ex_why_cnn_stft_shape_hint")
    solution = (f"{n_fft} / 2 + 1 = {freq_bins}; 1 + ⌊{length} / {hop}⌋ = 1 + {length // hop} = {frames} "
                f"→ [{freq_bins}, {frames}]")
    return Question(prompt=text, answer=(freq_bins, frames), kind="shape", hint=hint,
                    solution=Markup(f"<p><code>{escape(solution)}</code></p>"))


@exercise("why-cnn-tensor-shape")
def why_cnn_tensor_shape(rng: random.Random, lang: str, params: dict) -> Question:
    variant = rng.choice(["video", "batch", "volume", "channel"])
    h, w = rng.choice([(64, 64), (120, 160), (224, 224), (240, 320), (480, 640)])
    meta = {"device": "meta", "dtype": torch.uint8}  # shapes only, no memory
    if variant == "video":
        t = rng.choice([8, 16, 24, 30])
        shape = tuple(torch.stack([torch.empty(3, h, w, **meta) for _ in range(t)]).shape)
        text = translate(lang, "ex_why_cnn_tensor_shape_text", t=t, h=h, w=w)
        how = translate(lang, "ex_why_cnn_tensor_shape_how", t=t)
    elif variant == "batch":
        n = rng.choice([4, 8, 16, 32])
        photo = torch.empty(h, w, 3, **meta)  # (H, W, 3), as image files store it
        shape = tuple(torch.stack([photo.permute(2, 0, 1)] * n).shape)
        text = translate(lang, "ex_why_cnn_tensor_shape_text_2", n=n, h=h, w=w)
        how = translate(lang, "ex_why_cnn_tensor_shape_how_2")
    elif variant == "volume":
        d = rng.choice([32, 64, 100, 128])
        shape = tuple(torch.empty(d, h, w, **meta)[None, None].shape)
        text = translate(lang, "ex_why_cnn_tensor_shape_text_3", d=d, h=h, w=w)
        how = translate(lang, "ex_why_cnn_tensor_shape_how_3")
    else:
        shape = tuple(torch.empty(h, w, 3, **meta).permute(2, 0, 1)[1].shape)
        text = translate(lang, "ex_why_cnn_tensor_shape_text_4", h=h, w=w)
        how = translate(lang, "ex_why_cnn_tensor_shape_how_4")
    hint = translate(lang, "ex_why_cnn_tensor_shape_hint")
    return Question(prompt=text, answer=shape, kind="shape", hint=hint,
                    solution=f"{how} → {shape_text(shape)}")


@exercise("fc-weight-count")
def fc_weight_count(rng: random.Random, lang: str, params: dict) -> Question:
    side = rng.choice([28, 32, 64, 96, 100, 128, 224])
    channels = rng.choice([1, 3])
    hidden = rng.choice([100, 256, 500, 1000, 2048, 4096])
    counts = intro.fc_vs_conv(side, side, channels, hidden, 10, 1, 1)
    colour = (translate(lang, "ex_fc_weight_count_colour_yes") if channels == 3 else translate(lang, "ex_fc_weight_count_colour_no"))
    text = translate(lang, "ex_fc_weight_count_text", colour=colour, side=side, channels=channels,
        grouped_hidden_lang=grouped(hidden, lang), colour_capitalize=colour.capitalize())
    hint = translate(lang, "ex_fc_weight_count_hint")
    solution = (f"{side}·{side}·{channels} = {grouped(counts['inputs'], lang)}; "
                f"{grouped(counts['inputs'], lang)} · {grouped(hidden, lang)} = {grouped(counts['fc1']['weights'], lang)}")
    return Question(prompt=text, answer=counts["fc1"]["weights"], kind="integer", hint=hint,
                    solution=solution)


@exercise("fc-conv-param-count")
def fc_conv_param_count(rng: random.Random, lang: str, params: dict) -> Question:
    side = rng.choice([32, 64, 100, 224])
    channels = rng.choice([1, 3, 16, 32, 64])
    kernel = rng.choice([1, 3, 5, 7])
    filters = rng.choice([6, 8, 16, 32, 64])
    with_biases = rng.random() < 0.5
    counts = intro.fc_vs_conv(side, side, channels, 1, 1, kernel, filters)["conv"]
    answer = counts["params"] if with_biases else counts["weights"]
    what = (translate(lang, "ex_fc_conv_param_count_what_yes") if with_biases else translate(lang, "ex_fc_conv_param_count_what_no"))
    text = translate(lang, "ex_fc_conv_param_count_text", side=side, channels=channels, filters=filters, kernel=kernel,
        what=what)
    hint = translate(lang, "ex_fc_conv_param_count_hint")
    solution = conv_params_solution(kernel, channels, filters, counts, with_biases, lang)
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution)


@exercise("fc-conv-bigger-image")
def fc_conv_bigger_image(rng: random.Random, lang: str, params: dict) -> Question:
    side = rng.choice([32, 50, 64, 100])
    factor = rng.choice([2, 3, 4])
    channels = 3
    layer = rng.choice(["fc", "conv"])
    hidden = rng.choice([100, 500, 1000])
    kernel, filters = rng.choice([3, 5]), rng.choice([16, 32, 64])
    before = intro.fc_vs_conv(side, side, channels, hidden, 10, kernel, filters)
    after = intro.fc_vs_conv(side * factor, side * factor, channels, hidden, 10, kernel, filters)
    big = side * factor
    if layer == "fc":
        answer, was = after["fc1"]["weights"], before["fc1"]["weights"]
        text = translate(lang, "ex_fc_conv_bigger_image_text", hidden=hidden, side=side, grouped_was_lang=grouped(was,
            lang), big=big)
        solution = f"{big}·{big}·3·{hidden} = {grouped(answer, lang)}"
    else:
        answer, was = after["conv"]["params"], before["conv"]["params"]
        text = translate(lang, "ex_fc_conv_bigger_image_text_2", filters=filters, kernel=kernel, side=side,
            grouped_was_lang=grouped(was, lang), big=big)
        solution = f"({kernel}·{kernel}·3)·{filters} + {filters} = {grouped(answer, lang)}"
    hint = translate(lang, "ex_fc_conv_bigger_image_hint")
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution)
