using ClassLoss.Losses;

namespace ClassLoss.Tests.Fuzz;

/// <summary>
/// The smallest inputs that show each bug the fuzz tests found in src/. Each test asserts the correct result; the
/// comment at its assertion says what the kernel gave before the fix. A new bug gets its repro here as a skipped test
/// and its exclusion in the fuzz properties (see <see cref="KnownBugs"/> and the <c>// KNOWN BUG:</c> comments) until
/// it is fixed: then remove the Skip, and the exclusion it names, with the fix.
/// </summary>
public class KnownBugReproTests
{
    private static readonly double Ln2 = Math.Log(2);

    [Fact]
    public void SoftmaxFocalOfTwoTiedHugeLogits_IsLog2WithGradientOfHalves()
    {
        var g = new double[2];
        var r = SoftmaxFocal.Evaluate<double>([1e16, 1e16], [0], 2, new SoftmaxFocalOptions { Gamma = 0, Alpha = 1, Reduction = Reduction.Sum }, g, default);
        Assert.Equal(Ln2, r.Value, 1e-12); // gave +∞
        Assert.Equal(new[] { -0.5, 0.5 }, g); // gave [0, 1]
    }

    [Fact]
    public void PolyLossOfTwoTiedHugeLogits_IsLog2PlusHalf()
    {
        var g = new double[2];
        var r = SoftmaxPoly1.Evaluate<double>([1e16, 1e16], [0], 2, new SoftmaxPoly1Options { PolyCoefficient = 1, Reduction = Reduction.Sum }, g, default);
        Assert.Equal(Ln2 + 0.5, r.Value, 1e-12); // gave 0
        Assert.Equal(new[] { -0.75, 0.75 }, g); // gave [0, 2]
    }

    [Fact]
    public void ZLossGradientOfTwoTiedHugeLogits_IsCoefficientTimesLse()
    {
        var g = new double[2];
        ZLoss.Evaluate<double>([1e16, 1e16], 2, new ZLossOptions { Coefficient = 1, Reduction = Reduction.Sum }, g, default);
        Assert.Equal(1e16, g[0], 1e3); // 2 c lse p = 1e16; gives 2e16 (p = 1 for both classes)
    }

    [Fact]
    public void SoftmaxBrierScoreOfTwoTiedHugeLogits_IsHalf()
    {
        var g = new double[2];
        var r = SoftmaxBrierScore.Evaluate<double>([1e16, 1e16], [0], 2, new SoftmaxBrierScoreOptions { Reduction = Reduction.Sum }, g, default);
        Assert.Equal(0.5, r.Value, 1e-12); // gave 1
    }

    [Fact]
    public void EntropyOfTwoTiedHugeLogits_IsLog2()
    {
        var r = SoftmaxEntropy.Evaluate<double>([1e16, 1e16], 2, new SoftmaxEntropyOptions { Reduction = Reduction.Sum }, default, default);
        Assert.Equal(Ln2, r.Value, 1e-12); // gave 0
    }

    [Fact]
    public void FocalFromProbabilitiesUnclampedWithGammaZero_AtZeroProbability_HasGradientMinusInfinity_NotNaN()
    {
        // Found by FocalFromProbabilitiesWithIndexTargets (CsCheck_Seed=2tw-9W8HH3mTnMKv1): with the unclamped log and
        // γ = 0 the focal factor's derivative is 0, and 0 · log(0) = 0 · -∞ made the gradient NaN; the limit is -a / p.
        var o = new FocalFromProbabilitiesOptions { Gamma = 0, Alpha = 1, Clamp = ProbabilityClamp.None, Reduction = Reduction.Sum, PredictionSumTolerance = double.NaN };
        var g = new double[2];
        var r = FocalFromProbabilities.Evaluate<double>([0.0, 1.0], [0], 2, o, g, default);
        Assert.Equal(double.PositiveInfinity, r.Value);
        Assert.Equal(double.NegativeInfinity, g[0]); // gave NaN
        Assert.Equal(0.0, g[1]);
    }

