"""Which tool a request asks for: a linear classifier per indexed version.

Neighbours vote badly on tool choice: a short request about files lies near
examples of every file tool, and the 135M model, offered three tools, picks
a wrong one for about a third of requests (docs/claims.md). A classifier
learns which words and fragments tell one tool from another. Measured
offline on 240 held-out requests of the four built-in ecosystems over 1,000
indexed positives each (ADR 0009): the fused example ranking's vote put the
right tool first for 69%, this classifier for 82.5%, and among its first
three for 95%.

Features: the embedding of the request's *routing text* beside TF-IDF
weights of its character 2-4-grams within words (sublinear term frequency,
rows L2-normalised), so that "grep", "**/*.md" or "--stat" count
however the embedding places them, and of the *shape* of each word that
names something a tool reaches: a file (`Header.tsx`), a directory path
(`spec/models`), a glob, a URL. Fragments cannot tell `spec/models` from
`spec/models.rb`, and a held-out phrasing ("show me the folder spec/models")
had been sent to `read_file` with 0.9 confidence; the shapes put the right
tool first for 80.6% -> 83.6% of 800 held-out requests, 80.6% -> 84.5% on
another draw (seed 7), confidently-right share 89.0 -> 89.6% and 87.3 ->
90.3% (ad hoc, 2026-11-26; shape counts weigh 5, 3 gave about half the
gain, 10 the same). A fragment's column is its CRC-32 (stable across
processes).

The routing text (`routing_text`) is the request's first line with each such
word replaced by the plain word for its shape, and a pasted block by "code":
the embedding of the whole request is mostly its values (a path's words, a
pasted file), which say nothing of the tool; of its intent it keeps little.
Offline, the right tool first for 2,014 -> 2,057 of 2,400 held-out requests
(three draws; ADR 0009, amendment of 2026-11-27 evening), 2,094 with short
context sentences before the request left out (`hybridtools.word_shapes.
context_end`), 2,095 once a command's dot no longer ended such a sentence.

Multinomial logistic regression with an L2 penalty, fitted with L-BFGS on
torch (already the project's dependency) from the version's positive
examples and its catalog's tool descriptions (`training_rows`: a request
worded unlike every example may still share the IDE's own words for its
tool), after the swap has switched, so the swap does not wait for it
(15-16 s for 10K positives on one core in the retrieval benchmark, plus
embedding the routing texts that differ from their requests).

A router is a few MB of weights; it is kept in the store's metadata (so that
every replica of the service reads the same one) as base64 arrays, the
fragment weights in float16.
"""

from __future__ import annotations

import base64
import math
import warnings
import zlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from hybridtools.word_shapes import context_end, word_shape

# 2: word shapes among the fragments; 3: dotfiles and files named without an
# extension are files; 4: the embedding is the routing text's; 5: without context
# sentences, and a word's full stop is not part of its shape; 6: a context sentence
# ends after a word and quotes nothing ("go test ./... " is none); 7: fitted with the
# tools' descriptions too (a router of an older format is refitted at the next start
# or swap).
FORMAT = 7
# Inverse of the L2 penalty's strength, as scikit-learn's C (per example
# summed loss): 100 put the right tool first for 80-82% offline, 10 for 77%.
PENALTY_C = 100.0
# L-BFGS iterations: 40 gave the same held-out accuracy as 200 offline.
MAX_ITERATIONS = 60
GRAM_SIZES = (2, 3, 4)
# A word's shape counts as this many fragments: one is lost among a
# request's ~60 n-grams (half the gain at 3, the same at 10, offline).
SHAPE_WEIGHT = 5
# A tool's description is one more row of the fit, weighing this share of the
# tool's examples: it holds the IDE's own words for the tool, which a request
# worded unlike every example may share ("outline the workspace files" for
# Copilot's read_project_structure). Offline 2,096 -> 2,114 of 2,400 held-out
# requests right first (ADR 0009); 0.5 gave the same, 1.0 one fewer.
DESCRIPTION_SHARE = 0.25
# The plain word standing for a named thing in the routing text.
_SHAPE_WORDS = {"file": "file", "directory": "folder", "url": "link", "glob": "pattern"}


