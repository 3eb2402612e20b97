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

    /// <summary>One line of a plot: its legend and its points; <paramref name="Loss"/> picks its colour (the legend when
    /// null), <paramref name="Dashed"/> its pattern.</summary>
    public readonly record struct Series(string Legend, double[] X, double[] Y, string? Loss = null, bool Dashed = false);

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
    /// Writes a PNG of <paramref name="series"/> as lines, each loss in its one colour (<see cref="ColorOf"/>), the legend
    /// outside the data on the right; axis labels, title and named x ticks only where given.
    /// </summary>
    public static void SavePlot(ExperimentSettings s, string file, IEnumerable<Series> series, string? xLabel, string? yLabel,
        string? title = null, (double[] Positions, string[] Labels)? xTicks = null, int width = 800, int height = 500)
    {
        var plot = Panel(series, xLabel, yLabel, title, xTicks);
        plot.SavePng(Path.Combine(s.Out, file), width, height);
    }

    /// <summary>Writes one PNG of several panels side by side (one per learning rate, say), sharing the y range, each
    /// loss in its one colour across panels, one legend on the last panel.</summary>
    public static void SavePanels(ExperimentSettings s, string file, IReadOnlyList<(string Title, IReadOnlyList<Series> Series)> panels,
        string? xLabel, string? yLabel, (double[] Positions, string[] Labels)? xTicks = null, int width = 1200, int height = 450)
    {
        var plots = panels.Select((p, i) => Panel(p.Series, xLabel, i == 0 ? yLabel : null, p.Title, xTicks, legend: i == panels.Count - 1, turnTicks: false)).ToArray();
        var finite = panels.SelectMany(p => p.Series).SelectMany(x => x.Y).Where(double.IsFinite).ToArray();
        if (finite.Length > 0)
        {
            double lo = finite.Min(), hi = finite.Max(), pad = Math.Max(1e-9, (hi - lo) * 0.05);
            foreach (var plot in plots)
            {
                plot.Axes.SetLimitsY(lo - pad, hi + pad);
            }
        }

        var multiplot = new ScottPlot.Multiplot(plots[0]) { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        foreach (var plot in plots.Skip(1))
        {
            ScottPlot.IMultiplotExtensions.AddPlot(multiplot, plot);
        }

        ScottPlot.IMultiplotExtensions.SavePng(multiplot, Path.Combine(s.Out, file), width, height);
    }

    private static ScottPlot.Plot Panel(IEnumerable<Series> series, string? xLabel, string? yLabel, string? title,
        (double[] Positions, string[] Labels)? xTicks, bool legend = true, bool turnTicks = true)
    {
        var plot = new ScottPlot.Plot();
        foreach (var line in series)
        {
            var scatter = plot.Add.Scatter(line.X, line.Y);
            scatter.LegendText = line.Legend;
            scatter.Color = ColorOf(line.Loss ?? line.Legend);
            scatter.LineWidth = 2;
            if (line.Dashed)
            {
                scatter.LinePattern = ScottPlot.LinePattern.Dashed;
            }
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
            // Named, integer ticks only (no 0.5 between classes); long names turned so they do not overlap.
            plot.Axes.Bottom.SetTicks(ticks.Positions, ticks.Labels);
            if (turnTicks)
            {
                plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
                plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
                plot.Axes.Bottom.MinimumSize = 70;
            }
        }

        if (legend)
        {
            plot.ShowLegend(ScottPlot.Edge.Right);
        }
        else
        {
            plot.HideLegend();
        }

        return plot;
    }

    // One colour per loss in every plot of the report: the losses the sections compare get fixed places in a
    // colour-blind-friendly palette (Okabe & Ito 2008), in this order; any other loss takes the next free one.
    private static readonly string[] KnownLosses =
    [
        "ce", "brier", "mse", "weighted-ce:weights=balanced", "cb-ce:beta=0.999", "focal:gamma=2,alpha=0.25", "bce",
        "sigmoid-mse", "sigmoid-focal:gamma=2,alpha=-1", "asl", "ce:smoothing=0.1", "teacher",
    ];

    private static readonly ScottPlot.Color[] Palette =
    [
        ScottPlot.Color.FromHex("#0072B2"), ScottPlot.Color.FromHex("#D55E00"), ScottPlot.Color.FromHex("#009E73"),
        ScottPlot.Color.FromHex("#CC79A7"), ScottPlot.Color.FromHex("#E69F00"), ScottPlot.Color.FromHex("#56B4E9"),
        ScottPlot.Color.FromHex("#000000"), ScottPlot.Color.FromHex("#F0E442"), ScottPlot.Color.FromHex("#882255"),
        ScottPlot.Color.FromHex("#44AA99"), ScottPlot.Color.FromHex("#999933"), ScottPlot.Color.FromHex("#AA4499"),
    ];

    /// <summary>The colour of a loss (its specification) in every plot.</summary>
    public static ScottPlot.Color ColorOf(string loss)
    {
        int i = Array.IndexOf(KnownLosses, loss);
        return Palette[(i >= 0 ? i : KnownLosses.Length + (int)((uint)StableHash(loss) % 5)) % Palette.Length];
    }

    private static int StableHash(string text)
    {
        int h = 17;
        foreach (char c in text)
        {
            h = unchecked((h * 31) + c);
        }

        return h;
    }
}
