"""The generated parts of the documentation: docs/API.md from the app's OpenAPI document, and the
README's settings table and walkthrough (between `<!-- name:begin -->` and `<!-- name:end -->`).

    .venv/bin/python -m scripts.docs          # rewrite them
    .venv/bin/python -m scripts.docs --check  # exit 1 if any is stale (tests/test_docs.py)
"""

import inspect
import re
import sys
import typing
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
API_MD = ROOT / "docs" / "API.md"
WALKTHROUGH = ROOT / "scripts" / "walkthrough.sh"
REGENERATE = ".venv/bin/python -m scripts.docs"

# What each setting is for, where config.py has no comment that says it.
MEANING = {
    "database_url": "SQLAlchemy URL; production: `postgresql+psycopg://…`",
    "temporal_address": "Temporal frontend, host:port",
    "temporal_namespace": "Temporal namespace",
    "task_queue": "task queue of the workflows and activities",
    "jwt_secret": "HS256 secret of the API's tokens. `order-engine token` signs with the same "
    "setting, so by default both share this dev secret (the API warns at start); set it in "
    "production",
    "payment_gateway": "which gateway takes the money",
    "stripe_api_key": "Stripe secret key (`sk_…`)",
    "stripe_webhook_secret": "checks the signature of `POST /api/webhooks/stripe/` (`whsec_…`)",
    "smtp_url": "where notifications and invoices are emailed (`smtp://user:password@host:port`, "
    "STARTTLS when offered, or `smtps://…`); empty: in-app notifications only",
    "smtp_from": "the sender of every email (`Name <address>`)",
    "tax_rate": "tax on (subtotal - discount), 0 ≤ rate < 1",
    "platform_fee_rate": "the platform's share of each payout",
    "currency": "ISO 4217, two-decimal currencies only",
    "payment_timeout": "an unpaid order is cancelled after this",
    "bank_transfer_timeout": "a bank transfer is due this long after it is asked for",
    "ship_timeout": "a confirmed order not shipped by then is cancelled and refunded",
    "delivery_timeout": "a shipped order is marked delivered after this",
    "escrow_hold": "after delivery, how long the money waits before the seller's payout",
    "refund_review_reminder": "an unanswered refund request reminds the admins after this",
    "api_host": "where `order-engine api` listens",
    "api_port": "where `order-engine api` listens",
    "webhook_allow_loopback": "allow `http://` webhook endpoints on loopback (tests, dev)",
    "max_order_quantity": "the largest `quantity` of one order",
    "payment_rate_window": "the window of `ORDER_ENGINE_PAYMENT_RATE_LIMIT`",
    "order_rate_window": "the window of `ORDER_ENGINE_ORDER_RATE_LIMIT`",
    "invoice_send_rate_window": "the window of `ORDER_ENGINE_INVOICE_SEND_RATE_LIMIT`",
    "sandbox_delay_before_charge": "test only: the sandbox gateway waits this long before it "
    "books a charge (to kill a worker at that moment)",
    "sandbox_delay_after_charge": "test only: ... and after it booked it, before it answers",
    "sandbox_lost_answers": "test only: the sandbox books the first N charges of a key but "
    "answers as if the connection dropped (an unknown outcome)",
    "sandbox_lost_before_booking": "test only: the sandbox loses the first N calls of a key "
    "before booking anything",
    "sandbox_pending_lookups": "test only: the sandbox answers `pending` to the first N lookups "
    "of a key, as a gateway still deciding does",
}


def _comments(cls: type) -> dict[str, str]:
    """The comment lines right above each field in the class's source."""
    found: dict[str, str] = {}
    pending: list[str] = []
    for line in inspect.getsource(cls).splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("# ").strip())
            continue
        field = re.match(r"(\w+)\s*:", stripped)
        if field and pending:
            text = " ".join(pending).rstrip(".")
            found[field[1]] = text[:1].lower() + text[1:]
        pending = []
    return found


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _default(value: object) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, timedelta):
        return f"`{_duration(value)}`"
    if value == "":
        return "(empty)"
    if isinstance(value, str | int | Decimal):
        return f"`{value}`"
    return f"`{value!r}`"