def routing_text(request: str) -> str:
    """The words of a request that tell its tool, for the router's embedding.

    "extend `src/app.py` with:\n<code>" -> "extend file with: code". Backticked
    commands and quoted strings stay: "run `pytest -q`" is told by its command
    (masking them too lost 33 of the 43 requests gained, offline). Up to two
    short sentences before the request proper that name nothing ("Context:
    refactoring billing. ", "Trying to fix a bug in quiz handling. ") are left
    out: they tell the task, not the tool.
    """
    first_line, _, rest = request.strip().partition("\n")
    first_line = first_line[context_end(first_line) :]
    words = [_SHAPE_WORDS.get(word_shape(word) or "", word) for word in first_line.split()]
    if rest.strip():
        words.append("code")
    return " ".join(words)


def _fragments(text: str) -> Counter[int]:
    """Character n-grams of each word padded with spaces, and word shapes, by CRC-32."""
    counts: Counter[int] = Counter()
    for word in text.split():
        padded = f" {word.lower()} "
        for size in GRAM_SIZES:
            for start in range(max(1, len(padded) - size + 1)):
                counts[zlib.crc32(padded[start : start + size].encode("utf-8"))] += 1
        shape = word_shape(word)
        if shape is not None:
            # A NUL keeps it apart from every n-gram of the text.
            counts[zlib.crc32(f"\0{shape}".encode())] += SHAPE_WEIGHT
    return counts


@dataclass(frozen=True)
class ToolRouter:
    """Tool probabilities for a request, from its text and its routing text's embedding."""

    tools: tuple[str, ...]
    columns: dict[int, int]  # fragment hash -> row of fragment_weights
    idf: np.ndarray  # [fragments]
    fragment_weights: np.ndarray  # [fragments, tools]
    embedding_weights: np.ndarray  # [dimension, tools]
    bias: np.ndarray  # [tools]

    def likelihoods(self, text: str, vector: Sequence[float]) -> list[tuple[str, float]]:
        """(tool, probability) for every tool, the likeliest first; `vector` embeds
        `routing_text(text)`."""
        logits = self.bias + np.asarray(vector, dtype=np.float32) @ self.embedding_weights
        rows, values = _fragment_row(_fragments(text), self.columns, self.idf)
        if len(rows):
            logits = logits + values @ self.fragment_weights[rows]
        logits = logits - logits.max()
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum()
        order = np.argsort(-probabilities, kind="stable")
        return [(self.tools[i], float(probabilities[i])) for i in order]

    def to_meta(self) -> dict[str, object]:
        columns = np.fromiter(self.columns, dtype=np.uint32, count=len(self.columns))
        return {
            "format": FORMAT,
            "tools": list(self.tools),
            "columns": _encode(columns),
            "idf": _encode(self.idf.astype(np.float32)),
            "fragment_weights": _encode(self.fragment_weights.astype(np.float16)),
            "embedding_weights": _encode(self.embedding_weights.astype(np.float32)),
            "bias": [float(b) for b in self.bias],
        }

    @classmethod
    def from_meta(cls, value: dict[str, object]) -> ToolRouter | None:
        """None for a router written in another format (refitted at the next swap)."""
        if value.get("format") != FORMAT:
            return None
        tools = tuple(value["tools"])  # type: ignore[arg-type]
        columns = _decode(value["columns"], np.uint32)
        return cls(
            tools=tools,
            columns={int(c): i for i, c in enumerate(columns)},
            idf=_decode(value["idf"], np.float32),
            fragment_weights=_decode(value["fragment_weights"], np.float16)
            .astype(np.float32)
            .reshape(len(columns), len(tools)),
            embedding_weights=_decode(value["embedding_weights"], np.float32).reshape(
                -1, len(tools)
            ),
            bias=np.asarray(value["bias"], dtype=np.float32),
        )


