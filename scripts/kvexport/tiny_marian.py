"""tiny-marian: encoder-decoder, Marian style (post-LN, sinusoidal positions, swish, shared embeddings); the model and its training."""
from .common import *  # noqa: F401,F403
from .tokenizer import corpus_text, normalized  # noqa: F401
from .tiny_llama import init_weights  # noqa: F401


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
