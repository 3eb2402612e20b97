using static ClassLoss.Cli.Experiments.ExperimentKit;

namespace ClassLoss.Cli.Experiments;

/// <summary>
/// Section 6 (seed 002): summed binary cross-entropy over many classes is dominated by the negatives, which motivates
/// focal-type losses; the seed's 1,000-class example computed by the kernels, then BCE vs sigmoid focal vs asymmetric
/// loss on real multi-label data (2×2 mosaics of Fashion-MNIST images, the set of their classes as targets), over seeds.
/// </summary>
internal static class MultiLabelExperiment
{
    /// <summary>Fashion-MNIST's class names, in label order (Zalando's README).</summary>
    internal static readonly string[] ClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Runs the section, appends it to <paramref name="md"/>, writes its plot and returns the verdict.</summary>
    public static string Run(ReportSection section, ExperimentSettings s, ExperimentData data, StringBuilder md)
    {
        md.AppendLine("## 6. Multi-label: the negatives dominate summed BCE; focal and asymmetric losses (seed 002)");
        md.AppendLine();
        var (positives, negatives, focalPositives, focalNegatives) = SeedExample();
        md.AppendLine("Claim (seed 002): with 1,000 classes and 2 positives, predicted 0.8 on the positives and 0.1 on the 998 negatives, " +
            "the summed binary cross-entropy is 0.44 from the positives and 105 from the negatives, so the negatives dominate; focal loss answers this. " +
            "*Exact*, from the kernels (`BinaryCrossEntropyFromProbabilities` and `BinaryFocalFromProbabilities` γ = 2, α off, per-element losses summed):");
        md.AppendLine();
        Table(md, ["loss", "2 positives", "998 negatives", "negatives / positives"],
        [
            ["binary cross-entropy", Lab.F(positives, "0.000"), Lab.F(negatives, "0.00"), Lab.F(negatives / positives, "0.0")],
            ["binary focal, γ = 2", Lab.F(focalPositives, "0.0000"), Lab.F(focalNegatives, "0.000"), Lab.F(focalNegatives / focalPositives, "0.0")],
        ]);
        md.AppendLine();

        var (train, test) = Mosaics(data, s);
        string[] losses = ["bce", "sigmoid-focal:gamma=2,alpha=-1", "asl"];
        var specs = new List<RunSpec>();
        foreach (var loss in losses)
        {
            foreach (int seed in s.SeedList)
            {
                specs.Add(new RunSpec(new Lab.Splits(train, null, test), loss, "adam:lr=1e-3", "constant", seed));
            }
        }

        var trainers = TrainAll(s, specs);
        // scores[loss][seed] = (per-class recall, per-class F1) at threshold 0.5 on σ(logits).
        var scores = losses.Select((_, l) => Enumerable.Range(0, s.Seeds).Select(i => Score(trainers[(l * s.Seeds) + i].Model, test, s.Compute)).ToArray()).ToArray();
        int k = test.Classes;
        md.AppendLine(Invariant($"Real multi-label data: 2×2 mosaics of Fashion-MNIST images (56×56 pixels; each quadrant holds a random image with probability 1/2, at least one), targets the set of their classes (1 to 4 of 10 per mosaic, mean {MeanPositives(test):F2}); {train.Count} training mosaics from the training images, {test.Count} test mosaics from the test images (fixed by seed {s.Seed}); model `{s.Model}`, Adam lr 1e-3; macro AP = the mean over classes of scikit-learn's average precision of σ(z_c) (threshold-free); a class is predicted when σ(z) ≥ 0.5 for recall and F1. Mean per-class recall over {s.Seeds} seeds:"));
        md.AppendLine();
        Table(md, ["loss", "macro AP", "macro recall", "macro F1", .. ClassNames],
            losses.Select((loss, l) => (IReadOnlyList<string>)
            [
                loss, Statistics.MeanInterval([.. scores[l].Select(x => x.Ap.Average())]).Format("0.000"), Statistics.MeanInterval([.. scores[l].Select(x => x.Recall.Average())]).Format("0.000"), Statistics.MeanInterval([.. scores[l].Select(x => x.F1.Average())]).Format("0.000"),
                .. Enumerable.Range(0, k).Select(c => Lab.F(scores[l].Average(x => x.Recall[c]), "0.00")),
            ]));
        md.AppendLine();
        md.AppendLine($"![per-class recall]({section.Plot})");
        md.AppendLine();
        var comparisons = new List<Comparison>();
        for (int l = 1; l < losses.Length; l++)
        {
            comparisons.Add(new Comparison($"{losses[l]} vs bce", "macro AP", true, [.. scores[l].Select(x => x.Ap.Average())], [.. scores[0].Select(x => x.Ap.Average())]));
            comparisons.Add(new Comparison($"{losses[l]} vs bce", "macro recall", true, [.. scores[l].Select(x => x.Recall.Average())], [.. scores[0].Select(x => x.Recall.Average())]));
            comparisons.Add(new Comparison($"{losses[l]} vs bce", "macro F1", true, [.. scores[l].Select(x => x.F1.Average())], [.. scores[0].Select(x => x.F1.Average())]));
        }

        string verdict = AppendComparisons(md, comparisons);
        AppendVerdict(md, verdict);
        double[] xs = [.. Enumerable.Range(0, k).Select(c => (double)c)];
        SavePlot(s, section.Plot, losses.Select((loss, l) => new Series(loss, xs, [.. Enumerable.Range(0, k).Select(c => scores[l].Average(x => x.Recall[c]))], loss)),
            null, "test recall at σ ≥ 0.5 (mean over seeds)", "multi-label mosaics: per-class recall", xTicks: (xs, ClassNames), width: 1000);
        return verdict;
    }

