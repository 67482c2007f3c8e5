"""The error body every /api route answers with, for OpenAPI: `responses=error_responses(422, 413)`."""

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    detail: str = Field(description="what is wrong with the request, in the language of Accept-Language or ?lang=",
                        examples=["iou_threshold must be a number from 0 to 1, got 1.5."])


_MEANING = {
    413: "The request is over a size limit (too many boxes, too large an output, or a body over STRIDE_MAX_BODY_BYTES).",
    422: "The request is not valid; `detail` says which field is wrong and why.",
    503: "The server's model queue is full; retry after the Retry-After header's seconds.",
}


def error_responses(*statuses: int) -> dict:
    """FastAPI `responses=` entries documenting each status with the ErrorBody schema."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}
