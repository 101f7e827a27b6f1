"""Byte-level BPE read from the Hugging Face tokenizer.json (the same file the Java side loads), and the training text."""
from .common import *  # noqa: F401,F403


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
