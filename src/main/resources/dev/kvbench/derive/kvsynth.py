"""Writes a model folder with deterministic random weights at a real architecture's shapes (Optimum ONNX layout).

Run by `kvbench synth` (which then adds the static variants with `kvbench derive`'s code and checks them); needs
Python 3 with the `onnx` package (Debian: python3-onnx) and numpy.

    python3 kvsynth.py (--like NAME | --config config.json) --out DIR [--layers N] [--seed S] [--plan]

Speed does not depend on the weights' values, so a random-weight model at the real shapes answers "which strategy,
at my model's size?" without a download. Decoder-only (llama, qwen2, mistral): model.onnx as Optimum/transformers
export it (past concatenated in the graph, rotary on Q and K from position_ids, grouped-query attention, RMSNorm,
SwiGLU). Encoder-decoder (marian): encoder_model.onnx, decoder_model.onnx, decoder_with_past_model.onnx (sinusoidal
positions, post-LN, cross-attention cache from the first step). Weights fp32, N(0, 0.02) (norms 1, biases 0.02 too),
written one tensor at a time (the embedding in row blocks) into model.onnx_data, which every graph of the folder
references: memory stays near the largest tensor, not the model. No tokenizer: the folder is driven by token ids.

--plan prints the plan (parameters, disk, memory) as JSON and writes nothing. Bad input: one line on stderr, exit 2.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EXIT_BAD_INPUT = 2
OPSET = 17
DATA_FILE = "model.onnx_data"

# Real configurations (Hugging Face config.json fields). Timing-neutral parts are left out and said so in `notes`.
BUILT_IN = {
    "qwen2.5-0.5b": {
        "model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896,
        "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "max_position_embeddings": 32768, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
        "hidden_act": "silu", "bos_token_id": 151643, "eos_token_id": 151645, "attention_bias": True},
    "llama-3.2-1b": {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 128256, "hidden_size": 2048,
        "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
        "head_dim": 64, "max_position_embeddings": 131072, "rope_theta": 500000.0, "rms_norm_eps": 1e-5,
        "tie_word_embeddings": True, "hidden_act": "silu", "bos_token_id": 128000, "eos_token_id": 128001,
        "attention_bias": False},
    "opus-mt-en-zh": {
        "model_type": "marian", "architectures": ["MarianMTModel"], "vocab_size": 65001, "d_model": 512,
        "encoder_layers": 6, "decoder_layers": 6, "encoder_attention_heads": 8, "decoder_attention_heads": 8,
        "encoder_ffn_dim": 2048, "decoder_ffn_dim": 2048, "max_position_embeddings": 512, "scale_embedding": True,
        "activation_function": "swish", "is_encoder_decoder": True, "tie_word_embeddings": True,
        "share_encoder_decoder_embeddings": True, "pad_token_id": 65000, "eos_token_id": 0, "bos_token_id": 0,
        "decoder_start_token_id": 65000, "forced_eos_token_id": 0, "normalize_before": False},
}
NOTES = {"llama-3.2-1b": "rope_scaling (llama3 type) left out: it changes rotary frequencies, not the work per step"}
DECODER_ONLY = {"llama", "qwen2", "mistral"}
# Fields that change the architecture beyond what is built here: refused rather than silently ignored.
UNSUPPORTED = {
    "num_local_experts": "mixture-of-experts layers", "num_experts": "mixture-of-experts layers",
    "quantization_config": "quantized weights", "partial_rotary_factor": "partial rotary",
    "mlp_bias": "MLP biases", "normalize_before": "pre-LN Marian", "add_final_layer_norm": "a final layer norm",
    "layernorm_embedding": "an embedding layer norm",
}


# The most positions kvbench's engine accepts in a config.json (ModelConfig.MAX_POSITIONS).
MAX_POSITIONS = 1 << 24


class BadConfig(Exception):
    pass


def is_set(key, v):
    """Whether an UNSUPPORTED field asks for the feature: true, a non-zero count, an object; partial_rotary_factor other
    than 1. (Booleans are tested first: in Python True == 1 == 1.0.)"""
    if v is None or v is False:
        return False
    if v is True:
        return True
    if key == "partial_rotary_factor":
        return v != 1
    if isinstance(v, (int, float)):
        return v != 0
    return True


def check_config(c):
    t = c.get("model_type")
    if t not in DECODER_ONLY and t != "marian":
        raise BadConfig(f"model_type {t!r} is not supported (llama, qwen2, mistral, marian)")
    for key, what in UNSUPPORTED.items():
        if is_set(key, c.get(key)):
            raise BadConfig(f"config field {key}={json.dumps(c[key])} ({what}) is not supported")
    if t in DECODER_ONLY:
        need = ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"]
        if c.get("use_sliding_window") and c.get("sliding_window"):
            raise BadConfig("config field use_sliding_window=true (sliding-window attention) is not supported")
        if c.get("hidden_act", "silu") != "silu":
            raise BadConfig(f"config field hidden_act={c.get('hidden_act')!r} is not supported (silu)")
    else:
        need = ["vocab_size", "d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads",
                "decoder_attention_heads", "encoder_ffn_dim", "decoder_ffn_dim", "max_position_embeddings"]
        if c.get("activation_function", "swish") not in ("swish", "silu"):
            raise BadConfig(f"config field activation_function={c.get('activation_function')!r} is not supported (swish)")
    if t in DECODER_ONLY:
        need.append("max_position_embeddings")
    for k in need:
        if not isinstance(c.get(k), int) or isinstance(c.get(k), bool) or c[k] <= 0:
            raise BadConfig(f"config field {k} must be a positive integer, got {json.dumps(c.get(k))}")
    if c["max_position_embeddings"] > MAX_POSITIONS:
        raise BadConfig(f"config field max_position_embeddings must be at most {MAX_POSITIONS}, got "
                        f"{c['max_position_embeddings']}")
    if t in DECODER_ONLY:
        theta = (c.get("rope_parameters") or {}).get("rope_theta", c.get("rope_theta", 10000.0))
        eps = c.get("rms_norm_eps", 1e-6)
        for k, v in (("rope_theta", theta), ("rms_norm_eps", eps)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise BadConfig(f"config field {k} must be a finite number > 0, got {json.dumps(v)}")
        heads, kv = c["num_attention_heads"], c.get("num_key_value_heads") or c["num_attention_heads"]
        hd = c.get("head_dim") or c["hidden_size"] // heads
        if heads % kv:
            raise BadConfig(f"num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}")
        if hd % 2:
            raise BadConfig(f"head dim {hd} is odd: rotary needs an even head dim")


class Weights:
    """Appends tensors to one external-data file and returns initializers that reference it (nothing held in memory)."""

    def __init__(self, folder, seed):
        self.path = os.path.join(folder, DATA_FILE)
        self.file = open(self.path, "wb")
        self.rng = np.random.default_rng(seed)
        self.tensors = {}
        self.bytes = 0

    def add(self, name, shape, kind="normal", array=None):
        if name in self.tensors:
            return name
        offset = self.file.tell()
        rows = shape[0]
        per_row = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        block = max(1, (16 << 20) // (4 * per_row))  # 16 MB at a time
        for start in range(0, rows, block):
            n = min(block, rows - start)
            if array is not None:
                a = np.ascontiguousarray(array[start:start + n], dtype=np.float32)
            elif kind == "ones":
                a = np.ones((n,) + tuple(shape[1:]), dtype=np.float32)
            else:
                a = (self.rng.standard_normal((n,) + tuple(shape[1:]), dtype=np.float32) * np.float32(0.02))
            self.file.write(a.tobytes())
        length = self.file.tell() - offset
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", DATA_FILE), ("offset", str(offset)), ("length", str(length))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.tensors[name] = t
        self.bytes += length
        return name

    def table(self, name, array):
        """A computed table (rotary, sinusoidal positions), stored like the weights."""
        return self.add(name, list(array.shape), array=array)

    def close(self):
        self.file.close()


class GraphBuilder:
    """Nodes of one graph; initializers come from the shared Weights."""

    def __init__(self, weights):
        self.w = weights
        self.nodes = []
        self.used = set()
        self.count = 0

    def node(self, op, inputs, out=None, domain=None, **attrs):
        self.count += 1
        out = out or f"t{self.count}_{op}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"n{self.count}_{op}", domain=domain, **attrs))
        self.used.update(i for i in inputs if i in self.w.tensors)
        return out

    def const(self, value, dtype=np.int64):
        name = f"c{self.count + 1}"
        self.count += 1
        self.nodes.append(helper.make_node("Constant", [], [name], name=name,
                                           value=numpy_helper.from_array(np.array(value, dtype=dtype), name)))
        return name

    def weight(self, name, shape, kind="normal"):
        self.w.add(name, shape, kind)
        self.used.add(name)
        return name

    def linear(self, x, name, n_in, n_out, bias=False):
        y = self.node("MatMul", [x, self.weight(name + ".weight", [n_in, n_out])])
        if bias:
            y = self.node("Add", [y, self.weight(name + ".bias", [n_out])])
        return y

    def dim(self, tensor, axis):
        return self.node("Gather", [self.node("Shape", [tensor]), self.const(axis)], axis=0)

    def model(self, inputs, outputs, name):
        graph = helper.make_graph(self.nodes, name, inputs, outputs,
                                  [self.w.tensors[n] for n in sorted(self.used)])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="kvbench-synth")
        m.ir_version = 8
        return m


def rms_norm(g, x, name, hidden, eps):
    sq = g.node("Pow", [x, g.const(2.0, np.float32)])
    mean = g.node("ReduceMean", [sq], axes=[-1], keepdims=1)
    inv = g.node("Sqrt", [g.node("Add", [mean, g.const(eps, np.float32)])])
    return g.node("Mul", [g.weight(name, [hidden], "ones"), g.node("Div", [x, inv])])


def rotate(g, x, cos, sin, half):
    x1 = g.node("Slice", [x, g.const([0]), g.const([half]), g.const([-1])])
    x2 = g.node("Slice", [x, g.const([half]), g.const([2 * half]), g.const([-1])])
    rot = g.node("Concat", [g.node("Neg", [x2]), x1], axis=-1)
    return g.node("Add", [g.node("Mul", [x, cos]), g.node("Mul", [rot, sin])])


def heads(g, x, n, hd):
    """[b, s, n*hd] -> [b, n, s, hd]"""
    return g.node("Transpose", [g.node("Reshape", [x, g.const([0, 0, n, hd])])], perm=[0, 2, 1, 3])


def merge_heads(g, x, n, hd):
    """[b, n, s, hd] -> [b, s, n*hd]"""
    return g.node("Reshape", [g.node("Transpose", [x], perm=[0, 2, 1, 3]), g.const([0, 0, n * hd])])


def attention(g, q, k, v, bias, n, kv, hd):
    """softmax(q k^T / sqrt(hd) + bias) v with grouped-query attention as broadcast MatMuls (repeat_kv without a copy).
    q [b, n, s, hd]; k, v [b, kv, T, hd]; bias 4-D, broadcastable to [b, 1, s, T]. Returns [b, n, s, hd]."""
    rep = n // kv
    q5 = g.node("Reshape", [q, g.const([0, kv, rep, -1, hd])])
    k5 = g.node("Unsqueeze", [k, g.const([2])])
    v5 = g.node("Unsqueeze", [v, g.const([2])])
    scores = g.node("MatMul", [q5, g.node("Transpose", [k5], perm=[0, 1, 2, 4, 3])])
    scores = g.node("Mul", [scores, g.const(1.0 / math.sqrt(hd), np.float32)])
    scores = g.node("Add", [scores, g.node("Unsqueeze", [bias, g.const([1])])])
    out = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), v5])
    return g.node("Reshape", [out, g.const([0, n, -1, hd])])


def decoder_only(c, folder, seed):
    L, h = c["num_hidden_layers"], c["hidden_size"]
    n = c["num_attention_heads"]
    kv = c.get("num_key_value_heads") or n
    hd = c.get("head_dim") or h // n
    V, inter, eps = c["vocab_size"], c["intermediate_size"], float(c.get("rms_norm_eps", 1e-6))
    bias = bool(c.get("attention_bias", c["model_type"] == "qwen2"))
    w = Weights(folder, seed)
    g = GraphBuilder(w)
    x = g.node("Gather", [g.weight("model.embed_tokens.weight", [V, h]), "input_ids"], axis=0)
    theta = float((c.get("rope_parameters") or {}).get("rope_theta", c.get("rope_theta", 10000.0)))
    positions = c["max_position_embeddings"]
    inv = 1.0 / (theta ** (np.arange(0, hd, 2, dtype=np.float32) / hd))
    freqs = np.arange(positions, dtype=np.float32)[:, None] * inv[None, :]
    table = np.concatenate([freqs, freqs], axis=-1)
    cos = g.node("Unsqueeze", [g.node("Gather", [w.table("rotary.cos", np.cos(table).astype(np.float32)), "position_ids"],
                                      axis=0), g.const([1])])
    sin = g.node("Unsqueeze", [g.node("Gather", [w.table("rotary.sin", np.sin(table).astype(np.float32)), "position_ids"],
                                      axis=0), g.const([1])])
    g.used.update(["rotary.cos", "rotary.sin"])
    # Causal and padding mask over [past + new] keys: key j is visible to query i when j <= past + i and mask[j] = 1.
    s = g.dim("input_ids", 1)
    total = g.dim("attention_mask", 1)
    past = g.node("Sub", [total, s])
    qpos = g.node("Unsqueeze", [g.node("Add", [g.node("Range", [g.const(0), s, g.const(1)]), past]), g.const([1])])
    kpos = g.node("Range", [g.const(0), total, g.const(1)])
    causal = g.node("LessOrEqual", [kpos, qpos])
    padding = g.node("Unsqueeze", [g.node("Cast", ["attention_mask"], to=TensorProto.BOOL), g.const([1, 2])])
    visible = g.node("And", [causal, padding])
    mask_bias = g.node("Where", [visible, g.const(0.0, np.float32), g.const(-3.4028234663852886e38, np.float32)])
    for i in range(L):
        p = f"model.layers.{i}."
        normed = rms_norm(g, x, p + "input_layernorm.weight", h, eps)
        q = heads(g, g.linear(normed, p + "self_attn.q_proj", h, n * hd, bias), n, hd)
        k = heads(g, g.linear(normed, p + "self_attn.k_proj", h, kv * hd, bias), kv, hd)
        v = heads(g, g.linear(normed, p + "self_attn.v_proj", h, kv * hd, bias), kv, hd)
        q, k = rotate(g, q, cos, sin, hd // 2), rotate(g, k, cos, sin, hd // 2)
        pk = g.node("Concat", [f"past_key_values.{i}.key", k], f"present.{i}.key", axis=2)
        pv = g.node("Concat", [f"past_key_values.{i}.value", v], f"present.{i}.value", axis=2)
        attn = merge_heads(g, attention(g, q, pk, pv, mask_bias, n, kv, hd), n, hd)
        x = g.node("Add", [x, g.linear(attn, p + "self_attn.o_proj", n * hd, h)])
        y = rms_norm(g, x, p + "post_attention_layernorm.weight", h, eps)
        gate = g.linear(y, p + "mlp.gate_proj", h, inter)
        act = g.node("Mul", [gate, g.node("Sigmoid", [gate])])
        up = g.linear(y, p + "mlp.up_proj", h, inter)
        x = g.node("Add", [x, g.linear(g.node("Mul", [act, up]), p + "mlp.down_proj", inter, h)])
    final = rms_norm(g, x, "model.norm.weight", h, eps)
    if c.get("tie_word_embeddings", False):
        head = g.node("Transpose", ["model.embed_tokens.weight"], perm=[1, 0])
    else:
        head = g.weight("lm_head.weight", [h, V])
    g.node("MatMul", [final, head], "logits")
    kv_in = [helper.make_tensor_value_info(f"past_key_values.{i}.{t}", TensorProto.FLOAT,
                                           ["batch_size", kv, "past_sequence_length", hd]) for i in range(L) for t in ("key", "value")]
    kv_out = [helper.make_tensor_value_info(f"present.{i}.{t}", TensorProto.FLOAT,
                                            ["batch_size", kv, "total_sequence_length", hd]) for i in range(L) for t in ("key", "value")]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
              helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"])] + kv_in
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", V])] + kv_out
    m = g.model(inputs, outputs, c["model_type"] + "-synth")
    w.close()
    save(m, os.path.join(folder, "model.onnx"))
    return w.bytes


def marian(c, folder, seed):
    d, V, P = c["d_model"], c["vocab_size"], c["max_position_embeddings"]
    enc_layers, dec_layers = c["encoder_layers"], c["decoder_layers"]
    n = c["decoder_attention_heads"]
    hd = d // n
    w = Weights(folder, seed)
    scale = math.sqrt(d) if c.get("scale_embedding", False) else 1.0
    pos = np.arange(P, dtype=np.float64)[:, None] / np.power(10000, 2 * (np.arange(d, dtype=np.float64) // 2) / d)
    table = np.zeros((P, d), dtype=np.float32)
    table[:, : d // 2] = np.sin(pos[:, 0::2])
    table[:, d // 2:] = np.cos(pos[:, 0::2])  # Marian's sinusoidal layout: sin half, then cos half
    w.table("model.positions", table)
    w.add("model.shared.weight", [V, d])
    w.add("final_logits_bias", [V])

    def embed(g, ids, first):
        x = g.node("Mul", [g.node("Gather", ["model.shared.weight", ids], axis=0), g.const(scale, np.float32)])
        g.used.update(["model.shared.weight", "model.positions"])
        positions = g.node("Range", [first, g.node("Add", [first, g.dim(ids, 1)]), g.const(1)])
        return g.node("Add", [x, g.node("Gather", ["model.positions", positions], axis=0)])

    def layer_norm(g, x, name):
        return g.node("LayerNormalization", [x, g.weight(name + ".weight", [d], "ones"), g.weight(name + ".bias", [d])],
                      axis=-1, epsilon=1e-5)

    def ffn(g, x, p, dim):
        y = g.linear(x, p + "fc1", d, dim, True)
        y = g.node("Mul", [y, g.node("Sigmoid", [y])])
        return g.linear(y, p + "fc2", dim, d, True)

    def padding_bias(g, mask):  # [b, S] -> [b, 1, 1, S], as attention() wants its bias
        visible = g.node("Unsqueeze", [g.node("Cast", [mask], to=TensorProto.BOOL), g.const([1, 2])])
        return g.node("Where", [visible, g.const(0.0, np.float32), g.const(-3.4028234663852886e38, np.float32)])

    def self_qkv(g, x, p):  # the self-attention projections of a layer, split into heads, in q, k, v order
        return [heads(g, g.linear(x, p + f"self_attn.{t}_proj", d, d, True), n, hd) for t in "qkv"]

    # Encoder
    g = GraphBuilder(w)
    x = embed(g, "input_ids", g.const(0))
    enc_bias = padding_bias(g, "attention_mask")
    for i in range(enc_layers):
        p = f"model.encoder.layers.{i}."
        q, k, v = self_qkv(g, x, p)
        a = merge_heads(g, attention(g, q, k, v, enc_bias, n, n, hd), n, hd)
        x = layer_norm(g, g.node("Add", [x, g.linear(a, p + "self_attn.out_proj", d, d, True)]), p + "self_attn_layer_norm")
        x = layer_norm(g, g.node("Add", [x, ffn(g, x, p, c["encoder_ffn_dim"])]), p + "final_layer_norm")
    g.node("Identity", [x], "last_hidden_state")
    enc = g.model([helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "encoder_sequence_length"]),
                   helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "encoder_sequence_length"])],
                  [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                                 ["batch_size", "encoder_sequence_length", d])], "marian-encoder")

    def decoder(with_past):
        g = GraphBuilder(w)
        past_len = g.dim("past_key_values.0.decoder.key", 2) if with_past else g.const(0)
        x = embed(g, "input_ids", past_len)
        s = g.dim("input_ids", 1)
        total = g.node("Add", [past_len, s])
        qpos = g.node("Unsqueeze", [g.node("Add", [g.node("Range", [g.const(0), s, g.const(1)]), past_len]), g.const([1])])
        causal = g.node("LessOrEqual", [g.node("Range", [g.const(0), total, g.const(1)]), qpos])
        causal = g.node("Unsqueeze", [causal, g.const([0, 1])])  # [1, 1, s, T]
        self_bias = g.node("Where", [causal, g.const(0.0, np.float32), g.const(-3.4028234663852886e38, np.float32)])
        cross_bias = padding_bias(g, "encoder_attention_mask")
        for i in range(dec_layers):
            p = f"model.decoder.layers.{i}."
            q, k, v = self_qkv(g, x, p)
            if with_past:
                k = g.node("Concat", [f"past_key_values.{i}.decoder.key", k], f"present.{i}.decoder.key", axis=2)
                v = g.node("Concat", [f"past_key_values.{i}.decoder.value", v], f"present.{i}.decoder.value", axis=2)
            else:
                k = g.node("Identity", [k], f"present.{i}.decoder.key")
                v = g.node("Identity", [v], f"present.{i}.decoder.value")
            a = merge_heads(g, attention(g, q, k, v, self_bias, n, n, hd), n, hd)
            x = layer_norm(g, g.node("Add", [x, g.linear(a, p + "self_attn.out_proj", d, d, True)]), p + "self_attn_layer_norm")
            q = heads(g, g.linear(x, p + "encoder_attn.q_proj", d, d, True), n, hd)
            if with_past:
                ck, cv = f"past_key_values.{i}.encoder.key", f"past_key_values.{i}.encoder.value"
            else:
                ck = g.node("Identity", [heads(g, g.linear("encoder_hidden_states", p + "encoder_attn.k_proj", d, d, True), n, hd)],
                            f"present.{i}.encoder.key")
                cv = g.node("Identity", [heads(g, g.linear("encoder_hidden_states", p + "encoder_attn.v_proj", d, d, True), n, hd)],
                            f"present.{i}.encoder.value")
            a = merge_heads(g, attention(g, q, ck, cv, cross_bias, n, n, hd), n, hd)
            x = layer_norm(g, g.node("Add", [x, g.linear(a, p + "encoder_attn.out_proj", d, d, True)]), p + "encoder_attn_layer_norm")
            x = layer_norm(g, g.node("Add", [x, ffn(g, x, p, c["decoder_ffn_dim"])]), p + "final_layer_norm")
        head = g.node("Transpose", ["model.shared.weight"], perm=[1, 0])
        g.node("Add", [g.node("MatMul", [x, head]), "final_logits_bias"], "logits")
        g.used.add("final_logits_bias")
        inputs = [helper.make_tensor_value_info("encoder_attention_mask", TensorProto.INT64, ["batch_size", "encoder_sequence_length"]),
                  helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "decoder_sequence_length"])]
        outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "decoder_sequence_length", V])]
        for i in range(dec_layers):
            for kind in ("decoder", "encoder"):
                length = "encoder_sequence_length" if kind == "encoder" else "past_decoder_sequence_length"
                for t in ("key", "value"):
                    if with_past:
                        inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}.{t}", TensorProto.FLOAT,
                                                                    ["batch_size", n, length, hd]))
                    if not with_past or kind == "decoder":
                        outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}.{t}", TensorProto.FLOAT,
                                                                     ["batch_size", n, "present_length", hd]))
        if not with_past:
            inputs.append(helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT,
                                                        ["batch_size", "encoder_sequence_length", d]))
        return g.model(inputs, outputs, "marian-decoder" + ("-with-past" if with_past else ""))

    dec, dec_past = decoder(False), decoder(True)
    w.close()
    for m, f in ((enc, "encoder_model.onnx"), (dec, "decoder_model.onnx"), (dec_past, "decoder_with_past_model.onnx")):
        save(m, os.path.join(folder, f))
    return w.bytes


def save(m, path):
    onnx.save(m, path)
    onnx.checker.check_model(path)


def plan(c):
    """Parameters written, disk and memory needed (ONNX Runtime holds the weights, plus a transposed copy of a tied
    embedding that it folds for the logits MatMul)."""
    if c["model_type"] in DECODER_ONLY:
        L, h, n = c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"]
        kv = c.get("num_key_value_heads") or n
        hd = c.get("head_dim") or h // n
        V, inter = c["vocab_size"], c["intermediate_size"]
        bias = bool(c.get("attention_bias", c["model_type"] == "qwen2"))
        layer = h * (n + 2 * kv) * hd + n * hd * h + 3 * h * inter + 2 * h + (bias * (n + 2 * kv) * hd)
        params = L * layer + V * h + h + (0 if c.get("tie_word_embeddings") else V * h)
        tied = V * h if c.get("tie_word_embeddings") else 0
    else:
        d, V = c["d_model"], c["vocab_size"]
        enc = c["encoder_layers"] * (4 * d * d + 4 * d + 2 * d * c["encoder_ffn_dim"] + c["encoder_ffn_dim"] + d + 4 * d)
        dec = c["decoder_layers"] * (8 * d * d + 8 * d + 2 * d * c["decoder_ffn_dim"] + c["decoder_ffn_dim"] + d + 6 * d)
        params = enc + dec + V * d + V
        tied = V * d
    disk = 4 * params
    return {"parameters": params, "disk_bytes": disk, "memory_bytes": disk + 4 * tied}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--like", choices=sorted(BUILT_IN))
    p.add_argument("--config")
    p.add_argument("--out", required=True)
    p.add_argument("--layers", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plan", action="store_true")
    a = p.parse_args(argv)
    notes = []
    try:
        if (a.like is None) == (a.config is None):
            raise BadConfig("give exactly one of --like NAME and --config FILE")
        if a.like:
            c = dict(BUILT_IN[a.like])
            if a.like in NOTES:
                notes.append(NOTES[a.like])
        else:
            try:
                with open(a.config, encoding="utf-8") as f:
                    c = json.load(f)
            except (OSError, ValueError) as e:
                raise BadConfig(f"cannot read {a.config}: {e}")
            if not isinstance(c, dict):
                raise BadConfig(f"{a.config} is not a JSON object")
            if c.get("rope_scaling") or (c.get("rope_parameters") or {}).get("rope_type", "default") != "default":
                notes.append("rope scaling left out: it changes rotary frequencies, not the work per step")
                c.pop("rope_scaling", None)
                if c.get("rope_parameters"):
                    c["rope_parameters"] = {"rope_type": "default",
                                            "rope_theta": c["rope_parameters"].get("rope_theta", 10000.0)}
        check_config(c)
        if a.layers is not None:
            if a.layers < 1:
                raise BadConfig(f"--layers must be at least 1, got {a.layers}")
            depth = max(c[k] for k in ("num_hidden_layers", "encoder_layers", "decoder_layers") if k in c)
            if a.layers > depth:
                raise BadConfig(f"--layers {a.layers} is more than the architecture's {depth} layer(s): "
                                f"give 1..{depth}, or leave --layers out for the full depth")
            for k in ("num_hidden_layers", "encoder_layers", "decoder_layers"):
                if k in c:
                    c[k] = min(c[k], a.layers)
            if c["model_type"] == "marian":
                c["num_hidden_layers"] = c["encoder_layers"]
            notes.append(f"depth trimmed to {a.layers} layer(s)")
    except BadConfig as e:
        print(f"kvsynth: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    c["torch_dtype"] = "float32"
    c["use_cache"] = True
    c["kvbench_synth"] = {"like": a.like or os.path.basename(a.config), "seed": a.seed, "weights": "N(0, 0.02), fp32",
                          "notes": notes}
    info = plan(c)
    info["notes"] = notes
    if a.plan:
        print(json.dumps(info))
        return 0
    os.makedirs(a.out, exist_ok=True)
    written = (decoder_only if c["model_type"] in DECODER_ONLY else marian)(c, a.out, a.seed)
    with open(os.path.join(a.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(c, f, indent=2)
        f.write("\n")
    gen = {k: c[k] for k in ("bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id") if k in c}
    with open(os.path.join(a.out, "generation_config.json"), "w", encoding="utf-8") as f:
        json.dump(gen, f, indent=2)
        f.write("\n")
    info["weights_bytes"] = written
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
