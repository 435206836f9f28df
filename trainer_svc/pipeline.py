"""Around each worker run: compose its data before, use its adapter after.

Before: the mix is composed (examples pulled from retrieval where a source
asks for them), written as the job's dataset.jsonl with its report, and the
worker's config is resolved (the base-model cache, the adapter to compare
with, the adapter to start from).

After: the adapter becomes the next version of its name in the store, with
its manifest. With `publish`, it is published only if its held-out accuracy
is not below the serving adapter's on the same samples (the worker evaluated
both); then the examples the job deepened are marked trained.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import structlog

from hybridtools.adapter_store import AdapterStore
from hybridtools.core.errors import FailedPreconditionError, ServiceError
from hybridtools.core.files import write_json_atomic
from hybridtools.llm.packaged import BASE_MODELS, ensure_model_dir, load_tokenizer
from trainer_svc.composer import ComposedMix, Sample, SourceSpec, compose
from trainer_svc.job_files import JobPaths, WorkerConfig
from trainer_svc.jobs import JobRecord
from trainer_svc.manifests import build_manifest, commit_from_job
from trainer_svc.peers import RetrievalClient
from trainer_svc.publishing import AdapterPublisher
from trainer_svc.retrieval_samples import retrieval_source_samples
from trainer_svc.specs import TrainingSpec

log = structlog.get_logger(__name__)


class TokenizerCache:
    """The base models' tokenizers, loaded once (counting tokens needs them)."""

    def __init__(self, model_cache_dir: Path) -> None:
        self.model_cache_dir = model_cache_dir
        self._tokenizers: dict[str, Any] = {}

    def get(self, base_model: str) -> Any:
        if base_model not in self._tokenizers:
            if base_model in BASE_MODELS or (Path(base_model) / "config.json").is_file():
                model_dir = ensure_model_dir(base_model, self.model_cache_dir)
                self._tokenizers[base_model] = load_tokenizer(model_dir)
            else:  # a Hub id (cluster training Jobs): only its tokenizer is fetched here
                from transformers import AutoTokenizer

                try:
                    self._tokenizers[base_model] = AutoTokenizer.from_pretrained(base_model)
                except OSError as exc:
                    raise FailedPreconditionError(
                        f"the tokenizer of {base_model!r} is not available to the trainer, which "
                        "counts the mix's tokens with it: let the trainer reach the Hub, or name "
                        f"a local model directory instead ({exc})"
                    ) from exc
        return self._tokenizers[base_model]


