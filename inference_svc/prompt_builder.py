"""ToolAwarePromptBuilder: the seed's class, made real.

    augment_with_tools(query)
      detect_tool_need(query)              keywords and patterns (detection.py)
      retrieve_tool_examples(query, ...)   2-3 examples of the caller's IDE, over gRPC,
                                           plus the nearest example's score as evidence
      format_tool_aware_prompt(...)        hybridtools.prompting's layout (the one the
                                           generic adapter was trained on), candidate
                                           tools' schemas, reference snippets, inside a
                                           token budget counted with the model's tokenizer

Example choice answers the probe's first failure (the model copies whichever
tool dominates the examples): examples of distinct tools first, the best
match last, nearest the request; among one tool's examples, calls not shown
yet before a repeat, and first one showing where the request's kind of name (a
glob, a folder) goes (ADR 0007's amendments); negatives only as "what not to do"
for the top tool. Ranking adds the example's quality_score and prefers examples
written for the catalog's current tool_version.

Tool choice answers the claims bench's largest miss: offered three tools, the
135M model picked a wrong one for about 4 in 10 requests whose right tool
was offered. When the retrieved examples agree on one tool (it holds at
least `dominant_tool_share` of their relevance), that tool is the only
candidate and all examples are its own; with constrained decoding the
grammar then fixes the name. Measured on 240 held-out requests of the four
built-in ecosystems (ranking with BM25 fused in, ADR 0007): at a share of
0.5, 61% of requests had a dominant tool and it was the right one for 84%.
The retrieval service's tool router (ADR 0009), where the version has one,
decides first: a tool it gives at least `router_confidence` is the only
candidate (same requests at 0.5: 80% of them, right for 89%; at the default
0.1 nearly all of them); the vote decides where no router answers.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from hybridtools.core.errors import InvalidArgumentError
from hybridtools.ecosystems.catalog import Catalog, ToolSpec
from hybridtools.llm.copy_hints import CopyHints
from hybridtools.llm.request_text import PASTED_BLOCK, cue_word, starts_capitalised
from hybridtools.prompting import (
    PromptExample,
    PromptTool,
    build_messages,
    render_examples_section,
    render_tools_section,
)
from hybridtools.word_shapes import context_end, word_shape
from inference_svc.backends.base import ChatTokenizer
from inference_svc.detection import (
    DetectorWeights,
    ToolNeed,
    decide,
    needs_retrieval_evidence,
    rule_evidence,
)
from inference_svc.number_values import number_rules, numbers_not_given
from inference_svc.retrieval_client import RetrievalClient, RetrievedExample
from inference_svc.value_forms import value_forms

# Examples fetched per request: enough to find 3 distinct tools and a negative,
# and ~12 positives to judge whether one tool dominates.
SEARCH_DEPTH = 14
# How deep to look among one tool's examples when the nearest repeat a call or
# none shows where the request's kind of name goes.
DISTINCT_CALL_DEPTH = 48
DOMINANT_TOOL_SHARE = 0.5
# The router's first tool was right for 57% of the held-out requests it gave
# less than 0.5 (82 of 145, ADR 0009's amendment), while the model, offered the
# candidates of such requests, chose the right one for 2 of 12 in the claims
# bench: its first tool decides unless it is nearly flat.
ROUTER_CONFIDENCE = 0.1
QUALITY_WEIGHT = 0.05
STALE_VERSION_PENALTY = 0.05
REFERENCE_THRESHOLD = 0.45
# Groups of optional arguments given together that a call schema keeps whole: its
# arguments become an anyOf of 2**groups objects.
MAX_ARGUMENT_GROUPS = 2
# What a file pattern has that a regex's star has not.
_FILE_PATTERN = re.compile(r"\*\*/|\*\.\w|/\*")


@dataclass(frozen=True)
class BuildOptions:
    ecosystem: str = ""
    history: Sequence[dict[str, str]] = ()
    tool_choice: str = "auto"  # auto | required | none
    max_examples: int = 3
    max_prompt_tokens: int = 0  # 0 = context window minus the generation reserve
    generation_reserve: int = 96


@dataclass(frozen=True)
class ToolExamples:
    """What retrieval gave a prompt: the examples to show and the candidate tools."""

    ecosystem: str
    catalog: Catalog
    examples: list[RetrievedExample]
    tools: list[ToolSpec]
    # The detector's retrieval evidence: the best cosine of a positive example
    # among those ranked first (None when none was found).
    nearest_score: float | None


@dataclass
class BuiltPrompt:
    messages: list[dict[str, str]]
    prompt_ids: list[int]
    tool_detected: bool
    need: ToolNeed | None
    ecosystem: str
    catalog: Catalog | None
    examples: list[RetrievedExample] = field(default_factory=list)
    tools: list[ToolSpec] = field(default_factory=list)
    call_schema: dict[str, Any] | None = None
    # What a constrained call copies from the shown examples (copy_hints).
    copy_hints: CopyHints = field(default_factory=CopyHints)
    prompt_tokens: int = 0
    example_tokens: int = 0
    schema_tokens: int = 0
    detect_ms: float = 0.0
    retrieve_ms: float = 0.0
    build_ms: float = 0.0


def rank_examples(
    examples: Sequence[RetrievedExample], catalog_version: str
) -> list[RetrievedExample]:
    def key(example: RetrievedExample) -> float:
        stale = catalog_version and example.tool_version and example.tool_version != catalog_version
        return (
            example.relevance
            + QUALITY_WEIGHT * example.quality_score
            - (STALE_VERSION_PENALTY if stale else 0.0)
        )

    return sorted(examples, key=key, reverse=True)


def dominant_tool(ranked: Sequence[RetrievedExample], known_tools: set[str], share: float) -> str:
    """The tool holding at least `share` of the positive examples' relevance, else ""."""
    votes: dict[str, float] = {}
    for example in ranked:
        if example.kind == "positive" and (not known_tools or example.tool_name in known_tools):
            weight = max(example.relevance, 0.0)
            votes[example.tool_name] = votes.get(example.tool_name, 0.0) + weight
    total = sum(votes.values())
    if total <= 0:
        return ""
    top = max(votes, key=lambda name: votes[name])
    return top if votes[top] >= share * total else ""


