"""POST /api/pool2d: max and average pooling on numbers a script sends."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.compute.ops import pool
from app.web.api.conv import Numbers
from app.web.api.deps import ModelsDep
from app.web.api.uploads import BodyRoute
from app.web.service import SMALL_WORK

router = APIRouter(prefix="/api", tags=["api"], route_class=BodyRoute)


class Pool2dRequest(BaseModel):
    input: Numbers = Field(description="H×W or C×H×W numbers; each channel is pooled on its own")
    mode: Any = Field(default="max", description='"max" or "avg"')
    size: Any = Field(default=2, description="n or [h, w]")
    stride: Any = Field(default=None, description="n or [h, w]; default: the window size")
    padding: Any = Field(default=0, description="n (at most half the window)")


@router.post("/pool2d", name="pool", description=pool.PoolLimits.__doc__)
def pool_(service: ModelsDep, body: Annotated[Pool2dRequest, Body()]) -> dict:
    """Max or average pooling, as torch.nn.functional.max_pool2d / avg_pool2d; `argmax` for max pooling."""
    job = pool.pool2d_prepare(body.input, body.mode, body.size, body.stride, body.padding)
    if job.work <= SMALL_WORK:  # a lesson-sized grid: here and now, never behind big jobs in the queue
        return service.run_small(job.run)
    return service.run(job.run)  # the device's bounded queue (503 + Retry-After when full)
