"""The tool router: a classifier of requests by tool, fitted per indexed version."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hybridtools.word_shapes import word_shape
from inference_svc.prompt_builder import routed_tool
from retrieval_svc.tool_router import (
    DESCRIPTION_SHARE,
    ToolRouter,
    fit_tool_router,
    routing_text,
    training_rows,
)

REQUESTS = {
    "grep_search": [
        "grep for TODO in the sources",
        "search the code for the word deprecated",
        "grep every call of parse_args",
        "find the text 'FIXME' in all files",
        "search for usages of fetchUser",
    ],
    "ls": [
        "list the files in src",
        "what is in the tests folder",
        "list directory contents of docs",
        "show the folder listing of scripts",
        "list everything under lib",
    ],
    "run_terminal_command": [
        "run pytest -q",
        "execute npm install in the shell",
        "run the build with make",
        "run git status in the terminal",
        "execute cargo test",
    ],
}


def fitted() -> ToolRouter:
    requests = [text for texts in REQUESTS.values() for text in texts]
    tools = [tool for tool, texts in REQUESTS.items() for _ in texts]
    # Vectors that say nothing of the tool: the fragments must carry it.
    vectors = np.random.default_rng(7).standard_normal((len(requests), 8)).astype(np.float32)
    router = fit_tool_router(requests, vectors, tools)
    assert router is not None
    return router


@pytest.mark.parametrize(
    ("request_text", "tool"),
    [
        ("grep for the word timeout", "grep_search"),
        ("list the files in the assets folder", "ls"),
        ("run npm test in the terminal", "run_terminal_command"),
    ],
)
def test_the_router_names_the_tool_of_an_unseen_request(request_text: str, tool: str) -> None:
    likelihoods = fitted().likelihoods(request_text, np.zeros(8, dtype=np.float32))
    assert likelihoods[0][0] == tool
    probabilities = [p for _, p in likelihoods]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-5)
    assert {name for name, _ in likelihoods} == set(REQUESTS)


def test_a_router_read_back_from_metadata_answers_the_same() -> None:
    router = fitted()
    again = ToolRouter.from_meta(json.loads(json.dumps(router.to_meta())))
    assert again is not None
    vector = np.random.default_rng(1).standard_normal(8).astype(np.float32)
    for text in ("grep for foo", "list src", "run make", "words it never saw"):
        assert again.likelihoods(text, vector) == router.likelihoods(text, vector)


def test_each_described_tool_with_examples_adds_one_weighted_row() -> None:
    texts, tools, weights = training_rows(
        ["run pytest", "run make", "list src"],
        ["run", "run", "ls"],
        {
            "run": "Run a shell command.",
            "ls": "List a directory.",
            "web": "Search the web.",
            "x": "",
        },
    )
    # "web" has no examples (the router could not name it anyway); "x" says nothing.
    assert texts == [
        "run pytest",
        "run make",
        "list src",
        "List a directory.",
        "Run a shell command.",
    ]
    assert tools == ["run", "run", "ls", "ls", "run"]
    assert weights == [1.0, 1.0, 1.0, DESCRIPTION_SHARE, 2 * DESCRIPTION_SHARE]


def test_a_description_teaches_the_router_words_no_example_has() -> None:
    requests = {
        "read_project_structure": ["show the project layout", "print the project tree"],
        "list_dir": ["show the folder src", "print the folder lib"],
    }
    texts = [text for texts in requests.values() for text in texts]
    tools = [tool for tool, texts in requests.items() for _ in texts]
    descriptions = {
        "read_project_structure": "Outline the workspace files as a tree.",
        "list_dir": "List one directory's entries.",
    }
    rows, names, weights = training_rows(texts, tools, descriptions)
    described = fit_tool_router(rows, np.zeros((len(rows), 8)), names, weights=weights)
    plain = fit_tool_router(texts, np.zeros((4, 8)), tools)
    assert described is not None and plain is not None
    zero = np.zeros(8, dtype=np.float32)
    # No example says "outline" or "workspace": a toss-up, until the description does.
    assert plain.likelihoods("outline workspace files", zero)[0][1] < 0.6
    assert described.likelihoods("outline workspace files", zero)[0] == (
        "read_project_structure",
        pytest.approx(0.92, abs=0.05),
    )
    # Weights of one are the unweighted fit.
    ones = fit_tool_router(texts, np.zeros((4, 8)), tools, weights=[1.0] * 4)
    assert ones is not None
    assert ones.likelihoods("show src", zero) == plain.likelihoods("show src", zero)


def test_no_router_for_one_tool_or_another_format() -> None:
    assert fit_tool_router(["list src", "list docs"], np.ones((2, 4)), ["ls", "ls"]) is None
    meta = fitted().to_meta()
    assert ToolRouter.from_meta({**meta, "format": 999}) is None


def test_the_prompt_builder_follows_a_confident_known_tool_only() -> None:
    likelihoods = [("grep_search", 0.7), ("ls", 0.2), ("run_terminal_command", 0.1)]
    assert routed_tool(likelihoods, {"grep_search", "ls"}, 0.5) == "grep_search"
    assert routed_tool(likelihoods, set(), 0.5) == "grep_search"
    assert routed_tool(likelihoods, {"grep_search"}, 0.8) == ""  # not confident enough
    assert routed_tool(likelihoods, {"ls"}, 0.5) == ""  # not in the catalog (any more)
    assert routed_tool(likelihoods, {"grep_search"}, 1.0) == ""  # 1.0: router off
    assert routed_tool([], {"grep_search"}, 0.5) == ""


@pytest.mark.parametrize(
    ("word", "shape"),
    [
        ("`Header.tsx`", "file"),
        ("src/app.py,", "file"),
        ("spec/models", "directory"),
        (".gitignore", "file"),
        ("`config/.env.example`", "file"),
        ("Gemfile", "file"),
        ("services/api/Dockerfile", "file"),
        ("gemfile", None),
        ("./scripts/", "directory"),
        ("**/*.md", "glob"),
        ("https://example.com/docs", "url"),
        ("models", None),
        ("...", None),
        ("1/2", None),
        ("src/app.py.", "file"),
        ("Gemfile.", "file"),
        ("etc.", None),
    ],
)
def test_word_shapes(word: str, shape: str | None) -> None:
    assert word_shape(word) == shape


def test_the_shape_of_a_path_tells_a_directory_from_a_file() -> None:
    # Both tools' requests say "show me"; only the path's shape tells them apart.
    requests = {
        "read_file": [f"show me {name}" for name in ("src/app.py", "lib/db.rb", "docs/api.md")],
        "list_dir": [f"show me {name}" for name in ("src/routes", "lib/jobs", "docs/guides")],
    }
    texts = [text for texts in requests.values() for text in texts]
    tools = [tool for tool, texts in requests.items() for _ in texts]
    vectors = np.zeros((len(texts), 8), dtype=np.float32)
    router = fit_tool_router(texts, vectors, tools)
    assert router is not None
    zero = np.zeros(8, dtype=np.float32)
    assert router.likelihoods("show me the folder spec/models", zero)[0][0] == "list_dir"
    assert router.likelihoods("show me the file spec/user.ts", zero)[0][0] == "read_file"


@pytest.mark.parametrize(
    ("request_text", "words"),
    [
        ("extend `src/app.py` with:\nimport os\n\nx = 1", "extend file with: code"),
        ("show me the folder spec/models pls", "show me the folder folder pls"),
        ("Summarize https://example.com/a and **/*.md", "Summarize link and pattern"),
        ("run `pytest -q` in the background", "run `pytest -q` in the background"),
        ("what is a closure?", "what is a closure?"),
        ("Context: refactoring billing. run `make test`", "run `make test`"),
        ("The build is red. Debugging. grep TODO", "grep TODO"),
        ("Open src/app.py. Then run it.", "Open file Then run it."),
        ("Is it fine? If so, go on.", "If so, go on."),
        # A command's dot is no sentence's end, a question that quotes is the request.
        ("fire off go test ./... pls", "fire off go test ./... pls"),
        ("type ruff check . in the shell", "type ruff check . in the shell"),
        ("can we add `pandas`? use pip", "can we add `pandas`? use pip"),
    ],
)
def test_the_routing_text_keeps_what_tells_the_tool(request_text: str, words: str) -> None:
    # The embedding reads what the user asks, not the values (paths, pasted code).
    assert routing_text(request_text) == words


def test_a_fit_cut_short_by_the_services_stop_is_no_failure() -> None:
    import sqlite3

    from structlog.testing import capture_logs

    from retrieval_svc.examples_index import ExampleIndex

    def closed_cache() -> tuple[list[str], list[str]]:
        raise sqlite3.ProgrammingError("Cannot operate on a closed database.")

    # Nothing but the fit's own bookkeeping runs on this path: no store, no embedder.
    index = ExampleIndex(None, None, None)  # type: ignore[arg-type]
    with capture_logs() as running:
        index._fit_router("tool_examples__x__v1", closed_cache)
    assert [e["log_level"] for e in running] == ["warning"]  # a real failure, said so
    index.stop_router_fits()
    with capture_logs() as stopping:
        index._fit_router("tool_examples__x__v1", closed_cache)
    assert [(e["log_level"], e["event"]) for e in stopping] == [
        ("info", "tool router fit cut short by the stop")
    ]
