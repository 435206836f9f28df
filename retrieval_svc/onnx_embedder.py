"""The sentence-transformers model exported to ONNX and run by ONNX Runtime.

Two forms (ADR 0005): float32, which gives torch's vectors, and int8 weights
(one scale per output channel, the service's default), at about twice
float32's throughput and the same recall@3 on this project's 2-core machine
(docs/benchmarks.md). torch spent most of a short query in Python dispatch;
ONNX Runtime runs one graph. The export (~3 s) and the quantisation (~8 s)
happen once per model, cached on disk by the model's content hash, and each
start checks the graphs against the torch model on probe texts; a graph that
fails the check is not used and the service says why in its log.
"""

from __future__ import annotations

import copy
import hashlib
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import structlog

if TYPE_CHECKING:
    from retrieval_svc.embedder import Embedder

log = structlog.get_logger(__name__)

# Part of the cache key: bump it when the export changes (wrapper, inputs).
EXPORT_FORMAT = 1
OPSET = 17
# Vectors from the export must match torch's this closely (cosine) to be used;
# float32 exports agree to ~1e-7, so anything worse means a broken export.
MIN_PROBE_COSINE = 0.9999
# int8 weights (per output channel) moved request vectors to a mean cosine of
# 0.991 against float32, with the same recall@3 (docs/benchmarks.md); a worse
# probe mean means the quantisation went wrong for this model.
MIN_INT8_PROBE_COSINE = 0.98
PROBE_TEXTS = (
    "x",
    "open src/components/Header.tsx and show me the contents",
    "What does the retry policy in the payments service do when the upstream times out?",
    "Search the codebase for TODO comments mentioning the migration, then list the files "
    "that contain them and the line numbers, grouped by directory, please",
)


class ExportMismatchError(RuntimeError):
    """The exported graph does not reproduce the torch model's vectors."""


