"""The JSON API: the same computations the widgets use, for scripts and tests (documented at /docs)."""

import io
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from pydantic import BaseModel, Field

from app.compute import architectures, arithmetic, conv, metrics, pool, samples
from app.web.i18n import pick_language

router = APIRouter(prefix="/api", tags=["api"])

SAMPLE_SIDE = 800  # px; the models' API resizes sample photos to this too

Numbers = Any  # nested lists of numbers; shape and values are checked by app.compute


class Conv2dRequest(BaseModel):
    input: Numbers = Field(description="H×W or C×H×W numbers")
    kernel: Numbers = Field(description="kh×kw or K×C×kh×kw numbers")
    bias: Numbers | None = Field(default=None, description="K numbers")
    stride: Any = Field(default=1, description="n or [sh, sw], at least 1")
    padding: Any = Field(default=0, description="n or [ph, pw], at least 0 (zeros)")
    dilation: Any = Field(default=1, description="n or [dh, dw], at least 1")


class Pool2dRequest(BaseModel):
    input: Numbers = Field(description="H×W or C×H×W numbers; each channel is pooled on its own")
    mode: Any = Field(default="max", description='"max" or "avg"')
    size: Any = Field(default=2, description="n or [h, w]")
    stride: Any = Field(default=None, description="n or [h, w]; default: the window size")
    padding: Any = Field(default=0, description="n (at most half the window)")


def _device(request: Request) -> str:
    return request.app.state.device


@router.post("/conv2d", name="convolve", description=conv.ConvLimits.__doc__)
def convolve(request: Request, body: Annotated[Conv2dRequest, Body()]) -> dict:
    """Cross-correlation with zero padding, as torch.nn.functional.conv2d."""
    return conv.conv2d_request(body.input, body.kernel, body.bias, body.stride, body.padding, body.dilation,
                               device=_device(request))


@router.post("/pool2d", name="pool", description=pool.PoolLimits.__doc__)
def pool_(request: Request, body: Annotated[Pool2dRequest, Body()]) -> dict:
    """Max or average pooling, as torch.nn.functional.max_pool2d / avg_pool2d; `argmax` for max pooling."""
    return pool.pool2d_request(body.input, body.mode, body.size, body.stride, body.padding, device=_device(request))


@router.get("/conv-arithmetic", name="compute_conv_arithmetic", description=arithmetic.ArithmeticLimits.__doc__)
def compute_conv_arithmetic(
    request: Request,
    input: Annotated[int, Query(description="input width W")],
    kernel: Annotated[int, Query(description="filter size F")],
    stride: Annotated[int, Query(description="stride S")] = 1,
    padding: Annotated[int, Query(description="zero padding P")] = 0,
    dilation: Annotated[int, Query(description="dilation D")] = 1,
    in_channels: Annotated[int, Query(description="input depth D1")] = 1,
    filters: Annotated[int, Query(description="number of filters K")] = 1,
) -> dict:
    """W2 = (W − F + 2P)/S + 1 with the numbers substituted, whether it is valid, and the layer's parameters."""
    result = arithmetic.conv_arithmetic(input, kernel, stride, padding, dilation, in_channels, filters)
    lang = pick_language(request.headers.get("accept-language"))
    return {**result, "reason": result["reason"][lang], "reasons": result["reason"]}


@router.get("/samples", name="list_samples")
def list_samples() -> list[dict]:
    """The sample photos (they ship with scikit-image), with captions and credits."""
    return [{"name": key, "captions": s.captions, "credit": s.credit, "url": f"/api/samples/{key}.jpg"}
            for key, s in samples.SAMPLES.items()]


@router.get("/samples/{name}.jpg", name="read_sample_photo", response_class=Response)
def read_sample_photo(name: str) -> Response:
    """A sample photo as JPEG, the longer side at most 800 px (the size the models are given)."""
    buffer = io.BytesIO()
    samples.load_sample(name, SAMPLE_SIDE).save(buffer, format="JPEG", quality=88)
    return Response(buffer.getvalue(), media_type="image/jpeg", headers={"cache-control": "public, max-age=86400"})


@router.get("/architectures/{name}", name="read_architecture")
def read_architecture(name: str) -> dict:
    """Layer-by-layer shapes, memory, parameters and multiply-adds, computed by running the real module."""
    return architectures.architecture_table(name)


class IouRequest(BaseModel):
    box_a: Any = Field(description="[x1, y1, x2, y2] with x2 ≥ x1 and y2 ≥ y1")
    box_b: Any = Field(description="[x1, y1, x2, y2]")


class AveragePrecisionRequest(BaseModel):
    ground_truth: Any = Field(description='[{"image", "label", "box"}]')
    detections: Any = Field(description='[{"image", "label", "box", "score"}]')
    iou_threshold: Any = Field(default=0.5, description="a detection is a true positive at IoU ≥ this")
    method: Any = Field(default="all-points", description='"all-points", "voc11" or "coco101"')


@router.post("/metrics/iou", name="measure_iou")
def measure_iou(body: Annotated[IouRequest, Body()]) -> dict:
    """Intersection over union of two boxes."""
    return metrics.iou(body.box_a, body.box_b)


@router.post("/metrics/average-precision", name="measure_average_precision")
def measure_average_precision(body: Annotated[AveragePrecisionRequest, Body()]) -> dict:
    """Per-class AP with PASCAL VOC matching, and their mean over classes that have ground truth."""
    return metrics.average_precision(body.ground_truth, body.detections, body.iou_threshold, body.method)
