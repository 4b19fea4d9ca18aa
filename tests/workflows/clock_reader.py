"""A workflow that breaks rule 1: it reads the wall clock. The sandbox must stop it."""

import datetime

from temporalio import workflow


@workflow.defn
class ClockReader:
    @workflow.run
    async def run(self) -> str:
        return datetime.datetime.now().isoformat()
