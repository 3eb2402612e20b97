using System.CommandLine;
using System.Diagnostics;
using System.Text;
using ClassLoss.Activations;
using ClassLoss.Evaluation;
using ClassLoss.Losses;
using ClassLoss.Training;
using ClassLoss.Training.Data;
using ClassLoss.Training.Models;
using ClassLoss.Training.Optimizers;
using Spectre.Console;
using static System.FormattableString;

namespace ClassLoss.Cli;

/// <summary>
/// <c>classloss experiments</c>: runs the seeds' claims end to end on the lab (same data, models, optimisers, losses
/// and metrics as <c>train</c>/<c>compare</c>) and writes <c>report.md</c> with tables, PNG plots and one verdict per
/// section computed from the numbers. Every loss comes from <see cref="LossFactory"/> or a core kernel.
/// </summary>
internal static class ExperimentsCommand
{
    /// <summary>Sizes of one run of the experiments.</summary>
    internal sealed record Settings(string Data, string Out, int Seed, bool Quick, string Model = "mlp:64", int Threads = 1)
    {
        public int Epochs => Quick ? 2 : Data == "default" ? 15 : 10;

        public double[] LearningRates => Quick ? [0.1] : [0.01, 0.1, 0.5];

        public int TrainLimit => Quick ? 600 : int.MaxValue;

        public int TestLimit => Quick ? 300 : int.MaxValue;

        public int BatchSize => 64;

