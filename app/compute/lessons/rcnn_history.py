"""The R-CNN family, from the lecture's references: what each paper changed, as data with sources.

Figures are quoted from the papers themselves (abstracts and the timing tables), each with where it
comes from. Test times per image are for VGG-16 on a GPU as Fast R-CNN's Table 4 measured them
(R-CNN, SPP-net, Fast R-CNN) and as Faster R-CNN's abstract gives its frame rate; the first three
do not include making the region proposals, which Selective Search does on a CPU in about 2 s.
The speed-ups the papers quote are derived here from those times, and the tests check they agree.
"""

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Method:
    key: str
    name: str
    year: int
    authors: str
    venue: str
    changed: dict[str, str]  # en, ru: what this paper changed
    proposals: dict[str, str]  # where the candidate boxes come from
    cnn_runs: dict[str, str]  # how often the CNN runs on one image
    figures: tuple[dict, ...] = field(default=())  # {"text": {en, ru}, "source": str}
    test_seconds: float | None = None  # per image, VGG-16, GPU; proposals excluded where said above
    train_hours: float | None = None


SS_SOURCE = "Uijlings et al., IJCV 104 (2013), abstract"
RCNN_SOURCE = "Girshick et al., CVPR 2014 (arXiv 1311.2524), abstract and §2"
SPP_SOURCE = "He et al., ECCV 2014 (arXiv 1406.4729), abstract"
FAST_SOURCE = "Girshick, ICCV 2015 (arXiv 1504.08083), abstract and Table 4"
FASTER_SOURCE = "Ren et al., NIPS 2015 (arXiv 1506.01497), abstract and §3.1"

METHODS = (
    Method(
        "selective-search", "Selective Search", 2013,
        "J. R. R. Uijlings, K. E. A. van de Sande, T. Gevers, A. W. M. Smeulders", "IJCV 2013",
        {"en": "Instead of trying every window at every size, group similar neighbouring segments of the image "
               "step by step and keep the box of every group: a few thousand class-independent candidate boxes "
               "that cover almost every object.",
         "ru": "Вместо перебора всех окон всех размеров — постепенно объединять похожие соседние сегменты "
               "изображения и брать рамку каждой группы: несколько тысяч кандидатов, не зависящих от класса, "
               "которые накрывают почти все объекты."},
        {"en": "grouping of image segments (no learning)", "ru": "группировка сегментов изображения (без обучения)"},
        {"en": "no CNN", "ru": "без CNN"},
        figures=({"text": {"en": "99% recall with 10,097 boxes per image (mean average best overlap 0.879)",
                           "ru": "полнота 99% при 10 097 рамках на изображение (средняя лучшая IoU 0,879)"},
                  "source": SS_SOURCE},),
    ),
    Method(
        "rcnn", "R-CNN", 2014, "R. Girshick, J. Donahue, T. Darrell, J. Malik", "CVPR 2014",
        {"en": "Warp each of ~2000 Selective Search proposals to 227×227 and run a CNN pretrained on ImageNet "
               "(fine-tuned for detection) on it; class-specific linear SVMs score the features and a "
               "regression fixes the box.",
         "ru": "Каждое из ~2000 предложений Selective Search растянуть до 227×227 и прогнать через CNN, "
               "предобученную на ImageNet и дообученную для детекции; признаки оценивают линейные SVM по "
               "классам, а регрессия уточняет рамку."},
        {"en": "Selective Search, ~2000 per image", "ru": "Selective Search, ~2000 на изображение"},
        {"en": "once per proposal (~2000 times)", "ru": "на каждое предложение (~2000 раз)"},
        figures=({"text": {"en": "mAP 53.3% on PASCAL VOC 2012, more than 30% (relative) above the previous best",
                           "ru": "mAP 53,3% на PASCAL VOC 2012 — больше чем на 30% (относительно) лучше прежнего рекорда"},
                  "source": RCNN_SOURCE},),
        test_seconds=47.0, train_hours=84.0,
    ),
    Method(
        "spp-net", "SPP-net", 2014, "K. He, X. Zhang, S. Ren, J. Sun", "ECCV 2014",
        {"en": "Run the convolutional layers once on the whole image; for each proposal, pool its part of the "
               "feature map with a spatial pyramid into a vector of fixed length for the fully connected layers.",
         "ru": "Свёрточные слои запускаются один раз на всём изображении; для каждого предложения его часть карты "
               "признаков сводится пирамидальным пулингом в вектор фиксированной длины для полносвязных слоёв."},
        {"en": "Selective Search, ~2000 per image", "ru": "Selective Search, ~2000 на изображение"},
        {"en": "conv layers once per image, FC layers per proposal", "ru": "свёртки — раз на изображение, FC — на каждое предложение"},
        figures=({"text": {"en": "conv features 30–170× faster than R-CNN, 24–64× faster overall, as accurate or better on VOC 2007",
                           "ru": "свёрточные признаки в 30–170 раз быстрее, чем у R-CNN, в целом в 24–64 раза быстрее при той же или лучшей точности на VOC 2007"},
                  "source": SPP_SOURCE},),
        test_seconds=2.3, train_hours=25.0,
    ),
    Method(
        "fast-rcnn", "Fast R-CNN", 2015, "R. Girshick", "ICCV 2015",
        {"en": "RoI pooling (a one-level SPP) and one training stage: the whole network learns the class scores "
               "(softmax) and the box regression together with a multi-task loss. No SVMs, no features cached on disk.",
         "ru": "RoI-пулинг (одноуровневый SPP) и одна стадия обучения: вся сеть сразу учит оценки классов (softmax) "
               "и регрессию рамок с многозадачной функцией потерь. Без SVM и без признаков, сохранённых на диск."},
        {"en": "Selective Search, ~2000 per image", "ru": "Selective Search, ~2000 на изображение"},
        {"en": "once per image, then a small head per proposal", "ru": "раз на изображение, дальше маленькая «голова» на каждое предложение"},
        figures=({"text": {"en": "trains VGG-16 9× faster than R-CNN and tests 213× faster; 3× and 10× faster than SPP-net",
                           "ru": "обучает VGG-16 в 9 раз быстрее R-CNN и работает в 213 раз быстрее; по сравнению с SPP-net — в 3 и 10 раз"},
                  "source": FAST_SOURCE},),
        test_seconds=0.32, train_hours=9.5,
    ),
    Method(
        "faster-rcnn", "Faster R-CNN", 2015, "S. Ren, K. He, R. Girshick, J. Sun", "NIPS 2015",
        {"en": "A Region Proposal Network shares the convolutional features and predicts, at every position of the "
               "feature map, objectness and box corrections for 9 anchors (3 scales × 3 aspect ratios): proposals "
               "become nearly free and are learned.",
         "ru": "Сеть предложений регионов (RPN) использует те же свёрточные признаки и в каждой позиции карты "
               "признаков предсказывает «объектность» и поправки рамок для 9 якорей (3 масштаба × 3 соотношения "
               "сторон): предложения почти ничего не стоят и обучаются."},
        {"en": "Region Proposal Network, 300 per image", "ru": "сеть предложений регионов (RPN), 300 на изображение"},
        {"en": "once per image, proposals included", "ru": "раз на изображение, вместе с предложениями"},
        figures=({"text": {"en": "5 frames per second with VGG-16 on a GPU, all steps included; mAP 73.2% on VOC 2007",
                           "ru": "5 кадров в секунду с VGG-16 на GPU со всеми шагами; mAP 73,2% на VOC 2007"},
                  "source": FASTER_SOURCE},),
        test_seconds=1 / 5,  # 5 frames per second
    ),
)
# Fast R-CNN with truncated SVD on its FC layers (Table 4), the figure behind "213×".
FAST_RCNN_SVD_SECONDS = 0.22
SELECTIVE_SEARCH_SECONDS = 2.0  # per image on a CPU, as Faster R-CNN's introduction puts it
ANCHORS = {"scales": 3, "ratios": 3, "example_grid": (60, 40), "example_image": (1000, 600),
           "quoted_total": 20000, "source": FASTER_SOURCE}
