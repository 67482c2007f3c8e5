"""GET /api/samples and /api/samples/{name}.jpg: the sample photos the lessons and models use."""

import io

from fastapi import APIRouter, Response

from app.compute import samples
from app.web.api.uploads import SAMPLE_SIDE

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/samples", name="list_samples")
def list_samples() -> list[dict]:
    """The sample photos (they ship with scikit-image), with captions and credits."""
    return [{"name": key, "captions": s.captions, "credit": s.credit, "url": f"/api/samples/{key}.jpg"}
            for key, s in samples.SAMPLES.items()]


@router.get("/samples/{name}.jpg", name="read_sample_photo", response_class=Response)
def read_sample_photo(name: str) -> Response:
    """A sample photo as JPEG, the longer side at most 800 px (the size the models are given). Optimized Huffman
    tables and a progressive scan keep the same coefficients (the same picture) in ~5% fewer bytes, and a slow
    link shows the whole photo coarse first."""
    buffer = io.BytesIO()
    samples.load_sample(name, SAMPLE_SIDE).save(buffer, format="JPEG", quality=88, optimize=True, progressive=True)
    return Response(buffer.getvalue(), media_type="image/jpeg", headers={"cache-control": "public, max-age=86400"})
