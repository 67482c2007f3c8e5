"""POST /api/conv2d: the convolution the lessons animate, on numbers a script sends."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.compute.ops import conv
from app.web.api.deps import ModelsDep
from app.web.service import SMALL_WORK
from app.web.api.uploads import BodyRoute

router = APIRouter(prefix="/api", tags=["api"], route_class=BodyRoute)

Numbers = Any  # nested lists of numbers; shape and values are checked by app.compute


class Conv2dRequest(BaseModel):
    input: Numbers = Field(description="H×W or C×H×W numbers")
    kernel: Numbers = Field(description="kh×kw or K×C×kh×kw numbers")
    bias: Numbers | None = Field(default=None, description="K numbers")
    stride: Any = Field(default=1, description="n or [sh, sw], at least 1")
    padding: Any = Field(default=0, description="n or [ph, pw], at least 0 (zeros)")
    dilation: Any = Field(default=1, description="n or [dh, dw], at least 1")


@router.post("/conv2d", name="convolve", description=conv.ConvLimits.__doc__)
def convolve(service: ModelsDep, body: Annotated[Conv2dRequest, Body()]) -> dict:
    """Cross-correlation with zero padding, as torch.nn.functional.conv2d."""
    job = conv.conv2d_prepare(body.input, body.kernel, body.bias, body.stride, body.padding, body.dilation)
    if job.work <= SMALL_WORK:  # a lesson-sized grid: here and now, cheaper than any queue
        return service.run_small(job.run)
    return service.run(job.run)  # the device's bounded queue (503 + Retry-After when full)