# Speed-ups the abstracts quote, and which times they compare (numerator, denominator).
QUOTED_SPEEDUPS = (
    {"what": "train", "fast": "fast-rcnn", "slow": "rcnn", "quoted": 9},
    {"what": "test", "fast": "fast-rcnn-svd", "slow": "rcnn", "quoted": 213},
    {"what": "train", "fast": "fast-rcnn", "slow": "spp-net", "quoted": 3},
    {"what": "test", "fast": "fast-rcnn-svd", "slow": "spp-net", "quoted": 10},
)


def by_key() -> dict[str, Method]:
    return {m.key: m for m in METHODS}


def timeline(lang: str) -> list[dict]:
    """The methods in order, with their texts in one language and derived times."""
    rows = []
    for m in METHODS:
        row = asdict(m)
        for key in ("changed", "proposals", "cnn_runs"):
            row[key] = getattr(m, key)[lang]
        row["figures"] = [{"text": f["text"][lang], "source": f["source"]} for f in m.figures]
        # What a user waits for: proposals on a CPU plus the network, for the methods that use Selective Search.
        uses_ss = m.key in ("rcnn", "spp-net", "fast-rcnn")
        row["total_seconds"] = (m.test_seconds + SELECTIVE_SEARCH_SECONDS) if uses_ss else m.test_seconds
        row["proposals_excluded"] = uses_ss
        rows.append(row)
    return rows


def _time(key: str, what: str) -> float:
    if key == "fast-rcnn-svd":
        return FAST_RCNN_SVD_SECONDS
    method = by_key()[key]
    return method.train_hours if what == "train" else method.test_seconds


def speedups() -> list[dict]:
    """The quoted speed-ups, recomputed from the times they compare."""
    rows = []
    for s in QUOTED_SPEEDUPS:
        slow, fast = _time(s["slow"], s["what"]), _time(s["fast"], s["what"])
        rows.append({**s, "slow_value": slow, "fast_value": fast, "ratio": slow / fast})
    return rows


def anchors() -> dict:
    """Anchors per position and in a whole feature map, as Faster R-CNN counts them for a 1000×600 image."""
    per_position = ANCHORS["scales"] * ANCHORS["ratios"]
    w, h = ANCHORS["example_grid"]
    return {**ANCHORS, "per_position": per_position, "total": w * h * per_position}
