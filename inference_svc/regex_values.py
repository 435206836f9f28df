"""A regex argument that does not compile is searched for as the literal text.

The copy bias holds a search term to a span of the request, so "search for
setTimeout(" gives the regex "setTimeout(", which ripgrep rejects (an
unclosed group). The user asked for the text as written; escaped as the
examples escape a literal term (`regex_literal`: "setTimeout\\(") it is a
valid search for it. A value that compiles is left as it is: it may be the
regex the user meant ("@app\\.(get|post)\\(").

Python's `re` stands in for ripgrep's regex syntax: the two differ in what
they accept beyond the common syntax (look-around, `a{`), not in the
unbalanced brackets and dangling repeats that copied literals produce.
"""

from __future__ import annotations

import re
from typing import Any

from hybridtools.ecosystems.catalog import ToolSpec
from hybridtools.regex_literals import regex_literal

_REGEX_WORDS = re.compile(r"\b(?:regex|regexp|regular expression)\b", re.IGNORECASE)


def regex_arguments(tool: ToolSpec) -> frozenset[str]:
    """The string arguments of `tool` that are regular expressions: named or described
    as one (Cline's `regex`, Continue's `query` "regex"), or a `pattern` of a tool
    that says it searches by regex (Cursor's `grep`)."""
    searches_by_regex = bool(_REGEX_WORDS.search(tool.description))

    def is_regex(key: str, schema: dict[str, Any]) -> bool:
        described = str(schema.get("description", ""))
        if _REGEX_WORDS.search(key) or _REGEX_WORDS.search(described):
            return True
        return key == "pattern" and searches_by_regex and "glob" not in described.lower()

    found = {
        key
        for key, schema in tool.properties.items()
        if isinstance(schema, dict) and schema.get("type") == "string" and is_regex(key, schema)
    }
    return frozenset(found)


def compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def repair_regexes(arguments: dict[str, Any], tool: ToolSpec) -> dict[str, Any]:
    """A copy of `arguments` in which each regex argument that does not compile is
    the regex of its text taken literally."""
    repaired = dict(arguments)
    for key in regex_arguments(tool):
        value = repaired.get(key)
        if isinstance(value, str) and not compiles(value):
            repaired[key] = regex_literal(value)
    return repaired
