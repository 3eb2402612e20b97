using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>Section 1 (seed 001): CE vs MSE/Brier convergence with plain SGD, over several learning rates.</summary>
internal static class ConvergenceExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        var subset = data.Subset;
        string[] losses = ["ce", "brier", "mse"];
        var runs = new List<(string Loss, double Lr, IReadOnlyList<EpochMetrics> H)>();
        foreach (double lr in s.LearningRates)
        {
            foreach (var loss in losses)
            {
                var t = Train(s, subset, loss, Invariant($"sgd:lr={lr},momentum=0"));
                runs.Add((loss, lr, t.History));
            }
        }

        md.AppendLine("## 1. CE vs MSE/Brier convergence with plain SGD (seed 001)");
        md.AppendLine();
        md.AppendLine("Claim (seed 001): with a first-order, non-adaptive optimiser, MSE converges more slowly than cross-entropy late in training. " +
            $"Model `{s.Model}`, SGD without momentum, constant learning rate; `brier` = Σ_c (p_c − y_c)² per row, `mse` = the same / K (PyTorch MSELoss on probabilities). Test accuracy / train loss per epoch:");
        md.AppendLine();
        string[] columns = ["loss", "lr", .. Enumerable.Range(1, s.Epochs).Select(e => Invariant($"ep {e}"))];
        Table(md, columns, runs.Select(r => (IReadOnlyList<string>)
            [r.Loss, Invariant($"{r.Lr}"), .. Enumerable.Range(0, s.Epochs).Select(e => e < r.H.Count ? $"{Lab.F(r.H[e].TestAccuracy, "0.000")} / {Lab.F(r.H[e].TrainLoss, "0.000")}" : "diverged")]));

        md.AppendLine();
        md.AppendLine($"![test accuracy per epoch]({section.Plot})");
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
        AppendVerdict(md, verdict);

        SavePlot(s, section.Plot, runs.Select(r => new Series(Invariant($"{r.Loss} lr={r.Lr}"), [.. r.H.Select(m => (double)m.Epoch)], [.. r.H.Select(m => m.TestAccuracy)])),
            "epoch", "test accuracy", "plain SGD: CE vs Brier vs MSE", width: 900, height: 550);
        return verdict;
    }
}