def routed_tool(
    likelihoods: Sequence[tuple[str, float]], known_tools: set[str], confidence: float
) -> str:
    """The router's likeliest tool when it reaches `confidence` (and is known), else ""."""
    if not likelihoods or confidence >= 1.0:
        return ""
    tool, probability = likelihoods[0]
    if probability < confidence or (known_tools and tool not in known_tools):
        return ""
    return tool


def choose_examples(
    ranked: Sequence[RetrievedExample],
    max_examples: int,
    known_tools: set[str],
    distinct_calls: bool = True,
    wanted_shapes: Collection[str] = (),
) -> tuple[list[RetrievedExample], list[str]]:
    """Examples of distinct tools first (best match last), then one negative of the top tool;
    with `distinct_calls`, calls not shown yet before repeats, and first of those, calls
    showing a value of a `wanted_shapes` shape (`request_shapes`) that no chosen one shows.

    Returns the examples in prompt order and the candidate tools, best first.
    """
    positives = [
        e
        for e in ranked
        if e.kind == "positive" and (not known_tools or e.tool_name in known_tools)
    ]
    tools: list[str] = []
    for example in positives:
        if example.tool_name not in tools:
            tools.append(example.tool_name)
    chosen: list[RetrievedExample] = []
    for tool in tools[:max_examples]:
        chosen.append(next(e for e in positives if e.tool_name == tool))
    # Fewer distinct tools than slots: more of the best ones, first those whose
    # call no chosen example already shows. A large store holds many phrasings
    # of one call; three copies of it teach neither which words of a value are
    # the request's own nor the forms a value takes (copy_hints reads the
    # shown values), so a repeat fills a slot only when nothing else is left.
    # Before those, a call that shows where a glob, URL, file or folder of the
    # request goes, when no chosen call shows one: the nearest examples of a
    # search tool had all searched the whole workspace, and the model put
    # "limited to `*.rb`" into the regex of a tool with a `file_pattern`.
    missing = _missing_shapes(wanted_shapes, chosen) if distinct_calls else set()
    passes = ("shape",) if missing else ()
    passes += ("fresh", "any") if distinct_calls else ("any",)
    for kind in passes:
        for example in positives:
            if len(chosen) >= max_examples:
                break
            if example in chosen or (kind != "any" and _shows_call_of(example, chosen)):
                continue
            if kind == "shape":
                shows = missing & _call_shapes(example)
                if not shows:
                    continue
                missing -= shows
            chosen.append(example)
    ordered = sorted(chosen, key=lambda e: positives.index(e), reverse=True)
    if tools:
        negatives = [e for e in ranked if e.kind == "negative" and e.tool_name == tools[0]]
        fresh = [e for e in negatives if not (distinct_calls and _shows_call_of(e, chosen))]
        negative = next(iter(fresh or negatives), None)
        if negative is not None:
            ordered.insert(0, negative)
    return ordered, tools


# The kind of thing a request with code after its first line has, beside its names.
PASTED_CODE = "pasted code"


def request_shapes(query: str) -> set[str]:
    """The word shapes (hybridtools.word_shapes) named in the request proper: its first
    line after any context sentences (a pasted block's words are code, not names); and
    PASTED_CODE where code follows that line."""
    text = query.strip()
    line = text.split("\n", 1)[0]
    words = line[context_end(line) :].split()
    shapes = {shape for shape in map(_name_shape, words) if shape}
    return shapes | {PASTED_CODE} if PASTED_BLOCK.search(text) else shapes


def _call_shapes(example: RetrievedExample) -> set[str]:
    """The word shapes among the words of an example call's string values, and
    PASTED_CODE where its request had code: the values' forms for pasted code
    (inference_svc/value_forms.py) are shown only by such an example (Cursor's "I
    am adding the given code to ..." for "extend a.py with:" and code, where the
    nearest examples had all replaced one line and the model wrote "I am replacing
    ...")."""
    shapes: set[str] = {PASTED_CODE} if PASTED_BLOCK.search(example.request.strip()) else set()
    for value in example.call_arguments.values():
        items = [value] if isinstance(value, str) else value if _is_string_list(value) else []
        for item in items:
            shapes.update(shape for shape in map(_name_shape, item.split()) if shape)
    return shapes


