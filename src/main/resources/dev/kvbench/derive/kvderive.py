"""Derives kvbench's static-cache variants from an Optimum / transformers export (decoder-only or encoder-decoder).

Run by `kvbench derive` (which then compares the variants' logits with the source graph's in ONNX Runtime before it
moves them into place); needs Python 3 with the `onnx` package (Debian: python3-onnx) and numpy.

    python3 kvderive.py --model DIR/model.onnx --config DIR/config.json --out TMPDIR [--weights-file NAME] [--suffix S]

Writes TMPDIR/model_static.onnx and TMPDIR/model_gqa.onnx (with --suffix _q4: model_static_q4.onnx, ...), each passed
through onnx.checker. The projections are found through float MatMul/Gemm (fp32, fp16, QDQ weights), MatMulNBits,
MatMulBnb4, MatMulInteger after DynamicQuantizeLinear and the fused DynamicQuantizeMatMul / MatMulIntegerToFloat. Weights are never copied
when the source keeps them in external data: the variants' initializers point at the same file(s) and offsets (TMPDIR
must hold the same external files, which `kvbench derive` hard-links there). A source with inline weights has them
written once into TMPDIR/<weights-file>, shared by both variants. The graph is read without its external data, so a
large model is never loaded whole.

The two derivations, per layer i (found from the graph's own inputs and outputs, not from node names):
  model_static.onnx  present.i.key/value = Concat(past_key_values.i.*, new) on the sequence axis; the output becomes
                     new_key_values.i.* = the new entries only. The past input then holds the whole preallocated
                     capacity, and the attention mask [batch, capacity + new] marks which cache positions are valid.
  model_gqa.onnx     the layer's attention (rotary on Q and K, concatenation, repeat_kv, softmax(QK^T)V) is replaced by
                     one com.microsoft.GroupQueryAttention node fed by the q/k/v projections and feeding o_proj; it
                     applies rotary itself (cos/sin caches from config.json's rope theta) and writes the new entries in
                     place into past/present buffers that the caller shares. Inputs become input_ids, seqlens_k,
                     total_sequence_length and the pasts.

Encoder-decoder (Marian/BART style), from decoder_with_past_model.onnx, or from the with-past branch of
decoder_model_merged.onnx when only that is there:
  decoder_model_static.onnx  the self-attention cache as model_static.onnx's (past = whole capacity, outputs
                     new_key_values.i.decoder.* = the new entries); a new input attention_mask [batch, capacity + new]
                     marks the valid positions, added as a bias before each self-attention softmax; positions are
                     shifted from the capacity to the valid length (the graph computed them from the past's length);
                     the cross-attention pasts past_key_values.i.encoder.* are read unchanged, never output. The first
                     step still runs the export's no-past decoder, which computes the cross-attention cache. Rows
                     of a batch share decoder positions (row 0's mask gives the valid length).

A graph whose attention is not recognized exits with status 2 and one line naming the layer and the node where
matching failed; nothing is written. Output on success: one JSON object on stdout.
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EXIT_BAD_INPUT = 2
PAST = "past_key_values.{}.{}"
PRESENT = "present.{}.{}"
NEW = "new_key_values.{}.{}"
MASK_BIAS = -1e9  # added to the scores of cache positions not yet written: exp() of it is 0 in float32
SHAPE_OPS = {"Shape", "Size"}
PASS_THROUGH = {"Identity"}
# Projections by a weight, the float activation as input 0: float MatMul/Gemm (fp32, fp16, QDQ weights), ONNX Runtime's
# 4-bit MatMulNBits and MatMulBnb4, and the fused dynamic-quantization DynamicQuantizeMatMul.
FLOAT_INPUT_PROJECTIONS = {"MatMul", "Gemm", "MatMulNBits", "MatMulBnb4", "DynamicQuantizeMatMul"}
# Projections of an activation quantized by DynamicQuantizeLinear (quantize_dynamic's pattern): input 0 is its output.
QUANTIZED_INPUT_PROJECTIONS = {"MatMulInteger", "MatMulIntegerToFloat"}


class Unrecognized(Exception):
    """The graph does not have the pattern a derivation needs; the message is the one line the user sees."""


class GraphIndex:
    """Producers, consumers, initializers and constants of a graph, and which tensors carry the hidden state."""

    def __init__(self, graph):
        self.graph = graph
        self.producer = {}
        self.consumers = {}
        for node in graph.node:
            for o in node.output:
                self.producer[o] = node
            for i in node.input:
                self.consumers.setdefault(i, []).append(node)
        self.initializers = {t.name: t for t in graph.initializer}
        self.inputs = {i.name: i for i in graph.input}
        self.hidden = self._data_dependent_on("input_ids")

    def _data_dependent_on(self, source):
        """Tensors whose values depend on `source`'s values (edges through Shape do not count)."""
        seen, stack = {source}, [source]
        while stack:
            t = stack.pop()
            for node in self.consumers.get(t, []):
                if node.op_type in SHAPE_OPS:
                    continue
                for o in node.output:
                    if o not in seen:
                        seen.add(o)
                        stack.append(o)
        return seen

    def is_weight(self, name):
        """An initializer or Constant, possibly behind a Transpose (torch exports Linear both ways) or a
        DequantizeLinear (QDQ weights)."""
        if name in self.initializers:
            return True
        node = self.producer.get(name)
        if node is None:
            return False
        if node.op_type == "Constant":
            return True
        return node.op_type in ("Transpose", "DequantizeLinear") and self.is_weight(node.input[0])

    def activation_quantizer(self, node):
        """The DynamicQuantizeLinear that feeds a MatMulInteger-style projection its quantized activation, or None."""
        p = self.producer.get(node.input[0]) if node.input else None
        return p if p is not None and p.op_type == "DynamicQuantizeLinear" else None

    def float_input(self, node):
        """The float activation a projection reads (before any dynamic quantization of it)."""
        q = self.activation_quantizer(node) if node.op_type in QUANTIZED_INPUT_PROJECTIONS else None
        return q.input[0] if q is not None else node.input[0]

    def rewire(self, node, tensor):
        """Makes a projection read `tensor` as its float activation (its DynamicQuantizeLinear does, if it has one)."""
        q = self.activation_quantizer(node) if node.op_type in QUANTIZED_INPUT_PROJECTIONS else None
        (q if q is not None else node).input[0] = tensor

    def is_projection(self, node):
        if len(node.input) < 2 or not self.is_weight(node.input[1]):
            return False
        if node.op_type in FLOAT_INPUT_PROJECTIONS:
            return node.input[0] in self.hidden
        return node.op_type in QUANTIZED_INPUT_PROJECTIONS and self.activation_quantizer(node) is not None \
            and self.float_input(node) in self.hidden

    def single_user(self, tensor, op_type):
        users = self.consumers.get(tensor, [])
        return users[0] if len(users) == 1 and users[0].op_type == op_type else None

    def projection_output(self, node):
        """A projection's float result: the MatMul's output (MatMulInteger: after its Cast and scale Mul), or the
        bias Add after it when there is exactly one."""
        out = node.output[0]
        if node.op_type == "MatMulInteger":
            cast = self.single_user(out, "Cast")
            scale = self.single_user(cast.output[0], "Mul") if cast is not None else None
            if scale is None:
                raise Unrecognized(f"{self.describe(node)}: expected Cast then Mul by the scales after it "
                                   "(quantize_dynamic's pattern)")
            out = scale.output[0]
        users = self.consumers.get(out, [])
        if len(users) == 1 and users[0].op_type == "Add":
            other = [i for i in users[0].input if i != out]
            if len(other) == 1 and self.is_weight(other[0]):
                return users[0].output[0]
        return out

    def describe(self, node):
        return f"{node.op_type} node '{node.name or node.output[0]}'"


