"""Writes quantized graphs of an fp32 ONNX export in ONNX Runtime's own formats, for `kvbench quantize`.

    python3 kvquantize.py --dtype q4|q8|fp16|q4f16 --out DIR --weights-file NAME [--block-size 32] [--accuracy-level 0|4]
                          [--zero-points] GRAPH=NEW_NAME ...

Each GRAPH (an fp32 .onnx file in DIR) is read without loading its weights; every MatMul by a 2-D float weight (an
initializer, or a Transpose of one) is replaced, in the main graph and in If/Loop subgraphs:
  q4  com.microsoft.MatMulNBits(A, B, scales[, zero_points]), bits 4, block size --block-size along K, round to
      nearest: symmetric by default (scale = the block's value of largest magnitude / -8, zero point 8 implied, as
      ONNX Runtime's MatMulNBitsQuantizer writes with is_symmetric), or with --zero-points asymmetric per block
      (scale = (max - min) / 15, packed uint8 zero points). B is uint8 [N, blocks, block_size / 2], two values a
      byte, the lower index in the low nibble. --accuracy-level is the node's accuracy_level (0: fp32 compute,
      4: int8 compute of A).
  q8  quantize_dynamic's MatMulInteger pattern: DynamicQuantizeLinear(A) (one per activation tensor) ->
      MatMulInteger(A_q, W_q, A_zero_point, W_zero_point) -> Cast(float) -> Mul(A_scale * W_scale); W uint8 per
      tensor, asymmetric over [min(w, 0), max(w, 0)] (ONNX Runtime's QUInt8 weights).
  fp16 every float32 tensor becomes float16, as onnxconverter-common's convert_float_to_float16 does without
      keep_io_types: initializers (all of them, so they are written anew), inputs, outputs and value infos, Constant
      and ConstantOfShape values, and Cast nodes to float; values beyond the float16 range (the float32 minimum of
      attention masks) are clipped to +-65504.
  q4f16 fp16's conversion, then q4's MatMulNBits on the float16 weights, with float16 scales (transformers.js's
      model_q4f16.onnx: float16 activations, inputs and outputs, 4-bit weights).
For q4 and q8, weights that are not quantized (embeddings, norms) stay where they were: the new graphs reference the export's own
external data file at the same offsets, so nothing fp32 is copied. The new tensors go into DIR/NAME, written once
when several graphs share a weight (the split and merged decoders of an encoder-decoder export). A graph with no
float MatMul by a weight (already quantized, or not float) exits 2 with one line. Output: one JSON line.
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import load_external_data_for_tensor

from kvderive import externalize_inline, prune

EXIT_BAD_INPUT = 2
QUANTIZED_OPS = {"MatMulNBits", "MatMulInteger", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "MatMulBnb4",
                 "QLinearMatMul", "DequantizeLinear"}


class Refused(Exception):
    """The graph cannot be quantized as asked; the message is the one line the user sees."""


def weight_array(tensor, base_dir):
    """A float initializer's values, read from its external data without changing the graph's tensor."""
    t = TensorProto()
    t.CopyFrom(tensor)
    if t.data_location == TensorProto.EXTERNAL:
        load_external_data_for_tensor(t, base_dir)
    return numpy_helper.to_array(t, base_dir)


def quantize_q4(w, block, zero_points):
    """[K, N] float -> (B uint8 [N, blocks, block/2], scales float [N * blocks], zero points uint8 or None)."""
    k, n = w.shape
    blocks = -(-k // block)
    padded = np.zeros((blocks * block, n), dtype=np.float32)
    padded[:k] = w
    x = padded.T.reshape(n, blocks, block)  # per column, per block of K
    if zero_points:
        lo = np.minimum(x.min(axis=2), 0.0)
        hi = np.maximum(x.max(axis=2), 0.0)
        scale = (hi - lo) / 15.0
        scale[scale == 0] = 1.0
        zp = np.clip(np.round(-lo / scale), 0, 15).astype(np.uint8)
    else:
        idx = np.abs(x).argmax(axis=2)
        extreme = np.take_along_axis(x, idx[..., None], axis=2)[..., 0]
        scale = extreme / -8.0
        scale[scale == 0] = 1.0
        zp = np.full((n, blocks), 8, dtype=np.uint8)
    q = np.clip(np.round(x / scale[..., None]) + zp[..., None], 0, 15).astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    zps = None
    if zero_points:
        zpad = np.full((n, blocks + (blocks % 2)), 8, dtype=np.uint8)
        zpad[:, :blocks] = zp
        zps = (zpad[:, 0::2] | (zpad[:, 1::2] << 4)).astype(np.uint8).reshape(-1)
    return packed, scale.astype(np.float32).reshape(-1), zps


def quantize_q8(w):
    """[K, N] float -> (W uint8, scale, zero point): per tensor, asymmetric over [min(w, 0), max(w, 0)]."""
    lo = min(float(w.min()), 0.0)
    hi = max(float(w.max()), 0.0)
    scale = (hi - lo) / 255.0 or 1.0
    zp = int(np.clip(round(-lo / scale), 0, 255))
    q = np.clip(np.round(w / scale) + zp, 0, 255).astype(np.uint8)
    return q, np.float32(scale), np.uint8(zp)


class Quantizer:
    def __init__(self, model, base_dir, args):
        self.model = model
        self.base_dir = base_dir
        self.args = args
        self.main = model.graph
        self.initializers = {t.name: t for t in model.graph.initializer}
        self.made = {}  # weight name -> names of its quantized tensors (a weight read by several MatMuls)
        self.count = 0

    def weight_of(self, graph, name):
        """(initializer name, transposed?) when `name` is a 2-D float weight, possibly behind a Transpose; else None."""
        producers = {o: n for n in graph.node for o in n.output}
        transposed = False
        node = producers.get(name)
        if node is not None and node.op_type == "Transpose":
            perm = [a.ints for a in node.attribute if a.name == "perm"]
            if perm and list(perm[0]) != [1, 0]:
                return None
            name, transposed = node.input[0], True
        t = self.initializers.get(name) or next((x for x in graph.initializer if x.name == name), None)
        wanted = TensorProto.FLOAT16 if self.args.dtype == "q4f16" else TensorProto.FLOAT
        if t is None or t.data_type != wanted or len(t.dims) != 2:
            return None
        return t, transposed

    def run(self):
        self.graph(self.main)
        if self.count == 0:
            raise Refused("no float MatMul by a weight to quantize (is the graph already quantized, or not float32?)")
        # Nodes that fed only the replaced MatMuls (the Transpose of tied embeddings) go too: ONNX Runtime would fold
        # such a Transpose of a constant into a second float copy of the matrix at session start.
        prune(self.main)
        if not any(o.domain == "com.microsoft" for o in self.model.opset_import) and self.args.dtype in ("q4", "q4f16"):
            self.model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
        return self.count

    def graph(self, g):
        nodes = []
        quantized_inputs = {}  # q8: activation -> (x_q, x_scale, x_zero_point), one DynamicQuantizeLinear each
        for node in g.node:
            for a in node.attribute:
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    self.graph(sub)
            found = self.weight_of(g, node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
            if found is None:
                nodes.append(node)
                continue
            tensor, transposed = found
            nodes.extend(self.replace(node, tensor, transposed, quantized_inputs))
            self.count += 1
        del g.node[:]
        g.node.extend(nodes)
        prune_unused(g, self.main)

    def replace(self, node, tensor, transposed, quantized_inputs):
        a = self.args
        key = (tensor.name, transposed)
        base = node.name or node.output[0]
        if key not in self.made:
            w = weight_array(tensor, self.base_dir).astype(np.float32)
            w = w.T if transposed else w
            stem = f"{tensor.name}{'_t' if transposed else ''}_{a.dtype}".replace("/", "_").replace(":", "_")
            if a.dtype in ("q4", "q4f16"):
                packed, scales, zps = quantize_q4(w, a.block_size, a.zero_points)
                if a.dtype == "q4f16":
                    scales = scales.astype(np.float16)  # MatMulNBits' scales are of A's type
                names = [stem + "_B", stem + "_scales"] + ([stem + "_zero_points"] if zps is not None else [])
                arrays = [packed, scales] + ([zps] if zps is not None else [])
            else:
                q, scale, zp = quantize_q8(w)
                names = [stem + "_q", stem + "_scale", stem + "_zero_point"]
                arrays = [q, np.array(scale, dtype=np.float32), np.array(zp, dtype=np.uint8)]
            self.main.initializer.extend(numpy_helper.from_array(x, n) for x, n in zip(arrays, names))
            self.made[key] = (names, w.shape)
        names, (k, n) = self.made[key]
        if a.dtype in ("q4", "q4f16"):
            return [helper.make_node("MatMulNBits", [node.input[0]] + names, list(node.output), name=base + "_q4",
                                     domain="com.microsoft", K=k, N=n, bits=4, block_size=a.block_size,
                                     accuracy_level=a.accuracy_level)]
        out = []
        x = node.input[0]
        if x not in quantized_inputs:
            q = (x + "_quantized", x + "_scale", x + "_zero_point")
            out.append(helper.make_node("DynamicQuantizeLinear", [x], list(q), name=base + "_DynamicQuantizeLinear"))
            quantized_inputs[x] = q
        xq, xs, xz = quantized_inputs[x]
        y = node.output[0]
        out += [
            helper.make_node("MatMulInteger", [xq, names[0], xz, names[2]], [y + "_int32"], name=base + "_MatMulInteger"),
            helper.make_node("Cast", [y + "_int32"], [y + "_float"], name=base + "_Cast", to=TensorProto.FLOAT),
            helper.make_node("Mul", [xs, names[1]], [y + "_scales"], name=base + "_scales_Mul"),
            helper.make_node("Mul", [y + "_float", y + "_scales"], [y], name=base + "_Mul"),
        ]
        return out


FP16_MAX = 65504.0


def fp16_array(a):
    """float32 values as float16, clipped to the float16 range (no infinities from finite constants)."""
    return np.clip(a, -FP16_MAX, FP16_MAX).astype(np.float16)


def fp16_tensor(t, base_dir):
    """A float32 TensorProto's float16 copy (inline; externalize_inline moves the large ones), same name."""
    return numpy_helper.from_array(fp16_array(weight_array(t, base_dir)), t.name)


