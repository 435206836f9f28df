"""The `reference` collection: domain documents, chunked, for non-tool context."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from hybridtools.core.errors import InvalidArgumentError
from retrieval_svc.embedder import Embedder, EmbeddingCache, QueryBatcher, embed_documents
from retrieval_svc.store import (
    CollectionSchema,
    StoredPoint,
    VectorStore,
    point_id,
    require_score_threshold,
)

COLLECTION = "reference"
MAX_SEARCH_LIMIT = 50
MAX_DOCUMENT_CHARS = 1_000_000


@dataclass(frozen=True)
class ReferenceDocument:
    id: str
    title: str
    text: str
    source: str


@dataclass(frozen=True)
class ReferenceChunk:
    document_id: str
    chunk_id: str
    title: str
    text: str
    source: str
    score: float = 0.0


def chunk_text(text: str, max_chars: int = 800, overlap: int = 100) -> list[str]:
    """Paragraph-aligned chunks of at most ~max_chars, neighbours overlapping a little.

    The embedder reads at most 128 word pieces (~500-800 characters of prose),
    so longer chunks would be embedded by their beginning only.
    """
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    pieces: list[str] = []
    for paragraph in paragraphs:
        while len(paragraph) > max_chars:
            cut = paragraph.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            pieces.append(paragraph[:cut].strip())
            paragraph = paragraph[max(cut - overlap, 0) :].strip()
        pieces.append(paragraph)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) + 2 > max_chars:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


class ReferenceIndex:
    def __init__(
        self,
        store: VectorStore,
        query_embedder: QueryBatcher,
        document_embedder: Embedder,
        embedding_cache: EmbeddingCache | None = None,
    ) -> None:
        self._store = store
        self._queries = query_embedder
        self._documents = document_embedder
        self._cache = embedding_cache

    def _ensure_collection(self) -> None:
        if not self._store.collection_exists(COLLECTION):
            self._store.create_collection(
                COLLECTION,
                CollectionSchema(
                    vector_size=self._documents.dimension, keyword_fields=("document_id",)
                ),
            )

    async def upsert(self, documents: list[ReferenceDocument]) -> tuple[int, int]:
        if not documents:
            raise InvalidArgumentError("documents is empty")
        numbers: dict[str, int] = {}
        for number, document in enumerate(documents, start=1):
            if not document.id:
                raise InvalidArgumentError(f"document {number} has no id")
            # Both would be stored under the same chunk ids, the second's chunks
            # over the first's: a mix of the two, and a count of two for one.
            first = numbers.setdefault(document.id, number)
            if first != number:
                raise InvalidArgumentError(
                    f"document id {document.id!r} is in this request twice (documents {first} "
                    f"and {number}); send each document once"
                )
            if not document.text.strip():
                raise InvalidArgumentError(f"document {document.id!r} has no text")
            if len(document.text) > MAX_DOCUMENT_CHARS:
                raise InvalidArgumentError(
                    f"document {document.id!r} has {len(document.text)} characters, "
                    f"more than {MAX_DOCUMENT_CHARS}; split it"
                )
        return await asyncio.to_thread(self._upsert_blocking, documents)

    def _upsert_blocking(self, documents: list[ReferenceDocument]) -> tuple[int, int]:
        self._ensure_collection()
        chunks: list[ReferenceChunk] = []
        for document in documents:
            for n, text in enumerate(chunk_text(document.text)):
                chunks.append(
                    ReferenceChunk(
                        document.id, f"{document.id}#{n}", document.title, text, document.source
                    )
                )
        # Embed first: if that fails, the old chunks are still there.
        vectors = embed_documents(
            self._documents,
            [f"{c.title}\n{c.text}" if c.title else c.text for c in chunks],
            self._cache,
        )
        self._store.delete(COLLECTION, {"document_id": [d.id for d in documents]})
        self._store.upsert(
            COLLECTION,
            [
                StoredPoint(point_id(c.chunk_id), v, c.__dict__ | {"score": 0.0})
                for c, v in zip(chunks, vectors, strict=True)
            ],
        )
        flush = getattr(self._store, "flush", None)
        if flush is not None:
            flush(COLLECTION)
        return len(documents), len(chunks)

    async def search(
        self, query: str, limit: int, score_threshold: float = 0.0
    ) -> list[ReferenceChunk]:
        if not query.strip():
            raise InvalidArgumentError("query is empty")
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise InvalidArgumentError(f"limit must be 1..{MAX_SEARCH_LIMIT}, got {limit}")
        require_score_threshold(score_threshold)
        if not self._store.collection_exists(COLLECTION):
            return []
        vector = await self._queries.embed(query)
        hits = self._store.search(COLLECTION, vector, limit, None, score_threshold or None)
        return [
            ReferenceChunk(
                document_id=h.payload.get("document_id", ""),
                chunk_id=h.payload.get("chunk_id", ""),
                title=h.payload.get("title", ""),
                text=h.payload.get("text", ""),
                source=h.payload.get("source", ""),
                score=h.score,
            )
            for h in hits
        ]
