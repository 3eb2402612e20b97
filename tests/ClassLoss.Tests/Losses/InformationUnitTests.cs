using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

/// <summary>Entropy, cross-entropy and KL in bits: the value, the losses and the gradient in nats divided by ln 2.</summary>
public class InformationUnitTests
{
    private static readonly double Ln2 = Math.Log(2);

    private static void AssertBitsAreNatsOverLn2(double nats, double bits, double tolerance, string what) =>
        Assert.True(Math.Abs((nats / Ln2) - bits) <= tolerance * Math.Max(1, Math.Abs(bits)), $"{what}: {bits} bits, {nats} nats");

    private static void AssertBitsAreNatsOverLn2(ReadOnlySpan<double> nats, ReadOnlySpan<double> bits, double tolerance, string what)
    {
        Assert.Equal(nats.Length, bits.Length);
        for (int i = 0; i < nats.Length; i++)
        {
            AssertBitsAreNatsOverLn2(nats[i], bits[i], tolerance, $"{what}[{i}]");
        }
    }

    [Fact]
    public void EntropyOfEightEquallyLikelyFruits_Is3Bits()
    {
        // Seed 002: "for 8 fruits you need 3 bits", -log2(1/8) = 3.
        double[] p = Enumerable.Repeat(1.0 / 8, 8).ToArray();
        Assert.Equal(3.0, Entropy.Evaluate<double>(p, 8, new EntropyOptions { Units = InformationUnit.Bits }, default, default).Value, 14);
        Assert.Equal(Math.Log(8), Entropy.Evaluate<double>(p, 8, null, default, default).Value, 14);
    }

