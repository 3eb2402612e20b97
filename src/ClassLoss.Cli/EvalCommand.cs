using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss eval FILE</c>: streams a prediction file (CSV/TSV or .npy) once and reports log loss, Brier,
/// accuracy, top-k, balanced accuracy, per-class scores, the confusion matrix, ECE (equal-width and equal-mass)
/// and MCE; optional bootstrap intervals, JSON output and reliability/confidence PNGs.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var file = new Argument<string?>("file") { Arity = ArgumentArity.ZeroOrOne, Description = "Predictions: CSV/TSV with a header (label column + one column per class), Parquet (.parquet), Arrow IPC (.arrow/.arrows/.feather), a .npy [N, K] float array, or a directory or quoted glob (preds/part-*.csv) of shards of one format, read in name order." };
        var labelColumn = new Option<string>("--label-column") { Description = "Name of the label column (CSV/TSV, Parquet, Arrow).", DefaultValueFactory = _ => "label" };
        var values = ValuesOption(PredictionValues.Probabilities);
        var labels = new Option<string?>("--labels") { Description = "For .npy predictions: the .npy file with the N integer labels." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of tables." };
        var plots = new Option<string?>("--plots") { Description = "Directory for reliability.png and confidence.png." };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for 95% intervals (keeps ~21 bytes per row in memory).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap.", DefaultValueFactory = _ => 0 };
        var topK = new Option<int>("--top-k") { Description = "k of the top-k accuracy.", DefaultValueFactory = _ => 2 };
        var renormalize = new Option<bool>("--renormalize") { Description = "Divide probability rows by their sum before Brier, accuracy and ECE (log loss always renormalises, as sklearn)." };
        var positive = PositiveLabelOption();
        var rows = PredictionInput.RowsOption("--rows", "the file");
        var ranking = new Option<bool>("--ranking") { Description = "Also ROC AUC and average precision per class and macro (sklearn one-vs-rest) and the adaptive calibration error; exact, so every probability is kept (8 K + 4 bytes per row)." };
        var partial = new Option<string?>("--partial") { Description = "Write the mergeable accumulators (counts, exact sums, histograms) of FILE to this JSON file instead of the report (see --merge)." };
        var calibrationSketch = new Option<bool>("--calibration-sketch") { Description = "With --partial: also write a bounded-memory sketch of the top-label confidences (2.1 MB at most; with --ranking also of every class's probabilities), so that --merge reports the equal-mass ECE (and with --ranking the ACE) within stated bounds." };
        var merge = new Option<string[]>("--merge")
        {
            Description = "Report on the union of partial-result files of --partial (instead of FILE): exactly the numbers of one pass over their rows; ROC AUC and average precision within stated bounds when the partials were written with --ranking, the equal-mass ECE (and ACE) when with --calibration-sketch; --bootstrap is not available.",
            AllowMultipleArgumentsPerToken = true,
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command("eval", "Evaluate and check the calibration of a file of predictions.")
        {
            file, labelColumn, values, labels, json, plots, bootstrap, seed, topK, renormalize, positive, rows, ranking, partial, merge, calibrationSketch,
        };
        // FILE is optional only for --merge: without either it is the usage error a required argument gives (exit 2).
        command.Validators.Add(result =>
        {
            if (result.GetValue(file) is null && (result.GetValue(merge) ?? []).Length == 0)
            {
                result.AddError("Required argument missing for command: 'eval' (a prediction file, or --merge PARTIAL.json ...).");
            }
        });
        // CliErrors.Run here too: System.CommandLine's default handler would otherwise print a stack trace.
        command.SetAction(parse => CliErrors.Run(() => Run(
            new Source(parse.GetValue(file), parse.GetValue(partial), parse.GetValue(merge) ?? []),
            PredictionInput.WithRows(
                new PredictionReaderOptions
                {
                    LabelColumn = parse.GetValue(labelColumn)!,
                    Values = ParseValues(parse.GetValue(values)!),
                    LabelsPath = parse.GetValue(labels),
                    PositiveLabel = parse.GetValue(positive),
                },
                parse.GetValue(rows),
                "--rows"),
            parse.GetValue(json),
            parse.GetValue(plots),
            parse.GetValue(bootstrap),
            parse.GetValue(seed),
            parse.GetValue(topK),
            parse.GetValue(renormalize),
            parse.GetValue(ranking),
            parse.GetValue(calibrationSketch))));
        return command;
    }

    internal static Option<string?> PositiveLabelOption() => new("--positive-label")
    {
        Description = "For scikit-learn's binary convention (the label and ONE probability/score column): the positive class's label (default 1); any other label is the negative class.",
    };

    internal static Option<string> ValuesOption(PredictionValues defaultValue)
    {
        var option = new Option<string>("--values")
        {
            Description = "What the class columns hold: probabilities, logits or log-probabilities.",
            DefaultValueFactory = _ => defaultValue switch
            {
                PredictionValues.Logits => "logits",
                PredictionValues.LogProbabilities => "log-probabilities",
                _ => "probabilities",
            },
        };
        option.AcceptOnlyFromAmong("probabilities", "logits", "log-probabilities");
        return option;
    }

    internal static PredictionValues ParseValues(string text) => text switch
    {
        "logits" => PredictionValues.Logits,
        "log-probabilities" => PredictionValues.LogProbabilities,
        "probabilities" => PredictionValues.Probabilities,
        _ => throw new CliException($"--values: '{text}' is not one of probabilities, logits, log-probabilities."),
    };

    internal sealed record EvalResult(MetricsReport Report, double Seconds, long RowsNotSummingToOne, double WorstRowSumError, RowSumCheck SumCheck);

    /// <summary>Streams the file through <see cref="Metrics"/>; errors name the file and line.</summary>
    internal static EvalResult Evaluate(string path, PredictionReaderOptions readerOptions, MetricsOptions metricsOptions, bool renormalize)
    {
        var watch = Stopwatch.StartNew();
        var (metrics, sums) = Accumulate(path, readerOptions, metricsOptions, renormalize);
        if (metrics.Rows == 0)
        {
            throw new InvalidDataException($"{path} has no data rows.");
        }

        var report = metrics.Compute();
        return new EvalResult(report, watch.Elapsed.TotalSeconds, sums.Count, sums.Worst, sums);
    }

    /// <summary>What <c>eval</c> reads and writes: a prediction FILE, optionally to a --partial file, or the --merge partials.</summary>
    internal sealed record Source(string? File, string? Partial, IReadOnlyList<string> Merge);

    /// <summary>Streams the file into a <see cref="Metrics"/> (no report yet): the <c>--partial</c> path.</summary>
    internal static (Metrics Metrics, RowSumCheck Sums) Accumulate(string path, PredictionReaderOptions readerOptions, MetricsOptions metricsOptions, bool renormalize)
    {
        if (!PredictionInput.Exists(path))
        {
            throw new CliException($"{path} does not exist.");
        }

        using var reader = PredictionReader.Open(path, readerOptions);
        var metrics = new Metrics(reader.ClassNames, metricsOptions);
        var row = new double[reader.Classes];
        var p = new double[reader.Classes];
        var sums = new RowSumCheck(metricsOptions.SumTolerance);
        bool probabilities = reader.Values == PredictionValues.Probabilities;
        while (reader.Read(out int label, row))
        {
            if (probabilities)
            {
                sums.Add(reader, row);
            }

            Metrics.ToProbabilities(reader.Values, row, p, renormalize);
            PredictionInput.CheckRange(reader, p);
            metrics.Add(label, p);
        }

        return (metrics, sums);
    }

    /// <summary>Loads and merges partial-result files in the order given; a mismatch names the file.</summary>
    internal static Metrics MergePartials(IReadOnlyList<string> paths)
    {
        Metrics? merged = null;
        foreach (string path in paths)
        {
            if (!File.Exists(path))
            {
                throw new CliException($"{path} does not exist.");
            }

            Metrics part;
            using (var stream = File.OpenRead(path))
            {
                part = Metrics.LoadPartial(stream, path);
            }

            if (merged is null)
            {
                merged = part;
                continue;
            }

            try
            {
                merged.Merge(part);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path} does not merge with {paths[0]}: {CliErrors.OneLine(e.Message).Replace("Cannot merge accumulators: ", "", StringComparison.Ordinal)}");
            }
        }

        return merged!;
    }

    /// <summary>Writes a partial-result file through a temporary file, so nothing partial is left on an error.</summary>
    private static void SavePartial(Metrics metrics, string path)
    {
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            using (var stream = File.Create(tmp))
            {
                metrics.SavePartial(stream);
            }

            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private static int Run(Source source, PredictionReaderOptions readerOptions, bool json, string? plots, int bootstrap, int seed, int topK, bool renormalize, bool ranking, bool calibrationSketch)
    {
        if (bootstrap < 0 || topK < 1)
        {
            throw new CliException("--bootstrap must be >= 0 and --top-k >= 1.");
        }

        bool merging = source.Merge.Count > 0;
        if (calibrationSketch && source.Partial is null)
        {
            throw new CliException("--calibration-sketch: only with --partial (it adds a sketch to the partial result; --merge reads it from the partials).");
        }

        if (merging && source.File is not null)
        {
            throw new CliException($"give either a prediction file ({source.File}) or --merge PARTIAL.json ..., not both.");
        }

        if (!merging && source.File is null)
        {
            throw new CliException("give a prediction file (or --merge PARTIAL.json ...).");
        }

        if ((merging || source.Partial is not null) && bootstrap > 0)
        {
            throw new CliException($"{(merging ? "--merge" : "--partial")}: --bootstrap needs every row, which partial results do not keep; run it on the whole data set.");
        }

        EvalResult result;
        string path;
        var warnings = new List<string>();
        if (merging)
        {
            var watch = Stopwatch.StartNew();
            var metrics = MergePartials(source.Merge);
            path = string.Join(" + ", source.Merge);
            if (source.Partial is not null)
            {
                SavePartial(metrics, source.Partial);
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"partial result of {metrics.Rows} rows ({source.Merge.Count} partials merged) written to {source.Partial}"));
                return 0;
            }

            if (metrics.Rows == 0)
            {
                throw new InvalidDataException($"{path}: the partial results hold no rows.");
            }

            var merged = metrics.Compute();
            result = new EvalResult(merged, watch.Elapsed.TotalSeconds, 0, 0, new RowSumCheck(1e-6));
            if (merged.RowsNotNormalised > 0)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{merged.RowsNotNormalised} of {merged.Rows} rows of the partials do not sum to 1 (worst |sum - 1| = {merged.WorstRowSumError:G3}); the partial files do not say where."));
            }

            if (merged.EceEqualMassBounds is { } eceBounds)
            {
                warnings.Add(Invariant($"merge mode: the equal-mass ECE comes from the partials' calibration sketches: the exact value lies in [{F(eceBounds.Low)}, {F(eceBounds.High)}] (estimate {F(eceBounds.Value)})."));
            }
            else
            {
                warnings.Add("merge mode: the equal-mass ECE is not available (it sorts every row's confidence, which partial results do not keep).");
            }

            if (merged.RankingFromSketch)
            {
                double widest = merged.RocAucBounds.Concat(merged.AveragePrecisionBounds).Where(e => !double.IsNaN(e.Value)).Select(e => e.High - e.Low).DefaultIfEmpty(0).Max();
                string aceText = merged.AceBounds is { } aceBounds
                    ? Invariant($"; ACE from the calibration sketches: the exact value lies in [{F(aceBounds.Low)}, {F(aceBounds.High)}] (estimate {F(aceBounds.Value)})")
                    : " (ACE is not available)";
                warnings.Add(Invariant($"merge mode: ROC AUC and average precision come from the partials' ranking sketches: each exact value lies within bounds at most {widest:G3} wide{aceText}."));
            }
            else if (ranking)
            {
                warnings.Add("merge mode: --ranking: the partials carry no ranking sketch (write them with --partial ... --ranking), so ROC AUC and average precision are not available.");
            }
        }
        else if (source.Partial is not null)
        {
            // A shard without rows gives a partial result of 0 rows: it merges as nothing.
            var (metrics, sums) = Accumulate(source.File!, readerOptions, new MetricsOptions { TopK = topK, EqualMass = false, RankingSketch = ranking, CalibrationSketch = calibrationSketch }, renormalize);
            if (sums.Count > 0)
            {
                PredictionInput.Warn(sums.Describe(metrics.Rows, renormalize ? "they were renormalised." : "log loss renormalises them (sklearn); Brier/accuracy/ECE use them as given."));
            }

            SavePartial(metrics, source.Partial);
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"partial result of {metrics.Rows} rows of {source.File} written to {source.Partial}"));
            return 0;
        }
        else
        {
            path = source.File!;
            var options = new MetricsOptions { Bootstrap = bootstrap, Seed = seed, TopK = topK, Ranking = ranking };
            result = Evaluate(path, readerOptions, options, renormalize);
        }

        var r = result.Report;
        double rowsPerSecond = r.Rows / Math.Max(result.Seconds, 1e-9);
        if (result.RowsNotSummingToOne > 0)
        {
            string what = renormalize
                ? "they were renormalised."
                : "log loss renormalises them (sklearn); Brier/accuracy/ECE use them as given. Pass --renormalize to divide every row by its sum.";
            warnings.Add(result.SumCheck.Describe(r.Rows, what));
        }

        var undefined = new List<string>();
        for (int c = 0; c < r.RocAuc.Count; c++)
        {
            if (double.IsNaN(r.RocAuc[c]))
            {
                undefined.Add(r.PerClass[c].Name);
            }
        }

        if (undefined.Count > 0)
        {
            warnings.Add($"ROC AUC is undefined for class{(undefined.Count > 1 ? "es" : "")} {string.Join(", ", undefined)} (absent from the labels, or in every row; average precision too when absent): the macro means are over the other classes (scikit-learn raises an error here).");
        }

        if (result.Report.Confusion.Count == 0)
        {
            string more = result.Report.Classes > Metrics.MaxClasswiseClasses
                ? Invariant($", and the classwise ECE and the Brier decomposition above {Metrics.MaxClasswiseClasses}.")
                : ".";
            warnings.Add(Invariant($"{result.Report.Classes} classes: the confusion matrix is left out above {Metrics.MaxConfusionClasses} classes (per-class precision, recall and support are reported)") + more);
        }

        foreach (string w in warnings)
        {
            PredictionInput.Warn(w);
        }

        if (plots is not null)
        {
            Directory.CreateDirectory(plots);
            ReliabilityPlots.Save(r, plots);
        }

        if (json)
        {
            var document = new EvalDocument(path, r.Rows, r.Classes, r.LogLoss, r.LogLossBits, r.Brier, r.BinaryBrier,
                new BrierDecomposition(r.BrierReliability, r.BrierResolution, r.BrierUncertainty, r.BrierWithinBin), r.Accuracy, r.TopK,
                r.TopKAccuracy, r.BalancedAccuracy, r.Ece, r.EceEqualMass, r.L2CalibrationError, r.Mce, r.ClasswiseEce, r.Ace, r.MacroRocAuc,
                r.MacroAveragePrecision, r.RocAuc.Count > 0 ? r.RocAuc : null, r.AveragePrecision.Count > 0 ? r.AveragePrecision : null,
                r.PerClass, r.Confusion, r.ReliabilityBins,
                r.Intervals, SketchBounds.Of(r), result.RowsNotSummingToOne, result.SumCheck.First, result.Seconds, rowsPerSecond, warnings);
            Console.Out.WriteLine(JsonSerializer.Serialize(document, EvalJson.Default.EvalDocument));
            return 0;
        }

        var table = new Table().AddColumns("metric", "value");
        if (r.Intervals.Count > 0)
        {
            table.AddColumn("95% bootstrap CI");
        }

        void Row(string name, double value, string? key = null)
        {
            var cells = new List<string> { name, F(value) };
            if (r.Intervals.Count > 0)
            {
                cells.Add(key is not null && r.Intervals.TryGetValue(key, out var ci) ? $"[{F(ci.Low)}, {F(ci.High)}]" : "");
            }

            table.AddRow([.. cells.Select(Markup.Escape)]);
        }

        Row("rows", r.Rows);
        Row("log loss (NLL)", r.LogLoss, "log_loss");
        Row("log loss (bits)", r.LogLossBits);
        Row("Brier (multiclass)", r.Brier, "brier");
        if (r.BinaryBrier is double bb)
        {
            Row($"Brier (binary, sklearn, positive '{r.PerClass[1].Name}')", bb);
        }

        Row("  reliability (Murphy)", r.BrierReliability);
        Row("  resolution", r.BrierResolution);
        Row("  uncertainty", r.BrierUncertainty);
        Row("  within-bin", r.BrierWithinBin);

        Row("accuracy", r.Accuracy, "accuracy");
        Row($"top-{r.TopK} accuracy", r.TopKAccuracy, "top_k_accuracy");
        Row("balanced accuracy", r.BalancedAccuracy);
        Row($"ECE ({r.ReliabilityBins.Count} equal-width bins)", r.Ece, "ece");
        Row($"ECE ({r.ReliabilityBins.Count} equal-mass bins)", r.EceEqualMass);
        Row("L2 calibration error (debiased, top-label, 15 equal-mass bins)", r.L2CalibrationError, "l2_calibration_error");
        Row("MCE", r.Mce);
        Row($"classwise ECE ({r.ReliabilityBins.Count} bins)", r.ClasswiseEce);
        if (r.Ace is double ace)
        {
            Row($"ACE ({r.ReliabilityBins.Count} equal-mass bins per class)", ace);
        }

        if (r.MacroRocAuc is not null)
        {
            Row($"ROC AUC (macro, one-vs-rest{(r.RankingFromSketch ? ", sketched" : "")})", r.MacroRocAuc ?? double.NaN);
            Row($"average precision (macro{(r.RankingFromSketch ? ", sketched" : "")})", r.MacroAveragePrecision ?? double.NaN);
        }

        AnsiConsole.Write(table);

        var perClass = new Table().AddColumns("class", "precision", "recall", "F1", "support");
        if (r.RocAuc.Count > 0)
        {
            perClass.AddColumns("ROC AUC", "avg precision");
        }

        // A table of a million classes takes minutes and gigabytes to lay out: the terminal shows the first ones, --json all.
        const int shownClasses = 100;
        for (int i = 0; i < Math.Min(r.PerClass.Count, shownClasses); i++)
        {
            var c = r.PerClass[i];
            var cells = new List<string> { Markup.Escape(c.Name), F(c.Precision), F(c.Recall), F(c.F1), c.Support.ToString(CultureInfo.InvariantCulture) };
            if (r.RocAuc.Count > 0)
            {
                cells.Add(F(r.RocAuc[i]));
                cells.Add(F(r.AveragePrecision[i]));
            }

            perClass.AddRow([.. cells]);
        }

        AnsiConsole.Write(perClass);
        if (r.PerClass.Count > shownClasses)
        {
            AnsiConsole.WriteLine(Invariant($"({r.PerClass.Count - shownClasses:N0} more classes: --json lists every one)"));
        }

        if (r.Classes <= 20)
        {
            var confusion = new Table().AddColumn("true \\ predicted");
            foreach (var c in r.PerClass)
            {
                confusion.AddColumn(Markup.Escape(c.Name));
            }

            for (int i = 0; i < r.Classes; i++)
            {
                var cells = new string[r.Classes + 1];
                cells[0] = Markup.Escape(r.PerClass[i].Name);
                for (int j = 0; j < r.Classes; j++)
                {
                    cells[j + 1] = r.Confusion[i][j].ToString(CultureInfo.InvariantCulture);
                }

                confusion.AddRow(cells);
            }

            AnsiConsole.Write(confusion);
        }

        AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Rows} rows in {result.Seconds:F3} s ({rowsPerSecond:N0} rows/s)"));
        if (plots is not null)
        {
            AnsiConsole.MarkupLineInterpolated($"plots written to {Path.Combine(plots, "reliability.png")} and {Path.Combine(plots, "confidence.png")}");
        }

        return 0;
    }

    internal static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>Reliability diagram and confidence histogram as PNGs (ScottPlot).</summary>
