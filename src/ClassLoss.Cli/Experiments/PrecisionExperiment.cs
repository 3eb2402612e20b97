using ClassLoss.Activations;
using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>Section 5 (seeds 000, 004): fused log-softmax vs softmax-then-log in float, against a double reference.</summary>
internal static class PrecisionExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
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
        Table(md, ["gap g", "fused error", "naive error", "naive gives −∞"], Enumerable.Range(0, gaps.Length).Select(i => (IReadOnlyList<string>)
            [Lab.F(gaps[i], "0"), Lab.F(fusedErr[i], "0.0e+0"), double.IsInfinity(naiveErr[i]) ? "∞" : Lab.F(naiveErr[i], "0.0e+0"), naiveInf[i] ? "yes" : "no"]));

        md.AppendLine();
        md.AppendLine($"![error vs gap]({section.Plot})");
        md.AppendLine();
        double maxFused = fusedErr.Max();
        double maxNaive = naiveErr.Max();
        int firstInf = naiveInf.IndexOf(true);
        bool holds = maxFused < maxNaive && double.IsFinite(maxFused);
        // Exact: deterministic float arithmetic of the kernels, no sampling (the verdict rule's exact case).
        string verdict = holds && firstInf >= 0 ? "holds" : "does not hold";
        md.AppendLine(Invariant($"*Exact* (no sampling): max fused error {Lab.F(maxFused, "0.0e+0")} (an absolute error ε in log p is a relative error ≈ ε in p); naive max error {(double.IsInfinity(maxNaive) ? "∞" : Lab.F(maxNaive, "0.0e+0"))}; naive first gives −∞ at g = {(firstInf >= 0 ? Lab.F(gaps[firstInf], "0") : "never")}."));
        md.AppendLine();
        AppendVerdict(md, verdict);

        // log10 of the error, floored at 1e-12 (exact) and capped at 1e3 (−∞ plotted at the cap).
        static double L(double e) => Math.Log10(Math.Clamp(e, 1e-12, 1e3));
        SavePlot(s, section.Plot, [new("fused LogSoftmax (float)", gaps, [.. fusedErr.Select(L)]), new("log(Softmax) (float); -inf drawn at 3", gaps, [.. naiveErr.Select(L)])],
            "logit gap g", "log10 max abs error");
        return verdict;
    }
}
