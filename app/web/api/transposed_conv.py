"""POST /api/conv-transpose2d: the transposed convolution the segmentation lesson animates, one channel."""

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from app.compute.ops import transposed_conv
from app.web.api.errors import error_responses
from app.web.api.uploads import BodyRoute

router = APIRouter(prefix="/api", tags=["api"], route_class=BodyRoute)
SIDE = transposed_conv.MAX_SIDE


class ConvTranspose2dRequest(BaseModel):
    input: Any = Field(description=f"H×W numbers, at most {SIDE}×{SIDE}", examples=[[[1, 2], [3, 4]]])
    kernel: Any = Field(description=f"kh×kw numbers, at most {SIDE}×{SIDE}", examples=[[[1, 1], [1, 1]]])
    stride: Any = Field(default=1, description=f"1 to {transposed_conv.MAX_STRIDE}", examples=[2])
    padding: Any = Field(default=0, description="cells cropped from each side of the output", examples=[0])
    output_padding: Any = Field(default=0, description="extra rows and columns at the bottom and right; < stride",
                                examples=[0])


class ConvTranspose2dResponse(BaseModel):
    output: list[list[float]] = Field(description="(H − 1)·S − 2P + kh + output_padding rows, likewise columns")
    output_shape: list[int]
    formula: str = Field(description="the output height with the numbers substituted")


@router.post("/conv-transpose2d", name="convolve_transposed", response_model=ConvTranspose2dResponse,
             responses=error_responses(413, 422))
def convolve_transposed(body: Annotated[ConvTranspose2dRequest, Body()]) -> dict:
    """Transposed convolution of one channel, exactly as torch.nn.functional.conv_transpose2d."""
    return transposed_conv.conv_transpose2d(body.input, body.kernel, body.stride, body.padding, body.output_padding)
