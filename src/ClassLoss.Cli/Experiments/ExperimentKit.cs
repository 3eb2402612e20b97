using ClassLoss.Training.Optimizers;

namespace ClassLoss.Cli.Experiments;

/// <summary>
/// What the experiments share: data subsets, one training run, the verdict rule, and the report's building blocks
/// (Markdown tables, the verdict line, line plots). Test metrics of a model are <see cref="Lab.TestReport"/>, shared
/// with <c>compare</c>.
/// </summary>
internal static class ExperimentKit
{
    /// <summary>One section of the report: its name in the summary table, the PNG it writes, the line it announces
    /// itself with, and how it runs (appends its part of the report and returns its verdict).</summary>
    public sealed record ReportSection(string Title, string Plot, string Announcement, Func<ReportSection, ExperimentSettings, ExperimentData, StringBuilder, string> Run);

    /// <summary>The data a section may use: the subsets of the run's limits, and the full splits (to subset its own way).</summary>
    public sealed record ExperimentData(Lab.Splits Subset, Lab.Splits Full);

    /// <summary>One line of a plot: its legend and its points.</summary>
    public readonly record struct Series(string Legend, double[] X, double[] Y);

    /// <summary>A stratified head of <paramref name="d"/>: at most <paramref name="limit"/> rows, every class kept.</summary>
    public static Dataset Head(Dataset d, int limit)
    {
        if (d.Count <= limit)
        {
            return d;
        }

        // A stratified head: the first rows in a seeded shuffle keep every class.
        var (part, _, _) = d.StratifiedSplit(0, 1 - ((double)limit / d.Count), 0);
        return part;
    }

    /// <summary>One training run of a section: its data, loss, optimiser, schedule and seed (initialisation and shuffling).</summary>
    public readonly record struct RunSpec(Lab.Splits Data, string Loss, string Optimizer, string Schedule, int Seed);

    /// <summary>
    /// Trains every run of <paramref name="runs"/>, up to <see cref="ExperimentSettings.Parallel"/> at once (each on one
    /// thread; a run depends only on its spec, so the results do not depend on how many run together), recording test
    /// accuracy per epoch; a diverged run stops early (a shorter history). Returns the trainers in the order of the specs.
    /// </summary>
    public static Trainer[] TrainAll(ExperimentSettings s, IReadOnlyList<RunSpec> runs)
    {
        var trainers = new Trainer[runs.Count];
        Parallel.For(0, runs.Count, new ParallelOptions { MaxDegreeOfParallelism = s.Parallel }, i => trainers[i] = Train(s, runs[i]));
        AnsiConsole.MarkupLineInterpolated($"  {runs.Count} runs ({string.Join(", ", runs.Select(r => r.Loss).Distinct())}; {s.Seeds} seeds, {s.Epochs} epochs, {s.Parallel} at once)");
        return trainers;
    }

    private static Trainer Train(ExperimentSettings s, RunSpec run)
    {
        var data = run.Data;
        var compute = Compute.SingleThread;
        var loss = LossCatalog.Create(run.Loss, new LossContext(data.Train.Classes, data.Train.ClassCounts()) { Compute = compute });
        var net = Lab.Model(s.Model, data.Train.Dimension, data.Train.Classes, run.Seed);
        var settings = new TrainSettings { Data = s.Data, Loss = run.Loss, Optimizer = run.Optimizer, Schedule = run.Schedule, Epochs = s.Epochs, BatchSize = s.BatchSize, Seed = run.Seed, Validation = 0, Imbalance = 1 };
        var trainer = new Trainer(net, OptimizerFactory.Create(run.Optimizer, net.Parameters.Length), loss, settings, compute: compute);
        try
        {
            while (trainer.CompletedEpochs < settings.Epochs)
            {
                trainer.TrainEpoch(data.Train, null, data.Test);
            }
        }
        catch (TrainingDivergedException)
        {
            // Recorded as a shorter history; the report marks it as diverged.
        }

        return trainer;
    }

    /// <summary>The verdict rule every measured claim follows, as the report states it.</summary>
    public const string VerdictRule =
        "A comparison **holds** when the 95% interval of its paired difference over the seeds (Student's t) excludes zero in the claimed direction, " +
        "**does not hold** when it excludes zero the other way, and is **not shown** otherwise. A section holds only when every one of its comparisons holds, " +
        "does not hold when at least one goes the other way and none holds, and is not shown otherwise. Values the kernels compute exactly (no sampling) are marked *exact*.";

