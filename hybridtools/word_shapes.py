"""The shape of a word that names something a tool reaches: a file, a directory, a glob, a URL.

The tool router counts shapes among its features (retrieval_svc/tool_router.py,
ADR 0009) and the local engine holds an argument whose shown values all had
one shape to the request's words of that shape (hybridtools.llm.copying).
Both also pass over the short sentences before a request proper that name
nothing of the kind (`context_end`).
"""

from __future__ import annotations

import re

# A sentence before the request proper ("Context: refactoring billing. "): it
# ends with a word's full stop (not "go test ./... " nor "ruff check . "), and
# quotes nothing (not "can we add `pandas`? ").
_CONTEXT_SENTENCE = re.compile(r"[^`\"]{0,79}?\w[.?!]\s+")
_MAX_CONTEXT_SENTENCES = 2
_AROUND_A_NAME = "`'\",;:!?()[]{}<>"
_URL = re.compile(r"(?:https?://|www\.)")
_FILE = re.compile(r"\w\.[A-Za-z][A-Za-z0-9]{0,9}$")
_DIRECTORY = re.compile(r"[\w.~-]*/[\w./~-]*")
# ".gitignore", "config/.env.example": a file, though nothing stands before its dot.
_DOTFILE = re.compile(r"(?:[\w.~-]*/)*\.[A-Za-z][\w.-]*")
# Files known by a name with no extension, as they are written on disk.
_EXTENSIONLESS_FILE = re.compile(
    r"(?:[\w.~-]*/)*(?:Dockerfile|Containerfile|Makefile|GNUmakefile|Gemfile|Rakefile|Procfile"
    r"|Jenkinsfile|Vagrantfile|Pipfile|Podfile|Brewfile|Justfile|Caddyfile|Tiltfile|CODEOWNERS"
    r"|LICENSE|README)"
)


def name_span(word: str) -> tuple[int, int]:
    """Where the name inside `word` starts and ends: without the quotes, brackets or
    punctuation around it, nor a sentence's full stop ("`src/app.py`." -> src/app.py)."""
    start, end = 0, len(word)
    while start < end and word[start] in _AROUND_A_NAME:
        start += 1
    while end > start and word[end - 1] in _AROUND_A_NAME:
        end -= 1
    if word[start:end].endswith(".") and not word[start:end].endswith(".."):
        end -= 1
    return start, end


def word_shape(word: str) -> str | None:
    """A word's shape, "url", "glob", "file" or "directory", or None for other words.

    Not the detector's FILE_NAME / PATH / URL patterns (inference_svc): those
    search whole requests, and a stored tool router's features must not move
    when they are tuned (a change here needs a new retrieval_svc.tool_router.FORMAT).
    """
    start, end = name_span(word)
    name = word[start:end]
    if _URL.match(name):
        return "url"
    if "*" in name:
        return "glob"
    if _FILE.search(name) and not name.endswith("..."):
        return "file"
    if _DOTFILE.fullmatch(name) or _EXTENSIONLESS_FILE.fullmatch(name):
        return "file"
    if _DIRECTORY.fullmatch(name) and any(char.isalpha() for char in name):
        return "directory"
    return None


def context_end(line: str) -> int:
    """Where the request proper starts in its first `line`: after up to two short
    sentences (80 characters at most) that name nothing with a shape and have more
    of the line after them ("Context: refactoring billing. ", "Trying to fix a bug
    in quiz handling. "). They tell the task, not the tool nor its arguments."""
    start = 0
    for _ in range(_MAX_CONTEXT_SENTENCES):
        sentence = _CONTEXT_SENTENCE.match(line, start)
        if sentence is None or sentence.end() == len(line):
            break
        if any(word_shape(word) for word in sentence.group().split()):
            break  # "Open src/app.py. ..." is the request itself
        start = sentence.end()
    return start
