"""The ONNX graphs: torch.onnx.export of both models, the GroupQueryAttention graph, the merged decoder, shared weights."""
from .common import *  # noqa: F401,F403


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
    """Moves the weights of every one of `files` into one external-data file shared by all of them, each distinct
    tensor stored once (kvderive's routine, which `derive` uses for its variants)."""
    models = [onnx.load(os.path.join(folder, f)) for f in files]
    kvderive.externalize_inline(models, folder, data_name, threshold)
    for f, m in zip(files, models):
        with open(os.path.join(folder, f), "wb") as out:
            out.write(m.SerializeToString())
    return os.path.getsize(os.path.join(folder, data_name))
