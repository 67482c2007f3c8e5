"""Lesson 16: the lecture's three detection datasets as data, and what their numbers imply.

The lecture's table (classes, train + val images, mean objects per image) and its remarks on
download size are kept with their source. Everything else is derived here: roughly how many objects
were annotated, how many images and objects each class gets, how many ground-truth boxes and
detections an evaluator has to match, and bytes per image where a size is known. The image counts
are the lecture's round figures ("~20k"), so every derived number is approximate too.
"""

from dataclasses import dataclass
from typing import Any

from app.compute.errors import InputError

LECTURE = "cnn-lecture.txt, «Набор данных для оценки»"
COCO_DOWNLOAD = "cocodataset.org/#download: 2014 Train images [83K/13GB], 2014 Val images [41K/6GB]"
COCO_SPLITS = "Lin et al., Microsoft COCO: Common Objects in Context, ECCV 2014; train2014 82,783 and val2014 40,504 images"
GB = 10**9  # bytes; download pages count in decimal gigabytes
MAX_DETECTIONS = 1000
COCO_MAX_DETECTIONS = 100  # pycocotools' largest maxDets: at most 100 detections per image are scored


@dataclass(frozen=True)
class Dataset:
    key: str
    name: str
    year: int
    classes: int
    images: int  # train + val, as the lecture rounds it
    images_text: str  # the lecture's cell, verbatim
    mean_objects: float  # objects per image
    size_gb: float | None  # the download, where the lecture gives it
    remarks: dict[str, str]  # the lecture's remark, in our words
    remark_ru: str  # the lecture's remark, verbatim
    size_note: dict[str, str] | None = None  # what the lecture says of the size when it gives no figure
    source: str = LECTURE


DATASETS: dict[str, Dataset] = {
    d.key: d
    for d in (
        Dataset("voc2010", "PASCAL VOC (2010)", 2010, 20, 20_000, "~20k", 2.4, 1.3,
                {"en": "Good for small experiments.", "ru": "Хорош для небольших экспериментов."},
                "PASCAL VOC 2010 отлично подходит для небольших экспериментов. Весит около 1,3 ГБ."),
        Dataset("ilsvrc2014", "ImageNet Detection (ILSVRC 2014)", 2014, 200, 470_000, "~470k", 1.1, None,
                {"en": "The ImageNet challenges give researchers a common ground to compare new algorithms.",
                 "ru": "Соревнования ImageNet дают исследователям общую площадку для сравнения новых алгоритмов."},
                "Задачи Imagenet предоставляют исследователям платформу для сравнения их новых алгоритмов"),
        Dataset("coco2014", "MS-COCO (2014)", 2014, 80, 120_000, "~120k", 7.2, None,
                {"en": "Also has captions and other tasks; the download is large, but parts can be fetched alone.",
                 "ru": "Есть и подписи к изображениям, и другие задачи; скачивать много, но можно выборочно."},
                "Наборы данных MS COCO доступны для таких задач, как подписи к изображениям. Размер для загрузки "
                "довольно большой, но выборочная загрузка возможна.",
                {"en": "“rather large”, parts can be downloaded alone", "ru": "«довольно большой», можно скачать выборочно"}),
    )
}

# What the lecture calls "large", from COCO's own download page and paper.
COCO_2014 = {"train_images": 82_783, "val_images": 40_504, "train_gb": 13, "val_gb": 6,
             "sources": (COCO_DOWNLOAD, COCO_SPLITS)}

QUANTITIES = ("classes", "images", "mean_objects", "objects", "images_per_class", "objects_per_class",
              "detections", "iou_pairs")


def get(key: str) -> Dataset:
    if key not in DATASETS:
        raise InputError(en=f"Unknown dataset '{key}'; use one of: {', '.join(DATASETS)}.",
                         ru=f"Неизвестный набор данных «{key}»; допустимы: {', '.join(DATASETS)}.")
    return DATASETS[key]


def _detections(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DETECTIONS:
        raise InputError(en=f"Detections per image must be a whole number from 1 to {MAX_DETECTIONS}.",
                         ru=f"Число обнаружений на изображение должно быть целым, от 1 до {MAX_DETECTIONS}.")
    return value


def derived(key: str, detections_per_image: int = COCO_MAX_DETECTIONS) -> dict[str, Any]:
    """The lecture's figures for one dataset and what follows from them (all approximate).

    objects = images × mean objects; images_per_class = images / classes; objects_per_class =
    objects / classes; detections = images × detections_per_image (what a detector hands the
    evaluator); iou_pairs = detections × mean objects (an upper bound on the IoUs to compute: each
    detection against the true boxes of its image); bytes_per_image where the size is known.
    """
    d = get(key)
    per_image = _detections(detections_per_image)
    objects = d.images * d.mean_objects
    detections = d.images * per_image
    return {
        "key": d.key, "name": d.name, "year": d.year,
        "classes": d.classes, "images": d.images, "images_text": d.images_text, "mean_objects": d.mean_objects,
        "objects": round(objects),
        "images_per_class": d.images / d.classes,
        "objects_per_class": objects / d.classes,
        "detections_per_image": per_image,
        "detections": detections,
        "iou_pairs": round(detections * d.mean_objects),
        "size_gb": d.size_gb,
        "bytes_per_image": d.size_gb * GB / d.images if d.size_gb is not None else None,
        "source": d.source,
    }


def compare(first: str, second: str, detections_per_image: int = COCO_MAX_DETECTIONS) -> dict[str, Any]:
    """Two datasets' derived numbers side by side, with second / first for each quantity."""
    a, b = derived(first, detections_per_image), derived(second, detections_per_image)
    return {"first": a, "second": b, "ratios": {q: b[q] / a[q] for q in QUANTITIES}}


def coco_check() -> dict[str, Any]:
    """The lecture's ~120k COCO images against COCO's own split sizes, and the download in GB."""
    images = COCO_2014["train_images"] + COCO_2014["val_images"]
    size_gb = COCO_2014["train_gb"] + COCO_2014["val_gb"]
    lecture = DATASETS["coco2014"].images
    return {
        "train_images": COCO_2014["train_images"], "val_images": COCO_2014["val_images"], "images": images,
        "lecture_images": lecture, "difference": images - lecture,
        "train_gb": COCO_2014["train_gb"], "val_gb": COCO_2014["val_gb"],
        "size_gb": size_gb, "bytes_per_image": size_gb * GB / images,
        "objects": round(images * DATASETS["coco2014"].mean_objects),
        "sources": COCO_2014["sources"],
    }