internal static class ReliabilityPlots
{
    public static void Save(MetricsReport r, string directory)
    {
        int bins = r.ReliabilityBins.Count;
        var centres = new double[bins];
        var accuracy = new double[bins];
        var confidence = new double[bins];
        var counts = new double[bins];
        for (int b = 0; b < bins; b++)
        {
            var bin = r.ReliabilityBins[b];
            centres[b] = 0.5 * (bin.Lower + bin.Upper);
            accuracy[b] = bin.Count == 0 ? 0 : bin.Accuracy;
            confidence[b] = bin.Count == 0 ? 0 : bin.MeanConfidence;
            counts[b] = bin.Count;
        }

        var plot = new ScottPlot.Plot();
        var bars = plot.Add.Bars(centres, accuracy);
        foreach (var bar in bars.Bars)
        {
            bar.Size = 1.0 / bins;
        }

        bars.LegendText = "accuracy";
        var filled = Enumerable.Range(0, bins).Where(b => r.ReliabilityBins[b].Count > 0).ToArray();
        var gap = plot.Add.Scatter(filled.Select(b => centres[b]).ToArray(), filled.Select(b => confidence[b]).ToArray());
        gap.LegendText = "mean confidence";
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LegendText = "perfect calibration";
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Reliability diagram (ECE {r.Ece:F4}, {bins} bins)"));
        plot.XLabel("confidence");
        plot.YLabel("accuracy");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(directory, "reliability.png"), 640, 480);

