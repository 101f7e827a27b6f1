"""Writes a copy of a graph whose com.microsoft.MatMulNBits nodes compute at another accuracy level.

Run by `kvbench derive` on a q4 graph at accuracy level 4 (int8 compute of the activations): the export and its
derived variants are copied at level 0 (float32 compute, the same 4-bit weights), where the variants' rewrite can be
checked against the export at a float tolerance; at level 4 the int8 rounding of the activations turns the attention
kernels' float-level differences into steps of the rounding. Needs Python 3 with the `onnx` package.

    python3 kvaccuracylevel.py --level 0 IN.onnx OUT.onnx [IN.onnx OUT.onnx ...]

Only the nodes' accuracy_level attribute changes (main graph and If/Loop subgraphs); the weights stay where the graph
names them (external data, relative to OUT's folder). Output on success: one JSON object on stdout; bad input exits 2
with one line.
"""
import argparse
import json
import sys

import onnx
from onnx import helper

EXIT_BAD_INPUT = 2


def set_level(graph, level):
    changed = 0
    for node in graph.node:
        if node.op_type == "MatMulNBits" and node.domain == "com.microsoft":
            kept = [a for a in node.attribute if a.name != "accuracy_level"]
            del node.attribute[:]
            node.attribute.extend(kept)
            node.attribute.append(helper.make_attribute("accuracy_level", level))
            changed += 1
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                changed += set_level(a.g, level)
            for g in a.graphs:
                changed += set_level(g, level)
    return changed


def main(argv):
    p = argparse.ArgumentParser(prog="kvaccuracylevel")
    p.add_argument("--level", type=int, required=True)
    p.add_argument("files", nargs="+")
    a = p.parse_args(argv)
    if a.level not in (0, 1, 2, 3, 4) or len(a.files) % 2:
        print("kvaccuracylevel: --level 0..4 and IN OUT pairs", file=sys.stderr)
        return EXIT_BAD_INPUT
    nodes = {}
    for src, dst in zip(a.files[0::2], a.files[1::2]):
        model = onnx.load(src, load_external_data=False)
        nodes[dst] = set_level(model.graph, a.level)
        onnx.save(model, dst)
    print(json.dumps({"level": a.level, "nodes": nodes}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