    [Fact]
    public void ProbabilityOfNegativeZero_HasTheGradientOfPositiveZero()
    {
        // Found by FocalFromProbabilitiesWithProbabilityTargets (CsCheck_Seed=78k8AnQcO6eiabnj2): d log p / dp = 1/p was
        // 1/-0 = -∞ for a probability of -0, so the focal gradient was ∞ - ∞ = NaN and CE's had the wrong sign.
        var focal = new FocalFromProbabilitiesOptions { Gamma = 0.5, Alpha = 1, Clamp = ProbabilityClamp.None, Reduction = Reduction.Sum, PredictionSumTolerance = double.NaN };
        var ce = new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.None, Reduction = Reduction.Sum, PredictionSumTolerance = double.NaN };
        double[] t = [0.5, 0.5];
        var gNeg = new double[2];
        var gPos = new double[2];
        FocalFromProbabilities.Evaluate<double>([-0.0, 1.0], t, 2, focal, gNeg, default);
        FocalFromProbabilities.Evaluate<double>([0.0, 1.0], t, 2, focal, gPos, default);
        Assert.Equal(double.NegativeInfinity, gNeg[0]); // gave NaN
        Assert.Equal(gPos, gNeg);
        CrossEntropyFromProbabilities.Evaluate<double>([-0.0, 1.0], t, 2, ce, gNeg, default);
        CrossEntropyFromProbabilities.Evaluate<double>([0.0, 1.0], t, 2, ce, gPos, default);
        Assert.Equal(double.NegativeInfinity, gNeg[0]); // gave +∞
        Assert.Equal(gPos, gNeg);
    }

    [Theory]
    [InlineData(1e-40f)]
    [InlineData(3.7e-44f)]
    [InlineData(2.9e-39f)]
    [InlineData(1e-45f)]
    public void BinaryCrossEntropyFromProbabilitiesGradientNearZero_IsTorchsBoundedGradient_InFloatAndDouble(float p)
    {
        // Found by SampleWeightFuzz.ElementRows (CsCheck_Seed=el-1mb9RGVV1ES271): the exact -1/p of the clamped loss
        // overflowed float for p in (e^-100, 2.9e-39), so the float gradient was -∞ where double's was finite (and a
        // sample weight could not bring it back). PyTorch's BCELoss backward bounds the denominator: (p - y) / max(p (1 - p), 1e-12).
        var o = new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.Sum };
        var gf = new float[2];
        var gd = new double[2];
        var rf = BinaryCrossEntropyFromProbabilities.Evaluate<float>([p, p], [1f, 0f], 2, o, gf, default);
        var rd = BinaryCrossEntropyFromProbabilities.Evaluate<double>([p, p], [1.0, 0.0], 2, o, gd, default);
        double expected = (p - 1.0) / (double)1e-12f; // torch's eps is float32's 1e-12
        Assert.Equal(expected, gd[0], Math.Abs(expected) * 1e-15);
        Assert.Equal(expected, gf[0], Math.Abs(expected) * 1e-7); // gave -∞ (float) and -1/p (double)
        Assert.Equal(p / (double)1e-12f, gd[1], 1e-30); // y = 0: torch's p / 1e-12, not the exact 1 / (1 - p) = 1
        Assert.Equal(rd.Value, rf.Value, Math.Abs(rd.Value) * 1e-6);

        // With a sample weight (the fuzz case): w times the unweighted gradient, finite in both types.
        var wf = new float[2];
        BinaryCrossEntropyFromProbabilities.Evaluate<float>([p, p], [1f, 0f], 2, o, wf, default, sampleWeights: [0.5f]);
        Assert.Equal(0.5 * expected, wf[0], Math.Abs(expected) * 1e-7);
    }

    [Fact]
    public void SigmoidBinaryCrossEntropySumOfTwoLossesOf3e38_IsFinite()
    {
        var r = SigmoidBinaryCrossEntropy.Evaluate<float>([3e38f, 3e38f], [0f, 0f], 1, new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum }, default, default);
        Assert.Equal(6.0000000109955115e38, r.Sum, 1e31); // gave +∞
    }

    [Fact]
    public void SigmoidFocalSumOfEightLossesOf3e38_IsFinite()
    {
        float[] z = [3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f, 3e38f];
        var r = SigmoidFocal.Evaluate<float>(z, new float[8], 1, new SigmoidFocalOptions { Gamma = 0, ApplyClassBalancing = false, Reduction = Reduction.Sum }, default, default);
        Assert.Equal(2.4000000043982046e39, r.Sum, 1e32); // gave +∞
    }

    [Fact]
    public void MultiMarginHingeWithLabelIntMinValue_ThrowsArgumentExceptionNamingTheLabel()
    {
        var e = Assert.Throws<ArgumentException>(() => MultiMarginHinge.Evaluate<double>([1.0, 2.0], [int.MinValue], 2, null, default, default));
        Assert.Contains("targets[0]", e.Message, StringComparison.Ordinal); // threw nothing: the row was skipped as if ignored (loss 0)
    }

    [Fact]
    public void WeightedKappaLossWithLabelIntMinValue_ThrowsArgumentExceptionNamingTheLabel()
    {
        var e = Assert.Throws<ArgumentException>(() => WeightedKappa.Evaluate<double>([0.5, 0.5], [int.MinValue], 2, null, default, default));
        Assert.Contains("targets[0]", e.Message, StringComparison.Ordinal); // threw IndexOutOfRangeException
    }

    [Fact]
    public void SoftmaxCrossEntropyGradientWithAClassWeightOf4e38_IsFinite()
    {
        var g = new float[2];
        SoftmaxCrossEntropy.Evaluate<float>([0f, -20f], [0], 2, new SoftmaxCrossEntropyOptions { ClassWeights = [4e38, 1], Reduction = Reduction.Sum }, g, default);
        Assert.Equal(8.24461447276082e29, g[1], 1e24); // gave +∞
    }

    [Fact]
    public void SoftmaxFocalGradientWithAClassAlphaOf4e38_IsFinite()
    {
        var g = new float[2];
        SoftmaxFocal.Evaluate<float>([0f, -20f], [0], 2, new SoftmaxFocalOptions { Gamma = 0, ClassAlpha = [4e38, 1], Reduction = Reduction.Sum }, g, default);
        Assert.Equal(8.24461447276082e29, g[1], 1e24); // gave +∞
    }

    // The same overflow through the smoothing constant s ε / (K τ): the mean divides by Σ w_y = 1e-40, so that constant
    // is 5e38 in float although every gradient entry is about 0.22 (not in the fuzz cases: their weights are not subnormal).
    [Fact]
    public void SoftmaxCrossEntropyGradientWithSmoothingAndSubnormalWeightsUnderTheMean_IsFinite()
    {
        var g = new float[2];
        SoftmaxCrossEntropy.Evaluate<float>([0f, -1f], [0], 2, new SoftmaxCrossEntropyOptions { ClassWeights = [1e-40, 1e-40], LabelSmoothing = 0.1 }, g, default);
        Assert.Equal(new[] { -0.21894142136999514, 0.2189414213699951 }, Array.ConvertAll(g, v => (double)v), new ToleranceComparer(1e-6)); // gave [-0.219, -∞]
    }

    // And through one α beyond float range with probability targets (gradient unit s α (1 + γ) ≈ 1e39).
    [Fact]
    public void SoftmaxFocalWithProbabilityTargetsAndAnAlphaOf1e39_IsFinite()
    {
        var g = new float[3];
        var r = SoftmaxFocal.Evaluate<float>([0f, -20f, 1f], [0.2f, 0.3f, 0.5f], 3, new SoftmaxFocalOptions { Gamma = 2, Alpha = 1e39 }, g, default);
        Assert.Equal(6.545681445105834e39, r.Value, 1e33); // gave +∞
        Assert.Equal(-4.667395056007862e37, g[0], 1e32); // gave NaN
    }

    [Fact]
    public void SoftmaxFocalWithProbabilityTargetsFarBelowTheMaximum_IsFiniteWithFiniteGradient()
    {
        var g = new float[3];
        var r = SoftmaxFocal.Evaluate<float>([3e38f, -2e38f, 0f], [0.2f, 0.3f, 0.5f], 3, new SoftmaxFocalOptions { Gamma = 2, Alpha = 1, Reduction = Reduction.Sum }, g, default);
        Assert.Equal(3.0000000448199902e38, r.Value, 1e32); // gave +∞
        Assert.Equal(new[] { 0.8f, -0.3f, -0.5f }, g); // gave [NaN, NaN, NaN]
    }

    [Fact]
    public void SigmoidFocalOfMinusInfinityAgainstATinySoftTarget_IsInfinite()
    {
        var rows = new float[1];
        SigmoidFocal.Evaluate<float>([0f, 0f, 0f, 0f, 0f, 0f, 0f, float.NegativeInfinity], [0f, 0f, 0f, 0f, 0f, 0f, 0f, 1e-30f], 8,
            new SigmoidFocalOptions { Gamma = 2, Alpha = 0.75, Reduction = Reduction.Sum }, default, rows);
        Assert.Equal(float.PositiveInfinity, rows[0]); // gave NaN (K = 1, the scalar tail, gives +∞)
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
