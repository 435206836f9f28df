"""Which tools a prompt offers: ranking by relevance and the dominant-tool rule."""

from __future__ import annotations

import json

import xgrammar as xgr
from xgrammar.testing import _is_grammar_accept_string

from hybridtools.ecosystems.catalog import ToolSpec
from inference_svc.prompt_builder import (
    PASTED_CODE,
    arguments_given_together,
    call_schema,
    capitalised_arguments,
    choose_examples,
    composed_arguments,
    copied_arguments,
    copy_hints,
    cued_arguments,
    dominant_tool,
    example_literals,
    first_words_of,
    named_lists,
    non_empty_lists,
    punctuated_arguments,
    rank_examples,
    request_shapes,
    shaped_arguments,
    shown_arguments,
)
from inference_svc.retrieval_client import RetrievedExample


def example(
    tool: str, relevance: float, kind: str = "positive", score: float = 0.5
) -> RetrievedExample:
    return RetrievedExample(
        id=f"{tool}-{relevance}-{kind}",
        tool_name=tool,
        request=f"use {tool}",
        call_name=tool,
        call_arguments={},
        kind=kind,
        score=score,
        quality_score=0.0,
        tool_version="1",
        relevance=relevance,
    )


def test_ranking_follows_relevance_not_the_cosine() -> None:
    lexical_first = example("grep", 1.0, score=0.4)
    dense_first = example("read_file", 0.9, score=0.8)
    assert rank_examples([dense_first, lexical_first], "1") == [lexical_first, dense_first]


def test_a_tool_with_half_the_relevance_dominates() -> None:
    ranked = [example("grep", 0.9), example("grep", 0.8), example("ls", 0.7), example("cat", 0.3)]
    assert dominant_tool(ranked, set(), 0.5) == "grep"
    assert dominant_tool(ranked, set(), 0.7) == ""


def test_negatives_and_tools_outside_the_catalog_do_not_vote() -> None:
    ranked = [
        example("grep", 0.9, kind="negative"),
        example("grep", 0.9, kind="negative"),
        example("ls", 0.5),
        example("retired_tool", 0.9),
        example("retired_tool", 0.9),
    ]
    assert dominant_tool(ranked, {"grep", "ls"}, 0.5) == "ls"
    assert dominant_tool([], {"grep"}, 0.5) == ""


def test_without_a_dominant_tool_three_tools_are_offered_best_first() -> None:
    ranked = [example("grep", 0.9), example("ls", 0.8), example("cat", 0.7), example("rm", 0.6)]
    chosen, tools = choose_examples(ranked, 3, set())
    assert tools == ["grep", "ls", "cat", "rm"]
    # The best match sits last, nearest the request.
    assert [e.tool_name for e in chosen] == ["cat", "ls", "grep"]


def test_a_call_already_shown_fills_a_slot_only_when_nothing_else_is_left() -> None:
    pytest_cov = {"command": "python -m pytest --cov=src"}
    ranked = [
        with_arguments(example("run", 0.9), **pytest_cov),
        with_arguments(example("run", 0.8), **pytest_cov),
        with_arguments(example("run", 0.7), command="uv add pytest-asyncio"),
        with_arguments(example("run", 0.6, kind="negative"), **pytest_cov),
        with_arguments(example("run", 0.5, kind="negative"), command="npm ci"),
        with_arguments(example("run", 0.4), command="npm run dev"),
    ]
    chosen, tools = choose_examples(ranked, 3, set())
    assert tools == ["run"]
    # The negative's own call is new too; then the distinct positives, best last.
    assert [e.call_arguments["command"] for e in chosen] == [
        "npm ci",
        "npm run dev",
        "uv add pytest-asyncio",
        "python -m pytest --cov=src",
    ]
    # By rank alone (the detector's evidence, as its weights were fitted): repeats kept.
    by_rank, _ = choose_examples(ranked, 3, set(), distinct_calls=False)
    assert [e.relevance for e in by_rank] == [0.6, 0.7, 0.8, 0.9]
    # Only one call to show: its repeats fill the slots rather than leave them empty.
    repeats, _ = choose_examples(ranked[:2], 3, set())
    assert [e.relevance for e in repeats] == [0.8, 0.9]


