using ClassLoss.Activations;
using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>Section 4 (seed 000 §2.1): hard labels vs label smoothing vs teacher soft targets.</summary>
internal static class SoftLabelsExperiment
{
    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        var subset = data.Subset;
        const string Optimizer = "sgd:lr=0.1,momentum=0.9";
        var seeds = s.SeedList;
        var first = TrainAll(s, [.. seeds.Select(seed => new RunSpec(subset, "ce", Optimizer, "cosine", seed)), .. seeds.Select(seed => new RunSpec(subset, "ce:smoothing=0.1", Optimizer, "cosine", seed))]);

        // Teacher soft labels: each seed's hard-label model's softmax at temperature 2 on the training rows, mixed 50/50
        // with the one-hot label (distillation-style probability targets, fed to the same ce loss through the trainer).
        int k = subset.Train.Classes;
        var teacherSpecs = new List<RunSpec>();
        for (int j = 0; j < seeds.Length; j++)
        {
            var hard = first[j];
            var soft = new float[subset.Train.Count * k];
            var logits = new float[k];
            var q = new float[k];
            for (int i = 0; i < subset.Train.Count; i++)
            {
                hard.Model.Forward(subset.Train.Row(i), 1, logits, s.Compute);
                Softmax.Forward<float>(logits, k, 2.0, q);
                for (int c = 0; c < k; c++)
                {
                    soft[(i * k) + c] = (0.5f * q[c]) + (c == subset.Train.Labels[i] ? 0.5f : 0f);
                }
            }

            var softTrain = new Dataset(subset.Train.Features, subset.Train.Dimension, subset.Train.Labels, k, soft);
            teacherSpecs.Add(new RunSpec(new Lab.Splits(softTrain, null, subset.Test), "ce", Optimizer, "cosine", seeds[j]));
        }

        var teacher = TrainAll(s, teacherSpecs);
        MetricsReport[] Reports(IEnumerable<Trainer> ts) => [.. ts.Select(t => Lab.TestReport(t.Model, subset.Test, s.Compute))];
        var rows = new List<(string Name, MetricsReport[] R)>
        {
            ("hard one-hot (ce)", Reports(first.Take(seeds.Length))),
            ("smoothed (ce:smoothing=0.1)", Reports(first.Skip(seeds.Length))),
            ("teacher soft targets (ce on probabilities)", Reports(teacher)),
        };

        md.AppendLine("## 4. Soft vs hard labels (seed 000 §2.1)");
        md.AppendLine();
        md.AppendLine("Claim (seed 000): soft / uncertain targets carry more information than one-hot labels; CE with probability targets is the likelihood of resampled soft labels. " +
            "Here: hard labels vs label smoothing 0.1 vs teacher soft targets (0.5 one-hot + 0.5 softmax(teacher logits / 2) of the hard-label model); SGD lr 0.1, momentum 0.9, cosine schedule. Test metrics (ECE: 15 equal-width bins):");
        md.AppendLine();
        Table(md, ["targets", "test NLL", "test ECE", "test accuracy"], rows.Select(r => (IReadOnlyList<string>)
            [r.Name, Statistics.MeanInterval([.. r.R.Select(x => x.LogLoss)]).Format("0.0000"), Statistics.MeanInterval([.. r.R.Select(x => x.Ece)]).Format("0.0000"), Statistics.MeanInterval([.. r.R.Select(x => x.Accuracy)]).Format("0.000")]));

        md.AppendLine();
        md.AppendLine($"![NLL and ECE by target kind]({section.Plot})");
        md.AppendLine();
        var h = rows[0].R;
        var comparisons = new List<Comparison>();
        foreach (var (name, r) in rows.Skip(1))
        {
            comparisons.Add(new Comparison($"{name} vs hard", "test NLL", false, [.. r.Select(x => x.LogLoss)], [.. h.Select(x => x.LogLoss)]));
            comparisons.Add(new Comparison($"{name} vs hard", "test ECE", false, [.. r.Select(x => x.Ece)], [.. h.Select(x => x.Ece)]));
        }

        string verdict = AppendComparisons(md, comparisons);
        AppendVerdict(md, verdict);

        double[] xs = [0, 1, 2];
        SavePlot(s, section.Plot, [new("test NLL (mean over seeds)", xs, [.. rows.Select(r => r.R.Average(x => x.LogLoss))]), new("test ECE (mean over seeds)", xs, [.. rows.Select(r => r.R.Average(x => x.Ece))])],
            null, null, xTicks: (xs, ["hard", "smoothed 0.1", "teacher soft"]));
        return verdict;
    }
}