    [Fact]
    public void SeedExample_2_303Nats_Is3_32Bits()
    {
        // Seed 002: true [1 0 0 0 0], predicted [0.1 0.5 0.1 0.1 0.2] -> -ln 0.1 = 2.303 nats, i.e. log2 10 = 3.3219 bits.
        double[] p = [0.1, 0.5, 0.1, 0.1, 0.2];
        var o = new CrossEntropyFromProbabilitiesOptions { Units = InformationUnit.Bits };
        Assert.Equal(Math.Log2(10), CrossEntropyFromProbabilities.Evaluate<double>(p, [0], 5, o, default, default).Value, 14);
        Assert.Equal(2.302585092994046, CrossEntropyFromProbabilities.Evaluate<double>(p, [0], 5, null, default, default).Value, 14);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxCrossEntropy_InBits_IsNatsOverLn2_OnTheFusedAndGenericPaths(bool soft)
    {
        const int n = 64, k = 40;
        float[] x = Reference.ToFloat(Reference.RandomLogits(801, n * k, 4.0));
        int[] y = Reference.RandomLabels(802, n, k);
        float[] t = Reference.ToFloat(Reference.RandomProbabilities(803, n, k));
        var nats = new SoftmaxCrossEntropyOptions { Reduction = Reduction.Mean, LabelSmoothing = 0.1 };
        var bits = nats with { Units = InformationUnit.Bits };
        foreach (bool single in new[] { true, false })
        {
            var gN = new float[n * k];
            var gB = new float[n * k];
            var rN = new float[n];
            var rB = new float[n];
            LossResult a, b;
            if (single)
            {
                // float: the fused kernel.
                a = soft ? SoftmaxCrossEntropy.Evaluate<float>(x, t, k, nats, gN, rN) : SoftmaxCrossEntropy.Evaluate<float>(x, y, k, nats, gN, rN);
                b = soft ? SoftmaxCrossEntropy.Evaluate<float>(x, t, k, bits, gB, rB) : SoftmaxCrossEntropy.Evaluate<float>(x, y, k, bits, gB, rB);
                AssertBitsAreNatsOverLn2(a.Value, b.Value, 1e-12, "value");
                AssertBitsAreNatsOverLn2(Reference.ToDouble(rN), Reference.ToDouble(rB), 2e-7, "row loss");
                AssertBitsAreNatsOverLn2(Reference.ToDouble(gN), Reference.ToDouble(gB), 2e-6, "gradient");
            }
            else
            {
                double[] xd = Reference.ToDouble(x), td = Reference.ToDouble(t);
                var gNd = new double[n * k];
                var gBd = new double[n * k];
                var rNd = new double[n];
                var rBd = new double[n];
                a = soft ? SoftmaxCrossEntropy.Evaluate<double>(xd, td, k, nats, gNd, rNd) : SoftmaxCrossEntropy.Evaluate<double>(xd, y, k, nats, gNd, rNd);
                b = soft ? SoftmaxCrossEntropy.Evaluate<double>(xd, td, k, bits, gBd, rBd) : SoftmaxCrossEntropy.Evaluate<double>(xd, y, k, bits, gBd, rBd);
                AssertBitsAreNatsOverLn2(a.Value, b.Value, 1e-14, "value");
                AssertBitsAreNatsOverLn2(rNd, rBd, 1e-14, "row loss");
                AssertBitsAreNatsOverLn2(gNd, gBd, 1e-14, "gradient");
            }

            Assert.Equal(a.Denominator, b.Denominator);
            AssertBitsAreNatsOverLn2(a.Sum, b.Sum, 1e-12, "sum");
        }
    }

    [Fact]
    public void GradientInBits_MatchesFiniteDifferencesOfTheValueInBits()
    {
        const int n = 5, k = 4;
        double[] x = Reference.RandomLogits(804, n * k, 2.0);
        int[] y = Reference.RandomLabels(805, n, k);
        var o = new SoftmaxCrossEntropyOptions { Units = InformationUnit.Bits };
        var g = new double[n * k];
        SoftmaxCrossEntropy.Evaluate<double>(x, y, k, o, g, default);
        var check = GradientChecker.Check(v => SoftmaxCrossEntropy.Evaluate<double>(v, y, k, o, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");

        var eo = new SoftmaxEntropyOptions { Units = InformationUnit.Bits, Reduction = Reduction.Sum };
        SoftmaxEntropy.Evaluate<double>(x, k, eo, g, default);
        check = GradientChecker.Check(v => SoftmaxEntropy.Evaluate<double>(v, k, eo, default, default).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"entropy: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void KlDivergenceAndEntropy_InBits_AreNatsOverLn2_ForValueElementLossesAndGradient()
    {
        const int n = 6, k = 5;
        double[] logits = Reference.RandomLogits(806, n * k, 3.0);
        double[] logQ = new double[n * k];
        ClassLoss.Activations.LogSoftmax.Forward<double>(logits, k, logQ);
        double[] t = Reference.RandomProbabilities(807, n, k);
        foreach (var reduction in new[] { Reduction.Mean, Reduction.BatchMean, Reduction.None })
        {
            var nats = new KlDivergenceOptions { Reduction = reduction };
            var eN = new double[n * k];
            var eB = new double[n * k];
            var gN = new double[n * k];
            var gB = new double[n * k];
            var a = KlDivergence.Evaluate<double>(logQ, t, k, nats, gN, eN);
            var b = KlDivergence.Evaluate<double>(logQ, t, k, nats with { Units = InformationUnit.Bits }, gB, eB);
            AssertBitsAreNatsOverLn2(a.Value, b.Value, 1e-14, "KL value");
            AssertBitsAreNatsOverLn2(eN, eB, 1e-14, "KL element");
            AssertBitsAreNatsOverLn2(gN, gB, 1e-14, "KL gradient");
        }

        var hN = new double[n];
        var hB = new double[n];
        var gn = new double[n * k];
        var gb = new double[n * k];
        var h1 = SoftmaxEntropy.Evaluate<double>(logits, k, null, gn, hN);
        var h2 = SoftmaxEntropy.Evaluate<double>(logits, k, new SoftmaxEntropyOptions { Units = InformationUnit.Bits }, gb, hB);
        AssertBitsAreNatsOverLn2(h1.Value, h2.Value, 1e-14, "entropy");
        AssertBitsAreNatsOverLn2(hN, hB, 1e-14, "row entropy");
        AssertBitsAreNatsOverLn2(gn, gb, 1e-14, "entropy gradient");
        // CE = H + KL, in either unit (seed 000).
        var ceBits = SoftmaxCrossEntropy.Evaluate<double>(logits, t, k, new SoftmaxCrossEntropyOptions { Units = InformationUnit.Bits }, default, default).Value;
        var hBits = Entropy.Evaluate<double>(t, k, new EntropyOptions { Units = InformationUnit.Bits }, default, default).Value;
        var klBits = KlDivergence.Evaluate<double>(logQ, t, k, new KlDivergenceOptions { Reduction = Reduction.BatchMean, Units = InformationUnit.Bits }, default, default).Value;
        Assert.Equal(ceBits, hBits + klBits, 13);
    }

    [Fact]
    public void AnUndefinedUnit_IsRejectedNamingTheOption()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SoftmaxCrossEntropy.Evaluate<double>([0.0, 1], [0], 2, new SoftmaxCrossEntropyOptions { Units = (InformationUnit)2 }, default, default));
        Assert.Equal("Units", e.ParamName);
        Assert.Equal("Units", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Entropy.Evaluate<double>([0.5, 0.5], 2, new EntropyOptions { Units = (InformationUnit)(-1) }, default, default)).ParamName);
        Assert.Equal("Units", Assert.Throws<ArgumentOutOfRangeException>(() =>
            KlDivergence.Evaluate<double>([0.0, 0], [0.5, 0.5], 2, new KlDivergenceOptions { Units = (InformationUnit)5 }, default, default)).ParamName);
    }
}
