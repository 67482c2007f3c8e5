"""POST /api/features/{model}: a pretrained ImageNet CNN's strongest channels, layer by layer, on a photo."""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from app.compute.nets import feature_maps, registry
from app.web.api.deps import ModelsDep, SettingsDep
from app.web.api.models import require_weights
from app.web.api.uploads import BodyRoute, SAMPLE_SIDE, read_image
from app.web.pictures import hierarchy_json

router = APIRouter(prefix="/api/features", tags=["features"], route_class=BodyRoute)


@router.post("/{model}", name="read_feature_maps")
async def read_feature_maps(request: Request, model: Annotated[str, Path(max_length=64)], settings: SettingsDep,
                            service: ModelsDep) -> dict:
    """Multipart `image` (PNG, JPEG, WebP, GIF, BMP) or JSON {"sample": "chelsea"}, for resnet18, vgg16, alexnet or
    efficientnet_lite0 (its weights come with the installation; its layers are the stem, the 16 blocks and the head).

    For every conv layer (ResNet-18: every residual block), shallow to deep: its output shape [C, H, W], the
    receptive field of one value in input pixels, and its strongest channels ranked by mean activation, each
    with its mean, its maximum and its map as a PNG data: URL (black 0, white the layer's `scale`: the largest
    value among the maps shown). 503 with
    the command that fetches the weights when they are not installed.
    """
    feature_maps.check_model(model)
    require_weights(model, settings.weights_dir)  # fail fast, before reading an upload
    side = getattr(registry.get_spec(model).transforms(), "resize_size", None)  # the photo is resized to this
    image, sample_key, _ = await read_image(request, settings, min_side=max(side) if side else SAMPLE_SIDE)

    def work(device: str) -> dict:
        if sample_key:
            result = feature_maps.sample_hierarchy(model, sample_key[1], settings.weights_dir, device)
        else:
            result = feature_maps.image_hierarchy(model, image, settings.weights_dir, device)
        return hierarchy_json(result)

    # Identical requests share one computation; only sample photos are kept (uploads never are).
    key = ("features", model, sample_key or hashlib.sha256(image.tobytes()).hexdigest())
    return await run_in_threadpool(service.run, work, key, sample_key is not None)