        public double Imbalance => 10;
    }

    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "default (embedded Fashion-MNIST subset) or fashion-mnist (full, from disk).", DefaultValueFactory = _ => "default" };
        var output = new Option<string>("--out") { Description = "Output directory for report.md and the plots.", DefaultValueFactory = _ => "runs/experiments" };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, subsets and shuffling.", DefaultValueFactory = _ => 0 };
        var quick = new Option<bool>("--quick") { Description = "Tiny settings (600 train rows, 2 epochs, one learning rate) for a smoke test." };
        var model = new Option<string>("--model") { Description = "softmax or mlp:WIDTH[,WIDTH...][,relu|tanh].", DefaultValueFactory = _ => "mlp:64" };
        var threads = Lab.ThreadsOption();
        var command = new Command("experiments", "Run the seeds' claims end to end (convergence, saturation, imbalance, soft labels, log-softmax precision); write report.md and plots.") { data, output, seed, quick, model, threads };
        command.SetAction(p => CliErrors.Run(() =>
        {
            int n = Lab.Threads(p.GetValue(threads)!);
            return Lab.WithThreads(n, () => Run(new Settings(p.GetValue(data)!.ToLowerInvariant(), p.GetValue(output)!, p.GetValue(seed), p.GetValue(quick), p.GetValue(model)!, n)));
        }));
        return command;
    }

    internal static int Run(Settings s)
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
        md.AppendLine(Invariant($"Data `{s.Data}`: {splits.Train.Count} train rows, {splits.Test.Count} test rows, {splits.Train.Classes} classes; model `{s.Model}`; batch {s.BatchSize}; {s.Epochs} epochs; seed {s.Seed}; {Lab.ThreadsText(s.Threads)}{(s.Quick ? "; **--quick** (tiny settings, numbers are not meaningful)" : string.Empty)}."));
        md.AppendLine();
        md.AppendLine("Command: `classloss experiments --data " + s.Data + " --model " + s.Model + (s.Quick ? " --quick" : string.Empty) + Invariant($" --seed {s.Seed}") + (s.Threads != 1 ? Invariant($" --threads {s.Threads}") : string.Empty) + "`");
        md.AppendLine();

        var verdicts = new List<(string Section, string Verdict)>
        {
            ("1 CE vs MSE/Brier convergence (seed 001)", Convergence(s, splits, md)),
            ("2 Gradient saturation (seed 000 §2.5)", Saturation(s, splits, md)),
            ("3 Imbalance (seed 003)", Imbalance(s, full, md)),
            ("4 Soft vs hard labels (seed 000 §2.1)", SoftLabels(s, splits, md)),
            ("5 Fused log-softmax precision (seeds 000, 004)", Precision(s, md)),
        };

        md.AppendLine("## Summary");
        md.AppendLine();
        md.AppendLine("| section | verdict |");
        md.AppendLine("|---|---|");
        foreach (var (section, verdict) in verdicts)
        {
            md.AppendLine($"| {section} | {verdict} |");
        }

        md.AppendLine();
        md.AppendLine(Invariant($"Total time {clock.Elapsed.TotalSeconds:F1} s."));
        string report = Path.Combine(s.Out, "report.md");
        File.WriteAllText(report, md.ToString());
        foreach (var (section, verdict) in verdicts)
        {
            AnsiConsole.MarkupLineInterpolated($"{section}: [bold]{verdict}[/]");
        }

        AnsiConsole.MarkupLineInterpolated($"wrote {report} and plots {string.Join(", ", Plots)} in {s.Out} ({clock.Elapsed.TotalSeconds:F1} s)");
        return 0;
    }

    /// <summary>The PNG files every run writes.</summary>
    internal static readonly string[] Plots = ["convergence.png", "saturation.png", "imbalance.png", "soft_labels.png", "logsoftmax_precision.png"];

    private static Dataset Head(Dataset d, int limit)
    {
        if (d.Count <= limit)
        {
            return d;
        }

        // A stratified head: the first rows in a seeded shuffle keep every class.
        var (part, _, _) = d.StratifiedSplit(0, 1 - ((double)limit / d.Count), 0);
        return part;
    }

    private static Trainer Train(Settings s, Lab.Splits data, string lossSpec, string optimizer, string schedule = "constant")
    {
        var loss = LossFactory.Create(lossSpec, new LossContext(data.Train.Classes, data.Train.ClassCounts()) { MaxDegreeOfParallelism = s.Threads });
        var net = Lab.Model(s.Model, data.Train.Dimension, data.Train.Classes, s.Seed);
        var settings = new TrainSettings { Data = s.Data, Loss = lossSpec, Optimizer = optimizer, Schedule = schedule, Epochs = s.Epochs, BatchSize = s.BatchSize, Seed = s.Seed, Validation = 0, Imbalance = 1 };
        var trainer = new Trainer(net, OptimizerFactory.Create(optimizer, net.Parameters.Length), loss, settings) { MaxDegreeOfParallelism = s.Threads };
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

    // ---------- 1: convergence ----------
    private static string Convergence(Settings s, Lab.Splits data, StringBuilder md)
    {
        AnsiConsole.MarkupLine("[bold]1[/] CE vs MSE/Brier, plain SGD");
        string[] losses = ["ce", "brier", "mse"];
        var runs = new List<(string Loss, double Lr, IReadOnlyList<EpochMetrics> H)>();
        foreach (double lr in s.LearningRates)
        {
            foreach (var loss in losses)
            {
                var t = Train(s, data, loss, Invariant($"sgd:lr={lr},momentum=0"));
                runs.Add((loss, lr, t.History));
            }
        }

        md.AppendLine("## 1. CE vs MSE/Brier convergence with plain SGD (seed 001)");
        md.AppendLine();
        md.AppendLine("Claim (seed 001): with a first-order, non-adaptive optimiser, MSE converges more slowly than cross-entropy late in training. " +
            $"Model `{s.Model}`, SGD without momentum, constant learning rate; `brier` = Σ_c (p_c − y_c)² per row, `mse` = the same / K (PyTorch MSELoss on probabilities). Test accuracy / train loss per epoch:");
        md.AppendLine();
        var header = new StringBuilder("| loss | lr |");
        var rule = new StringBuilder("|---|---|");
        for (int e = 1; e <= s.Epochs; e++)
        {
            header.Append(Invariant($" ep {e} |"));
            rule.Append("---|");
        }

        md.AppendLine(header.ToString());
        md.AppendLine(rule.ToString());
        foreach (var (loss, lr, h) in runs)
        {
            var row = new StringBuilder(Invariant($"| {loss} | {lr} |"));
            for (int e = 0; e < s.Epochs; e++)
            {
                row.Append(e < h.Count ? $" {Lab.F(h[e].TestAccuracy, "0.000")} / {Lab.F(h[e].TrainLoss, "0.000")} |" : " diverged |");
            }

            md.AppendLine(row.ToString());
        }

        md.AppendLine();
        md.AppendLine("![test accuracy per epoch](convergence.png)");
        md.AppendLine();

        // Verdict: per learning rate, CE's mean test accuracy over the second half of the epochs ("late in training")
        // against each squared loss at the same learning rate.
        static double Late(IReadOnlyList<EpochMetrics> h) => h.Skip(h.Count / 2).Average(m => m.TestAccuracy);
        int wins = 0, comparisons = 0;
        var notes = new List<string>();
        foreach (double lr in s.LearningRates)
        {
            var ce = runs.Find(r => r.Loss == "ce" && r.Lr == lr).H;
            foreach (var other in losses.Skip(1))
            {
                var h = runs.Find(r => r.Loss == other && r.Lr == lr).H;
                if (ce.Count < s.Epochs || h.Count < s.Epochs)
                {
                    notes.Add(Invariant($"lr {lr}: ce or {other} diverged"));
                    continue;
                }

                comparisons++;
                double a = Late(ce), b = Late(h);
                if (a > b)
                {
                    wins++;
                }

                notes.Add(Invariant($"lr {lr}: ce {Lab.F(a, "0.000")} vs {other} {Lab.F(b, "0.000")}"));
            }
        }

        // MSE here is Brier / K, so under plain SGD mse at lr equals brier at lr / K up to float rounding: say so when the
        // runs show it (every epoch within half a point of test accuracy).
        var same = new List<string>();
        foreach (var m in runs.Where(r => r.Loss == "mse"))
        {
            foreach (var b in runs.Where(r => r.Loss == "brier" && r.H.Count == m.H.Count && r.H.Count > 0))
            {
                bool equal = true;
                for (int e = 0; e < m.H.Count && equal; e++)
                {
                    equal = Math.Abs(m.H[e].TestAccuracy - b.H[e].TestAccuracy) < 0.005;
                }

                if (equal)
                {
                    same.Add(Invariant($"mse at lr {m.Lr} = brier at lr {b.Lr}"));
                }
            }
        }

        if (same.Count > 0)
        {
            md.AppendLine($"Same test-accuracy curves (every epoch within 0.005): {string.Join("; ", same)} — MSE on probabilities is Brier / K, which plain SGD turns into a K-times smaller learning rate; the squared loss's slowness at a given lr is partly this scale, so compare across learning rates too.");
            md.AppendLine();
        }

        string verdict = Verdict(wins, comparisons);
        md.AppendLine(Invariant($"Mean test accuracy over the second half of training, CE ahead in {wins} of {comparisons} (loss, lr) comparisons: {string.Join("; ", notes)}."));
        var best = runs.Where(r => r.H.Count > 0).GroupBy(r => r.Loss).Select(g => (Loss: g.Key, Acc: g.Max(r => Late(r.H)))).ToList();
        md.AppendLine();
        md.AppendLine("Best late mean over learning rates: " + string.Join("; ", best.Select(b => $"{b.Loss} {Lab.F(b.Acc, "0.000")}")) + ".");
        md.AppendLine();
        md.AppendLine($"**Verdict: {verdict}.**");
        md.AppendLine();

        var plot = new ScottPlot.Plot();
        foreach (var (loss, lr, h) in runs)
        {
            var sc = plot.Add.Scatter(h.Select(m => (double)m.Epoch).ToArray(), h.Select(m => m.TestAccuracy).ToArray());
            sc.LegendText = Invariant($"{loss} lr={lr}");
        }

        plot.XLabel("epoch");
        plot.YLabel("test accuracy");
        plot.Title("plain SGD: CE vs Brier vs MSE");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(s.Out, "convergence.png"), 900, 550);
        return verdict;
    }

    // ---------- 2: saturation ----------
    private static string Saturation(Settings s, Lab.Splits data, StringBuilder md)
    {
        AnsiConsole.MarkupLine("[bold]2[/] gradient saturation through a sigmoid");
        var ms = new List<double>();
        var bce = new List<double>();
        var mse = new List<double>();
        var g = new double[1];
        for (int i = 0; i <= 40; i++)
        {
            double m = -10 + (0.5 * i);
            double[] z = [m];
            double[] y = [1];
            SigmoidBinaryCrossEntropy.Evaluate<double>(z, y, 1, new BinaryCrossEntropyOptions { Reduction = Reduction.Sum }, g, default);
            double gb = Math.Abs(g[0]);
            SigmoidBrierScore.Evaluate<double>(z, y, 1, new BrierScoreOptions { Reduction = Reduction.Sum }, g, default);
            ms.Add(m);
            bce.Add(gb);
            mse.Add(Math.Abs(g[0]));
        }

        md.AppendLine("## 2. Gradient saturation through a sigmoid (seed 000 §2.5)");
        md.AppendLine();
        md.AppendLine("Claim (seed 000): for a positive example with logit m, BCE's gradient magnitude is 1 − σ(m) while MSE's is 2σ(m)(1 − σ(m))², which vanishes as m → −∞ (a confidently wrong example stops learning). " +
            "|∂loss/∂m| from the core kernels `SigmoidBinaryCrossEntropy` and `SigmoidBrierScore` (Reduction.Sum, one element, target 1):");
        md.AppendLine();
        md.AppendLine("| m | BCE | MSE | MSE / BCE |");
        md.AppendLine("|---|---|---|---|");
        for (int i = 0; i < ms.Count; i += 4)
        {
            md.AppendLine($"| {Lab.F(ms[i], "0.0")} | {Lab.F(bce[i], "0.000e+0")} | {Lab.F(mse[i], "0.000e+0")} | {Lab.F(mse[i] / bce[i], "0.000e+0")} |");
        }

        md.AppendLine();
        md.AppendLine("![|dL/dm| vs m](saturation.png)");
        md.AppendLine();

        // Real data: a softmax model with weights scaled up (saturated logits) before any training.
        const double Scale = 30;
        const double Tiny = 1e-3;
        var fractions = new List<(string Loss, double Fraction)>();
        foreach (var spec in new[] { "bce", "sigmoid-mse" })
        {
            var net = Lab.Model(s.Model, data.Train.Dimension, data.Train.Classes, s.Seed);
            var p = net.Parameters;
            for (int i = 0; i < p.Length; i++)
            {
                p[i] *= (float)Scale;
            }

            fractions.Add((spec, TinyGradientFraction(net, LossFactory.Create(spec, new LossContext(data.Train.Classes) { MaxDegreeOfParallelism = s.Threads }), data.Train, Tiny)));
        }

        md.AppendLine(Invariant($"On the training data: model `{s.Model}` at initialisation with weights ×{Scale} (saturated logits); fraction of rows whose per-row gradient norm wrt the logits is < {Tiny}:"));
        md.AppendLine();
        md.AppendLine("| loss | fraction of rows with ‖∂L/∂z‖ < 1e-3 |");
        md.AppendLine("|---|---|");
        foreach (var (loss, f) in fractions)
        {
            md.AppendLine($"| {loss} | {Lab.F(f, "0.000")} |");
        }

        md.AppendLine();
        double ratioAtMinus10 = mse[0] / bce[0];
        bool kernel = ratioAtMinus10 < 1e-3 && Math.Abs(bce[0] - 1) < 1e-3;
        bool real = fractions[1].Fraction > fractions[0].Fraction;
        string verdict = kernel && real ? "holds" : kernel || real ? "mixed" : "does not hold here";
        md.AppendLine(Invariant($"At m = −10: |BCE'| = {Lab.F(bce[0], "0.0000")}, |MSE'| = {Lab.F(mse[0], "0.000e+0")} (ratio {Lab.F(ratioAtMinus10, "0.0e+0")}); on data sigmoid-mse has {Lab.F(fractions[1].Fraction, "0.000")} vanishing rows vs bce {Lab.F(fractions[0].Fraction, "0.000")}."));
        md.AppendLine();
        md.AppendLine($"**Verdict: {verdict}.**");
        md.AppendLine();

        var plot = new ScottPlot.Plot();
        var a = plot.Add.Scatter(ms.ToArray(), bce.ToArray());
        a.LegendText = "BCE |dL/dm|";
        var b = plot.Add.Scatter(ms.ToArray(), mse.ToArray());
        b.LegendText = "MSE through sigmoid |dL/dm|";
        plot.XLabel("logit m (target 1)");
        plot.YLabel("|dL/dm|");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(s.Out, "saturation.png"), 800, 500);
        return verdict;
    }

    private static double TinyGradientFraction(Mlp net, ILogitLoss loss, Dataset data, double threshold)
    {
        const int Chunk = 256;
        int k = data.Classes;
        var logits = new float[Chunk * k];
        var grad = new float[Chunk * k];
        var x = new float[Chunk * data.Dimension];
        var y = new int[Chunk];
        int tiny = 0;
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int rows = Math.Min(Chunk, data.Count - start);
            data.Features.AsSpan(start * data.Dimension, rows * data.Dimension).CopyTo(x);
            data.Labels.AsSpan(start, rows).CopyTo(y);
            net.Forward(x.AsSpan(0, rows * data.Dimension), rows, logits.AsSpan(0, rows * k));
            loss.Evaluate(logits.AsSpan(0, rows * k), LossTargets.FromLabels(y.AsSpan(0, rows)), k, grad.AsSpan(0, rows * k), default);
            for (int r = 0; r < rows; r++)
            {
                double sq = 0;
                for (int c = 0; c < k; c++)
                {
                    // Undo the batch mean: the per-row gradient is rows × the reduced one.
                    double v = grad[(r * k) + c] * (double)rows;
                    sq += v * v;
                }

                if (Math.Sqrt(sq) < threshold)
                {
                    tiny++;
                }
            }
        }

        return (double)tiny / Math.Max(1, data.Count);
    }

    // ---------- 3: imbalance ----------
    private static string Imbalance(Settings s, Lab.Splits full, StringBuilder md)
    {
        AnsiConsole.MarkupLine("[bold]3[/] long-tailed training data");
        var train = Head(full.Train, s.TrainLimit).LongTailed(s.Imbalance, s.Seed);
        var data = new Lab.Splits(train, null, Head(full.Test, s.TestLimit));
        string[] losses = ["ce", "weighted-ce:weights=balanced", "cb-ce:beta=0.999", "focal:gamma=2,alpha=0.25"];
        var reports = new List<(string Loss, MetricsReport R)>();
        foreach (var loss in losses)
        {
            var t = Train(s, data, loss, "sgd:lr=0.1,momentum=0.9", "cosine");
            reports.Add((loss, Report(t.Model, data.Test)));
        }

        int k = train.Classes;
        md.AppendLine("## 3. Class imbalance: CE vs weighted CE vs class-balanced CE vs focal (seed 003)");
        md.AppendLine();
        md.AppendLine(Invariant($"Claim (seed 003): a per-class weight α_t (weighted CE) and the focal term (1 − p_t)^γ help with class imbalance. Training set made long-tailed with ratio {s.Imbalance} (Cui et al. 2019; class counts {string.Join(", ", train.ClassCounts())}); balanced test set; SGD lr 0.1, momentum 0.9, cosine schedule; model `{s.Model}`."));
        md.AppendLine();
        var header = new StringBuilder("| loss | accuracy | balanced acc |");
        var rule = new StringBuilder("|---|---|---|");
        for (int c = 0; c < k; c++)
        {
            header.Append(Invariant($" recall {c} |"));
            rule.Append("---|");
        }

        md.AppendLine(header.ToString());
        md.AppendLine(rule.ToString());
        foreach (var (loss, r) in reports)
        {
            var row = new StringBuilder($"| {loss} | {Lab.F(r.Accuracy, "0.000")} | {Lab.F(r.BalancedAccuracy, "0.000")} |");
            foreach (var pc in r.PerClass)
            {
                row.Append($" {Lab.F(pc.Recall, "0.00")} |");
            }

            md.AppendLine(row.ToString());
        }

        md.AppendLine();
        md.AppendLine("![per-class recall](imbalance.png)");
        md.AppendLine();
        double baseBal = reports[0].R.BalancedAccuracy;
        int better = reports.Skip(1).Count(r => r.R.BalancedAccuracy > baseBal);
        double tailCe = TailRecall(reports[0].R);
        int tailBetter = reports.Skip(1).Count(r => TailRecall(r.R) > tailCe);
        string verdict = Verdict(better + tailBetter, 2 * (reports.Count - 1));
        md.AppendLine(Invariant($"{better} of {reports.Count - 1} re-weighted losses beat CE's balanced accuracy ({Lab.F(baseBal, "0.000")}); {tailBetter} of {reports.Count - 1} beat CE's mean recall on the rarest half of the classes ({Lab.F(tailCe, "0.000")})."));
        md.AppendLine();
        md.AppendLine($"**Verdict: {verdict}.**");
        md.AppendLine();

        var plot = new ScottPlot.Plot();
        foreach (var (loss, r) in reports)
        {
            var sc = plot.Add.Scatter(Enumerable.Range(0, k).Select(c => (double)c).ToArray(), r.PerClass.Select(pc => pc.Recall).ToArray());
            sc.LegendText = loss;
        }

        plot.XLabel("class (training count falls left to right)");
        plot.YLabel("test recall");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(s.Out, "imbalance.png"), 800, 500);
        return verdict;
    }

    private static double TailRecall(MetricsReport r)
    {
        int k = r.PerClass.Count;
        return r.PerClass.Skip(k / 2).Average(pc => pc.Recall);
    }

    /// <summary>Accuracy, balanced accuracy, per-class recall, NLL and ECE of the model on <paramref name="data"/>.</summary>
    private static MetricsReport Report(Mlp net, Dataset data)
    {
        int k = data.Classes;
        var metrics = new Metrics(Enumerable.Range(0, k).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(), new MetricsOptions { EqualMass = false });
        var logits = new float[k];
        var z = new double[k];
        var p = new double[k];
        for (int i = 0; i < data.Count; i++)
        {
            net.Forward(data.Row(i), 1, logits);
            for (int c = 0; c < k; c++)
            {
                z[c] = logits[c];
            }

            Softmax.Forward<double>(z, k, p);
            metrics.Add(data.Labels[i], p);
        }

        return metrics.Compute();
    }

    // ---------- 4: soft labels ----------
    private static string SoftLabels(Settings s, Lab.Splits data, StringBuilder md)
    {
        AnsiConsole.MarkupLine("[bold]4[/] soft vs hard labels");
        const string Optimizer = "sgd:lr=0.1,momentum=0.9";
        var hard = Train(s, data, "ce", Optimizer, "cosine");
        var smooth = Train(s, data, "ce:smoothing=0.1", Optimizer, "cosine");

        // Teacher soft labels: the hard-label model's softmax at temperature 2 on the training rows, mixed 50/50 with
        // the one-hot label (distillation-style probability targets, fed to the same ce loss through the trainer).
        int k = data.Train.Classes;
        var soft = new float[data.Train.Count * k];
        var logits = new float[k];
        var q = new float[k];
        for (int i = 0; i < data.Train.Count; i++)
        {
            hard.Model.Forward(data.Train.Row(i), 1, logits);
            Softmax.Forward<float>(logits, k, 2.0, q);
            for (int c = 0; c < k; c++)
            {
                soft[(i * k) + c] = (0.5f * q[c]) + (c == data.Train.Labels[i] ? 0.5f : 0f);
            }
        }

        var softTrain = new Dataset(data.Train.Features, data.Train.Dimension, data.Train.Labels, k, soft);
        var teacher = Train(s, new Lab.Splits(softTrain, null, data.Test), "ce", Optimizer, "cosine");
        var rows = new List<(string Name, MetricsReport R)>
        {
            ("hard one-hot (ce)", Report(hard.Model, data.Test)),
            ("smoothed (ce:smoothing=0.1)", Report(smooth.Model, data.Test)),
            ("teacher soft targets (ce on probabilities)", Report(teacher.Model, data.Test)),
        };

        md.AppendLine("## 4. Soft vs hard labels (seed 000 §2.1)");
        md.AppendLine();
        md.AppendLine("Claim (seed 000): soft / uncertain targets carry more information than one-hot labels; CE with probability targets is the likelihood of resampled soft labels. " +
            "Here: hard labels vs label smoothing 0.1 vs teacher soft targets (0.5 one-hot + 0.5 softmax(teacher logits / 2) of the hard-label model); SGD lr 0.1, momentum 0.9, cosine schedule. Test metrics (ECE: 15 equal-width bins):");
        md.AppendLine();
        md.AppendLine("| targets | test NLL | test ECE | test accuracy |");
        md.AppendLine("|---|---|---|---|");
        foreach (var (name, r) in rows)
        {
            md.AppendLine($"| {name} | {Lab.F(r.LogLoss)} | {Lab.F(r.Ece)} | {Lab.F(r.Accuracy)} |");
        }

        md.AppendLine();
        md.AppendLine("![NLL and ECE by target kind](soft_labels.png)");
        md.AppendLine();
        var h = rows[0].R;
        int wins = 0;
        foreach (var (_, r) in rows.Skip(1))
        {
            wins += (r.LogLoss < h.LogLoss ? 1 : 0) + (r.Ece < h.Ece ? 1 : 0);
        }

        string verdict = Verdict(wins, 4);
        md.AppendLine(Invariant($"Soft targets beat hard labels in {wins} of 4 (NLL, ECE) comparisons."));
        md.AppendLine();
        md.AppendLine($"**Verdict: {verdict}.**");
        md.AppendLine();

        var plot = new ScottPlot.Plot();
        double[] xs = [0, 1, 2];
        var nll = plot.Add.Scatter(xs, rows.Select(r => r.R.LogLoss).ToArray());
        nll.LegendText = "test NLL";
        var ece = plot.Add.Scatter(xs, rows.Select(r => r.R.Ece).ToArray());
        ece.LegendText = "test ECE";
        plot.Axes.Bottom.SetTicks(xs, ["hard", "smoothed 0.1", "teacher soft"]);
        plot.ShowLegend();
        plot.SavePng(Path.Combine(s.Out, "soft_labels.png"), 800, 500);
        return verdict;
    }

    // ---------- 5: precision ----------
    private static string Precision(Settings s, StringBuilder md)
    {
        AnsiConsole.MarkupLine("[bold]5[/] fused log-softmax vs log(softmax) in float");
        double[] gaps = [1, 2, 5, 10, 20, 30, 50, 80, 87, 88, 90, 100, 103, 104, 105, 110, 120, 150, 200];
        var fusedErr = new List<double>();
        var naiveErr = new List<double>();
        var naiveInf = new List<bool>();
        var z = new float[2];
        var fused = new float[2];
        var p = new float[2];
        foreach (double gap in gaps)
        {
            z[0] = 0;
            z[1] = (float)-gap;

            // Double reference written independently: log p0 = -log1p(e^-g), log p1 = -g - log1p(e^-g).
            double t = Math.Log(1 + Math.Exp(-gap));
            double[] reference = [-t, -gap - t];
            LogSoftmax.Forward<float>(z, 2, fused);
            Softmax.Forward<float>(z, 2, p);
            double fe = 0, ne = 0;
            bool inf = false;
            for (int c = 0; c < 2; c++)
            {
                fe = Math.Max(fe, Math.Abs(fused[c] - reference[c]));
                float naive = MathF.Log(p[c]);
                inf |= float.IsNegativeInfinity(naive);
                ne = Math.Max(ne, Math.Abs(naive - reference[c]));
            }

            fusedErr.Add(fe);
            naiveErr.Add(ne);
            naiveInf.Add(inf);
        }

        md.AppendLine("## 5. Fused log-softmax vs softmax-then-log in float (seeds 000, 004)");
        md.AppendLine();
        md.AppendLine("Claim (seed 000): computing log-softmax fused (PyTorch `log_softmax`, Keras `from_logits=True`) has lower numerical error than `log(softmax(z))`. " +
            "Logits [0, −g] in float32; `ClassLoss.Activations.LogSoftmax` vs `log(Softmax)`, both float, against a double reference (−log1p(e^−g), −g − log1p(e^−g)); max abs error over the two entries:");
        md.AppendLine();
        md.AppendLine("| gap g | fused error | naive error | naive gives −∞ |");
        md.AppendLine("|---|---|---|---|");
        for (int i = 0; i < gaps.Length; i++)
        {
            md.AppendLine($"| {Lab.F(gaps[i], "0")} | {Lab.F(fusedErr[i], "0.0e+0")} | {(double.IsInfinity(naiveErr[i]) ? "∞" : Lab.F(naiveErr[i], "0.0e+0"))} | {(naiveInf[i] ? "yes" : "no")} |");
        }

        md.AppendLine();
        md.AppendLine("![error vs gap](logsoftmax_precision.png)");
        md.AppendLine();
        double maxFused = fusedErr.Max();
        double maxNaive = naiveErr.Max();
        int firstInf = naiveInf.IndexOf(true);
        bool holds = maxFused < maxNaive && double.IsFinite(maxFused);
        string verdict = holds && firstInf >= 0 ? "holds" : holds ? "mixed" : "does not hold here";
        md.AppendLine(Invariant($"Max fused error {Lab.F(maxFused, "0.0e+0")} (an absolute error ε in log p is a relative error ≈ ε in p); naive max error {(double.IsInfinity(maxNaive) ? "∞" : Lab.F(maxNaive, "0.0e+0"))}; naive first gives −∞ at g = {(firstInf >= 0 ? Lab.F(gaps[firstInf], "0") : "never")}."));
        md.AppendLine();
        md.AppendLine($"**Verdict: {verdict}.**");
        md.AppendLine();

        var plot = new ScottPlot.Plot();
        // log10 of the error, floored at 1e-12 (exact) and capped at 1e3 (−∞ plotted at the cap).
        static double L(double e) => Math.Log10(Math.Clamp(e, 1e-12, 1e3));
        var a = plot.Add.Scatter(gaps, fusedErr.Select(L).ToArray());
        a.LegendText = "fused LogSoftmax (float)";
        var b = plot.Add.Scatter(gaps, naiveErr.Select(L).ToArray());
        b.LegendText = "log(Softmax) (float); -inf drawn at 3";
        plot.XLabel("logit gap g");
        plot.YLabel("log10 max abs error");
        plot.ShowLegend();
        plot.SavePng(Path.Combine(s.Out, "logsoftmax_precision.png"), 800, 500);
        return verdict;
    }

    private static string Verdict(int wins, int total) =>
        total == 0 ? "does not hold here" : wins == total ? "holds" : wins == 0 ? "does not hold here" : "mixed";
}
