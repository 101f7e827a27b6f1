package dev.kvbench.model;


import dev.kvbench.KvbenchException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The file layout of an exported model folder (Hugging Face Optimum / transformers.js conventions), detected from the
 * files present for one {@link Dtype}: decoder-only {@code model.onnx}; split {@code decoder_model.onnx} +
 * {@code decoder_with_past_model.onnx}; merged {@code decoder_model_merged.onnx} (an If node on
 * {@code use_cache_branch}); each of the last two with an {@code encoder_model.onnx} beside it for encoder-decoder
 * models. The graphs are in the folder itself (Optimum) or in its {@code onnx/} subfolder (transformers.js,
 * onnx-community); a dtype other than fp32 adds its suffix to every graph name ({@code model_q4.onnx}). Config,
 * tokenizer and generation config are always read from the folder itself.
 *
 * @param graphs       the folder that holds this dtype's graphs: the model folder or its {@code onnx/} subfolder
 * @param dtype        the decoder graphs' dtype
 * @param encoderDtype the encoder graph's ({@link GraphDtypes}: the same unless a dtype per graph was asked for)
 */
public record Layout(boolean encoderDecoder, boolean hasSingle, boolean hasSplit, boolean hasMerged, Path graphs,
                     Dtype dtype, Dtype encoderDtype) {

    /** A layout whose graphs are all of one dtype. */
    public Layout(boolean encoderDecoder, boolean hasSingle, boolean hasSplit, boolean hasMerged, Path graphs, Dtype dtype) {
        this(encoderDecoder, hasSingle, hasSplit, hasMerged, graphs, dtype, dtype);
    }

    /** The dtype of each graph. */
    public GraphDtypes dtypes() {
        return new GraphDtypes(encoderDtype, dtype);
    }

    public static final String SINGLE = "model.onnx";
    public static final String ENCODER = "encoder_model.onnx";
    public static final String DECODER = "decoder_model.onnx";
    public static final String DECODER_WITH_PAST = "decoder_with_past_model.onnx";
    public static final String MERGED = "decoder_model_merged.onnx";
    /** The transformers.js subfolder that holds the graphs. */
    public static final String ONNX_SUBFOLDER = "onnx";
    private static final List<String> DECODERS = List.of(SINGLE, DECODER, DECODER_WITH_PAST, MERGED);

    /** The fp32 layout of {@code folder}. */
    public static Layout detect(Path folder) {
        return detect(folder, Dtype.FP32);
    }

    /** The fp32 layout when the folder has fp32 graphs, else that of the first dtype it has (what kind of model it is). */
    public static Layout detectAny(Path folder) {
        List<Dtype> has = Files.isDirectory(folder) ? dtypesIn(folder) : List.of();
        return detect(folder, has.isEmpty() || has.contains(Dtype.FP32) ? Dtype.FP32 : has.get(0));
    }

    /** The layout of {@code folder}'s {@code dtype} graphs; a dtype the folder lacks is one line naming those it has. */
    public static Layout detect(Path folder, Dtype dtype) {
        return detect(folder, GraphDtypes.of(dtype));
    }

    /**
     * The layout of {@code folder}'s graphs of {@code dtypes}: the decoder graphs of its decoder dtype (their absence is
     * one line naming the dtypes the folder has), the encoder of its encoder dtype; a dtype per graph on a decoder-only
     * model is one line.
     */
    public static Layout detect(Path folder, GraphDtypes dtypes) {
        Dtype dtype = dtypes.decoder();
        Dtype encoderDtype = dtypes.encoder();
        if (!Files.isDirectory(folder)) {
            throw new KvbenchException("model folder not found: " + folder);
        }
        Path graphs = graphFolder(folder, dtype);
        if (graphs == null) {
            List<Dtype> has = dtypesIn(folder);
            if (dtype != Dtype.FP32 || !has.isEmpty()) {
                throw new KvbenchException("no " + dtype + " graphs in " + folder + " (" + dtype.file(SINGLE) + " or "
                        + dtype.file(MERGED) + " ...): " + (has.isEmpty() ? "it has no model graphs"
                        : "it has " + has.stream().map(Dtype::id).collect(Collectors.joining(", "))),
                        has.isEmpty() ? null : KvbenchException.Remedy.CHOOSE_DTYPE);
            }
            graphs = folder;
        }
        boolean encoder = present(graphs, encoderDtype.file(ENCODER));
        boolean single = present(graphs, dtype.file(SINGLE));
        boolean split = present(graphs, dtype.file(DECODER)) && present(graphs, dtype.file(DECODER_WITH_PAST));
        boolean merged = present(graphs, dtype.file(MERGED));
        if (!single && !split && !merged) {
            if (Files.isRegularFile(graphs.resolve(dtype.file(DECODER)))) {
                throw new KvbenchException("unknown layout in " + graphs + ": " + dtype.file(DECODER) + " without "
                        + dtype.file(DECODER_WITH_PAST) + " or " + dtype.file(MERGED));
            }
            throw new KvbenchException("unknown layout in " + folder + ": none of " + SINGLE + ", " + MERGED + ", or "
                    + DECODER + " + " + DECODER_WITH_PAST + " (in the folder or its " + ONNX_SUBFOLDER + "/ subfolder)");
        }
        if (!encoder && (split || merged) && encoderExpected(folder, graphs)) {
            throw new KvbenchException("missing " + encoderDtype.file(ENCODER) + " in " + graphs + ": the " + dtypes
                    + " graphs of an encoder-decoder model need their encoder beside " + dtype.file(split ? DECODER : MERGED));
        }
        if (encoder && !split && !merged) {
            throw new KvbenchException("unknown layout in " + graphs + ": " + encoderDtype.file(ENCODER) + " without a decoder ("
                    + dtype.file(MERGED) + " or " + dtype.file(DECODER) + " + " + dtype.file(DECODER_WITH_PAST) + ")");
        }
        dtypes.requireEncoderFor(encoder, folder);
        return new Layout(encoder, single && !encoder, split, merged, graphs, dtype, encoderDtype);
    }

    /**
     * Whether the folder is an encoder-decoder model's: config.json says {@code is_encoder_decoder}, or an encoder graph
     * of some dtype is there (a split or merged decoder alone would otherwise be taken for a decoder-only model).
     */
    private static boolean encoderExpected(Path folder, Path graphs) {
        for (Dtype d : Dtype.values()) {
            if (present(graphs, d.file(ENCODER))) {
                return true;
            }
        }
        Path config = folder.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return false;
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile()).path("is_encoder_decoder")
                    .asBoolean(false);
        } catch (java.io.IOException e) {
            return false; // ModelConfig.read names a broken config.json
        }
    }

    /** The folder holding {@code dtype}'s decoder graphs: {@code folder} itself, else its onnx/ subfolder; null if neither. */
    private static Path graphFolder(Path folder, Dtype dtype) {
        for (Path candidate : List.of(folder, folder.resolve(ONNX_SUBFOLDER))) {
            if (Files.isDirectory(candidate)) {
                for (String name : DECODERS) {
                    if (present(candidate, dtype.file(name))) {
                        return candidate;
                    }
                }
            }
        }
        return null;
    }

    /** The dtypes {@code folder} has decoder graphs of, in declaration order. */
    public static List<Dtype> dtypesIn(Path folder) {
        List<Dtype> has = new ArrayList<>();
        for (Dtype d : Dtype.values()) {
            if (graphFolder(folder, d) != null) {
                has.add(d);
            }
        }
        return has;
    }

    /** The decoder graph files this layout has (not the encoder, which every strategy runs alike). */
    public List<Path> decoderGraphs() {
        List<Path> files = new ArrayList<>();
        for (String name : DECODERS) {
            if (Files.isRegularFile(graph(name))) {
                files.add(graph(name));
            }
        }
        return files;
    }

    /** The file of graph {@code fp32Name} (e.g. {@link #SINGLE}) for this layout's dtype, in its graph folder. */
    public Path graph(String fp32Name) {
        return graphs.resolve((fp32Name.equals(ENCODER) ? encoderDtype : dtype).file(fp32Name));
    }

    /**
     * Whether the graph file {@code name} is in {@code folder}; a name that is there but is no file (a folder, a
     * symbolic link that loops or leads nowhere) is an error naming it, not a file silently absent.
     */
    private static boolean present(Path folder, String name) {
        Path file = folder.resolve(name);
        if (Files.isRegularFile(file)) {
            return true;
        }
        if (Files.isSymbolicLink(file)) {
            throw new KvbenchException(file + " is a symbolic link that leads to no file (a loop, or its target is missing)");
        }
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new KvbenchException(file + " is not a file");
        }
        return false;
    }

    /** The decoder arrangement to use: merged when present unless split is asked for. */
    public DecoderFiles choose(DecoderFiles requested) {
        DecoderFiles want = requested;
        if (want == DecoderFiles.AUTO) {
            want = hasSingle ? DecoderFiles.SINGLE : hasMerged ? DecoderFiles.MERGED : DecoderFiles.SPLIT;
        }
        boolean ok = switch (want) {
            case SINGLE -> hasSingle;
            case MERGED -> hasMerged;
            case SPLIT -> hasSplit;
            case AUTO -> false;
        };
        if (!ok) {
            throw new KvbenchException("this model folder has no " + want.name().toLowerCase() + " decoder ("
                    + describe() + ")");
        }
        return want;
    }

    public String describe() {
        StringBuilder s = new StringBuilder(encoderDecoder ? "encoder-decoder:" : "decoder-only:");
        String in = graphs.getFileName() != null && graphs.getFileName().toString().equals(ONNX_SUBFOLDER)
                ? ONNX_SUBFOLDER + "/" : "";
        if (hasSingle) {
            s.append(' ').append(in).append(dtype.file(SINGLE));
        }
        if (hasMerged) {
            s.append(' ').append(in).append(dtype.file(MERGED));
        }
        if (hasSplit) {
            s.append(' ').append(in).append(dtype.file(DECODER)).append(" + ").append(in).append(dtype.file(DECODER_WITH_PAST));
        }
        if (encoderDecoder && encoderDtype != dtype) {
            s.append(", encoder ").append(in).append(encoderDtype.file(ENCODER));
        }
        return s.toString();
    }

    /** How the decoder graphs are arranged in files. */
    public enum DecoderFiles {
        AUTO, SINGLE, MERGED, SPLIT;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
