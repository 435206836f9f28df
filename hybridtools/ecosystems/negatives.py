"""Wrong calls, each wrong in one named way, for the negative examples.

The mistakes are the ones a small model makes when it mixes ecosystems up or
guesses: another IDE's tool name or argument name for the same job, a missing
required argument, an invented tool, a value of the wrong type, a tool call
where none is needed. Each description is the message `calls.validate_call`
gives for it (or says why no tool is needed), so `validation` can check every
negative is wrong in exactly the way it says.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hybridtools.ecosystems.bindings import BINDINGS, Binding
from hybridtools.ecosystems.catalog import Catalog
from hybridtools.ecosystems.intents import Slots
from hybridtools.ecosystems.schemas import split_identifier

ERROR_TYPES = (
    "wrong_tool_name",
    "wrong_argument_name",
    "missing_required_argument",
    "invented_tool",
    "wrong_argument_type",
    "no_tool_needed",
)
ERROR_WEIGHTS = (25, 25, 20, 10, 10, 10)
NO_TOOL_DESCRIPTION = "no tool is needed: answer in plain text"

_ALL_BUILTIN_TOOL_NAMES = frozenset(
    binding.tool for bindings in BINDINGS.values() for binding in bindings
)
_VERB_SWAPS = {
    "read": ("open", "view", "load", "cat"),
    "run": ("exec", "execute", "shell"),
    "execute": ("run", "exec"),
    "create": ("make", "new", "add"),
    "search": ("find", "lookup"),
    "list": ("show", "enumerate"),
    "edit": ("modify", "change", "patch"),
    "get": ("fetch", "retrieve", "read"),
    "fetch": ("get", "download", "load"),
    "write": ("save", "put"),
    "replace": ("substitute", "swap"),
    "delete": ("remove", "rm"),
    "view": ("show", "display"),
    "update": ("set", "modify"),
    "add": ("append", "insert"),
    "apply": ("run", "use"),
    "manage": ("update", "set"),
    "install": ("add", "setup"),
    "web": ("internet", "online"),
    "file": ("find", "locate"),
    "grep": ("rg", "search_text"),
    "ls": ("dir", "list_directory"),
    "semantic": ("smart", "ai"),
    "codebase": ("code", "repo"),
}
_GENERIC_INVENTED = (
    "open_file",
    "run_shell",
    "search_code",
    "shell",
    "editor_apply",
    "fs_read",
    "terminal_run",
    "find_in_files",
    "browse_web",
    "http_get",
    "make_file",
    "exec_command",
    "code_search",
)
_ARGUMENT_SYNONYMS = {
    "filepath": ("path", "file", "file_path", "filePath", "target_file"),
    "path": ("filepath", "file_path", "file", "dir"),
    "filePath": ("path", "file_path", "filepath", "target_file"),
    "target_file": ("path", "filepath", "file"),
    "command": ("cmd", "shell_command", "script"),
    "query": ("q", "search", "search_term", "text"),
    "pattern": ("glob", "query", "regex"),
    "url": ("link", "href", "uri"),
    "content": ("contents", "text", "body"),
    "contents": ("content", "text", "body"),
}
_JSON_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


@dataclass(frozen=True)
class WrongCall:
    name: str
    arguments: dict[str, Any]
    error_type: str
    description: str


def wrong_call(
    rng: random.Random,
    error_type: str,
    catalog: Catalog,
    binding: Binding,
    slots: Slots,
    arguments: dict[str, Any],
) -> WrongCall | None:
    """A call for the same request that is wrong as `error_type` says; None when this
    tool offers no such mistake (no required argument to drop, say)."""
    maker = {
        "wrong_tool_name": _other_ide_tool,
        "wrong_argument_name": _wrong_argument_name,
        "missing_required_argument": _missing_required,
        "invented_tool": _invented_tool,
        "wrong_argument_type": _wrong_type,
    }[error_type]
    return maker(rng, catalog, binding, slots, arguments)


def misused_tool_call(catalog: Catalog, request: str) -> WrongCall | None:
    """A schema-valid call of a search-like tool for a request that needs no tool."""
    for tool in _search_like_first(catalog):
        string_parameters = [
            name for name, schema in tool.properties.items() if schema.get("type") == "string"
        ]
        candidates = [name for name in tool.required if name in string_parameters]
        if len(tool.required) != len(candidates) or not string_parameters:
            continue  # every required argument must be fillable with the request text
        targets = candidates or string_parameters[:1]
        text = request[: min(tool.properties[name].get("maxLength", 200) for name in targets)]
        return WrongCall(
            tool.name, {name: text for name in targets}, "no_tool_needed", NO_TOOL_DESCRIPTION
        )
    return None


def _other_ide_tool(
    rng: random.Random, catalog: Catalog, binding: Binding, slots: Slots, arguments: dict[str, Any]
) -> WrongCall | None:
    options = [
        (ecosystem, other)
        for ecosystem, bindings in BINDINGS.items()
        if ecosystem != catalog.ecosystem
        for other in bindings
        if other.intent == binding.intent and not catalog.has_tool(other.tool)
    ]
    if not options:
        return None
    ecosystem, other = rng.choice(options)
    return WrongCall(
        other.tool,
        other.build(slots),
        "wrong_tool_name",
        f"unknown tool '{other.tool}' ({ecosystem}'s name); here it is '{binding.tool}'",
    )


def _wrong_argument_name(
    rng: random.Random, catalog: Catalog, binding: Binding, slots: Slots, arguments: dict[str, Any]
) -> WrongCall | None:
    tool = catalog.tool(binding.tool)
    keys = [key for key in arguments if isinstance(arguments[key], str)] or list(arguments)
    if not keys:
        return None
    key = rng.choice(keys)
    candidates = [name for name in _other_names_for(binding, slots, arguments[key]) if name != key]
    candidates += list(_ARGUMENT_SYNONYMS.get(key, ())) + _case_variants(key)
    candidates = [name for name in dict.fromkeys(candidates) if name not in tool.properties]
    if not candidates:
        return None
    wrong = rng.choice(candidates)
    renamed = {(wrong if name == key else name): value for name, value in arguments.items()}
    return WrongCall(
        binding.tool,
        renamed,
        "wrong_argument_name",
        f"unknown argument '{wrong}'; {binding.tool} calls it '{key}'",
    )


def _missing_required(
    rng: random.Random, catalog: Catalog, binding: Binding, slots: Slots, arguments: dict[str, Any]
) -> WrongCall | None:
    required = [name for name in catalog.tool(binding.tool).required if name in arguments]
    if not required:
        return None
    dropped = rng.choice(required)
    return WrongCall(
        binding.tool,
        {name: value for name, value in arguments.items() if name != dropped},
        "missing_required_argument",
        f"missing required argument '{dropped}'",
    )


def _invented_tool(
    rng: random.Random, catalog: Catalog, binding: Binding, slots: Slots, arguments: dict[str, Any]
) -> WrongCall | None:
    words = split_identifier(binding.tool)
    candidates = [
        "_".join([swap, *words[1:]]) for swap in _VERB_SWAPS.get(words[0] if words else "", ())
    ]
    candidates += list(_GENERIC_INVENTED)
    candidates = [
        name
        for name in candidates
        if not catalog.has_tool(name) and name not in _ALL_BUILTIN_TOOL_NAMES
    ]
    if not candidates:
        return None
    # Prefer a name built from the right tool's own words: the plausible guess.
    name = (
        candidates[0]
        if len(candidates) > len(_GENERIC_INVENTED) and rng.random() < 0.7
        else (rng.choice(candidates))
    )
    return WrongCall(
        name, dict(arguments), "invented_tool", f"unknown tool '{name}'; use '{binding.tool}'"
    )


def _wrong_type(
    rng: random.Random, catalog: Catalog, binding: Binding, slots: Slots, arguments: dict[str, Any]
) -> WrongCall | None:
    tool = catalog.tool(binding.tool)
    typed = [
        name
        for name in arguments
        if tool.properties.get(name, {}).get("type")
        in ("boolean", "integer", "number", "array", "string")
    ]
    if not typed:
        return None
    # Non-string arguments first: a stringified boolean is the mistake the probe saw.
    non_strings = [name for name in typed if tool.properties[name]["type"] != "string"]
    name = rng.choice(non_strings or typed)
    expected = tool.properties[name]["type"]
    value = arguments[name]
    if expected == "boolean":
        wrong_value: Any = rng.choice((str(value).lower(), "yes" if value else "no"))
    elif expected in ("integer", "number"):
        wrong_value = str(value)
    elif expected == "array":
        wrong_value = ", ".join(str(item) for item in value) if value else ""
    else:
        wrong_value = [value]
    changed = dict(arguments) | {name: wrong_value}
    got = _JSON_TYPE_NAMES[type(wrong_value)]
    return WrongCall(
        binding.tool,
        changed,
        "wrong_argument_type",
        f"argument '{name}' should be {expected}, got {got}",
    )


def _other_names_for(binding: Binding, slots: Slots, value: Any) -> list[str]:
    """Argument names other ecosystems use for the same value of the same intent."""
    names: list[str] = []
    for bindings in BINDINGS.values():
        for other in bindings:
            if other.intent == binding.intent and other is not binding:
                names += [key for key, item in other.build(slots).items() if item == value]
    return names


def _case_variants(name: str) -> list[str]:
    words = split_identifier(name)
    if len(words) < 2:
        return [f"{name}s", f"target_{name}"]
    snake = "_".join(words)
    camel = words[0] + "".join(word.capitalize() for word in words[1:])
    return [variant for variant in (snake, camel) if variant != name]


def _search_like_first(catalog: Catalog) -> list[Any]:
    """Web search, then code search, then the rest: the tools a model reaches for when it
    should have just answered."""

    def rank(tool: Any) -> tuple[int, str]:
        name = tool.name.lower()
        if "search" in name and "web" in name:
            return 0, tool.name
        if "semantic" in name or "codebase" in name:
            return 1, tool.name
        if "search" in name or "query" in name:
            return 2, tool.name
        return 3, tool.name

    return sorted(catalog.tools, key=rank)
