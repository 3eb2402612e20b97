using System.Globalization;
using System.Text;
using ClassLoss.Cli;
using ClassLoss.Evaluation;
using R = ClassLoss.Tests.Evaluation.SklearnReference;

namespace ClassLoss.Tests.Evaluation;

/// <summary>
/// The issue-14 metrics against scikit-learn 1.2.1 and NumPy references (SklearnReference.cs, written by
/// generate_issue14_reference.py): ROC AUC / average precision one-vs-rest with tied scores, classwise ECE, ACE,
/// Murphy's Brier decomposition, the binary one-column convention with pos_label, and the binning edge cases.
/// </summary>
public class RankingAndDecompositionTests
{
    private static MetricsReport Run(int k, int[] labels, double[] flat, MetricsOptions? options = null)
    {
        var names = Enumerable.Range(0, k).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        var m = new Metrics(names, options ?? new MetricsOptions { Ranking = true });
        for (int i = 0; i < labels.Length; i++)
        {
            m.Add(labels[i], flat.AsSpan(i * k, k));
        }

        return m.Compute();
    }

    private static void Close(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void RocAucAndAveragePrecision_MatchScikitLearnOneVsRest_WithTiedScores()
    {
        var r = Run(4, R.Labels, R.Probabilities);
        for (int c = 0; c < 4; c++)
        {
            Close(R.RocAuc[c], r.RocAuc[c], 1e-12, $"roc_auc class {c}");
            Close(R.AveragePrecision[c], r.AveragePrecision[c], 1e-12, $"average_precision class {c}");
        }

        Close(R.MacroRocAuc, r.MacroRocAuc!.Value, 1e-12, "macro roc_auc");
        Close(R.MacroAveragePrecision, r.MacroAveragePrecision!.Value, 1e-12, "macro average_precision");
    }

    [Fact]
    public void ClasswiseEceAceAndBrierDecomposition_MatchTheNumpyReference()
    {
        var r = Run(4, R.Labels, R.Probabilities);
        Close(R.ClasswiseEce, r.ClasswiseEce, 1e-12, "classwise ECE");
        Close(R.Ace, r.Ace!.Value, 1e-12, "ACE");
        Close(R.Rel, r.BrierReliability, 1e-12, "reliability");
        Close(R.Res, r.BrierResolution, 1e-12, "resolution");
        Close(R.Unc, r.BrierUncertainty, 1e-12, "uncertainty");
        Close(R.Within, r.BrierWithinBin, 1e-12, "within-bin");
        Close(R.Brier, r.Brier, 1e-12, "brier");
        Close(r.Brier, r.BrierReliability - r.BrierResolution + r.BrierUncertainty + r.BrierWithinBin, 1e-12, "REL - RES + UNC + within");
    }

    [Fact]
    public void BrierDecomposition_ReliabilityMinusResolutionPlusUncertainty_IsTheBrierScore_ForBinnedForecasts()
    {
        // Every forecast is one of four values in four different bins, so within each bin the forecast is constant.
        double[] levels = [0.05, 0.35, 0.65, 0.95];
        var rng = new Random(3);
        const int n = 1000;
        var y = new int[n];
        var p = new double[2 * n];
        for (int i = 0; i < n; i++)
        {
            double q = levels[rng.Next(4)];
            p[2 * i] = 1 - q;
            p[2 * i + 1] = q;
            y[i] = rng.NextDouble() < q * 0.8 + 0.1 ? 1 : 0;
        }

        var r = Run(2, y, p, new MetricsOptions());
        Assert.True(Math.Abs(r.BrierWithinBin) < 1e-13, $"within {r.BrierWithinBin}");
        Close(r.Brier, r.BrierReliability - r.BrierResolution + r.BrierUncertainty, 1e-12, "REL - RES + UNC");
        Assert.True(r.BrierReliability > 0 && r.BrierResolution > 0);
    }

    [Fact]
    public void BinaryOneColumnFile_WithPositiveLabel_MatchesScikitLearnAucApAndBrierScoreLoss()
    {
        var csv = new StringBuilder("label,p_spam\n");
        for (int i = 0; i < R.BinaryLabels.Length; i++)
        {
            csv.Append(R.BinaryLabels[i]).Append(',').Append(R.BinaryP[i].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }

        string path = TempFiles.Write("spam.csv", csv.ToString());
        var result = EvalCommand.Evaluate(path, new PredictionReaderOptions { PositiveLabel = "spam" }, new MetricsOptions { Ranking = true }, false);
        var r = result.Report;
        Assert.Equal(["not spam", "spam"], r.PerClass.Select(c => c.Name));
        Close(R.BinaryAuc, r.RocAuc[1], 1e-12, "roc_auc_score");
        Close(R.BinaryAp, r.AveragePrecision[1], 1e-12, "average_precision_score(pos_label='spam')");
        Close(R.BinaryBrier, r.BinaryBrier!.Value, 1e-12, "brier_score_loss(pos_label='spam')");
        Assert.Equal(R.BinaryLabels.Count(l => l == "spam"), r.PerClass[1].Support);
    }

    [Fact]
    public void ConfidenceOfExactlyOne_FallsInTheLastBin_AndZeroInTheFirst()
    {
        var r = Run(2, [0, 1], [1.0, 0.0, 0.0, 1.0], new MetricsOptions { Bins = 10 });
        Assert.Equal(2, r.ReliabilityBins[^1].Count);
        Assert.Equal(0, r.Ece, 15);
        Assert.Equal(0, r.ClasswiseEce, 15);
        Assert.Equal(0, r.BrierReliability, 15);
    }

    [Fact]
    public void ProbabilityOfZeroOnTheTrueClass_GivesFiniteMetrics()
    {
        var r = Run(3, [0, 1], [0.0, 0.5, 0.5, 0.2, 0.8, 0.0]);
        Assert.True(double.IsFinite(r.LogLoss) && r.LogLoss > 10, $"log loss {r.LogLoss}");
        Assert.True(double.IsFinite(r.ClasswiseEce) && double.IsFinite(r.Ace!.Value) && double.IsFinite(r.BrierReliability));
        Assert.Equal(r.LogLoss / Math.Log(2), r.LogLossBits, 14);
    }

    [Fact]
    public void RocAuc_IsNaNForAnAbsentClass_AndTheMacroMeanSkipsIt()
    {
        var r = Run(3, [0, 1, 0, 1], [0.7, 0.2, 0.1, 0.2, 0.7, 0.1, 0.6, 0.3, 0.1, 0.4, 0.5, 0.1]);
        Assert.True(double.IsNaN(r.RocAuc[2]) && double.IsNaN(r.AveragePrecision[2]));
        Assert.Equal((r.RocAuc[0] + r.RocAuc[1]) / 2, r.MacroRocAuc!.Value, 15);
        Assert.Equal(1.0, r.RocAuc[0], 15);
    }

    [Fact]
    public void ToProbabilities_OfLogits_AgreesWithTheCoreSoftmax_AndDefersInfiniteRowsToIt()
    {
        var rng = new Random(11);
        var z = new double[7];
        var mine = new double[7];
        var core = new double[7];
        for (int t = 0; t < 200; t++)
        {
            for (int c = 0; c < 7; c++)
            {
                z[c] = (rng.NextDouble() - 0.5) * (t < 100 ? 10 : 1000);
            }

            Metrics.ToProbabilities(PredictionValues.Logits, z, mine, false);
            ClassLoss.Activations.Softmax.Forward<double>(z, 7, core);
            for (int c = 0; c < 7; c++)
            {
                Assert.True(Math.Abs(mine[c] - core[c]) <= 1e-15 + 1e-13 * core[c], $"{mine[c]:R} vs {core[c]:R}");
            }
        }

        double[] infinite = [double.PositiveInfinity, 0, 1];
        Metrics.ToProbabilities(PredictionValues.Logits, infinite, mine.AsSpan(0, 3), false);
        ClassLoss.Activations.Softmax.Forward<double>(infinite, 3, core.AsSpan(0, 3));
        Assert.Equal(core.AsSpan(0, 3).ToArray(), mine.AsSpan(0, 3).ToArray());
    }
}