def _name_shape(word: str) -> str | None:
    """`word_shape`, with a glob only where a file pattern is written (`*.rb`, `**/`): a
    regex's star (`\\*Comment\\)`) had brought a glob example to a regex search."""
    shape = word_shape(word)
    return None if shape == "glob" and not _FILE_PATTERN.search(word) else shape


def _missing_shapes(wanted: Collection[str], chosen: Sequence[RetrievedExample]) -> set[str]:
    if not wanted:
        return set()
    shown: set[str] = set()
    for example in chosen:
        shown |= _call_shapes(example)
    return set(wanted) - shown


def _least_needed(examples: Sequence[RetrievedExample], wanted: Collection[str]) -> int:
    """The index of the worst-ranked example (the first) whose loss leaves every kind
    in `wanted` that the examples show still shown; the first if none does."""
    missing = _missing_shapes(wanted, examples)
    for index in range(len(examples)):
        rest = [e for i, e in enumerate(examples) if i != index]
        if _missing_shapes(wanted, rest) == missing:
            return index
    return 0


def _repeats_a_call(examples: Sequence[RetrievedExample]) -> bool:
    positives = [e for e in examples if e.kind == "positive"]
    return any(_shows_call_of(e, positives[:index]) for index, e in enumerate(positives))


def _shows_call_of(example: RetrievedExample, chosen: Sequence[RetrievedExample]) -> bool:
    """Whether a chosen example already shows `example`'s call, name and arguments."""
    return any(
        other.call_name == example.call_name and other.call_arguments == example.call_arguments
        for other in chosen
    )


