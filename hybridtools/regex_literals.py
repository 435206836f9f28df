"""A literal search term written as a ripgrep regex.

Shared by the example generator (the calls it indexes escape their terms so)
and the inference service (a copied term that does not compile is escaped the
same way, inference_svc/regex_values.py), which must not load the generator's
vocabularies to do it.
"""

from __future__ import annotations

import re


def regex_literal(text: str) -> str:
    """A literal search term as a ripgrep regex: only characters that would change the
    meaning or break the pattern are escaped (a dot is left, as people write it)."""
    return re.sub(r"([()\[\]{}*+?|^$\\])", r"\\\1", text)