        var histogram = new ScottPlot.Plot();
        var hbars = histogram.Add.Bars(centres, counts);
        foreach (var bar in hbars.Bars)
        {
            bar.Size = 1.0 / bins;
        }

        histogram.Axes.SetLimitsX(0, 1);
        histogram.Title(string.Create(CultureInfo.InvariantCulture, $"Confidence histogram ({r.Rows} rows, accuracy {r.Accuracy:F4})"));
        histogram.XLabel("confidence (max probability)");
        histogram.YLabel("rows");
        histogram.SavePng(Path.Combine(directory, "confidence.png"), 640, 480);
    }
}

/// <summary>What <c>classloss eval --json</c> writes: the metrics and the run's facts, in this order.</summary>
internal sealed record EvalDocument(string File, long Rows, int Classes, double LogLoss, double LogLossBits, double Brier, double? BinaryBrier,
    BrierDecomposition BrierDecomposition, double Accuracy, int TopK, double TopKAccuracy, double BalancedAccuracy, double Ece,
    double EceEqualMass, double L2CalibrationError, double Mce, double ClasswiseEce, double? Ace, double? MacroRocAuc, double? MacroAveragePrecision,
    IReadOnlyList<double>? RocAuc, IReadOnlyList<double>? AveragePrecision,
    IReadOnlyList<ClassScores> PerClass, IReadOnlyList<long[]> ConfusionMatrix, IReadOnlyList<ReliabilityBin> ReliabilityBins,
    IReadOnlyDictionary<string, Interval> Intervals95, SketchBounds? SketchBounds, long RowsNotSummingToOne, IReadOnlyList<string> FirstRowsNotSummingToOne,
    double Seconds, double RowsPerSecond, IReadOnlyList<string> Warnings);

