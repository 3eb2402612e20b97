using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>Section 1 (seed 001): CE vs MSE/Brier convergence with plain SGD, over several learning rates and seeds.</summary>
internal static class ConvergenceExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        var subset = data.Subset;
        string[] losses = ["ce", "brier", "mse"];
        var specs = new List<RunSpec>();
        foreach (double lr in s.LearningRates)
        {
            foreach (var loss in losses)
            {
                foreach (int seed in s.SeedList)
                {
                    specs.Add(new RunSpec(subset, loss, Invariant($"sgd:lr={lr},momentum=0"), "constant", seed));
                }
            }
        }

        var trainers = TrainAll(s, specs);
        // History of (loss, lr), one per seed in seed order.
        IReadOnlyList<EpochMetrics>[] Histories(string loss, double lr) =>
            [.. specs.Select((r, i) => (r, i)).Where(x => x.r.Loss == loss && x.r.Optimizer == Invariant($"sgd:lr={lr},momentum=0")).Select(x => trainers[x.i].History)];

        md.AppendLine("## 1. CE vs MSE/Brier convergence with plain SGD (seed 001)");
        md.AppendLine();
        md.AppendLine("Claim (seed 001): with a first-order, non-adaptive optimiser, MSE converges more slowly than cross-entropy late in training. " +
            $"Model `{s.Model}`, SGD without momentum, constant learning rate; `brier` = Σ_c (p_c − y_c)² per row, `mse` = the same / K (PyTorch MSELoss on probabilities).");
        md.AppendLine();
        WorkedExamples(md);
        md.AppendLine("Training, mean test accuracy over the seeds per epoch:");
        md.AppendLine();
        string[] columns = ["loss", "lr", .. Enumerable.Range(1, s.Epochs).Select(e => Invariant($"ep {e}"))];
        var rows = new List<IReadOnlyList<string>>();
        foreach (double lr in s.LearningRates)
        {
            foreach (var loss in losses)
            {
                var h = Histories(loss, lr);
                rows.Add([loss, Invariant($"{lr}"), .. Enumerable.Range(0, s.Epochs).Select(e => h.All(x => e < x.Count) ? Lab.F(h.Average(x => x[e].TestAccuracy), "0.000") : "diverged")]);
            }
        }

        Table(md, columns, rows);
        md.AppendLine();
        md.AppendLine($"![test accuracy per epoch]({section.Plot})");
        md.AppendLine();

        // Per learning rate, CE's mean test accuracy over the second half of the epochs ("late in training") against each
        // squared loss at the same learning rate, paired by seed.
        static double Late(IReadOnlyList<EpochMetrics> h) => h.Skip(h.Count / 2).Average(m => m.TestAccuracy);
        var comparisons = new List<Comparison>();
        var notes = new List<string>();
        foreach (double lr in s.LearningRates)
        {
            var ce = Histories("ce", lr);
            foreach (var other in losses.Skip(1))
            {
                var h = Histories(other, lr);
                if (ce.Any(x => x.Count < s.Epochs) || h.Any(x => x.Count < s.Epochs))
                {
                    notes.Add(Invariant($"lr {lr}: ce or {other} diverged on some seed, left out"));
                    continue;
                }

                comparisons.Add(new Comparison(Invariant($"ce vs {other}, lr {lr}"), "late test accuracy", true, [.. ce.Select(Late)], [.. h.Select(Late)]));
            }
        }

        md.AppendLine("Late test accuracy = the mean over the second half of the epochs." + (notes.Count > 0 ? " " + string.Join("; ", notes) + "." : string.Empty));
        md.AppendLine();
        string verdict = AppendComparisons(md, comparisons);
        md.AppendLine("MSE on probabilities is Brier / K, which plain SGD turns into a K-times smaller learning rate, so part of the squared loss's slowness at a given lr is that scale: compare across learning rates too.");
        md.AppendLine();
        AppendVerdict(md, verdict);

        // One panel per learning rate, each loss in its colour.
        var panels = s.LearningRates.Select(lr => (Invariant($"SGD lr = {lr}"), (IReadOnlyList<Series>)[.. losses.Select(loss =>
        {
            var h = Histories(loss, lr);
            int epochs = h.Min(x => x.Count);
            return new Series(loss, [.. Enumerable.Range(1, epochs).Select(e => (double)e)], [.. Enumerable.Range(0, epochs).Select(e => h.Average(x => x[e].TestAccuracy))], loss);
        })])).ToList();
        int step = (s.Epochs + 7) / 8;
        double[] ticks = [.. Enumerable.Range(1, s.Epochs).Where(e => e == 1 || e % step == 0).Select(e => (double)e)];
        SavePanels(s, section.Plot, panels, "epoch", "test accuracy (mean over seeds)", (ticks, [.. ticks.Select(t => t.ToString(CultureInfo.InvariantCulture))]), width: 400 * panels.Count, height: 420);
        return verdict;
    }

    /// <summary>
    /// Seed 001's worked examples, computed by the core kernels (exact: no sampling): against the target (1, 0, 0),
    /// (0.8, 0.2, 0) and (0.8, 0.1, 0.1) have the same cross-entropy but not the same squared error; going from
    /// (0.8, 0.2, 0) to (0.9, 0.1, 0) divides the squared error by 4 and the cross-entropy by about 2.
    /// </summary>
    internal static (double[] Ce, double[] Brier) WorkedExamples(StringBuilder md)
    {
        double[][] predictions = [[0.8, 0.2, 0], [0.8, 0.1, 0.1], [0.9, 0.1, 0]];
        int[] target = [0];
        var ce = new double[predictions.Length];
        var brier = new double[predictions.Length];
        for (int i = 0; i < predictions.Length; i++)
        {
            ce[i] = CrossEntropyFromProbabilities.Evaluate<double>(predictions[i], target, 3, null, default, default).Value;
            brier[i] = BrierScoreFromProbabilities.Evaluate<double>(predictions[i], target, 3, null, default, default).Value;
        }

        md.AppendLine("Seed 001's worked example, *exact* (the kernels `CrossEntropyFromProbabilities` and `BrierScoreFromProbabilities`, target (1, 0, 0)):");
        md.AppendLine();
        Table(md, ["prediction", "cross-entropy", "squared error Σ (p − y)²"], predictions.Select((p, i) => (IReadOnlyList<string>)
            [Invariant($"({p[0]}, {p[1]}, {p[2]})"), Lab.F(ce[i], "0.0000"), Lab.F(brier[i], "0.0000")]));
        md.AppendLine();
        bool equalCe = Math.Abs(ce[0] - ce[1]) < 1e-12;
        md.AppendLine(Invariant($"(0.8, 0.2, 0) vs (0.8, 0.1, 0.1): cross-entropy {(equalCe ? "equal" : "different")} ({Lab.F(ce[0], "0.0000")}, {Lab.F(ce[1], "0.0000")}: only the target's probability counts), squared error {Lab.F(brier[0], "0.00")} vs {Lab.F(brier[1], "0.00")}.")
            + Invariant($" (0.8, 0.2, 0) → (0.9, 0.1, 0): squared error ÷ {Lab.F(brier[0] / brier[2], "0.00")}, cross-entropy ÷ {Lab.F(ce[0] / ce[2], "0.00")} (the seed's 4x and about 2x)."));
        md.AppendLine();
        return (ce, brier);
    }
}
