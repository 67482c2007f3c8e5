"""Exercises of the lessons whose widgets are in app.web.widgets.tasks_segmentation: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

from markupsafe import Markup, escape

from app.compute.lessons import cv_tasks, datasets
from app.compute.nets import fcn
from app.compute.ops import segmentation_metrics as sm
from app.web.format import decimal, grouped
from app.web.widgets.registry import Question, exercise
from app.web.widgets.tasks_segmentation import TOY_SYMBOLS, _quantity, _t, _toy_names


def _choice_question(rng: random.Random, right: str, wrong: list[str]) -> tuple[tuple, str]:
    options = [right, *wrong]
    rng.shuffle(options)
    keys = "abcdefgh"
    return tuple((keys[n], text) for n, text in enumerate(options)), keys[options.index(right)]


LECTURE_TASKS = [t for t in cv_tasks.TASKS if t.in_lecture_table]


@exercise("cvt-task-from-output")
def cvt_task_from_output(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(LECTURE_TASKS)
    others = [t.names[lang] for t in LECTURE_TASKS if t is not task]
    choices, answer = _choice_question(rng, task.names[lang], others)
    text = {"en": f"A network answers every image with this: “{task.descriptions['en']}” Which task is it solving?",
            "ru": f"Сеть отвечает на каждое изображение так: «{task.descriptions['ru']}» Какую задачу она решает?"}[lang]
    hint = {"en": "Ask two questions: one object or all of them? A box, or a label for every pixel?",
            "ru": "Задайте два вопроса: один объект или все? Рамка или метка для каждого пикселя?"}[lang]
    solution = {"en": f"{task.names['en']}: the lecture lists its output as “{task.lecture_output['en']}”.",
                "ru": f"{task.names['ru']}: в лекции её выход — «{task.lecture_output['ru']}»."}[lang]
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)


METRIC_SHORT = {
    "classification": {"en": "accuracy (top-1 or top-5)", "ru": "доля верных ответов (top-1 или top-5)"},
    "localization": {"en": "IoU of the predicted and the true box", "ru": "IoU предсказанной и истинной рамок"},
    "detection": {"en": "mAP: AP per class over ranked boxes, averaged", "ru": "mAP: AP по ранжированным рамкам каждого класса, в среднем"},
    "semantic-segmentation": {"en": "per-class IoU of masks and its mean (mIoU)", "ru": "IoU масок по классам и его среднее (mIoU)"},
    "instance-segmentation": {"en": "mask AP: AP with the IoU of masks", "ru": "mask AP: AP с IoU масок"},
}


@exercise("cvt-metric")
def cvt_metric(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(LECTURE_TASKS)
    others = [METRIC_SHORT[t.key][lang] for t in LECTURE_TASKS if t is not task]
    choices, answer = _choice_question(rng, METRIC_SHORT[task.key][lang], rng.sample(others, 3))
    text = {"en": f"Which metric scores {task.names['en'].lower()}?",
            "ru": f"Какой метрикой оценивают задачу «{task.names['ru']}»?"}[lang]
    hint = {"en": "Match the metric to the kind of output: a label, one box, many ranked boxes, or masks.",
            "ru": "Сопоставьте метрику с видом выхода: метка, одна рамка, много рамок с оценками или маски."}[lang]
    blank = task.lecture_metric is None
    solution = {
        "en": f"{task.metric['en']}." + (" The lecture's table leaves this cell blank." if blank else ""),
        "ru": f"{task.metric['ru']}." + (" В таблице лекции эта клетка пустая." if blank else ""),
    }[lang]
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)


@exercise("cvt-answer-size")
def cvt_answer_size(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(["localization", "detection", "semantic-segmentation", "instance-segmentation", "keypoints"])
    height, width = rng.choice([(4, 6), (6, 8), (8, 8), (10, 12), (24, 32), (48, 64)])
    objects = rng.randint(2, 6)
    keypoints = rng.choice([14, 17])  # DeepPose's FLIC/LSP joints, COCO's 17
    size = cv_tasks.answer_size(task, height, width, objects, keypoints)
    name = cv_tasks.BY_KEY[task].names[lang]
    rule = {"en": "A class label counts as one number, a box as four, a mask as one number per pixel, a joint as two (x, y).",
            "ru": "Метка класса — одно число, рамка — четыре, маска — по числу на пиксель, сустав — два (x, y)."}[lang]
    if task in ("localization", "semantic-segmentation"):
        scene = {"en": f"one {height}×{width} image", "ru": f"одно изображение {height}×{width}"}[lang]
    elif task == "keypoints":
        scene = {"en": f"a {height}×{width} image with {objects} people, {keypoints} joints each",
                 "ru": f"изображение {height}×{width}, на нём {objects} человек, у каждого {keypoints} суставов"}[lang]
    else:
        scene = {"en": f"a {height}×{width} image with {objects} objects",
                 "ru": f"изображение {height}×{width}, на нём {objects} объектов"}[lang]
    text = {"en": f"Task: {name.lower()}, on {scene}. How many numbers does the answer hold? {rule}",
            "ru": f"Задача: {name.lower()}, {scene}. Сколько чисел в ответе? {rule}"}[lang]
    hint = {"en": "Write down what the answer holds for one object (or one pixel), then multiply.",
            "ru": "Запишите, что ответ содержит для одного объекта (или пикселя), и умножьте."}[lang]
    formula = " × ".join(str(v) for v in size["terms"])
    return Question(prompt=text, answer=size["numbers"], kind="integer", hint=hint, tolerance=0,
                    solution=f"{formula} = {size['numbers']}")


def _symbol_grid(labels) -> Markup:
    rows = "".join("<tr>" + "".join(f'<td class="ts-c{v}">{TOY_SYMBOLS[v]}</td>' for v in row) + "</tr>" for row in labels)
    return Markup(f'<table class="num-grid ts-toy">{rows}</table>')


def _legend(lang: str) -> str:
    return ", ".join(f"{s} {n}" for s, n in zip(TOY_SYMBOLS, _toy_names(lang)))


@exercise("seg-class-iou")
def seg_class_iou(rng: random.Random, lang: str, params: dict) -> Question:
    seed = rng.randrange(10_000)
    truth = sm.toy_scene(seed, 6)
    change = rng.choice(["shift", "erode", "dilate", "noise"])
    pred = sm.corrupt(truth, change, 1, seed)
    scores = sm.segmentation_scores(truth, pred, sm.TOY_CLASSES)
    candidates = [c for c in scores["classes"] if c["index"] != 0 and c["truth"] > 0]
    target = rng.choice(candidates)
    name = f"{TOY_SYMBOLS[target['index']]} {_toy_names(lang)[target['index']]}"
    text = {"en": f"Ground truth (left) and a prediction (right), one symbol per pixel ({_legend('en')}). "
                  f"What is the IoU of class {name}? Two decimal places are enough.",
            "ru": f"Разметка (слева) и предсказание (справа), один символ на пиксель ({_legend('ru')}). "
                  f"Чему равен IoU класса {name}? Достаточно двух знаков после запятой."}[lang]
    heads = {"en": ("Ground truth", "Prediction"), "ru": ("Разметка", "Предсказание")}[lang]
    prompt, figure = text, Markup(f"<div class=\"grids\"><div class=\"grid-box\"><h4>{heads[0]}</h4>{_symbol_grid(truth)}</div>"
                    f"<div class=\"grid-box\"><h4>{heads[1]}</h4>{_symbol_grid(pred)}</div></div>")
    hint = {"en": "Count the pixels with the symbol in both grids (intersection) and in either grid (union); divide.",
            "ru": "Сосчитайте пиксели, где символ стоит в обеих сетках (пересечение) и хотя бы в одной (объединение); разделите."}[lang]
    solution = {"en": f"In the truth {target['truth']}, in the prediction {target['predicted']}, in both "
                      f"{target['intersection']}; union {target['truth']} + {target['predicted']} − {target['intersection']} "
                      f"= {target['union']}; IoU = {target['intersection']} / {target['union']} = {target['iou']:.3f}",
                "ru": f"В разметке {target['truth']}, в предсказании {target['predicted']}, в обеих {target['intersection']}; "
                      f"объединение {target['truth']} + {target['predicted']} − {target['intersection']} = {target['union']}; "
                      f"IoU = {target['intersection']} / {target['union']} = {decimal(target['iou'], 'ru', 3)}"}[lang]
    return Question(prompt=prompt, figure=figure, answer=target["iou"], kind="number", hint=hint, solution=solution,
                    tolerance=0.006)


@exercise("seg-mean-iou")
def seg_mean_iou(rng: random.Random, lang: str, params: dict) -> Question:
    names = _toy_names(lang)
    seed, size = rng.randrange(10_000), rng.choice([12, 14, 16])
    truth = sm.toy_scene(seed, size)
    pred = sm.corrupt(truth, rng.choice(["shift", "erode", "dilate", "noise"]), rng.choice([1, 2]), seed)
    with_background = rng.random() < 0.5
    scores = sm.segmentation_scores(truth, pred, sm.TOY_CLASSES, include_background=with_background)
    rows = [(c["index"], c["truth"], c["predicted"], c["intersection"]) for c in scores["classes"]]
    answer = scores["mean_iou"]
    table = "".join(f"<tr><th scope=\"row\">{TOY_SYMBOLS[k]} {escape(names[k])}</th><td>{t}</td><td>{p}</td><td>{i}</td></tr>"
                    for k, t, p, i in rows)
    heads = {"en": ("class", "in truth", "predicted", "in both"),
             "ru": ("класс", "в разметке", "в предсказании", "в обоих")}[lang]
    head = "".join(f"<th scope=\"col\">{h}</th>" for h in heads)
    objects = sm.TOY_CLASSES - 1
    which = {"en": ("including the background" if with_background else f"over the {objects} object classes, without the background"),
             "ru": ("вместе с фоном" if with_background else f"по {objects} классам объектов, без фона")}[lang]
    text = {"en": f"Pixel counts of a segmentation. What is the mean IoU {which}? Two decimal places are enough.",
            "ru": f"Число пикселей в сегментации. Чему равен средний IoU {which}? Достаточно двух знаков после запятой."}[lang]
    prompt, figure = text, Markup(f"<div class=\"ts-scroll\"><table class=\"ts-counts\"><thead><tr>{head}</tr></thead>"
                    f"<tbody>{table}</tbody></table></div>")
    hint = {"en": "For each class: union = truth + predicted − both; IoU = both / union. Then average.",
            "ru": "Для каждого класса: объединение = разметка + предсказание − оба; IoU = оба / объединение. Затем среднее."}[lang]
    parts = [f"{i}/({t}+{p}−{i}) = {i / (t + p - i):.3f}" for k, t, p, i in rows if k in scores["counted"]]
    solution = "; ".join(parts) + f"; {'mean' if lang == 'en' else 'среднее'} = {answer:.3f}"
    return Question(prompt=prompt, figure=figure, answer=answer, kind="number", hint=hint, solution=solution, tolerance=0.006)


@exercise("seg-fcn-shape")
def seg_fcn_shape(rng: random.Random, lang: str, params: dict) -> Question:
    height = rng.choice([224, 256, 320, 384, 448, 480, 500, 512, 600, 640])
    width = rng.choice([224, 256, 320, 375, 384, 448, 500, 512, 640, 800])
    map_h, map_w = fcn.vgg_score_map(height, width)
    text = {"en": f"VGG-16 made fully convolutional (FCN-32s, without its extra input padding): its 3×3 convolutions keep "
                  f"the size, each of its 5 max pools halves it (rounding down), fc6 becomes a 7×7 convolution without "
                  f"padding, fc7 and fc8 become 1×1 convolutions. What is the score map's height × width for a "
                  f"{height}×{width} input?",
            "ru": f"VGG-16, переделанная в полностью свёрточную (FCN-32s, без дополнительного дополнения входа): её свёртки "
                  f"3×3 сохраняют размер, каждый из 5 max pool делит его пополам (с округлением вниз), fc6 становится "
                  f"свёрткой 7×7 без дополнения, fc7 и fc8 — свёртками 1×1. Каков размер карты оценок, высота × ширина, "
                  f"для входа {height}×{width}?"}[lang]
    hint = {"en": "Halve each side five times, rounding down each time; then a 7×7 convolution removes 6.",
            "ru": "Поделите каждую сторону пополам пять раз, каждый раз округляя вниз; свёртка 7×7 затем отнимает 6."}[lang]

    def steps(side):
        out = [side]
        for _ in range(5):
            out.append(out[-1] // 2)
        return " → ".join(str(v) for v in out) + f" → {out[-1]} − 7 + 1 = {out[-1] - 6}"

    solution = f"{steps(height)}; {steps(width)} → {map_h}×{map_w}"
    return Question(prompt=text, answer=(map_h, map_w), kind="shape", hint=hint, solution=solution)


def _dataset_pick(rng: random.Random) -> datasets.Dataset:
    return rng.choice(list(datasets.DATASETS.values()))


@exercise("ds-total-objects")
def ds_total_objects(rng: random.Random, lang: str, params: dict) -> Question:
    if rng.random() < 0.5:
        d = _dataset_pick(rng)
        name = {"en": f"{d.name} as the lecture gives it", "ru": f"{d.name}, как в лекции"}[lang]
        images, mean = d.images, d.mean_objects
    else:
        name = {"en": "A new dataset", "ru": "Новый набор данных"}[lang]
        images, mean = rng.choice([5_000, 12_000, 30_000, 64_000, 250_000]), rng.choice([1.5, 2.5, 3.2, 4.8, 6.5])
    answer = round(images * mean)
    text = {"en": f"{name}: {images:,} images (train + val), {mean:g} objects per image on average. About how many "
                  f"objects were annotated?",
            "ru": f"{name}: {grouped(images, 'ru')} изображений (train + val), в среднем {decimal(mean, 'ru', 1)} объекта на "
                  f"изображение. Сколько примерно объектов размечено?"}[lang]
    hint = {"en": "Images × mean objects per image.", "ru": "Изображения × среднее число объектов на изображение."}[lang]
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, tolerance=0,
                    solution=f"{grouped(images, lang)} × {decimal(mean, lang, 1)} = {grouped(answer, lang)}")


@exercise("ds-per-class")
def ds_per_class(rng: random.Random, lang: str, params: dict) -> Question:
    d = _dataset_pick(rng)
    derived = datasets.derived(d.key)
    objects = rng.random() < 0.5
    answer = derived["objects_per_class"] if objects else derived["images_per_class"]
    what = {"en": ("objects" if objects else "images"), "ru": ("объектов" if objects else "изображений")}[lang]
    text = {"en": f"{d.name} as the lecture gives it: {d.classes} classes, {d.images_text} images, {d.mean_objects:g} "
                  f"objects per image. On average, how many {what} per class?",
            "ru": f"{d.name}, как в лекции: {d.classes} классов, {d.images_text} изображений, "
                  f"{decimal(d.mean_objects, 'ru', 1)} объекта на изображение. Сколько в среднем {what} на класс?"}[lang]
    hint = {"en": "Divide the total by the number of classes (the total objects are images × objects per image).",
            "ru": "Разделите общее число на число классов (всего объектов = изображения × объекты на изображение)."}[lang]
    if objects:
        solution = f"{grouped(d.images, lang)} × {decimal(d.mean_objects, lang, 1)} / {d.classes} = {decimal(answer, lang, 0)}"
    else:
        solution = f"{grouped(d.images, lang)} / {d.classes} = {decimal(answer, lang, 0)}"
    return Question(prompt=text, answer=answer, kind="number", hint=hint, solution=solution)


@exercise("ds-eval-detections")
def ds_eval_detections(rng: random.Random, lang: str, params: dict) -> Question:
    images = rng.choice([datasets.COCO_2014["val_images"], 5_000, 10_000, 20_000])
    per_image = rng.choice([10, 50, 100])
    answer = images * per_image
    text = {"en": f"An evaluator scores a detector on {images:,} validation images. The detector keeps its {per_image} "
                  f"best-scoring boxes per image. How many detections must the evaluator rank and match against the "
                  f"true boxes?",
            "ru": f"Оценщик проверяет детектор на {grouped(images, 'ru')} изображениях валидации. Детектор оставляет "
                  f"{per_image} рамок с лучшими оценками на изображение. Сколько детекций оценщику нужно упорядочить "
                  f"и сопоставить с рамками разметки?"}[lang]
    hint = {"en": "Every image contributes the same number of detections.",
            "ru": "Каждое изображение даёт одно и то же число детекций."}[lang]
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, tolerance=0,
                    solution=f"{grouped(images, lang)} × {per_image} = {grouped(answer, lang)}")


@exercise("ds-which")
def ds_which(rng: random.Random, lang: str, params: dict) -> Question:
    quantity = rng.choice(["mean_objects", "images_per_class", "objects_per_class", "objects"])
    most = rng.random() < 0.5
    rows = [datasets.derived(key) for key in datasets.DATASETS]
    pick = (max if most else min)(rows, key=lambda d: d[quantity])
    choices, answer = _choice_question(rng, pick["name"], [d["name"] for d in rows if d is not pick])
    label = _t(lang, f"ds_q_{quantity}").lower()
    text = {"en": f"From the lecture's table: which dataset has the {'most' if most else 'fewest'} {label}?",
            "ru": f"По таблице лекции: у какого набора данных {'больше всего' if most else 'меньше всего'} "
                  f"значение «{label}»?"}[lang]
    hint = {"en": "Work it out for all three from classes, images and objects per image.",
            "ru": "Посчитайте для всех трёх по числу классов, изображений и объектов на изображение."}[lang]
    solution = "; ".join(f"{d['name']}: {_quantity(quantity, d[quantity], lang)}" for d in rows)
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)