def _encode(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _decode(text: object, dtype: type) -> np.ndarray:
    return np.frombuffer(base64.b64decode(str(text)), dtype=dtype).copy()


def _fragment_row(
    fragments: Counter[int], columns: dict[int, int], idf: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A request's known fragments: their rows and normalised TF-IDF weights."""
    rows, values = [], []
    for fragment, count in fragments.items():
        row = columns.get(fragment)
        if row is not None:
            rows.append(row)
            values.append((1 + math.log(count)) * idf[row])
    rows_array = np.asarray(rows, dtype=np.int64)
    values_array = np.asarray(values, dtype=np.float32)
    norm = float(np.sqrt((values_array**2).sum())) if len(values) else 0.0
    return rows_array, values_array / norm if norm else values_array


def training_rows(
    requests: Sequence[str], tool_names: Sequence[str], descriptions: Mapping[str, str]
) -> tuple[list[str], list[str], list[float]]:
    """The fit's rows (texts, tools, weights): the positive examples' requests, one
    each, and the description of each tool they name, weighing `DESCRIPTION_SHARE`
    of that tool's examples."""
    counts = Counter(tool_names)
    described = [
        (description, name)
        for name, description in sorted(descriptions.items())
        if counts[name] and description.strip()
    ]
    return (
        [*requests, *(description for description, _ in described)],
        [*tool_names, *(name for _, name in described)],
        [1.0] * len(requests) + [DESCRIPTION_SHARE * counts[name] for _, name in described],
    )


def fit_tool_router(
    requests: Sequence[str],
    vectors: Sequence[Sequence[float]],
    tool_names: Sequence[str],
    penalty_c: float = PENALTY_C,
    max_iterations: int = MAX_ITERATIONS,
    weights: Sequence[float] | None = None,
) -> ToolRouter | None:
    """Fits a router on positive examples; None when they name fewer than two tools.

    `vectors` embed each request's `routing_text`, not the request. `weights`: how
    much each request counts in the loss (1 each when None), as scikit-learn's
    `sample_weight`.
    """
    import torch

    tools = tuple(sorted(set(tool_names)))
    if len(tools) < 2:
        return None
    columns: dict[int, int] = {}
    counted = [_fragments(text) for text in requests]
    for counts in counted:
        for fragment in counts:
            columns.setdefault(fragment, len(columns))
    document_frequency = np.zeros(len(columns), dtype=np.float64)
    for counts in counted:
        for fragment in counts:
            document_frequency[columns[fragment]] += 1
    total = len(requests)
    # scikit-learn's smoothed IDF, so the offline figures carry over.
    idf = (np.log((1 + total) / (1 + document_frequency)) + 1).astype(np.float32)

    row_index, column_index, values = [], [], []
    for row, counts in enumerate(counted):
        rows, fragment_values = _fragment_row(counts, columns, idf)
        row_index.extend([row] * len(rows))
        column_index.extend(rows.tolist())
        values.extend(fragment_values.tolist())
    indices = torch.tensor([row_index, column_index], dtype=torch.int64)
    weights_tensor = torch.tensor(values, dtype=torch.float32)
    fragments = torch.sparse_coo_tensor(
        indices, weights_tensor, (total, len(columns)), check_invariants=True
    ).coalesce()
    with warnings.catch_warnings():
        # CSR is "beta" in torch; its products are what make the fit take seconds.
        warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
        fragments_t = fragments.t().coalesce().to_sparse_csr()
        fragments = fragments.to_sparse_csr()
    embeddings = torch.tensor(np.asarray(vectors, dtype=np.float32))
    targets = torch.nn.functional.one_hot(
        torch.tensor([tools.index(name) for name in tool_names]), len(tools)
    ).float()
    row_weights = torch.ones(total) if weights is None else torch.tensor(weights).float()
    weighted_targets = targets * row_weights[:, None]
    weight_total = float(row_weights.sum())

    fragment_weights = torch.zeros((len(columns), len(tools)), requires_grad=True)
    embedding_weights = torch.zeros((embeddings.shape[1], len(tools)), requires_grad=True)
    bias = torch.zeros(len(tools), requires_grad=True)
    penalty = 1.0 / (2.0 * penalty_c * weight_total)
    optimizer = torch.optim.LBFGS(
        [fragment_weights, embedding_weights, bias],
        max_iter=max_iterations,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        # Gradients by hand: autograd through a sparse product is ~10x slower.
        with torch.no_grad():
            logits = (
                torch.sparse.mm(fragments, fragment_weights) + embeddings @ embedding_weights + bias
            )
            log_probabilities = torch.log_softmax(logits, dim=1)
            loss = -(log_probabilities * weighted_targets).sum() / weight_total + penalty * (
                (fragment_weights**2).sum() + (embedding_weights**2).sum()
            )
            error = (
                log_probabilities.exp() * row_weights[:, None] - weighted_targets
            ) / weight_total
            fragment_weights.grad = (
                torch.sparse.mm(fragments_t, error) + 2 * penalty * fragment_weights
            )
            embedding_weights.grad = embeddings.t() @ error + 2 * penalty * embedding_weights
            bias.grad = error.sum(dim=0)
        return loss

    optimizer.step(closure)
    return ToolRouter(
        tools=tools,
        columns=columns,
        idf=idf,
        # Rounded as the store keeps them, so a reloaded router answers the same.
        fragment_weights=fragment_weights.detach().numpy().astype(np.float16).astype(np.float32),
        embedding_weights=embedding_weights.detach().numpy().copy(),
        bias=bias.detach().numpy().copy(),
    )