def to_fp16(model, base_dir):
    """Converts the model to float16 in place (see the module text); returns the float32 initializers converted."""
    count = 0

    def value_infos(g):
        for vi in list(g.input) + list(g.output) + list(g.value_info):
            tt = vi.type.tensor_type
            if tt.elem_type == TensorProto.FLOAT:
                tt.elem_type = TensorProto.FLOAT16

    def graph(g):
        nonlocal count
        value_infos(g)
        inits = []
        for t in g.initializer:
            if t.data_type == TensorProto.FLOAT:
                inits.append(fp16_tensor(t, base_dir))
                count += 1
            else:
                inits.append(t)
        del g.initializer[:]
        g.initializer.extend(inits)
        for node in g.node:
            for a in node.attribute:
                if a.HasField("t") and a.t.data_type == TensorProto.FLOAT and node.op_type in ("Constant", "ConstantOfShape"):
                    a.t.CopyFrom(fp16_tensor(a.t, base_dir))
                if node.op_type == "Constant" and a.name == "value_float":
                    a.CopyFrom(helper.make_attribute("value", numpy_helper.from_array(fp16_array(np.array(a.f, np.float32)))))
                if node.op_type == "Constant" and a.name == "value_floats":
                    a.CopyFrom(helper.make_attribute("value", numpy_helper.from_array(fp16_array(np.array(a.floats, np.float32)))))
                if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                    a.i = TensorProto.FLOAT16
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    graph(sub)

    graph(model.graph)
    if count == 0:
        raise Refused("no float32 initializer to convert (is the graph already float16 or quantized?)")
    return count