MASK_BIAS_FP16 = -3e4  # the same in a float16 graph (float16 ends at 65504): exp() of it is 0 too


def cache_float(graph):
    """(TensorProto type, numpy type) of the graph's cache: float16 for fp16 / q4f16 exports, else float32. The
    constants a rewrite adds (rotary tables, mask biases) take this type, as the attention it feeds."""
    for i in graph.input:
        if i.name.startswith("past_key_values.") and i.type.tensor_type.elem_type == TensorProto.FLOAT16:
            return TensorProto.FLOAT16, np.float16
    return TensorProto.FLOAT, np.float32


def layer_count(graph, kind="key"):
    n = 0
    names = {i.name for i in graph.input}
    while PAST.format(n, kind) in names:
        n += 1
    return n


def cache_concat(index, layer, kind):
    """The Concat that makes present.{layer}.{kind} from the past and the new entries; returns (node, new-entries name)."""
    present, past = PRESENT.format(layer, kind), PAST.format(layer, kind)
    node = index.producer.get(present)
    where = f"layer {layer}: {present}"
    if node is None:
        raise Unrecognized(f"{where} is not produced by any node (a graph input or missing)")
    while node.op_type in PASS_THROUGH:
        node = index.producer.get(node.input[0])
        if node is None:
            raise Unrecognized(f"{where} is an Identity of a graph input")
    if node.op_type != "Concat" or len(node.input) != 2:
        raise Unrecognized(f"{where} is made by {index.describe(node)}, expected Concat({past}, new entries) on the "
                           "sequence axis (is the cache concatenated inside the graph, as Optimum exports do?)")
    axis = next((a.i for a in node.attribute if a.name == "axis"), None)
    if axis not in (2, -2):
        raise Unrecognized(f"{where}: {index.describe(node)} concatenates on axis {axis}, expected the sequence axis 2")
    if not comes_from(index, node.input[0], past):
        raise Unrecognized(f"{where}: the first input of {index.describe(node)} is not {past}")
    return node, node.input[1]


