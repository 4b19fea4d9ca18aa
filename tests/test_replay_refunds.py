"""Every recorded refund history in tests/histories/refunds/ must replay on today's
RefundWorkflow (the orders' side of the same refunds is in tests/histories/, replayed by
tests/test_replay.py). tests/workflows/test_record_refund_histories.py records them."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.refund import RefundWorkflow

HISTORIES = Path(__file__).parent / "histories" / "refunds"
RECORDED = sorted(HISTORIES.glob("*.json"))
PATHS = ("refund_partial_card", "refund_full_wallet", "refund_rejected", "refund_manual")


def test_the_histories_cover_every_way_a_refund_ends() -> None:
    assert {path.stem.split("-", 1)[1] for path in RECORDED} >= set(PATHS)


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())


@pytest.mark.parametrize("path", RECORDED, ids=lambda path: path.stem)
async def test_recorded_history_replays_deterministically(path: Path) -> None:
    replayer = Replayer(workflows=[RefundWorkflow], data_converter=pydantic_data_converter)
    history = load(path)
    replayed = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert replayed.replay_failure is None
