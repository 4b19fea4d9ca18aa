"""Email end to end: a purchase with ORDER_ENGINE_SMTP_URL pointing at a real SMTP server on
loopback delivers the invoice (PDF attached) and the notifications to the addresses of the
tokens' `email` claims; with the server down the order still completes, and the mail arrives
once the server is back."""

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from pathlib import Path

import httpx
import pypdf
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.auth import issue_token
from db.engine import session_scope
from db.tables import Notification, OutboxItem
from db.types import utcnow
from services import outbox, user_emails
from tests.e2e.conftest import SECRET, Stack, free_port, running_stack
from tests.e2e.flows import list_item, pay, place_order
from tests.mailbox import attachments, smtp_server
from workflows.client import schedule_outbox_sweeper
from workflows.order import OrderWorkflow


@asynccontextmanager
async def mail_stack(dev_env: WorkflowEnvironment, folder: Path, port: int) -> AsyncIterator[Stack]:
    async with running_stack(
        dev_env,
        f"sqlite:///{folder / 'orders.db'}",
        smtp_url=f"smtp://127.0.0.1:{port}",
        smtp_from="Marketplace <orders@marketplace.test>",
        mail_retry_max_interval=timedelta(seconds=2),
    ) as built:
        yield built


def client(stack: Stack, sub: str, role: str, address: str | None) -> httpx.AsyncClient:
    token = issue_token(SECRET, sub, [role], email=address)
    return httpx.AsyncClient(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def purchase(stack: Stack, buyer: httpx.AsyncClient, seller: httpx.AsyncClient) -> dict:
    """Listing → order → card payment → shipped → delivered → paid out (the workflow ends)."""
    listing = await list_item(seller)
    order = await place_order(buyer, listing["id"])
    await pay(buyer, order["id"])
    shipped = await seller.post(f"/api/orders/{order['id']}/ship/", json={"tracking_number": "1Z"})
    assert shipped.status_code == 200, shipped.text
    delivered = await buyer.post(f"/api/orders/{order['id']}/deliver/")
    assert delivered.status_code == 200, delivered.text
    handle = stack.env.client.get_workflow_handle_for(OrderWorkflow.run, order["workflow_id"])
    assert (await handle.result()).status == "delivered"
    final = (await buyer.get(f"/api/orders/{order['id']}/")).json()
    assert final["payout"]["status"] == "paid"
    return final


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


async def test_purchase_mails_the_invoice_and_the_notifications(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()
    controller, box = smtp_server(port)
    suffix = uuid.uuid4().hex[:8]
    buyer_mail, seller_mail = f"ada-{suffix}@buyers.test", f"bob-{suffix}@sellers.test"
    try:
        async with mail_stack(dev_env, tmp_path, port) as stack:
            buyer = client(stack, f"buyer-{suffix}", "buyer", buyer_mail)
            seller = client(stack, f"seller-{suffix}", "seller", seller_mail)
            async with buyer, seller:
                order = await purchase(stack, buyer, seller)
                invoice = (await buyer.get(f"/api/invoices/{order['invoice_id']}/")).json()
                number = order["order_number"]

                invoices = await box.wait_for(
                    lambda m: m["To"] == buyer_mail and invoice["invoice_number"] in m["Subject"]
                )
                assert len(invoices) == 1
                mailed = invoices[0]
                assert mailed["From"] == "Marketplace <orders@marketplace.test>"
                assert "1524.00 USD" in mailed["Subject"] and number in mailed["Subject"]
                plain = mailed.get_body(("plain",))
                html = mailed.get_body(("html",))
                assert plain is not None and "1524.00" in plain.get_content()
                assert html is not None and "1524.00 USD" in html.get_content()
                [(filename, pdf)] = attachments(mailed)
                assert filename == f"{invoice['invoice_number']}.pdf"
                text = pdf_text(pdf)
                assert invoice["invoice_number"] in text and "1524.00" in text

                # The seller sends it again: a second email, the same invoice.
                resent = await seller.post(f"/api/invoices/{invoice['id']}/send/")
                assert resent.status_code == 202, resent.text
                twice = await box.wait_for(
                    lambda m: invoice["invoice_number"] in m["Subject"], at_least=2
                )
                assert [m["To"] for m in twice] == [buyer_mail, buyer_mail]
                assert attachments(twice[1])[0][0] == filename

                # Every transition the buyer and the seller hear of in-app reaches them by mail,
                # naming the order; the payout names its amount.
                expected = {
                    buyer_mail: [
                        f"Order {number} {what}"
                        for what in ("placed", "paid", "shipped", "delivered")
                    ],
                    seller_mail: [
                        f"Order {number} {what}" for what in ("placed", "paid", "delivered")
                    ]
                    + [f"Payout for {number}"],
                }
                for address, subjects in expected.items():
                    for subject in subjects:
                        await box.wait_for(
                            lambda m, a=address, s=subject: m["To"] == a and m["Subject"] == s
                        )
                payout = box.to(seller_mail)
                assert any("1447.80 USD" in m.get_body(("plain",)).get_content() for m in payout)  # type: ignore[union-attr]
                inbox = (await buyer.get("/api/notifications/")).json()["items"]
                assert {n["title"] for n in inbox} >= set(expected[buyer_mail])
    finally:
        controller.stop()


async def test_a_mail_server_down_delays_the_mail_never_the_order(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there until the order is over
    suffix = uuid.uuid4().hex[:8]
    buyer_mail = f"ada-{suffix}@buyers.test"
    async with mail_stack(dev_env, tmp_path, port) as stack:
        buyer = client(stack, f"buyer-{suffix}", "buyer", buyer_mail)
        seller = client(stack, f"seller-{suffix}", "seller", None)
        async with buyer, seller:
            order = await purchase(stack, buyer, seller)
            invoice = (await buyer.get(f"/api/invoices/{order['invoice_id']}/")).json()
            # The invoice's mail is retried by the engine for a minute of the server being
            # down: its workflow runs, its activity failing again and again.
            mail_id = f"mail-invoice:{invoice['id']}:issued"
            handle = stack.env.client.get_workflow_handle(mail_id)
            await wait_failing_for(handle, timedelta(minutes=1))
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

            controller, box = smtp_server(port)
            try:
                arrived = await box.wait_for(
                    lambda m: invoice["invoice_number"] in m["Subject"], within=90
                )
                assert [m["To"] for m in arrived] == [buyer_mail]
                assert await handle.result() == "sent"
                await box.wait_for(
                    lambda m: m["Subject"] == f"Order {order['order_number']} delivered"
                )
                # The seller has no known address: in-app only.
                assert all(m["To"] == buyer_mail for m in box.messages)
            finally:
                controller.stop()


async def wait_failing_for(handle: WorkflowHandle, down: timedelta) -> None:
    """Until the workflow's activity has been failing for `down`, by the engine's own record
    (the end of its latest failed attempt, since the workflow began). Between two attempts the
    activity is only scheduled: its latest start is not shown then, its latest end is."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + down.total_seconds() + 60
    while True:
        description = await handle.describe()
        pending = description.raw_description.pending_activities
        if pending and pending[0].attempt > 1:
            ends = [pending[0].last_attempt_complete_time, pending[0].last_started_time]
            seen = [t.ToDatetime(tzinfo=UTC) for t in ends if t.seconds]
            if seen and max(seen) - description.start_time >= down:
                return
        assert loop.time() < deadline, pending
        await asyncio.sleep(0.5)


async def test_an_admins_wallet_adjustment_is_emailed_at_once(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Written by the API (no activity): the request starts its email once it commits."""
    port = free_port()
    controller, box = smtp_server(port)
    suffix = uuid.uuid4().hex[:8]
    buyer_mail = f"ada-{suffix}@buyers.test"
    try:
        async with mail_stack(dev_env, tmp_path, port) as stack:
            buyer = client(stack, f"buyer-{suffix}", "buyer", buyer_mail)
            admin = client(stack, f"admin-{suffix}", "admin", None)
            async with buyer, admin:
                wallet = (await buyer.get("/api/wallets/my_wallet/")).json()
                adjusted = await admin.post(
                    f"/api/wallets/{wallet['id']}/adjust/",
                    json={"amount": "5.00", "reason": "goodwill"},
                )
                assert adjusted.status_code == 200, adjusted.text
                [mailed] = await box.wait_for(
                    lambda m: m["To"] == buyer_mail and m["Subject"] == "Wallet adjusted"
                )
                assert "+5.00 USD: goodwill" in mailed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    finally:
        controller.stop()


async def test_an_email_left_in_the_outbox_is_started_by_the_sweeper(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """A step committed a notification and its outbox row, and its worker died before the
    start: the sweeper, a Temporal schedule, starts the email."""
    port = free_port()
    controller, box = smtp_server(port)
    suffix = uuid.uuid4().hex[:8]
    user, address = f"buyer-{suffix}", f"ada-{suffix}@buyers.test"
    try:
        async with mail_stack(dev_env, tmp_path, port) as stack:
            url, queue = stack.settings.database_url, stack.settings.task_queue
            notification_id = str(uuid.uuid4())
            long_ago = utcnow() - timedelta(minutes=5)
            with session_scope(url) as session:
                user_emails.remember(session, user, address, long_ago)
                session.add(
                    Notification(
                        id=notification_id,
                        user_id=user,
                        key=f"left-behind:{suffix}",
                        kind="ops_alert",
                        title="Left behind",
                        body="Its worker died between the commit and the start.",
                        created_at=long_ago,
                    )
                )
                ref = f"notification:{notification_id}"
                outbox.enqueue(session, f"mail-{ref}", "mail", ref, long_ago)
            await schedule_outbox_sweeper(stack.env.client, queue, timedelta(seconds=1))
            try:
                [mailed] = await box.wait_for(lambda m: m["Subject"] == "Left behind")
                assert mailed["To"] == address
                with session_scope(url) as session:
                    assert session.scalars(select(OutboxItem)).all() == []
            finally:
                await stack.env.client.get_schedule_handle(f"outbox-sweeper-{queue}").delete()
    finally:
        controller.stop()
