#!/usr/bin/python3
"""Builds, trains and exports kvbench's bundled models, with PyTorch golden outputs.

Runs with Debian's python3 (torch 1.13, onnx 1.12, regex), on the CPU, deterministically:

    apt-get install -y python3-torch python3-onnx python3-regex libopenblas0-pthread
    /usr/bin/python3 scripts/export_models.py            # trains, exports, writes goldens into models/

Two models, defined here because transformers is not available on this machine:

* tiny-llama: a Llama/Qwen2-style decoder-only model (RMSNorm, rotary positions, grouped-query attention
  with 8 query and 2 KV heads, SwiGLU, tied embeddings), trained on the text of Python's pydoc_data.topics.
  Exported three times from the same weights:
    model.onnx         Optimum decoder-only layout (dynamic past, concatenating cache)
    model_static.onnx  fixed-capacity past inputs; outputs only the new K/V entries (index-copy cache)
    model_gqa.onnx     com.microsoft.GroupQueryAttention with a past/present buffer shared in place
* tiny-marian: a Marian-style encoder-decoder (sinusoidal positions, post-LN, shared embeddings,
  final logits bias), trained to reverse the word order of short sentences taken from the same text.
  Exported in the Optimum / transformers.js layout: encoder_model.onnx, decoder_model.onnx,
  decoder_with_past_model.onnx and decoder_model_merged.onnx (one If node on use_cache_branch), plus
  decoder_model_static.onnx (static self-attention cache), derived by kvderive.py, the code of `kvbench derive`.

Every ONNX file of a folder keeps its large weights in one shared external-data file, weights.onnx_data,
each distinct tensor stored once (content-addressed), so the variants cost no extra megabytes.

Debian's torch links the generic libblas.so.3; libopenblas0-pthread makes that alternative OpenBLAS (about 20x faster
here). Determinism: fixed seeds, fixed data order, a fixed thread count and torch's deterministic algorithms.
Training checkpoints are cached in build/export-cache/ (ignored by git); --retrain ignores them.
"""
import os
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")  # before numpy/torch load BLAS: fixed threads, repeatable sums

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import onnx
import regex
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "resources", "dev",
                                "kvbench", "derive"))
import kvderive  # noqa: E402  (kvbench derive's graph rewrite, shared so that the two cannot drift apart)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The bundled folders carry a copy of the project's BPE tokenizer; a plain clone regenerates from that copy.
BUNDLED_TOKENIZER = os.path.join(ROOT, "models", "tiny-llama", "tokenizer.json")
OPSET = 17
PAD, BOS, EOS = 0, 1, 2
THREADS = 2


# --------------------------------------------------------------------------------------------
# Tokenizer: byte-level BPE read from the Hugging Face tokenizer.json (the same file the Java side loads).
# --------------------------------------------------------------------------------------------
class ByteLevelBpe:
    PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        assert spec["pre_tokenizer"]["type"] == "ByteLevel" and spec["model"]["type"] == "BPE"
        self.vocab = spec["model"]["vocab"]
        self.inverse = {i: t for t, i in self.vocab.items()}
        for added in spec["added_tokens"]:
            self.inverse[added["id"]] = added["content"]
        self.special = {a["id"] for a in spec["added_tokens"] if a["special"]}
        merges = spec["model"]["merges"]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
        cs = bs[:]
        n = 0
        for b in range(256):
            if b not in bs:
                bs.append(b)
                cs.append(256 + n)
                n += 1
        self.byte_to_char = {b: chr(c) for b, c in zip(bs, cs)}
        self.char_to_byte = {v: k for k, v in self.byte_to_char.items()}
        self.cache = {}

    def _bpe(self, word):
        if word in self.cache:
            return self.cache[word]
        parts = list(word)
        while len(parts) > 1:
            best = min(((self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))))
            if best[0] == 1 << 30:
                break
            i = best[1]
            parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
        ids = [self.vocab[p] for p in parts]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for piece in self.PATTERN.findall(text):
            ids.extend(self._bpe("".join(self.byte_to_char[b] for b in piece.encode("utf-8"))))
        return ids

    def decode(self, ids):
        chars = "".join(self.inverse[i] for i in ids if i not in self.special)
        return bytes(self.char_to_byte[c] for c in chars).decode("utf-8", errors="replace")


def corpus_text():
    import pydoc_data.topics as topics
    return [topics.topics[k] for k in sorted(topics.topics)]


