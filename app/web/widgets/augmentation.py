"""Widget of the AlexNet lesson: the paper's data augmentation on a sample photo, computed on the server
(app.compute.ops.augment): a random 224 crop of the 256×256 image, a flip, and PCA colour lighting."""

from app.compute import samples
from app.compute.ops import augment
from app.web.format import decimal, grouped
from app.web.i18n import plural
from app.web.pictures import data_url
from app.web.widgets.forgiving import Inputs
from app.web.widgets.params import Choice, Int, Num
from app.web.widgets.registry import WidgetContext, widget

SHOWN = 6  # augmented copies side by side


@widget("alexnet-augment", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)), "seed": Int(1, 0, 9999),
    "sigma": Num(augment.PAPER["sigma"], 0, 1),
}, deferred=True)
def build_alexnet_augment(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    inputs = Inputs(ctx)
    sample, seed, sigma = inputs.values("sample", "seed", "sigma")
    photo = samples.load_sample(sample, 800)
    copies = [augment.augment(photo, seed + n, sigma) for n in range(SHOWN)]
    first = copies[0]
    counts = augment.distinct_inputs()
    paper = augment.PAPER
    return {
        "sample": sample, "seed": seed, "sigma": sigma, "errors": inputs.errors, "raw": inputs.raw,
        "samples": [(key, s.captions[lang]) for key, s in samples.SAMPLES.items()],
        "resized_url": data_url(first["resized"], "JPEG"), "crop": first["crop"], "flip": first["flip"],
        "side": paper["image"], "crop_side": paper["crop"],
        "copies": [{"url": data_url(c["output"], "JPEG"), "x": c["crop"][0], "y": c["crop"][1], "flip": c["flip"],
                    "shift": ", ".join(decimal(255 * v, lang, 1) for v in c["shift"]), "seed": seed + n}
                   for n, c in enumerate(copies)],
        "pca": [{"n": i + 1, "value": decimal(v, lang, 5), "spread": decimal(s, lang, 4),
                 "vector": ", ".join(decimal(x, lang, 3) for x in (row[i] for row in first["eigenvectors"])),
                 "alpha": decimal(a, lang, 3)}
                for i, (v, s, a) in enumerate(zip(first["eigenvalues"], first["spread"], first["alphas"]))],
        "counts": {key: grouped(value, lang) for key, value in counts.items()},
        "paper_times": grouped(counts["paper_factor"], lang) + ("" if lang == "en" else " " + plural(
            lang, counts["paper_factor"], one="раз", few="раза", many="раз")),
        "paper_sigma": decimal(paper["sigma"], lang, 1), "test_patches": paper["test_patches"],
        "credit": samples.SAMPLES[sample].credit,
    }
