using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class SoftmaxCrossEntropyTests
{
    private static double Loss(double[] z, int[] y, int k, SoftmaxCrossEntropyOptions o) =>
        SoftmaxCrossEntropy.Evaluate<double>(z, y, k, o, default, default).Value;

    private static double Loss(double[] z, double[] t, int k, SoftmaxCrossEntropyOptions o) =>
        SoftmaxCrossEntropy.Evaluate<double>(z, t, k, o, default, default).Value;

    public static TheoryData<double, double, double, int, Reduction> IndexOptions => new()
    {
        { 0.0, 1.0, 0.0, -100, Reduction.Mean },
        { 0.1, 1.0, 0.0, -100, Reduction.Mean },
        { 0.0, 0.5, 0.0, -100, Reduction.Sum },
        { 0.2, 2.0, 1.0, 1, Reduction.Mean },
        { 0.3, 0.7, 1.0, 2, Reduction.None },
        { 0.0, 1.0, 1.0, -100, Reduction.BatchMean },
    };

    [Theory]
    [MemberData(nameof(IndexOptions))]
    public void Gradient_WithIndexTargets_MatchesFiniteDifferences(double smoothing, double temperature, double weighted, int ignore, Reduction reduction)
    {
        const int n = 5, k = 4;
        double[] z = Reference.RandomLogits(1, n * k);
        int[] y = [0, 1, 2, 3, 1];
        var o = new SoftmaxCrossEntropyOptions
        {
            LabelSmoothing = smoothing,
            Temperature = temperature,
            IgnoreIndex = ignore,
            Reduction = reduction,
            ClassWeights = weighted > 0 ? [0.5, 2.0, 1.0, 0.25] : null,
        };
        var g = new double[n * k];
        SoftmaxCrossEntropy.Evaluate<double>(z, y, k, o, g, default);
        var check = GradientChecker.Check(x => Loss(x, y, k, o), z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(0.0, 1.0, false)]
    [InlineData(0.1, 1.0, true)]
    [InlineData(0.25, 0.5, true)]
    public void Gradient_WithProbabilityTargets_MatchesFiniteDifferences(double smoothing, double temperature, bool weighted)
    {
        const int n = 3, k = 5;
        double[] z = Reference.RandomLogits(2, n * k);
        double[] t = Reference.RandomProbabilities(3, n, k);
        var o = new SoftmaxCrossEntropyOptions { LabelSmoothing = smoothing, Temperature = temperature, ClassWeights = weighted ? [1, 2, 3, 0.5, 0] : null };
        var g = new double[n * k];
        SoftmaxCrossEntropy.Evaluate<double>(z, t, k, o, g, default);
        var check = GradientChecker.Check(x => Loss(x, t, k, o), z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void Loss_OfSeed002Example_IsMinusLnPointOne()
    {
        // Seed 002: true [1 0 0 0 0], predicted [0.1 0.5 0.1 0.1 0.2] gives -ln 0.1 = 2.303.
        double[] p = [0.1, 0.5, 0.1, 0.1, 0.2];
        double[] z = Array.ConvertAll(p, Math.Log);
        var r = SoftmaxCrossEntropy.Evaluate<double>(z, [0], 5, null, default, default);
        Assert.Equal(-Math.Log(0.1), r.Value, 12);
        Assert.Equal(2.303, r.Value, 3);
    }

    [Fact]
    public void Gradient_OfOneHotRow_SumsToZeroAndIsSoftmaxMinusTarget()
    {
        double[] z = [1.0, -2.0, 0.5, 3.0];
        var g = new double[4];
        SoftmaxCrossEntropy.Evaluate<double>(z, [2], 4, new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum }, g, default);
        double[] logp = Reference.LogSoftmax(z);
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(Math.Exp(logp[c]) - (c == 2 ? 1 : 0), g[c], 14);
        }

        Assert.Equal(0.0, g.Sum(), 14);
    }

    [Fact]
    public void Loss_IsInvariantToLogitShift()
    {
        double[] z = Reference.RandomLogits(4, 3 * 6);
        int[] y = [5, 0, 3];
        double[] shifted = Array.ConvertAll(z, v => v + 1e8);
        var g1 = new double[z.Length];
        var g2 = new double[z.Length];
        double a = SoftmaxCrossEntropy.Evaluate<double>(z, y, 6, null, g1, default).Value;
        double b = SoftmaxCrossEntropy.Evaluate<double>(shifted, y, 6, null, g2, default).Value;
        Assert.Equal(a, b, 6);
        for (int i = 0; i < g1.Length; i++)
        {
            Assert.Equal(g1[i], g2[i], 6);
        }
    }

    [Fact]
    public void Loss_AtLogitsOfTenThousand_IsFiniteAndMatchesExactValue()
    {
        float[] z = [1e4f, -1e4f, 0f, 1e4f];
        var g = new float[4];
        var r = SoftmaxCrossEntropy.Evaluate<float>(z, [1], 4, null, g, default);
        // lse = 1e4 + ln 2 exactly (two maxima), so the loss is 2e4 + ln 2.
        Assert.Equal(2e4 + Math.Log(2), r.Value, 6);
        Assert.All(g, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0.5f, g[0], 6);
        Assert.Equal(-1f, g[1], 6);
    }

    [Fact]
    public void MaskedNegativeInfinityLogits_GiveFiniteLossAndZeroGradient()
    {
        double[] z = [2.0, double.NegativeInfinity, 0.5, double.NegativeInfinity];
        var g = new double[4];
        var r = SoftmaxCrossEntropy.Evaluate<double>(z, [0], 4, null, g, default);
        Assert.True(double.IsFinite(r.Value));
        Assert.Equal(0.0, g[1]);
        Assert.Equal(0.0, g[3]);
        Assert.Equal(-Reference.LogSoftmax([2.0, 0.5])[0], r.Value, 12);
    }

    [Fact]
    public void AllRowsIgnored_GivesZeroByDefaultAndNaNOnRequest()
    {
        double[] z = Reference.RandomLogits(5, 2 * 3);
        var g = new double[6];
        var zero = SoftmaxCrossEntropy.Evaluate<double>(z, [-100, -100], 3, null, g, default);
        Assert.Equal(0.0, zero.Value);
        Assert.All(g, v => Assert.Equal(0.0, v));
        Assert.Equal(0.0, zero.Denominator);
        Array.Fill(g, 1.0);
        var nan = SoftmaxCrossEntropy.Evaluate<double>(z, [-100, -100], 3, new SoftmaxCrossEntropyOptions { WhenEmpty = EmptyMean.NaN }, g, default);
        Assert.True(double.IsNaN(nan.Value));
        Assert.All(g, v => Assert.Equal(0.0, v)); // PyTorch: NaN loss, zero gradient (nothing depends on the input)

        // The fused float path says the same.
        var gf = new float[6];
        Array.Fill(gf, 1f);
        var nanF = SoftmaxCrossEntropy.Evaluate<float>(Array.ConvertAll(z, v => (float)v), [-100, -100], 3, new SoftmaxCrossEntropyOptions { WhenEmpty = EmptyMean.NaN }, gf, default);
        Assert.True(double.IsNaN(nanF.Value));
        Assert.All(gf, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void LongRowOf128000Classes_MatchesDoubleReferenceWithinOnePpm()
    {
        const int k = 128_000;
        double[] zd = Reference.RandomLogits(6, k, 5.0);
        float[] zf = Reference.ToFloat(zd);
        double expected = -Reference.LogSoftmax(Reference.ToDouble(zf))[1234];
        double actual = SoftmaxCrossEntropy.Evaluate<float>(zf, [1234], k, null, default, default).Value;
        Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Abs(expected), $"{actual} vs {expected}");
    }

    [Fact]
    public void NaNLogit_PropagatesToItsOwnRowOnly()
    {
        double[] z = [1, double.NaN, 0, 1, 2, 3];
        var rows = new double[2];
        SoftmaxCrossEntropy.Evaluate<double>(z, [0, 2], 3, new SoftmaxCrossEntropyOptions { Reduction = Reduction.None }, default, rows);
        Assert.True(double.IsNaN(rows[0]));
        Assert.True(double.IsFinite(rows[1]));
    }

    [Theory]
    [InlineData(new[] { 0, 3 }, "targets[1] is 3")]
    [InlineData(new[] { -1, 0 }, "targets[0] is -1")]
    public void LabelOutOfRange_ThrowsNamingTheRow(int[] labels, string fragment)
    {
        var ex = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[6], labels, 3, null, default, default));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadProbabilityTargets_ThrowNamingRowAndColumn()
    {
        var neg = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[4], [0.5, 0.5, 1.2, -0.2], 2, null, default, default));
        Assert.Contains("row 1, column 0", neg.Message, StringComparison.Ordinal);
        var sum = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[4], [0.5, 0.5, 0.3, 0.3], 2, null, default, default));
        Assert.Contains("row 1 sums to", sum.Message, StringComparison.Ordinal);
        var nan = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[4], [double.NaN, 0.5, 0.5, 0.5], 2, null, default, default));
        Assert.Contains("row 0, column 0", nan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadShapesAndOptions_Throw()
    {
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(Array.Empty<double>(), Array.Empty<int>(), 3, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[5], [0], 3, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[6], [0], 3, null, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[3], [0], 3, new SoftmaxCrossEntropyOptions { ClassWeights = [1, 2] }, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[3], [0], 3, new SoftmaxCrossEntropyOptions { ClassWeights = [1, -2, 1] }, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[3], [0], 3, new SoftmaxCrossEntropyOptions { LabelSmoothing = 1.5 }, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[3], [0], 3, new SoftmaxCrossEntropyOptions { Temperature = 0 }, default, default));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(new double[3], [0], 3, null, new double[2], default));
    }
}
