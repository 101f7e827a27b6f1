"""tiny-llama: decoder-only, Llama/Qwen2 style; the model and its training."""
from .common import *  # noqa: F401,F403
from .tokenizer import corpus_text, normalized  # noqa: F401


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
