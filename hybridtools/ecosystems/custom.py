"""Requests for tools known only by their definitions (a custom ecosystem, or a built-in
tool no hand-written intent covers).

From a tool's name (split into words: create_ticket, updateTicketStatus), its
description, and each parameter's name, type, enum, format, bounds and
default, this builds an `Intent` (a sampler of argument values and request
shapes) and a `Binding` (values to arguments), so the generator treats it like
any built-in intent. Required arguments are always said; optional ones
sometimes, and only when said do they appear in the call.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from hybridtools.ecosystems import shell_commands, vocabulary, web_vocabulary
from hybridtools.ecosystems.bindings import Binding
from hybridtools.ecosystems.catalog import ToolSpec
from hybridtools.ecosystems.intents import Intent, Slots
from hybridtools.ecosystems.schemas import split_identifier
from hybridtools.ecosystems.splits import Split, choose

_VERB_SYNONYMS = {
    "get": ("get", "fetch", "show", "pull up", "look up"),
    "fetch": ("fetch", "get", "retrieve"),
    "create": ("create", "open", "make", "file", "add"),
    "update": ("update", "change", "modify"),
    "delete": ("delete", "remove"),
    "remove": ("remove", "delete"),
    "list": ("list", "show", "give me"),
    "search": ("search", "find", "look for"),
    "find": ("find", "search for", "locate"),
    "add": ("add", "post", "put"),
    "assign": ("assign", "hand over", "give"),
    "link": ("link", "connect"),
    "log": ("log", "record", "track"),
    "send": ("send", "dispatch"),
    "close": ("close", "resolve"),
    "set": ("set", "change"),
    "run": ("run", "execute", "start"),
    "book": ("book", "reserve"),
    "schedule": ("schedule", "plan"),
    "cancel": ("cancel", "call off"),
    "convert": ("convert", "change"),
}
_PERSON_WORDS = {
    "assignee",
    "user",
    "username",
    "owner",
    "author",
    "reviewer",
    "reporter",
    "person",
}
_TEXT_WORDS = {
    "description",
    "body",
    "comment",
    "text",
    "message",
    "note",
    "content",
    "details",
    "reason",
    "summary",
}
_TITLE_WORDS = {"title", "subject", "headline", "name"}
_QUERY_WORDS = {"query", "search", "keyword", "keywords", "term", "filter", "q"}
_PROJECT_KEYS = (
    "WEB",
    "OPS",
    "API",
    "INFRA",
    "MOB",
    "DATA",
    "SEC",
    "PAY",
    "CORE",
    "DOCS",
    "GROW",
    "PLAT",
)
_USERNAMES = (
    "maria.lopez",
    "dev.kim",
    "sam.okafor",
    "li.wei",
    "anna.schmidt",
    "raj.patel",
    "tom.nguyen",
    "fatima.ali",
    "jonas.berg",
    "chloe.martin",
    "ivan.petrov",
    "aisha.bello",
    "lucas.silva",
    "emma.wright",
)
_TITLES = (
    "Login page times out on Safari",
    "Export to CSV drops the last row",
    "Dark mode toggle does not persist",
    "Checkout fails for EUR cards",
    "Search results are not paginated",
    "Upgrade the Node runtime to 22",
    "Password reset email never arrives",
    "Dashboard loads slowly for large teams",
    "Add SSO login for enterprise accounts",
    "Crash when uploading HEIC photos",
    "Broken link in the onboarding email",
    "Rate limit the public API",
)
_SENTENCES = (
    "Steps: open the app, log in, click Export; nothing happens.",
    "Customers in Germany see the wrong VAT rate since Monday.",
    "Reproduced on staging with a fresh account.",
    "The fix is deployed, waiting for confirmation from support.",
    "Blocked until the payments team ships the new API.",
    "Happens only on mobile, about one time in five.",
    "Root cause was a missing index on the orders table.",
    "Please double-check the copy with the design team.",
    "Moved to next sprint after the planning meeting.",
)
_QUERIES = (
    "login timeout",
    "payment failed",
    "dark mode",
    "csv export",
    "slow dashboard",
    "password reset",
    "safari crash",
    "sso",
    "api rate limit",
    "upload error",
    "email bounce",
    "mobile layout",
)
_TAGS = (
    "bug",
    "frontend",
    "backend",
    "regression",
    "urgent",
    "ux",
    "performance",
    "security",
    "customer",
    "infra",
    "docs",
    "mobile",
)
_CITIES = ("Berlin", "Lisbon", "Nairobi", "Toronto", "Osaka", "Austin", "Melbourne", "Lyon")
# Request shapes, {verb} {object} {args}: commands (phrasing may wrap them politely) and asks.
_SHAPES = (
    "{verb} {article}{object}, {args}",
    "{verb} {article}{object}: {args}",
    "{verb} {object} - {args}",
    "{description}: {args}",
    "use {tool} with {args}",
    "{verb} {article}{object} ({args})",
    "{description} ({args})",
    "{verb} {object}; {args}",
)
_ASK_SHAPES = (
    "can you {verb} {article}{object}? {args}",
    "I need to {verb} {article}{object}, {args}",
    "could you {verb} {article}{object} ({args})?",
    "is it possible to {verb} {article}{object}? {args}",
    "we should {verb} {article}{object}: {args}",
)
_NO_ARGUMENT_SHAPES = (
    "{verb} {article}{object}",
    "{description}",
    "use {tool}",
    "{verb} {object} now",
    "go {verb} {article}{object}",
)
_NO_ARGUMENT_ASKS = (
    "can you {verb} {article}{object}?",
    "I want to {verb} {article}{object}",
    "could you {verb} {article}{object}?",
    "is it possible to {verb} {article}{object}?",
    "we should {verb} {article}{object}",
)


def synthesized_binding(tool: ToolSpec, weight: float = 1.0) -> tuple[Intent, Binding]:
    """An intent and a binding for `tool` built from its definition alone."""
    key = f"custom:{tool.name}"
    intent = Intent(
        key=key,
        usage_pattern=_usage_pattern(tool),
        commands=_SHAPES if tool.properties else _NO_ARGUMENT_SHAPES,
        asks=_ASK_SHAPES if tool.properties else _NO_ARGUMENT_ASKS,
        sample=lambda rng, split: _sample(tool, rng, split),
    )
    binding = Binding(tool.name, key, lambda slots: dict(slots["arguments"]), weight)
    return intent, binding


def _usage_pattern(tool: ToolSpec) -> str:
    words = split_identifier(tool.name)
    return " ".join(words) if words else tool.name


def _sample(tool: ToolSpec, rng: random.Random, split: Split) -> Slots:
    words = split_identifier(tool.name)
    verb_word, object_words = (words[0], words[1:]) if len(words) > 1 else ("use", words)
    verb = rng.choice(_VERB_SYNONYMS.get(verb_word, (verb_word,)))
    object_text = " ".join(object_words) or tool.name
    arguments: dict[str, Any] = {}
    phrases: list[str] = []
    said = [name for name in tool.properties if name in tool.required or rng.random() < 0.4]
    if not said and tool.properties:
        # A shape with no arguments to say would read "create a ticket: ".
        said = [rng.choice(list(tool.properties))]
    for name in said:
        schema = tool.properties[name]
        value = _value(rng, split, name, schema, object_words)
        arguments[name] = value
        phrases.append(_say(rng, name, schema, value, object_words))
    rng.shuffle(phrases)
    description = tool.description.split(". ")[0].rstrip(".") or f"{verb} {object_text}"
    article = (
        "" if object_text.endswith("s") or not object_words else rng.choice(("a ", "the ", ""))
    )
    return {
        "verb": verb,
        "object": object_text,
        "article": article,
        "description": description[0].lower() + description[1:],
        "tool": tool.name,
        "args": _join(rng, phrases),
        "arguments": arguments,
    }


def _join(rng: random.Random, phrases: list[str]) -> str:
    if len(phrases) <= 1:
        return "".join(phrases)
    separator = rng.choice((", ", "; ", ", "))
    return separator.join(phrases[:-1]) + rng.choice((" and ", ", ")) + phrases[-1]


def _label(name: str, object_words: list[str]) -> str:
    words = split_identifier(name)
    if len(words) > 1 and words[-1] in ("id", "key", "ids"):
        words = words[:-1] or words
    return " ".join(words)


def _say(rng: random.Random, name: str, schema: dict[str, Any], value: Any, obj: list[str]) -> str:
    label = _label(name, obj)
    kind = schema.get("type")
    if kind == "boolean":
        if value:
            return rng.choice(
                (f"with {label} on", f"{label}: yes", f"and {label}", f"{label} true")
            )
        return rng.choice((f"without {label}", f"{label} off", f"{label}: no", f"{label} false"))
    if kind == "array":
        text = ", ".join(str(item) for item in value)
        return rng.choice((f"{label} {text}", f"{label}: {text}", f"with {label} {text}"))
    text = str(value)
    if kind == "string" and set(split_identifier(name)) & (_TEXT_WORDS | _TITLE_WORDS):
        return rng.choice((f'{label} "{text}"', f"{label}: {text}", f'with {label} "{text}"'))
    return rng.choice(
        (f"{label} {text}", f"{label}: {text}", f"with {label} {text}", f"{label} set to {text}")
    )


def _value(
    rng: random.Random, split: Split, name: str, schema: dict[str, Any], obj: list[str]
) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    words = set(split_identifier(name))
    if kind == "boolean":
        default = schema.get("default")
        # Saying the default is rarely worth a word: mostly ask for the other value.
        return (
            (not default)
            if isinstance(default, bool) and rng.random() < 0.8
            else rng.random() < 0.5
        )
    if kind in ("integer", "number"):
        return _number(rng, words, schema)
    if kind == "array":
        items = schema.get("items") or {"type": "string"}
        count = rng.randint(1, min(3, schema.get("maxItems", 3)))
        values: list[Any] = []
        for _ in range(count * 3):
            item = _value(rng, split, name.rstrip("s"), items, obj)
            if item not in values:
                values.append(item)
            if len(values) == count:
                break
        return values
    if kind == "object":
        return {
            key: _value(rng, split, key, sub, obj)
            for key, sub in (schema.get("properties") or {}).items()
            if key in (schema.get("required") or ())
        }
    return _text(rng, split, words, schema)[: schema.get("maxLength", 1000)]


def _number(rng: random.Random, words: set[str], schema: dict[str, Any]) -> int:
    low, high = 1, 100
    if words & {"minutes", "minute", "duration"}:
        low, high = 15, 240
    elif words & {"port"}:
        low, high = 3000, 9000
    elif words & {"year"}:
        low, high = 2020, 2026
    elif words & {"page"}:
        low, high = 1, 20
    low = max(low, int(schema.get("minimum", low)))
    high = min(high, int(schema.get("maximum", high)))
    value = rng.randint(low, max(low, high))
    default = schema.get("default")
    return value + 1 if value == default and value + 1 <= max(low, high) else value


def _text(rng: random.Random, split: Split, words: set[str], schema: dict[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date" or words & {"date", "due", "deadline", "since", "until", "day"}:
        day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 360))
        return day.isoformat()
    if fmt == "email" or "email" in words:
        return f"{choose(rng, _USERNAMES, 'custom:users', split)}@example.com"
    if fmt == "uri" or words & {"url", "link", "href", "uri", "endpoint"}:
        return web_vocabulary.url(rng, split)
    if words & {"id", "key", "ids"}:
        return f"{choose(rng, _PROJECT_KEYS, 'custom:projects', split)}-{rng.randint(10, 9999)}"
    if words & {"project", "team", "board", "space", "queue"}:
        return choose(rng, _PROJECT_KEYS, "custom:projects", split)
    if words & _PERSON_WORDS:
        return choose(rng, _USERNAMES, "custom:users", split)
    if words & _TITLE_WORDS:
        return choose(rng, _TITLES, "custom:titles", split)
    if words & _TEXT_WORDS:
        return choose(rng, _SENTENCES, "custom:sentences", split)
    if words & _QUERY_WORDS:
        return choose(rng, _QUERIES, "custom:queries", split)
    if words & {"label", "labels", "tag", "tags", "category"}:
        return choose(rng, _TAGS, "custom:tags", split)
    if words & {"path", "file", "filepath", "filename"}:
        return vocabulary.any_file_path(rng, split)
    if words & {"dir", "directory", "folder"}:
        return vocabulary.directory(rng, split)
    if words & {"command", "cmd"}:
        return shell_commands.command(rng, split).command
    if words & {"city", "location", "place"}:
        return choose(rng, _CITIES, "custom:cities", split)
    if words & {"time"}:
        return f"{rng.randint(8, 18):02d}:{rng.choice((0, 15, 30, 45)):02d}"
    if words & {"version"}:
        return f"{rng.randint(0, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    if words & {"language", "lang", "locale"}:
        return rng.choice(("en", "de", "fr", "es", "pt", "ja"))
    return choose(rng, _QUERIES, "custom:queries", split)