def test_a_call_showing_where_the_requests_glob_goes_comes_before_other_new_calls() -> None:
    ranked = [
        with_arguments(example("search", 0.9), path=".", regex="TASK_TIMEOUT"),
        with_arguments(example("search", 0.8), path=".", regex="def create_campaign"),
        with_arguments(example("search", 0.7), path=".", regex="RATING_TIMEOUT"),
        with_arguments(example("search", 0.6), path=".", regex="TODO", file_pattern="*.py"),
    ]
    wanted = request_shapes("Help me search for setTimeout(, limited to `*.rb`")
    assert wanted == {"glob"}
    chosen, _ = choose_examples(ranked, 3, set(), wanted_shapes=wanted)
    assert [e.relevance for e in chosen] == [0.6, 0.8, 0.9]  # by rank, best last
    # Nothing of the kind wanted among them: the new calls, best first, as before.
    plain, _ = choose_examples(ranked[:3], 3, set(), wanted_shapes=wanted)
    assert [e.relevance for e in plain] == [0.7, 0.8, 0.9]


def test_request_shapes_are_the_request_propers_not_its_context_or_pasted_code() -> None:
    assert request_shapes("Context: refactoring billing. read src/app.py") == {"file"}
    assert request_shapes("extend src/app.py with:\nimport os.path\nfetch('https://x.io')") == {
        "file",
        PASTED_CODE,
    }
    assert request_shapes("what is a goroutine?") == set()


def test_a_call_made_for_pasted_code_comes_first_for_a_request_with_pasted_code() -> None:
    # Beside one-line replacements only, "extend a.py with:" and code had been
    # described as "I am replacing ...".
    def edit(relevance: float, request: str, instructions: str) -> RetrievedExample:
        found = with_arguments(example("edit_file", relevance), instructions=instructions)
        return RetrievedExample(**{**found.__dict__, "request": request})

    ranked = [
        edit(0.9, "swap x: int for x: str in a.py", "I am replacing x: int with x: str"),
        edit(0.8, "in b.py, replace y: int with y: str", "I am replacing y: int with y: str"),
        edit(0.7, "add this to c.py:\nZ = 1", "I am adding the given code to c.py"),
    ]
    wanted = request_shapes("extend src/coupon/routes.py with:\nfrom x import y")
    chosen, _ = choose_examples(ranked, 2, set(), wanted_shapes=wanted)
    assert [e.relevance for e in chosen] == [0.7, 0.9]
    plain, _ = choose_examples(ranked, 2, set(), wanted_shapes=request_shapes("swap it back"))
    assert [e.relevance for e in plain] == [0.8, 0.9]


def with_arguments(example_: RetrievedExample, **arguments: object) -> RetrievedExample:
    return RetrievedExample(**{**example_.__dict__, "call_arguments": arguments})


def test_booleans_to_copy_are_the_shown_examples_majority() -> None:
    shown = [
        with_arguments(example("run", 3.0), command="git status", background=False, timeout=5),
        with_arguments(example("run", 2.0), command="npm run dev", background=True),
        with_arguments(example("run", 1.0, kind="negative"), command="ls", background=False),
    ]
    # Numbers and strings belong to the request; only booleans are copied.
    assert example_literals(shown) == {"background": "false"}
    assert example_literals(shown[:2]) == {}  # one each: no majority


def asked(request: str, **arguments: object) -> RetrievedExample:
    return RetrievedExample(
        **{**example("t", 1.0).__dict__, "request": request, "call_arguments": arguments}
    )


def test_strings_to_copy_are_the_examples_own_words_not_their_requests() -> None:
    searches = [
        asked("find lines matching console\\.log\\(", path=".", regex="console\\.log\\("),
        asked("search the repo for TASK_TIMEOUT", path=".", regex="TASK_TIMEOUT"),
    ]
    assert example_literals(searches) == {"path": '"."'}  # a convention, copied whole
    questions = [
        asked("search the project to see how X works", explanation="To answer: how X works"),
        asked("how is Y done?", explanation="To answer: how is Y done"),
    ]
    # The shared start stops where the requests' own words begin ("how").
    assert example_literals(questions) == {"explanation": '"To answer: '}
    paths = [
        asked("read `src/app.py`", path="src/app.py"),
        asked("show src/app.py", path="src/app.py"),
    ]
    assert example_literals(paths) == {}  # each request's own path
    assert example_literals(questions[:1]) == {}  # one example is no convention


