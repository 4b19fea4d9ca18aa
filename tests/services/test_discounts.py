"""Discount uses in the database (SQLite and PostgreSQL): the rules through reserve, one use per
order, a release and a use counted once however often (or however concurrently) they are asked,
and the limits held when many orders race for one code."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from db.engine import session_scope
from db.tables import Discount, DiscountUse, DiscountUserCount
from domain.discounts import DiscountRefused
from services import discount_admin, discounts
from tests.services.helpers import count, uid
from tests.services.test_ledger_race import race

NOW = datetime.now(UTC)
DAY = timedelta(days=1)
D = Decimal


def make_code(url: str, **fields: Any) -> str:
    """A new active 10% code; returns its code (lower case: codes compare case-insensitively)."""
    code = fields.pop("code", None) or f"save-{uuid.uuid4().hex[:10]}"
    terms: dict[str, Any] = {
        "code": code,
        "description": "",
        "discount_type": "percentage",
        "discount_value": D("10"),
        "max_discount_amount": None,
        "min_order_amount": None,
        "max_uses": None,
        "max_uses_per_user": None,
        "status": "active",
        "valid_from": None,
        "valid_until": None,
        **fields,
    }
    with session_scope(url) as session:
        discount_admin.create(session, terms)
    return code


def reserve(url: str, code: str, user: str, order: str, subtotal: str = "200.00") -> Any:
    with session_scope(url) as session:
        return discounts.reserve(session, code, user, order, D(subtotal), NOW)


def refusal(url: str, code: str, user: str | None = None, subtotal: str = "200.00") -> str | None:
    try:
        reserve(url, code, user or uid("buyer"), str(uuid.uuid4()), subtotal)
    except DiscountRefused as refused:
        return refused.reason
    return None


def counters(url: str, code: str) -> tuple[int, int]:
    with session_scope(url) as session:
        found = discounts.find_code(session, code)
        assert found is not None
        return found.reserved, found.times_used


def use_status(url: str, order: str) -> str | None:
    with session_scope(url) as session:
        use = discounts.use_of(session, order)
        return None if use is None else use.status


def call(url: str, work: Callable[..., None], order: str) -> None:
    with session_scope(url) as session:
        work(session, order)


def test_reserve_answers_the_stored_code_and_its_amount(database_url: str) -> None:
    code = make_code(database_url, max_discount_amount=D("15.00"))
    order = str(uuid.uuid4())
    assert reserve(database_url, code.upper(), "u1", order) == (code, D("15.00"))
    assert reserve(database_url, code, "u2", str(uuid.uuid4()), "99.99") == (code, D("10.00"))
    assert counters(database_url, code) == (2, 0)
    assert use_status(database_url, order) == "reserved"


@pytest.mark.parametrize(
    ("terms", "subtotal", "reason"),
    [
        ({"status": "inactive"}, "200.00", "inactive"),
        ({"valid_until": NOW - DAY}, "200.00", "expired"),
        ({"valid_from": NOW + DAY}, "200.00", "not_yet_valid"),
        ({"min_order_amount": D("200.01")}, "200.00", "min_order_not_met"),
        ({"max_uses": 0}, "200.00", "max_uses_reached"),
        ({"max_uses_per_user": 0}, "200.00", "max_uses_per_user_reached"),
    ],
)
def test_the_rules_through_reserve(
    database_url: str, terms: dict[str, Any], subtotal: str, reason: str
) -> None:
    code = make_code(database_url, **terms)
    assert refusal(database_url, code, subtotal=subtotal) == reason
    assert counters(database_url, code) == (0, 0)
    assert refusal(database_url, f"nope-{uuid.uuid4().hex}") == "not_found"


def test_the_limits_through_reserve(database_url: str) -> None:
    code = make_code(database_url, max_uses=3, max_uses_per_user=2)
    me = uid("buyer")
    assert refusal(database_url, code, me) is None
    assert refusal(database_url, code, me) is None
    assert refusal(database_url, code, me) == "max_uses_per_user_reached"
    assert refusal(database_url, code) is None
    assert refusal(database_url, code) == "max_uses_reached"
    assert counters(database_url, code) == (3, 0)


def test_one_order_reserving_twice_holds_one_use(database_url: str) -> None:
    code = make_code(database_url, max_uses_per_user=1)
    order = str(uuid.uuid4())
    first = reserve(database_url, code, "u1", order)
    assert reserve(database_url, code.upper(), "u1", order) == first
    assert counters(database_url, code) == (1, 0)
    assert count(database_url, DiscountUse, DiscountUse.order_id == order) == 1


def test_another_code_gives_the_first_back(database_url: str) -> None:
    first, second = (
        make_code(database_url),
        make_code(database_url, discount_type="fixed", discount_value=D("5.00")),
    )
    order = str(uuid.uuid4())
    reserve(database_url, first, "u1", order)
    assert reserve(database_url, second, "u1", order) == (second, D("5.00"))
    assert counters(database_url, first) == (0, 0)
    assert counters(database_url, second) == (1, 0)
    # And back again: the order's one row is taken again.
    assert reserve(database_url, first, "u1", order)[1] == D("20.00")
    assert counters(database_url, (first)) == (1, 0)
    assert counters(database_url, second) == (0, 0)
    assert count(database_url, DiscountUse, DiscountUse.order_id == order) == 1


def test_a_refused_code_keeps_the_order_without_a_reservation(database_url: str) -> None:
    """The previous code was given back before the new one was refused; the caller's
    transaction decides (a refusal rolls it back in the order's step)."""
    first, used_up = make_code(database_url), make_code(database_url, max_uses=0)
    order = str(uuid.uuid4())
    reserve(database_url, first, "u1", order)
    with pytest.raises(DiscountRefused), session_scope(database_url) as session:
        discounts.reserve(session, used_up, "u1", order, D("200.00"), NOW)
    assert counters(database_url, first) == (1, 0)  # rolled back with the transaction


def test_release_twice_gives_back_once(database_url: str) -> None:
    code = make_code(database_url, max_uses=1, max_uses_per_user=1)
    order = str(uuid.uuid4())
    reserve(database_url, code, "u1", order)
    call(database_url, discounts.release, order)
    call(database_url, discounts.release, order)
    assert counters(database_url, code) == (0, 0)
    assert use_status(database_url, order) == "released"
    assert _user_uses(database_url, code, "u1") == 0
    # The use given back is free for someone else, and for the same order again.
    assert refusal(database_url, code, "u2") is None
    assert refusal(database_url, code, "u1") == "max_uses_reached"
    call(database_url, discounts.release, str(uuid.uuid4()))  # no use: nothing happens


def test_two_releases_at_once_give_back_once(database_url: str) -> None:
    code = make_code(database_url)
    orders = [str(uuid.uuid4()) for _ in range(3)]
    for order in orders:
        reserve(database_url, code, "u1", order)
    race(8, lambda n: call(database_url, discounts.release, orders[0]))
    assert counters(database_url, code) == (2, 0)
    assert _user_uses(database_url, code, "u1") == 2


def test_mark_used_twice_counts_once_and_is_never_released(database_url: str) -> None:
    code = make_code(database_url)
    order = str(uuid.uuid4())
    reserve(database_url, code, "u1", order)
    call(database_url, discounts.mark_used, order)
    call(database_url, discounts.mark_used, order)
    race(4, lambda n: call(database_url, discounts.mark_used, order))
    assert counters(database_url, code) == (1, 1)
    call(database_url, discounts.release, order)
    assert counters(database_url, code) == (1, 1)
    assert use_status(database_url, order) == "used"
    # The paid order's code cannot change any more; the same code answers as before.
    assert reserve(database_url, code, "u1", order)[0] == code
    with pytest.raises(ValueError):
        reserve(database_url, make_code(database_url), "u1", order)


def test_validate_counts_like_reserve(database_url: str) -> None:
    code = make_code(database_url, max_uses=2, max_uses_per_user=1, min_order_amount=D("50.00"))

    def check(user: str, amount: str = "100.00") -> tuple[bool, Decimal, str | None]:
        with session_scope(database_url, read_only=True) as session:
            return discounts.validate(session, code.upper(), user, D(amount), NOW)

    assert check("u1") == (True, D("10.00"), None)
    assert check("u1", "49.99") == (False, D("0.00"), "min_order_not_met")
    reserve(database_url, code, "u1", str(uuid.uuid4()))
    assert check("u1") == (False, D("0.00"), "max_uses_per_user_reached")
    assert check("u2") == (True, D("10.00"), None)
    reserve(database_url, code, "u2", str(uuid.uuid4()))
    assert check("u3") == (False, D("0.00"), "max_uses_reached")
    assert counters(database_url, code) == (2, 0)
    with session_scope(database_url, read_only=True) as session:
        assert discounts.validate(session, "missing", "u1", D("1"), NOW)[2] == "not_found"


def test_many_orders_race_for_a_five_use_code(database_url: str) -> None:
    code = make_code(database_url, max_uses=5)

    def attempt(n: int) -> bool:
        return refusal(database_url, code, f"racer-{n}") is None

    assert sum(race(25, attempt)) == 5
    assert counters(database_url, code) == (5, 0)
    assert (
        count(
            database_url,
            DiscountUse,
            DiscountUse.status == "reserved",
            DiscountUse.discount_id == _id(database_url, code),
        )
        == 5
    )


def test_one_buyer_racing_his_orders_for_a_once_per_user_code(database_url: str) -> None:
    code = make_code(database_url, max_uses_per_user=1)
    me = uid("buyer")

    def attempt(n: int) -> str | None:
        return refusal(database_url, code, me)

    refusals = race(10, attempt)
    assert refusals.count(None) == 1
    assert set(refusals) == {None, "max_uses_per_user_reached"}
    assert counters(database_url, code) == (1, 0)
    assert _user_uses(database_url, code, me) == 1


def test_codes_are_unique_whatever_their_case(database_url: str) -> None:
    code = make_code(database_url)
    with pytest.raises(discount_admin.CodeTaken):
        make_code(database_url, code=code.upper())
    assert count(database_url, Discount, Discount.code_key == code.upper()) == 1


def test_the_list_derives_expired(database_url: str) -> None:
    live = make_code(database_url, valid_until=NOW + DAY)
    expired = make_code(database_url, valid_until=NOW - DAY)
    off = make_code(database_url, status="inactive")

    def listed(status: str | None) -> set[str]:
        with session_scope(database_url, read_only=True) as session:
            rows, _ = discount_admin.find(session, status, NOW, 200, None)
            return {row.code for row in rows}

    assert live in listed("active") and not {expired, off} & listed("active")
    assert expired in listed("expired") and live not in listed("expired")
    assert off in listed("inactive")
    assert {live, expired, off} <= listed(None)


def _id(url: str, code: str) -> str:
    with session_scope(url) as session:
        found = discounts.find_code(session, code)
        assert found is not None
        return found.id


def _user_uses(url: str, code: str, user: str) -> int:
    with session_scope(url) as session:
        row = session.get(DiscountUserCount, (_id(url, code), user))
        return 0 if row is None else row.uses


def test_one_order_reserving_from_many_threads_holds_one_use(database_url: str) -> None:
    code = make_code(database_url, max_uses=3)
    order = str(uuid.uuid4())
    answers = race(8, lambda n: reserve(database_url, code, "u1", order))
    assert set(answers) == {(code, D("20.00"))}
    assert counters(database_url, code) == (1, 0)
    assert count(database_url, DiscountUse, DiscountUse.order_id == order) == 1


def test_orders_swapping_codes_in_opposite_directions_do_not_deadlock(database_url: str) -> None:
    first, second = make_code(database_url), make_code(database_url)
    orders = [str(uuid.uuid4()), str(uuid.uuid4())]
    reserve(database_url, first, "u1", orders[0])
    reserve(database_url, second, "u1", orders[1])

    def swap(n: int) -> None:
        codes = (second, first) if n % 2 == 0 else (first, second)
        for round_ in range(10):
            reserve(database_url, codes[round_ % 2], "u1", orders[n % 2])

    race(2, swap)
    assert counters(database_url, first)[0] + counters(database_url, second)[0] == 2
    assert _user_uses(database_url, first, "u1") + _user_uses(database_url, second, "u1") == 2
