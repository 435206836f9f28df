"""LocalEngine on the real packaged SmolLM2-135M: no mocks.

One engine per module (loading takes a few seconds); tests that need a cold
prefix cache clear it. Adapters are made here with peft on the real base.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import jsonschema  # noqa: E402
import torch  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402

from hybridtools.llm.adapters import AdapterNotFoundError  # noqa: E402
from hybridtools.llm.copy_hints import CopyHints, NumberRule  # noqa: E402
from hybridtools.llm.engine import EngineOptions, GenerationInputError, LocalEngine  # noqa: E402
from hybridtools.llm.grammar import GrammarCache, required_still_to_come  # noqa: E402
from hybridtools.llm.json_position import JsonPosition  # noqa: E402
from hybridtools.llm.packaged import (  # noqa: E402
    DEFAULT_BASE_MODEL,
    default_model_cache_dir,
    ensure_model_dir,
    load_model,
)
from hybridtools.llm.streaming import TextAssembler  # noqa: E402

pytestmark = pytest.mark.slow

SYSTEM = (
    "You call IDE tools. Reply with exactly one JSON object "
    '{"name": ..., "arguments": {...}}. Tools: read_file(path) reads a file; '
    "run_command(command, is_background) runs a shell command."
)


def _tool(name: str, parameters: Mapping[str, object]) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {"name": {"const": name}, "arguments": parameters},
        "required": ["name", "arguments"],
    }


# The shape the inference service sends; small maxLength keeps compiling fast.
TWO_TOOLS = {
    "anyOf": [
        _tool(
            "read_file",
            {
                "type": "object",
                "properties": {"path": {"type": "string", "maxLength": 24}},
                "required": ["path"],
            },
        ),
        _tool(
            "run_command",
            {
                "type": "object",
                "properties": {
                    "command": {"type": "string", "maxLength": 24},
                    "is_background": {"type": "boolean"},
                },
                "required": ["command", "is_background"],
            },
        ),
    ]
}


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return ensure_model_dir(DEFAULT_BASE_MODEL, default_model_cache_dir())


@pytest.fixture(scope="module")
def engine(model_dir: Path) -> LocalEngine:
    return LocalEngine(model_dir, EngineOptions(threads=1))


def _prompt(engine: LocalEngine, request: str) -> list[int]:
    return engine.encode_chat(
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": request}]
    )


def test_greedy_generation_is_deterministic(engine: LocalEngine) -> None:
    prompt = _prompt(engine, "Show me the file src/main.rs")
    engine.clear_prefix_cache()
    first = engine.generate(prompt, max_new_tokens=16)
    second = engine.generate(prompt, max_new_tokens=16)
    assert first.token_ids == second.token_ids
    assert first.text == second.text
    assert first.finish_reason in ("stop", "length")
    assert first.completion_tokens == len(first.token_ids) <= 16
    assert first.prompt_tokens == len(prompt)
    assert first.prefill_ms > 0 and first.decode_tokens_per_second > 0


def test_prefix_cache_reuse_matches_a_cold_run(engine: LocalEngine) -> None:
    warm_up = _prompt(engine, "Run the unit tests with pytest")
    target = _prompt(engine, "Open the README file for me")

    engine.clear_prefix_cache()
    cold = engine.generate(target, max_new_tokens=16)
    assert cold.cached_prompt_tokens == 0

    engine.clear_prefix_cache()
    engine.generate(warm_up, max_new_tokens=4)
    warm = engine.generate(target, max_new_tokens=16)
    # The system message is shared; the request differs.
    assert 0 < warm.cached_prompt_tokens < len(target)
    assert warm.token_ids == cold.token_ids


def test_constrained_output_is_a_valid_call(engine: LocalEngine) -> None:
    schema = json.dumps(TWO_TOOLS)
    prompt = _prompt(engine, "Run the command cargo build in the background")
    result = engine.generate(prompt, max_new_tokens=64, json_schema=schema)
    call = json.loads(result.text)
    jsonschema.validate(call, TWO_TOOLS)
    assert result.finish_reason == "grammar"
    # Compact output, and the structural parts came by jump-forward.
    assert " " not in result.text.split('"')[0]
    assert result.text.startswith('{"name":"')
    assert result.forced_tokens > 0

    plain = LocalEngine(
        engine.model_dir,
        EngineOptions(threads=1, jump_forward=False, prefix_cache=False),
        model=load_model(engine.model_dir),
        tokenizer=engine.tokenizer,
    )
    without_jumps = plain.generate(prompt, max_new_tokens=64, json_schema=schema)
    jsonschema.validate(json.loads(without_jumps.text), TWO_TOOLS)
    assert without_jumps.forced_tokens == 0


LONG_PARAGRAPH_EDIT = (
    "In notes.md replace this paragraph: 'Compilers translate source code into machine "
    "code through lexing, parsing, semantic analysis, optimisation and code generation, "
    "and each phase has a long history' with a shorter one"
)


def _required_strings(*keys: str) -> dict[str, object]:
    return {
        "type": "object",
        "properties": {key: {"type": "string"} for key in keys},
        "required": list(keys),
    }


@pytest.mark.parametrize(
    ("request_text", "parameters", "budget"),
    [
        # A long string value: without wrap-up the model writes on to the limit.
        (
            "Write a long essay about the history of compilers into notes.md",
            {
                "type": "object",
                "properties": {"content": {"type": "string"}},
                "required": ["content"],
            },
            24,
        ),
        # An open-ended array of enum values, which a small model repeats.
        (
            "Show the staged, unstaged and conflicting files, every one of them, over and over",
            {
                "type": "object",
                "properties": {
                    "states": {
                        "type": "array",
                        "items": {"type": "string", "enum": ["staged", "unstaged", "conflict"]},
                    }
                },
                "required": ["states"],
            },
            24,
        ),
        # A long first value while a required second one is still to come
        # (seen: an edit's old_string ran on and new_string was cut open; the
        # closing path is then a dozen tokens, not the half-dozen of one quote
        # and two brackets).
        (
            LONG_PARAGRAPH_EDIT,
            _required_strings("old_string", "new_string"),
            40,
        ),
        # Several required keys still to come: each needs its own closing
        # tokens (seen: an edit_notebook call whose cell_language ran on with
        # three keys to go, cut open at the limit).
        (
            LONG_PARAGRAPH_EDIT,
            _required_strings("old_string", "new_string", "cell_language", "explanation"),
            40,
        ),
    ],
)
def test_a_call_still_closes_when_the_token_budget_runs_out(
    engine: LocalEngine, request_text: str, parameters: dict[str, object], budget: int
) -> None:
    schema = _tool("note", parameters)
    prompt = _prompt(engine, request_text)
    result = engine.generate(prompt, max_new_tokens=budget, json_schema=json.dumps(schema))
    jsonschema.validate(json.loads(result.text), schema)
    assert result.completion_tokens <= budget


def test_the_required_keys_still_to_come_are_counted_down_the_open_objects() -> None:
    schema = _tool(
        "edit",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "range": {
                    "type": "object",
                    "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
                    "required": ["start", "end"],
                },
                "text": {"type": "string"},
            },
            "required": ["path", "range", "text"],
        },
    )
    position = JsonPosition()
    assert required_still_to_come(schema, position) == []  # nothing open yet
    position.feed(b'{"name":"edit","arguments":{"path":"a.py","range":{"start":1')
    # The call has its name and arguments open; arguments lack text (range is
    # being written); range lacks end.
    assert required_still_to_come(schema, position) == ["text", "end"]
    position.feed(b',"end":2},"text":"x')
    assert required_still_to_come(schema, position) == []


def test_copy_bias_keeps_argument_values_spans_of_the_request(engine: LocalEngine) -> None:
    """With a bonus no logit gap outweighs, every argument string is copied from the request."""
    request = "Please run the command `cargo fmt --check` in the background"
    copying = LocalEngine(engine.model_dir, EngineOptions(threads=1, copy_bonus=20.0))
    schema = json.dumps(TWO_TOOLS["anyOf"][1])
    result = copying.generate(
        _prompt(copying, request), max_new_tokens=48, json_schema=schema, copy_source=request
    )
    call = json.loads(result.text)
    assert call["name"] == "run_command"  # names and keys come from the grammar, unbiased
    assert call["arguments"]["command"] and call["arguments"]["command"] in request
    # Without a source (or with the bonus off) nothing changes: the plain engine's answer.
    plain = engine.generate(_prompt(engine, request), max_new_tokens=48, json_schema=schema)
    unbiased = copying.generate(_prompt(copying, request), max_new_tokens=48, json_schema=schema)
    assert unbiased.token_ids == plain.token_ids


def test_copy_literals_give_what_the_request_cannot(engine: LocalEngine) -> None:
    """A boolean the examples agree on is written as they write it, whichever it is."""
    request = "Please run the command `cargo fmt --check` in the background"
    copying = LocalEngine(engine.model_dir, EngineOptions(threads=1, copy_bonus=20.0))
    schema = json.dumps(TWO_TOOLS["anyOf"][1])
    for literal in ("true", "false"):
        result = copying.generate(
            _prompt(copying, request),
            max_new_tokens=48,
            json_schema=schema,
            copy_source=request,
            copy_hints=CopyHints(literals={"is_background": literal}),
        )
        arguments = json.loads(result.text)["arguments"]
        assert arguments["is_background"] is (literal == "true")
        assert arguments["command"] in request  # the request's spans as before


def test_a_held_argument_is_a_span_of_the_request_at_the_default_bonus(
    engine: LocalEngine,
) -> None:
    """A held argument (`CopyHints.exact`) leaves only copies, where a bonus only favours
    them (the real tokenizer)."""
    request = "Exec celery -A app worker --loglevel=info, then tell me what it printed."
    schema = json.dumps(TWO_TOOLS["anyOf"][1])
    result = engine.generate(
        _prompt(engine, request),
        max_new_tokens=48,
        json_schema=schema,
        copy_source=request,
        copy_hints=CopyHints(exact=("command",)),
    )
    command = json.loads(result.text)["arguments"]["command"]
    assert command and command in request
    start = request.index(command)
    assert start == 0 or request[start - 1] in " `", command  # begun where a word does


def test_a_line_range_is_written_whole_from_the_requests_numbers(engine: LocalEngine) -> None:
    """Arguments shown together come together (an `anyOf` inside the tool's branch, as
    the inference service's `call_schema` builds it) and integers held to the rules'
    numbers (`CopyHints.numbers`), on the real tokenizer."""
    request = "Show lines 333 to 353 of src/quiz.cpp"
    lines = {"path": {"type": "string"}}
    grouped = {"start_line": {"type": "integer"}, "end_line": {"type": "integer"}}
    schema = {
        "type": "object",
        "properties": {
            "name": {"const": "read_file"},
            "arguments": {
                "anyOf": [
                    {"type": "object", "properties": lines, "required": ["path"]},
                    {
                        "type": "object",
                        "properties": {**lines, **grouped},
                        "required": ["path", "start_line", "end_line"],
                    },
                ]
            },
        },
        "required": ["name", "arguments"],
    }
    result = engine.generate(
        _prompt(engine, request),
        max_new_tokens=48,
        json_schema=json.dumps(schema),
        copy_source=request,
        copy_hints=CopyHints(
            exact=("path",),
            numbers={"start_line": (NumberRule("copy", 0),), "end_line": (NumberRule("copy", 1),)},
        ),
    )
    arguments = json.loads(result.text)["arguments"]
    assert arguments["path"] in request
    assert set(arguments) in ({"path"}, {"path", "start_line", "end_line"})
    # Greedy, the base model writes the range (1 and 1 unheld) and the rules give its numbers.
    assert (arguments["start_line"], arguments["end_line"]) == (333, 353)


def test_compiled_grammars_are_kept_on_disk(engine: LocalEngine, tmp_path: Path) -> None:
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"path": {"type": "string", "maxLength": 8}},
            "required": ["path"],
        }
    )

    def new_cache() -> GrammarCache:
        return GrammarCache(
            engine.tokenizer, engine.vocab_size, engine.stop_token_ids, disk_dir=tmp_path
        )

    first = new_cache()
    first.compiled_branches(schema)
    assert (first.compiles, first.disk_hits) == (1, 0)
    assert len(list(tmp_path.glob("*.xgrammar.json.z"))) == 1

    restarted = new_cache()
    constraint = restarted.new_constraint(schema)
    assert (restarted.compiles, restarted.disk_hits) == (0, 1)
    for token_id in engine.encode('{"path":"a.py"}'):
        assert constraint.accept(token_id)
    assert constraint.is_finished()


def test_special_tokens_are_never_allowed_inside_a_call(engine: LocalEngine) -> None:
    # xgrammar sees no special tokens in the GGUF-converted tokenizer, so
    # "<|im_start|>" counted as string text and the model wrote chat turns
    # into argument values; the constraint forbids them itself.
    schema = json.dumps(
        {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
    )
    grammars = GrammarCache(engine.tokenizer, engine.vocab_size, engine.stop_token_ids)
    im_start = engine.tokenizer.convert_tokens_to_ids("<|im_start|>")
    assert im_start in grammars.special_token_ids
    assert not set(grammars.special_token_ids) & set(engine.stop_token_ids)
    constraint = grammars.new_constraint(schema)
    for token_id in engine.encode('{"path":"src/'):
        assert constraint.accept(token_id)
    logits = torch.zeros(1, engine.vocab_size)
    constraint.mask_logits(logits)
    assert logits[0, im_start] == float("-inf")
    assert torch.isfinite(logits[0, engine.encode("main")[0]])


def test_a_runaway_number_is_ended(engine: LocalEngine) -> None:
    # The model had written `"maxResults":` and 240 tokens of digits.
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"limit": {"type": "integer"}, "path": {"type": "string"}},
            "required": ["limit", "path"],
        }
    )
    grammars = GrammarCache(engine.tokenizer, engine.vocab_size, engine.stop_token_ids)
    comma, digit = engine.encode(",")[0], engine.encode("9")[0]

    def logits_after(text: str) -> torch.Tensor:
        constraint = grammars.new_constraint(schema)
        for token_id in engine.encode(text):
            assert constraint.accept(token_id)
        logits = torch.zeros(1, engine.vocab_size)
        constraint.mask_logits(logits)
        return logits[0]

    short = logits_after('{"limit":12')
    assert torch.isfinite(short[digit]) and torch.isfinite(short[comma])
    long = logits_after('{"limit":' + "9" * 20)
    assert long[digit] == float("-inf") and torch.isfinite(long[comma])


def test_each_tool_compiles_once_across_combinations(engine: LocalEngine) -> None:
    def tool(name: str) -> dict[str, object]:
        parameters = {
            "type": "object",
            "properties": {"target": {"type": "string", "maxLength": 6}},
            "required": ["target"],
        }
        return _tool(name, parameters)

    grammars = GrammarCache(engine.tokenizer, engine.vocab_size, engine.stop_token_ids)
    grammars.compiled_branches(json.dumps({"anyOf": [tool("open_tab"), tool("close_tab")]}))
    assert grammars.compiles == 2
    grammars.compiled_branches(json.dumps({"anyOf": [tool("close_tab"), tool("pin_tab")]}))
    grammars.compiled_branches(json.dumps(tool("pin_tab")))  # a precompiled single tool
    assert (grammars.compiles, grammars.hits) == (3, 2)


def test_a_bad_schema_is_refused(engine: LocalEngine) -> None:
    with pytest.raises(ValueError, match="json_schema"):
        engine.generate([1, 2, 3], max_new_tokens=4, json_schema="{not json")


def test_streamed_text_joins_to_the_final_text(engine: LocalEngine) -> None:
    prompt = _prompt(engine, "Explain in one sentence what a linter does.")
    chunks: list[str] = []
    result = engine.generate(prompt, max_new_tokens=24, on_text=chunks.append)
    assert len(chunks) > 1
    assert "".join(chunks) == result.text

    constrained: list[str] = []
    call = engine.generate(
        prompt, max_new_tokens=48, json_schema=json.dumps(TWO_TOOLS), on_text=constrained.append
    )
    assert "".join(constrained) == call.text


def test_stop_strings_end_and_cut_the_text(engine: LocalEngine) -> None:
    prompt = _prompt(engine, "Explain in one sentence what a linter does.")
    free = engine.generate(prompt, max_new_tokens=24)
    words = free.text.split()
    assert len(words) > 3
    stop = " " + words[2]
    chunks: list[str] = []
    stopped = engine.generate(prompt, max_new_tokens=24, stop_strings=[stop], on_text=chunks.append)
    assert stopped.finish_reason == "stop"
    assert stop not in stopped.text
    assert free.text.startswith(stopped.text)
    assert "".join(chunks) == stopped.text


def test_multibyte_text_streams_whole_characters(engine: LocalEngine) -> None:
    # Sampling at a high temperature reaches byte-level tokens that split
    # characters; every streamed chunk must still be whole text.
    prompt = _prompt(engine, "Write a line of emoji and accented words: 🚀 café naïve 日本")
    chunks: list[str] = []
    result = engine.generate(
        prompt, max_new_tokens=40, temperature=1.5, seed=7, on_text=chunks.append
    )
    assert "".join(chunks) == result.text
    assert all("\ufffd" not in chunk for chunk in chunks[:-1])


def test_split_characters_are_released_whole(engine: LocalEngine) -> None:
    text = "Deploy 🚀 to café 日本 now"
    token_ids = engine.encode(text)
    assert len(token_ids) > len(text.split())  # some characters span several tokens
    chunks: list[str] = []
    assembler = TextAssembler(engine.tokenizer, on_text=chunks.append)
    for token_id in token_ids:
        assembler.add([token_id])
    assert assembler.finish() == text
    assert "".join(chunks) == text
    assert all("\ufffd" not in chunk for chunk in chunks)


def test_sampling_follows_the_seed(engine: LocalEngine) -> None:
    prompt = _prompt(engine, "Name a tool that formats code.")
    engine.clear_prefix_cache()
    first = engine.generate(prompt, max_new_tokens=12, temperature=0.9, top_p=0.9, seed=3)
    # The repeated prompt comes whole from the prefix cache, logits included.
    again = engine.generate(prompt, max_new_tokens=12, temperature=0.9, top_p=0.9, seed=3)
    assert again.cached_prompt_tokens == len(prompt)
    assert first.token_ids == again.token_ids
    engine.clear_prefix_cache()
    cold = engine.generate(prompt, max_new_tokens=12, temperature=0.9, top_p=0.9, seed=3)
    assert cold.token_ids == first.token_ids
    other = engine.generate(prompt, max_new_tokens=12, temperature=0.9, top_p=0.9, seed=4)
    assert other.token_ids != first.token_ids


def test_invalid_requests_are_refused(engine: LocalEngine) -> None:
    with pytest.raises(GenerationInputError):
        engine.generate([], max_new_tokens=4)
    with pytest.raises(GenerationInputError):
        engine.generate([1], max_new_tokens=0)
    with pytest.raises(GenerationInputError):
        engine.generate([engine.vocab_size], max_new_tokens=4)
    with pytest.raises(GenerationInputError):
        engine.generate([1], max_new_tokens=engine.options.max_context_tokens)


@pytest.fixture(scope="module")
def adapter_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA on the real base with random (non-zero) B matrices, so it changes outputs."""
    torch.manual_seed(0)
    config = LoraConfig(
        r=8,
        lora_alpha=32,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
        init_lora_weights=False,
        task_type="CAUSAL_LM",
    )
    peft_model = get_peft_model(load_model(model_dir), config)
    path = tmp_path_factory.mktemp("adapters") / "noisy"
    peft_model.save_pretrained(str(path))
    return path


def test_adapter_loads_changes_output_switches_back_and_unloads(
    engine: LocalEngine, adapter_dir: Path
) -> None:
    prompt = _prompt(engine, "List the files in the src directory")
    base = engine.generate(prompt, max_new_tokens=12)

    engine.load_adapter("noisy", adapter_dir)
    assert engine.adapters == ["noisy"]
    tuned = engine.generate(prompt, max_new_tokens=12, adapter="noisy")
    assert tuned.token_ids != base.token_ids
    assert tuned.adapter == "noisy"
    # Same adapter again: served from its own prefix cache, same answer.
    assert engine.generate(prompt, max_new_tokens=12, adapter="noisy").token_ids == tuned.token_ids

    # adapter=None is the base model while the adapter stays loaded.
    assert engine.generate(prompt, max_new_tokens=12).token_ids == base.token_ids
    assert engine.generate(prompt, max_new_tokens=12, adapter="noisy").token_ids == tuned.token_ids

    engine.unload_adapter("noisy")
    assert engine.adapters == []
    with pytest.raises(AdapterNotFoundError):
        engine.generate(prompt, max_new_tokens=4, adapter="noisy")
    with pytest.raises(AdapterNotFoundError):
        engine.unload_adapter("noisy")
    assert engine.generate(prompt, max_new_tokens=12).token_ids == base.token_ids
