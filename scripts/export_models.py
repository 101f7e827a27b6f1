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
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kvexport.common import *  # noqa: E402,F401,F403  (fixed BLAS threads before torch loads)
from kvexport.common import ROOT  # noqa: E402
from kvexport.tokenizer import ByteLevelBpe  # noqa: E402
from kvexport.tiny_llama import LLAMA, TinyLlama, train_llama  # noqa: E402
from kvexport.tiny_marian import MARIAN, TinyMarian, train_marian  # noqa: E402
from kvexport.onnx_graphs import export_llama, export_marian, share_external_weights  # noqa: E402
from kvexport.goldens import (LLAMA_PROMPTS, MARIAN_PROMPTS, golden_cases, llama_generate, llama_uncached,  # noqa: E402
                              marian_generate, marian_uncached)
import argparse  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402

# The bundled folders carry a copy of the project's BPE tokenizer; a plain clone regenerates from that copy.
BUNDLED_TOKENIZER = os.path.join(ROOT, "models", "tiny-llama", "tokenizer.json")


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