def normalized(text):
    """Whitespace collapsed within lines and blank lines dropped. The topics are full of indented code, and a
    byte-level BPE spends one token per space of indentation: trained on the raw text, a small model's greedy
    output degenerates into runs of spaces."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# --------------------------------------------------------------------------------------------
# tiny-llama: decoder-only, Llama/Qwen2 style.
# --------------------------------------------------------------------------------------------
LLAMA = dict(vocab_size=4096, hidden_size=256, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2,
             head_dim=32, intermediate_size=768, max_position_embeddings=2048, rope_theta=10000.0, rms_norm_eps=1e-6)


class RmsNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, hd = c["hidden_size"], c["head_dim"]
        self.nh, self.nkv, self.hd = c["num_attention_heads"], c["num_key_value_heads"], hd
        self.input_norm = RmsNorm(h, c["rms_norm_eps"])
        self.q_proj = nn.Linear(h, self.nh * hd, bias=False)
        self.k_proj = nn.Linear(h, self.nkv * hd, bias=False)
        self.v_proj = nn.Linear(h, self.nkv * hd, bias=False)
        self.o_proj = nn.Linear(self.nh * hd, h, bias=False)
        self.post_norm = RmsNorm(h, c["rms_norm_eps"])
        self.gate_proj = nn.Linear(h, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(h, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], h, bias=False)

    def new_kv(self, x, cos, sin):
        """Rotated keys and values of the new tokens, [b, kv_heads, s, hd]."""
        b, s, _ = x.shape
        k = self.k_proj(x).view(b, s, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.nkv, self.hd).transpose(1, 2)
        return k * cos + rotate_half(k) * sin, v

    def attend(self, x, normed, cos, sin, keys, values, mask):
        """Attention of the new tokens over `keys`/`values` (allowed where mask [b|1, 1, s, t] is true), then the MLP."""
        b, s, _ = x.shape
        q = self.q_proj(normed).view(b, s, self.nh, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        rep = self.nh // self.nkv
        t = keys.shape[2]
        keys = keys[:, :, None].expand(b, self.nkv, rep, t, self.hd).reshape(b, self.nh, t, self.hd)
        values = values[:, :, None].expand(b, self.nkv, rep, t, self.hd).reshape(b, self.nh, t, self.hd)
        scores = torch.matmul(q, keys.transpose(2, 3)) / math.sqrt(self.hd)
        scores = scores.masked_fill(~mask, float("-inf"))
        attn = torch.matmul(torch.softmax(scores, dim=-1), values)
        x = x + self.o_proj(attn.transpose(1, 2).reshape(b, s, self.nh * self.hd))
        y = self.post_norm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class TinyLlama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList([LlamaLayer(c) for _ in range(c["num_hidden_layers"])])
        self.norm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        hd = c["head_dim"]
        self.register_buffer("inv_freq", 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd)), persistent=False)

    def rope(self, position_ids):
        freqs = position_ids[:, :, None].float() * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos()[:, None], emb.sin()[:, None]

    def logits(self, x):
        return torch.matmul(self.norm(x), self.embed_tokens.weight.t())  # tied: the embedding is stored once

    def forward(self, input_ids, attention_mask, position_ids, past):
        """Dynamic cache: past is a list of (key, value) [b, kv, past, hd]; returns logits and full presents."""
        x = self.embed_tokens(input_ids)
        cos, sin = self.rope(position_ids)
        s = input_ids.shape[1]
        past_len = past[0][0].shape[2]
        total = past_len + s
        q_pos = torch.arange(s)[:, None] + past_len
        causal = torch.arange(total)[None, :] <= q_pos
        mask = causal[None, None] & attention_mask[:, None, None, :].bool()
        presents = []
        for layer, (pk, pv) in zip(self.layers, past):
            normed = layer.input_norm(x)
            k, v = layer.new_kv(normed, cos, sin)
            k, v = torch.cat((pk, k), dim=2), torch.cat((pv, v), dim=2)
            presents.append((k, v))
            x = layer.attend(x, normed, cos, sin, k, v, mask)
        return self.logits(x), presents

    def forward_static(self, input_ids, attention_mask, position_ids, past):
        """Static cache: past [b, kv, capacity, hd] holds valid entries where attention_mask[:, :capacity] is 1;
        attention_mask [b, capacity + s] covers the cache and then the new tokens. Returns only the new entries."""
        x = self.embed_tokens(input_ids)
        cos, sin = self.rope(position_ids)
        s = input_ids.shape[1]
        capacity = past[0][0].shape[2]
        k_idx = torch.arange(capacity + s)[None, :]
        causal = (k_idx < capacity) | ((k_idx - capacity) <= torch.arange(s)[:, None])
        mask = causal[None, None] & attention_mask[:, None, None, :].bool()
        new = []
        for layer, (pk, pv) in zip(self.layers, past):
            normed = layer.input_norm(x)
            k, v = layer.new_kv(normed, cos, sin)
            new.append((k, v))
            x = layer.attend(x, normed, cos, sin, torch.cat((pk, k), dim=2), torch.cat((pv, v), dim=2), mask)
        return self.logits(x), new

    def empty_past(self, batch=1):
        c = self.c
        z = torch.zeros(batch, c["num_key_value_heads"], 0, c["head_dim"])
        return [(z, z) for _ in range(c["num_hidden_layers"])]


def init_weights(model):
    """Normal(0, 0.02) for linear and embedding weights, zero biases: the transformers default."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)
    return model


def llama_train_batches(tok, steps, batch, seq_len, seed):
    docs = [[BOS] + tok.encode(normalized(t)) + [EOS] for t in corpus_text()]
    stream = [i for d in docs for i in d]
    rng = random.Random(seed)
    for _ in range(steps):
        starts = [rng.randrange(0, len(stream) - seq_len - 1) for _ in range(batch)]
        yield torch.tensor([stream[s:s + seq_len + 1] for s in starts], dtype=torch.long)