/// <summary>In merge mode, the metrics that came from the partials' sketches: each one's estimate (the value reported
/// above) and the bounds that hold the exact one-pass value; null members were not sketched, and the whole object is
/// null when nothing was.</summary>
internal sealed record SketchBounds(SketchEstimate? EceEqualMass, SketchEstimate? Ace, IReadOnlyList<SketchEstimate>? RocAuc,
    IReadOnlyList<SketchEstimate>? AveragePrecision)
{
    /// <summary>The sketch bounds of <paramref name="r"/>, or null when it has none.</summary>
    public static SketchBounds? Of(MetricsReport r) =>
        r.EceEqualMassBounds is null && r.AceBounds is null && !r.RankingFromSketch
            ? null
            : new SketchBounds(r.EceEqualMassBounds, r.AceBounds, r.RankingFromSketch ? r.RocAucBounds : null,
                r.RankingFromSketch ? r.AveragePrecisionBounds : null);
}

/// <summary>Murphy's decomposition in <c>eval --json</c>: brier = reliability - resolution + uncertainty + within_bin.</summary>
internal sealed record BrierDecomposition(double Reliability, double Resolution, double Uncertainty, double WithinBin);

/// <summary>The JSON of <see cref="EvalDocument"/>, generated at build time (no reflection: the NativeAOT build needs it).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(EvalDocument))]
internal sealed partial class EvalJson : JsonSerializerContext;
