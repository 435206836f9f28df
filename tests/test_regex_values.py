"""A regex that does not compile becomes the literal search (inference_svc/regex_values.py)."""

from __future__ import annotations

from hybridtools.ecosystems.catalog import ToolSpec, load_builtin_catalog, normalize_parameters
from inference_svc.regex_values import regex_arguments, repair_regexes


def tool(ecosystem: str, name: str) -> ToolSpec:
    return load_builtin_catalog(ecosystem).tool(name)


def test_the_built_in_searches_name_their_regex_arguments() -> None:
    assert regex_arguments(tool("cline", "search_files")) == {"regex"}  # not the glob
    assert regex_arguments(tool("continue", "grep_search")) == {"query"}  # described "regex"
    assert regex_arguments(tool("cursor", "grep")) == {"pattern"}  # a regex search's pattern
    assert regex_arguments(tool("cline", "read_file")) == frozenset()
    globs = ToolSpec(
        "find",
        "Find files by glob or regex.",
        normalize_parameters(
            {"properties": {"pattern": {"type": "string", "description": "glob"}}}
        ),
    )
    assert regex_arguments(globs) == frozenset()


def test_a_copied_literal_that_does_not_compile_is_escaped() -> None:
    search = tool("cline", "search_files")
    arguments = {"path": "src(", "regex": "setTimeout(", "file_pattern": "*.rb"}
    # Only the regex: a path or a glob is not a regex, however it reads.
    assert repair_regexes(arguments, search) == {
        "path": "src(",
        "regex": "setTimeout\\(",
        "file_pattern": "*.rb",
    }
    assert arguments["regex"] == "setTimeout("  # the caller's dict is left alone


def test_a_regex_that_compiles_is_left_as_the_user_wrote_it() -> None:
    search = tool("cline", "search_files")
    for regex in ("@app\\.(get|post)\\(", "console.log", "def main"):
        assert repair_regexes({"path": ".", "regex": regex}, search)["regex"] == regex