def train_llama(tok, steps, log):
    torch.manual_seed(1234)
    model = init_weights(TinyLlama(LLAMA))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01, betas=(0.9, 0.95))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.1)
    seq = 128
    loss = None
    for step, data in enumerate(llama_train_batches(tok, steps, 16, seq, seed=42)):
        inputs, labels = data[:, :-1], data[:, 1:]
        pos = torch.arange(seq)[None].expand(inputs.shape[0], seq)
        logits, _ = model(inputs, torch.ones_like(inputs), pos, model.empty_past(inputs.shape[0]))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == steps - 1:
            log(f"tiny-llama step {step:4d} loss {loss.item():.4f}")
    return model, loss.item()


# --------------------------------------------------------------------------------------------
# tiny-marian: encoder-decoder, Marian style (post-LN, sinusoidal positions, swish, shared embeddings).
# --------------------------------------------------------------------------------------------
MARIAN = dict(vocab_size=4096, d_model=128, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
              decoder_attention_heads=4, encoder_ffn_dim=512, decoder_ffn_dim=512, max_position_embeddings=1024)


def sinusoidal_table(n_pos, dim):
    """Marian's table: sines in the first half of each row, cosines in the second."""
    angles = np.arange(n_pos)[:, None] / np.power(10000, 2 * (np.arange(dim) // 2) / dim)[None, :]
    out = np.zeros((n_pos, dim), dtype=np.float32)
    half = dim // 2
    out[:, :half] = np.sin(angles[:, 0::2])
    out[:, half:] = np.cos(angles[:, 1::2])
    return torch.from_numpy(out)


class MarianAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.h, self.hd).transpose(1, 2)

    def kv(self, x):
        return self.split(self.k_proj(x)), self.split(self.v_proj(x))

    def forward(self, x, k, v, mask):
        b, s, d = x.shape
        q = self.split(self.q_proj(x)) * (self.hd ** -0.5)
        scores = torch.matmul(q, k.transpose(2, 3)).masked_fill(~mask, float("-inf"))
        out = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out_proj(out.transpose(1, 2).reshape(b, s, d))


class MarianEncoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.self_attn = MarianAttention(d, c["encoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, c["encoder_ffn_dim"]), nn.Linear(c["encoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, mask):
        k, v = self.self_attn.kv(x)
        x = self.self_attn_layer_norm(x + self.self_attn(x, k, v, mask))
        return self.final_layer_norm(x + self.fc2(F.silu(self.fc1(x))))


class MarianDecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d_model"]
        self.self_attn = MarianAttention(d, c["decoder_attention_heads"])
        self.self_attn_layer_norm = nn.LayerNorm(d)
        self.encoder_attn = MarianAttention(d, c["decoder_attention_heads"])
        self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1, self.fc2 = nn.Linear(d, c["decoder_ffn_dim"]), nn.Linear(c["decoder_ffn_dim"], d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, self_k, self_v, self_mask, cross_k, cross_v, cross_mask):
        x = self.self_attn_layer_norm(x + self.self_attn(x, self_k, self_v, self_mask))
        x = self.encoder_attn_layer_norm(x + self.encoder_attn(x, cross_k, cross_v, cross_mask))
        return self.final_layer_norm(x + self.fc2(F.silu(self.fc1(x))))


class TinyMarian(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.shared = nn.Embedding(c["vocab_size"], c["d_model"], padding_idx=PAD)
        self.register_buffer("positions", sinusoidal_table(c["max_position_embeddings"], c["d_model"]))
        self.encoder_layers = nn.ModuleList([MarianEncoderLayer(c) for _ in range(c["encoder_layers"])])
        self.decoder_layers = nn.ModuleList([MarianDecoderLayer(c) for _ in range(c["decoder_layers"])])
        self.register_buffer("final_logits_bias", torch.zeros(1, c["vocab_size"]))
        self.scale = math.sqrt(c["d_model"])

    def embed(self, ids, offset):
        pos = torch.arange(ids.shape[1]) + offset
        return self.shared(ids) * self.scale + self.positions[pos][None]

    def encode(self, input_ids, attention_mask):
        x = self.embed(input_ids, 0)
        mask = attention_mask[:, None, None, :].bool()
        for layer in self.encoder_layers:
            x = layer(x, mask)
        return x

    def decode(self, input_ids, encoder_attention_mask, self_past, cross):
        """self_past: per layer (k, v) [b, h, past, hd] (possibly empty); cross: per layer (k, v) over the source."""
        s = input_ids.shape[1]
        past_len = self_past[0][0].shape[2]
        x = self.embed(input_ids, past_len)
        self_mask = (torch.arange(past_len + s)[None, :] <= (torch.arange(s)[:, None] + past_len))[None, None]
        cross_mask = encoder_attention_mask[:, None, None, :].bool()
        presents = []
        for layer, (pk, pv), (ck, cv) in zip(self.decoder_layers, self_past, cross):
            k, v = layer.self_attn.kv(x)
            k, v = torch.cat((pk, k), dim=2), torch.cat((pv, v), dim=2)
            presents.append((k, v))
            x = layer(x, k, v, self_mask, ck, cv, cross_mask)
        logits = torch.matmul(x, self.shared.weight.t()) + self.final_logits_bias
        return logits, presents

    def cross_kv(self, encoder_hidden_states):
        return [layer.encoder_attn.kv(encoder_hidden_states) for layer in self.decoder_layers]

    def empty_past(self, batch=1):
        c = self.c
        z = torch.zeros(batch, c["decoder_attention_heads"], 0, c["d_model"] // c["decoder_attention_heads"])
        return [(z, z) for _ in range(c["decoder_layers"])]


def reversal_pairs(tok, count, seed):
    """Synthetic translation: a run of 3-12 words of the corpus -> the same words in reverse order."""
    words = [w for t in corpus_text() for w in t.split() if w.isalpha() and len(w) < 14]
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randint(3, 12)
        start = rng.randrange(0, len(words) - n)
        chosen = words[start:start + n]
        yield " ".join(chosen), " ".join(reversed(chosen))


def marian_batch(tok, pairs):
    src = [tok.encode(a) + [EOS] for a, _ in pairs]
    tgt = [tok.encode(b) + [EOS] for _, b in pairs]
    sl, tl = max(map(len, src)), max(map(len, tgt))
    src_ids = torch.tensor([s + [PAD] * (sl - len(s)) for s in src])
    src_mask = torch.tensor([[1] * len(s) + [0] * (sl - len(s)) for s in src])
    dec_in = torch.tensor([[PAD] + t[:-1] + [PAD] * (tl - len(t)) for t in tgt])
    labels = torch.tensor([t + [-100] * (tl - len(t)) for t in tgt])
    return src_ids, src_mask, dec_in, labels


def train_marian(tok, steps, log):
    torch.manual_seed(4321)
    model = init_weights(TinyMarian(MARIAN))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    pairs = list(reversal_pairs(tok, steps * 32, seed=7))
    loss = None
    for step in range(steps):
        src, src_mask, dec_in, labels = marian_batch(tok, pairs[step * 32:(step + 1) * 32])
        enc = model.encode(src, src_mask)
        logits, _ = model.decode(dec_in, src_mask, model.empty_past(src.shape[0]), model.cross_kv(enc))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"tiny-marian step {step:4d} loss {loss.item():.4f}")
    return model, loss.item()


# --------------------------------------------------------------------------------------------
# ONNX export helpers.
# --------------------------------------------------------------------------------------------
def export(module_fn, args, path, input_names, output_names, dynamic_axes):
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module_fn.__self__

        def forward(self, *a):
            return module_fn(*a)

    # No constant folding: transposed weights would otherwise be stored a second time (tied embeddings).
    torch.onnx.export(Wrapper(), args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=False)


def llama_io_names(layers, past_prefix="past_key_values", out_prefix="present"):
    past = [f"{past_prefix}.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    outs = [f"{out_prefix}.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    return past, outs


def export_llama(model, folder):
    c = model.c
    L = c["num_hidden_layers"]
    past_names, present_names = llama_io_names(L)

    def dyn_forward(input_ids, attention_mask, position_ids, *flat):
        logits, presents = model(input_ids, attention_mask, position_ids, list(zip(flat[0::2], flat[1::2])))
        return (logits, *[t for kv in presents for t in kv])

    def static_forward(input_ids, attention_mask, position_ids, *flat):
        logits, new = model.forward_static(input_ids, attention_mask, position_ids, list(zip(flat[0::2], flat[1::2])))
        return (logits, *[t for kv in new for t in kv])

    dyn_forward.__self__ = model
    static_forward.__self__ = model
    ids = torch.tensor([[BOS, 5, 6]])
    past = [torch.randn(1, c["num_key_value_heads"], 4, c["head_dim"]) for _ in range(2 * L)]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_names:
        axes[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in present_names:
        axes[n] = {0: "batch_size", 2: "total_sequence_length"}
    export(dyn_forward, (ids, torch.ones(1, 7, dtype=torch.long), torch.tensor([[4, 5, 6]]), *past),
           os.path.join(folder, "model.onnx"), ["input_ids", "attention_mask", "position_ids", *past_names],
           ["logits", *present_names], axes)

    _, new_names = llama_io_names(L, out_prefix="new_key_values")
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "capacity_plus_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in past_names:
        axes[n] = {0: "batch_size", 2: "cache_capacity"}
    for n in new_names:
        axes[n] = {0: "batch_size", 2: "sequence_length"}
    export(static_forward, (ids, torch.ones(1, 7, dtype=torch.long), torch.tensor([[0, 1, 2]]), *past),
           os.path.join(folder, "model_static.onnx"), ["input_ids", "attention_mask", "position_ids", *past_names],
           ["logits", *new_names], axes)
    build_llama_gqa(model, os.path.join(folder, "model_gqa.onnx"))


def build_llama_gqa(model, path):
    """The same weights as model.onnx, with com.microsoft.GroupQueryAttention doing rotary, cache write and attention.
    Inputs: input_ids [b, s]; seqlens_k int32 [b] (total length - 1); total_sequence_length int32 scalar;
    past_key_values.{i}.key|value [b, kv, capacity, hd], which the caller binds to the same buffers as the outputs
    present.{i}.key|value so that the op writes the new entries in place (onnxruntime-genai's past_present_share_buffer)."""
    c = model.c
    L, nh, nkv, hd, h = c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["hidden_size"]
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    inits, nodes = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array.astype(np.float32)), name))
        return name

    def node(op, inputs, outputs, domain=None, **attrs):
        nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0] + "_node", domain=domain, **attrs))
        return outputs[0]

    def linear(x, weight_key, out):  # weights stored as [out, in], as in model.onnx; ORT folds the transpose once
        t = node("Transpose", [weight_key], [weight_key + ".T"], perm=[1, 0])
        return node("MatMul", [x, t], [out])

    eps = init("rms_eps", np.array(c["rms_norm_eps"], dtype=np.float32))
    two = init("two", np.array(2.0, dtype=np.float32))

    def rms(x, weight_key, out):
        sq = node("Pow", [x, two], [out + ".sq"])
        mean = node("ReduceMean", [sq], [out + ".mean"], axes=[-1], keepdims=1)
        inv = node("Sqrt", [node("Add", [mean, eps], [out + ".eps"])], [out + ".sqrt"])
        normed = node("Div", [x, inv], [out + ".div"])
        return node("Mul", [weight_key, normed], [out])

    for k, v in sd.items():
        if k != "inv_freq":
            init(k, v)
    positions = np.arange(c["max_position_embeddings"], dtype=np.float32)[:, None]
    freqs = positions * model.inv_freq.numpy()[None, :]
    init("cos_cache", np.cos(freqs))
    init("sin_cache", np.sin(freqs))

    x = node("Gather", ["embed_tokens.weight", "input_ids"], ["embedded"], axis=0)
    past_names, present_names = llama_io_names(L)
    for i in range(L):
        p = f"layers.{i}."
        normed = rms(x, p + "input_norm.weight", f"l{i}.normed")
        q = linear(normed, p + "q_proj.weight", f"l{i}.q")
        k = linear(normed, p + "k_proj.weight", f"l{i}.k")
        v = linear(normed, p + "v_proj.weight", f"l{i}.v")
        attn = f"l{i}.attn"
        node("GroupQueryAttention",
             [q, k, v, past_names[2 * i], past_names[2 * i + 1], "seqlens_k", "total_sequence_length", "cos_cache", "sin_cache"],
             [attn, present_names[2 * i], present_names[2 * i + 1]], domain="com.microsoft",
             num_heads=nh, kv_num_heads=nkv, do_rotary=1, rotary_interleaved=0)
        x = node("Add", [x, linear(attn, p + "o_proj.weight", f"l{i}.o")], [f"l{i}.res1"])
        y = rms(x, p + "post_norm.weight", f"l{i}.post")
        gate = linear(y, p + "gate_proj.weight", f"l{i}.gate")
        act = node("Mul", [gate, node("Sigmoid", [gate], [f"l{i}.sig"])], [f"l{i}.silu"])
        up = linear(y, p + "up_proj.weight", f"l{i}.up")
        down = linear(node("Mul", [act, up], [f"l{i}.gated"]), p + "down_proj.weight", f"l{i}.down")
        x = node("Add", [x, down], [f"l{i}.res2"])
    final = rms(x, "norm.weight", "final_norm")
    emb_t = node("Transpose", ["embed_tokens.weight"], ["embed_tokens.weight.T"], perm=[1, 0])
    node("MatMul", [final, emb_t], ["logits"])

    kv_shape = ["batch_size", nkv, "cache_capacity", hd]
    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, ["batch_size"]),
              helper.make_tensor_value_info("total_sequence_length", TensorProto.INT32, [])]
    inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, kv_shape) for n in past_names]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", c["vocab_size"]])]
    outputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, kv_shape) for n in present_names]
    graph = helper.make_graph(nodes, "tiny-llama-gqa", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
                          producer_name="kvbench-export")
    m.ir_version = 8
    onnx.save(m, path)


