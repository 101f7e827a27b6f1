"""Writes a quantized-cache GroupQueryAttention variant (model_gqa_kv8.onnx, model_gqa_kv4.onnx) from model_gqa.onnx.

Run by `kvbench derive` after its calibration pass; needs Python 3 with the `onnx` package and numpy.

    python3 kvcachequant.py --gqa DIR/model_gqa.onnx --scales SCALES.json --out DIR/model_gqa_kv8.onnx

SCALES.json: {"bits": 8 | 4, "quant_type": "PER_TENSOR" | "PER_CHANNEL", "kv_heads": H, "head_dim": D,
              "layers": [{"k": [...], "v": [...]}, ...]}   (1 value per tensor, or H x D per channel, row-major)

Every com.microsoft.GroupQueryAttention node gets kv_cache_bit_width, k_quant_type / v_quant_type and its layer's
k_scale / v_scale (inputs 12 and 13, the optional inputs 9 to 11 left empty) as initializers, so the folder is
self-contained. The past inputs and present outputs become int8 [batch, kv_heads, capacity, D] at 8 bits, uint8
[batch, kv_heads, capacity, D / 2] at 4 bits (two values a byte, as ONNX Runtime packs them). ONNX Runtime stores
round(x / scale) clamped to the signed range and reads back q * scale. The weights stay where model_gqa.onnx has them
(external data beside it). Output on success: one JSON object on stdout; bad input exits 2 with one line.
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EXIT_BAD_INPUT = 2
QUANT_TYPES = ("PER_TENSOR", "PER_CHANNEL")


def fail(message):
    print(f"kvcachequant: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def gqa_nodes(graph):
    return [n for n in graph.node if n.op_type == "GroupQueryAttention" and n.domain == "com.microsoft"]


def layer_of(node):
    """The layer whose cache a node writes: i of its present.i.key output."""
    name = node.output[1]
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "present" or not parts[1].isdigit():
        raise ValueError(f"{node.name}: present output {name} is not present.<layer>.key")
    return int(parts[1])


def with_quantized_cache(model, scales):
    quant = scales["quant_type"]
    bits = int(scales["bits"])
    if bits not in (8, 4):
        raise ValueError(f"bits must be 8 or 4, got {bits}")
    heads, dim = int(scales["kv_heads"]), int(scales["head_dim"])
    shape = [1] if quant == "PER_TENSOR" else [1, heads, 1, dim]
    size = int(np.prod(shape))
    g = model.graph
    nodes = gqa_nodes(g)
    if not nodes:
        raise ValueError("no com.microsoft.GroupQueryAttention node: not a kvbench model_gqa graph")
    if len(nodes) != len(scales["layers"]):
        raise ValueError(f"{len(nodes)} GroupQueryAttention nodes but scales for {len(scales['layers'])} layers")
    cache_names = set()
    for node in nodes:
        i = layer_of(node)
        layer = scales["layers"][i]
        inputs = list(node.input) + [""] * max(0, 12 - len(node.input))
        for kind in ("k", "v"):
            values = np.asarray(layer[kind], dtype=np.float32).reshape(-1)
            if values.size != size:
                raise ValueError(f"layer {i}: {kind}_scale has {values.size} values, {quant} needs {size}")
            if not np.all(np.isfinite(values)) or np.any(values <= 0):
                raise ValueError(f"layer {i}: {kind}_scale must be finite and positive")
            name = f"kvbench_{kind}_scale_{i}"
            # float32 also in a float16 graph: ONNX Runtime 1.29 refuses float16 scales ("Type 'tensor(float16)' of
            # input parameter ... is invalid").
            g.initializer.append(numpy_helper.from_array(values.reshape(shape), name))
            inputs.append(name)
        del node.input[:]
        node.input.extend(inputs[:14])
        kept = [a for a in node.attribute if a.name not in ("kv_cache_bit_width", "k_quant_type", "v_quant_type")]
        del node.attribute[:]
        node.attribute.extend(kept + [helper.make_attribute("kv_cache_bit_width", bits),
                                      helper.make_attribute("k_quant_type", quant),
                                      helper.make_attribute("v_quant_type", quant)])
        cache_names.update([node.input[3], node.input[4], node.output[1], node.output[2]])
    for value in list(g.input) + list(g.output):
        if value.name in cache_names:
            t = value.type.tensor_type
            t.elem_type = TensorProto.INT8 if bits == 8 else TensorProto.UINT8
            if bits == 4:
                t.shape.dim[3].dim_value = (dim + 1) // 2
    return model


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gqa", required=True)
    p.add_argument("--scales", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    try:
        with open(a.scales, encoding="utf-8") as f:
            scales = json.load(f)
        if scales.get("quant_type") not in QUANT_TYPES:
            return fail(f"{a.scales}: quant_type must be one of {', '.join(QUANT_TYPES)}")
    except (OSError, ValueError) as e:
        return fail(f"cannot read {a.scales}: {e}")
    try:
        model = onnx.load(a.gqa, load_external_data=False)
    except Exception as e:
        return fail(f"cannot read {a.gqa} as an ONNX model: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
    try:
        with_quantized_cache(model, scales)
    except (ValueError, KeyError, TypeError) as e:
        return fail(f"{a.gqa}: {e}")
    model.producer_name = "kvbench-derive"
    onnx.save(model, a.out)
    onnx.checker.check_model(a.out)
    print(json.dumps({"written": a.out, "bits": scales["bits"], "quant_type": scales["quant_type"],
                      "layers": len(scales["layers"])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
