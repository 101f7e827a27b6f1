"""What every part of the export shares: the standard imports, the special token ids, the opset, the thread count,
and kvbench derive's own graph rewrite (kvderive), imported so that the two cannot drift apart."""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # before numpy/torch load BLAS: fixed threads, repeatable sums

import hashlib  # noqa: F401  (re-exported to the other modules)
import json  # noqa: F401
import math  # noqa: F401
import random  # noqa: F401
import sys
import time  # noqa: F401

import numpy as np  # noqa: F401
import onnx  # noqa: F401
import regex  # noqa: F401
import torch  # noqa: F401
import torch.nn as nn  # noqa: F401
import torch.nn.functional as F  # noqa: F401
from onnx import TensorProto, helper, numpy_helper  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "src", "main", "resources", "dev", "kvbench", "derive"))
import kvderive  # noqa: E402,F401

OPSET = 17
PAD, BOS, EOS = 0, 1, 2
THREADS = 2
