"""Sample photos with boxes drawn over them as SVG: the photo's size and label font, a box as a rect with
its label's position, labels placed so they never overlap. Shared by the localization and detection widgets."""

from app.compute import samples
from app.compute.ops import label_layout

SAMPLE_SIDE = 800  # px: the size GET /api/samples/{name}.jpg serves, so boxes are in its pixels


def photo(sample: str, lang: str) -> dict:
    image = samples.load_sample(sample, SAMPLE_SIDE)
    spec = samples.SAMPLES[sample]
    return {"url": f"/api/samples/{sample}.jpg", "width": image.width, "height": image.height,
            "caption": spec.captions[lang], "credit": spec.credit,
            "font": round(max(image.width, image.height) * 0.036, 1)}  # SVG label size, in the photo's pixels


# Where a box's label goes: (corner x, corner y, dx, dy, text-anchor), inside the box unless "below".
ANCHORS = {
    "tl": (0, 1, "0.25em", "1.1em", "start"), "tr": (2, 1, "-0.25em", "1.1em", "end"),
    "bl": (0, 3, "0.25em", "-0.4em", "start"), "br": (2, 3, "-0.25em", "-0.4em", "end"),
    "below": (0, 3, "0", "1.1em", "start"),
}


def rect(box, anchor: str = "tl") -> dict:
    """A box as an SVG rect (x, y, width, height) with the position of its label."""
    x1, y1, x2, y2 = box
    ix, iy, dx, dy, text_anchor = ANCHORS[anchor]
    return {"x": x1, "y": y1, "w": x2 - x1, "h": y2 - y1, "lx": box[ix], "ly": box[iy], "dx": dx, "dy": dy,
            "ta": text_anchor}


def place_labels(photo: dict, anchored: list[dict], movable: list[dict]) -> None:
    """Move the labels of `movable` rects (dicts with "rect" and "text") so that none overlaps another or the
    labels of `anchored` ones, which stay inside their box's bottom-left corner (where the box editor draws them);
    app.compute.ops.label_layout, a label's size estimated from its text at the photo's label font."""
    font = photo["font"]

    def size(item):
        return 0.62 * font * len(item["text"]) + 0.5 * font, 1.25 * font

    def corners(rect):
        return [rect["x"], rect["y"], rect["x"] + rect["w"], rect["y"] + rect["h"]]

    fixed = []
    for item in anchored:
        (w, h), (x1, _, _, y2) = size(item), corners(item["rect"])
        fixed.append([x1, y2 - h, x1 + w, y2])
    sizes = [size(item) for item in movable]
    spots = label_layout.place_labels([corners(i["rect"]) for i in movable], sizes, (photo["width"], photo["height"]),
                                      fixed)
    for item, (x, y), (_, h) in zip(movable, spots, sizes):
        item["rect"].update({"lx": round(x, 1), "ly": round(y + h, 1), "dx": "0.25em", "dy": "-0.3em", "ta": "start"})


def photo_samples(lang: str, first: str) -> list[tuple[str, str]]:
    keys = [first, *(k for k in samples.SAMPLES if k != first)]
    return [(k, samples.SAMPLES[k].captions[lang]) for k in keys]
