"""Where a network's parameters and multiply-adds are: by the resolution a layer outputs, fc layers apart.

It answers "why is ResNet-18 so much cheaper than VGG-16?" with numbers taken from the layer tables that
app.compute.nets.architectures records by running the real modules: parameters are saved mostly by dropping VGG's big fully
connected layers, multiply-adds mostly by shrinking the image early and keeping few channels while it is large.
"""

from app.compute.nets.architectures import architecture_table

FC = "fc"  # the group of fully connected layers (they have no resolution)


def _group(row: dict) -> str | int:
    return FC if row["kind"] == "fc" else row["output_shape"][-1]


def cost_by_resolution(name: str) -> dict:
    """{"groups": {side or "fc": {"params", "macs", "layers"}}, "totals": {"params", "macs"}} for a known network."""
    table = architecture_table(name)
    groups: dict[str | int, dict] = {}
    for row in table["layers"]:
        if row["kind"] == "input" or (row["params"] == 0 and row["macs"] == 0):
            continue
        group = groups.setdefault(_group(row), {"params": 0, "macs": 0, "layers": []})
        group["params"] += row["params"]
        group["macs"] += row["macs"]
        group["layers"].append(row["name"])
    return {"groups": groups, "totals": {"params": table["totals"]["params"], "macs": table["totals"]["macs"]}}


def compare(cheap: str = "resnet18", costly: str = "vgg16") -> dict:
    """Both networks' costs side by side per resolution (largest first, fc last) and each group's share of the saving.

    rows: {"group", "costly_params", "cheap_params", "costly_macs", "cheap_macs", "params_saved", "macs_saved",
    "params_share", "macs_share"}: saved = costly − cheap (negative where the cheap network spends more), share =
    saved / total saved. Also "fc" (the fc row), "above" (every resolution larger than the cheap network's first
    block output, where early downsampling saves) and the totals.
    """
    a, b = cost_by_resolution(cheap), cost_by_resolution(costly)
    sides = sorted({g for g in (*a["groups"], *b["groups"]) if g != FC}, reverse=True)
    saved_params = b["totals"]["params"] - a["totals"]["params"]
    saved_macs = b["totals"]["macs"] - a["totals"]["macs"]
    empty = {"params": 0, "macs": 0, "layers": []}
    rows = []
    for group in (*sides, FC):
        x, y = a["groups"].get(group, empty), b["groups"].get(group, empty)
        rows.append({
            "group": group, "cheap_layers": x["layers"], "costly_layers": y["layers"],
            "cheap_params": x["params"], "costly_params": y["params"],
            "cheap_macs": x["macs"], "costly_macs": y["macs"],
            "params_saved": y["params"] - x["params"], "macs_saved": y["macs"] - x["macs"],
            "params_share": (y["params"] - x["params"]) / saved_params,
            "macs_share": (y["macs"] - x["macs"]) / saved_macs,
        })
    # The cheap network's stem ends at its largest block resolution; everything VGG computes above it is
    # work that early downsampling avoids.
    first_block = next((r["output_shape"][-1] for r in architecture_table(cheap)["layers"] if r["kind"] == "block"),
                       None)
    above = [r for r in rows if r["group"] != FC and first_block is not None and r["group"] > first_block]
    return {
        "cheap": cheap, "costly": costly, "rows": rows, "fc": rows[-1],
        "above": {"sides": [r["group"] for r in above],
                  "costly_macs": sum(r["costly_macs"] for r in above), "cheap_macs": sum(r["cheap_macs"] for r in above),
                  "macs_saved": sum(r["macs_saved"] for r in above),
                  "macs_share": sum(r["macs_saved"] for r in above) / saved_macs},
        "first_block_side": first_block,
        "totals": {"cheap_params": a["totals"]["params"], "costly_params": b["totals"]["params"],
                   "cheap_macs": a["totals"]["macs"], "costly_macs": b["totals"]["macs"],
                   "params_saved": saved_params, "macs_saved": saved_macs},
    }
