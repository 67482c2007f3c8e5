"""POST /api/nms and /api/metrics/mabo: non-maximum suppression and the proposals' mean average best overlap."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.compute.ops import mabo, nms
from app.web.api.errors import error_responses
from app.web.api.uploads import BodyRoute

router = APIRouter(prefix="/api", tags=["api"], route_class=BodyRoute)


class NmsRequest(BaseModel):
    boxes: Any = Field(description=f"[[x1, y1, x2, y2], …] with x2 ≥ x1 and y2 ≥ y1; at most {nms.MAX_BOXES}",
                       examples=[[[10, 10, 60, 60], [12, 12, 62, 62], [100, 100, 150, 150]]])
    scores: Any = Field(description="one finite number per box", examples=[[0.9, 0.8, 0.7]])
    iou_threshold: Any = Field(description="from 0 to 1; a box is dropped when its IoU with a kept box is > this",
                               examples=[0.5])


class NmsResponse(BaseModel):
    keep: list[int] = Field(description="indices of the kept boxes, highest score first (torchvision.ops.nms)")
    suppressed: list[dict] = Field(description='{"box", "by", "iou"} for every dropped box: the kept box that '
                                               "dropped it and their IoU")


class MaboRequest(BaseModel):
    ground_truth: Any = Field(description=f"[[x1, y1, x2, y2], …], at least one, at most {mabo.MAX_TRUE_BOXES}",
                              examples=[[[10, 10, 60, 60], [100, 100, 150, 150]]])
    proposals: Any = Field(description=f"[[x1, y1, x2, y2], …], at most {mabo.MAX_PROPOSALS}",
                           examples=[[[12, 12, 62, 62], [90, 90, 140, 140]]])


class MaboResponse(BaseModel):
    mabo: float = Field(description="the mean of best_iou")
    best_iou: list[float] = Field(description="for each true box, the best IoU of any proposal (as /api/metrics/iou)")
    best_proposal: list[int | None] = Field(description="the proposal reaching it; null when none overlaps")


@router.post("/nms", name="suppress_non_maxima", response_model=NmsResponse, responses=error_responses(413, 422))
def suppress_non_maxima(body: Annotated[NmsRequest, Body()]) -> dict:
    """Greedy non-maximum suppression, exactly as torchvision.ops.nms, with which kept box dropped each other box."""
    return nms.nms(body.boxes, body.scores, body.iou_threshold)


@router.post("/metrics/mabo", name="measure_mabo", response_model=MaboResponse, responses=error_responses(413, 422))
def measure_mabo(body: Annotated[MaboRequest, Body()]) -> dict:
    """Mean average best overlap of region proposals: each true box's best IoU with any proposal, averaged."""
    return mabo.mabo(body.ground_truth, body.proposals)
