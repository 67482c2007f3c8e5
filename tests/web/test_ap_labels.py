"""The AP builder's detection labels never overlap on the photo (issue 14, item 7)."""

import itertools
import re

from app.compute.ops.label_layout import _overlap


def test_the_ap_builder_labels_never_overlap(client):
    import re

    for seed in (1, 4, 9):
        html = client.get("/en/lessons/detection/widgets/ap", params={"ap.k": "10", "ap.seed": str(seed)}).text
        font = float(re.search(r"--ld-font: ([\d.]+)px", html)[1])
        labels = re.findall(r'<text class="ld-label" x="([\d.]+)" y="([\d.]+)" dx="0.25em" dy="-0.3em"[^>]*>#(\d+)', html)
        assert len(labels) >= 5
        rects = [[float(x), float(y) - 1.25 * font, float(x) + 0.62 * font * (len(n) + 3) + 0.5 * font, float(y)]
                 for x, y, n in labels]
        assert all(_overlap(a, b) == 0 for a, b in itertools.combinations(rects, 2)), seed
