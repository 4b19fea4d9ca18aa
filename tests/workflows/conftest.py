from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.workflows.shop import Shop, open_shop


@pytest.fixture
async def shop(time_env: WorkflowEnvironment, sqlite_url: str) -> AsyncIterator[Shop]:
    async with open_shop(time_env, sqlite_url) as running:
        yield running