def export_marian(model, folder):
    c = model.c
    L = c["decoder_layers"]
    heads, hd = c["decoder_attention_heads"], c["d_model"] // c["decoder_attention_heads"]

    def names(prefix, kinds=("decoder", "encoder")):
        return [f"{prefix}.{i}.{kind}.{kv}" for i in range(L) for kind in kinds for kv in ("key", "value")]

    def encoder(input_ids, attention_mask):
        return model.encode(input_ids, attention_mask)

    def decoder(encoder_attention_mask, input_ids, encoder_hidden_states):
        cross = model.cross_kv(encoder_hidden_states)
        logits, presents = model.decode(input_ids, encoder_attention_mask, model.empty_past(input_ids.shape[0]), cross)
        flat = []
        for (dk, dv), (ek, ev) in zip(presents, cross):
            flat += [dk, dv, ek, ev]
        return (logits, *flat)

    def decoder_with_past(encoder_attention_mask, input_ids, *flat_past):
        self_past = [(flat_past[4 * i], flat_past[4 * i + 1]) for i in range(L)]
        cross = [(flat_past[4 * i + 2], flat_past[4 * i + 3]) for i in range(L)]
        logits, presents = model.decode(input_ids, encoder_attention_mask, self_past, cross)
        return (logits, *[t for kv in presents for t in kv])

    for f in (encoder, decoder, decoder_with_past):
        f.__self__ = model
    src = torch.tensor([[5, 6, 7, 8, EOS]])
    mask = torch.ones_like(src)
    enc = model.encode(src, mask)
    export(encoder, (src, mask), os.path.join(folder, "encoder_model.onnx"), ["input_ids", "attention_mask"],
           ["last_hidden_state"], {"input_ids": {0: "batch_size", 1: "encoder_sequence_length"},
                                   "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
                                   "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}})
    present_all = names("present")
    axes = {"encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for n in present_all:
        axes[n] = {0: "batch_size", 2: "decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length"}
    export(decoder, (mask, torch.tensor([[PAD, 9]]), enc), os.path.join(folder, "decoder_model.onnx"),
           ["encoder_attention_mask", "input_ids", "encoder_hidden_states"], ["logits", *present_all], axes)

    past_all = names("past_key_values")
    present_dec = names("present", ("decoder",))
    axes = {"encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
            "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for n in past_all:
        axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length_out"}
    for n in present_dec:
        axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
    past = []
    for i in range(L):
        past += [torch.randn(1, heads, 3, hd), torch.randn(1, heads, 3, hd), torch.randn(1, heads, 5, hd), torch.randn(1, heads, 5, hd)]
    export(decoder_with_past, (mask, torch.tensor([[9]]), *past), os.path.join(folder, "decoder_with_past_model.onnx"),
           ["encoder_attention_mask", "input_ids", *past_all], ["logits", *present_dec], axes)
    merge_decoders(os.path.join(folder, "decoder_model.onnx"), os.path.join(folder, "decoder_with_past_model.onnx"),
                   os.path.join(folder, "decoder_model_merged.onnx"), past_all, present_all)


def merge_decoders(no_past_path, with_past_path, out_path, past_names, present_names):
    """One graph, one If node on use_cache_branch, as Optimum's merge does: the with-past branch returns the
    encoder (cross-attention) presents as the unchanged encoder past inputs; the no-past branch computes them."""
    no_past, with_past = onnx.load(no_past_path), onnx.load(with_past_path)
    initializers = {}

    def branch(model, prefix, extra_nodes, outputs):
        g = model.graph
        outer = {i.name for i in g.input}
        for t in g.initializer:
            if t.name in initializers:
                assert initializers[t.name].raw_data == t.raw_data or numpy_helper.to_array(initializers[t.name]).tobytes() == numpy_helper.to_array(t).tobytes(), t.name
            else:
                initializers[t.name] = t
            outer.add(t.name)

        def rename(n):
            return n if (n in outer or n == "") else prefix + n

        nodes = []
        for n in g.node:
            m = onnx.NodeProto()
            m.CopyFrom(n)
            m.name = prefix + n.name
            del m.input[:]
            m.input.extend(rename(i) for i in n.input)
            del m.output[:]
            m.output.extend(rename(o) for o in n.output)
            nodes.append(m)
        nodes += extra_nodes
        outs = []
        for name in outputs:
            src = [o for o in g.output if o.name == name]
            vi = helper.make_tensor_value_info(prefix + name, TensorProto.FLOAT, None) if not src else None
            if src:
                vi = onnx.ValueInfoProto()
                vi.CopyFrom(src[0])
                vi.name = prefix + name
            outs.append(vi)
        return helper.make_graph(nodes, prefix + "graph", [], outs)

    all_outputs = ["logits"] + present_names
    else_branch = branch(no_past, "no_past_", [], all_outputs)
    passthrough = [helper.make_node("Identity", [n.replace("present", "past_key_values")], ["with_past_" + n], name="with_past_" + n + "_identity")
                   for n in present_names if ".encoder." in n]
    then_branch = branch(with_past, "with_past_", passthrough, all_outputs)
    for o in then_branch.output:
        if o.type.tensor_type.elem_type == 0:
            o.type.tensor_type.elem_type = TensorProto.FLOAT
    if_node = helper.make_node("If", ["use_cache_branch"], all_outputs, name="optimum::if", then_branch=then_branch, else_branch=else_branch)
    inputs = [i for i in no_past.graph.input]
    inputs += [i for i in with_past.graph.input if i.name in past_names]
    inputs.append(helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1]))
    outputs = []
    for name in all_outputs:
        vi = onnx.ValueInfoProto()
        vi.CopyFrom([o for o in no_past.graph.output if o.name == name][0])
        if ".decoder." in name:
            vi.type.tensor_type.shape.dim[2].dim_param = "decoder_sequence_length_out"
        outputs.append(vi)
    graph = helper.make_graph([if_node], "merged_decoder", inputs, outputs, list(initializers.values()))
    merged = helper.make_model(graph, opset_imports=no_past.opset_import, producer_name="kvbench-export")
    merged.ir_version = no_past.ir_version
    onnx.save(merged, out_path)


def share_external_weights(folder, files, data_name="weights.onnx_data", threshold=1024):
    """Moves every initializer of at least `threshold` bytes into one external-data file shared by all `files`,
    each distinct tensor content written once, at an offset aligned to 64 bytes."""
    offsets = {}
    data_path = os.path.join(folder, data_name)
    with open(data_path, "wb") as data:
        for f in files:
            path = os.path.join(folder, f)
            m = onnx.load(path)
            for t in m.graph.initializer:
                raw = numpy_helper.to_array(t).tobytes()
                if len(raw) < threshold:
                    continue
                key = (t.data_type, tuple(t.dims), hashlib.sha256(raw).hexdigest())
                if key not in offsets:
                    pad = (-data.tell()) % 64
                    data.write(b"\0" * pad)
                    offsets[key] = data.tell()
                    data.write(raw)
                t.ClearField("raw_data")
                for field in ("float_data", "int32_data", "int64_data", "double_data"):
                    t.ClearField(field)
                t.data_location = TensorProto.EXTERNAL
                del t.external_data[:]
                for k, v in (("location", data_name), ("offset", str(offsets[key])), ("length", str(len(raw)))):
                    e = t.external_data.add()
                    e.key, e.value = k, v
            with open(path, "wb") as out:
                out.write(m.SerializeToString())
    return os.path.getsize(data_path)


# --------------------------------------------------------------------------------------------
# Golden outputs: PyTorch greedy decoding with and without the model's own cache.
# --------------------------------------------------------------------------------------------
def greedy(step_fn, max_new, ignore_eos):
    """step_fn(tokens_so_far_generated) -> logits row of the next token. Returns ids and top1-top2 margins."""
    out, margins = [], []
    for _ in range(max_new):
        row = step_fn(out)
        top = torch.topk(row, 2)
        nxt = int(top.indices[0])
        margins.append(float(top.values[0] - top.values[1]))
        out.append(nxt)
        if nxt == EOS and not ignore_eos:
            break
    return out, margins


@torch.no_grad()
def llama_generate(model, prompt, max_new, ignore_eos):
    """Greedy decoding through the model's own dynamic cache: the prompt once, then one token per step."""
    state = {"past": model.empty_past(), "fed": 0}

    def step(generated):
        seq = prompt + generated
        new, start = seq[state["fed"]:], state["fed"]
        logits, presents = model(torch.tensor([new]), torch.ones(1, len(seq), dtype=torch.long),
                                 torch.arange(start, len(seq))[None], state["past"])
        state["past"], state["fed"] = presents, len(seq)
        return logits[0, -1]

    return greedy(step, max_new, ignore_eos)


@torch.no_grad()
def llama_uncached(model, prompt, generated):
    """Without a cache: one pass over the whole final sequence, empty past; the argmax after each prefix.
    By causality, row i is what step-by-step no-cache decoding computes when it feeds the first i + 1 tokens."""
    seq = prompt + generated
    logits, _ = model(torch.tensor([seq]), torch.ones(1, len(seq), dtype=torch.long), torch.arange(len(seq))[None],
                      model.empty_past())
    return logits[0, len(prompt) - 1:len(seq) - 1].argmax(-1).tolist()


@torch.no_grad()
def marian_generate(model, source, max_new, ignore_eos):
    src = torch.tensor([source])
    mask = torch.ones_like(src)
    cross = model.cross_kv(model.encode(src, mask))
    state = {"past": model.empty_past(), "fed": 0}

    def step(generated):
        seq = [PAD] + generated
        logits, presents = model.decode(torch.tensor([seq[state["fed"]:]]), mask, state["past"], cross)
        state["past"], state["fed"] = presents, len(seq)
        return logits[0, -1]

    return greedy(step, max_new, ignore_eos)


@torch.no_grad()
def marian_uncached(model, source, generated):
    src = torch.tensor([source])
    mask = torch.ones_like(src)
    cross = model.cross_kv(model.encode(src, mask))
    seq = [PAD] + generated
    logits, _ = model.decode(torch.tensor([seq]), mask, model.empty_past(), cross)
    return logits[0, :len(generated)].argmax(-1).tolist()


def golden_cases(name, tok, generate, uncached, prompts, log):
    cases = []
    for text, ids in prompts:
        for ignore_eos, max_new in ((True, 512), (False, 128)):
            t0 = time.time()
            with_cache, margins = generate(ids, max_new, ignore_eos)
            without = uncached(ids, with_cache)
            if with_cache != without:
                raise SystemExit(f"{name}: PyTorch cached and uncached greedy outputs differ for {text!r}")
            cases.append({"prompt": text, "prompt_ids": ids, "max_new_tokens": max_new, "ignore_eos": ignore_eos,
                          "generated": with_cache, "text": tok.decode(with_cache),
                          "by_cache": {"dynamic": with_cache, "nocache": without}, "identical": True,
                          "margins": [round(m, 6) for m in margins]})
            log(f"{name} golden {len(ids):3d} prompt tokens, {len(with_cache):3d} generated "
                f"(ignore_eos={ignore_eos}, min margin {min(margins):.4f}, {time.time() - t0:.1f}s)")
    return cases


LLAMA_PROMPTS = ["The", "def", "The import statement", "A class definition defines a class object",
                 "Exceptions are raised when",
                 "The following identifiers are used as reserved words, or keywords of the language, and cannot be used as "
                 "ordinary identifiers. They must be spelled exactly as written here: False await else import pass None "
                 "break except in raise"]
MARIAN_PROMPTS = ["the value of", "raise an exception", "object is returned by the function",
                  "when the loop is terminated", "a list of names", "the class body is executed in a new frame and"]


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1 if path.endswith("golden.json") else 2, ensure_ascii=False)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "models"))
    ap.add_argument("--tokenizer", default=BUNDLED_TOKENIZER)
    ap.add_argument("--llama-steps", type=int, default=300)
    ap.add_argument("--marian-steps", type=int, default=800)
    ap.add_argument("--cache", default=os.path.join(ROOT, "build", "export-cache"))
    ap.add_argument("--retrain", action="store_true", help="ignore cached training checkpoints")
    args = ap.parse_args()
    if not os.path.isfile(args.tokenizer):
        sys.exit(f"tokenizer not found: {args.tokenizer} (give --tokenizer PATH)")

    torch.set_num_threads(THREADS)  # with OPENBLAS_NUM_THREADS=THREADS set below, before torch loads BLAS
    torch.use_deterministic_algorithms(True)
    random.seed(0)
    np.random.seed(0)
    tok = ByteLevelBpe(args.tokenizer)
    with open(args.tokenizer, "rb") as f:
        tokenizer_json = f.read()  # read now: the default lives in a folder that is rewritten below
    os.makedirs(args.cache, exist_ok=True)
    log = lambda s: print(s, flush=True)
    summary = {}

    for name, cls, cfg, trainer, steps in (("tiny-llama", TinyLlama, LLAMA, train_llama, args.llama_steps),
                                           ("tiny-marian", TinyMarian, MARIAN, train_marian, args.marian_steps)):
        ckpt = os.path.join(args.cache, f"{name}-{steps}.pt")
        if os.path.exists(ckpt) and not args.retrain:
            saved = torch.load(ckpt)
            model = cls(cfg)
            model.load_state_dict(saved["state"])
            loss = saved["loss"]
            log(f"{name}: reusing trained checkpoint {ckpt} (final loss {loss:.4f})")
        else:
            t0 = time.time()
            model, loss = trainer(tok, steps, log)
            torch.save({"state": model.state_dict(), "loss": loss}, ckpt)
            log(f"{name}: trained {steps} steps in {time.time() - t0:.0f}s, final loss {loss:.4f}")
        model.eval()
        summary[name] = {"steps": steps, "final_loss": round(loss, 4)}

        folder = os.path.join(args.out, name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        with open(os.path.join(folder, "tokenizer.json"), "wb") as f:
            f.write(tokenizer_json)
        if name == "tiny-llama":
            export_llama(model, folder)
            files = ["model.onnx", "model_static.onnx", "model_gqa.onnx"]
            config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", **LLAMA,
                      "hidden_act": "silu", "tie_word_embeddings": True, "bos_token_id": BOS, "eos_token_id": EOS,
                      "pad_token_id": PAD, "torch_dtype": "float32", "use_cache": True}
            gen = {"bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD, "do_sample": False}
            prompts = [(t, [BOS] + tok.encode(t)) for t in LLAMA_PROMPTS]
            generate = lambda ids, n, ie: llama_generate(model, ids, n, ie)
            uncached = lambda ids, gen: llama_uncached(model, ids, gen)
        else:
            export_marian(model, folder)
            files = ["encoder_model.onnx", "decoder_model.onnx", "decoder_with_past_model.onnx", "decoder_model_merged.onnx"]
            config = {"architectures": ["MarianMTModel"], "model_type": "marian", **MARIAN, "activation_function": "swish",
                      "scale_embedding": True, "normalize_before": False, "static_position_embeddings": True,
                      "share_encoder_decoder_embeddings": True, "tie_word_embeddings": True,
                      "is_encoder_decoder": True, "num_hidden_layers": MARIAN["encoder_layers"],
                      "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD, "decoder_start_token_id": PAD,
                      "forced_eos_token_id": EOS, "torch_dtype": "float32", "use_cache": True}
            gen = {"bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD, "decoder_start_token_id": PAD,
                   "forced_eos_token_id": EOS, "do_sample": False, "num_beams": 1}
            prompts = [(t, tok.encode(t) + [EOS]) for t in MARIAN_PROMPTS]
            generate = lambda ids, n, ie: marian_generate(model, ids, n, ie)
            uncached = lambda ids, gen: marian_uncached(model, ids, gen)
        data_bytes = share_external_weights(folder, files)
        for f in files:
            onnx.checker.check_model(os.path.join(folder, f))
        write_json(os.path.join(folder, "config.json"), config)
        write_json(os.path.join(folder, "generation_config.json"), gen)
        if name == "tiny-marian":
            # The static decoder comes from the same code as `kvbench derive` (which also compares its logits with the
            # export's; the golden tests do that here): from the with-past decoder, weights shared, onnx.checker'd.
            if kvderive.main(["--model", os.path.join(folder, "decoder_with_past_model.onnx"),
                              "--config", os.path.join(folder, "config.json"), "--out", folder]) != 0:
                sys.exit("deriving decoder_model_static.onnx failed")
        cases = golden_cases(name, tok, generate, uncached, prompts, log)
        write_json(os.path.join(folder, "golden.json"),
                   {"model": name, "reference": f"PyTorch {torch.__version__} (scripts/export_models.py)",
                    "training": summary[name], "cases": cases})
        params = sum(p.numel() for p in model.parameters())
        log(f"{name}: {params} parameters, weights.onnx_data {data_bytes} bytes ({data_bytes / params:.2f} bytes/param)")
    write_json(os.path.join(args.out, "training.json"), summary)


if __name__ == "__main__":
    main()
