using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class NegativeLogLikelihoodTests
{
    private static double[] LogSoftmaxRows(double[] z, int k)
    {
        var r = new double[z.Length];
        for (int i = 0; i < z.Length / k; i++)
        {
            Reference.LogSoftmax(z.AsSpan(i * k, k)).CopyTo(r, i * k);
        }

        return r;
    }

    [Theory]
    [InlineData(false, -100, Reduction.Mean)]
    [InlineData(true, -100, Reduction.Mean)]
    [InlineData(true, 1, Reduction.Mean)]
    [InlineData(true, 2, Reduction.Sum)]
    [InlineData(false, -100, Reduction.None)]
    [InlineData(true, -100, Reduction.BatchMean)]
    public void Gradient_MatchesFiniteDifferences(bool weighted, int ignore, Reduction reduction)
    {
        const int n = 5, k = 4;
        double[] x = LogSoftmaxRows(Reference.RandomLogits(11, n * k), k);
        int[] y = [0, 1, 2, 3, 1];
        var o = new NegativeLogLikelihoodOptions { ClassWeights = weighted ? [0.5, 2, 1, 0.25] : null, IgnoreIndex = ignore, Reduction = reduction };
        var g = new double[n * k];
        NegativeLogLikelihood.Evaluate<double>(x, y, k, o, g, default);
        var check = GradientChecker.Check(v => NegativeLogLikelihood.Evaluate<double>(v, y, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-7, 1e-10), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void WeightedMean_MatchesPyTorch()
    {
        // PyTorch 2.x: F.nll_loss(log_softmax([[1,2,.5],[.1,-1,3]]), [2,1], weight=[1,2,3]) = 2.8069309580489636
        // (the weighted mean divides by w_2 + w_1 = 5).
        double[] x = LogSoftmaxRows([1.0, 2.0, 0.5, 0.1, -1.0, 3.0], 3);
        var r = NegativeLogLikelihood.Evaluate<double>(x, [2, 1], 3, new NegativeLogLikelihoodOptions { ClassWeights = [1, 2, 3] }, default, default);
        Assert.Equal(2.8069309580489636, r.Value, 12);
        Assert.Equal(5.0, r.Denominator);
    }

    [Fact]
    public void LogSoftmaxThenNll_EqualsSoftmaxCrossEntropy()
    {
        // Seed 000: LogSoftmax + NLLLoss is cross_entropy; the fused SoftmaxCrossEntropy is the independent reference.
        double[] z = Reference.RandomLogits(12, 4 * 6);
        int[] y = [5, 0, -100, 3];
        double expected = SoftmaxCrossEntropy.Evaluate<double>(z, y, 6, null, default, default).Value;
        double actual = NegativeLogLikelihood.Evaluate<double>(LogSoftmaxRows(z, 6), y, 6, null, default, default).Value;
        Assert.Equal(expected, actual, 12);
    }

    [Fact]
    public void Gradient_IsMinusWeightAtTargetOnly_AndIgnoredRowsAreZero()
    {
        float[] x = [-1f, -2f, -0.5f, -3f, -0.1f, -4f];
        var g = new float[6];
        var rows = new float[2];
        var r = NegativeLogLikelihood.Evaluate<float>(x, [1, -100], 3, new NegativeLogLikelihoodOptions { ClassWeights = [1, 3, 1] }, g, rows);
        Assert.Equal(2f, (float)r.Value, 6);
        Assert.Equal([0f, -1f, 0f, 0f, 0f, 0f], g);
        Assert.Equal([6f, 0f], rows);
    }

    [Fact]
    public void LogProbabilitiesOfMinusTenThousand_GiveFiniteLossAndGradient()
    {
        float[] x = [-1e4f, 0f, 0f, -1e4f];
        var g = new float[4];
        var r = NegativeLogLikelihood.Evaluate<float>(x, [0, 1], 2, new NegativeLogLikelihoodOptions { Reduction = Reduction.Sum }, g, default);
        Assert.Equal(2e4, r.Value, 6);
        Assert.Equal([-1f, 0f, 0f, -1f], g);
    }

    [Fact]
    public void AllIgnored_GivesZeroOrNaN()
    {
        var g = new double[3];
        Assert.Equal(0.0, NegativeLogLikelihood.Evaluate<double>([-1.0, -1, -1], [-100], 3, null, g, default).Value);
        Assert.True(double.IsNaN(NegativeLogLikelihood.Evaluate<double>([-1.0, -1, -1], [-100], 3, new NegativeLogLikelihoodOptions { WhenEmpty = EmptyMean.NaN }, g, default).Value));
    }

    [Fact]
    public void BadInputs_Throw()
    {
        var ex = Assert.Throws<ArgumentException>(() => NegativeLogLikelihood.Evaluate<double>(new double[6], [0, 3], 3, null, default, default));
        Assert.Contains("targets[1] is 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NegativeLogLikelihood.Evaluate<double>(new double[6], [0], 3, null, default, default));
        Assert.Throws<ArgumentException>(() => NegativeLogLikelihood.Evaluate<double>(new double[5], [0], 3, null, default, default));
        Assert.Throws<ArgumentException>(() => NegativeLogLikelihood.Evaluate<double>(new double[3], [0], 3, new NegativeLogLikelihoodOptions { ClassWeights = [1, -1, 1] }, default, default));
        Assert.Throws<ArgumentException>(() => NegativeLogLikelihood.Evaluate<double>(new double[3], [0], 3, null, new double[2], default));
    }
}
