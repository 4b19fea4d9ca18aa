"""The production shape (docker-compose.yml, Dockerfile), checked by reading them: no Docker."""

import ast
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

from workflows.search_attributes import ALL

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CLI = ROOT / "cli.py"

APP_SERVICES = ("api", "worker")
SEARCH_ATTRIBUTE_JOB = "temporal-search-attributes"
EXPECTED_SERVICES = {"postgres", "temporal", SEARCH_ATTRIBUTE_JOB, "temporal-ui", *APP_SERVICES}


def cli_type(key: SearchAttributeKey[Any]) -> str:
    """The type name `temporal operator search-attribute create --type` takes (KEYWORD_LIST →
    KeywordList)."""
    name = SearchAttributeIndexedValueType(key.indexed_value_type).name
    return "".join(part.capitalize() for part in name.split("_"))


# What the workflows set is what compose must register: taken from the code, not a copy of it.
EXPECTED_SEARCH_ATTRIBUTES = {key.name: cli_type(key) for key in ALL}
VERSION = re.compile(r"\d+\.\d+")


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict), "docker-compose.yml is not a mapping"
    return data


def services() -> dict[str, dict[str, Any]]:
    found = compose().get("services")
    assert isinstance(found, dict) and found, "docker-compose.yml has no services"
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (str(item).partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def words(command: str | list[str] | None) -> list[str]:
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def image_is_pinned(image: str) -> bool:
    """A tag that names an exact version (`15.14-bookworm`, `1.29.1`): no `latest`, no bare `15`."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    tag = last.rsplit(":", 1)[1]
    return tag != "latest" and "$" not in tag and VERSION.search(tag) is not None


def cli_commands(source: str) -> set[str]:
    """The names typer gives the functions registered with `@app.command(...)` in cli.py."""
    names: set[str] = set()
    tree = ast.parse(source)
    functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    functions |= {node.name for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef)}

    def command_name(call: ast.Call, function: str) -> str:
        for keyword in call.keywords:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
        if call.args and isinstance(call.args[0], ast.Constant):
            return str(call.args[0].value)
        return function.replace("_", "-")

    def is_command(node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "command"
        )

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if is_command(decorator):
                    assert isinstance(decorator, ast.Call)
                    names.add(command_name(decorator, node.name))
        # app.command(...)(function)
        elif isinstance(node, ast.Call) and is_command(node.func) and node.args:
            assert isinstance(node.func, ast.Call)
            target = node.args[0]
            if isinstance(target, ast.Name) and target.id in functions:
                names.add(command_name(node.func, target.id))
    return names


def dockerfile_instructions(keyword: str) -> list[str]:
    """The arguments of every `keyword` instruction, continuation lines joined."""
    text = re.sub(r"^\s*#.*\n", "", DOCKERFILE.read_text(), flags=re.MULTILINE)
    logical = re.sub(r"\\\n", " ", text).splitlines()
    prefix = keyword.upper() + " "
    return [
        line.strip()[len(prefix) :] for line in logical if line.strip().upper().startswith(prefix)
    ]


def test_expected_services_exist() -> None:
    missing = EXPECTED_SERVICES - services().keys()
    assert not missing, f"docker-compose.yml lacks services {sorted(missing)}"


def test_every_image_is_pinned_to_an_exact_version() -> None:
    images = {name: s["image"] for name, s in services().items() if "image" in s}
    assert set(images) >= EXPECTED_SERVICES - set(APP_SERVICES)
    unpinned = {name: image for name, image in images.items() if not image_is_pinned(image)}
    assert not unpinned, f"images without an exact version tag: {unpinned}"


def test_image_pin_check_rejects_floating_tags() -> None:
    for floating in ("postgres", "postgres:latest", "postgres:15", "temporalio/ui:${TAG}"):
        assert not image_is_pinned(floating), floating
    for exact in ("postgres:15.14-bookworm", "localhost:5000/temporalio/auto-setup:1.29.1"):
        assert image_is_pinned(exact), exact


def test_built_services_reference_an_existing_dockerfile() -> None:
    built = {name: s["build"] for name, s in services().items() if "build" in s}
    assert set(built) >= set(APP_SERVICES), "api and worker must be built from this repository"
    for name, build in built.items():
        spec = {"context": build} if isinstance(build, str) else build
        context = ROOT / spec.get("context", ".")
        dockerfile = context / spec.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_dockerfile_base_image_is_pinned_and_runs_the_api_as_non_root() -> None:
    stages = dockerfile_instructions("FROM")
    assert stages, "Dockerfile has no FROM"
    aliases: set[str] = set()
    for stage in stages:
        parts = stage.split()
        image = next(part for part in parts if not part.startswith("--"))
        if image not in aliases:
            assert image_is_pinned(image), f"Dockerfile FROM {image} is not pinned"
        if len(parts) >= 3 and parts[-2].upper() == "AS":
            aliases.add(parts[-1])
    assert stages[-1].split()[0].startswith("python:3.11."), "the runtime is python 3.11 slim"
    assert "slim" in stages[-1].split()[0]
    assert any(
        re.search(r"pip install\b.*\s\.(\s|$)", run) for run in dockerfile_instructions("RUN")
    )
    users = dockerfile_instructions("USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}, "the image must not run as root"
    assert dockerfile_instructions("CMD")[-1] == '["order-engine", "api"]'


def test_order_engine_commands_name_real_cli_subcommands() -> None:
    used: dict[str, str] = {}
    for name, service in services().items():
        argv = words(service.get("command"))
        if argv[:1] == ["order-engine"]:
            assert len(argv) >= 2, f"{name}: `order-engine` without a subcommand"
            used[name] = argv[1]
    cmd = dockerfile_instructions("CMD")[-1]
    used["Dockerfile CMD"] = yaml.safe_load(cmd)[1]
    assert used == {"api": "api", "worker": "worker", "Dockerfile CMD": "api"}
    assert CLI.is_file(), f"{CLI} does not exist yet"
    unknown = {
        where: sub for where, sub in used.items() if sub not in cli_commands(CLI.read_text())
    }
    assert not unknown, f"subcommands missing from cli.py: {unknown}"


def test_cli_command_parser_reads_typer_registrations() -> None:
    source = (
        "import typer\napp = typer.Typer()\n"
        "@app.command()\ndef api() -> None: ...\n"
        '@app.command(name="worker")\ndef run_worker() -> None: ...\n'
        "def dev() -> None: ...\napp.command()(dev)\n"
        "def helper() -> None: ...\n"
    )
    assert cli_commands(source) == {"api", "worker", "dev"}


def test_long_running_services_have_healthchecks() -> None:
    for name, service in services().items():
        if name == SEARCH_ATTRIBUTE_JOB:
            continue
        check = service.get("healthcheck") or {}
        test = check.get("test")
        assert test and not check.get("disable"), f"{name} has no healthcheck"
        assert words(test)[:1] != ["NONE"], f"{name} disables its healthcheck"


def test_api_healthcheck_asks_readyz_without_curl() -> None:
    test = " ".join(words(services()["api"]["healthcheck"]["test"]))
    assert "curl" not in test
    assert "python" in test and "http://127.0.0.1:8000/readyz" in test


def test_postgres_and_temporal_share_one_server() -> None:
    every = services()
    postgres = environment(every["postgres"])
    assert postgres["POSTGRES_DB"] == "order_engine"
    assert "pg_isready" in words(every["postgres"]["healthcheck"]["test"])
    assert every["postgres"].get("volumes"), "postgres data must live on a volume"
    temporal = environment(every["temporal"])
    assert temporal["DB"] == "postgres12"
    assert temporal["POSTGRES_SEEDS"] == "postgres"
    assert temporal["POSTGRES_USER"] == postgres["POSTGRES_USER"]
    assert temporal.get("DBNAME", "temporal") != postgres["POSTGRES_DB"]
    assert depends_on(every["temporal"]) == {"postgres": "service_healthy"}
    assert environment(every["temporal-ui"])["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert "8233:8080" in [str(port) for port in every["temporal-ui"].get("ports", [])]


def test_search_attribute_job_registers_exactly_the_order_attributes() -> None:
    job = services()[SEARCH_ATTRIBUTE_JOB]
    assert job["image"].startswith("temporalio/admin-tools:")
    assert str(job.get("restart", "")).startswith("on-failure")
    assert depends_on(job) == {"temporal": "service_healthy"}
    script = " ".join(words(job.get("entrypoint")) + words(job.get("command")))
    creates = script.split("search-attribute create")
    assert len(creates) == 2, "exactly one `temporal operator search-attribute create`"
    create = re.split(r"(?<!\\)\n|;", creates[1])[0]
    pairs = re.findall(r"--name\s+(\w+)\s+--type\s+(\w+)", create)
    assert len(pairs) == len(EXPECTED_SEARCH_ATTRIBUTES), pairs
    assert dict(pairs) == EXPECTED_SEARCH_ATTRIBUTES
    assert re.search(r"--namespace\s+default\b", create)
    assert re.search(r"--address\s+temporal:7233\b", create)


def test_search_attribute_types_are_named_as_the_cli_names_them() -> None:
    assert cli_type(SearchAttributeKey.for_float("x")) == "Double"
    assert cli_type(SearchAttributeKey.for_keyword("x")) == "Keyword"
    assert cli_type(SearchAttributeKey.for_keyword_list("x")) == "KeywordList"
    assert cli_type(SearchAttributeKey.for_datetime("x")) == "Datetime"


def test_api_and_worker_reach_postgres_and_temporal() -> None:
    every = services()
    for name in APP_SERVICES:
        env = environment(every[name])
        url = env["ORDER_ENGINE_DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://"), f"{name}: {url}"
        assert url.endswith("@postgres:5432/order_engine"), f"{name}: {url}"
        assert env["ORDER_ENGINE_TEMPORAL_ADDRESS"] == "temporal:7233"
        assert re.fullmatch(
            r"\$\{ORDER_ENGINE_JWT_SECRET:\?[^}]*\}", env["ORDER_ENGINE_JWT_SECRET"]
        )
        deps = depends_on(every[name])
        assert deps.get("postgres") == "service_healthy", name
        assert deps.get(SEARCH_ATTRIBUTE_JOB) == "service_completed_successfully", name
    assert environment(every["api"])["ORDER_ENGINE_API_HOST"] == "0.0.0.0"
    assert "8000:8000" in [str(port) for port in every["api"].get("ports", [])]
