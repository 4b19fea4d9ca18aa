"""Every recorded top-up and payout history in tests/histories/wallets/ must replay on today's
TopUpWorkflow and PayoutWorkflow: a change that would break one in flight fails here (gate it
with `workflow.patched()`). tests/workflows/test_record_wallet_histories.py records them."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.payout import PayoutWorkflow
from workflows.topup import TopUpWorkflow

HISTORIES = Path(__file__).parent / "histories" / "wallets"
RECORDED = sorted(HISTORIES.glob("*.json"))
PATHS = ("topup", "topup_declined", "payout_paid", "payout_failed", "payout_refused")


def test_the_histories_cover_every_way_a_top_up_or_payout_ends() -> None:
    assert {path.stem.split("-", 1)[1] for path in RECORDED} >= set(PATHS)


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())


@pytest.mark.parametrize("path", RECORDED, ids=lambda path: path.stem)
async def test_recorded_history_replays_deterministically(path: Path) -> None:
    replayer = Replayer(
        workflows=[TopUpWorkflow, PayoutWorkflow], data_converter=pydantic_data_converter
    )
    replayed = await replayer.replay_workflow(load(path), raise_on_replay_failure=False)
    assert replayed.replay_failure is None
