"""Typed dependencies of the API routes (as in FastAPI's full-stack template): what the app loaded at start-up.

They are `async def` because they only read app.state: FastAPI runs a plain `def` dependency in its thread
pool, a hand-off per request that costs more than the lookup."""

from typing import Annotated

from fastapi import Depends, Request

from app.lessons import Catalog
from app.settings import Settings
from app.web.service import ModelService


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_models(request: Request) -> ModelService:
    return request.app.state.models


async def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


async def get_device(request: Request) -> str:
    return request.app.state.device


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ModelsDep = Annotated[ModelService, Depends(get_models)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
DeviceDep = Annotated[str, Depends(get_device)]
