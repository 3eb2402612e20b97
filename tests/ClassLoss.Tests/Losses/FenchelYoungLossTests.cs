using ClassLoss.Activations;
using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.Activations;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class FenchelYoungLossTests
{
    public static TheoryData<FenchelYoungRegularizer> Regularizers => new()
    {
        FenchelYoungRegularizer.Softmax, FenchelYoungRegularizer.Sparsemax, FenchelYoungRegularizer.Entmax15,
    };

    private static double[] Predict(FenchelYoungRegularizer r, double[] x, int k)
    {
        var y = new double[x.Length];
        switch (r)
        {
            case FenchelYoungRegularizer.Softmax:
                Softmax.Forward<double>(x, k, y);
                break;
            case FenchelYoungRegularizer.Sparsemax:
                Sparsemax.Forward<double>(x, k, y);
                break;
            default:
                Entmax15.Forward<double>(x, k, y);
                break;
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(Regularizers))]
    public void Gradient_WithClassIndices_MatchesFiniteDifferences(FenchelYoungRegularizer r)
    {
        const int n = 7, k = 6;
        double[] x = Reference.RandomLogits(401, n * k, 2.0);
        x[3] = x[4]; // a tie
        x[10] = double.NegativeInfinity; // a masked class (row 1, not its label)
        int[] y = [0, 5, -100, 2, 1, 3, 4];
        foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum, Reduction.BatchMean })
        {
            var o = new FenchelYoungOptions { Regularizer = r, Reduction = reduction };
            var g = new double[n * k];
            FenchelYoung.Evaluate<double>(x, y, k, o, g, default);
            var check = GradientChecker.Check(v => FenchelYoung.Evaluate<double>(v, y, k, o, default, default).Value, x, g);
            Assert.True(check.Passes(g, 1e-6, 1e-8), $"{reduction}: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
            Assert.Equal(0.0, g[10]);
        }
    }

    [Theory]
    [MemberData(nameof(Regularizers))]
    public void Gradient_WithProbabilityTargets_MatchesFiniteDifferences_AtSmallAndLargeLogits(FenchelYoungRegularizer r)
    {
        const int n = 5, k = 4;
        foreach (double scale in new[] { 0.5, 3.0, 1e4 })
        {
            double[] x = Reference.RandomLogits(402, n * k, scale);
            double[] t = Reference.RandomProbabilities(403, n, k);
            var o = new FenchelYoungOptions { Regularizer = r };
            var g = new double[n * k];
            FenchelYoung.Evaluate<double>(x, t, k, o, g, default);
            var check = GradientChecker.Check(v => FenchelYoung.Evaluate<double>(v, t, k, o, default, default).Value, x, g);
            // At logits of 1e4 the loss is ~1e4 while the step is 1e-2: the difference quotient carries ~1e-10 of rounding.
            Assert.True(check.Passes(g, 1e-6, scale > 100 ? 1e-7 : 1e-8), $"scale {scale}: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
        }
    }

    [Theory]
    [MemberData(nameof(Regularizers))]
    public void Gradient_IsPredictionMinusTarget(FenchelYoungRegularizer r)
    {
        // optax/losses/_fenchel_young_test.py, test_fenchel_young_reg: the gradient at random scores θ against targets
        // y_true = softmax(θ_true) is ŷ(θ) - y_true.
        const int n = 8, k = 5;
        double[] theta = Reference.RandomLogits(404, n * k, 1.0);
        double[] yTrue = Predict(FenchelYoungRegularizer.Softmax, Reference.RandomLogits(405, n * k, 1.0), k);
        var g = new double[n * k];
        FenchelYoung.Evaluate<double>(theta, yTrue, k, new FenchelYoungOptions { Regularizer = r, Reduction = Reduction.Sum }, g, default);
        double[] prediction = Predict(r, theta, k);
        for (int i = 0; i < g.Length; i++)
        {
            Assert.Equal(prediction[i] - yTrue[i], g[i], 14);
        }
    }

    [Fact]
    public void Softmax_WithClassIndices_EqualsSoftmaxCrossEntropy()
    {
        // optax/losses/_fenchel_young_test.py: the Fenchel–Young loss of logsumexp at one-hot targets is the cross-entropy.
        const int n = 9, k = 7;
        double[] x = Reference.RandomLogits(406, n * k, 4.0);
        int[] y = [0, 6, 3, -100, 2, 2, 5, 1, 4];
        var rows = new double[n];
        var ceRows = new double[n];
        var g = new double[n * k];
        var ceG = new double[n * k];
        var fy = FenchelYoung.Evaluate<double>(x, y, k, null, g, rows);
        var ce = SoftmaxCrossEntropy.Evaluate<double>(x, y, k, null, ceG, ceRows);
        Assert.Equal(ce.Value, fy.Value, 13);
        Assert.Equal(ce.Denominator, fy.Denominator);
        for (int i = 0; i < g.Length; i++)
        {
            Assert.Equal(ceG[i], g[i], 15);
        }

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(ceRows[i], rows[i], 13);
        }
    }

    [Fact]
    public void Softmax_WithProbabilityTargets_IsCrossEntropyMinusTheTargetEntropy()
    {
        const int n = 6, k = 5;
        double[] x = Reference.RandomLogits(407, n * k, 3.0);
        double[] t = Reference.RandomProbabilities(408, n, k);
        double fy = FenchelYoung.Evaluate<double>(x, t, k, null, default, default).Value;
        double ce = SoftmaxCrossEntropy.Evaluate<double>(x, t, k, null, default, default).Value;
        double h = Entropy.Evaluate<double>(t, k, null, default, default).Value;
        Assert.Equal(ce - h, fy, 13);
        double[] logQ = new double[n * k];
        LogSoftmax.Forward<double>(x, k, logQ);
        Assert.Equal(KlDivergence.Evaluate<double>(logQ, t, k, new KlDivergenceOptions { Reduction = Reduction.BatchMean }, default, default).Value, fy, 13);
    }

    [Fact]
    public void Sparsemax_WithClassIndices_EqualsSparsemaxLoss()
    {
        const int n = 9, k = 7;
        double[] x = Reference.RandomLogits(409, n * k, 2.0);
        int[] y = [0, 6, 3, -100, 2, 2, 5, 1, 4];
        var o = new FenchelYoungOptions { Regularizer = FenchelYoungRegularizer.Sparsemax };
        var rows = new double[n];
        var smRows = new double[n];
        var g = new double[n * k];
        var smG = new double[n * k];
        var fy = FenchelYoung.Evaluate<double>(x, y, k, o, g, rows);
        var sm = SparsemaxLoss.Evaluate<double>(x, y, k, null, smG, smRows);
        Assert.Equal(sm.Value, fy.Value, 13);
        for (int i = 0; i < g.Length; i++)
        {
            Assert.Equal(smG[i], g[i], 13);
        }

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(smRows[i], rows[i], 13);
        }
    }

    [Fact]
    public void Entmax15_Loss_MatchesTheDefinitionThroughTheActivation()
    {
        // L = ⟨θ, ŷ - y⟩ - Ω(ŷ) + Ω(y) with Ω(p) = (4/3) Σ (p^{3/2} - p), ŷ from Entmax15.Forward (the entmax README's row).
        double[] theta = [-2, 0, 0.5, 1.0, -0.3, 0.4];
        double[] t = [0, 0, 1, 0.2, 0.3, 0.5];
        double[] p = Predict(FenchelYoungRegularizer.Entmax15, theta, 3);
        var rows = new double[2];
        FenchelYoung.Evaluate<double>(theta, t, 3, new FenchelYoungOptions { Regularizer = FenchelYoungRegularizer.Entmax15, Reduction = Reduction.None }, default, rows);
        for (int i = 0; i < 2; i++)
        {
            double expected = 0;
            for (int c = 0; c < 3; c++)
            {
                int at = (i * 3) + c;
                expected += (theta[at] * (p[at] - t[at])) - (4.0 / 3 * (Math.Pow(p[at], 1.5) - p[at])) + (4.0 / 3 * (Math.Pow(t[at], 1.5) - t[at]));
            }

            Assert.Equal(expected, rows[i], 14);
        }
    }

    [Theory]
    [MemberData(nameof(Regularizers))]
    public void Loss_IsNonNegative_ShiftInvariant_AndZeroAtAPerfectPrediction(FenchelYoungRegularizer r)
    {
        const int n = 10, k = 6;
        var o = new FenchelYoungOptions { Regularizer = r, Reduction = Reduction.None, TargetSumTolerance = 1e-9 };
        double[] x = Reference.RandomLogits(410, n * k, 3.0);
        double[] t = Reference.RandomProbabilities(411, n, k);
        var rows = new double[n];
        double a = FenchelYoung.Evaluate<double>(x, t, k, o, default, rows).Value;
        Assert.All(rows, v => Assert.True(v >= -1e-15, $"negative row loss {v}"));
        double b = FenchelYoung.Evaluate<double>(Array.ConvertAll(x, v => v + 1e3), t, k, o, default, default).Value;
        Assert.Equal(a, b, 9);
        double[] perfect = Predict(r, x, k);
        FenchelYoung.Evaluate<double>(x, perfect, k, o, default, rows);
        Assert.All(rows, v => Assert.Equal(0.0, v, 12));
    }

    [Fact]
    public void OptaxSparsemaxTest_LargeCorrectScoresGiveZeroLossAndGradient()
    {
        // optax/losses/_classification_test.py, SparsemaxTest.test_multi_class_zero_loss and test_multi_class_gradient:
        // scores [[0, 1e5, 0], [1e5, 0, 0], [0, 0, 1e5]], labels [1, 0, 2] -> losses 0, gradient projection - one-hot = 0.
        double[] x = [0, 1e5, 0, 1e5, 0, 0, 0, 0, 1e5];
        foreach (var r in new[] { FenchelYoungRegularizer.Sparsemax, FenchelYoungRegularizer.Entmax15 })
        {
            var g = new double[9];
            var rows = new double[3];
            FenchelYoung.Evaluate<double>(x, [1, 0, 2], 3, new FenchelYoungOptions { Regularizer = r, Reduction = Reduction.None }, g, rows);
            Assert.Equal([0.0, 0.0, 0.0], rows);
            Assert.All(g, v => Assert.Equal(0.0, v));
        }
    }

    [Fact]
    public void ATargetOnAMaskedClass_CostsInfinity_WithAFiniteGradient()
    {
        double[] x = [double.NegativeInfinity, 0.5, 0.1];
        foreach (var r in new[] { FenchelYoungRegularizer.Softmax, FenchelYoungRegularizer.Sparsemax, FenchelYoungRegularizer.Entmax15 })
        {
            var g = new double[3];
            var result = FenchelYoung.Evaluate<double>(x, [0], 3, new FenchelYoungOptions { Regularizer = r }, g, default);
            Assert.True(double.IsPositiveInfinity(result.Value), $"{r}: {result.Value}");
            Assert.Equal(-1.0, g[0]);
            Assert.True(double.IsFinite(FenchelYoung.Evaluate<double>(x, [1], 3, new FenchelYoungOptions { Regularizer = r }, g, default).Value));
        }
    }

    [Fact]
    public void FloatInput_MatchesDouble()
    {
        const int n = 6, k = 40;
        double[] x = Reference.ToDouble(Reference.ToFloat(Reference.RandomLogits(412, n * k, 5.0)));
        int[] y = Reference.RandomLabels(413, n, k);
        foreach (var r in new[] { FenchelYoungRegularizer.Softmax, FenchelYoungRegularizer.Sparsemax, FenchelYoungRegularizer.Entmax15 })
        {
            var o = new FenchelYoungOptions { Regularizer = r };
            var gd = new double[n * k];
            var gf = new float[n * k];
            double d = FenchelYoung.Evaluate<double>(x, y, k, o, gd, default).Value;
            double f = FenchelYoung.Evaluate<float>(Reference.ToFloat(x), y, k, o, gf, default).Value;
            Assert.Equal(d, f, 12);
            ActivationReference.AllClose(gd, Reference.ToDouble(gf), 1e-7);
        }
    }

    [Fact]
    public void BadInputs_ThrowArgumentExceptionsNamingTheArgumentRowAndColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => FenchelYoung.Evaluate<double>([0.0, 1, 2, double.NaN], [0, 1], 2, null, default, default));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("input row 1, column 1 is NaN", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => FenchelYoung.Evaluate<double>([0.0, double.PositiveInfinity], [0], 2, null, default, default));
        Assert.Contains("input row 0, column 1", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => FenchelYoung.Evaluate<double>([double.NegativeInfinity, double.NegativeInfinity], [0], 2, null, default, default));
        Assert.Contains("input row 0 has no finite logit", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => FenchelYoung.Evaluate<double>([0.0, 1, 2, 3], [0, 2], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => FenchelYoung.Evaluate<double>([0.0, 1, 2, 3], [0.5, 0.5, 0.7, 0.7], 2, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets row 1 sums to", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => FenchelYoung.Evaluate<double>([0.0, 1], [0], 2,
            new FenchelYoungOptions { Regularizer = (FenchelYoungRegularizer)7 }, default, default));
    }
}
