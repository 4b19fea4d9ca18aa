"""Sending an issued invoice to its buyer again (the seller or an admin)."""

from sqlalchemy.orm import Session
from temporalio.common import WorkflowIDReusePolicy

from api.db import reading
from api.deps import ClientDep, KeyedDep, PrincipalDep, SettingsDep, ViewerDep
from api.errors import ApiError, forbidden, not_found
from api.order_limits import rate_limit
from api.routing import SlashRouter
from api.schemas import InvoiceOut
from api.views import invoice_out
from api.workflow_calls import call_workflow
from db.tables import Order
from domain.contracts import INVALID_TRANSITION
from domain.outbox_contracts import OutboxRef
from services import mail, order_queries, refund_queries
from workflows.mail import MailWorkflow

router = SlashRouter(tags=["invoices"])
EMAIL_UNAVAILABLE = "email_unavailable"


@router.post("/api/invoices/{invoice_id}/send/", status_code=202, response_model=InvoiceOut)
async def send_invoice(
    invoice_id: str,
    me: PrincipalDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    client: ClientDep,
    keyed: KeyedDep,
) -> InvoiceOut:
    """202: the email is on its way (a workflow of its own, retried while the mail server is
    down); 409 for a draft or cancelled invoice, or when there is nowhere to send it."""

    def read(session: Session) -> tuple[InvoiceOut, str, str | None] | None:
        invoice = order_queries.visible_invoice(session, viewer, invoice_id)
        order = session.get(Order, invoice.order_id) if invoice else None
        if invoice is None or order is None:
            return None
        notes = refund_queries.credit_notes_of(session, [invoice.id])
        shown = invoice_out(invoice, notes.get(invoice.id, []))
        return shown, order.seller_id, mail.address_of(session, order.buyer_id)

    found = await reading(settings.database_url, read)
    if found is None:
        raise not_found("invoice")
    invoice, seller_id, address = found
    if not (me.is_admin or me.user_id == seller_id):
        raise forbidden("Only the order's seller or an admin sends its invoice")
    if invoice.invoice_number is None or invoice.status == "cancelled":
        raise ApiError(
            409,
            INVALID_TRANSITION,
            f"A {invoice.status} invoice is not sent",
            {"status": invoice.status},
        )
    if not settings.smtp_url:
        raise ApiError(409, EMAIL_UNAVAILABLE, "No mail server is configured (SMTP_URL)")
    if address is None:
        raise ApiError(409, EMAIL_UNAVAILABLE, "The buyer has no known email address")
    # A buyer's inbox is not the seller's to flood: a few sends per invoice and window.
    await rate_limit(settings, "invoice_send", invoice_id)
    await call_workflow(
        client.start_workflow(
            MailWorkflow.run,
            OutboxRef(
                ref=f"invoice:{invoice_id}", retry_max_interval=settings.mail_retry_max_interval
            ),
            # With an Idempotency-Key, a retried request names the same email: sent once.
            id=f"mail-invoice:{invoice_id}:resend-{keyed.id_for(f'invoice-send:{invoice_id}')}",
            task_queue=settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    )
    return invoice