def test_examples_without_the_argument_count_against_copying_it() -> None:
    commands = [
        asked("run npm run dev in the background", command="npm run dev", waitForCompletion=False),
        asked("exec npm ci", command="npm ci"),
        asked("run pytest", command="pytest"),
    ]
    # Continue writes waitForCompletion only for background commands.
    assert example_literals(commands) == {}


def test_arguments_every_example_took_from_its_request_are_copied() -> None:
    searches = [
        asked("find lines matching console\\.log\\(", path=".", regex="console\\.log\\("),
        asked("search the repo for TASK_TIMEOUT", path=".", regex="TASK_TIMEOUT"),
    ]
    # "." is in most sentences, so it proves nothing either way.
    assert copied_arguments(searches) == ("regex",)
    edits = [
        asked("in a.py swap x for y", path="a.py", old="x", new="y", why="Swap x for y"),
        asked("b.py: rename f to g", path="b.py", old="f", new="g", why="rename f to g"),
    ]
    # One example's explanation is not in its request: the model writes it.
    assert copied_arguments(edits) == ("new", "old", "path")
    no_call = RetrievedExample(**{**asked("hi").__dict__, "call_name": ""})
    assert copied_arguments([no_call, edits[1]]) == ("new", "old", "path", "why")


def test_lists_of_words_from_the_request_are_copied_and_kept_filled() -> None:
    fetches = [
        asked("scan http://a.dev/x for auth", urls=["http://a.dev/x"], query="auth", tags=[]),
        asked("does https://b.dev say s3?", urls=["https://b.dev"], query="s3", pages=["1"]),
    ]
    assert copied_arguments(fetches) == ("query", "urls")
    invented = [*fetches, asked("check the docs", urls=["https://docs.dev"])]
    assert copied_arguments(invented) == ("query",)  # one URL is not its request's

    # Both examples list URLs: the model's call lists one too. `tags` was empty once;
    # `pages` was always filled but is optional (left empty, it means all of them).
    assert non_empty_lists(fetches) == {"t": {"urls", "pages"}}
    tool = ToolSpec(
        "t",
        "fetch",
        {
            "type": "object",
            "properties": {
                "urls": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "pages": {"type": "array", "items": {"type": "string"}},
                "query": {"type": "string"},
            },
            "required": ["urls", "query"],
        },
    )
    arguments = call_schema([tool], non_empty_lists(fetches))["properties"]["arguments"]
    assert arguments["properties"]["urls"]["minItems"] == 1
    assert "minItems" not in arguments["properties"]["tags"]
    assert "minItems" not in arguments["properties"]["pages"]
    assert "minItems" not in tool.parameters["properties"]["urls"]  # the tool's own is kept
    assert "minItems" not in call_schema([tool])["properties"]["arguments"]["properties"]["urls"]


def test_a_call_gives_only_the_optional_arguments_its_examples_show() -> None:
    # Beside examples without a file pattern, Cline's search for "setTimeout(" had
    # also given it as the file pattern; Copilot's maxResults was 10000000000000000000.
    searches = [
        asked("search `k8s` for PERMISSION_TIMEOUT", path="k8s", regex="PERMISSION_TIMEOUT"),
        asked("grep X_TIMEOUT only in *.js", path=".", regex="X_TIMEOUT", file_pattern="*.js"),
    ]
    tool = ToolSpec(
        "t",
        "search",
        {
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "regex": {"type": "string"},
                "file_pattern": {"type": "string"},
                "max_results": {"type": "integer"},
            },
            "required": ["path", "regex"],
        },
    )
    other = ToolSpec("u", "other", {"type": "object", "properties": {"limit": {"type": "integer"}}})
    assert shown_arguments(searches) == {"t": {"path", "regex", "file_pattern"}}
    schema = call_schema([tool, other], shown=shown_arguments(searches[:1]))
    branches = [branch["properties"]["arguments"] for branch in schema["anyOf"]]
    assert list(branches[0]["properties"]) == ["path", "regex"]  # required ones stay
    assert branches[0]["additionalProperties"] is False
    assert list(branches[1]["properties"]) == ["limit"]  # no example shown: all of them
    schema = call_schema([tool], shown=shown_arguments(searches))
    assert list(schema["properties"]["arguments"]["properties"]) == [
        "path",
        "regex",
        "file_pattern",
    ]
    assert "max_results" in tool.properties  # the tool's own schema is kept


