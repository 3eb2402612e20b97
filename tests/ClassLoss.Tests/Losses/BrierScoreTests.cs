using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class BrierScoreTests
{
    private static double[] SoftmaxRows(double[] z, int k) => Array.ConvertAll(
        Enumerable.Range(0, z.Length / k).SelectMany(i => Reference.LogSoftmax(z.AsSpan(i * k, k))).ToArray(), Math.Exp);

    [Theory]
    [InlineData(BrierAverage.PerRowSum, Reduction.Mean, false)]
    [InlineData(BrierAverage.PerElement, Reduction.Mean, true)]
    [InlineData(BrierAverage.PerRowSum, Reduction.Sum, true)]
    [InlineData(BrierAverage.PerElement, Reduction.BatchMean, false)]
    public void SoftmaxGradient_MatchesFiniteDifferences(BrierAverage average, Reduction reduction, bool soft)
    {
        const int n = 4, k = 5;
        double[] z = Reference.RandomLogits(41, n * k);
        var o = new SoftmaxBrierScoreOptions { Average = average, Reduction = reduction };
        var g = new double[n * k];
        Func<double[], double> f;
        if (soft)
        {
            double[] t = Reference.RandomProbabilities(42, n, k);
            SoftmaxBrierScore.Evaluate<double>(z, t, k, o, g, default);
            f = v => SoftmaxBrierScore.Evaluate<double>(v, t, k, o, default, default).Value;
        }
        else
        {
            int[] y = [0, 4, -100, 2];
            SoftmaxBrierScore.Evaluate<double>(z, y, k, o, g, default);
            f = v => SoftmaxBrierScore.Evaluate<double>(v, y, k, o, default, default).Value;
        }

        var check = GradientChecker.Check(f, z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(BrierAverage.PerRowSum, Reduction.Mean)]
    [InlineData(BrierAverage.PerElement, Reduction.Mean)]
    [InlineData(BrierAverage.PerRowSum, Reduction.None)]
    public void SigmoidAndProbabilityGradients_MatchFiniteDifferences(BrierAverage average, Reduction reduction)
    {
        const int n = 3, k = 4;
        double[] x = Reference.RandomLogits(43, n * k, 4);
        double[] y = Reference.RandomProbabilities(44, n, k);
        var o = new SigmoidBrierScoreOptions { Average = average, Reduction = reduction };
        var g = new double[n * k];
        SigmoidBrierScore.Evaluate<double>(x, y, k, o, g, default);
        var check = GradientChecker.Check(v => SigmoidBrierScore.Evaluate<double>(v, y, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"sigmoid: max rel error {check.MaxRelativeError} at {check.WorstIndex}");

        double[] p = Reference.RandomProbabilities(45, n, k);
        var po = new BrierScoreFromProbabilitiesOptions { Average = average, Reduction = reduction };
        BrierScoreFromProbabilities.Evaluate<double>(p, y, k, po, g, default);
        check = GradientChecker.Check(v => BrierScoreFromProbabilities.Evaluate<double>(v, y, k, po, default, default).Value, p, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"probabilities: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Seed001And003_MseSeesHowWrongMassIsSpread_AndRatioIsFour()
    {
        // Seed 001/003: target (1,0,0): (0.8,0.2,0) -> 0.04 + 0.04 = 0.08; (0.8,0.1,0.1) -> 0.04 + 0.01 + 0.01 = 0.06;
        // (0.9,0.1,0) -> 0.02, a quarter of 0.08 (while cross-entropy's ratio is about 2).
        double a = BrierScoreFromProbabilities.Evaluate<double>([0.8, 0.2, 0], [0], 3, null, default, default).Value;
        double b = BrierScoreFromProbabilities.Evaluate<double>([0.8, 0.1, 0.1], [0], 3, null, default, default).Value;
        double c = BrierScoreFromProbabilities.Evaluate<double>([0.9, 0.1, 0], [0], 3, null, default, default).Value;
        Assert.Equal(0.08, a, 14);
        Assert.Equal(0.06, b, 14);
        Assert.Equal(0.02, c, 14);
        Assert.Equal(4.0, a / c, 12);
        Assert.True(a > b);
    }

    [Fact]
    public void PerElementAverage_IsPyTorchMseLoss_AndPerRowSumIsSklearnMulticlass()
    {
        // By hand: rows (0.8,0.2,0) and (0.1,0.3,0.6) against labels 0 and 2: squared errors 0.08 and 0.01+0.09+0.16 = 0.26.
        // sklearn multi-class brier_score_loss (mean over rows of the per-row sum) = 0.17; torch MSELoss = 0.34 / 6.
        double[] p = [0.8, 0.2, 0, 0.1, 0.3, 0.6];
        Assert.Equal(0.17, BrierScoreFromProbabilities.Evaluate<double>(p, [0, 2], 3, null, default, default).Value, 14);
        Assert.Equal(0.34 / 6, BrierScoreFromProbabilities.Evaluate<double>(p, [0, 2], 3, new BrierScoreFromProbabilitiesOptions { Average = BrierAverage.PerElement }, default, default).Value, 14);
        Assert.Equal(0.34 / 6, BrierScoreFromProbabilities.Evaluate<float>([0.8f, 0.2f, 0f, 0.1f, 0.3f, 0.6f], [1f, 0, 0, 0, 0, 1], 3, new BrierScoreFromProbabilitiesOptions { Average = BrierAverage.PerElement }, default, default).Value, 6);
    }

    [Fact]
    public void SoftmaxForm_EqualsProbabilityFormOfTheSoftmax()
    {
        const int n = 3, k = 4;
        double[] z = Reference.RandomLogits(46, n * k);
        int[] y = [3, 0, 1];
        double viaSoftmax = SoftmaxBrierScore.Evaluate<double>(z, y, k, null, default, default).Value;
        double viaProbabilities = BrierScoreFromProbabilities.Evaluate<double>(SoftmaxRows(z, k), y, k, null, default, default).Value;
        Assert.Equal(viaProbabilities, viaSoftmax, 13);
    }

    [Fact]
    public void SigmoidGradient_AtPositiveTarget_IsSeed000Formula()
    {
        // Seed 000: for y = 1 the gradient w.r.t. the logit m is -2 σ(m) (1 - σ(m))², which vanishes as m -> -∞.
        double[] m = [-3.0, 0.0, 2.5, -40.0];
        var g = new double[4];
        SigmoidBrierScore.Evaluate<double>(m, [1.0, 1, 1, 1], 1, new SigmoidBrierScoreOptions { Reduction = Reduction.Sum }, g, default);
        for (int i = 0; i < 4; i++)
        {
            double s = 1 / (1 + Math.Exp(-m[i]));
            Assert.Equal(-2 * s * (1 - s) * (1 - s), g[i], 14);
        }

        Assert.True(Math.Abs(g[3]) < 1e-16);
    }

    [Fact]
    public void LogitsOfTenThousand_GiveFiniteLossAndGradient()
    {
        float[] z = [1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f];
        var g = new float[6];
        var r = SoftmaxBrierScore.Evaluate<float>(z, [1, 0], 3, null, g, default);
        // Row 0: p = (1,0,0) vs (0,1,0) -> 2; row 1: p = (0,.5,.5) vs (1,0,0) -> 1.5. Mean 1.75.
        Assert.Equal(1.75, r.Value, 12);
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
        var gs = new float[6];
        SigmoidBrierScore.Evaluate<float>(z, [1f, 0, 0, 1, 1, 0], 3, null, gs, default);
        Assert.All(gs, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void BadInputs_Throw()
    {
        Assert.Throws<ArgumentException>(() => BrierScoreFromProbabilities.Evaluate<double>([0.5, 1.5], [0], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => BrierScoreFromProbabilities.Evaluate<double>([0.5, 0.5], [0.5, 0.6], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxBrierScore.Evaluate<double>([0.5, 0.5], [2], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxBrierScore.Evaluate<double>([0.5, 0.5], [double.NaN, 0.5], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidBrierScore.Evaluate<double>([0.5, 0.5], [-0.5, 0.5], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidBrierScore.Evaluate<double>([0.5, 0.5], [0.5], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxBrierScore.Evaluate<double>([0.5, 0.5, 0.5], [0], 2, null, default, default));
    }

    [Fact]
    public void SklearnBinaryBrierDocstringExamples_Are0Point0375()
    {
        // sklearn.metrics.brier_score_loss docstring: y_true [0, 1, 1, 0], y_prob [0.1, 0.9, 0.8, 0.3] gives 0.0375;
        // so does 1 - y_prob with pos_label=0, and the labels ["spam", "ham", "ham", "spam"] with pos_label="ham"
        // (here 7 for "ham", 3 for "spam"); y_prob > 0.5 gives 0.0.
        double[] p = [0.1, 0.9, 0.8, 0.3];
        Assert.Equal(0.0375, BrierScoreFromProbabilities.Binary<double>(p, [0, 1, 1, 0], 1, null, default, default).Value, 12);
        Assert.Equal(0.0375, BrierScoreFromProbabilities.Binary<double>(p.Select(v => 1 - v).ToArray(), [0, 1, 1, 0], 0, null, default, default).Value, 12);
        Assert.Equal(0.0375, BrierScoreFromProbabilities.Binary<double>(p, [3, 7, 7, 3], 7, null, default, default).Value, 12);
        Assert.Equal(0.0, BrierScoreFromProbabilities.Binary<double>([0.0, 1, 1, 0], [0, 1, 1, 0], 1, null, default, default).Value);
    }

    [Fact]
    public void OneColumnOfOutcomesIsTheBinaryConvention_NotARowThatMustSumToOne()
    {
        // K = 1 with 0/1 targets used to throw "targets row 0 sums to 0" for every y = 0.
        double[] p = [0.1, 0.9, 0.8, 0.3];
        var r = BrierScoreFromProbabilities.Evaluate<double>(p, [0.0, 1, 1, 0], 1, null, default, default);
        Assert.Equal(0.0375, r.Value, 12);
        Assert.Throws<ArgumentException>(() => BrierScoreFromProbabilities.Evaluate<double>(p, [0.0, 1, 1.5, 0], 1, null, default, default));
    }

    [Fact]
    public void BinaryBrierWithSampleWeightsIsTheWeightedAverage()
    {
        // scikit-learn: np.average((y_prob - y_true)², weights=sample_weight).
        double[] p = [0.1, 0.9, 0.8, 0.3];
        double[] w = [1, 2, 3, 4];
        double expected = ((1 * 0.01) + (2 * 0.01) + (3 * 0.04) + (4 * 0.09)) / 10;
        var g = new double[4];
        var r = BrierScoreFromProbabilities.Binary<double>(p, [0, 1, 1, 0], 1, null, g, default, w);
        Assert.Equal(expected, r.Value, 12);
        Assert.Equal(2 * 4 * 0.3 / 10, g[3], 12);
    }
}
