"""/docs: Swagger UI served from the app (the fastapi-offline package vendors Swagger UI 5, which reads the
OpenAPI 3.1 FastAPI writes), started by a static script, so the page works under the app's own CSP and makes no
request to any other host."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_UI_FILES = Path(fastapi_offline.__file__).parent / "static"

ASSETS = "/vendor/swagger-ui"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="icon" href="/static/favicon.svg">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body data-openapi="{openapi}">
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/js/api-docs.js"></script>
</body>
</html>
"""


def add_docs(app: FastAPI) -> None:
    """Mount Swagger UI's files and the /docs page (create the app with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_UI_FILES), name="swagger-ui")
    page = PAGE.format(title=app.title, assets=ASSETS, openapi=app.openapi_url)

    @app.get("/docs", include_in_schema=False)
    def read_docs() -> HTMLResponse:
        return HTMLResponse(page)
