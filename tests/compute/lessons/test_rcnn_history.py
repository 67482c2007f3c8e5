"""The R-CNN timeline: order, sources, and the speed-ups the papers quote, recomputed from their tables."""

import pytest

from app.compute.lessons import rcnn_history as rh


def test_order_and_completeness():
    names = [m.name for m in rh.METHODS]
    assert names == ["Selective Search", "R-CNN", "SPP-net", "Fast R-CNN", "Faster R-CNN"]
    years = [m.year for m in rh.METHODS]
    assert years == sorted(years)
    for m in rh.METHODS:
        for text in (m.changed, m.proposals, m.cnn_runs):
            assert set(text) == {"en", "ru"} and all(text.values())
        assert m.figures and all(f["source"] and set(f["text"]) == {"en", "ru"} for f in m.figures)


@pytest.mark.parametrize("row", rh.speedups(), ids=lambda r: f"{r['fast']}-vs-{r['slow']}-{r['what']}")
def test_quoted_speedups_follow_from_the_times(row):
    # The abstracts round down: 47 / 0.22 = 213.6 → "213×", 84 / 9.5 = 8.8 → "9×" (to the nearest).
    assert abs(row["ratio"] - row["quoted"]) < 1, row


def test_times_fall_and_proposals_matter():
    rows = rh.timeline("en")
    timed = [r for r in rows if r["test_seconds"] is not None]
    assert [r["test_seconds"] for r in timed] == sorted((r["test_seconds"] for r in timed), reverse=True)
    fast = next(r for r in rows if r["key"] == "fast-rcnn")
    faster = next(r for r in rows if r["key"] == "faster-rcnn")
    # Once proposals are counted, Selective Search dominates Fast R-CNN's time: the reason for the RPN.
    assert fast["total_seconds"] == pytest.approx(0.32 + 2.0) and fast["proposals_excluded"]
    assert faster["total_seconds"] == pytest.approx(0.2) and not faster["proposals_excluded"]
    assert rh.timeline("ru")[0]["changed"] != rows[0]["changed"]


def test_anchors():
    a = rh.anchors()
    assert a["per_position"] == 9
    assert abs(a["total"] - a["quoted_total"]) / a["quoted_total"] < 0.1  # "roughly 20000 (≈ 60 × 40 × 9)"