def prune_unused(g, main):
    """Drops the main graph's initializers no node of any graph reads any more (the replaced fp32 weights)."""
    if g is not main:
        return
    used = set()

    def collect(graph):
        for n in graph.node:
            used.update(n.input)
            for a in n.attribute:
                for sub in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                    collect(sub)
    collect(g)
    used.update(o.name for o in g.output)
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dtype", required=True, choices=["q4", "q8", "fp16", "q4f16"])
    p.add_argument("--out", required=True)
    p.add_argument("--weights-file", required=True)
    p.add_argument("--block-size", type=int, default=32)
    p.add_argument("--accuracy-level", type=int, default=0)
    p.add_argument("--zero-points", action="store_true")
    p.add_argument("graphs", nargs="+", help="SOURCE.onnx=NEW.onnx, both names in --out")
    a = p.parse_args(argv)
    if a.block_size < 16 or a.block_size & (a.block_size - 1):
        return fail(f"--block-size must be a power of 2, at least 16, got {a.block_size}")
    if a.accuracy_level not in (0, 1, 2, 3, 4):
        return fail(f"--accuracy-level must be 0..4, got {a.accuracy_level}")
    models = {}
    summary = []
    for pair in a.graphs:
        source, new = pair.split("=", 1)
        path = os.path.join(a.out, source)
        try:
            m = onnx.load(path, load_external_data=False)
        except Exception as e:  # onnx raises DecodeError and others for a corrupt file
            return fail(f"cannot read {source} as an ONNX model: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
        already = sorted({n.op_type for n in m.graph.node if n.op_type in QUANTIZED_OPS})
        if already:
            return fail(f"{source} is already quantized ({', '.join(already)} nodes): quantize reads fp32 graphs")
        if a.dtype in ("fp16", "q4f16") and any(i.type.tensor_type.elem_type == TensorProto.FLOAT16 for i in m.graph.input):
            return fail(f"{source} is already float16: quantize reads fp32 graphs")
        try:
            if a.dtype in ("fp16", "q4f16"):
                count = to_fp16(m, a.out)
            if a.dtype != "fp16":
                count = Quantizer(m, a.out, a).run()
        except Refused as e:
            return fail(f"{source}: {e}")
        m.producer_name = "kvbench-quantize"
        models[new] = m
        summary.append({"graph": source, "written": new, ("tensors" if a.dtype == "fp16" else "matmuls"): count})
    written = externalize_inline(list(models.values()), a.out, a.weights_file)
    for name, m in models.items():
        path = os.path.join(a.out, name)
        onnx.save(m, path)
        onnx.checker.check_model(path)
    print(json.dumps({"graphs": summary, "weights_bytes": written}))
    return 0


def fail(message):
    print(f"kvquantize: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
