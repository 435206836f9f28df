"""The base model's decode steps as one ONNX Runtime graph, for fast CPU decoding.

Why (ADR 0006): a decode step of SmolLM2-135M in torch is ~1,400 small
operator calls, and at one token per step Python dispatch and per-op
overhead dominated (15 tok/s at best with int4 weights, 1-2 threads). This
module builds the same network as an ONNX graph by hand from the loaded
weights and runs it in ONNX Runtime: ~35 tok/s on one thread here. The
engine runs prompts on torch in float32 and copies their keys and values
into `ArrayCache` (engine.py says why); the graph takes any number of new
tokens after a past, but is used for decode steps.

The graph, per decoder layer:
- q, k and v as one `MatMulNBits` (4-bit blocks of 32), gate and up as one,
  then o and down: the GGUF's Q4_1 grid exactly. Q4_1 stores a weight as
  `d * level + m` with a float minimum `m` per block; `MatMulNBits` only
  takes whole-number zero points, so the graph computes `x @ (d * level)`
  and adds `m` times the sum of the input over each block (a small MatMul).
  Rounding `m` to the grid instead cost a logit cosine of 0.998 and flipped
  greedy tokens; this way it is 0.99995 (the activations are quantised to
  int8 per block inside `MatMulNBits`, as llama.cpp does).
- `RotaryEmbedding`, then attention in plain ops over the past keys and
  values, which come in as inputs and go out with the new ones appended.
  (ORT's `GroupQueryAttention` did the same in one op but decoded slower.)
- LoRA of q, k, v and o as graph inputs (`lora_a`, `lora_b` per layer), so
  adapters switch per request without rebuilding anything; the base runs
  with rank-1 zeros. Adapters on other modules run on torch (engine.py).
- The tied `lm_head` in 8 bits (the GGUF's Q8_0 layout), only for the rows
  the caller keeps.

A layer whose weights are not on a 4-bit grid (a model not from a Q4_1
GGUF) gets 8-bit blocks, which hold any float weight to ~0.4%. The graph is
checked against the torch model at start-up (`check_against`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers import PreTrainedModel

from hybridtools.llm.kv_cache import SequenceCache

# LoRA slots: which projections the graph can add an adapter's product to.
# The trainer's default targets (trainer_svc.job_files.DEFAULT_TARGET_MODULES).
LORA_GROUPS = {"q_proj": "qkv", "k_proj": "qkv", "v_proj": "qkv", "o_proj": "o"}
_QKV = ("q_proj", "k_proj", "v_proj")
_BLOCK = 32
_OPSET = 17
# ONNX Runtime 1.31 reads IR version 10 at most; 9 is what opset 17 needs.
_IR_VERSION = 9
# The graph's logits must match torch's this closely (cosine) to be used. With
# the exact 4-bit grid and int8 activations they agree to 0.9998 (base) and
# 0.9993 (default adapter) on the probe; leaving the adapter out entirely
# gives 0.9935, rounded zero points 0.998.
MIN_LOGIT_COSINE = 0.9985


class OnnxDecoderUnsupported(ValueError):
    """The model or adapter has a feature this graph does not implement."""


def check_supported(model: PreTrainedModel) -> None:
    """Raises OnnxDecoderUnsupported unless `model` is a Llama-shaped decoder."""
    config = model.config
    problems = []
    if config.model_type != "llama":
        problems.append(f"model_type {config.model_type!r} (only 'llama')")
    if getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
        problems.append("biases on attention or MLP projections")
    if getattr(config, "hidden_act", "silu") != "silu":
        problems.append(f"activation {config.hidden_act!r}")
    rope = getattr(config, "rope_parameters", None) or {}
    if rope.get("rope_type", "default") != "default":
        problems.append(f"rope_type {rope.get('rope_type')!r}")
    if config.hidden_size % _BLOCK or config.intermediate_size % _BLOCK:
        problems.append(f"layer widths not multiples of {_BLOCK}")
    if problems:
        raise OnnxDecoderUnsupported("; ".join(problems))


def _rope_theta(config: Any) -> float:
    rope = getattr(config, "rope_parameters", None) or {}
    return float(rope.get("rope_theta", getattr(config, "rope_theta", 10000.0)))


class _GraphBuilder:
    """Accumulates nodes and initializers; names are generated."""

    def __init__(self) -> None:
        from onnx import helper

        self.helper = helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.inputs: list[Any] = []
        self.outputs: list[Any] = []
        self._count = 0

    def constant(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(
        self, op_type: str, inputs: list[str], outputs: list[str] | None = None, **attributes: Any
    ) -> str:
        return self.ops(op_type, inputs, outputs or [f"t{self._count}"], **attributes)[0]

    def ops(
        self, op_type: str, inputs: list[str], outputs: list[str], **attributes: Any
    ) -> list[str]:
        self._count += 1
        domain = attributes.pop("domain", "")
        self.nodes.append(
            self.helper.make_node(
                op_type, inputs, outputs, name=f"n{self._count}", domain=domain, **attributes
            )
        )
        return outputs

    def input(self, name: str, elem_type: int, shape: list[Any]) -> str:
        self.inputs.append(self.helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def output(self, name: str, elem_type: int, shape: list[Any]) -> None:
        self.outputs.append(self.helper.make_tensor_value_info(name, elem_type, shape))


def _four_bit_grid(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(levels [N, K/32, 32] uint8, step [N, K/32], minimum [N, K/32]) if exact, else None."""
    rows, columns = weight.shape
    blocks = weight.reshape(rows, columns // _BLOCK, _BLOCK)
    low = blocks.min(axis=-1)
    step = (blocks.max(axis=-1) - low) / 15
    safe = np.where(step == 0, 1.0, step).astype(np.float32)
    levels = np.clip(np.round((blocks - low[..., None]) / safe[..., None]), 0, 15)
    rebuilt = levels * safe[..., None] + low[..., None]
    if float(np.abs(rebuilt - blocks).max()) > 1e-5 * float(np.abs(weight).max()) + 1e-12:
        return None
    return levels.astype(np.uint8), safe, low.astype(np.float32)


def _linear(g: _GraphBuilder, x: str, weight: np.ndarray, name: str, lora: bool) -> str:
    """x @ weight.T in 4-bit (exact grid) or 8-bit blocks, plus the LoRA slot."""
    from onnx import TensorProto

    rows, columns = weight.shape
    blocks = columns // _BLOCK
    grid = _four_bit_grid(weight)
    if grid is not None:
        levels, step, low = grid
        packed = levels[..., 0::2] | (levels[..., 1::2] << 4)
        zero_points = np.zeros(rows * ((blocks + 1) // 2), np.uint8)
        y = g.op(
            "MatMulNBits",
            [
                x,
                g.constant(f"{name}.levels", packed),
                g.constant(f"{name}.scales", step.reshape(-1)),
                g.constant(f"{name}.zero_points", zero_points),
            ],
            domain="com.microsoft",
            K=columns,
            N=rows,
            bits=4,
            block_size=_BLOCK,
            accuracy_level=4,  # int8 activations: the fast kernel on CPUs
        )
        # + m per block: the input summed over each block, times the minima.
        shape = g.constant(f"{name}.block_shape", np.array([1, -1, blocks, _BLOCK], np.int64))
        axes = g.constant(f"{name}.block_axes", np.array([-1], np.int64))
        sums = g.op("ReduceSum", [g.op("Reshape", [x, shape]), axes], keepdims=0)
        y = g.op("Add", [y, g.op("MatMul", [sums, g.constant(f"{name}.minima", low.T)])])
    else:
        y = _eight_bit(g, x, weight, name)
    if lora:
        a = g.input(f"{name}.lora_a", TensorProto.FLOAT, [columns, f"{name}.rank"])
        b = g.input(f"{name}.lora_b", TensorProto.FLOAT, [f"{name}.rank", rows])
        y = g.op("Add", [y, g.op("MatMul", [g.op("MatMul", [x, a]), b])])
    return y


def _eight_bit(g: _GraphBuilder, x: str, weight: np.ndarray, name: str) -> str:
    """Symmetric 8-bit blocks of 32 with zero point 128: Q8_0's layout."""
    rows, columns = weight.shape
    blocks = weight.reshape(rows, columns // _BLOCK, _BLOCK)
    largest = np.abs(blocks).max(axis=-1)
    scale = np.where(largest == 0, 1.0, largest / 127).astype(np.float32)
    levels = (np.clip(np.round(blocks / scale[..., None]), -127, 127) + 128).astype(np.uint8)
    return g.op(
        "MatMulNBits",
        [
            x,
            g.constant(f"{name}.levels", levels),
            g.constant(f"{name}.scales", scale.reshape(-1)),
            g.constant(f"{name}.zero_points", np.full(rows * (columns // _BLOCK), 128, np.uint8)),
        ],
        domain="com.microsoft",
        K=columns,
        N=rows,
        bits=8,
        block_size=_BLOCK,
        accuracy_level=4,
    )


def build_graph(model: PreTrainedModel) -> bytes:
    """The serialized ONNX model for `model`'s base weights (no adapter merged in)."""
    from onnx import TensorProto, helper

    check_supported(model)
    config = model.config
    layers, heads, kv_heads = (
        config.num_hidden_layers,
        config.num_attention_heads,
        config.num_key_value_heads,
    )
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    group = heads // kv_heads
    weights = {
        name: tensor.detach().float().numpy()
        for name, tensor in model.state_dict().items()
        if "lora_" not in name
    }

    def weight(name: str) -> np.ndarray:
        # peft, when present, moved each wrapped weight under `base_layer`.
        wrapped = name.replace(".weight", ".base_layer.weight")
        return weights[name] if name in weights else weights[wrapped]

    g = _GraphBuilder()
    g.input("input_ids", TensorProto.INT64, [1, "new"])
    g.input("position_ids", TensorProto.INT64, [1, "new"])
    # Additive mask, [1, 1, group * new, past + new]: 0 where a query may look, -inf elsewhere.
    g.input("mask", TensorProto.FLOAT, [1, 1, "rows", "total"])
    g.input("keep", TensorProto.INT64, ["kept"])
    angles = np.outer(
        np.arange(config.max_position_embeddings),
        1.0 / (_rope_theta(config) ** (np.arange(0, head_dim, 2) / head_dim)),
    )
    cos = g.constant("rope.cos", np.cos(angles).astype(np.float32))
    sin = g.constant("rope.sin", np.sin(angles).astype(np.float32))
    shape_kv = g.constant("shape.kv", np.array([1, -1, kv_heads, head_dim], np.int64))
    shape_q = g.constant("shape.q", np.array([1, -1, kv_heads, group, head_dim], np.int64))
    shape_grouped = g.constant("shape.grouped", np.array([1, kv_heads, -1, head_dim], np.int64))
    shape_out = g.constant("shape.out", np.array([1, kv_heads, group, -1, head_dim], np.int64))
    shape_hidden = g.constant("shape.hidden", np.array([1, -1, heads * head_dim], np.int64))
    scale = g.constant("attention.scale", np.array(1 / np.sqrt(head_dim), np.float32))
    split_qkv = g.constant(
        "split.qkv", np.array([heads * head_dim, kv_heads * head_dim, kv_heads * head_dim])
    )
    split_mlp = g.constant(
        "split.mlp", np.array([config.intermediate_size, config.intermediate_size])
    )
    epsilon = float(config.rms_norm_eps)

    def norm(x: str, name: str) -> str:
        return g.op(
            "SimplifiedLayerNormalization",
            [x, g.constant(name, weight(name))],
            axis=-1,
            epsilon=epsilon,
            stash_type=1,
        )

    def rotary(x: str, heads: int) -> str:
        return g.op(
            "RotaryEmbedding",
            [x, "position_ids", cos, sin],
            domain="com.microsoft",
            num_heads=heads,
            interleaved=0,
        )

    x = g.op("Gather", [g.constant("embed", weight("model.embed_tokens.weight")), "input_ids"])
    for index in range(layers):
        prefix = f"model.layers.{index}."
        past_key = g.input(f"past_key.{index}", TensorProto.FLOAT, [1, kv_heads, "past", head_dim])
        past_value = g.input(
            f"past_value.{index}", TensorProto.FLOAT, [1, kv_heads, "past", head_dim]
        )
        normed = norm(x, prefix + "input_layernorm.weight")
        qkv_weight = np.concatenate(
            [weight(f"{prefix}self_attn.{module}.weight") for module in _QKV]
        )
        qkv = _linear(g, normed, qkv_weight, f"layers.{index}.qkv", lora=True)
        names = [f"q.{index}", f"k.{index}", f"v.{index}"]
        q, k, v = g.ops("Split", [qkv, split_qkv], names, axis=-1)
        q, k = rotary(q, heads), rotary(k, kv_heads)
        k = g.op("Transpose", [g.op("Reshape", [k, shape_kv])], perm=[0, 2, 1, 3])
        v = g.op("Transpose", [g.op("Reshape", [v, shape_kv])], perm=[0, 2, 1, 3])
        keys = g.op("Concat", [past_key, k], [f"present_key.{index}"], axis=2)
        values = g.op("Concat", [past_value, v], [f"present_value.{index}"], axis=2)
        for output in (keys, values):
            g.output(output, TensorProto.FLOAT, [1, kv_heads, "total", head_dim])
        # The `group` query heads that share a key head become rows of one matrix:
        # [1, new, kv, group, d] -> [1, kv, group * new, d]; no keys are repeated.
        by_group = g.op("Transpose", [g.op("Reshape", [q, shape_q])], perm=[0, 2, 3, 1, 4])
        grouped = g.op("Reshape", [by_group, shape_grouped])
        scores = g.op("MatMul", [grouped, g.op("Transpose", [keys], perm=[0, 1, 3, 2])])
        weights_ = g.op("Softmax", [g.op("Add", [g.op("Mul", [scores, scale]), "mask"])], axis=-1)
        attended = g.op("MatMul", [weights_, values])
        attended = g.op(
            "Reshape",
            [
                g.op("Transpose", [g.op("Reshape", [attended, shape_out])], perm=[0, 3, 1, 2, 4]),
                shape_hidden,
            ],
        )
        o_weight = weight(f"{prefix}self_attn.o_proj.weight")
        x = g.op("Add", [x, _linear(g, attended, o_weight, f"layers.{index}.o", lora=True)])
        normed = norm(x, prefix + "post_attention_layernorm.weight")
        gate_up_weight = np.concatenate(
            [weight(f"{prefix}mlp.gate_proj.weight"), weight(f"{prefix}mlp.up_proj.weight")]
        )
        gate_up = _linear(g, normed, gate_up_weight, f"layers.{index}.gate_up", lora=False)
        gate, up = g.ops("Split", [gate_up, split_mlp], [f"gate.{index}", f"up.{index}"], axis=-1)
        activated = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        down_weight = weight(f"{prefix}mlp.down_proj.weight")
        x = g.op("Add", [x, _linear(g, activated, down_weight, f"layers.{index}.down", lora=False)])
    x = norm(g.op("Gather", [x, "keep"], axis=1), "model.norm.weight")
    head = weights.get("lm_head.weight", weight("model.embed_tokens.weight"))
    g.op("Identity", [_eight_bit(g, x, head, "lm_head")], ["logits"])
    logits = helper.make_tensor_value_info(
        "logits", TensorProto.FLOAT, [1, "kept", config.vocab_size]
    )
    g.outputs.insert(0, logits)
    graph = helper.make_graph(g.nodes, "decoder", g.inputs, g.outputs, g.initializers)
    onnx_model = helper.make_model(
        graph,
        ir_version=_IR_VERSION,
        opset_imports=[helper.make_opsetid("", _OPSET), helper.make_opsetid("com.microsoft", 1)],
    )
    serialized: bytes = onnx_model.SerializeToString()
    return serialized


class ArrayCache:
    """Keys and values of one sequence for the graph: per layer, [1, kv_heads, length, d].

    The graph returns the past with the new tokens appended, so a step
    replaces the arrays; `truncate` keeps a prefix (the prefix cache).
    """

    def __init__(self, layers: int, kv_heads: int, head_dim: int) -> None:
        empty = np.zeros((1, kv_heads, 0, head_dim), np.float32)
        self.keys = [empty] * layers
        self.values = [empty] * layers

    @property
    def length(self) -> int:
        return int(self.keys[0].shape[2])

    def get_seq_length(self) -> int:
        return self.length

    def truncate(self, length: int) -> None:
        if length >= self.length:
            return
        length = max(length, 0)
        self.keys = [np.ascontiguousarray(k[:, :, :length]) for k in self.keys]
        self.values = [np.ascontiguousarray(v[:, :, :length]) for v in self.values]

    def to_sequence_cache(self) -> SequenceCache:
        """A copy as torch's cache, for a pass of the torch model (prompts)."""
        sequence = SequenceCache(len(self.keys))
        if self.length:
            for layer, keys, values in zip(sequence.layers, self.keys, self.values, strict=True):
                layer.update(torch.from_numpy(keys), torch.from_numpy(values))
        return sequence

    def take_from(self, sequence: SequenceCache) -> None:
        """Replaces this cache's contents with `sequence`'s (after a torch pass)."""
        self.keys = [np.ascontiguousarray(layer.keys.numpy()) for layer in sequence.layers]
        self.values = [np.ascontiguousarray(layer.values.numpy()) for layer in sequence.layers]


@dataclass(frozen=True)
class LoraArrays:
    """One adapter's slot inputs, scaling folded into `lora_b`."""

    feeds: dict[str, np.ndarray]


def lora_arrays(model: torch.nn.Module, adapter: str | None, layers: int) -> LoraArrays:
    """The graph's LoRA inputs for `adapter` as peft injected it into `model`.

    q, k and v share one slot: their A matrices side by side, their B
    matrices block-diagonal. `None` gives rank-1 zeros (the base model).
    Raises OnnxDecoderUnsupported when the adapter touches modules the graph
    has no slot for, or uses a LoRA variant (DoRA...).
    """
    from peft.tuners.lora import LoraLayer

    found: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
    if adapter is not None:
        for name, module in model.named_modules():
            if not isinstance(module, LoraLayer) or adapter not in module.r:
                continue
            short = name.rsplit(".", 1)[-1]
            if adapter not in module.lora_A or short not in LORA_GROUPS or ".layers." not in name:
                raise OnnxDecoderUnsupported(f"LoRA on {name}: the graph has slots for q, k, v, o")
            if module.lora_variant.get(adapter) is not None or module.lora_bias.get(adapter):
                raise OnnxDecoderUnsupported(f"LoRA variant or bias on {name}")
            index = int(name.split(".layers.", 1)[1].split(".", 1)[0])
            a = module.lora_A[adapter].weight.detach().float().numpy()  # [r, in]
            b = module.lora_B[adapter].weight.detach().float().numpy()  # [out, r]
            found[(index, short)] = (a, b * float(module.scaling[adapter]))
    feeds: dict[str, np.ndarray] = {}
    for index in range(layers):
        for slot, modules in (("qkv", _QKV), ("o", ("o_proj",))):
            widths = [_out_width(model, index, module) for module in modules]
            in_width = _in_width(model, index, modules[0])
            pairs = [found.get((index, module)) for module in modules]
            rank = sum(pair[0].shape[0] for pair in pairs if pair is not None) or 1
            a_slot = np.zeros((in_width, rank), np.float32)
            b_slot = np.zeros((rank, sum(widths)), np.float32)
            row = column = 0
            for pair, width in zip(pairs, widths, strict=True):
                if pair is not None:
                    a, b = pair
                    a_slot[:, row : row + a.shape[0]] = a.T
                    b_slot[row : row + a.shape[0], column : column + width] = b.T
                    row += a.shape[0]
                column += width
            feeds[f"layers.{index}.{slot}.lora_a"] = a_slot
            feeds[f"layers.{index}.{slot}.lora_b"] = b_slot
    return LoraArrays(feeds)


def _projection(model: torch.nn.Module, index: int, module: str) -> torch.nn.Module:
    layer = model.get_submodule(f"model.layers.{index}.self_attn.{module}")
    return layer.get_base_layer() if hasattr(layer, "get_base_layer") else layer


def _out_width(model: torch.nn.Module, index: int, module: str) -> int:
    return int(_projection(model, index, module).out_features)


def _in_width(model: torch.nn.Module, index: int, module: str) -> int:
    return int(_projection(model, index, module).in_features)


class OnnxDecoder:
    """Runs the graph for one sequence's new tokens; one caller at a time."""

    def __init__(self, model: PreTrainedModel, threads: int) -> None:
        import onnxruntime

        started = time.perf_counter()
        config = model.config
        self.layers = int(config.num_hidden_layers)
        self.kv_heads = int(config.num_key_value_heads)
        self.group = int(config.num_attention_heads) // self.kv_heads
        self.head_dim = int(
            getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        )
        graph = build_graph(model)
        built = time.perf_counter()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Busy-waiting threads would steal the other services' cores on a small box.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            graph, options, providers=["CPUExecutionProvider"]
        )
        self.build_seconds = built - started
        self.session_seconds = time.perf_counter() - built

    def new_cache(self) -> ArrayCache:
        return ArrayCache(self.layers, self.kv_heads, self.head_dim)

    def forward(
        self, token_ids: list[int], cache: ArrayCache, keep: int, lora: LoraArrays
    ) -> np.ndarray:
        """Logits of the last `keep` new tokens, [keep, vocab]; `cache` gets their keys."""
        past = cache.length
        new = len(token_ids)
        positions = np.arange(past, past + new)
        allowed = np.arange(past + new)[None, :] <= positions[:, None]
        mask = np.where(allowed, np.float32(0), np.float32(-np.inf)).astype(np.float32)
        feeds: dict[str, np.ndarray] = {
            "input_ids": np.asarray([token_ids], np.int64),
            "position_ids": positions[None, :].astype(np.int64),
            "mask": np.tile(mask, (self.group, 1))[None, None],
            "keep": np.arange(new - keep, new, dtype=np.int64),
        }
        for index in range(self.layers):
            feeds[f"past_key.{index}"] = cache.keys[index]
            feeds[f"past_value.{index}"] = cache.values[index]
        feeds.update(lora.feeds)
        outputs = self._session.run(None, feeds)
        cache.keys = outputs[1::2]
        cache.values = outputs[2::2]
        logits: np.ndarray = outputs[0][0]
        return logits

    def check_against(self, model: PreTrainedModel, lora: LoraArrays) -> float:
        """Cosine of this graph's last logits to torch's on a fixed probe prompt."""
        probe = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 28, 2, 198, 1, 4093, 198]
        probe = [token % int(model.config.vocab_size) for token in probe]
        with torch.inference_mode():
            reference = model(torch.tensor([probe]), logits_to_keep=1).logits[0, -1]
        ours = self.forward(probe, self.new_cache(), 1, lora)[-1]
        expected = reference.float().numpy()
        return float(ours @ expected / (np.linalg.norm(ours) * np.linalg.norm(expected)))
