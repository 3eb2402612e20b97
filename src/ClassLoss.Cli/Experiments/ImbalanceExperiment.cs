using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>Section 3 (seed 003): CE vs weighted CE vs class-balanced CE vs focal on a long-tailed training set, over seeds.</summary>
internal static class ImbalanceExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        string[] losses = ["ce", "weighted-ce:weights=balanced", "cb-ce:beta=0.999", "focal:gamma=2,alpha=0.25"];
        var test = Head(data.Full.Test, s.TestLimit);
        // Each seed draws its own long-tailed training set (and initialisation and shuffling), the same for every loss.
        var tails = s.SeedList.Select(seed => new Lab.Splits(Head(data.Full.Train, s.TrainLimit).LongTailed(s.Imbalance, seed), null, test)).ToArray();
        var specs = new List<RunSpec>();
        foreach (var loss in losses)
        {
            for (int i = 0; i < s.Seeds; i++)
            {
                specs.Add(new RunSpec(tails[i], loss, "sgd:lr=0.1,momentum=0.9", "cosine", s.SeedList[i]));
            }
        }

        var trainers = TrainAll(s, specs);
        // reports[loss][seed]
        var reports = losses.Select((_, l) => Enumerable.Range(0, s.Seeds).Select(i => Lab.TestReport(trainers[(l * s.Seeds) + i].Model, test, s.Compute)).ToArray()).ToArray();
        int k = test.Classes;
        md.AppendLine("## 3. Class imbalance: CE vs weighted CE vs class-balanced CE vs focal (seed 003)");
        md.AppendLine();
        md.AppendLine(Invariant($"Claim (seed 003): a per-class weight α_t (weighted CE) and the focal term (1 − p_t)^γ help with class imbalance. Training set made long-tailed with ratio {s.Imbalance} (Cui et al. 2019; seed {s.Seed}'s class counts {string.Join(", ", tails[0].Train.ClassCounts())}), drawn anew per seed; balanced test set; SGD lr 0.1, momentum 0.9, cosine schedule; model `{s.Model}`. Means over {s.Seeds} seeds:"));
        md.AppendLine();
        string[] columns = ["loss", "accuracy", "balanced acc", .. Enumerable.Range(0, k).Select(c => Invariant($"recall {c}"))];
        Table(md, columns, losses.Select((loss, l) => (IReadOnlyList<string>)
            [loss, Lab.F(reports[l].Average(r => r.Accuracy), "0.000"), Lab.F(reports[l].Average(r => r.BalancedAccuracy), "0.000"), .. Enumerable.Range(0, k).Select(c => Lab.F(reports[l].Average(r => r.PerClass[c].Recall), "0.00"))]));

        md.AppendLine();
        md.AppendLine($"![per-class recall]({section.Plot})");
        md.AppendLine();
        var comparisons = new List<Comparison>();
        for (int l = 1; l < losses.Length; l++)
        {
            comparisons.Add(new Comparison($"{losses[l]} vs ce", "balanced accuracy", true, [.. reports[l].Select(r => r.BalancedAccuracy)], [.. reports[0].Select(r => r.BalancedAccuracy)]));
            comparisons.Add(new Comparison($"{losses[l]} vs ce", "recall, rarest half", true, [.. reports[l].Select(TailRecall)], [.. reports[0].Select(TailRecall)]));
        }

        string verdict = AppendComparisons(md, comparisons);
        AppendVerdict(md, verdict);

        double[] xs = [.. Enumerable.Range(0, k).Select(c => (double)c)];
        SavePlot(s, section.Plot, losses.Select((loss, l) => new Series(loss, xs, [.. Enumerable.Range(0, k).Select(c => reports[l].Average(r => r.PerClass[c].Recall))], loss)),
            "class (training count falls left to right)", "test recall (mean over seeds)", xTicks: (xs, [.. Enumerable.Range(0, k).Select(c => MultiLabelExperiment.ClassNames[c])]), width: 1000);
        return verdict;
    }

    private static double TailRecall(MetricsReport r)
    {
        int k = r.PerClass.Count;
        return r.PerClass.Skip(k / 2).Average(pc => pc.Recall);
    }
}
