using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>Section 3 (seed 003): CE vs weighted CE vs class-balanced CE vs focal on a long-tailed training set.</summary>
internal static class ImbalanceExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        var train = Head(data.Full.Train, s.TrainLimit).LongTailed(s.Imbalance, s.Seed);
        var tail = new Lab.Splits(train, null, Head(data.Full.Test, s.TestLimit));
        string[] losses = ["ce", "weighted-ce:weights=balanced", "cb-ce:beta=0.999", "focal:gamma=2,alpha=0.25"];
        var reports = new List<(string Loss, MetricsReport R)>();
        foreach (var loss in losses)
        {
            var t = Train(s, tail, loss, "sgd:lr=0.1,momentum=0.9", "cosine");
            reports.Add((loss, Lab.TestReport(t.Model, tail.Test, s.Compute)));
        }

        int k = train.Classes;
        md.AppendLine("## 3. Class imbalance: CE vs weighted CE vs class-balanced CE vs focal (seed 003)");
        md.AppendLine();
        md.AppendLine(Invariant($"Claim (seed 003): a per-class weight α_t (weighted CE) and the focal term (1 − p_t)^γ help with class imbalance. Training set made long-tailed with ratio {s.Imbalance} (Cui et al. 2019; class counts {string.Join(", ", train.ClassCounts())}); balanced test set; SGD lr 0.1, momentum 0.9, cosine schedule; model `{s.Model}`."));
        md.AppendLine();
        string[] columns = ["loss", "accuracy", "balanced acc", .. Enumerable.Range(0, k).Select(c => Invariant($"recall {c}"))];
        Table(md, columns, reports.Select(r => (IReadOnlyList<string>)
            [r.Loss, Lab.F(r.R.Accuracy, "0.000"), Lab.F(r.R.BalancedAccuracy, "0.000"), .. r.R.PerClass.Select(pc => Lab.F(pc.Recall, "0.00"))]));

        md.AppendLine();
        md.AppendLine($"![per-class recall]({section.Plot})");
        md.AppendLine();
        double baseBal = reports[0].R.BalancedAccuracy;
        int better = reports.Skip(1).Count(r => r.R.BalancedAccuracy > baseBal);
        double tailCe = TailRecall(reports[0].R);
        int tailBetter = reports.Skip(1).Count(r => TailRecall(r.R) > tailCe);
        string verdict = Verdict(better + tailBetter, 2 * (reports.Count - 1));
        md.AppendLine(Invariant($"{better} of {reports.Count - 1} re-weighted losses beat CE's balanced accuracy ({Lab.F(baseBal, "0.000")}); {tailBetter} of {reports.Count - 1} beat CE's mean recall on the rarest half of the classes ({Lab.F(tailCe, "0.000")})."));
        md.AppendLine();
        AppendVerdict(md, verdict);

        SavePlot(s, section.Plot, reports.Select(r => new Series(r.Loss, [.. Enumerable.Range(0, k).Select(c => (double)c)], [.. r.R.PerClass.Select(pc => pc.Recall)])),
            "class (training count falls left to right)", "test recall");
        return verdict;
    }

    private static double TailRecall(MetricsReport r)
    {
        int k = r.PerClass.Count;
        return r.PerClass.Skip(k / 2).Average(pc => pc.Recall);
    }
}