def model_fingerprint(model_dir: Path) -> str:
    """A hash of every file of the model directory, so a changed model is re-exported."""
    digest = hashlib.sha256(f"format={EXPORT_FORMAT};opset={OPSET}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(model_dir)).encode())
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _input_names(sentence_model) -> list[str]:  # noqa: ANN001 - SentenceTransformer
    features = sentence_model.preprocess(["probe"])
    return [name for name, value in features.items() if hasattr(value, "dtype")]


def export_onnx(sentence_model, target: Path) -> None:  # noqa: ANN001 - SentenceTransformer
    """Writes the whole model (transformer, pooling, normalisation) as one graph."""
    import torch

    names = _input_names(sentence_model)

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = sentence_model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            features = dict(zip(names, tensors, strict=True))
            features["modality"] = "text"
            return self.inner(features)["sentence_embedding"]

    features = sentence_model.preprocess(list(PROBE_TEXTS[:2]))
    arguments = tuple(features[name] for name in names)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    dynamic = {name: {0: "batch", 1: "tokens"} for name in names}
    dynamic["sentence_embedding"] = {0: "batch"}
    with torch.inference_mode(False), torch.no_grad():
        torch.onnx.export(
            SentenceEmbedding().eval(),
            arguments,
            str(partial),
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            # The TorchScript exporter: the dynamo one needs onnxscript and
            # fails on sentence-transformers' dict-in, dict-out modules.
            dynamo=False,
        )
    # Rename last, so a replica sharing the volume never loads half a file.
    partial.replace(target)


def quantize_int8(graph: Path, target: Path) -> None:
    """int8 weights for every MatMul, one scale per output channel, activations at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    # Per-tensor scales cost MiniLM a cosine of 0.96 to float32; per-channel 0.991.
    quantize_dynamic(str(graph), str(partial), weight_type=QuantType.QInt8, per_channel=True)
    partial.replace(target)


def _open_session(graph: Path):  # noqa: ANN202 - onnxruntime.InferenceSession
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    # Busy-waiting threads steal the other service's core on a small box.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """The same contract as `Embedder` (blocking `embed`), but callers may overlap.

    Each text runs alone, `threads` of them at once (one intra-op thread per
    run). int8 activations are quantised with one scale per run, so in a batch
    a text's vector would depend on its neighbours (cosine 0.97-0.99 to its
    lone vector, measured); a lone text also needs no padding. On 2 cores,
    two lone runs side by side embedded as fast as batches of 64 on 2 threads.
    """

    # embed() / submit() calls worth having at once: a second call tokenises
    # while the first's runs go on, so the run threads never wait for a caller.
    overlapping_calls = 2

    def __init__(
        self,
        session,  # noqa: ANN001 - onnxruntime.InferenceSession
        tokenizer,  # noqa: ANN001 - the sentence-transformers model's tokenizer
        input_names: list[str],
        max_length: int,
        dimension: int,
        model_name: str,
        threads: int,
        runtime: str,
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._names = input_names
        self._max_length = max_length
        self._threads = threads
        self._runs = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="onnx-run")
        self.model_name = model_name
        self.runtime = runtime
        # float32 vectors are torch's (checked), so both share one cache and index;
        # int8 vectors are close but not the same, and live apart.
        self.vector_space = model_name if runtime == "onnx" else f"{model_name}+{runtime}"
        self.dimension = dimension
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        sentence_model,  # noqa: ANN001 - SentenceTransformer: tokenizer, inputs, sizes
        graph: Path,
        model_name: str,
        threads: int,
        runtime: str = "onnx",
    ) -> OnnxEmbedder:
        return cls(
            _open_session(graph),
            sentence_model.tokenizer,
            _input_names(sentence_model),
            sentence_model.max_seq_length,
            int(sentence_model.get_embedding_dimension()),
            model_name,
            threads,
            runtime,
        )

    def twin(self) -> OnnxEmbedder:
        """An embedder for another thread: the same session (ONNX Runtime's runs
        are thread-safe), its own tokenizer (a tokenizer is not) and run threads."""
        return OnnxEmbedder(
            self._session,
            copy.deepcopy(self._tokenizer),
            self._names,
            self._max_length,
            self.dimension,
            self.model_name,
            self._threads,
            self.runtime,
        )

    def _run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self._session.run(None, feed)[0][0], np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return np.stack([run.result() for run in self.submit(texts)])

    def submit(self, texts: Sequence[str]) -> list[Future[np.ndarray]]:
        """Each text's vector as a future of its own, ready when its run is.

        Tokenises here, then queues one run a text on the run threads; a
        caller that waits on each future alone (QueryBatcher) hands a vector
        over as soon as it exists instead of with its batch's slowest.
        """
        with self._lock:
            # One tokenizer call for all texts (sentence-transformers' own
            # preprocess costs ~1.4 ms a text, this ~0.2), under the lock: a
            # tokenizer is not safe to share between threads, the runs are
            # (ONNX Runtime's contract), so two callers' runs may interleave.
            # check_against covers any difference from sentence-transformers'
            # tokenisation.
            encoded = self._tokenizer(list(texts), truncation=True, max_length=self._max_length)
        return [
            self._runs.submit(
                self._run,
                {name: np.asarray([encoded[name][row]], np.int64) for name in self._names},
            )
            for row in range(len(texts))
        ]

    def close(self) -> None:
        self._runs.shutdown(wait=False)

    def check_against(self, reference: Embedder) -> tuple[float, float]:
        """Lowest and mean cosine between this runtime's and the reference's probe vectors."""
        cosines = np.sum(self.embed(PROBE_TEXTS) * reference.embed(PROBE_TEXTS), axis=1)
        return float(np.min(cosines)), float(np.mean(cosines))


def open_onnx_embedder(
    torch_model: Embedder,
    runtime: str,
    threads: int,
    export_dir: Path,
) -> OnnxEmbedder:
    """The float32 export (cached by model hash), int8-quantised for "onnx-int8".

    Raises ExportMismatchError when the graph's vectors stray from torch's.
    """
    model_dir = Path(torch_model.model_path)
    stem = f"{model_dir.name}-{model_fingerprint(model_dir)}"
    graph = export_dir / f"{stem}.onnx"
    if not graph.exists():
        started = time.perf_counter()
        log.info("embedder: exporting to onnx (once per model)", path=str(graph))
        export_onnx(torch_model.sentence_model, graph)
        log.info("embedder: exported", seconds=round(time.perf_counter() - started, 1))
    model = torch_model.model_name
    float_model = OnnxEmbedder.load(torch_model.sentence_model, graph, model, threads)
    lowest, _ = float_model.check_against(torch_model)
    if lowest < MIN_PROBE_COSINE:
        raise ExportMismatchError(
            f"{graph} gives vectors at cosine {lowest:.5f} to torch's (needs {MIN_PROBE_COSINE}); "
            "delete it to export again"
        )
    if runtime == "onnx":
        return float_model
    float_model.close()
    quantized = export_dir / f"{stem}-int8.onnx"
    if not quantized.exists():
        quantize_int8(graph, quantized)
    int8_model = OnnxEmbedder.load(torch_model.sentence_model, quantized, model, threads, runtime)
    _, mean = int8_model.check_against(torch_model)
    if mean < MIN_INT8_PROBE_COSINE:
        raise ExportMismatchError(
            f"{quantized} gives vectors at mean cosine {mean:.4f} to float32's "
            f"(needs {MIN_INT8_PROBE_COSINE}); use RETRIEVAL_EMBEDDER_RUNTIME=onnx"
        )
    return int8_model
