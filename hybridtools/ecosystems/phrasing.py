"""Turning a request template and its values into the words a person would type.

A template is either a command ("open {path}"), which can be wrapped politely,
made terse or given a lead-in, or an ask ("what's in {path}?"), which is used
as written. Typos touch only the template's own words, never a value: the
model must learn to copy values exactly, so the values it copies are exact.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from hybridtools.ecosystems import vocabulary
from hybridtools.ecosystems.splits import Split, choose, split_by_position

_POLITE_PREFIXES = (
    "please ",
    "can you ",
    "could you ",
    "would you ",
    "hey, ",
    "pls ",
    "I need you to ",
    "go ahead and ",
    "quick one: ",
    "ok, now ",
    "let's ",
    "can u ",
    "kindly ",
    "next, ",
    "now ",
    "real quick, ",
    "mind if you ",
    "I'd like you to ",
    "help me ",
    "time to ",
)
_QUESTION_PREFIXES = ("can you ", "could you ", "would you ", "can u ")
_SUFFIXES = (
    "",
    "",
    "",
    " please",
    " thanks",
    " for me",
    ", thx",
    " when you get a chance",
    " asap",
    " real quick",
    " pls",
    ", thank you",
    " now",
    " again",
)
_LEAD_INS = (
    "I'm working on the §e feature. ",
    "Before I push: ",
    "Debugging something. ",
    "While you're at it, ",
    "The build is red. ",
    "Quick context: this is the §e module. ",
    "For the §e ticket, ",
    "Context: refactoring §s. ",
    "One more thing: ",
    "Following up: ",
    "Reviewing a PR for §s. ",
    "Trying to fix a bug in §e handling. ",
)
# How often each style is used for command templates.
_STYLE_WEIGHTS = {"plain": 40, "polite": 28, "terse": 10, "lead_in": 10, "typo": 12}
QUALITY_BY_STYLE = {
    "plain": 1.0,
    "ask": 1.0,
    "polite": 0.95,
    "lead_in": 0.9,
    "terse": 0.9,
    "typo": 0.8,
}
_WORD = re.compile(r"(\{[a-z_0-9]+\})|([A-Za-z]{4,})")


@dataclass(frozen=True)
class Phrased:
    text: str
    style: str  # a key of QUALITY_BY_STYLE


def phrase(
    rng: random.Random,
    template: str,
    values: Mapping[str, str],
    *,
    split: Split,
    ask: bool,
    code_slots: Collection[str] = (),
) -> Phrased:
    """The request for `template` filled with `values`, in a randomly chosen style."""
    style = "ask" if ask else rng.choices(list(_STYLE_WEIGHTS), list(_STYLE_WEIGHTS.values()))[0]
    if ask and rng.random() < 0.12:
        style = "typo"
    text = template
    if style == "typo":
        text = _add_typo(rng, text)
    elif style == "polite":
        text = _polite(rng, text, split)
    elif style == "terse":
        text = text.rstrip(".?!").lower() if "{" in text else text
    elif style == "lead_in":
        lead = vocabulary.fill(
            choose(rng, _LEAD_INS, "lead_ins", split), vocabulary.entity(rng, split)
        )
        text = lead + text
    if style != "terse" and text[:1].isalpha() and rng.random() < 0.5:
        text = text[0].upper() + text[1:]
    filled = {
        key: (f"`{value}`" if key in code_slots and rng.random() < 0.3 else value)
        for key, value in values.items()
    }
    return Phrased(text.format_map(filled), style)


def template_split(templates: tuple[str, ...]) -> dict[Split, tuple[str, ...]]:
    """Hand-written phrasings: every fifth one is reserved for held-out requests."""
    return split_by_position(templates)


def _polite(rng: random.Random, text: str, split: Split) -> str:
    prefix = choose(rng, _POLITE_PREFIXES, "polite_prefixes", split)
    suffix = choose(rng, _SUFFIXES, "suffixes", split)
    body = text.rstrip(".")
    if prefix in _QUESTION_PREFIXES:
        return f"{prefix}{body}{suffix}?"
    return f"{prefix}{body}{suffix}"


def _add_typo(rng: random.Random, text: str) -> str:
    """One typo in one of the template's own words (slots like {path} are skipped)."""
    words = [match for match in _WORD.finditer(text) if match.group(2)]
    if not words:
        return text
    match = rng.choice(words)
    word = match.group(2)
    position = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swap two letters
        typo = word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    elif kind == 1:  # drop a letter
        typo = word[:position] + word[position + 1 :]
    else:  # double a letter
        typo = word[:position] + word[position] + word[position:]
    return text[: match.start(2)] + typo + text[match.end(2) :]
