using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

/// <summary>
/// Expected values published in Optax's tests (optax/losses/_classification_test.py, google-deepmind/optax):
/// SoftmaxCrossEntropyTest, SigmoidCrossEntropyTest and PolyLossTest. Optax returns per-example losses, so the
/// kernels run with <see cref="Reduction.None"/> and the per-row buffer is compared.
/// </summary>
public class OptaxPublishedValuesTests
{
    [Fact]
    public void SoftmaxCrossEntropy_MatchesOptaxTestValues()
    {
        // ys = [[10, 1, -2], [1, 4, 0.2]], ts = [[0, 1, 0], [1, 0, 0]] -> [9.00013, 3.0696733] (atol 1e-4 in Optax).
        double[] z = [10, 1, -2, 1, 4, 0.2];
        double[] t = [0, 1, 0, 1, 0, 0];
        var rows = new double[2];
        SoftmaxCrossEntropy.Evaluate<double>(z, t, 3, new SoftmaxCrossEntropyOptions { Reduction = Reduction.None }, default, rows);
        Assert.Equal(9.00013, rows[0], 1e-4);
        Assert.Equal(3.0696733, rows[1], 1e-4);
    }

    [Fact]
    public void SafeSoftmaxCrossEntropy_MaskedRowsMatchOptax()
    {
        // Optax's safe_softmax_cross_entropy: [-inf, 0, 0] with [0, .5, .5] -> 0.693147 (a masked class with target 0
        // contributes nothing); [-inf, 0, 0] with [.4, .3, .3] -> inf (mass on a masked class is honestly infinite).
        double[] z = [double.NegativeInfinity, 0, 0, double.NegativeInfinity, 0, 0];
        double[] t = [0, 0.5, 0.5, 0.4, 0.3, 0.3];
        var rows = new double[2];
        SoftmaxCrossEntropy.Evaluate<double>(z, t, 3, new SoftmaxCrossEntropyOptions { Reduction = Reduction.None }, default, rows);
        Assert.Equal(0.693147, rows[0], 1e-6);
        Assert.True(double.IsPositiveInfinity(rows[1]));
    }

    [Theory]
    [InlineData(-1e9, -1e-9, 1.0, 0.0, 5e8)]
    [InlineData(-1e9, -1e-9, 0.0, 1.0, 0.3465736)]
    [InlineData(1e9, 1e-9, 1.0, 0.0, 0.3465736)]
    [InlineData(1e9, 1e-9, 0.0, 1.0, 5e8)]
    [InlineData(-1e9, 1e-9, 1.0, 0.0, 5e8)]
    [InlineData(1e9, -1e-9, 1.0, 0.0, 0.3465736)]
    [InlineData(0.0, 0.0, 1.0, 0.0, 0.6931472)]
    public void SigmoidBinaryCrossEntropy_AtLogitsOfOneBillion_MatchesOptax(double x0, double x1, double y0, double y1, double expected)
    {
        // Optax takes the mean of the two element losses, which is our Mean over N·K elements (N = 1, K = 2).
        var r = SigmoidBinaryCrossEntropy.Evaluate<double>([x0, x1], [y0, y1], 2, null, default, default);
        Assert.True(Math.Abs(r.Value - expected) <= 1e-6 + 1e-6 * Math.Abs(expected), $"{r.Value} vs {expected}");
    }

    [Theory]
    [InlineData(2.0, 0.4823, 1.2567)]
    [InlineData(1.0, 0.3261, 1.0407)]
    [InlineData(0.0, 0.1698, 0.8247)]
    [InlineData(-0.5, 0.0917, 0.7168)]
    [InlineData(5.45, 1.0211, 2.0018)]
    public void PolyLoss_MatchesOptaxBatchedValues(double epsilon, double row0, double row1)
    {
        // logits [[4, 2, 1], [0, 5, 1]], labels [[1, 0, 0], [0, 0.8, 0.2]] (Optax: "computed using tf version of
        // poly1_cross_entropy", Leng et al. 2022 p. 10), atol 1e-4.
        double[] z = [4, 2, 1, 0, 5, 1];
        double[] t = [1, 0, 0, 0, 0.8, 0.2];
        var rows = new double[2];
        SoftmaxPoly1.Evaluate<double>(z, t, 3, new SoftmaxPoly1Options { PolyCoefficient = epsilon, Reduction = Reduction.None }, default, rows);
        Assert.Equal(row0, rows[0], 1e-4);
        Assert.Equal(row1, rows[1], 1e-4);
    }
}
