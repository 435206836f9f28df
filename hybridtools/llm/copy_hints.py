"""What the prompt's examples tell a constrained call about its argument values.

The inference service reads them off the shown examples (prompt_builder's
`copy_hints`); the local engine's copy bias acts on them
(hybridtools.llm.copying, ADR 0008). Kept apart from the bias so that
callers that only carry them (the backends' parameters) need no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CopyHints:
    # Argument -> the JSON text its value starts with in the shown examples: a
    # boolean (`false`), a whole string (`"."`) or a string's start (`"To answer: `,
    # no closing quote). Favoured at the value's start.
    literals: Mapping[str, str] = field(default_factory=dict)
    # Arguments whose values the shown examples all copied from their own requests:
    # held to a span of this request, not just favoured towards one.
    exact: tuple[str, ...] = ()
    # Arguments the shown examples mostly composed ("pip install x" for "install x
    # with pip"): the request's words are favoured, a copied span's end is not.
    composed: tuple[str, ...] = ()
    # Held arguments whose shown copies kept their sentence's closing punctuation
    # (a question's "?"): the held value keeps it too.
    punctuated: tuple[str, ...] = ()
