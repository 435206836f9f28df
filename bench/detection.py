"""Tool-need detection: precision and recall on held-out requests.

Run: `.venv/bin/python -m bench detection` (or `bench/detection.py`; `--quick`
for a handful of requests). Prints a table and writes bench/results/detection.json.

The labelled set, per built-in ecosystem (Continue, Cursor, Copilot, Cline):
its held-out tool requests (phrasings and values no indexed example uses) and
held-out requests that need no tool (the generator's no-tool split: concepts,
inline snippets, general questions, chit-chat), mixed so that ~30% need a
tool, the seed's expectation of IDE traffic. Each no-tool request is used in
one ecosystem only. Precision depends on that mix; recall and the
false-positive rate do not (both are reported, so other mixes can be worked out).

Two detectors are scored on the same requests, through ToolAwarePromptBuilder:
- rules: keywords and patterns alone (`detect_tool_need` with no similarity);
- rules+retrieval: what the service does (`augment_with_tools`): in the
  ambiguous band of rule scores, the similarity of the nearest indexed example,
  searched in a real retrieval service (in-process, embedded Qdrant, the
  packaged MiniLM) holding each ecosystem's examples.

The indexes are smaller than production's ~12K per ecosystem (`--positives`);
a denser index finds closer neighbours for both kinds of request.

The nearest example's similarity is also searched for every labelled request
(whatever its rule score), so any DetectorWeights can be scored offline on the
same requests: the detector before the fit (UNFITTED) is scored that way.

`--fit` refits the decision weights (and, with `--fit-rules`, the rule weights)
on requests made for fitting only: the generator's held-out tool requests and
no-tool requests under another seed (FIT_SEED), with every request that is in the
evaluation set left out, at the same 30% mix, against the same indexes. The
similarities are searched once; the grid (FIT_GRID) is scored offline. The weights
chosen are those with the largest F1 at the 30% mix whose false-positive rate on the
fitting set's no-tool requests is at most `--max-fpr`; their scores on the
evaluation set come after, and the evaluation set plays no part in the choice.
The fit goes into the JSON's "fit" section, which a later plain run keeps while
the DetectorWeights defaults are still the fitted ones.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hybridtools.core.channels import aio_channel  # noqa: E402
from hybridtools.core.logging import configure_logging  # noqa: E402
from hybridtools.core.server import start_server  # noqa: E402
from hybridtools.ecosystems.catalog import load_builtin_catalog  # noqa: E402
from hybridtools.ecosystems.generator import GeneratedSet, generate_ecosystem_examples  # noqa: E402
from hybridtools.ecosystems.no_tool import no_tool_items  # noqa: E402
from hybridtools.llm.packaged import (  # noqa: E402
    default_model_cache_dir,
    ensure_model_dir,
    load_tokenizer,
)
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb  # noqa: E402
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc  # noqa: E402
from inference_svc.backends.tokenizer import HfChatTokenizer  # noqa: E402
from inference_svc.detection import (  # noqa: E402
    DetectorWeights,
    RuleFeatures,
    ToolNeed,
    decide,
    needs_retrieval_evidence,
    rule_features,
    rule_score,
)
from inference_svc.prompt_builder import BuildOptions, ToolAwarePromptBuilder  # noqa: E402
from inference_svc.retrieval_client import RetrievalClient  # noqa: E402
from retrieval_svc.config import RetrievalSettings  # noqa: E402
from retrieval_svc.server import build_service  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "detection.json"
ECOSYSTEMS = ("continue", "cursor", "copilot", "cline")
TOOL_SHARE = 0.3  # the seed's expectation: ~30% of requests need a tool
# The detector before the fit: hand-set decision weights, no workspace-question rule.
UNFITTED = DetectorWeights(
    action_at_start=0.45,
    action_anywhere=0.15,
    object_in_workspace=0.35,
    workspace_word=0.15,
    workspace_question=0.0,
    question=-0.45,
    inline_code=-0.35,
    low=0.1,
    high=0.75,
    retrieval_weight=0.5,
    similarity_floor=0.3,
    similarity_ceiling=0.7,
    threshold=0.5,
)
# Fitting requests are drawn with this seed (the evaluation set's is 0).
FIT_SEED = 1
MAX_FALSE_POSITIVE_RATE = 0.05


def _steps(first: float, last: float, step: float) -> tuple[float, ...]:
    return tuple(round(first + i * step, 3) for i in range(round((last - first) / step) + 1))


# The decision weights' grid. Rule scores are sums of a few weights (0, 0.15, 0.3,
# 0.35, 0.45 ...), so `low` and `high` need only fall between them.
FIT_GRID: dict[str, tuple[float, ...]] = {
    "low": (0.1, 0.2, 0.3),
    "high": _steps(0.55, 1.0, 0.05),
    "similarity_floor": _steps(0.2, 0.5, 0.025),
    "similarity_ceiling": _steps(0.4, 0.8, 0.05),
    "retrieval_weight": _steps(0.3, 0.9, 0.1),
    "threshold": _steps(0.3, 0.7, 0.05),
}
RULE_WEIGHTS = (
    "action_at_start",
    "action_anywhere",
    "object_in_workspace",
    "workspace_word",
    "workspace_question",
    "question",
    "inline_code",
)


@dataclass(frozen=True)
class Labelled:
    request: str
    needs_tool: bool
    kind: str  # the tool's name, or the no-tool category


async def index_ecosystems(
    stub: rpb_grpc.RetrievalServiceStub,
    ecosystems: Sequence[str],
    positives: int,
    held_out: int,
    seed: int = 0,
) -> dict[str, GeneratedSet]:
    """Generates each built-in ecosystem's examples (negatives: a sixth of the set, as
    production's 10K + 2K) and indexes them inline; the first is made active."""
    generated: dict[str, GeneratedSet] = {}
    for number, ecosystem in enumerate(ecosystems):
        generated[ecosystem] = generate_ecosystem_examples(
            load_builtin_catalog(ecosystem),
            positives=positives,
            negatives=positives // 5,
            held_out=held_out,
            seed=seed,
        )
        request = rpb.SwapEcosystemRequest(
            ecosystem=ecosystem, activate=number == 0, wait_for_tool_router=True
        )
        request.examples.examples.extend(r.to_proto() for r in generated[ecosystem].indexed)
        async for _ in stub.SwapEcosystem(request):
            pass
    return generated