def settings_table() -> str:
    comments = _comments(Settings)
    rows = ["| setting | default | what |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        meaning = MEANING.get(name) or comments.get(name, "")
        if typing.get_origin(field.annotation) is typing.Literal:
            choices = typing.get_args(field.annotation)
            meaning += " (" + " \\| ".join(f"`{choice}`" for choice in choices) + ")"
        default = _default(field.default).replace("|", "\\|")
        rows.append(f"| `ORDER_ENGINE_{name.upper()}` | {default} | {meaning} |")
    return "\n".join(rows)


def walkthrough_block() -> str:
    return "```sh\n" + WALKTHROUGH.read_text() + "```"


# API reference


def _kind(schema: dict[str, Any]) -> str:
    """A short name of a JSON schema's type."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[1]
    if "anyOf" in schema:
        return " or ".join(_kind(part) for part in schema["anyOf"])
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"list of {_kind(schema.get('items', {}))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return kind


_LIMITS = {
    "minLength": "length ≥ {}",
    "maxLength": "length ≤ {}",
    "minimum": "≥ {}",
    "maximum": "≤ {}",
    "exclusiveMinimum": "> {}",
    "exclusiveMaximum": "< {}",
    "pattern": "matches `{}`",
    "maxItems": "at most {} items",
    "minItems": "at least {} items",
}


def _number(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _limits(schema: dict[str, Any]) -> list[str]:
    notes = [text.format(_number(schema[key])) for key, text in _LIMITS.items() if key in schema]
    for part in schema.get("anyOf", []):
        notes += _limits(part)
    return notes


def _fields(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| field | type | required | notes |", "| --- | --- | --- | --- |"]
    for name, prop in schema.get("properties", {}).items():
        notes = _limits(prop)
        if "default" in prop and prop["default"] is not None:
            notes.append(f"default `{prop['default']}`")
        if prop.get("description"):
            notes.append(str(prop["description"]).replace("\n", " "))
        text = "; ".join(notes).replace("|", "\\|")
        yes = "yes" if name in required else ""
        rows.append(f"| `{name}` | {_kind(prop)} | {yes} | {text} |")
    return rows


def _operation(method: str, path: str, op: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    lines = [f"### `{method.upper()} {path}`", "", f"{op.get('summary', '')}."]
    if op.get("description"):
        lines += ["", str(op["description"]).strip()]
    auth = "bearer token (`Authorization: Bearer <JWT>`)" if op.get("security") else "none"
    lines += ["", f"- auth: {auth}"]
    for param in op.get("parameters", []):
        where, schema = param["in"], param.get("schema", {})
        need = "required" if param.get("required") else "optional"
        notes = _limits(schema)
        if schema.get("default") is not None:
            notes.append(f"default `{schema['default']}`")
        extra = f"; {'; '.join(notes)}" if notes else ""
        lines.append(f"- {where} `{param['name']}`: {_kind(schema)}, {need}{extra}")
    lines.append("- answers:")
    for status, answer in sorted(op.get("responses", {}).items()):
        content: dict[str, Any] = answer.get("content", {})
        schema = next(iter(content.values()))["schema"] if content else None
        shape = f" → {_kind(schema)}" if schema else ""
        lines.append(f"  - `{status}` {answer.get('description', '')}{shape}")
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if body:
        name = _kind(body["schema"])
        lines += ["", f"Body (JSON, `{name}`; unknown fields are refused):", ""]
        lines += _fields(schemas[name])
    return [*lines, ""]


def api_reference(openapi: dict[str, Any]) -> str:
    lines = [
        f"# {openapi['info']['title']} API reference",
        "",
        f"<!-- generated from the app's OpenAPI document by `{REGENERATE}`: do not edit -->",
        "",
        str(openapi["info"].get("description", "")),
        "The running API serves the same document at `/openapi.json` and browses it at `/docs`.",
        'Errors have one shape, `Error`: `{"error": {"code", "message", "details"}}`.',
        "",
        "## Operations",
        "",
    ]
    schemas = openapi.get("components", {}).get("schemas", {})
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            lines += _operation(method, path, op, schemas)
    lines += ["## Models", ""]
    for name, schema in sorted(schemas.items()):
        lines += [f"### {name}", ""]
        if schema.get("properties"):
            lines += [*_fields(schema), ""]
        else:
            lines += [_kind(schema), ""]
    return "\n".join(lines).rstrip() + "\n"


def current_openapi() -> dict[str, Any]:
    from api.app import create_app

    return create_app(Settings()).openapi()


# The README's blocks


def _between(text: str, name: str) -> re.Match[str]:
    found = re.search(rf"(<!-- {name}:begin -->\n)(.*?)(<!-- {name}:end -->)", text, re.S)
    if found is None:
        raise SystemExit(f"README.md has no <!-- {name}:begin --> ... <!-- {name}:end --> block")
    return found


BLOCKS: dict[str, Callable[[], str]] = {
    "settings": settings_table,
    "walkthrough": walkthrough_block,
}


def readme(text: str) -> str:
    """The README with its generated blocks made current."""
    for name, make in BLOCKS.items():
        found = _between(text, name)
        text = text[: found.start(2)] + make() + "\n" + text[found.end(2) :]
    return text


def stale() -> list[str]:
    """The generated files that differ from what the code makes now."""
    wanted = {README: readme(README.read_text()), API_MD: api_reference(current_openapi())}
    return [
        str(path.relative_to(ROOT))
        for path, text in wanted.items()
        if not path.exists() or path.read_text() != text
    ]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        outdated = stale()
        if outdated:
            print(f"stale: {', '.join(outdated)}; regenerate with `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    README.write_text(readme(README.read_text()))
    API_MD.write_text(api_reference(current_openapi()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
