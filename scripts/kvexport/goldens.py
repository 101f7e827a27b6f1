"""Golden outputs: PyTorch greedy decoding with and without the model's own cache."""
from .common import *  # noqa: F401,F403


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
