import uuid
from concurrent.futures import ThreadPoolExecutor

from temporalio.worker import Worker

from config import Settings
from tests.support import make_listing, order_input
from worker import build_worker
from workflows.contracts import PayCommand, ShipCommand, DeliverCommand
from workflows.order import OrderWorkflow


async def test_smoke(time_env, sqlite_url):
    settings = Settings(database_url=sqlite_url, task_queue="smoke")
    listing = make_listing(sqlite_url)
    with ThreadPoolExecutor(8) as ex:
        async with build_worker(time_env.client, settings, ex):
            inp = order_input(listing, settings=settings)
            h = await time_env.client.start_workflow(OrderWorkflow.run, inp, id=f"order-{inp.order.order_id}", task_queue="smoke")
            adm = await h.execute_update(OrderWorkflow.admitted)
            print(adm)
            out = await h.execute_update(OrderWorkflow.pay, PayCommand(payment_id=str(uuid.uuid4()), payment_method="credit_card", card_token="tok_visa", actor="buyer-1"))
            print(out)
            print(await h.execute_update(OrderWorkflow.ship, ShipCommand(tracking_number="1Z", actor="seller-1")))
            print(await h.execute_update(OrderWorkflow.deliver, DeliverCommand(actor="buyer-1")))
            print(await h.result())
