using ClassLoss.Diagnostics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

/// <summary>
/// Issue 11 item 1, one shape for every loss: the shared options live on <see cref="LossOptions"/> and a loss refuses
/// the ones it does not take (never a silent no-op); the element-wise losses take N or N·K sample weights through the
/// same <c>sampleWeights</c> parameter (PyTorch's BCE <c>weight</c> of shape [N, 1] or [N, K]) and N or N·K losses;
/// one switch turns the sigmoid focal α off; every Evaluate names its arguments <c>input</c> and <c>targets</c>.
/// </summary>
public sealed class OneShapeForEveryLossTests
{
    private static double[] Random01(int seed, int length)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => rng.NextDouble()).ToArray();
    }

    private static double[] Logits(int seed, int length) => Random01(seed, length).Select(v => (v * 8) - 4).ToArray();

    [Fact]
    public void ASharedOptionALossDoesNotTake_IsAnErrorNamingTheOptionAndTheLoss()
    {
        double[] x = Logits(1, 6), t = Random01(2, 6);
        var weights = Assert.Throws<ArgumentException>(() =>
            SigmoidFocal.Evaluate<double>(x, t, 3, new SigmoidFocalOptions { ClassWeights = [1, 2, 3] }, default, default));
        Assert.Equal("ClassWeights", weights.ParamName);
        Assert.Contains("SigmoidFocal does not take it", weights.Message, StringComparison.Ordinal);

        var ignore = Assert.Throws<ArgumentException>(() =>
            SigmoidBinaryCrossEntropy.Evaluate<double>(x, t, 3, new SigmoidBinaryCrossEntropyOptions { IgnoreIndex = 0 }, default, default));
        Assert.Equal("IgnoreIndex", ignore.ParamName);

        var tolerance = Assert.Throws<ArgumentException>(() =>
            ZLoss.Evaluate<double>(x, 3, new ZLossOptions { TargetSumTolerance = 1e-3 }, default, default));
        Assert.Equal("TargetSumTolerance", tolerance.ParamName);

        // Setting one to its default value is still setting it: the loss says it has no such option.
        Assert.Throws<ArgumentException>(() =>
            SigmoidFocal.Evaluate<double>(x, t, 3, new SigmoidFocalOptions { IgnoreIndex = -100 }, default, default));
    }

    [Fact]
    public void TheSharedOptionsAreValidatedOnceForEveryLossThatTakesThem()
    {
        double[] x = Logits(3, 6);
        int[] y = [0, 2];
        foreach (Func<LossResult> call in new Func<LossResult>[]
        {
            () => SoftmaxCrossEntropy.Evaluate<double>(x, y, 3, new SoftmaxCrossEntropyOptions { ClassWeights = [1, -1, 1] }, default, default),
            () => NegativeLogLikelihood.Evaluate<double>(x, y, 3, new NegativeLogLikelihoodOptions { ClassWeights = [1, 1] }, default, default),
            () => MultiMarginHinge.Evaluate<double>(x, y, 3, new MultiMarginHingeOptions { ClassWeights = [1, double.NaN, 1] }, default, default),
        })
        {
            Assert.Equal("ClassWeights", Assert.Throws<ArgumentException>(() => call()).ParamName);
        }

        double[] t = [0.2, 0.3, 0.5, 0.1, 0.1, 0.8];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SoftmaxFocal.Evaluate<double>(x, t, 3, new SoftmaxFocalOptions { TargetSumTolerance = -1 }, default, default));
        Assert.Equal("TargetSumTolerance", e.ParamName);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.BatchMean)]
    public void ElementSampleWeights_WithBatchSize_AreTorchBceWeightOfShapeNK(Reduction reduction)
    {
        // PyTorch: F.binary_cross_entropy_with_logits(x, y, weight=w) with w of shape [N, K] is (w * l).mean() (or
        // .sum()), the mean over N·K elements whatever w is: WeightedMean.BatchSize. BatchMean divides the sum by N.
        const int n = 4, k = 3;
        double[] x = Logits(5, n * k), y = Random01(6, n * k), w = Random01(7, n * k);
        var elements = new double[n * k];
        SigmoidBinaryCrossEntropy.Evaluate<double>(x, y, k, new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.None }, default, elements);
        double weighted = elements.Select((l, j) => l * w[j]).Sum();
        double expected = reduction switch { Reduction.Mean => weighted / (n * k), Reduction.BatchMean => weighted / n, _ => weighted };

        var o = new SigmoidBinaryCrossEntropyOptions { Reduction = reduction, WeightedMean = SampleWeightedMean.BatchSize };
        var g = new double[n * k];
        var r = SigmoidBinaryCrossEntropy.Evaluate<double>(x, y, k, o, g, default, sampleWeights: w);
        Assert.Equal(expected, r.Value, 12);
        var check = GradientChecker.Check(v => SigmoidBinaryCrossEntropy.Evaluate<double>(v, y, k, o, default, default, sampleWeights: w).Value, x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");

        // Float runs the same weighted elements (the generic kernel weights them in double).
        float[] xf = x.Select(v => (float)v).ToArray(), yf = y.Select(v => (float)v).ToArray(), wf = w.Select(v => (float)v).ToArray();
        var rf = SigmoidBinaryCrossEntropy.Evaluate<float>(xf, yf, k, o, default, default, sampleWeights: wf);
        Assert.Equal(expected, rf.Value, 5);
    }

    [Fact]
    public void ElementSampleWeights_ByDefault_DivideByTheWeightSum_AsNpAverage()
    {
        // scikit-learn / NumPy: np.average(l, weights=w) over the N·K elements = Σ w l / Σ w.
        const int n = 3, k = 4;
        double[] p = Random01(8, n * k).Select(v => (0.9 * v) + 0.05).ToArray(), y = Random01(9, n * k).Select(v => Math.Round(v)).ToArray();
        double[] w = Random01(10, n * k);
        var elements = new double[n * k];
        BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, k, new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = Reduction.None }, default, elements);
        double expected = elements.Select((l, j) => l * w[j]).Sum() / w.Sum();

        var rowLosses = new double[n];
        var r = BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, k, null, default, rowLosses, sampleWeights: w);
        Assert.Equal(expected, r.Value, 12);
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int c = 0; c < k; c++)
            {
                row += elements[(i * k) + c] * w[(i * k) + c];
            }

            Assert.Equal(row, rowLosses[i], 12);
        }
    }

    [Fact]
    public void RowSampleWeights_BroadcastOverTheColumns_EqualTheirNKExpansion()
    {
        const int n = 5, k = 3;
        double[] x = Logits(11, n * k), y = Random01(12, n * k), s = Random01(13, n);
        double[] expanded = Enumerable.Range(0, n * k).Select(j => s[j / k]).ToArray();
        foreach (var mean in new[] { SampleWeightedMean.WeightSum, SampleWeightedMean.BatchSize })
        {
            var o = new SigmoidFocalOptions { WeightedMean = mean };
            double[] g1 = new double[n * k], g2 = new double[n * k];
            double a = SigmoidFocal.Evaluate<double>(x, y, k, o, g1, default, sampleWeights: s).Value;
            double b = SigmoidFocal.Evaluate<double>(x, y, k, o, g2, default, sampleWeights: expanded).Value;
            Assert.Equal(a, b, 12);
            for (int j = 0; j < g1.Length; j++)
            {
                Assert.Equal(g1[j], g2[j], 12);
            }
        }
    }

    [Fact]
    public void ElementSampleWeightsOnARowCoupledLoss_AreAnErrorNamingTheShapes()
    {
        double[] x = Logits(14, 6);
        int[] y = [0, 2];
        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(x, y, 3, null, default, default, sampleWeights: new double[6]));
        Assert.Equal("sampleWeights", e.ParamName);
        Assert.Contains("expected 2 (one per row)", e.Message, StringComparison.Ordinal);

        var bad = Assert.Throws<ArgumentException>(() =>
            SigmoidBinaryCrossEntropy.Evaluate<double>(x, Random01(15, 6), 3, null, default, default, sampleWeights: [1, 1, 1, 1, -1, 1]));
        Assert.Contains("sampleWeights row 1, column 1 is -1", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AZeroSampleWeight_DropsAnInfiniteLoss_InsteadOfMakingNaN()
    {
        // p = 0 with target 1 and no clamp is an infinite loss; a weight of 0 says the row does not count (as a zero
        // class weight does), so the result is the other row's loss, not 0 · ∞ = NaN.
        double[] p = [0.0, 0.5, 0.3, 0.6];
        double[] y = [1.0, 0.0, 1.0, 0.0];
        var o = new BinaryCrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.None, Reduction = Reduction.Sum };
        var g = new double[4];
        double rows = BinaryCrossEntropyFromProbabilities.Evaluate<double>(p, y, 2, o, g, default, sampleWeights: [0.0, 1.0]).Value;
        Assert.Equal(-Math.Log(0.3) - Math.Log(0.4), rows, 12);
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
        Assert.Equal(0, g[0]);

        var softmax = new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum };
        double[] z = [double.NegativeInfinity, 0, 1, 2];
        double ce = SoftmaxCrossEntropy.Evaluate<double>(z, [0, 1], 2, softmax, g, default, sampleWeights: [0.0, 2.0]).Value;
        Assert.Equal(2 * (Math.Log(Math.Exp(1) + Math.Exp(2)) - 2), ce, 12);
        Assert.Equal([0.0, 0.0], g[..2]);
    }

    [Fact]
    public void SigmoidFocal_WritesElementLosses_AsTorchvisionReductionNone()
    {
        const int n = 3, k = 4;
        double[] x = Logits(16, n * k), y = Random01(17, n * k);
        var elements = new double[n * k];
        var rows = new double[n];
        var o = new SigmoidFocalOptions { Reduction = Reduction.None };
        double total = SigmoidFocal.Evaluate<double>(x, y, k, o, default, elements).Value;
        SigmoidFocal.Evaluate<double>(x, y, k, o, default, rows);
        Assert.Equal(total, elements.Sum(), 12);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(rows[i], elements.Skip(i * k).Take(k).Sum(), 12);
        }

        // The float path (fused for row losses, generic for element losses) agrees.
        float[] xf = x.Select(v => (float)v).ToArray(), yf = y.Select(v => (float)v).ToArray();
        var ef = new float[n * k];
        SigmoidFocal.Evaluate<float>(xf, yf, k, o, default, ef);
        for (int j = 0; j < ef.Length; j++)
        {
            Assert.Equal(elements[j], ef[j], 5);
        }
    }

    [Fact]
    public void SigmoidFocal_HasOneSwitchForAlpha_ANegativeAlphaIsAnErrorNamingIt()
    {
        double[] x = Logits(18, 4), y = [1, 0, 0, 1];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SigmoidFocal.Evaluate<double>(x, y, 2, new SigmoidFocalOptions { Alpha = -1 }, default, default));
        Assert.Equal("Alpha", e.ParamName);
        Assert.Contains("ApplyClassBalancing = false", e.Message, StringComparison.Ordinal);

        // torchvision's alpha=-1 is ApplyClassBalancing = false, whatever α says.
        double off = SigmoidFocal.Evaluate<double>(x, y, 2, new SigmoidFocalOptions { ApplyClassBalancing = false, Alpha = 0.9 }, default, default).Value;
        double off2 = SigmoidFocal.Evaluate<double>(x, y, 2, new SigmoidFocalOptions { ApplyClassBalancing = false }, default, default).Value;
        Assert.Equal(off, off2, 15);
    }

    [Fact]
    public void EveryPublicEvaluate_NamesItsArgumentsInputTargetsClassesOptionsGradientLosses()
    {
        var methods = typeof(SoftmaxCrossEntropy).Assembly.GetTypes()
            .Where(t => t.IsPublic && t.Namespace == "ClassLoss.Losses" && t.IsAbstract && t.IsSealed)
            .SelectMany(t => t.GetMethods().Where(m => m.Name is "Evaluate" && m.DeclaringType == t))
            .Where(m => m.GetParameters()[0].ParameterType.GetGenericTypeDefinition() == typeof(ReadOnlySpan<>)) // the tensor twins: TensorOverloadTests
            .Where(m => m.DeclaringType != typeof(LinearCrossEntropy)) // a head, not a loss of logits: (hidden, weight, bias, targets, dimension, ...)
            .ToList();
        Assert.True(methods.Count >= 30, $"found {methods.Count} Evaluate methods");
        foreach (var m in methods)
        {
            string[] names = m.GetParameters().Select(p => p.Name!).ToArray();
            string where = $"{m.DeclaringType!.Name}.Evaluate({string.Join(", ", names)})";
            Assert.True(names[0] == "input", where);
            Assert.Contains("options", names);
            Assert.Contains("gradient", names);
            Assert.Contains("losses", names);
            Assert.Contains("classes", names);
            Assert.DoesNotContain("labels", names);
            Assert.DoesNotContain("rowLosses", names);
            Assert.DoesNotContain("elementWeights", names);
            if (m.DeclaringType != typeof(ZLoss) && m.DeclaringType != typeof(Entropy) && m.DeclaringType != typeof(SoftmaxEntropy))
            {
                Assert.True(names[1] == "targets", where);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SoftmaxMse_TakesAPerElementUpstreamGradient_AsTheVectorJacobianProductThroughTheSoftmax(bool labels)
    {
        // The issue's case: MSE on softmax with reduction='none' gives [N, K] losses coupled by the softmax, so an
        // upstream gradient of that shape cannot be applied entry by entry. L = Σ u_ic e_ic; the gradient must be ∂L/∂z.
        const int n = 3, k = 4;
        double[] z = Logits(20, n * k), u = Logits(21, n * k);
        int[] y = [1, -100, 3];
        double[] t = Random01(22, n * k);
        for (int i = 0; i < n; i++)
        {
            double sum = t.Skip(i * k).Take(k).Sum();
            for (int c = 0; c < k; c++)
            {
                t[(i * k) + c] /= sum;
            }
        }

        var o = new SoftmaxBrierScoreOptions { Reduction = Reduction.None };
        LossResult Run(double[] x, Span<double> g, Span<double> e) => labels
            ? SoftmaxBrierScore.Evaluate<double>(x, y, k, o, g, e, gradOutput: u)
            : SoftmaxBrierScore.Evaluate<double>(x, t, k, o, g, e, gradOutput: u);
        double L(double[] x)
        {
            var e = new double[n * k];
            Run(x, default, e);
            return e.Select((v, j) => v * u[j]).Sum();
        }

        var g = new double[n * k];
        var elements = new double[n * k];
        Run(z, g, elements);
        var check = GradientChecker.Check(L, z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");

        // The element losses sum to the row losses, and an ignored row is all zeros.
        var rows = new double[n];
        _ = labels ? SoftmaxBrierScore.Evaluate<double>(z, y, k, o, default, rows) : SoftmaxBrierScore.Evaluate<double>(z, t, k, o, default, rows);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(rows[i], elements.Skip(i * k).Take(k).Sum(), 12);
        }

        if (labels)
        {
            Assert.All(g.Skip(k).Take(k), v => Assert.Equal(0, v));
        }

        // Probabilities (no coupling) take it too, and a per-element upstream needs Reduction.None.
        double[] p = t;
        var gp = new double[n * k];
        BrierScoreFromProbabilities.Evaluate<double>(p, t, k, new BrierScoreFromProbabilitiesOptions { Reduction = Reduction.None }, gp, default, gradOutput: u);
        Assert.All(gp, v => Assert.Equal(0, v));
        Assert.Throws<ArgumentException>(() => SoftmaxBrierScore.Evaluate<double>(z, t, k, null, g, default, gradOutput: u));
    }

    [Fact]
    public void Entropy_OfProbabilities_HasTheOneShape_WithItsExactGradientAndSampleWeights()
    {
        // H(p) = -Σ p log p; ∂H/∂p_k = -(log p_k + 1) (the probabilities as free variables), +∞ at p = 0.
        double[] p = [0.2, 0.3, 0.5, 0.6, 0.1, 0.3];
        var g = new double[6];
        var o = new EntropyOptions { Reduction = Reduction.Sum, PredictionSumTolerance = double.NaN };
        Entropy.Evaluate<double>(p, 3, o, g, default);
        var check = GradientChecker.Check(v => Entropy.Evaluate<double>(v, 3, o, default, default).Value, p, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
        Entropy.Evaluate<double>([0.0, 1.0], 2, null, g.AsSpan(0, 2), default);
        Assert.Equal(double.PositiveInfinity, g[0]);

        // Sample weights (they were refused before): the weighted mean of the row entropies.
        var rows = new double[2];
        Entropy.Evaluate<double>(p, 3, new EntropyOptions { Reduction = Reduction.None }, default, rows);
        double weighted = Entropy.Evaluate<double>(p, 3, null, default, default, sampleWeights: [1.0, 3.0]).Value;
        Assert.Equal(((1 * rows[0]) + (3 * rows[1])) / 4, weighted, 12);
        double fromLogits = SoftmaxEntropy.Evaluate<double>([0.0, 1, 2, 3, 2, 1], 3, null, default, default, sampleWeights: [0.0, 1.0]).Value;
        Assert.Equal(SoftmaxEntropy.Evaluate<double>([3.0, 2, 1], 3, null, default, default).Value, fromLogits, 12);
    }
}
