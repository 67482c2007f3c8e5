"""The revolution-of-depth data: well-formed, sourced, and the figures derived from it."""

import math

from app.compute.lessons import history


def test_entries_are_in_order_with_sources():
    entries = history.entries()
    assert [e["year"] for e in entries] == sorted(e["year"] for e in entries)
    for entry in entries:
        assert entry["source"].strip()
        assert 0 < entry["top5_error"] < 100
        assert (entry["layers"] is None) == (not entry["cnn"])
    assert history.DEPTH_SLIDE.strip()


def test_every_year_has_one_winner_and_the_winners_keep_improving():
    winners = [e for e in history.entries() if e["place"] == 1]
    assert len({e["year"] for e in winners}) == len(winners)
    errors = [e["top5_error"] for e in winners]
    assert errors == sorted(errors, reverse=True)
    depths = [e["layers"] for e in winners if e["layers"]]
    assert depths == sorted(depths)


def test_depth_summary_is_derived_from_the_entries():
    entries = history.entries()
    cnns = [e for e in entries if e["cnn"]]
    summary = history.depth_summary()
    assert summary["first_cnn"] == cnns[0]["name"] and summary["last_cnn"] == cnns[-1]["name"]
    assert math.isclose(summary["depth_factor"], cnns[-1]["layers"] / cnns[0]["layers"])
    assert math.isclose(summary["error_factor"], cnns[0]["top5_error"] / cnns[-1]["top5_error"])
    assert math.isclose(summary["error_drop_points"], cnns[0]["top5_error"] - cnns[-1]["top5_error"])
    shallow = min(e["top5_error"] for e in entries if not e["cnn"])
    assert math.isclose(summary["first_cnn_drop_points"], shallow - cnns[0]["top5_error"])


def test_the_lecture_quote_is_explained_by_the_2012_results():
    comparison = history.lecture_quote_comparison()
    # The quote's 15.3% is the 2012 entry with extra data, rounded; the slide's 16.4% the one without.
    assert round(comparison["alexnet_extra_data"], 1) == comparison["quote_alexnet"]
    assert round(comparison["alexnet_no_extra_data"], 1) == comparison["slide_alexnet"]
    # 26.1% is the best non-CNN entry of 2012 cut to one decimal (26.172 rounds to 26.2).
    assert math.floor(comparison["best_non_cnn_2012"] * 10) / 10 == comparison["quote_before"]
    assert round(comparison["slide_resnet"], 1) == comparison["quote_latest"]