    /// <summary>The verdict of the claim that a is greater (<paramref name="claimGreater"/>) or smaller than b, from the
    /// interval of the paired difference <c>a − b</c> over seeds.</summary>
    public static string ClaimVerdict(Statistics.Interval difference, bool claimGreater)
    {
        if (difference.Count < 2 || !double.IsFinite(difference.Low) || !double.IsFinite(difference.High))
        {
            return "not shown";
        }

        bool above = difference.Low > 0;
        bool below = difference.High < 0;
        return (claimGreater ? above : below) ? "holds" : (claimGreater ? below : above) ? "does not hold" : "not shown";
    }

    /// <summary>A section's verdict from its comparisons' (<see cref="VerdictRule"/>).</summary>
    public static string SectionVerdict(IReadOnlyCollection<string> verdicts) =>
        verdicts.Count > 0 && verdicts.All(v => v == "holds") ? "holds"
        : verdicts.Contains("does not hold") && !verdicts.Contains("holds") ? "does not hold"
        : "not shown";

    /// <summary>One paired comparison of a section: what is compared, the metric, the claimed direction (A greater or
    /// smaller than B), and the per-seed values of both sides (same seeds, same order).</summary>
    public sealed record Comparison(string What, string Metric, bool ClaimGreater, IReadOnlyList<double> A, IReadOnlyList<double> B)
    {
        public Statistics.Interval Difference => Statistics.PairedDifference(A, B);

        public string Verdict => ClaimVerdict(Difference, ClaimGreater);
    }

    /// <summary>Appends the comparisons table (each side's mean with its interval, the paired difference with its
    /// interval, the verdict) and returns the section's verdict.</summary>
    public static string AppendComparisons(StringBuilder md, IReadOnlyList<Comparison> comparisons)
    {
        Table(md, ["A vs B", "metric", "claim", "A", "B", "A − B", "verdict"],
            comparisons.Select(c => (IReadOnlyList<string>)
            [
                c.What, c.Metric, c.ClaimGreater ? "A > B" : "A < B",
                Statistics.MeanInterval(c.A).Format("0.000"), Statistics.MeanInterval(c.B).Format("0.000"), c.Difference.Format("+0.000;-0.000;0.000"), c.Verdict,
            ]));
        md.AppendLine();
        md.AppendLine("Each cell: mean over the seeds [95% interval]; A − B is the paired difference (same seed: same initialisation and shuffling for both).");
        md.AppendLine();
        return SectionVerdict([.. comparisons.Select(c => c.Verdict)]);
    }

    /// <summary>Appends a Markdown table: the header row of <paramref name="columns"/>, the rule, then one line per row of cells.</summary>
    public static void Table(StringBuilder md, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        md.AppendLine(TableRow(columns));
        md.Append('|');
        for (int c = 0; c < columns.Count; c++)
        {
            md.Append("---|");
        }

        md.AppendLine();
        foreach (var row in rows)
        {
            md.AppendLine(TableRow(row));
        }
    }

    private static string TableRow(IReadOnlyList<string> cells) => "| " + string.Join(" | ", cells) + " |";

    /// <summary>Appends a section's closing verdict line and a blank line.</summary>
    public static void AppendVerdict(StringBuilder md, string verdict)
    {
        md.AppendLine($"**Verdict: {verdict}.**");
        md.AppendLine();
    }

    /// <summary>
    /// Writes a PNG of <paramref name="series"/> as lines with a legend, in order, to <paramref name="file"/> in the
    /// output directory; axis labels, title and named x ticks only where given.
    /// </summary>
    public static void SavePlot(ExperimentSettings s, string file, IEnumerable<Series> series, string? xLabel, string? yLabel,
        string? title = null, (double[] Positions, string[] Labels)? xTicks = null, int width = 800, int height = 500)
    {
        var plot = new ScottPlot.Plot();
        foreach (var line in series)
        {
            var scatter = plot.Add.Scatter(line.X, line.Y);
            scatter.LegendText = line.Legend;
        }

        if (xLabel is not null)
        {
            plot.XLabel(xLabel);
        }

        if (yLabel is not null)
        {
            plot.YLabel(yLabel);
        }

        if (title is not null)
        {
            plot.Title(title);
        }

        if (xTicks is { } ticks)
        {
            plot.Axes.Bottom.SetTicks(ticks.Positions, ticks.Labels);
        }

        plot.ShowLegend();
        plot.SavePng(Path.Combine(s.Out, file), width, height);
    }
}