class TrainingPipeline:
    def __init__(
        self,
        *,
        store: AdapterStore,
        publisher: AdapterPublisher,
        retrieval: RetrievalClient | None,
        tokenizers: TokenizerCache,
        dataset_dir: Path,
        checkpoint_every: int = 50,
        worker_threads: int = 0,
        publish_eval_samples: int = 100,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self.retrieval = retrieval
        self.tokenizers = tokenizers
        self.dataset_dir = dataset_dir
        self.checkpoint_every = checkpoint_every
        self.worker_threads = worker_threads
        self.publish_eval_samples = publish_eval_samples
        # Composing tokenizes thousands of samples: one at a time, off the event loop.
        self._compose_lock = asyncio.Lock()

    async def compose(self, sources: list[SourceSpec], base_model: str, seed: int) -> ComposedMix:
        retrieved: dict[str, list[Sample]] = {}
        for source in sources:
            if source.retrieval is None:
                continue
            if self.retrieval is None:
                raise FailedPreconditionError(
                    "no retrieval service configured for retrieval sources"
                )
            retrieved[source.label] = await retrieval_source_samples(
                self.retrieval, source.retrieval, seed
            )
        stop = threading.Event()
        async with self._compose_lock:
            tokenizer = await asyncio.to_thread(self.tokenizers.get, base_model)
            try:
                return await asyncio.to_thread(
                    compose, sources, self.dataset_dir, tokenizer, seed, retrieved, stop
                )
            except asyncio.CancelledError:
                # The caller left (a preview's client, a cancelled job): the thread stops
                # at its next sample instead of building a mix nobody reads.
                stop.set()
                raise

    async def prepare(self, record: JobRecord, paths: JobPaths) -> dict[str, Any]:
        spec = record.spec
        mix = await self.compose(spec.sources, spec.base_model, spec.seed)
        await asyncio.to_thread(mix.write_jsonl, paths.dataset)
        config = self.worker_config(spec)
        write_json_atomic(paths.root / "mix.json", mix.report.to_json())
        write_json_atomic(paths.worker_config, config.to_json())
        return mix.report.to_json()

    def worker_config(self, spec: TrainingSpec) -> WorkerConfig:
        eval_samples = spec.eval_samples
        compare_with = ""
        if spec.publish:
            eval_samples = eval_samples or self.publish_eval_samples
            serving = self.store.serving()
            # Compared on the same held-out samples, in the same worker run.
            if serving is not None and serving.manifest.get("base_model") == spec.base_model:
                compare_with = str(serving.path)
        return WorkerConfig(
            base_model=spec.base_model,
            model_cache_dir=str(self.tokenizers.model_cache_dir),
            lora=spec.lora,
            quantization=spec.quantization,
            epochs=spec.epochs,
            max_steps=spec.max_steps,
            sequence_length=spec.sequence_length,
            learning_rate=spec.learning_rate,
            seed=spec.seed,
            batch_size=spec.batch_size,
            checkpoint_every=self.checkpoint_every,
            eval_samples=eval_samples,
            compare_with=compare_with if eval_samples else "",
            init_adapter=spec.init_adapter,
            threads=self.worker_threads,
        )

    async def finish(
        self, record: JobRecord, paths: JobPaths, result: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, str]:
        spec = record.spec
        worker_config = WorkerConfig.read(paths.worker_config).to_json()
        manifest = build_manifest(
            base_model=spec.base_model,
            worker_config=worker_config,
            mix=record.mix or {},
            result=result,
            job=record.name,
        )
        # A server that went down while finishing may have committed it already.
        committed = [
            v
            for v in self.store.versions(spec.adapter_name)
            if v.manifest.get("job") == record.name
        ]
        adapter = (
            committed[-1]
            if committed
            else await asyncio.to_thread(
                commit_from_job, self.store, spec.adapter_name, paths, manifest
            )
        )
        lines = [
            f"trained {result.get('steps')} steps at {result.get('tokens_per_second')} tokens/s; "
            f"loss {result.get('initial_loss')} -> {result.get('final_loss')}",
            f"stored {adapter.label}",
        ]
        evaluation = result.get("eval") or {}
        baseline = result.get("baseline_eval") or {}
        if evaluation:
            lines.append(
                f"held-out accuracy {evaluation['accuracy']:.3f} on {evaluation['samples']} samples"
                + (f" (serving adapter: {baseline['accuracy']:.3f})" if baseline else "")
            )
        if spec.publish:
            if baseline and evaluation and evaluation["accuracy"] < baseline["accuracy"]:
                lines.append(
                    f"not published: worse than the serving adapter on the held-out split "
                    f"({evaluation['accuracy']:.3f} < {baseline['accuracy']:.3f}); it keeps serving"
                )
            else:
                published = await self.publisher.publish(adapter.name, adapter.version)
                lines.append(f"published {adapter.label}: {published.detail}")
                lines.extend(await self._mark_trained(spec))
        return {"name": adapter.name, "version": adapter.version}, "\n".join(lines)

    async def _mark_trained(self, spec: TrainingSpec) -> list[str]:
        lines = []
        for mark in spec.mark_trained:
            if self.retrieval is None:
                lines.append(
                    f"could not mark {mark.ecosystem} examples trained: no retrieval service"
                )
                continue
            try:
                updated = await self.retrieval.mark_trained(mark.ecosystem, mark.tool_names)
            except ServiceError as exc:
                # The adapter is published either way; the next evening run sees
                # the tools as untrained and the ledger tells it why.
                lines.append(f"could not mark {mark.ecosystem} examples trained: {exc.message}")
                continue
            lines.append(
                f"marked {updated} examples of {mark.ecosystem}/{','.join(mark.tool_names)} "
                "trained_in_adapter=true"
            )
        return lines
