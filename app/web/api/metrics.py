"""POST /api/metrics/iou and /api/metrics/average-precision: detection metrics on boxes a script sends."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.compute.ops import metrics
from app.web.api.uploads import BodyRoute

router = APIRouter(prefix="/api", tags=["api"], route_class=BodyRoute)


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