def test_arguments_most_examples_composed_are_known_as_such() -> None:
    installs = [
        asked("use pip to install structlog", command="pip install structlog", path="."),
        asked("Can you do pip install freezegun now?", command="pip install freezegun"),
        asked("install python-dotenv with pip", command="pip install python-dotenv"),
    ]
    # Two of three commands are not their request's words; "." proves nothing.
    assert composed_arguments(installs) == ("command",)
    assert composed_arguments(installs[1:2]) == ()
    assert composed_arguments(installs[:2]) == ()  # one of two is no majority
    questions = [
        asked("see how X works", explanation="To answer: how X works"),
        asked("how is Y done?", explanation="To answer: how is Y done"),
    ]
    # The examples' own start, then the request's words: a copy after all.
    assert composed_arguments(questions) == ()


def test_held_copies_that_kept_their_question_mark_keep_it() -> None:
    asks = [
        asked("ask me which database to use?", question="which database to use?", path="a.py"),
        asked("ask: is Redis ok", question="is Redis ok", path="a.py"),
    ]
    assert copied_arguments(asks) == ("question",)
    assert punctuated_arguments(asks) == ("question",)
    assert punctuated_arguments(asks[1:]) == ()


def test_copy_hints_gather_every_rule_once() -> None:
    shown = [
        asked("ask me which database to use?", question="which database to use?", path="."),
        asked("ask: is Redis ok?", question="is Redis ok?", path="."),
        asked("use pip to install structlog", command="pip install structlog", background=False),
        asked("install freezegun with pip", command="pip install freezegun", background=False),
    ]
    hints = copy_hints(shown)
    assert hints.literals == example_literals(shown)
    assert hints.exact == copied_arguments(shown) == ("question",)
    assert hints.composed == composed_arguments(shown) == ("command",)
    assert hints.punctuated == punctuated_arguments(shown) == ("question",)
    composed = [asked("ask me about the db", question="Which database?")]
    assert punctuated_arguments(composed) == ()  # not held: the model writes it


def test_held_arguments_whose_values_all_have_one_shape_keep_it() -> None:
    reads = [
        asked("what's in src/app.py?", path="src/app.py", paths=["src/app.py"], note="app"),
        asked(
            "open `Gemfile` and lib/db.rb",
            path="Gemfile",
            paths=["Gemfile", "lib/db.rb"],
            note="Gemfile",
        ),
        asked("list spec/models, not x.md", path="spec/models", paths=["x.md"], note="spec/models"),
    ]
    held = copied_arguments(reads)
    assert held == ("note", "path", "paths")
    # A directory among files: no one shape; a word that is no path: none at all.
    assert shaped_arguments(reads, held) == {"paths": "file"}
    assert shaped_arguments(reads[:2], held) == {"path": "file", "paths": "file"}
    assert shaped_arguments(reads[:2], ("paths",)) == {"paths": "file"}  # held ones only
    patches = [
        asked("apply:\n*** Begin Patch\n*** End Patch", input="*** Begin Patch\n*** End Patch")
    ]
    assert shaped_arguments(patches, ("input",)) == {}  # "***": no glob, several words


def test_held_arguments_keep_the_words_that_stood_before_their_values() -> None:
    searches = [
        asked("search for `TODO` in the `src` folder", regex="TODO", path="src"),
        asked("I want &[T] rather than Vec<T>", regex="Vec<T>", path="&[T]"),
        asked("grep TODO, in lib", regex="TODO", path="lib"),
    ]
    held = copied_arguments(searches)
    assert cued_arguments(searches, held) == {
        "path": frozenset({"in", "want"}),
        "regex": frozenset({"for", "than", "grep"}),
    }
    assert cued_arguments(searches, ("regex",)) == {"regex": frozenset({"for", "than", "grep"})}
    # A value at the request's start has no word before it; "TODO" inside "XTODO" is no word.
    assert cued_arguments([asked("TODO: find XTODO", regex="TODO")], ("regex",)) == {}
    assert copy_hints(searches).cues == cued_arguments(searches, held)


