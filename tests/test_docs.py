"""The generated documentation is current: docs/API.md (from /openapi.json), the README's settings
table (from config.Settings) and its walkthrough (scripts/walkthrough.sh, verbatim)."""

from scripts.docs import README, REGENERATE, WALKTHROUGH, stale


def test_generated_docs_are_current() -> None:
    outdated = stale()
    assert outdated == [], f"{', '.join(outdated)} stale: regenerate with `{REGENERATE}`"


def test_the_readme_shows_the_walkthrough_script_verbatim() -> None:
    assert f"```sh\n{WALKTHROUGH.read_text()}```\n" in README.read_text()