    /// <summary>Seed 002's example through the kernels: the summed BCE (and binary focal, γ = 2) of the 2 positives at
    /// 0.8 and of the 998 negatives at 0.1.</summary>
    internal static (double Positives, double Negatives, double FocalPositives, double FocalNegatives) SeedExample()
    {
        const int K = 1000;
        var p = new double[K];
        var y = new double[K];
        Array.Fill(p, 0.1);
        p[0] = p[6] = 0.8;
        y[0] = y[6] = 1;
        var bce = new double[K];
        var focal = new double[K];
        BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, K, new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.None }, default, bce);
        BinaryFocalFromProbabilities.Evaluate<double>(p, y, K, new BinaryFocalFromProbabilitiesOptions { Reduction = Reduction.None, Gamma = 2, ClipEpsilon = 1e-7 }, default, focal);
        double Sum(double[] v, bool positive) => Enumerable.Range(0, K).Where(i => (y[i] == 1) == positive).Sum(i => v[i]);
        return (Sum(bce, true), Sum(bce, false), Sum(focal, true), Sum(focal, false));
    }

    /// <summary>Training and test mosaics: four images per 56×56 mosaic, drawn with replacement from the training and the
    /// test images respectively; the target row marks every class present; the label is the first image's class.</summary>
    internal static (Dataset Train, Dataset Test) Mosaics(ExperimentData data, ExperimentSettings s)
    {
        var random = new Random(s.Seed + 7919);
        int trainCount = s.Quick ? 400 : 2000;
        int testCount = s.Quick ? 200 : 1000;
        return (Mosaic(data.Full.Train, trainCount, random), Mosaic(data.Full.Test, testCount, random));
    }

    private static Dataset Mosaic(Dataset source, int count, Random random)
    {
        const int Side = 28;
        if (source.Dimension != Side * Side)
        {
            throw new CliException($"multi-label mosaics need 28x28 images; the data has {source.Dimension} features per row.");
        }

        int k = source.Classes;
        int dimension = 4 * Side * Side;
        var features = new float[count * dimension];
        var labels = new int[count];
        var targets = new float[count * k];
        for (int i = 0; i < count; i++)
        {
            // Each quadrant holds an image with probability 1/2 (at least one per mosaic), so most classes are absent:
            // about 1.9 positives of 10 per mosaic, the regime where the negatives dominate.
            int first = random.Next(4);
            for (int q = 0; q < 4; q++)
            {
                if (q != first && random.Next(2) == 0)
                {
                    continue;
                }

                int image = random.Next(source.Count);
                var pixels = source.Row(image);
                int top = (q / 2) * Side, left = (q % 2) * Side;
                for (int r = 0; r < Side; r++)
                {
                    pixels.Slice(r * Side, Side).CopyTo(features.AsSpan((i * dimension) + ((top + r) * 2 * Side) + left, Side));
                }

                int c = source.Labels[image];
                targets[(i * k) + c] = 1;
                if (q == first)
                {
                    labels[i] = c;
                }
            }
        }

        return new Dataset(features, dimension, labels, k, targets);
    }

    private static double MeanPositives(Dataset d) => d.SoftLabels!.Sum(x => (double)x) / d.Count;

    /// <summary>Per-class recall and F1 at σ(z) ≥ 0.5 (a class with no positive predicted and none present scores F1 1),
    /// and the threshold-free average precision of σ(z_c) per class (Evaluation's scikit-learn
    /// <c>average_precision_score</c>, the class present as the positive label).</summary>
    private static (double[] Recall, double[] F1, double[] Ap) Score(Mlp model, Dataset test, Compute compute)
    {
        int k = test.Classes;
        double[] logits = PredictCommand.Logits(model, test, compute);
        var tp = new double[k];
        var fp = new double[k];
        var fn = new double[k];
        for (int i = 0; i < test.Count; i++)
        {
            for (int c = 0; c < k; c++)
            {
                bool predicted = logits[(i * k) + c] >= 0;
                bool present = test.SoftLabels![(i * k) + c] == 1;
                tp[c] += predicted && present ? 1 : 0;
                fp[c] += predicted && !present ? 1 : 0;
                fn[c] += !predicted && present ? 1 : 0;
            }
        }

        var recall = new double[k];
        var f1 = new double[k];
        var ap = new double[k];
        var pair = new double[2];
        var sigmas = new double[logits.Length];
        ClassLoss.Activations.Sigmoid.Forward<double>(logits, sigmas);
        for (int c = 0; c < k; c++)
        {
            recall[c] = tp[c] + fn[c] == 0 ? 1 : tp[c] / (tp[c] + fn[c]);
            double denominator = (2 * tp[c]) + fp[c] + fn[c];
            f1[c] = denominator == 0 ? 1 : 2 * tp[c] / denominator;
            var metrics = new Metrics(["absent", "present"], new MetricsOptions { Ranking = true, EqualMass = false });
            for (int i = 0; i < test.Count; i++)
            {
                double sigma = sigmas[(i * k) + c];
                pair[0] = 1 - sigma;
                pair[1] = sigma;
                metrics.Add(test.SoftLabels![(i * k) + c] == 1 ? 1 : 0, pair);
            }

            ap[c] = metrics.Compute().AveragePrecision[1];
        }

        return (recall, f1, ap);
    }
}
