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

    /// <summary>Trains the model of <paramref name="s"/> with one loss and optimiser, recording test accuracy per epoch; a diverged run stops early (a shorter history).</summary>
    public static Trainer Train(ExperimentSettings s, Lab.Splits data, string lossSpec, string optimizer, string schedule = "constant")
    {
        var loss = LossCatalog.Create(lossSpec, new LossContext(data.Train.Classes, data.Train.ClassCounts()) { Compute = s.Compute });
        var net = Lab.Model(s.Model, data.Train.Dimension, data.Train.Classes, s.Seed);
        var settings = new TrainSettings { Data = s.Data, Loss = lossSpec, Optimizer = optimizer, Schedule = schedule, Epochs = s.Epochs, BatchSize = s.BatchSize, Seed = s.Seed, Validation = 0, Imbalance = 1 };
        var trainer = new Trainer(net, OptimizerFactory.Create(optimizer, net.Parameters.Length), loss, settings, compute: s.Compute);
        AnsiConsole.MarkupLineInterpolated($"  {lossSpec}, {optimizer}, {schedule}: {s.Epochs} epochs");
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

    /// <summary>"holds" when every comparison goes the claimed way, "does not hold here" when none does (or there are none), else "mixed".</summary>
    public static string Verdict(int wins, int total) =>
        total == 0 ? "does not hold here" : wins == total ? "holds" : wins == 0 ? "does not hold here" : "mixed";

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
