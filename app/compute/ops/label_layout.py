"""Where to write box labels on a photo so that no two labels overlap (greedy, in the order given).

Each label is a rectangle of a known size in image pixels. It tries spots next to its box in a fixed order
(inside the top-left corner, above it, inside the bottom-left, inside the top-right, below the box), then
slides down the box's left edge one label height at a time; the first spot inside the image that touches no
label placed before wins. When none is free (a crowded photo), the least overlapping spot is used.
"""


def _overlap(a, b) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def place_labels(boxes, sizes, image_size, fixed=()) -> list[tuple[float, float]]:
    """Top-left corners (x, y) of label rectangles, one per box, none overlapping another or `fixed` rectangles.

    boxes: [x1, y1, x2, y2] per label; sizes: (width, height) of each label; image_size: (width, height);
    fixed: rectangles [x1, y1, x2, y2] already on the picture that labels must avoid.
    """
    image_w, image_h = image_size
    placed = [list(map(float, r)) for r in fixed]
    corners = []
    for (x1, y1, x2, y2), (w, h) in zip(boxes, sizes):
        candidates = [(x1, y1), (x1, y1 - h), (x1, y2 - h), (x2 - w, y1), (x1, y2)]
        steps = int(max(0.0, (y2 - y1) // h)) if h > 0 else 0
        candidates += [(x1, y1 + k * h) for k in range(1, steps + 1)]
        candidates += [(x1 - w, y1 + k * h) for k in range(0, steps + 1)]
        best, best_cost = None, None
        for cx, cy in candidates:
            cx = min(max(0.0, cx), max(0.0, image_w - w))
            cy = min(max(0.0, cy), max(0.0, image_h - h))
            rect = [cx, cy, cx + w, cy + h]
            cost = sum(_overlap(rect, other) for other in placed)
            if best_cost is None or cost < best_cost:
                best, best_cost = rect, cost
            if cost == 0:
                break
        placed.append(best)
        corners.append((best[0], best[1]))
    return corners