def labelled_sets(
    generated: dict[str, GeneratedSet], tool_requests: int, seed: int = 0
) -> dict[str, list[Labelled]]:
    """Per ecosystem: `tool_requests` held-out tool requests and distinct held-out
    no-tool requests, so that TOOL_SHARE of the set needs a tool."""
    no_tool_each = round(tool_requests * (1 - TOOL_SHARE) / TOOL_SHARE)
    no_tool = no_tool_items(no_tool_each * len(generated), seed, "held_out")
    sets: dict[str, list[Labelled]] = {}
    for number, (ecosystem, examples) in enumerate(generated.items()):
        tools = [Labelled(r.request, True, r.tool_name) for r in examples.held_out[:tool_requests]]
        chunk = no_tool[number * no_tool_each : (number + 1) * no_tool_each]
        sets[ecosystem] = tools + [Labelled(i.request, False, i.category) for i in chunk]
    return sets


@dataclass(frozen=True)
class Record:
    """A labelled request with what the detector sees of it: its rule features and the
    similarity of the nearest indexed positive (searched whatever the rule score)."""

    ecosystem: str
    request: str
    needs_tool: bool
    kind: str
    features: RuleFeatures
    similarity: float | None

    def to_json(self, weights: DetectorWeights) -> dict[str, Any]:
        score, reasons = rule_score(self.features, weights)
        return {
            "ecosystem": self.ecosystem,
            "request": self.request,
            "needs_tool": self.needs_tool,
            "kind": self.kind,
            "rule_score": round(score, 3),
            "similarity": None if self.similarity is None else round(self.similarity, 4),
            "reasons": list(reasons),
            "features": asdict(self.features),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        features = {**data["features"], "objects": tuple(data["features"]["objects"])}
        return cls(
            data["ecosystem"],
            data["request"],
            data["needs_tool"],
            data["kind"],
            RuleFeatures(**features),
            data["similarity"],
        )


def request_key(request: str) -> str:
    """Requests differing only in case or spacing are the same request."""
    return " ".join(request.lower().split())


def fitting_sets(
    ecosystems: Sequence[str],
    evaluation: dict[str, list[Labelled]],
    tool_requests: int,
    seed: int = FIT_SEED,
) -> dict[str, list[Labelled]]:
    """Requests to fit on, none of them in `evaluation`: per ecosystem `tool_requests`
    held-out tool requests drawn with `seed` and distinct held-out no-tool requests, at
    TOOL_SHARE. Held-out, as the evaluation set's are: a train-split request shares its
    phrasing and values with indexed examples, so its nearest similarity is higher than
    a new request's would be."""
    used = {request_key(i.request) for items in evaluation.values() for i in items}
    no_tool_each = round(tool_requests * (1 - TOOL_SHARE) / TOOL_SHARE)
    wanted = no_tool_each * len(ecosystems)
    no_tool = [
        item
        for item in no_tool_items(wanted + len(used), seed, "held_out")
        if request_key(item.request) not in used
    ][:wanted]
    if len(no_tool) < wanted:
        raise ValueError(f"only {len(no_tool)} held-out no-tool requests to fit on, not {wanted}")
    sets: dict[str, list[Labelled]] = {}
    for number, ecosystem in enumerate(ecosystems):
        drawn = generate_ecosystem_examples(
            load_builtin_catalog(ecosystem),
            positives=0,
            negatives=0,
            held_out=tool_requests + len(evaluation.get(ecosystem, ())),
            seed=seed,
        ).held_out
        tools = [
            Labelled(r.request, True, r.tool_name)
            for r in drawn
            if request_key(r.request) not in used
        ][:tool_requests]
        if len(tools) < tool_requests:
            raise ValueError(f"only {len(tools)} {ecosystem} tool requests to fit on")
        chunk = no_tool[number * no_tool_each : (number + 1) * no_tool_each]
        sets[ecosystem] = tools + [Labelled(i.request, False, i.category) for i in chunk]
    return sets


async def record_requests(
    builder: ToolAwarePromptBuilder, sets: dict[str, list[Labelled]]
) -> list[Record]:
    """Rule features and nearest similarity of every request, searched as
    `augment_with_tools` searches (the best positive among the examples it ranks first)."""
    depth = max(BuildOptions().max_examples, 1)
    records: list[Record] = []
    for ecosystem, labelled in sets.items():
        for item in labelled:
            found = await builder.retrieve_tool_examples(item.request, (), ecosystem, depth)
            records.append(
                Record(
                    ecosystem,
                    item.request,
                    item.needs_tool,
                    item.kind,
                    rule_features(item.request),
                    found.nearest_score,
                )
            )
    return records


def verdict(record: Record, weights: DetectorWeights) -> ToolNeed:
    """What `augment_with_tools` decides for the record under `weights` (tool_choice auto)."""
    score, reasons = rule_score(record.features, weights)
    evidence = record.similarity if needs_retrieval_evidence(score, weights) else None
    return decide(score, reasons, evidence, weights)


def offline_scores(records: Sequence[Record], weights: DetectorWeights) -> dict[str, Any]:
    """Per ecosystem and overall scores of `weights` on recorded requests."""
    by_ecosystem: dict[str, list[tuple[bool, bool]]] = {}
    for record in records:
        outcome = (record.needs_tool, verdict(record, weights).needs_tool)
        by_ecosystem.setdefault(record.ecosystem, []).append(outcome)
    return {
        **{e: scores(outcomes) for e, outcomes in by_ecosystem.items()},
        "overall": scores([o for outcomes in by_ecosystem.values() for o in outcomes]),
    }


def f1_at_mix(recall: float, false_positive_rate: float, share: float = TOOL_SHARE) -> float:
    """F1 of a detector with this recall and false-positive rate when `share` needs a tool."""
    found = share * recall
    if not found:
        return 0.0
    precision = found / (found + (1 - share) * false_positive_rate)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Fitted:
    weights: DetectorWeights
    recall: float
    false_positive_rate: float
    f1: float
    candidates: int  # grid points scored
    tied: int  # grid points with the same F1 and false-positive rate


def _distance(a: DetectorWeights, b: DetectorWeights) -> float:
    return sum(abs(getattr(a, f.name) - getattr(b, f.name)) for f in fields(DetectorWeights))


def fit_decision(
    records: Sequence[Record],
    rules: DetectorWeights,
    max_fpr: float = MAX_FALSE_POSITIVE_RATE,
    grid: dict[str, tuple[float, ...]] = FIT_GRID,
    prefer: DetectorWeights = UNFITTED,
) -> Fitted | None:
    """The grid point with the largest F1 at TOOL_SHARE among those whose false-positive
    rate is at most `max_fpr`; ties go to the lower false-positive rate, then to the point
    nearest `prefer`. The rule weights are `rules`'; each record's rule score is computed
    once, and the grid is scored with the same arithmetic as `decide`."""
    rule = np.array([rule_score(r.features, rules)[0] for r in records])
    similarity = np.array([np.nan if r.similarity is None else r.similarity for r in records])
    label = np.array([r.needs_tool for r in records])
    positives, negatives = int(label.sum()), int((~label).sum())
    weight_values, threshold_values = grid["retrieval_weight"], grid["threshold"]
    weights_axis = np.array(weight_values)[:, None, None]
    threshold_axis = np.array(threshold_values)[None, :, None]
    has_similarity = ~np.isnan(similarity)
    best: tuple[float, float] = (-1.0, 0.0)
    tied: list[tuple[int, int, DetectorWeights]] = []
    candidates = 0
    for low, high in itertools.product(grid["low"], grid["high"]):
        if high <= low:
            continue
        consulted = rule > low
        band = consulted & (rule < high) & has_similarity
        # Outside the band: the rule score against the threshold (decide's first branches).
        alone = consulted[None, :] & (rule[None, :] >= threshold_axis[0])
        for floor, ceiling in itertools.product(
            grid["similarity_floor"], grid["similarity_ceiling"]
        ):
            if ceiling <= floor:
                continue
            span = ceiling - floor
            evidence = np.clip((np.nan_to_num(similarity) - floor) / span, 0.0, 1.0)
            combined = (1 - weights_axis) * rule[None, None, :] + weights_axis * evidence
            says = np.where(band, combined >= threshold_axis, alone[None, :, :])
            tp = (says & label).sum(axis=2)
            fp = (says & ~label).sum(axis=2)
            candidates += tp.size
            recall, fpr = tp / positives, fp / negatives
            found = TOOL_SHARE * recall
            precision = np.divide(
                found, found + (1 - TOOL_SHARE) * fpr, where=tp > 0, out=np.zeros_like(found)
            )
            f1 = np.where(
                tp > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0
            )
            f1 = np.where(fpr <= max_fpr, np.round(f1, 6), -1.0)
            top = float(f1.max())
            if top < 0 or top < best[0]:
                continue
            lowest_fpr = float(fpr[f1 == top].min())
            key = (top, -lowest_fpr)
            if key < best:
                continue
            if key > best:
                best, tied = key, []
            for i, j in zip(*np.nonzero((f1 == top) & (fpr == lowest_fpr)), strict=True):
                point = replace(
                    rules,
                    low=low,
                    high=high,
                    similarity_floor=floor,
                    similarity_ceiling=ceiling,
                    retrieval_weight=weight_values[i],
                    threshold=threshold_values[j],
                )
                tied.append((int(tp[i, j]), int(fp[i, j]), point))
    if not tied:
        return None
    tp_best, fp_best, point = min(tied, key=lambda t: _distance(t[2], prefer))
    recall_best, fpr_best = tp_best / positives, fp_best / negatives
    return Fitted(
        point, recall_best, fpr_best, f1_at_mix(recall_best, fpr_best), candidates, len(tied)
    )


def fit_weights(
    records: Sequence[Record],
    max_fpr: float = MAX_FALSE_POSITIVE_RATE,
    fit_rules: bool = False,
    start: DetectorWeights | None = None,
    min_gain: float = 0.005,
) -> tuple[Fitted, list[dict[str, Any]]]:
    """The decision weights' grid at the rule weights of `start` (UNFITTED's with the
    workspace-question rule on); with `fit_rules`, then coordinate steps of ±0.05/±0.1 on
    each rule weight, each refitting the grid, kept when F1 gains at least `min_gain`."""
    current = start or replace(UNFITTED, workspace_question=0.45)
    fitted = fit_decision(records, current, max_fpr)
    if fitted is None:
        raise ValueError(f"no grid point keeps the false-positive rate at or under {max_fpr}")
    steps: list[dict[str, Any]] = []
    improved = fit_rules
    while improved:
        improved = False
        for name in RULE_WEIGHTS:
            for delta in (-0.1, -0.05, 0.05, 0.1):
                value = round(getattr(fitted.weights, name) + delta, 3)
                trial = fit_decision(records, replace(fitted.weights, **{name: value}), max_fpr)
                if trial is not None and trial.f1 >= fitted.f1 + min_gain:
                    steps.append(
                        {
                            "weight": name,
                            "to": value,
                            "f1": round(trial.f1, 4),
                            "from": round(fitted.f1, 4),
                        }
                    )
                    fitted, improved = trial, True
    return fitted, steps


def scores(outcomes: Sequence[tuple[bool, bool]]) -> dict[str, Any]:
    """Confusion counts and rates of (label, verdict) pairs."""
    tp = sum(label and verdict for label, verdict in outcomes)
    fp = sum(verdict and not label for label, verdict in outcomes)
    fn = sum(label and not verdict for label, verdict in outcomes)
    tn = len(outcomes) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "requests": len(outcomes),
        "tool_share": round((tp + fn) / len(outcomes), 3) if outcomes else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(2 * precision * recall / (precision + recall), 3) if tp else 0.0,
        "false_positive_rate": round(fp / (fp + tn), 3) if fp + tn else 0.0,
        "accuracy": round((tp + tn) / len(outcomes), 3) if outcomes else 0.0,
    }


