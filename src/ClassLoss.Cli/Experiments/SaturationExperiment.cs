using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>Section 2 (seed 000 §2.5): gradient saturation of MSE through a sigmoid vs BCE, from the kernels and on saturated real logits.</summary>
internal static class SaturationExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        var subset = data.Subset;
        var ms = new List<double>();
        var bce = new List<double>();
        var mse = new List<double>();
        var g = new double[1];
        for (int i = 0; i <= 40; i++)
        {
            double m = -10 + (0.5 * i);
            double[] z = [m];
            double[] y = [1];
            SigmoidBinaryCrossEntropy.Evaluate<double>(z, y, 1, new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum }, g, default);
            double gb = Math.Abs(g[0]);
            SigmoidBrierScore.Evaluate<double>(z, y, 1, new SigmoidBrierScoreOptions { Reduction = Reduction.Sum }, g, default);
            ms.Add(m);
            bce.Add(gb);
            mse.Add(Math.Abs(g[0]));
        }

        md.AppendLine("## 2. Gradient saturation through a sigmoid (seed 000 §2.5)");
        md.AppendLine();
        md.AppendLine("Claim (seed 000): for a positive example with logit m, BCE's gradient magnitude is 1 − σ(m) while MSE's is 2σ(m)(1 − σ(m))², which vanishes as m → −∞ (a confidently wrong example stops learning). " +
            "|∂loss/∂m| from the core kernels `SigmoidBinaryCrossEntropy` and `SigmoidBrierScore` (Reduction.Sum, one element, target 1):");
        md.AppendLine();
        Table(md, ["m", "BCE", "MSE", "MSE / BCE"], Enumerable.Range(0, ms.Count).Where(i => i % 4 == 0).Select(i => (IReadOnlyList<string>)
            [Lab.F(ms[i], "0.0"), Lab.F(bce[i], "0.000e+0"), Lab.F(mse[i], "0.000e+0"), Lab.F(mse[i] / bce[i], "0.000e+0")]));

        md.AppendLine();
        md.AppendLine($"![|dL/dm| vs m]({section.Plot})");
        md.AppendLine();

        // Real data: a softmax model with weights scaled up (saturated logits) before any training.
        const double Scale = 30;
        const double Tiny = 1e-3;
        // fractions[loss][seed]
        string[] specs = ["bce", "sigmoid-mse"];
        var fractions = specs.Select(spec => s.SeedList.Select(seed =>
        {
            var net = Lab.Model(s.Model, subset.Train.Dimension, subset.Train.Classes, seed);
            var p = net.Parameters;
            for (int i = 0; i < p.Length; i++)
            {
                p[i] *= (float)Scale;
            }

            return TinyGradientFraction(net, LossCatalog.Create(spec, new LossContext(subset.Train.Classes) { Compute = s.Compute }), subset.Train, Tiny, s.Compute);
        }).ToArray()).ToArray();

        md.AppendLine(Invariant($"On the training data: model `{s.Model}` at initialisation (one per seed) with weights ×{Scale} (saturated logits); fraction of rows whose per-row gradient norm wrt the logits is < {Tiny}:"));
        md.AppendLine();
        var comparison = new Comparison("sigmoid-mse vs bce", "fraction of rows with ‖∂L/∂z‖ < 1e-3", true, fractions[1], fractions[0]);
        AppendComparisons(md, [comparison]);
        md.AppendLine();
        double ratioAtMinus10 = mse[0] / bce[0];
        bool kernel = ratioAtMinus10 < 1e-3 && Math.Abs(bce[0] - 1) < 1e-3;
        string verdict = SectionVerdict([kernel ? "holds" : "does not hold", comparison.Verdict]);
        md.AppendLine(Invariant($"*Exact* (the kernels): at m = −10, |BCE'| = {Lab.F(bce[0], "0.0000")}, |MSE'| = {Lab.F(mse[0], "0.000e+0")} (ratio {Lab.F(ratioAtMinus10, "0.0e+0")}): {(kernel ? "holds" : "does not hold")}. Measured on data: {comparison.Verdict}."));
        md.AppendLine();
        AppendVerdict(md, verdict);

        SavePlot(s, section.Plot, [new("BCE |dL/dm|", [.. ms], [.. bce], "bce"), new("MSE through sigmoid |dL/dm|", [.. ms], [.. mse], "sigmoid-mse")], "logit m (target 1)", "|dL/dm|");
        return verdict;
    }

    private static double TinyGradientFraction(Mlp net, ILogitLoss loss, Dataset data, double threshold, Compute compute)
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
            net.Forward(x.AsSpan(0, rows * data.Dimension), rows, logits.AsSpan(0, rows * k), compute);
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
}
