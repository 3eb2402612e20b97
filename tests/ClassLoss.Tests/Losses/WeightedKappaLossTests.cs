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