def quantiles(values: Sequence[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"n": len(values)}
    deciles = statistics.quantiles(values, n=10)
    return {
        "n": len(values),
        "p10": round(deciles[0], 3),
        "p50": round(statistics.median(values), 3),
        "p90": round(deciles[-1], 3),
    }


async def run(
    data_dir: Path,
    positives: int,
    tool_requests: int,
    ecosystems: Sequence[str] = ECOSYSTEMS,
    fit_tool_requests: int = 0,
    fit_rules: bool = False,
    max_fpr: float = MAX_FALSE_POSITIVE_RATE,
    records_path: Path | None = None,
) -> dict[str, Any]:
    """Scores the detector on the evaluation set; with `fit_tool_requests`, first fits
    the weights on a fitting set of that many tool requests per ecosystem."""
    config = RetrievalSettings(host="127.0.0.1", port=0, data_dir=data_dir / "retrieval")
    server = await start_server(build_service(config), "127.0.0.1:0", grace_s=1.0)
    address = f"127.0.0.1:{server.port}"
    channel = aio_channel(address)
    client = RetrievalClient(address, timeout_s=30.0)
    fitting: dict[str, list[Labelled]] = {}
    fit_records: list[Record] = []
    try:
        started = time.perf_counter()
        stub = rpb_grpc.RetrievalServiceStub(channel)
        generated = await index_ecosystems(stub, ecosystems, positives, tool_requests)
        index_s = time.perf_counter() - started
        model_dir = ensure_model_dir(cache_dir=default_model_cache_dir())
        tokenizer = HfChatTokenizer(load_tokenizer(model_dir))
        # Reference snippets are not part of detection: left out.
        builder = ToolAwarePromptBuilder(client, tokenizer, 2048, use_reference=False)
        sets = labelled_sets(generated, tool_requests)
        started = time.perf_counter()
        if fit_tool_requests:
            fitting = fitting_sets(ecosystems, sets, fit_tool_requests)
            fit_records = await record_requests(builder, fitting)
        eval_records = await record_requests(builder, sets)
        record_s = time.perf_counter() - started
        rules: dict[str, list[tuple[bool, bool]]] = {}
        combined: dict[str, list[tuple[bool, bool]]] = {}
        consulted = 0
        similarities: dict[bool, list[float]] = {True: [], False: []}
        causes: dict[str, dict[str, int]] = {"false_positives": {}, "false_negatives": {}}
        errors: dict[str, list[dict[str, Any]]] = {"false_positives": [], "false_negatives": []}
        by_kind: dict[str, list[tuple[bool, bool]]] = {}
        service_verdicts: list[bool] = []
        started = time.perf_counter()
        for ecosystem, labelled in sets.items():
            for item in labelled:
                by_rules = builder.detect_tool_need(item.request).needs_tool
                built = await builder.augment_with_tools(
                    item.request, BuildOptions(ecosystem=ecosystem)
                )
                verdict_here = built.tool_detected
                service_verdicts.append(verdict_here)
                consulted += built.retrieve_ms > 0
                if built.need is not None and built.need.retrieval_score is not None:
                    similarities[item.needs_tool].append(built.need.retrieval_score)
                rules.setdefault(ecosystem, []).append((item.needs_tool, by_rules))
                combined.setdefault(ecosystem, []).append((item.needs_tool, verdict_here))
                if not item.needs_tool:
                    by_kind.setdefault(item.kind, []).append((False, verdict_here))
                if verdict_here != item.needs_tool:
                    wrong = "false_negatives" if item.needs_tool else "false_positives"
                    need = built.need
                    consulted_here = need is not None and need.retrieval_score is not None
                    cause = (
                        "similarity in the ambiguous band" if consulted_here else "rule score alone"
                    )
                    causes[wrong][cause] = causes[wrong].get(cause, 0) + 1
                    errors[wrong].append(
                        {
                            "ecosystem": ecosystem,
                            "request": item.request,
                            "kind": item.kind,
                            "rule_score": round(need.rule_score, 2) if need else None,
                            "similarity": (
                                round(need.retrieval_score, 3)
                                if need and need.retrieval_score is not None
                                else None
                            ),
                            "reasons": list(need.reasons) if need else [],
                        }
                    )
        detect_s = time.perf_counter() - started
    finally:
        await client.close()
        await channel.close()
        await server.stop()

    defaults = DetectorWeights()
    offline = [verdict(r, defaults).needs_tool for r in eval_records]
    total = sum(len(labelled) for labelled in sets.values())
    results: dict[str, Any] = {
        "machine": {
            "cpus_available": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "load_average_at_end": os.getloadavg()[0],
        },
        "setup": {
            "ecosystems": list(ecosystems),
            "indexed_per_ecosystem": {e: len(g.indexed) for e, g in generated.items()},
            "tool_requests_per_ecosystem": tool_requests,
            "no_tool_requests_per_ecosystem": len(next(iter(sets.values()))) - tool_requests,
            "index_s": round(index_s, 1),
            "record_s": round(record_s, 1),
            "detect_s": round(detect_s, 1),
        },
        "weights": {"unfitted": vars(UNFITTED), "defaults": vars(defaults)},
        "rules": {
            **{e: scores(outcomes) for e, outcomes in rules.items()},
            "overall": scores([o for outcomes in rules.values() for o in outcomes]),
        },
        "rules+retrieval": {
            **{e: scores(outcomes) for e, outcomes in combined.items()},
            "overall": scores([o for outcomes in combined.values() for o in outcomes]),
        },
        # The same requests under the detector before the fit, scored offline from the
        # recorded similarities (as "rules" and "rules+retrieval" above are for the defaults).
        "unfitted_rules": offline_scores(
            [replace(r, similarity=None) for r in eval_records], UNFITTED
        ),
        "unfitted_rules+retrieval": offline_scores(eval_records, UNFITTED),
        # The offline replay of the defaults agrees with the service on every request.
        "offline_replay_disagreements": sum(
            a != b for a, b in zip(offline, service_verdicts, strict=True)
        ),
        "retrieval_consulted_share": round(consulted / total, 3) if total else 0.0,
        # Nearest-example similarity where it was evidence (the ambiguous band).
        "similarity_in_ambiguous_band": {
            label: quantiles(similarities[needs_tool])
            for label, needs_tool in (("tool", True), ("no_tool", False))
        },
        # Nearest-example similarity of every request, whatever its rule score.
        "similarity_all_requests": similarity_by_need(eval_records),
        "no_tool_false_positive_rate_by_category": {
            kind: scores(outcomes)["false_positive_rate"]
            for kind, outcomes in sorted(by_kind.items())
        },
        # Where the combined detector's errors were decided.
        "error_causes_rules+retrieval": causes,
        "errors_rules+retrieval": {kind: items[:15] for kind, items in errors.items()},
    }
    if fit_tool_requests:
        results["fit"] = fit_section(fit_records, eval_records, fit_rules, max_fpr)
    if records_path is not None:
        records_path.write_text(
            json.dumps(
                {
                    "fitting": [r.to_json(defaults) for r in fit_records],
                    "evaluation": [r.to_json(defaults) for r in eval_records],
                },
                indent=1,
            )
            + "\n"
        )
    return results


def similarity_by_need(records: Sequence[Record]) -> dict[str, Any]:
    """Quantiles of the nearest-example similarity, of tool and of no-tool requests."""
    return {
        label: quantiles(
            [
                r.similarity
                for r in records
                if r.needs_tool == needs_tool and r.similarity is not None
            ]
        )
        for label, needs_tool in (("tool", True), ("no_tool", False))
    }


def fit_section(
    fit_records: Sequence[Record],
    eval_records: Sequence[Record],
    fit_rules: bool,
    max_fpr: float,
) -> dict[str, Any]:
    """Fits on `fit_records` and scores the fit on both sets."""
    started = time.perf_counter()
    fitted, steps = fit_weights(fit_records, max_fpr, fit_rules)
    fit_s = time.perf_counter() - started
    evaluated = {request_key(r.request) for r in eval_records}
    fitted_keys = {request_key(r.request) for r in fit_records}
    ecosystems = list(dict.fromkeys(r.ecosystem for r in fit_records))
    workspace_rule = [r for r in fit_records if r.features.workspace_question]
    return {
        "what": (
            f"decision weights{' and rule weights' if fit_rules else ''} fitted on requests "
            f"made for fitting (seed {FIT_SEED}, held-out phrasings and values, none in the "
            f"evaluation set), against the same indexes: the largest F1 at a "
            f"{TOOL_SHARE:.0%} tool share with a false-positive rate of at most {max_fpr}"
        ),
        "fitting_set": {
            "seed": FIT_SEED,
            "tool_requests_per_ecosystem": {
                e: sum(r.needs_tool and r.ecosystem == e for r in fit_records) for e in ecosystems
            },
            "no_tool_requests_per_ecosystem": {
                e: sum(not r.needs_tool and r.ecosystem == e for r in fit_records)
                for e in ecosystems
            },
            "requests_also_in_evaluation_set": len(fitted_keys & evaluated),
            "similarity": similarity_by_need(fit_records),
            "workspace_question_rule_fires": {
                "tool": sum(r.needs_tool for r in workspace_rule),
                "no_tool": sum(not r.needs_tool for r in workspace_rule),
            },
        },
        "grid": {name: list(values) for name, values in FIT_GRID.items()},
        "grid_points_scored": fitted.candidates,
        "grid_points_tied_at_the_best": fitted.tied,
        "rule_weight_steps": steps,
        "fit_s": round(fit_s, 1),
        "fitted": vars(fitted.weights),
        "defaults_are_fitted": DetectorWeights() == fitted.weights,
        "fitting_set_scores": {
            "unfitted": offline_scores(fit_records, UNFITTED)["overall"],
            "fitted": offline_scores(fit_records, fitted.weights)["overall"],
        },
        "evaluation_set_scores": {
            "unfitted": offline_scores(eval_records, UNFITTED),
            "fitted": offline_scores(eval_records, fitted.weights),
        },
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        "| detector | ecosystem | requests | precision | recall | F1 | false-positive rate |",
        "|---|---|---|---|---|---|---|",
    ]
    for detector in ("unfitted_rules", "unfitted_rules+retrieval", "rules", "rules+retrieval"):
        for ecosystem, s in results[detector].items():
            lines.append(
                f"| {detector} | {ecosystem} | {s['requests']} | {s['precision']:.3f} | "
                f"{s['recall']:.3f} | {s['f1']:.3f} | {s['false_positive_rate']:.3f} |"
            )
    return "\n".join(lines)


def keep_fit(results: dict[str, Any], output: Path) -> None:
    """A plain run keeps the last --fit run's section while the defaults are its weights."""
    if "fit" in results or not output.exists():
        return
    try:
        earlier = json.loads(output.read_text()).get("fit")
    except (OSError, ValueError):
        return
    if earlier and earlier.get("fitted") == vars(DetectorWeights()):
        results["fit"] = {**earlier, "from_an_earlier_fit_run": True}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--positives", type=int, default=1000, help="indexed positives per ecosystem"
    )
    parser.add_argument(
        "--tool-requests", type=int, default=60, help="held-out tool requests per ecosystem"
    )
    parser.add_argument("--quick", action="store_true", help="a handful of requests")
    parser.add_argument(
        "--fit", action="store_true", help="fit the weights on a separate fitting set first"
    )
    parser.add_argument(
        "--fit-tool-requests",
        type=int,
        default=140,
        help="fitting tool requests per ecosystem (with --fit; no-tool ones make it 30%%)",
    )
    parser.add_argument(
        "--fit-rules", action="store_true", help="also step the rule weights (with --fit)"
    )
    parser.add_argument(
        "--max-fpr",
        type=float,
        default=MAX_FALSE_POSITIVE_RATE,
        help="the fit's false-positive rate cap on the fitting set's no-tool requests",
    )
    parser.add_argument(
        "--records",
        type=Path,
        help="also write every request's rule features, score and similarity (for --from-records)",
    )
    parser.add_argument(
        "--from-records",
        type=Path,
        help="refit offline from a --records file and print the fit (no search, no output)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.from_records:
        recorded = json.loads(args.from_records.read_text())
        fit = fit_section(
            [Record.from_json(r) for r in recorded["fitting"]],
            [Record.from_json(r) for r in recorded["evaluation"]],
            args.fit_rules,
            args.max_fpr,
        )
        print(json.dumps(fit, indent=2))
        return 0
    configure_logging("WARNING")
    positives, tool_requests = (60, 6) if args.quick else (args.positives, args.tool_requests)
    fit_tool_requests = 0
    if args.fit:
        fit_tool_requests = 12 if args.quick else args.fit_tool_requests
    with tempfile.TemporaryDirectory(prefix="bench-detection-") as tmp:
        results = asyncio.run(
            run(
                Path(tmp),
                positives,
                tool_requests,
                fit_tool_requests=fit_tool_requests,
                fit_rules=args.fit_rules,
                max_fpr=args.max_fpr,
                records_path=args.records,
            )
        )
    keep_fit(results, args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    if "fit" in results:
        fit = results["fit"]
        print(f"fitted: {json.dumps(fit['fitted'])}")
        print(f"defaults are the fitted weights: {fit['defaults_are_fitted']}")
    print(f"consulted retrieval: {results['retrieval_consulted_share']:.0%}; wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
