"""`order-engine token` signs with the configured secret; `--email` sets the claim mail goes to."""

import jwt
import pytest
from typer.testing import CliRunner

from api.auth import AUDIENCE
from cli import app
from config import get_settings


@pytest.mark.parametrize("email", [None, "ada@example.com"])
def test_the_token_carries_the_email_claim_when_asked(email: str | None) -> None:
    extra = ["--email", email] if email else []
    result = CliRunner().invoke(app, ["token", "--sub", "ada", "--roles", "buyer", *extra])
    assert result.exit_code == 0, result.output
    claims = jwt.decode(
        result.output.strip(), get_settings().jwt_secret, algorithms=["HS256"], audience=AUDIENCE
    )
    assert (claims["sub"], claims["roles"], claims.get("email")) == ("ada", ["buyer"], email)
