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

# VOC 2010's own statistics for its main (classification/detection) sets, and VOC 2012's, whose mean
# (27,450 / 11,540 = 2.38) is what rounds to the lecture's 2.4. The 1.3 GB is VOC 2010's train+val tar, which
# also holds the segmentation, action and layout images and all annotations.
VOC_2010_STATS = "PASCAL VOC 2010 development kit, “Database statistics”: main image sets, trainval"
VOC_2012_STATS = "PASCAL VOC 2012 development kit, “Database statistics”: main image sets, trainval"
VOC_2010 = {"images": 10_103, "objects": 23_374, "train_images": 4_998, "val_images": 5_105,
            "voc2012_images": 11_540, "voc2012_objects": 27_450, "sources": (VOC_2010_STATS, VOC_2012_STATS)}

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
                         ru=f"Число детекций на изображение должно быть целым, от 1 до {MAX_DETECTIONS}.")
    return value


def derived(key: str, detections_per_image: int = COCO_MAX_DETECTIONS) -> dict[str, Any]:
    """The lecture's figures for one dataset and what follows from them (all approximate).

    objects = images × mean objects; images_per_class = images / classes; objects_per_class =
    objects / classes; detections = images × detections_per_image (what a detector hands the
    evaluator); iou_pairs = detections × mean objects (an upper bound on the IoUs to compute: each
    detection against the true boxes of its image); one_box_recall = images / objects = 1 / mean objects (the
    recall of a detector with one perfect box per image); bytes_per_image where the size is known.
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
        "one_box_recall": min(1.0, 1 / d.mean_objects),  # one perfect box per image finds images / objects
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


def voc_check() -> dict[str, Any]:
    """The lecture's ~20k VOC 2010 images and 2.4 objects per image against VOC 2010's own trainval statistics."""
    lecture = DATASETS["voc2010"]
    images, objects = VOC_2010["images"], VOC_2010["objects"]
    size = lecture.size_gb * GB
    return {
        "images": images, "objects": objects, "mean_objects": objects / images,
        "train_images": VOC_2010["train_images"], "val_images": VOC_2010["val_images"],
        "lecture_images": lecture.images, "lecture_images_text": lecture.images_text,
        "lecture_mean_objects": lecture.mean_objects, "lecture_objects": round(lecture.images * lecture.mean_objects),
        "voc2012_mean_objects": VOC_2010["voc2012_objects"] / VOC_2010["voc2012_images"],
        "voc2012_images": VOC_2010["voc2012_images"], "voc2012_objects": VOC_2010["voc2012_objects"],
        "size_gb": lecture.size_gb, "bytes_per_image": size / images, "lecture_bytes_per_image": size / lecture.images,
        "sources": VOC_2010["sources"],
    }


def one_box_recall(key: str) -> dict[str, Any]:
    """Recall of a detector that finds exactly one object per image, perfectly: images / objects = 1 / mean objects."""
    d = get(key)
    if key == "coco2014":
        check = coco_check()
        images, objects = check["images"], check["objects"]
    elif key == "voc2010":
        images, objects = VOC_2010["images"], VOC_2010["objects"]
    else:
        images, objects = d.images, round(d.images * d.mean_objects)
    return {"key": key, "images": images, "objects": objects, "recall": min(1.0, images / objects),
            "mean_objects": objects / images}
