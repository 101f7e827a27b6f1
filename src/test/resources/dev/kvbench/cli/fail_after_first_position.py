"""Rewrites a decoder-only export so that ONNX Runtime fails once its cache holds more than one position.

present.0.key passes through a Reshape to [batch, kv_heads, 1, head_dim]: the first step of a one-token prompt runs,
the second (two positions) fails inside ONNX Runtime with a reshape error. For the engine's typed step failure.
usage: fail_after_first_position.py FOLDER  (rewrites FOLDER/model.onnx in place, weights left where they are)
"""
import json
import os
import sys

import onnx
from onnx import helper, numpy_helper
import numpy as np

folder = sys.argv[1]
path = os.path.join(folder, "model.onnx")
config = json.load(open(os.path.join(folder, "config.json")))
head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
model = onnx.load(path, load_external_data=False)
graph = model.graph
name = "present.0.key"
producer = next(n for n in graph.node if name in n.output)
producer.output[list(producer.output).index(name)] = name + ".unchecked"
graph.initializer.append(numpy_helper.from_array(np.array([0, 0, 1, head_dim], dtype=np.int64), "one_position_shape"))
graph.node.append(helper.make_node("Reshape", [name + ".unchecked", "one_position_shape"], [name]))
onnx.save(model, path)
