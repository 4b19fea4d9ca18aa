"""The one Temporal client every process builds (API, worker, CLI, tests): same address,
namespace and data converter, so Decimal stays Decimal end to end (DESIGN.md, rule 2)."""

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from config import Settings


async def connect(settings: Settings, lazy: bool = False) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        lazy=lazy,
    )
