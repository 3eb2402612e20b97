using System.Diagnostics;
using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>
/// <c>classloss experiments</c>: runs the seeds' claims end to end on the lab (same data, models, optimisers, losses
/// and metrics as <c>train</c>/<c>compare</c>) and writes <c>report.md</c> with tables, PNG plots and one verdict per
/// section computed from the numbers. Every loss comes from <see cref="LossCatalog"/> or a core kernel. This
/// file holds the options, the order of the sections and the report's head and summary; each section is one
/// <c>*Experiment</c> class in this folder, and what they share is <see cref="ExperimentKit"/>.
/// </summary>
internal static class ExperimentsCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "default (embedded Fashion-MNIST subset) or fashion-mnist (full, from disk).", DefaultValueFactory = _ => "default" };
        var output = new Option<string>("--out") { Description = "Output directory for report.md and the plots.", DefaultValueFactory = _ => "runs/experiments" };
        var seed = new Option<int>("--seed") { Description = "The first seed (seed i = SEED + i fixes initialisation, subsets and shuffling for every compared loss).", DefaultValueFactory = _ => 0 };
        var seeds = new Option<int?>("--seeds") { Description = "How many seeds every comparison runs over (default 5; 2 with --quick): verdicts come from the paired differences' 95% intervals." };
        var quick = new Option<bool>("--quick") { Description = "Tiny settings (600 train rows, 2 epochs, one learning rate) for a smoke test." };
        var model = new Option<string>("--model") { Description = "softmax or mlp:WIDTH[,WIDTH...][,relu|tanh].", DefaultValueFactory = _ => "mlp:64" };
        var threads = Lab.ThreadsOption();
        threads.Description = "Training runs at once, each on one thread (a whole number >= 1, or auto: all cores). Results do not depend on it.";
        threads.DefaultValueFactory = _ => "auto";
        var command = new Command("experiments", "Run the seeds' claims end to end over several seeds (convergence, saturation, imbalance, soft labels, log-softmax precision); write report.md and plots with intervals and verdicts.") { data, output, seed, seeds, quick, model, threads };
        command.SetAction(p => CliErrors.Run(() =>
        {
            var compute = Lab.ParseThreads(p.GetValue(threads)!);
            bool isQuick = p.GetValue(quick);
            int count = p.GetValue(seeds) ?? (isQuick ? 2 : 5);
            if (count < 1)
            {
                throw new CliException($"--seeds {count}: give at least 1 (2 or more for intervals).");
            }

            return Run(new ExperimentSettings(p.GetValue(data)!.ToLowerInvariant(), p.GetValue(output)!, p.GetValue(seed), isQuick, p.GetValue(model)!, compute, count));
        }));
        return command;
    }

    internal static int Run(ExperimentSettings s)
    {
        if (s.Data is not ("default" or "fashion-mnist"))
        {
            throw new CliException($"--data '{s.Data}': experiments run on default or fashion-mnist.");
        }

        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(s.Out);
        var full = Lab.Load(s.Data, s.Seed, 0, 1);
        var splits = new Lab.Splits(Head(full.Train, s.TrainLimit), null, Head(full.Test, s.TestLimit));
        var md = new StringBuilder();
        md.AppendLine("# ClassLoss experiments: the seeds' claims, measured");
        md.AppendLine();
        md.AppendLine(Invariant($"Data `{s.Data}`: {splits.Train.Count} train rows, {splits.Test.Count} test rows, {splits.Train.Classes} classes; model `{s.Model}`; batch {s.BatchSize}; {s.Epochs} epochs; seeds {s.Seed}..{s.Seed + s.Seeds - 1} ({s.Seeds}); {s.Parallel} training runs at once{(s.Quick ? "; **--quick** (tiny settings, numbers are not meaningful)" : string.Empty)}."));
        md.AppendLine();
        md.AppendLine("How to read the verdicts: " + VerdictRule);
        md.AppendLine();
        md.AppendLine("Command: `classloss experiments --data " + s.Data + " --model " + s.Model + (s.Quick ? " --quick" : string.Empty) + Invariant($" --seed {s.Seed} --seeds {s.Seeds}") + "`");
        md.AppendLine();

        var data = new ExperimentData(splits, full);
        var verdicts = new List<(string Section, string Verdict)>();
        for (int i = 0; i < Sections.Length; i++)
        {
            AnsiConsole.MarkupLine(Invariant($"[bold]{i + 1}[/] {Sections[i].Announcement}"));
            verdicts.Add((Sections[i].Title, Sections[i].Run(Sections[i], s, data, md)));
        }

        md.AppendLine("## Summary");
        md.AppendLine();
        Table(md, ["section", "verdict"], verdicts.Select(v => (IReadOnlyList<string>)[v.Section, v.Verdict]));

        md.AppendLine();
        md.AppendLine(Invariant($"Total time {clock.Elapsed.TotalSeconds:F1} s."));
        string report = Path.Combine(s.Out, "report.md");
        File.WriteAllText(report, md.ToString());
        string html = HtmlReport.Write(s.Out, md.ToString());
        foreach (var (section, verdict) in verdicts)
        {
            AnsiConsole.MarkupLineInterpolated($"{section}: [bold]{verdict}[/]");
        }

        AnsiConsole.MarkupLineInterpolated($"wrote {report} and plots {string.Join(", ", Plots)} in {s.Out} ({clock.Elapsed.TotalSeconds:F1} s)");
        Console.Out.WriteLine($"HTML report (self-contained, open in a browser): {Path.GetFullPath(html)}");
        return 0;
    }

    /// <summary>The report's sections, in order (a section's number is its place here).</summary>
    internal static readonly ReportSection[] Sections =
    [
        new("1 CE vs MSE/Brier convergence (seed 001)", "convergence.png", "CE vs MSE/Brier, plain SGD", ConvergenceExperiment.Run),
        new("2 Gradient saturation (seed 000 §2.5)", "saturation.png", "gradient saturation through a sigmoid", SaturationExperiment.Run),
        new("3 Imbalance (seed 003)", "imbalance.png", "long-tailed training data", ImbalanceExperiment.Run),
        new("4 Soft vs hard labels (seed 000 §2.1)", "soft_labels.png", "soft vs hard labels", SoftLabelsExperiment.Run),
        new("5 Fused log-softmax precision (seeds 000, 004)", "logsoftmax_precision.png", "fused log-softmax vs log(softmax) in float", PrecisionExperiment.Run),
        new("6 Multi-label: BCE vs focal vs asymmetric (seed 002)", "multilabel.png", "multi-label mosaics: BCE vs focal vs asymmetric loss", MultiLabelExperiment.Run),
        new("7 Temperature as a calibration knob (seed 000 §1.3)", "temperature.png", "temperature scaling of the lab's CE models", TemperatureExperiment.Run),
    ];

    /// <summary>The PNG files every run writes.</summary>
    internal static readonly string[] Plots = [.. Sections.Select(x => x.Plot)];
}