def comes_from(index, name, source):
    """True when `name` is `source` or reaches it through single-input no-ops (Identity, one-input Concat)."""
    while name != source:
        node = index.producer.get(name)
        if node is None or not (node.op_type in PASS_THROUGH or (node.op_type == "Concat" and len(node.input) == 1)):
            return False
        name = node.input[0]
    return True


def rename_dims(value_info, names):
    for d, name in zip(value_info.type.tensor_type.shape.dim, names):
        if name is not None:
            d.Clear()
            if isinstance(name, int):
                d.dim_value = name
            else:
                d.dim_param = name


def derive_static(model):
    """model_static.onnx: present outputs become the new entries only; past inputs hold the whole capacity."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    index = GraphIndex(g)
    layers = layer_count(g)
    outputs = {o.name: o for o in g.output}
    for i in range(layers):
        for kind in ("key", "value"):
            _, new = cache_concat(index, i, kind)
            out = outputs[PRESENT.format(i, kind)]
            g.node.append(helper.make_node("Identity", [new], [NEW.format(i, kind)], name=f"kvbench_new_{i}_{kind}"))
            out.name = NEW.format(i, kind)
            rename_dims(out, [None, None, "sequence_length", None])
            rename_dims(index.inputs[PAST.format(i, kind)], [None, None, "cache_capacity", None])
    if "attention_mask" not in index.inputs:
        raise Unrecognized("model.onnx has no attention_mask input: a static cache needs the mask to mark its valid "
                           "positions")
    rename_dims(index.inputs["attention_mask"], [None, "capacity_plus_sequence_length"])
    return m


def nearest_projection_before(index, start, where):
    """Walks back from `start` along hidden-state tensors to the nearest weight projection; returns that node."""
    frontier, seen = [start], {start}
    while frontier:
        nxt = []
        for t in frontier:
            node = index.producer.get(t)
            if node is None:
                continue
            if index.is_projection(node):
                return node
            if node.op_type == "Add":
                bias_of = [index.producer.get(i) for i in node.input]
                for p in bias_of:
                    if p is not None and index.is_projection(p) and index.projection_output(p) == node.output[0]:
                        return p
            for i in node.input:
                if i in index.hidden and i not in seen:
                    seen.add(i)
                    nxt.append(i)
        frontier = nxt
    raise Unrecognized(f"{where}: no projection (MatMul by a weight) found before '{start}'")


def first_after(index, start, wanted, skip=()):
    """Breadth-first from `start` through consumers: the nearest node for which wanted(node) holds, or None. Nodes
    whose op is in `skip` are not followed (Shape: sizes are not data)."""
    frontier, seen = [start], {start}
    while frontier:
        nxt = []
        for t in frontier:
            for node in index.consumers.get(t, []):
                if node.op_type in skip:
                    continue
                if wanted(node):
                    return node
                for o in node.output:
                    if o not in seen:
                        seen.add(o)
                        nxt.append(o)
        frontier = nxt
    return None


def nearest_projection_after(index, start, where):
    """The nearest weight projection after `start` (o_proj after attention)."""
    node = first_after(index, start, lambda n: index.is_projection(n) and index.float_input(n) != start, SHAPE_OPS)
    if node is None:
        raise Unrecognized(f"{where}: no output projection (MatMul by a weight) found after the attention")
    return node


def rope_caches(config, head_dim, where):
    params = config.get("rope_parameters") or config.get("rope_scaling") or {}
    rope_type = params.get("rope_type", params.get("type", "default"))
    if rope_type not in ("default", None):
        raise Unrecognized(f"{where}: rope type '{rope_type}' is not supported (default rotary only)")
    if float(config.get("partial_rotary_factor", 1.0)) != 1.0:
        raise Unrecognized(f"{where}: partial rotary (partial_rotary_factor) is not supported")
    theta = float(params.get("rope_theta", config.get("rope_theta", 10000.0)))
    positions = int(config.get("max_position_embeddings", 0))
    if positions <= 0:
        raise Unrecognized("config.json has no max_position_embeddings")
    inv_freq = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.int64).astype(np.float32) / head_dim))
    freqs = np.arange(positions, dtype=np.float32)[:, None] * inv_freq[None, :]
    return np.cos(freqs).astype(np.float32), np.sin(freqs).astype(np.float32)


def config_int(config, *names):
    for n in names:
        if isinstance(config.get(n), int):
            return config[n]
    raise Unrecognized(f"config.json has none of {', '.join(names)}")


def derive_gqa(model, config):
    """model_gqa.onnx: each layer's attention replaced by com.microsoft.GroupQueryAttention over shared buffers."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    index = GraphIndex(g)
    layers = layer_count(g)
    heads = config_int(config, "num_attention_heads")
    kv_heads = config.get("num_key_value_heads") or heads
    head_dim = config.get("head_dim") or config_int(config, "hidden_size") // heads
    cos, sin = rope_caches(config, head_dim, "model.onnx")
    _, float_type = cache_float(g)
    cos, sin = cos.astype(float_type), sin.astype(float_type)
    rewired = {}  # o_proj node name -> (input index, new tensor)
    gqa_nodes = {}  # o_proj node name -> GroupQueryAttention node, inserted just before it
    for i in range(layers):
        where = f"layer {i}"
        key_concat, new_k = cache_concat(index, i, "key")
        value_concat, new_v = cache_concat(index, i, "value")
        k_proj = nearest_projection_before(index, new_k, where + " key")
        v_proj = nearest_projection_before(index, new_v, where + " value")
        if k_proj is v_proj:
            raise Unrecognized(f"{where}: keys and values come from one projection ({index.describe(k_proj)}); "
                               "fused QKV projections are not supported")
        activation = index.float_input(k_proj)
        siblings = [n for n in g.node if index.is_projection(n) and index.float_input(n) == activation
                    and n is not k_proj and n is not v_proj]
        if len(siblings) != 1:
            raise Unrecognized(f"{where}: expected exactly one query projection beside {index.describe(k_proj)} on its "
                               f"input, found {len(siblings)}")
        q_proj = siblings[0]
        if index.float_input(v_proj) != activation:
            raise Unrecognized(f"{where}: {index.describe(k_proj)} and {index.describe(v_proj)} read different inputs")
        o_proj = nearest_projection_after(index, PRESENT.format(i, "value"), where)
        attn = f"kvbench_gqa_{i}_output"
        gqa_nodes[o_proj.name or o_proj.output[0]] = helper.make_node(
            "GroupQueryAttention",
            [index.projection_output(q_proj), index.projection_output(k_proj), index.projection_output(v_proj),
             PAST.format(i, "key"), PAST.format(i, "value"), "seqlens_k", "total_sequence_length",
             "kvbench_cos_cache", "kvbench_sin_cache"],
            [attn, PRESENT.format(i, "key"), PRESENT.format(i, "value")],
            name=f"kvbench_gqa_{i}", domain="com.microsoft",
            num_heads=heads, kv_num_heads=kv_heads, do_rotary=1, rotary_interleaved=0)
        rewired[o_proj.name or o_proj.output[0]] = attn
        # The old concatenations must not write the presents any more.
        for concat in (key_concat, value_concat):
            concat.output[0] = concat.output[0] + ".kvbench_unused"
    nodes = []
    for node in g.node:
        key = node.name or node.output[0]
        if key in gqa_nodes:
            nodes.append(gqa_nodes[key])
            index.rewire(node, rewired[key])
        nodes.append(node)
    del g.node[:]
    g.node.extend(topological(nodes))  # a rewired DynamicQuantizeLinear comes before its GroupQueryAttention
    g.initializer.extend([numpy_helper.from_array(cos, "kvbench_cos_cache"),
                          numpy_helper.from_array(sin, "kvbench_sin_cache")])
    prune(g)
    index = GraphIndex(g)
    for dropped in ("attention_mask", "position_ids"):
        users = index.consumers.get(dropped, [])
        if users:
            raise Unrecognized(f"{index.describe(users[0])} still reads {dropped} after the attention was replaced "
                               "(an attention pattern the derivation does not know)")
    kept = [i for i in g.input if i.name not in ("attention_mask", "position_ids")]
    kept.insert(1, helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, ["batch_size"]))
    kept.insert(2, helper.make_tensor_value_info("total_sequence_length", TensorProto.INT32, []))
    del g.input[:]
    g.input.extend(kept)
    for i in range(layers):
        for kind in ("key", "value"):
            rename_dims(next(x for x in g.input if x.name == PAST.format(i, kind)), [None, None, "cache_capacity", None])
            rename_dims(next(x for x in g.output if x.name == PRESENT.format(i, kind)), [None, None, "cache_capacity", None])
    if not any(o.domain == "com.microsoft" for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return m


def with_past_graph(merged):
    """The with-past branch of an Optimum merged decoder (If on use_cache_branch) as a graph of its own."""
    g = merged.graph
    ifs = [n for n in g.node if n.op_type == "If"]
    if len(ifs) != 1 or not comes_from(GraphIndex(g), ifs[0].input[0], "use_cache_branch"):
        raise Unrecognized("decoder_model_merged.onnx: expected one If node on use_cache_branch, found "
                           f"{len(ifs)} If node(s)")
    node = ifs[0]
    branch = next(a.g for a in node.attribute if a.name == "then_branch")
    m = onnx.ModelProto()
    m.CopyFrom(merged)
    out = m.graph
    nodes = [n for n in out.node if n.op_type != "If"]
    nodes += list(branch.node)
    for inner, outer in zip(branch.output, node.output):
        if inner.name != outer:
            nodes.append(helper.make_node("Identity", [inner.name], [outer], name=f"kvbench_branch_{outer}"))
    del out.node[:]
    out.node.extend(nodes)
    out.initializer.extend(branch.initializer)
    inputs = [i for i in out.input if i.name != "use_cache_branch"]
    del out.input[:]
    out.input.extend(inputs)
    return m


def reachable_from(index, sources):
    """Every tensor computed from `sources`, through any op (Shape included)."""
    seen, stack = set(sources), list(sources)
    while stack:
        t = stack.pop()
        for node in index.consumers.get(t, []):
            for o in node.output:
                if o not in seen:
                    seen.add(o)
                    stack.append(o)
    return seen


def derive_encoder_decoder_static(model):
    """decoder_model_static.onnx from a with-past decoder: static self-attention cache, cross-attention pasts reused."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    index = GraphIndex(g)
    layers = layer_count(g, "decoder.key")
    if layers == 0:
        raise Unrecognized("the with-past decoder has no past_key_values.0.decoder.key input")
    try:
        inferred = onnx.shape_inference.infer_shapes(m)
        ranks = {v.name: len(v.type.tensor_type.shape.dim) for v in inferred.graph.value_info
                 if v.type.tensor_type.HasField("shape")}
    except Exception:  # inference is a hint for the bias rank only
        ranks = {}
    extra = []  # nodes computing the validity bias and the position offset, placed first
    const = lambda name, value, dtype: extra.append(helper.make_node(
        "Constant", [], [name], name=name, value=numpy_helper.from_array(np.array(value, dtype=dtype), name))) or name
    mask_f = "kvbench_mask_float"
    proto_type, float_type = cache_float(g)
    bias = MASK_BIAS_FP16 if float_type == np.float16 else MASK_BIAS
    extra.append(helper.make_node("Cast", ["attention_mask"], [mask_f], name=mask_f, to=proto_type))
    extra.append(helper.make_node("Sub", [const("kvbench_one", 1.0, float_type), mask_f], ["kvbench_invalid"],
                                  name="kvbench_invalid"))
    extra.append(helper.make_node("Mul", ["kvbench_invalid", const("kvbench_bias_scale", bias, float_type)],
                                  ["kvbench_bias"], name="kvbench_bias"))
    biases = {}

    def bias_of_rank(rank):
        """The [batch, T] bias unsqueezed to broadcast against scores of this rank ([b, ..., s, T])."""
        if rank not in biases:
            name = f"kvbench_bias_{rank}d"
            axes = const(f"kvbench_axes_{rank}", list(range(1, rank - 1)), np.int64)
            extra.append(helper.make_node("Unsqueeze", ["kvbench_bias", axes], [name], name=name))
            biases[rank] = name
        return biases[rank]
    outputs = {o.name: o for o in g.output}
    for i in range(layers):
        concats = {}
        for kind in ("key", "value"):
            name = f"decoder.{kind}"
            concats[kind], new = cache_concat(index, i, name)
            out = outputs[PRESENT.format(i, name)]
            g.node.append(helper.make_node("Identity", [new], [NEW.format(i, name)], name=f"kvbench_new_{i}_{kind}"))
            out.name = NEW.format(i, name)
            rename_dims(out, [None, None, "decoder_sequence_length", None])
            rename_dims(index.inputs[PAST.format(i, name)], [None, None, "cache_capacity", None])
        softmax = first_after(index, concats["key"].output[0], lambda n: n.op_type == "Softmax")
        if softmax is None:
            raise Unrecognized(f"layer {i}: no Softmax after present.{i}.decoder.key (self-attention scores not found)")
        scores = softmax.input[0]
        biased = f"kvbench_scores_{i}"
        g.node.append(helper.make_node("Add", [scores, bias_of_rank(ranks.get(scores, 4))], [biased], name=biased))
        softmax.input[0] = biased
    # Positions: the graph derives them from the past's length, which is now the capacity; shift them to the valid
    # length (= mask sum - new tokens). Found as the Gather of a weight table indexed by something computed from it.
    past_shape = reachable_from(index, [PAST.format(i, f"decoder.{k}") for i in range(layers) for k in ("key", "value")])
    tables = [n for n in g.node if n.op_type == "Gather" and index.is_weight(n.input[0]) and n.input[1] in past_shape
              and n.input[1] not in index.hidden]
    if len(tables) != 1:
        raise Unrecognized(f"expected one position-table Gather indexed from the past length, found {len(tables)} "
                           "(positions that do not come from the past's length are not supported)")
    gather = tables[0]
    extra += [
        helper.make_node("Shape", [PAST.format(0, "decoder.key")], ["kvbench_past_shape"], name="kvbench_past_shape"),
        helper.make_node("Gather", ["kvbench_past_shape", const("kvbench_two", 2, np.int64)], ["kvbench_capacity"],
                         name="kvbench_capacity", axis=0),
        helper.make_node("Shape", ["input_ids"], ["kvbench_ids_shape"], name="kvbench_ids_shape"),
        helper.make_node("Gather", ["kvbench_ids_shape", const("kvbench_one_i", 1, np.int64)], ["kvbench_new"],
                         name="kvbench_new", axis=0),
        # Rows of a batch share decoder positions (same decoder length, no holes): row 0's mask tells the valid length.
        helper.make_node("Gather", ["attention_mask", const("kvbench_row0", 0, np.int64)], ["kvbench_mask_row0"],
                         name="kvbench_mask_row0", axis=0),
        helper.make_node("Cast", ["kvbench_mask_row0"], ["kvbench_mask_i64"], name="kvbench_mask_i64", to=TensorProto.INT64),
        helper.make_node("ReduceSum", ["kvbench_mask_i64"], ["kvbench_mask_sum"], name="kvbench_mask_sum", keepdims=0),
        helper.make_node("Sub", ["kvbench_mask_sum", "kvbench_new"], ["kvbench_valid"], name="kvbench_valid"),
        helper.make_node("Sub", ["kvbench_valid", "kvbench_capacity"], ["kvbench_shift"], name="kvbench_shift"),
        helper.make_node("CastLike", ["kvbench_shift", gather.input[1]], ["kvbench_shift_like"], name="kvbench_shift_like"),
        helper.make_node("Add", [gather.input[1], "kvbench_shift_like"], ["kvbench_positions"], name="kvbench_positions"),
    ]
    gather.input[1] = "kvbench_positions"
    # Cross-attention presents are the unchanged pasts: not outputs of the static graph.
    kept = [o for o in g.output if ".encoder." not in o.name]
    del g.output[:]
    g.output.extend(kept)
    g.input.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                                 ["batch_size", "capacity_plus_decoder_sequence_length"]))
    nodes = extra + list(g.node)
    del g.node[:]
    g.node.extend(topological(nodes))
    prune(g)
    used = {i for n in g.node for i in n.input}
    inputs = [i for i in g.input if i.name in used]
    del g.input[:]
    g.input.extend(inputs)
    return m


def topological(nodes):
    """Orders nodes so that every input is produced first (the inserted Adds read tensors made later in the list)."""
    produced_by = {o: n for n in nodes for o in n.output}
    done, order, visiting = set(), [], set()

    def visit(n):
        key = id(n)
        if key in done:
            return
        stack = [(n, False)]
        while stack:
            node, expanded = stack.pop()
            k = id(node)
            if k in done:
                continue
            if expanded:
                done.add(k)
                order.append(node)
                continue
            stack.append((node, True))
            for i in node.input:
                p = produced_by.get(i)
                if p is not None and id(p) not in done:
                    stack.append((p, False))
    for n in nodes:
        visit(n)
    return order


def prune(graph):
    """Drops nodes and initializers that no graph output needs (the replaced attention, rotary, mask building)."""
    producer = {o: n for n in graph.node for o in n.output}
    needed, stack = set(), [o.name for o in graph.output]
    keep = set()
    while stack:
        t = stack.pop()
        if t in needed:
            continue
        needed.add(t)
        node = producer.get(t)
        if node is not None and id(node) not in keep:
            keep.add(id(node))
            stack.extend(i for i in node.input if i)
            for a in node.attribute:  # subgraphs (If/Loop) read outer tensors
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    stack.extend(i for n in sub.node for i in n.input if i)
    nodes = [n for n in graph.node if id(n) in keep]
    del graph.node[:]
    graph.node.extend(nodes)
    inits = [t for t in graph.initializer if t.name in needed]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    del graph.value_info[:]


def externalize_inline(models, out_dir, weights_file, threshold=1024):
    """Moves the inline initializers of at least `threshold` bytes of `models` into one external-data file shared by
    all of them, each distinct tensor content (type, shape, bytes) written once, at an offset aligned to 64 bytes.
    The one weight-sharing routine: `derive` and `synth` use it for their variants' new tensors, and
    scripts/export_models.py for the bundled models' weights. Returns the bytes written (the file is removed when none
    are)."""
    path = os.path.join(out_dir, weights_file)
    offsets = {}
    written = 0
    with open(path, "wb") as f:
        for m in models:
            for t in m.graph.initializer:
                if t.data_location == TensorProto.EXTERNAL:
                    continue
                data = numpy_helper.to_array(t).tobytes()
                if len(data) < threshold:
                    continue
                key = (t.data_type, tuple(t.dims), hashlib.sha256(data).hexdigest())
                if key not in offsets:
                    pad = (-f.tell()) % 64
                    f.write(b"\0" * pad)
                    offsets[key] = f.tell()
                    f.write(data)
                    written += len(data)
                t.ClearField("raw_data")
                for field in ("float_data", "int32_data", "int64_data", "double_data"):
                    t.ClearField(field)
                t.data_location = TensorProto.EXTERNAL
                del t.external_data[:]
                for k, v in (("location", weights_file), ("offset", str(offsets[key])), ("length", str(len(data)))):
                    e = t.external_data.add()
                    e.key, e.value = k, v
    if written == 0:
        os.remove(path)
    return written


def external_files(model):
    return sorted({e.value for t in model.graph.initializer if t.data_location == TensorProto.EXTERNAL
                   for e in t.external_data if e.key == "location"})


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="model.onnx, decoder_with_past_model.onnx or decoder_model_merged.onnx")
    p.add_argument("--config", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--weights-file", default="variants.onnx_data")
    p.add_argument("--suffix", default="", help="dtype suffix of the variants' names (_q4: model_gqa_q4.onnx)")
    a = p.parse_args(argv)
    try:
        with open(a.config, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError) as e:
        return fail(f"cannot read {a.config}: {e}")
    try:
        source = onnx.load(a.model, load_external_data=False)
    except Exception as e:  # onnx raises DecodeError and others for a corrupt file
        return fail(f"cannot read {a.model} as an ONNX model: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    try:  # the export itself (external data files included): a broken one is bad input, not our rewrite's fault
        onnx.checker.check_model(a.model)
    except Exception as e:
        return fail(f"{os.path.basename(a.model)} fails onnx.checker: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    names = {i.name for i in source.graph.input}
    try:
        if PAST.format(0, "key") in names and "input_ids" in names:
            variants = {f"model_static{a.suffix}.onnx": derive_static(source),
                        f"model_gqa{a.suffix}.onnx": derive_gqa(source, config)}
        elif "use_cache_branch" in names:
            variants = {f"decoder_model_static{a.suffix}.onnx": derive_encoder_decoder_static(with_past_graph(source))}
        elif PAST.format(0, "decoder.key") in names:
            variants = {f"decoder_model_static{a.suffix}.onnx": derive_encoder_decoder_static(source)}
        else:
            return fail(f"{a.model} is not a decoder with a cache (inputs: {sorted(names)})")
    except Unrecognized as e:
        return fail(f"{os.path.basename(a.model)}: {e}")
    inline = externalize_inline(list(variants.values()), a.out, a.weights_file)
    for name, m in variants.items():
        m.producer_name = "kvbench-derive"
        path = os.path.join(a.out, name)
        onnx.save(m, path)
        onnx.checker.check_model(path)
    print(json.dumps({"layers": max(layer_count(source.graph), layer_count(source.graph, "decoder.key")),
                      "variants": sorted(variants),
                      "shared_external_files": external_files(source), "inline_weights_copied_bytes": inline}))
    return 0


def fail(message):
    print(f"kvderive: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