def test_held_arguments_keep_the_first_words_of_their_values() -> None:
    edits = [
        asked(
            "edit a.ts: let xs = [] -> const xs: X[] = []",
            old="let xs = []",
            new="const xs: X[] = []",
        ),
        asked("swap == null for === null", old="== null", new="=== null"),
    ]
    held = copied_arguments(edits)
    assert first_words_of(edits, held) == {
        "new": frozenset({"const", "==="}),
        "old": frozenset({"let", "=="}),
    }
    assert copy_hints(edits).first_words == first_words_of(edits, held)


def test_held_arguments_whose_shown_values_all_start_with_a_capital() -> None:
    extensions = [
        asked(
            "add the VS Code extension charliermarsh.ruff (Ruff)",
            id="charliermarsh.ruff",
            name="Ruff",
        ),
        asked(
            "add the extension ms-python.black-formatter (Black Formatter)",
            id="ms-python.black-formatter",
            name="Black Formatter",
        ),
    ]
    held = copied_arguments(extensions)
    assert held == ("id", "name")
    assert capitalised_arguments(extensions, held) == ("name",)
    assert capitalised_arguments(extensions, ("id",)) == ()  # held ones only
    mixed = [*extensions, asked("add the extension x.y (docs)", id="x.y", name="docs")]
    assert capitalised_arguments(mixed, held) == ()
    assert copy_hints(extensions).capitalised == ("name",)
    # Beside regexes that were all constants in capitals, "Help me search for
    # setTimeout(" had been searched for "Help".
    constants = [
        asked("search `k8s` for PERMISSION_TIMEOUT", path="k8s", regex="PERMISSION_TIMEOUT"),
        asked("Search the code for DRIVER_TIMEOUT", path="src", regex="DRIVER_TIMEOUT"),
    ]
    assert capitalised_arguments(constants, copied_arguments(constants)) == ()


# A read whose line range is two optional integers (Cline's `read_file`).
LINE_RANGE_READ = ToolSpec(
    "t",
    "read",
    {
        "type": "object",
        "properties": {
            "path": {"type": "string"},
            "end_line": {"type": "integer"},
            "start_line": {"type": "integer"},
        },
        "required": ["path"],
    },
)


def test_optional_arguments_shown_together_are_written_together() -> None:
    reads = [
        asked("what's on lines 381-411 of a.cpp?", path="a.cpp", end_line=411, start_line=381),
        asked("what's in b.cpp?", path="b.cpp"),
    ]
    tool = LINE_RANGE_READ
    assert arguments_given_together(reads, [tool]) == {"t": [("end_line", "start_line")]}
    assert arguments_given_together(reads[1:], [tool]) == {}  # nothing given together
    schema = call_schema(
        [tool], shown_arguments(reads), together={"t": [("end_line", "start_line")]}
    )
    grammar = xgr.Grammar.from_json_schema(
        json.dumps(schema), any_whitespace=False, separators=(",", ":"), strict_mode=True
    )

    def accepts(arguments: str) -> bool:
        return _is_grammar_accept_string(grammar, f'{{"name":"t","arguments":{arguments}}}')

    assert accepts('{"path":"q.cpp","end_line":353,"start_line":333}')
    assert accepts('{"path":"q.cpp"}')
    # Lines 333 to 353 read with one end only: from the file's first line.
    assert not accepts('{"path":"q.cpp","end_line":353}')
    assert not accepts('{"path":"q.cpp","start_line":333}')


def test_a_list_of_files_gets_an_item_where_the_request_names_a_file() -> None:
    checks = [
        asked("List problems in `src/api/client.ts`", filePaths=["src/api/client.ts"]),
        asked("Show the errors in src/routes/webhooks.js", filePaths=["src/routes/webhooks.js"]),
        asked("show every warning in the project"),  # the tool's "all": no list at all
    ]
    tool = ToolSpec(
        "t", "errors", {"type": "object", "properties": {"filePaths": {"type": "array"}}}
    )
    named = named_lists(checks, "Show the warnings in packages/project/src/index.ts")
    assert named == {"t": {"filePaths"}}
    arguments = call_schema([tool], named=named)["properties"]["arguments"]
    assert arguments["properties"]["filePaths"]["minItems"] == 1
    # Nothing named: the list may stay empty; items of mixed kinds show no kind to name.
    assert named_lists(checks, "list all compile errors") == {}
    mixed = [*checks, asked("errors in the src folder", filePaths=["src/"])]
    assert named_lists(mixed, "Show the warnings in packages/project/src/index.ts") == {}
