using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class WeightedKappaLossTests
{
    private static readonly double[] DocPredictions = [0.1, 0.2, 0.6, 0.1, 0.1, 0.5, 0.3, 0.1, 0.8, 0.05, 0.05, 0.1, 0.01, 0.09, 0.1, 0.8];
    private static readonly int[] DocLabels = [2, 1, 0, 3];

    [Fact]
    public void TfaDocstringExample_GivesMinus1_1611923()
    {
        // TF Addons WeightedKappaLoss docstring (num_classes=4, quadratic): y_true one-hot of [2, 1, 0, 3],
        // y_pred as below -> -1.1611923 (float32); numpy float64 replica gives -1.1611925812249777.
        var r = WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4, null, default, default);
        Assert.Equal(-1.1611923, r.Value, 1e-6);
        Assert.Equal(-1.1611925812249777, r.Value, 12);
    }

    [Fact]
    public void LinearWeights_MatchNumpyReplica()
    {
        // numpy float64 replica of TFA's formula with |i - j| weights.
        var o = new WeightedKappaOptions { Weighting = KappaWeighting.Linear };
        Assert.Equal(-0.9997986470090825, WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4, o, default, default).Value, 12);
    }

    [Theory]
    [InlineData(KappaWeighting.Quadratic, 1e-6)]
    [InlineData(KappaWeighting.Linear, 1e-6)]
    [InlineData(KappaWeighting.Quadratic, 0.1)]
    public void Gradient_MatchesFiniteDifferences(KappaWeighting weighting, double eps)
    {
        const int n = 6, k = 5;
        double[] p = Reference.RandomProbabilities(71, n, k);
        int[] y = Reference.RandomLabels(72, n, k);
        var o = new WeightedKappaOptions { Weighting = weighting, LogOffset = eps };
        var g = new double[n * k];
        WeightedKappa.Evaluate<double>(p, y, k, o, g, default);
        var check = GradientChecker.Check(x => WeightedKappa.Evaluate<double>(x, y, k, o, default, default).Value, p, g, 1e-7);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void IntegerSampleWeights_EqualRepeatedRows_ValueAndGradient()
    {
        // Weights [2, 1, 0, 3] on the docstring rows: row 0 twice, row 1 once, row 2 dropped, row 3 three times.
        double[] w = [2, 1, 0, 3];
        int[] copies = [0, 0, 1, 3, 3, 3];
        double[] repeated = copies.SelectMany(i => DocPredictions.Skip(i * 4).Take(4)).ToArray();
        int[] repeatedLabels = copies.Select(i => DocLabels[i]).ToArray();
        var gw = new double[16];
        var gr = new double[repeated.Length];
        var weighted = WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4, null, gw, default, w);
        var plain = WeightedKappa.Evaluate<double>(repeated, repeatedLabels, 4, null, gr, default);
        Assert.Equal(plain.Value, weighted.Value, 12);
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                double expected = copies.Select((row, at) => (row, at)).Where(c => c.row == i).Sum(c => gr[(c.at * 4) + j]);
                Assert.Equal(expected, gw[(i * 4) + j], 12);
            }
        }
    }

    [Theory]
    [InlineData(KappaWeighting.Quadratic)]
    [InlineData(KappaWeighting.Linear)]
    public void SampleWeightedGradient_MatchesFiniteDifferences(KappaWeighting weighting)
    {
        const int n = 7, k = 4;
        double[] p = Reference.RandomProbabilities(81, n, k);
        int[] y = Reference.RandomLabels(82, n, k);
        double[] w = [0.5, 2.0, 0.0, 1.25, 3.0, 0.75, 1.0];
        var o = new WeightedKappaOptions { Weighting = weighting };
        var g = new double[n * k];
        WeightedKappa.Evaluate<double>(p, y, k, o, g, default, w);
        var check = GradientChecker.Check(x => WeightedKappa.Evaluate<double>(x, y, k, o, default, default, w).Value, p, g, 1e-7);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
        Assert.All(g.Skip(2 * k).Take(k), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void OneHotPredictionsWithSampleWeights_GiveLogOfOneMinusSklearnsWeightedKappa()
    {
        // scikit-learn 1.2.1 (Debian python3-sklearn): cohen_kappa_score([0, 1, 2, 2, 1, 0], [0, 2, 2, 1, 1, 1],
        // weights="quadratic", sample_weight=[1, 2, 0.5, 1, 3, 1]) = 0.4426229508196722; the loss of one-hot predictions is
        // log(observed / expected disagreement + ε) = log(1 - κ + ε).
        int[] truth = [0, 1, 2, 2, 1, 0];
        int[] predicted = [0, 2, 2, 1, 1, 1];
        double[] w = [1, 2, 0.5, 1, 3, 1];
        var p = new double[truth.Length * 3];
        for (int i = 0; i < truth.Length; i++)
        {
            p[(i * 3) + predicted[i]] = 1;
        }

        var r = WeightedKappa.Evaluate<double>(p, truth, 3, new WeightedKappaOptions { LogOffset = 0 }, default, default, w);
        Assert.Equal(Math.Log(1 - 0.4426229508196722), r.Value, 12);
    }

    [Theory]
    [InlineData(-1.0, "sampleWeights[1] is -1")]
    [InlineData(double.NaN, "sampleWeights[1] is NaN")]
    public void ABadSampleWeight_IsAnErrorNamingItsRow(double bad, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4, null, default, default, [1, bad, 1, 1]));
        Assert.Equal("sampleWeights", e.ParamName);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4, null, default, default, [1, 1, 1]));
    }

    [Fact]
    public void BadInputs_Throw()
    {
        Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4, null, default, new double[4]));
        Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>(DocPredictions, [2, 1, 0, 4], 4, null, default, default));
        Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>(DocPredictions, [2, 1, 0], 4, null, default, default));
        Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>([0.5, 1.5], [0], 2, null, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4, new WeightedKappaOptions { LogOffset = -1 }, default, default));
    }

    [Theory]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.None)]
    public void AReductionOtherThanTheDefaultIsAnError_NotIgnored(Reduction reduction)
    {
        var e = Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>(DocPredictions, DocLabels, 4,
            new WeightedKappaOptions { Reduction = reduction }, default, default));
        Assert.Equal("Reduction", e.ParamName);
        Assert.Contains("batch statistic", e.Message, StringComparison.Ordinal);
    }
}
