#!/usr/bin/env bash
# The README's "Using it", run as written against a running stack (`make run` in another shell):
#   bash scripts/walkthrough.sh
# Reads API (default http://127.0.0.1:8000) and ORDER_ENGINE_JWT_SECRET (default: the dev
# secret that `make run` uses too). Every request must answer the status written beside it.
set -euo pipefail
cd "$(dirname "$0")/.."  # the repository, for .venv/bin/order-engine
API=${API:-http://127.0.0.1:8000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# call STATUS METHOD PATH TOKEN [BODY] [curl options]: prints the answer's body, stops on another status
call() {
  local want=$1 method=$2 path=$3 token=$4 body=${5:-} got
  local args=(-sS -X "$method" "$API$path" -H "Authorization: Bearer $token")
  args+=(-o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "${@:6}")
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' -d "$body"); fi
  got=$(curl "${args[@]}")
  echo "$got $method $path" >&2
  if [ "$got" != "$want" ]; then echo "expected $want: $(cat "$WORK/body")" >&2; exit 1; fi
  cat "$WORK/body"
}
# field NAME: one field of the JSON on stdin (a.b for nested ones)
field() {
  python3 -c 'import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."): value = value[key]
print(value)' "$1"
}
# expect JSON NAME VALUE: stops unless the field has that value
expect() {
  local got; got=$(field "$2" <<<"$1")
  if [ "$got" != "$3" ]; then echo "expected $2 = $3, got $got" >&2; exit 1; fi
}
# eventually PATH TOKEN NAME VALUE: polls a GET (30 s at most) until the field has that value
eventually() {
  for _ in $(seq 150); do
    [ "$(call 200 GET "$1" "$2" 2>/dev/null | field "$3")" = "$4" ] && return 0
    sleep 0.2
  done
  echo "$1: $3 never became $4" >&2; exit 1
}

# Tokens are HS256 JWTs signed with ORDER_ENGINE_JWT_SECRET; the CLI makes them.
# Fresh users for each run, so that a second run meets no rate limit of the first.
RUN=$(python3 -c 'import secrets; print(secrets.token_hex(3))')
SELLER=$(.venv/bin/order-engine token --sub "seller-$RUN" --roles seller)
BUYER=$(.venv/bin/order-engine token --sub "buyer-$RUN" --roles buyer)
ADMIN=$(.venv/bin/order-engine token --sub "ops-$RUN" --roles admin)

# The seller lists a part, ten in stock (money is always a decimal string).
LISTING=$(call 201 POST /api/listings/ "$SELLER" '{"listing_type":"part",
  "title":"MX-5 NA brake pads","unit_price":"89.00","shipping_fee":"9.50","quantity_available":10}')
LISTING_ID=$(field id <<<"$LISTING")
ADDRESS='{"name":"Ada","line1":"1 Main St","city":"Springfield","postal_code":"12345","country":"US"}'

# A new order: 201, pending, stock reserved, its workflow (order-<id>) running.
new_order() {
  call 201 POST /api/orders/ "$BUYER" \
    "{\"listing_id\":\"$LISTING_ID\",\"shipping_address\":$ADDRESS}" | field id
}
card() { echo "{\"order_id\":\"$1\",\"payment_method\":\"credit_card\",\"card_token\":\"$2\"}"; }

# 1. A whole purchase. The card is declined (the answer says so: failed, card_declined) ...
ORDER=$(new_order)
PAYMENT=$(call 201 POST /api/payments/ "$BUYER" "$(card "$ORDER" tok_chargeDeclined)")
expect "$PAYMENT" error_code card_declined
PAYMENT_ID=$(field id <<<"$PAYMENT")
# ... and retried on the same payment with another card: completed, the order confirmed.
PAID=$(call 200 POST "/api/payments/$PAYMENT_ID/retry/" "$BUYER" '{"card_token":"tok_mastercard"}')
expect "$PAID" status completed
# The seller ships, the buyer confirms delivery.
call 200 POST "/api/orders/$ORDER/ship/" "$SELLER" '{"tracking_number":"1Z999","carrier":"UPS"}' >/dev/null
call 200 POST "/api/orders/$ORDER/deliver/" "$BUYER" >/dev/null
# The order with its timeline, its invoice (paid), the seller's notifications.
DETAIL=$(call 200 GET "/api/orders/$ORDER/" "$BUYER")
expect "$DETAIL" status delivered
INVOICE=$(call 200 GET "/api/invoices/$(field invoice_id <<<"$DETAIL")/" "$BUYER")
expect "$INVOICE" status paid
call 200 GET /api/notifications/ "$SELLER" >/dev/null
echo "delivered: http://localhost:8233/namespaces/default/workflows/$(field workflow_id <<<"$DETAIL")"

# 2. Paid, then cancelled by the buyer (until shipped): refunded in full, the stock back.
# (202 with cancel_requested on the timeline when a charge is still in flight.)
ORDER=$(new_order)
PAID=$(call 201 POST /api/payments/ "$BUYER" "$(card "$ORDER" tok_visa)")
expect "$PAID" status completed
CANCELLED=$(call 200 POST "/api/orders/$ORDER/cancel/" "$BUYER" '{"reason":"changed my mind"}')
expect "$CANCELLED" payment.status refunded

# 3. A bank transfer: the payment waits (pending) with the wiring instructions, the invoice is
# sent with the same due date; an admin records that the money arrived.
ORDER=$(new_order)
WIRE=$(call 201 POST /api/payments/ "$BUYER" "{\"order_id\":\"$ORDER\",\"payment_method\":\"bank_transfer\"}")
expect "$WIRE" status pending
echo "wire $(field instructions.amount <<<"$WIRE") to $(field instructions.account <<<"$WIRE")"
CONFIRMED=$(call 200 POST "/api/orders/$ORDER/confirm/" "$ADMIN")
expect "$CONFIRMED" status confirmed

# 4. Any POST may carry an Idempotency-Key: a repeat within 24 h gets the first answer again
# (header Idempotent-Replayed: true) and pays nothing twice; the key with another body is a 409.
ORDER=$(new_order)
KEY=$(python3 -c 'import uuid; print(uuid.uuid4())')
FIRST=$(call 201 POST /api/payments/ "$BUYER" "$(card "$ORDER" tok_visa)" -H "Idempotency-Key: $KEY")
AGAIN=$(call 201 POST /api/payments/ "$BUYER" "$(card "$ORDER" tok_visa)" -H "Idempotency-Key: $KEY")
grep -qi '^idempotent-replayed: true' "$WORK/headers" || { echo "not a replay" >&2; exit 1; }
[ "$FIRST" = "$AGAIN" ] || { echo "the repeat answered otherwise" >&2; exit 1; }
call 409 POST /api/payments/ "$BUYER" "$(card "$ORDER" tok_mastercard)" -H "Idempotency-Key: $KEY" >/dev/null

# 5. Wallets. A top-up charges a card and credits the wallet (202; its workflow topup-<id>) ...
call 202 POST /api/wallets/my_wallet/top_up/ "$BUYER" '{"amount":"200.00","card_token":"tok_visa"}' >/dev/null
eventually /api/wallets/my_wallet/ "$BUYER" balance 200.00
# ... pays an order (98.50 from the wallet into escrow) ...
ORDER=$(new_order)
PAID=$(call 201 POST /api/payments/ "$BUYER" "{\"order_id\":\"$ORDER\",\"payment_method\":\"wallet\"}")
expect "$PAID" status completed
expect "$(call 200 GET /api/wallets/my_wallet/ "$BUYER")" balance 101.50
# ... and a withdrawal to the sandbox's refusing account fails (payout-<id>): the money comes back.
PAYOUT=$(call 202 POST /api/wallets/my_wallet/withdraw/ "$BUYER" \
  '{"amount":"50.00","destination":{"account_number":"000111111116"}}')
eventually "/api/payouts/$(field id <<<"$PAYOUT")/" "$BUYER" status failed
expect "$(call 200 GET /api/wallets/my_wallet/ "$BUYER")" balance 101.50
# The ledger behind every balance adds up (admins).
expect "$(call 200 GET /api/admin/ledger/check/ "$ADMIN")" balanced True
echo "walkthrough done"
