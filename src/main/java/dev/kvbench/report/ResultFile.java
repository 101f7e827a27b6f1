package dev.kvbench.report;


import dev.kvbench.KvbenchException;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.Normalization;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.RunRecord;
import dev.kvbench.results.Summary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One result file as reports read it: its measurements (read strictly), their summary rows, and the run metadata of
 * its {@code .meta.json} sidecar (an empty object when there is none).
 */
public record ResultFile(String label, Path path, List<JmhResult> results, List<Summary.Row> rows, RunRecord meta) {

    public static ResultFile read(Path file) {
        List<JmhResult> results = JmhResults.read(file);
        return new ResultFile(stem(file), file, results, Summary.rows(results), readMeta(file));
    }

    /**
     * Several result files to be drawn or ordered together. The same file twice is refused (it would be one run
     * counted twice); files that share a name ({@code d1/x.json}, {@code d2/x.json}) are labelled with as much of their
     * folders as tells them apart, so no two series merge under one label.
     */
    public static List<ResultFile> readAll(List<Path> files) {
        java.util.Map<Path, Path> seen = new java.util.HashMap<>();
        for (Path f : files) {
            Path real;
            try {
                real = f.toRealPath();
            } catch (IOException e) {
                real = f.toAbsolutePath().normalize();
            }
            Path first = seen.putIfAbsent(real, f);
            if (first != null) {
                throw new KvbenchException(f + " is given twice" + (first.equals(f) ? "" : " (also as " + first + ")")
                        + ": each result file counts once");
            }
        }
        List<Path> absolute = files.stream().map(f -> f.toAbsolutePath().normalize()).toList();
        List<ResultFile> out = new java.util.ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            ResultFile r = read(files.get(i));
            out.add(new ResultFile(uniqueLabel(absolute, i), r.path(), r.results(), r.rows(), r.meta()));
        }
        return out;
    }

    /** The file's stem, with parent folders in front ({@code d1/x}) until no other file has the same label. */
    static String uniqueLabel(List<Path> files, int index) {
        Path f = files.get(index);
        for (int depth = 0; ; depth++) {
            String label = labelAt(f, depth);
            final int d = depth;
            boolean clash = false;
            for (int j = 0; j < files.size(); j++) {
                if (j != index && labelAt(files.get(j), d).equals(label)) {
                    clash = true;
                }
            }
            if (!clash || depth >= f.getNameCount() - 1) {
                return label;
            }
        }
    }

    private static String labelAt(Path f, int parents) {
        String stem = stem(f);
        int n = f.getNameCount();
        int from = Math.max(0, n - 1 - parents);
        return from == n - 1 ? stem : f.subpath(from, n - 1).toString().replace('\\', '/') + "/" + stem;
    }

    /** The same file with each configuration as a multiple of {@code strategy}'s time in it (its own rows left out). */
    public ResultFile normalizedBy(String strategy) {
        List<JmhResult> n = Normalization.byStrategy(results, strategy).results();
        return new ResultFile(label, path, n, Summary.rows(n), meta);
    }

    /** The sidecar's metadata, or an empty record; a sidecar that is there but broken is bad input. */
    static RunRecord readMeta(Path file) {
        Path meta = RunMeta.sidecar(file, ".meta.json");
        return Files.isRegularFile(meta) ? RunRecord.read(meta) : new RunRecord();
    }

    /** The commit the run measured, short, with "+dirty" when the tree had changes; "" when unknown. */
    public String commit() {
        return meta.commitLabel();
    }

    public static String stem(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    }
}
