"""The "revolution of depth": ILSVRC classification results by year, with layers and top-5 error.

The entries are those of the lecture's ResNet slide (Kaiming He's "Revolution of Depth", from the
ILSVRC 2015 and ICML 2016 tutorial talks on deep residual learning), quoted as data with a source
each. Top-5 error is in percent on the ILSVRC classification test set. Note that VGG placed second
in the 2014 classification task (GoogLeNet won); the slide, and so this table, shows both.
"""

from dataclasses import asdict, dataclass

DEPTH_SLIDE = ("K. He, X. Zhang, S. Ren, J. Sun, “Deep Residual Learning for Image Recognition”, "
               "CVPR 2016 (arXiv 1512.03385, 2015); the “Revolution of Depth” slide of K. He’s talks")


@dataclass(frozen=True)
class Entry:
    """One ILSVRC classification entry: year, name, depth (None for the pre-CNN methods), top-5 error in %."""

    year: int
    name: str
    layers: int | None
    top5_error: float
    cnn: bool
    place: int  # in that year's classification task
    source: str


ILSVRC_CLASSIFICATION = (
    Entry(2010, "NEC-UIUC", None, 28.2, False, 1,
          "ILSVRC 2010 results; Lin et al., “Large-scale image classification”, CVPR 2011 (SIFT/LBP features + SVM)"),
    Entry(2011, "XRCE", None, 25.8, False, 1,
          "ILSVRC 2011 results; Sánchez & Perronnin, “High-dimensional signature compression”, CVPR 2011 (Fisher vectors)"),
    Entry(2012, "AlexNet", 8, 16.4, True, 1,
          "ILSVRC 2012 results; Krizhevsky, Sutskever & Hinton, NIPS 2012, Table 2 (5 CNNs, no extra data)"),
    Entry(2013, "ZFNet", 8, 11.7, True, 1,
          "ILSVRC 2013 results: the winning Clarifai entry (M. Zeiler); the network of Zeiler & Fergus, ECCV 2014"),
    Entry(2014, "VGG", 19, 7.3, True, 2,
          "ILSVRC 2014 results; Simonyan & Zisserman, ICLR 2015, Table 7 (ILSVRC submission)"),
    Entry(2014, "GoogLeNet", 22, 6.7, True, 1,
          "ILSVRC 2014 results; Szegedy et al., “Going Deeper with Convolutions”, CVPR 2015, Table 2"),
    Entry(2015, "ResNet", 152, 3.57, True, 1,
          "ILSVRC 2015 results; He et al., CVPR 2016, Table 5 (ensemble)"),
)

# The lecture's opening quote (Goodfellow, Bengio & Courville, "Deep Learning", 2016, chapter 1):
# "reducing the error rate from 26.1% to 15.3%", and later "down to 3.6%".
LECTURE_QUOTE = {
    "source": "I. Goodfellow, Y. Bengio, A. Courville, “Deep Learning”, MIT Press 2016, §1.2.4, quoted in the lecture",
    "before_cnn": 26.1,
    "alexnet": 15.3,
    "latest": 3.6,
}
# ILSVRC 2012 classification results (image-net.org/challenges/LSVRC/2012/results): SuperVision's entry
# with extra training data (7 CNNs, two pre-trained on ImageNet Fall 2011) scored 0.15315, the one
# without 0.16422; the best non-CNN entry (ISI) scored 0.26172.
ILSVRC_2012 = {"alexnet_extra_data": 15.315, "alexnet": 16.422, "best_non_cnn": 26.172}


# A human reference for the same task: A. Karpathy labelled 1,500 ILSVRC 2012 test images himself after training
# on the classes, and missed the true class in his five guesses on 5.1% of them (a second, less trained annotator
# missed 12.0% of 258 images).
HUMAN_TOP5 = {
    "error": 5.1, "images": 1500, "annotator": "A. Karpathy",
    "source": "O. Russakovsky et al., “ImageNet Large Scale Visual Recognition Challenge”, IJCV 2015, §6.4 "
              "(annotator A1, 1,500 test images); A. Karpathy, “What I learned from competing against a ConvNet on "
              "ImageNet”, 2014",
}


def human_reference() -> dict:
    """The human top-5 error, and which entries of the depth slide are below it (better than the human)."""
    return {**HUMAN_TOP5, "better": [e.name for e in ILSVRC_CLASSIFICATION if e.top5_error < HUMAN_TOP5["error"]]}


def entries() -> list[dict]:
    """The slide's entries as dicts, in order (the year's winner first when a year has two)."""
    return [asdict(entry) for entry in ILSVRC_CLASSIFICATION]


def depth_summary() -> dict:
    """Figures derived from the entries: how much deeper and how much better the last CNN is than the first."""
    cnns = [e for e in ILSVRC_CLASSIFICATION if e.cnn]
    first, last = cnns[0], cnns[-1]
    shallow_best = min(e.top5_error for e in ILSVRC_CLASSIFICATION if not e.cnn)
    return {
        "first_cnn": first.name, "first_cnn_year": first.year, "first_layers": first.layers,
        "first_error": first.top5_error,
        "last_cnn": last.name, "last_cnn_year": last.year, "last_layers": last.layers, "last_error": last.top5_error,
        "depth_factor": last.layers / first.layers,
        "error_factor": first.top5_error / last.top5_error,
        "error_drop_points": round(first.top5_error - last.top5_error, 2),
        "shallow_best_error": shallow_best,
        "first_cnn_drop_points": round(shallow_best - first.top5_error, 2),
    }


def lecture_quote_comparison() -> dict:
    """The quote's 26.1% → 15.3% → 3.6% beside the slide's figures, with what each number is."""
    alexnet = next(e for e in ILSVRC_CLASSIFICATION if e.name == "AlexNet")
    resnet = next(e for e in ILSVRC_CLASSIFICATION if e.name == "ResNet")
    return {
        "quote_alexnet": LECTURE_QUOTE["alexnet"], "slide_alexnet": alexnet.top5_error,
        "alexnet_extra_data": ILSVRC_2012["alexnet_extra_data"], "alexnet_no_extra_data": ILSVRC_2012["alexnet"],
        "quote_before": LECTURE_QUOTE["before_cnn"], "best_non_cnn_2012": ILSVRC_2012["best_non_cnn"],
        "quote_latest": LECTURE_QUOTE["latest"], "slide_resnet": resnet.top5_error,
        "source": LECTURE_QUOTE["source"],
    }
