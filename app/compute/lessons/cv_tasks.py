"""Lesson 12: the lecture's table of computer-vision tasks, as data, and how big each task's answer is.

The lecture's cells are kept verbatim (Russian) beside an English rendering; the lecture leaves the
metric of instance segmentation blank, and `metric` says what is used in practice. Each task names
the registry model that performs it on a photo and the lessons that compute its metric.
"""

from dataclasses import dataclass
from typing import Any

from app.compute.errors import InputError

LECTURE = "cnn-lecture.txt, «Основные задачи компьютерного зрения»"
POSE_SOURCE = "cnn-lecture.txt, «Отдельно: Распознавание человеческой позы» (Toshev & Szegedy, DeepPose, CVPR 2014)"
MAX_SIDE = 4096
MAX_OBJECTS = 100
MAX_CLASSES = 100_000


@dataclass(frozen=True)
class Task:
    key: str
    names: dict[str, str]
    descriptions: dict[str, str]  # our words
    lecture_output: dict[str, str] | None  # "ru": the lecture's cell verbatim, "en": its rendering
    lecture_metric: dict[str, str] | None  # None: the lecture leaves the cell blank (or has no row)
    metric: dict[str, str]  # what is used to score it
    metric_lessons: tuple[str, ...]  # slugs of the lessons that compute that metric
    model: str | None  # the registry model that does it on a photo (None: not in the photo widget)
    in_lecture_table: bool = True


TASKS: tuple[Task, ...] = (
    Task(
        "classification",
        {"en": "Classification", "ru": "Классификация"},
        {"en": "One label for the whole image.", "ru": "Одна метка на всё изображение."},
        {"en": "A class label", "ru": "Метка класса"},
        {"en": "Accuracy", "ru": "Точность"},
        {"en": "Accuracy; on ImageNet, top-5 error (the true class among the 5 best guesses)",
         "ru": "Доля верных ответов (accuracy); на ImageNet — ошибка top-5 (верный класс среди 5 лучших догадок)"},
        ("why-cnn",),
        "resnet18",
    ),
    Task(
        "localization",
        {"en": "Localization", "ru": "Локализация"},
        {"en": "One object: its class and the box around it.", "ru": "Один объект: его класс и рамка вокруг него."},
        {"en": "A box (x1, y1, x2, y2)", "ru": "Прямоугольник (x1, y1, x2, y2)"},
        {"en": "Intersection over union of the true box and the predicted box",
         "ru": "Соотношение пересечения с объединением (перекрытием) реальным значением и ограничительной рамкой"},
        {"en": "IoU of the boxes; on ImageNet a guess counts when its class is right and IoU ≥ 0.5",
         "ru": "IoU рамок; на ImageNet догадка засчитывается, если класс верен и IoU ≥ 0,5"},
        ("localization",),
        None,
    ),
    Task(
        "detection",
        {"en": "Object detection", "ru": "Детекция объектов"},
        {"en": "Every object in the image: a class and a box for each.",
         "ru": "Все объекты на изображении: класс и рамка для каждого."},
        {"en": "For each object: (label, box)", "ru": "Для каждого объекта: (ярлык, коробка)"},
        {"en": "Mean average best overlap (MABO; the lecture writes “MAP”), mean average precision (mAP)",
         "ru": "Среднее значение лучшего перекрытия (MAP), Средняя точность (mAP)"},
        {"en": "Mean average precision (mAP) over classes, a detection matched to a true box at IoU ≥ 0.5",
         "ru": "Средняя точность по классам (mAP); детекция сопоставляется с рамкой разметки при IoU ≥ 0,5"},
        ("detection",),
        "fasterrcnn_mobilenet_v3_large_fpn",
    ),
    Task(
        "semantic-segmentation",
        {"en": "Semantic segmentation", "ru": "Семантическая сегментация"},
        {"en": "A class for every pixel; objects of one class merge into one region.",
         "ru": "Класс для каждого пикселя; объекты одного класса сливаются в одну область."},
        {"en": "A set of image segments", "ru": "Набор сегментов изображения"},
        {"en": "Classification metrics, intersection over union",
         "ru": "Классификационные метрики, пересечение по общему перекрытию"},
        {"en": "Per-class IoU of the masks and their mean (mIoU); pixel accuracy",
         "ru": "IoU масок по каждому классу и их среднее (mIoU); доля верных пикселей"},
        ("segmentation",),
        "lraspp_mobilenet_v3_large",
    ),
    Task(
        "instance-segmentation",
        {"en": "Instance segmentation", "ru": "Сегментация экземпляров"},
        {"en": "As semantic segmentation, but each object gets its own mask.",
         "ru": "Как семантическая сегментация, но у каждого объекта своя маска."},
        {"en": "A set of image segments", "ru": "Набор сегментов изображения"},
        None,
        {"en": "Mask AP: detection's average precision, with the IoU of masks in place of the IoU of boxes",
         "ru": "Mask AP: средняя точность, как в детекции, но с IoU масок вместо IoU рамок"},
        ("detection", "segmentation"),
        "maskrcnn_resnet50_fpn",
    ),
    Task(
        "keypoints",
        {"en": "Pose estimation (keypoints)", "ru": "Оценка позы (ключевые точки)"},
        {"en": "For each person, the (x, y) of K joints.", "ru": "Для каждого человека — координаты (x, y) K суставов."},
        None,
        None,
        {"en": "Keypoint AP: average precision with object keypoint similarity (OKS) in place of IoU",
         "ru": "Keypoint AP: средняя точность, где вместо IoU — сходство ключевых точек (OKS)"},
        ("localization",),
        "keypointrcnn_resnet50_fpn",
        in_lecture_table=False,
    ),
)
BY_KEY = {task.key: task for task in TASKS}


def _whole(value: Any, low: int, high: int, en: str, ru: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(en=f"{en} must be a whole number from {low} to {high}.",
                         ru=f"{ru} должно быть целым числом от {low} до {high}.")
    return value


def answer_size(task: str, height: int, width: int, objects: int, keypoints: int = 17) -> dict[str, Any]:
    """How many numbers a task's answer holds for one height×width image with `objects` objects.

    classification: 1 label. localization: 1 label + 4 box coordinates. detection: (1 + 4) per
    object. semantic segmentation: one label per pixel. instance segmentation: a label and a
    height×width mask per object. keypoints: (x, y) of each joint per person (DeepPose's output).
    "terms" lists the factors, so a page can write the product out.
    """
    if task not in BY_KEY:
        raise InputError(en=f"Unknown task '{task}'.", ru=f"Неизвестная задача «{task}».")
    height = _whole(height, 1, MAX_SIDE, "The height", "Высота")
    width = _whole(width, 1, MAX_SIDE, "The width", "Ширина")
    objects = _whole(objects, 0, MAX_OBJECTS, "The number of objects", "Число объектов")
    keypoints = _whole(keypoints, 1, 100, "The number of keypoints", "Число ключевых точек")
    pixels = height * width
    if task == "classification":
        terms, total = [1], 1
    elif task == "localization":
        terms, total = [1, 1 + 4], 1 + 4  # one object: a label and a box
    elif task == "detection":
        terms, total = [objects, 1 + 4], objects * (1 + 4)
    elif task == "semantic-segmentation":
        terms, total = [height, width], pixels
    elif task == "instance-segmentation":
        terms, total = [objects, 1 + pixels], objects * (1 + pixels)
    else:
        terms, total = [objects, keypoints, 2], objects * keypoints * 2
    return {"task": task, "numbers": total, "terms": terms, "pixels": pixels}
