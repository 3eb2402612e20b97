using ClassLoss.Training.Optimizers;

namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss compare</c>: trains the same model on the same data with the same seed once per loss, then prints
/// a summary table and writes <c>compare.csv</c>, <c>train_loss.png</c> and <c>test_accuracy.png</c>.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var common = new TrainCommand.Common();
        var losses = new Option<string>("--losses") { Description = $"Comma-separated loss specifications, e.g. ce,ce:smoothing=0.1,weighted-ce:weights=balanced ('|' also separates); names: {LossCatalog.TrainableNames}.", DefaultValueFactory = _ => "ce,weighted-ce" };
        var target = new Option<double>("--target-accuracy") { Description = "The test accuracy whose first epoch the table reports (epochs to target).", DefaultValueFactory = _ => 0.8 };
        var command = new Command("compare", "Train once per loss (same data, model, seed) and compare them: table, CSV and plots.") { losses, target };
        common.AddTo(command);
        command.SetAction(p => CliErrors.Run(() =>
        {
            var specs = SplitLosses(p.GetValue(losses)!);
            return Run(specs, common.Settings(p, specs[0]), p.GetValue(common.Model)!, p.GetValue(common.Out)!, p.GetValue(target), common.ParseCompute(p));
        }));
        return command;
    }

    /// <summary>
    /// Splits a loss list: "ce,weighted-ce" → two names; "ce:smoothing=0.1,temperature=2,weighted-ce" → two specs
    /// (a comma-separated piece with '=' but no ':' is an option of the spec before it); '|' always separates.
    /// </summary>
    internal static string[] SplitLosses(string text)
    {
        var specs = new List<string>();
        foreach (var group in text.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            foreach (var piece in group.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                bool isOption = piece.Contains('=', StringComparison.Ordinal) && !piece.Contains(':', StringComparison.Ordinal);
                if (isOption && specs.Count > 0)
                {
                    specs[^1] += "," + piece;
                }
                else
                {
                    specs.Add(piece);
                }
            }
        }

        return specs.Count > 0 ? [.. specs] : throw new CliException("--losses: give at least one loss.");
    }

    /// <summary>Trains once per loss; <paramref name="compute"/> bounds the GEMMs and the loss kernels.</summary>
    internal static int Run(string[] specs, TrainSettings settings, string model, string outDir, double targetAccuracy, Compute compute)
    {
        var data = Lab.Load(settings.Data, settings.Seed, settings.Validation, settings.Imbalance);
        var context = new LossContext(data.Train.Classes, data.Train.ClassCounts()) { Compute = compute };
        var losses = Array.ConvertAll(specs, s => LossCatalog.Create(s, context));
        Directory.CreateDirectory(outDir);
        var results = new List<(string Loss, IReadOnlyList<EpochMetrics> History)>();
        var reports = new List<MetricsReport>();
        foreach (var loss in losses)
        {
            var net = Lab.Model(model, data.Train.Dimension, data.Train.Classes, settings.Seed);
            var trainer = new Trainer(net, OptimizerFactory.Create(settings.Optimizer, net.Parameters.Length), loss, settings with { Loss = loss.Name }, compute: compute);
            AnsiConsole.MarkupLineInterpolated($"[bold]{loss.Name}[/]: {net.Describe()}, {trainer.Optimizer.Name}, {settings.Epochs} epochs, {Lab.ThreadsText(compute)}");
            TrainCommand.Train(trainer, data, null, m =>
                AnsiConsole.MarkupLineInterpolated($"  epoch {m.Epoch,3}  train loss {Lab.F(m.TrainLoss)}  test acc {Lab.F(m.TestAccuracy)}  ({m.Seconds:F1} s)"));
            results.Add((loss.Name, trainer.History));
            reports.Add(Lab.TestReport(net, data.Test, compute));
        }

        var table = new Table().AddColumns("loss", "test acc", "balanced acc", "test NLL", "Brier", "ECE (15 bins)",
            $"epochs to {Lab.F(targetAccuracy, "0.00")}", "wall s", "final train loss");
        using (var w = new StreamWriter(Path.Combine(outDir, "compare.csv")))
        using (var summary = new StreamWriter(Path.Combine(outDir, "compare_summary.csv")))
        {
            w.WriteLine("loss," + EpochMetrics.CsvHeader);
            summary.WriteLine("loss,test_accuracy,balanced_accuracy,test_nll,brier,ece,epochs_to_target,wall_seconds,final_train_loss");
            for (int r = 0; r < results.Count; r++)
            {
                var (name, history) = results[r];
                var report = reports[r];
                foreach (var m in history)
                {
                    w.WriteLine($"\"{name}\",{m.ToCsv()}");
                }

                int reached = -1;
                foreach (var m in history)
                {
                    if (m.TestAccuracy >= targetAccuracy)
                    {
                        reached = m.Epoch;
                        break;
                    }
                }

                double wall = history.Sum(m => m.Seconds);
                string epochs = reached > 0 ? reached.ToString(CultureInfo.InvariantCulture) : "not reached";
                table.AddRow(Markup.Escape(name), Lab.F(report.Accuracy), Lab.F(report.BalancedAccuracy), Lab.F(report.LogLoss),
                    Lab.F(report.Brier), Lab.F(report.Ece), epochs, Lab.F(wall, "0.00"), Lab.F(history[^1].TrainLoss));
                summary.WriteLine(string.Join(',', $"\"{name}\"", R(report.Accuracy), R(report.BalancedAccuracy), R(report.LogLoss), R(report.Brier),
                    R(report.Ece), reached > 0 ? reached.ToString(CultureInfo.InvariantCulture) : "", R(wall), R(history[^1].TrainLoss)));
            }
        }

        AnsiConsole.Write(table);
        Plot(results, m => m.TrainLoss, "train loss", Path.Combine(outDir, "train_loss.png"));
        Plot(results, m => m.TestAccuracy, "test accuracy", Path.Combine(outDir, "test_accuracy.png"));
        AnsiConsole.MarkupLineInterpolated($"wrote compare.csv, compare_summary.csv, train_loss.png and test_accuracy.png in {outDir}");
        return 0;
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static void Plot(List<(string Loss, IReadOnlyList<EpochMetrics> History)> results, Func<EpochMetrics, double> metric, string label, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, history) in results)
        {
            double[] xs = [.. history.Select(m => (double)m.Epoch)];
            double[] ys = [.. history.Select(metric)];
            var s = plot.Add.Scatter(xs, ys);
            s.LegendText = name;
        }

        plot.XLabel("epoch");
        plot.YLabel(label);
        plot.ShowLegend();
        plot.SavePng(path, 800, 500);
    }
}