def call_schema(
    tools: Sequence[ToolSpec],
    non_empty: Mapping[str, set[str]] | None = None,
    shown: Mapping[str, set[str]] | None = None,
    together: Mapping[str, list[tuple[str, ...]]] | None = None,
    named: Mapping[str, set[str]] | None = None,
) -> dict[str, Any]:
    """One JSON object {"name", "arguments"} of one of the candidate tools.

    `non_empty`: per tool, list arguments to give at least one item
    (`non_empty_lists`) where the tool requires them: an optional list left
    empty is the tool's "all" (Cursor's `read_lints` paths for the whole
    workspace), a required one left empty is a call in name only.
    `shown`: per tool, the arguments its shown calls give (`shown_arguments`),
    less the integers this request has no number for (`numbers_not_given`); of a
    tool with shown calls, only those optional arguments may be written.
    `together`: per tool, groups of optional arguments its shown calls gave all
    or none of (`arguments_given_together`); a call writes all of a group or
    none (an `anyOf` of the arguments' objects, one per choice of groups).
    `named`: per tool, lists (optional ones too) to give at least one item because
    the request names a thing of the kind their shown items were (`named_lists`).
    A tighter schema than the tool's, so a call that follows it still
    validates against the tool's own.
    """
    branches = []
    for tool in tools:
        arguments = dict(tool.parameters)
        arguments.setdefault("type", "object")
        arguments.setdefault("additionalProperties", False)
        filled = (non_empty or {}).get(tool.name, set()) & set(tool.required)
        filled |= (named or {}).get(tool.name, set())
        given = (shown or {}).get(tool.name)
        properties = arguments.get("properties")
        if isinstance(properties, dict) and (filled or given):
            arguments["properties"] = {
                key: _with_an_item(value) if key in filled else value
                for key, value in properties.items()
                if given is None or key in given or key in tool.required
            }
        kept = arguments.get("properties")
        groups = [
            group
            for group in (together or {}).get(tool.name, ())
            if isinstance(kept, dict) and all(key in kept for key in group)
        ]
        if groups:
            arguments = _groups_whole(arguments, groups)
        branches.append(
            {
                "type": "object",
                "properties": {"name": {"const": tool.name}, "arguments": arguments},
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def _groups_whole(arguments: dict[str, Any], groups: Sequence[tuple[str, ...]]) -> dict[str, Any]:
    """`arguments` (an object schema) as an `anyOf` of its objects with each of `groups`
    written whole or left out."""
    properties: dict[str, Any] = arguments["properties"]
    grouped = {key for group in groups for key in group}
    variants = []
    for count in range(len(groups) + 1):
        for chosen in combinations(groups, count):
            keys = {key for group in chosen for key in group}
            variants.append(
                {
                    **arguments,
                    "properties": {
                        key: value
                        for key, value in properties.items()
                        if key not in grouped or key in keys
                    },
                    "required": [
                        key
                        for key in properties
                        if key in keys or key in arguments.get("required", ())
                    ],
                }
            )
    return {"anyOf": variants}


def _with_an_item(schema: Any) -> Any:
    if not isinstance(schema, dict) or schema.get("type") != "array":
        return schema
    return {**schema, "minItems": max(1, int(schema.get("minItems", 0)))}


def copy_hints(examples: Sequence[RetrievedExample]) -> CopyHints:
    """What a constrained call should copy, as the shown examples show it
    (hybridtools.llm.copying): each rule below, worked out once."""
    literals = example_literals(examples)
    held = copied_arguments(examples)
    return CopyHints(
        literals=literals,
        exact=held,
        composed=composed_arguments(examples, literals),
        punctuated=punctuated_arguments(examples, held),
        forms=value_forms(examples),
        shapes=shaped_arguments(examples, held),
        cues=cued_arguments(examples, held),
        first_words=first_words_of(examples, held),
        capitalised=capitalised_arguments(examples, held),
        numbers=number_rules(examples),
    )


def example_literals(examples: Sequence[RetrievedExample]) -> dict[str, str]:
    """Per argument, the JSON text its value starts with in the shown examples' calls.

    What the copy bias cannot find in the request, the model should copy from
    the examples (hybridtools.llm.copying):
    - a boolean that a strict majority of the examples give (`isBackground`
      false for a one-off command; retrieval brings examples like the
      request, so "run it in the background" meets examples that say true);
      examples without the argument count against it (Continue writes
      `waitForCompletion` only as false, for background commands);
    - for a string that two or more examples, and most of them, give: the
      string when they all give it whole (Cline's `path` ".": `"."`), else the
      words their strings all start with (Cursor's "To answer: ", "# ...
      existing "), up to the last space: the request's words follow.
    Neither string rule takes what is a word of an example's own request (a
    path's "src/" is copied from each request, not a convention). A negative
    example counts with its corrected call.
    """
    booleans: dict[str, Counter[str]] = {}
    strings: dict[str, list[tuple[str, str]]] = {}
    calls = [example for example in examples if example.call_name]  # not "no call" negatives
    for example in calls:
        for key, value in example.call_arguments.items():
            if isinstance(value, bool):
                booleans.setdefault(key, Counter())[json.dumps(value)] += 1
            elif isinstance(value, str):
                strings.setdefault(key, []).append((value, example.request))
    literals = {}
    for key, counts in booleans.items():
        literal, count = counts.most_common(1)[0]
        if 2 * count > len(calls):
            literals[key] = literal
    for key, pairs in strings.items():
        if len(pairs) < 2 or 2 * len(pairs) <= len(calls):
            continue
        shared = _shared_start([value for value, _ in pairs])
        requests = [request for _, request in pairs]
        own = _examples_own_words(shared, requests)
        if not own.strip():
            continue
        whole = own == shared and all(value == shared for value, _ in pairs)
        text = json.dumps(own, ensure_ascii=False)  # as the model writes it
        literals[key] = text if whole else text[:-1]
    return literals


def copied_arguments(examples: Sequence[RetrievedExample]) -> tuple[str, ...]:
    """The string arguments (or lists of strings) that every shown call giving them
    copied from its request.

    A path, a command, a regex, a pasted file, Copilot's `urls`: the examples
    show the value is the user's own words, so the model's is held to a span of
    this request (hybridtools.llm.copying) instead of only favoured towards one;
    the 135M model had garbled values it was only pushed to copy (a regex's
    escapes rewritten as quotes, an invented function as a pasted file's
    content, a path with "vendor/" made up in a list). A value without a letter
    or digit ("." for Cline's path) proves nothing: punctuation is in most
    requests.
    """
    copied: dict[str, bool] = {}
    for example in examples:
        if not example.call_name:  # a "no call" negative
            continue
        for key, value in example.call_arguments.items():
            if isinstance(value, str):
                values = [value]
            elif _is_string_list(value):
                values = value
            else:
                continue
            spoken = all(
                any(char.isalnum() for char in item) and item in example.request for item in values
            )
            copied[key] = copied.get(key, True) and spoken
    return tuple(sorted(key for key, held in copied.items() if held))


def shaped_arguments(examples: Sequence[RetrievedExample], held: Collection[str]) -> dict[str, str]:
    """The held arguments (`copied_arguments`) whose every shown value (or list item) has
    one word shape (hybridtools.word_shapes), with that shape.

    Held to any span of the request, the model had taken another word for a path:
    `"target_file": "anything"` for "Is there anything odd in Gemfile?", `"filePaths":
    ["refactoring"]` for "Context: refactoring vendors. look up the tests of
    packages/invite/src/index.ts", beside examples whose values were all files.
    """
    shapes: dict[str, set[str | None]] = {}
    for _, key, items in _held_values(examples, held):
        # A value of several words (a patch that starts "*** Begin") is no one word.
        shapes.setdefault(key, set()).update(
            word_shape(item) if len(item.split()) == 1 else None for item in items
        )
    return {
        key: next(iter(found))
        for key, found in sorted(shapes.items())
        if len(found) == 1 and None not in found
    }


def cued_arguments(
    examples: Sequence[RetrievedExample], held: Collection[str]
) -> dict[str, frozenset[str]]:
    """Per held argument (`copied_arguments`), the words that stand just before its
    values in the shown requests (`cue_word`: "for" of "search for `TODO` in the
    `src` folder", "in" for the folder).

    Held to any span of the request, the model can take one argument's words for
    another's: the old string of "I'd rather have &[Order] than Vec<Order>" came
    back as the new one. Where shown old strings came after "than", the new one
    does not start there (hybridtools.llm.copying). Holding a value to the words
    after its own cues went wrong where the examples' cues differed from the
    request's ("regex search `x`" gave "search", after "regex"; ADR 0008): the cues
    only keep a value from the words after another argument's.
    """
    cues: dict[str, set[str]] = {}
    for request, key, items in _held_values(examples, held):
        for item in items:
            start = _word_start(request, item)
            cue = None if start is None else cue_word(request, start)
            if cue is not None:
                cues.setdefault(key, set()).add(cue)
    return {key: frozenset(words) for key, words in sorted(cues.items()) if words}


def first_words_of(
    examples: Sequence[RetrievedExample], held: Collection[str]
) -> dict[str, frozenset[str]]:
    """Per held argument (`copied_arguments`), the first words of its shown values,
    lowercased: "let" and "const" of the old and new strings of "let grades = [] ->
    const grades: Grade[] = []".

    Held to any span of the request, the model had taken the new string of "update
    X so var student = becomes const student =" for the old one, beside examples
    whose new strings all started with "const": a held value does not start with
    a word that only another argument's shown values started with
    (hybridtools.llm.copying).
    """
    words: dict[str, set[str]] = {}
    for _, key, items in _held_values(examples, held):
        words.setdefault(key, set()).update(
            item.split()[0].lower() for item in items if item.split()
        )
    return {key: frozenset(found) for key, found in sorted(words.items()) if found}


def capitalised_arguments(
    examples: Sequence[RetrievedExample], held: Collection[str]
) -> tuple[str, ...]:
    """The held arguments (`copied_arguments`) whose every shown value starts with a
    capitalised word (`starts_capitalised`): an extension's name ("Ruff", "Black
    Formatter"), a question.

    Held to any span of the request, the model had named the Jupyter extension "set
    up" after "set up the Jupyter extension (ms-toolsai.jupyter)", beside examples
    whose names were all capitalised words of their requests. Constants in capitals
    do not count: beside regexes that were all `*_TIMEOUT`, "Help me search for
    setTimeout(" had been searched for "Help".
    """
    starts: dict[str, set[bool]] = {}
    for _, key, items in _held_values(examples, held):
        starts.setdefault(key, set()).update(starts_capitalised(item) for item in items)
    return tuple(sorted(key for key, found in starts.items() if found == {True}))


def _held_values(
    examples: Sequence[RetrievedExample], held: Collection[str]
) -> Iterator[tuple[str, str, list[str]]]:
    """(request, argument, its string values) of each held argument of each shown call
    (a "no call" negative has none); a list's items are its values."""
    for example in examples:
        if not example.call_name:
            continue
        for key, value in example.call_arguments.items():
            if key in held:
                yield example.request, key, [value] if isinstance(value, str) else list(value)


def _word_start(text: str, value: str) -> int | None:
    """Where `value` first occurs in `text` at a word's start (after a space, a quote or
    a bracket), if it does."""
    start = text.find(value)
    while start > 0 and not (text[start - 1].isspace() or text[start - 1] in "`'\"([{"):
        start = text.find(value, start + 1)
    return start if start > 0 else None


def punctuated_arguments(
    examples: Sequence[RetrievedExample], held: Collection[str] | None = None
) -> tuple[str, ...]:
    """The held arguments (`copied_arguments`) whose shown copies end with the
    punctuation that ends a sentence: a question's "?" (Cline's `question`).

    A held value may otherwise end before such punctuation, as a path at a
    sentence's end should ("read src/app.py."); the model had asked "Is it
    fine to rename the contact table" without its "?" beside examples that
    each kept theirs. `held`: `copied_arguments(examples)`, if the caller has it.
    """
    held = set(copied_arguments(examples) if held is None else held)
    punctuated = {
        key
        for example in examples
        if example.call_name
        for key, value in example.call_arguments.items()
        if key in held and isinstance(value, str) and value[-1:] in (".", "!", "?")
    }
    return tuple(sorted(punctuated))


def composed_arguments(
    examples: Sequence[RetrievedExample], literals: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The string arguments that most shown calls giving them did not copy from their
    requests: "pip install structlog" for "use pip to install structlog", a SEARCH/REPLACE
    block, an explanation.

    The copy bias still favours the request's words in them, but not ending
    where a copied span ends: the model had closed "get polars installed with
    pip" as `"command":"pip"`, pushed to stop at the request's last word. A
    value that is the examples' own start and then the request's words
    (Cursor's "To answer: <the question>", `example_literals`) is a copy.
    `literals`: `example_literals(examples)`, if the caller has it.
    """
    if literals is None:
        literals = example_literals(examples)
    starts = {key: _template(literal) for key, literal in literals.items()}
    composed: Counter[str] = Counter()
    given: Counter[str] = Counter()
    for example in examples:
        if not example.call_name:
            continue
        for key, value in example.call_arguments.items():
            if isinstance(value, str) and any(char.isalnum() for char in value):
                start = starts.get(key, "")
                rest = value[len(start) :] if start and value.startswith(start) else value
                given[key] += 1
                composed[key] += rest not in example.request
    return tuple(sorted(key for key, count in composed.items() if 2 * count > given[key]))


def _template(literal: str) -> str:
    """The text a string's literal start (`"To answer: `, no closing quote) stands for."""
    if not literal.startswith('"'):
        return ""  # a boolean
    try:
        json.loads(literal)
        return ""  # a whole value (`"."`), not a start
    except ValueError:
        return str(json.loads(literal + '"'))


def shown_arguments(examples: Sequence[RetrievedExample]) -> dict[str, set[str]]:
    """Per tool, the arguments that its shown calls give (a negative's corrected call
    counts).

    The generation schema leaves out the tool's other optional arguments
    (`call_schema`): the model has no example of what goes there, and had
    filled them with words the request meant for others (Cline's `file_pattern`
    "setTimeout(" beside the regex "setTimeout(") or with a number as long as the
    grammar allowed (Copilot's `maxResults` 10000000000000000000). An optional
    argument the request names the kind of (a glob, a folder) has its example
    chosen for it (`choose_examples`, `wanted_shapes`).
    """
    given: dict[str, set[str]] = {}
    for example in examples:
        if example.call_name:
            given.setdefault(example.call_name, set()).update(example.call_arguments)
    return given


def arguments_given_together(
    examples: Sequence[RetrievedExample], tools: Sequence[ToolSpec]
) -> dict[str, list[tuple[str, ...]]]:
    """Per tool, its optional arguments that the shown calls gave all or none of, in
    groups of two or more (Cline's `start_line` and `end_line`, Cursor's `offset` and
    `limit`): at most `MAX_ARGUMENT_GROUPS` groups, each in the tool's order.

    The generation schema asks for a group whole or not at all (`call_schema`): the
    model had read "Lines 333 to 353 of src/quiz_repository.cpp?" with `end_line` 353
    and no `start_line`, beside examples that each gave both, so the file would have
    been read from its first line.
    """
    groups: dict[str, list[tuple[str, ...]]] = {}
    for tool in tools:
        calls = [e.call_arguments for e in examples if e.call_name == tool.name]
        properties = tool.parameters.get("properties")
        if not calls or not isinstance(properties, dict):
            continue
        by_calls: dict[tuple[bool, ...], list[str]] = {}
        for key in properties:
            given = tuple(key in call for call in calls)
            if key not in tool.required and any(given):
                by_calls.setdefault(given, []).append(key)
        found = [tuple(keys) for keys in by_calls.values() if len(keys) > 1]
        if 0 < len(found) <= MAX_ARGUMENT_GROUPS:
            groups[tool.name] = found
    return groups


def _without(
    given: Mapping[str, set[str]], left_out: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    return {tool: keys - left_out.get(tool, set()) for tool, keys in given.items()}


def non_empty_lists(examples: Sequence[RetrievedExample]) -> dict[str, set[str]]:
    """Per tool, the list arguments that every shown call of it gives with items.

    The generation schema asks for at least one item there (`call_schema`): the
    model had answered "scan http://localhost:8000/api/x for ..." with `"urls":[]`
    next to examples that each listed their request's URL.
    """
    lists: dict[tuple[str, str], bool] = {}
    for example in examples:
        if not example.call_name:
            continue
        for key, value in example.call_arguments.items():
            if isinstance(value, list):
                slot = (example.call_name, key)
                lists[slot] = lists.get(slot, True) and bool(value)
    by_tool: dict[str, set[str]] = {}
    for (tool, key), filled in lists.items():
        if filled:
            by_tool.setdefault(tool, set()).add(key)
    return by_tool


def named_lists(examples: Sequence[RetrievedExample], query: str) -> dict[str, set[str]]:
    """Per tool, the list arguments whose items, in every shown call giving them, were
    words of one shape (files, folders...) that the request names one of.

    An optional list left empty is the tool's "all": Copilot's `get_errors` answered
    "Show the warnings in packages/project/src/index.ts" with `"filePaths":[]`, the whole
    workspace, beside examples that each listed their request's file. The generation
    schema asks for at least one item there (`call_schema`); a request naming no file
    may still leave it empty or out, as the examples without it did.
    """
    shapes: dict[tuple[str, str], set[str | None]] = {}
    for example in examples:
        if not example.call_name:
            continue
        for key, value in example.call_arguments.items():
            if isinstance(value, list):
                found = shapes.setdefault((example.call_name, key), set())
                items = value if _is_string_list(value) else [None]
                found.update(
                    _name_shape(item) if item and len(item.split()) == 1 else None for item in items
                )
    named = request_shapes(query)
    by_tool: dict[str, set[str]] = {}
    for (tool, key), found in shapes.items():
        if len(found) == 1 and next(iter(found)) in named:
            by_tool.setdefault(tool, set()).add(key)
    return by_tool


def _is_string_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _examples_own_words(text: str, requests: Sequence[str]) -> str:
    """`text`'s words up to the first that begins a word of one of the requests."""
    end = 0
    for word in re.finditer(r"\S+\s*", text):
        at_word_start = re.compile(rf"(?:^|[\s`'\"(]){re.escape(word.group().rstrip())}")
        if any(at_word_start.search(request) for request in requests):
            break
        end = word.end()
    return text[:end]


def _shared_start(values: Sequence[str]) -> str:
    """The values themselves when all are equal, else their common start up to its last space."""
    shared = os.path.commonprefix(list(values))
    if all(value == shared for value in values):
        return shared
    cut = max(shared.rfind(" "), shared.rfind("\n"))
    return shared[: cut + 1] if cut >= 0 else ""


def _prompt_example(example: RetrievedExample) -> PromptExample:
    return PromptExample(
        request=example.request,
        call_name=example.call_name,
        call_arguments=example.call_arguments,
        kind=example.kind,
        wrong_call_name=example.wrong_call_name,
        wrong_call_arguments=example.wrong_call_arguments,
        error_description=example.error_description,
    )


class ToolAwarePromptBuilder:
    def __init__(
        self,
        retrieval: RetrievalClient,
        tokenizer: ChatTokenizer,
        context_window: int,
        candidate_tools: int = 3,
        dominant_tool_share: float = DOMINANT_TOOL_SHARE,
        router_confidence: float = ROUTER_CONFIDENCE,
        example_token_budget: int = 300,
        weights: DetectorWeights | None = None,
        use_reference: bool = True,
    ) -> None:
        self._retrieval = retrieval
        self._tokenizer = tokenizer
        self._context_window = context_window
        self._candidate_tools = candidate_tools
        self._dominant_tool_share = dominant_tool_share
        self._router_confidence = router_confidence
        self._example_token_budget = example_token_budget
        self._weights = weights or DetectorWeights()
        self._use_reference = use_reference

    # -- the seed's four methods ---------------------------------------------

    def detect_tool_need(self, query: str, top_similarity: float | None = None) -> ToolNeed:
        score, reasons = rule_evidence(query, self._weights)
        return decide(score, reasons, top_similarity, self._weights)

    async def retrieve_tool_examples(
        self, query: str, likely_tools: Sequence[str], ecosystem: str, max_examples: int = 3
    ) -> ToolExamples:
        """Examples and candidate tools of the caller's ecosystem, ranked and chosen."""
        search = await self._retrieval.search(
            query,
            ecosystem,
            SEARCH_DEPTH,
            include_negatives=True,
            rank_tools=self._router_confidence < 1.0,
        )
        catalog = await self._retrieval.catalog(search.ecosystem, search.version)
        ranked = rank_examples(search.examples, catalog.version)
        likelihoods = search.tool_likelihoods
        if likely_tools:
            ranked = [e for e in ranked if e.tool_name in likely_tools] or ranked
            likelihoods = [(t, p) for t, p in likelihoods if t in likely_tools]
        known = set(catalog.tool_names)
        dominant = routed_tool(likelihoods, known, self._router_confidence) or dominant_tool(
            ranked, known, self._dominant_tool_share
        )
        if dominant:
            own = [e for e in ranked if e.tool_name == dominant]
            if not any(e.kind == "positive" for e in own):
                # The router's tool had no example among the nearest: fetch its own.
                own = await self._examples_of(
                    query, search.ecosystem, dominant, max_examples + 1, catalog.version
                )
            ranked = own or ranked
        # The detector's weights were fitted on the best cosine among the examples
        # chosen by rank alone (bench/detection.py); looking for calls not shown yet
        # must not move that evidence.
        by_rank, _ = choose_examples(ranked, max_examples, known, distinct_calls=False)
        nearest = max((e.score for e in by_rank if e.kind == "positive"), default=None)
        wanted = request_shapes(query)
        examples, tool_names = choose_examples(ranked, max_examples, known, wanted_shapes=wanted)
        lacking = _repeats_a_call(examples) or _missing_shapes(wanted, examples)
        if dominant and lacking and catalog.tool(dominant).properties:
            # Phrasings of one call crowd the nearest examples in a large store:
            # look deeper among the tool's own for calls not shown yet, or for one
            # showing the request's kind of name (a tool without arguments has
            # only the one call, and skips the search).
            deeper = await self._examples_of(
                query, search.ecosystem, dominant, DISTINCT_CALL_DEPTH, catalog.version
            )
            if deeper:
                examples, tool_names = choose_examples(
                    deeper, max_examples, known, wanted_shapes=wanted
                )
        tools = [catalog.tool(name) for name in tool_names[: self._candidate_tools]]
        return ToolExamples(search.ecosystem, catalog, examples, tools, nearest)

    async def _examples_of(
        self, query: str, ecosystem: str, tool: str, limit: int, catalog_version: str
    ) -> list[RetrievedExample]:
        """The nearest examples of one tool, ranked."""
        search = await self._retrieval.search(
            query, ecosystem, limit, include_negatives=True, tool_names=(tool,)
        )
        return rank_examples(search.examples, catalog_version)

    def _recent_turns(self, history: Sequence[dict[str, str]], budget: int) -> list[dict[str, str]]:
        """The newest turns whose text alone fits `budget` tokens: older ones can never fit,
        and dropping them one re-tokenised prompt at a time had taken minutes for a long
        conversation."""
        kept: list[dict[str, str]] = []
        tokens = 0
        for turn in reversed(history):
            tokens += self._tokenizer.count(turn["content"])
            if tokens > budget:
                break
            kept.append(turn)
        return kept[::-1]

    def format_tool_aware_prompt(
        self,
        query: str,
        examples: Sequence[RetrievedExample],
        tools: Sequence[ToolSpec],
        history: Sequence[dict[str, str]] = (),
        references: Sequence[str] = (),
        max_prompt_tokens: int = 0,
    ) -> tuple[list[dict[str, str]], list[int], list[RetrievedExample], list[ToolSpec], int, int]:
        """Messages within the budget; drops what matters least until they fit.

        Order of sacrifice: reference snippets, the negative example, the
        worst-ranked positive examples (not the only one showing a kind of thing
        the request has, `request_shapes`: an example made for pasted code is
        long, and as the worst-ranked it had been the first to go), extra
        candidate tools, the oldest history turns. The request itself is never
        cut: if it alone does not fit, the caller gets INVALID_ARGUMENT saying by
        how much.
        """
        budget = max_prompt_tokens or self._context_window
        wanted = request_shapes(query)
        examples = list(examples)
        tools = list(tools)
        history = self._recent_turns(history, budget)
        references = list(references)
        while True:
            prompt_examples = [_prompt_example(e) for e in examples]
            prompt_tools = [PromptTool(t.name, t.description, t.parameters) for t in tools]
            request = query
            if references:
                request = "Context:\n" + "\n---\n".join(references) + f"\n\nRequest: {query}"
            messages = build_messages(request, prompt_tools, prompt_examples, history)
            ids = self._tokenizer.chat_ids(messages)
            example_tokens = (
                self._tokenizer.count(render_examples_section(prompt_examples)) if examples else 0
            )
            if len(ids) <= budget and example_tokens <= self._example_token_budget:
                schema_tokens = (
                    self._tokenizer.count(render_tools_section(prompt_tools)) if tools else 0
                )
                return messages, ids, examples, tools, example_tokens, schema_tokens
            if references:
                references.pop()
            elif any(e.kind == "negative" for e in examples):
                examples = [e for e in examples if e.kind != "negative"]
            elif len(examples) > 1:
                examples.pop(_least_needed(examples, wanted))
            elif len(tools) > 1:
                tools.pop()
            elif history:
                history.pop(0)
            elif examples and len(ids) > budget:
                examples.pop()
            elif tools and len(ids) > budget:
                tools.pop()
            elif len(ids) <= budget:
                # Over the example budget with one example left: keep it.
                schema_tokens = (
                    self._tokenizer.count(render_tools_section(prompt_tools)) if tools else 0
                )
                return messages, ids, examples, tools, example_tokens, schema_tokens
            else:
                raise InvalidArgumentError(
                    f"the request needs {len(ids)} prompt tokens but the budget is {budget} "
                    "(context window minus the tokens reserved for the answer); shorten the "
                    "request or raise the budget"
                )

    async def augment_with_tools(self, query: str, options: BuildOptions) -> BuiltPrompt:
        """The entry point: a prompt with tool examples when the request needs a tool."""
        if not query.strip():
            raise InvalidArgumentError("query is empty")
        budget = options.max_prompt_tokens or (self._context_window - options.generation_reserve)
        if budget <= 0:
            raise InvalidArgumentError(
                f"no room for a prompt: the context window is {self._context_window} tokens and "
                f"{options.generation_reserve} are reserved for the answer"
            )
        started = time.perf_counter()
        rule_score, reasons = rule_evidence(query, self._weights)
        detect_ms = (time.perf_counter() - started) * 1000
        wants_examples = options.max_examples > 0
        consult = options.tool_choice == "required" or (
            options.tool_choice == "auto" and rule_score > self._weights.low
        )
        need: ToolNeed | None = None
        ecosystem, catalog, examples, tools = options.ecosystem, None, [], []
        retrieve_ms = 0.0
        if options.tool_choice != "none" and consult:
            started = time.perf_counter()
            found = await self.retrieve_tool_examples(
                query, (), options.ecosystem, max(options.max_examples, 1)
            )
            ecosystem, catalog, examples, tools = (
                found.ecosystem,
                found.catalog,
                found.examples,
                found.tools,
            )
            retrieve_ms = (time.perf_counter() - started) * 1000
            need = decide(
                rule_score,
                reasons,
                found.nearest_score
                if needs_retrieval_evidence(rule_score, self._weights)
                else None,
                self._weights,
            )
        elif options.tool_choice != "none":
            need = decide(rule_score, reasons, None, self._weights)
        tool_detected = options.tool_choice == "required" or bool(need and need.needs_tool)
        if not tool_detected:
            examples, tools = [], []
        elif not wants_examples:
            examples = []
        started = time.perf_counter()
        # Reference snippets go to plain answers only: a tool request keeps
        # exactly the layout the adapter was trained on.
        references = (
            await self._references(query) if self._use_reference and not tool_detected else []
        )
        messages, ids, examples, tools, example_tokens, schema_tokens = (
            self.format_tool_aware_prompt(
                query, examples, tools, options.history, references, budget
            )
        )
        build_ms = (time.perf_counter() - started) * 1000
        return BuiltPrompt(
            messages=messages,
            prompt_ids=ids,
            tool_detected=tool_detected,
            need=need,
            ecosystem=ecosystem,
            catalog=catalog,
            examples=examples,
            tools=tools,
            call_schema=(
                call_schema(
                    tools,
                    non_empty_lists(examples),
                    _without(shown_arguments(examples), numbers_not_given(examples, tools, query)),
                    arguments_given_together(examples, tools),
                    named_lists(examples, query),
                )
                if tool_detected and tools
                else None
            ),
            copy_hints=copy_hints(examples) if tool_detected and tools else CopyHints(),
            prompt_tokens=len(ids),
            example_tokens=example_tokens,
            schema_tokens=schema_tokens,
            detect_ms=detect_ms,
            retrieve_ms=retrieve_ms,
            build_ms=build_ms,
        )

    async def _references(self, query: str) -> list[str]:
        """Reference snippets close enough to the request to be worth their tokens."""
        try:
            chunks = await self._retrieval.reference(query, limit=1, threshold=REFERENCE_THRESHOLD)
        except Exception:  # noqa: BLE001 - reference context is optional, never fatal
            return []
        return [chunk.text for chunk in chunks]


def schema_json(schema: dict[str, Any] | None) -> str:
    return json.dumps(schema, separators=(",", ":")) if schema else ""
