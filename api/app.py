"""The FastAPI application: one Temporal client per process, made in the lifespan."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.contacts import EmailBook
from api.docs import install_docs
from api.errors import install_error_handlers
from api.idempotency import IdempotencyMiddleware
from api.metrics import install_metrics
from api.openapi import install_openapi
from api.routes import (
    discounts,
    health,
    invoice_documents,
    invoice_mail,
    invoices,
    listings,
    notifications,
    order_steps,
    orders,
    payment_resolution,
    payments,
    payouts,
    refunds,
    wallets,
    webhook_endpoints,
    webhooks,
)
from config import Settings, get_settings
from db.migrate import upgrade
from workflows.client import connect


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.warn_if_insecure()
        await asyncio.to_thread(upgrade, settings.database_url)
        # Lazy: the API comes up (and /readyz says why it is not ready) while Temporal starts.
        app.state.temporal = await connect(settings, lazy=True)
        yield

    app = FastAPI(
        title="order-engine",
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Orders and payments of the car and car-parts marketplace.",
    )
    app.state.settings = settings
    app.state.email_book = EmailBook()
    install_error_handlers(app)
    install_metrics(app)
    app.add_middleware(IdempotencyMiddleware, settings=settings)
    for module in (
        health,
        listings,
        orders,
        order_steps,
        payments,
        payment_resolution,
        invoices,
        invoice_documents,
        invoice_mail,
        refunds,
        discounts,
        notifications,
        wallets,
        payouts,
        webhooks,
        webhook_endpoints,
    ):
        app.include_router(module.router)
    install_openapi(app)
    install_docs(app)
    return app
