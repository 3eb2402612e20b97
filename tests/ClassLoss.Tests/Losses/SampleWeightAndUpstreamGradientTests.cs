using ClassLoss.Diagnostics;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

/// <summary>
/// Sample weights and upstream gradients (issue 11, items 2 and 3), applied once by the driver for every loss: the
/// weighted value and gradient equal the compositions users write by hand today (PyTorch's
/// <c>(loss * w).sum() / w.sum()</c>, Keras's <c>sum_over_batch_size</c>), the VJP equals the weighted sum's gradient,
/// the fused float path agrees with the double path, and bad weights or upstream gradients are errors naming what is
/// wrong.
/// </summary>
public sealed class SampleWeightAndUpstreamGradientTests
{
    /// <summary>One public Evaluate of double, as the tests call it.</summary>
    private delegate LossResult Loss(double[] x, int k, Reduction reduction, SampleWeightedMean mean, Span<double> g, Span<double> losses,
        ReadOnlySpan<double> s, ReadOnlySpan<double> up);

    private const int N = 6, K = 5;

    private static readonly int[] Labels = [0, 4, 2, -100, 1, 3];

    private static double[] Logits(int seed, int length)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (rng.NextDouble() * 6) - 3).ToArray();
    }

    private static double[] SoftTargets(int seed)
    {
        var rng = new Random(seed);
        var t = new double[N * K];
        for (int i = 0; i < N; i++)
        {
            double sum = 0;
            for (int c = 0; c < K; c++)
            {
                sum += t[(i * K) + c] = rng.NextDouble() + 0.05;
            }

            for (int c = 0; c < K; c++)
            {
                t[(i * K) + c] /= sum;
            }
        }

        return t;
    }

    private static double[] Bits(int seed) => Enumerable.Range(0, N * K).Select(i => (double)new Random(seed + i).Next(2)).ToArray();

    private static double[] Probabilities(int seed) => SoftTargets(seed);

    private static readonly double[] ClassWeights = [1.0, 2.0, 0.5, 1.5, 3.0];

    /// <summary>Every row-wise family through its public API, with the options each needs.</summary>
    public static TheoryData<string> Families() =>
    [
        "ce-labels", "ce-labels-weighted-smoothed", "ce-soft", "nll", "focal-labels", "focal-soft", "poly", "multimargin",
        "brier-labels", "softmax-brier", "sigmoid-bce", "bce-probabilities", "sigmoid-focal", "kl", "zloss", "sparsemax",
        "categorical-hinge", "asymmetric", "multilabel-soft-margin",
    ];

    private static Loss Family(string name)
    {
        double[] soft = SoftTargets(11), bits = Bits(12), logProbs = SoftTargets(13).Select(v => Math.Log(v)).ToArray();
        return name switch
        {
            "ce-labels" => (x, k, r, m, g, l, s, u) => SoftmaxCrossEntropy.Evaluate<double>(x, Labels, k, new SoftmaxCrossEntropyOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "ce-labels-weighted-smoothed" => (x, k, r, m, g, l, s, u) => SoftmaxCrossEntropy.Evaluate<double>(x, Labels, k,
                new SoftmaxCrossEntropyOptions { Reduction = r, WeightedMean = m, ClassWeights = ClassWeights, LabelSmoothing = 0.1 }, g, l, s, u),
            "ce-soft" => (x, k, r, m, g, l, s, u) => SoftmaxCrossEntropy.Evaluate<double>(x, soft, k, new SoftmaxCrossEntropyOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "nll" => (x, k, r, m, g, l, s, u) => NegativeLogLikelihood.Evaluate<double>(x, Labels, k, new NegativeLogLikelihoodOptions { Reduction = r, WeightedMean = m, ClassWeights = ClassWeights }, g, l, s, u),
            "focal-labels" => (x, k, r, m, g, l, s, u) => SoftmaxFocal.Evaluate<double>(x, Labels, k, new SoftmaxFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "focal-soft" => (x, k, r, m, g, l, s, u) => SoftmaxFocal.Evaluate<double>(x, soft, k, new SoftmaxFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "poly" => (x, k, r, m, g, l, s, u) => SoftmaxPoly1.Evaluate<double>(x, Labels, k, new SoftmaxPoly1Options { Reduction = r, WeightedMean = m }, g, l, s, u),
            "multimargin" => (x, k, r, m, g, l, s, u) => MultiMarginHinge.Evaluate<double>(x, [0, 4, 2, 3, 1, 3], k, new MultiMarginHingeOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "brier-labels" => (x, k, r, m, g, l, s, u) => BrierScoreFromProbabilities.Evaluate<double>(Softmax(x), [0, 4, 2, 3, 1, 3], k, new BrierScoreFromProbabilitiesOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "softmax-brier" => (x, k, r, m, g, l, s, u) => SoftmaxBrierScore.Evaluate<double>(x, soft, k, new SoftmaxBrierScoreOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "sigmoid-bce" => (x, k, r, m, g, l, s, u) => SigmoidBinaryCrossEntropy.Evaluate<double>(x, bits, k, new SigmoidBinaryCrossEntropyOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "bce-probabilities" => (x, k, r, m, g, l, s, u) => BinaryCrossEntropyFromProbabilities.Evaluate<double>(Sigmoid(x), bits, k, new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "sigmoid-focal" => (x, k, r, m, g, l, s, u) => SigmoidFocal.Evaluate<double>(x, bits, k, new SigmoidFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "kl" => (x, k, r, m, g, l, s, u) => KlDivergence.Evaluate<double>(logProbs, soft, k, new KlDivergenceOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "zloss" => (x, k, r, m, g, l, s, u) => ZLoss.Evaluate<double>(x, k, new ZLossOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "sparsemax" => (x, k, r, m, g, l, s, u) => SparsemaxLoss.Evaluate<double>(x, [0, 4, 2, 3, 1, 3], k, new SparsemaxLossOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "categorical-hinge" => (x, k, r, m, g, l, s, u) => CategoricalHinge.Evaluate<double>(x, [0, 4, 2, 3, 1, 3], k, new CategoricalHingeOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "asymmetric" => (x, k, r, m, g, l, s, u) => SigmoidAsymmetricFocal.Evaluate<double>(x, bits, k, new SigmoidAsymmetricFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "multilabel-soft-margin" => (x, k, r, m, g, l, s, u) => MultiLabelSoftMargin.Evaluate<double>(x, bits, k, new MultiLabelSoftMarginOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    private static double[] Softmax(double[] x)
    {
        var p = new double[x.Length];
        for (int i = 0; i < x.Length / K; i++)
        {
            double m = x.Skip(i * K).Take(K).Max(), sum = 0;
            for (int c = 0; c < K; c++)
            {
                sum += p[(i * K) + c] = Math.Exp(x[(i * K) + c] - m);
            }

            for (int c = 0; c < K; c++)
            {
                p[(i * K) + c] /= sum;
            }
        }

        return p;
    }

    private static double[] Sigmoid(double[] x) => x.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();

    private static readonly double[] Weights = [0.5, 2.0, 0.0, 1.5, 1.0, 3.0];

    [Theory]
    [MemberData(nameof(Families))]
    public void WeightedSumIsTheSumOfWeightedRowLosses_AndItsGradientScalesEachRow(string name)
    {
        var loss = Family(name);
        double[] x = Logits(1, N * K);
        var rows = new double[N];
        var g = new double[N * K];
        loss(x, K, Reduction.Sum, SampleWeightedMean.WeightSum, g, rows, default, default);

        var weightedRows = new double[N];
        var wg = new double[N * K];
        var weighted = loss(x, K, Reduction.Sum, SampleWeightedMean.WeightSum, wg, weightedRows, Weights, default);

        double expected = 0;
        for (int i = 0; i < N; i++)
        {
            expected += Weights[i] * rows[i];
            Assert.Equal(Weights[i] * rows[i], weightedRows[i], 12);
            for (int c = 0; c < K; c++)
            {
                Assert.Equal(Weights[i] * g[(i * K) + c], wg[(i * K) + c], 12);
            }
        }

        Assert.Equal(expected, weighted.Value, 10);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void WeightedMeanDividesByTheCountedWeight_OrByTheUnweightedCountForKeras(string name)
    {
        var loss = Family(name);
        double[] x = Logits(2, N * K);
        var plain = loss(x, K, Reduction.Mean, SampleWeightedMean.WeightSum, default, default, default, default);
        var sum = loss(x, K, Reduction.Sum, SampleWeightedMean.WeightSum, default, default, Weights, default);

        // The unweighted mean's denominator counts d_i per row (1, a class weight, 0 when ignored, K per element);
        // a uniform weight c must scale it by c: the weighted mean of a constant weight is the plain mean.
        double[] constant = Enumerable.Repeat(2.5, N).ToArray();
        var uniform = loss(x, K, Reduction.Mean, SampleWeightedMean.WeightSum, default, default, constant, default);
        Assert.Equal(plain.Value, uniform.Value, 10);
        Assert.Equal(plain.Denominator * 2.5, uniform.Denominator, 10);

        // Keras: the same weighted sum over the unweighted denominator.
        var keras = loss(x, K, Reduction.Mean, SampleWeightedMean.BatchSize, default, default, Weights, default);
        Assert.Equal(sum.Value / plain.Denominator, keras.Value, 10);

        // PyTorch's composition: the weighted sum over the weighted count.
        var torch = loss(x, K, Reduction.Mean, SampleWeightedMean.WeightSum, default, default, Weights, default);
        Assert.Equal(sum.Value / torch.Denominator, torch.Value, 10);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void WeightedMeanGradientMatchesCentralDifferences(string name)
    {
        var loss = Family(name);
        double[] x = Logits(3, N * K);
        var g = new double[N * K];
        loss(x, K, Reduction.Mean, SampleWeightedMean.WeightSum, g, default, Weights, default);
        var check = GradientChecker.Check(p => loss(p, K, Reduction.Mean, SampleWeightedMean.WeightSum, default, default, Weights, default).Value, x, g);
        if (name is "kl" or "bce-probabilities" or "brier-labels")
        {
            return; // their input is not x (log-probabilities, probabilities made from x): covered by the identities above
        }

        Assert.True(check.Passes(g, 1e-6, 1e-8), $"{name}: max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void UpstreamGradientGivesTheVectorJacobianProductOfTheRowLosses(string name)
    {
        var loss = Family(name);
        double[] x = Logits(4, N * K);
        double[] upstream = [0.3, -1.2, 2.0, 0.0, -0.5, 1.0];
        var plain = new double[N * K];
        loss(x, K, Reduction.None, SampleWeightedMean.WeightSum, plain, default, default, default);
        var vjp = new double[N * K];
        var rows = new double[N];
        var result = loss(x, K, Reduction.None, SampleWeightedMean.WeightSum, vjp, rows, default, upstream);
        var unweightedRows = new double[N];
        loss(x, K, Reduction.None, SampleWeightedMean.WeightSum, default, unweightedRows, default, default);
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(unweightedRows[i], rows[i], 12); // the upstream gradient does not change the losses
            for (int c = 0; c < K; c++)
            {
                Assert.Equal(upstream[i] * plain[(i * K) + c], vjp[(i * K) + c], 12);
            }
        }

        Assert.Equal(unweightedRows.Sum(), result.Value, 10);
    }

    [Fact]
    public void UpstreamGradientPerElementOfAnElementwiseLossScalesEachElement()
    {
        double[] x = Logits(5, N * K), t = Bits(6), upstream = Logits(7, N * K);
        var plain = new double[N * K];
        var none = new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.None };
        SigmoidBinaryCrossEntropy.Evaluate<double>(x, t, K, none, plain, default);
        var vjp = new double[N * K];
        SigmoidBinaryCrossEntropy.Evaluate<double>(x, t, K, none, vjp, new double[N * K], default, upstream);
        for (int at = 0; at < x.Length; at++)
        {
            Assert.Equal(upstream[at] * plain[at], vjp[at], 12);
        }
    }

    [Fact]
    public void UpstreamGradientPerElementOfACoupledLossIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(Logits(8, N * K), Labels, K,
            new SoftmaxCrossEntropyOptions { Reduction = Reduction.None }, new double[N * K], default, default, new double[N * K]));
        Assert.Contains("gradOutput has length 30; expected 6 (one per row", e.Message, StringComparison.Ordinal);
        Assert.Equal("gradOutput", e.ParamName);
    }

    [Fact]
    public void UpstreamGradientWithAReductionIsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(Logits(8, N * K), Labels, K,
            null, new double[N * K], default, default, new double[N]));
        Assert.Contains("needs Reduction.None", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1.0, "sampleWeights[2] is -1; a sample weight must be finite and >= 0.")]
    [InlineData(double.NaN, "sampleWeights[2] is NaN; a sample weight must be finite and >= 0.")]
    [InlineData(double.PositiveInfinity, "sampleWeights[2] is Infinity; a sample weight must be finite and >= 0.")]
    public void BadSampleWeightIsAnErrorNamingItsRow(double bad, string message)
    {
        double[] s = [1, 1, bad, 1, 1, 1];
        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(Logits(9, N * K), Labels, K, null, default, default, s));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.Equal("sampleWeights", e.ParamName);
    }

    [Fact]
    public void SampleWeightsOfTheWrongLengthAreAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<double>(Logits(9, N * K), Labels, K, null, default, default, new double[N + 1]));
        Assert.StartsWith("sampleWeights has length 7; expected 6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KerasCategoricalCrossentropyDocstringWithSampleWeight_Is0Point814()
    {
        // keras.losses.CategoricalCrossentropy docstring: y_true [[0,1,0],[0,0,1]], y_pred [[0.05,0.95,0],[0.1,0.8,0.1]],
        // cce(y_true, y_pred, sample_weight=[0.3, 0.7]) gives 0.814 (sum_over_batch_size: (0.3·0.0513 + 0.7·2.3026) / 2).
        double[] p = [0.05, 0.95, 0, 0.1, 0.8, 0.1];
        double[] t = [0, 1, 0, 0, 0, 1];
        var keras = CrossEntropyFromProbabilities.Evaluate<double>(p, t, 3,
            new CrossEntropyFromProbabilitiesOptions { Clamp = ProbabilityClamp.KerasClip, WeightedMean = SampleWeightedMean.BatchSize }, default, default, [0.3, 0.7]);
        Assert.Equal(0.814, keras.Value, 3);
    }

    [Fact]
    public void SklearnLogLossWithSampleWeightIsTheWeightedAverage()
    {
        // sklearn.metrics.log_loss(y_true, y_pred, sample_weight=w) is np.average(row losses, weights=w).
        double[] p = [0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65];
        int[] y = [0, 1, 1, 0]; // scikit-learn's docstring example rows ("spam"/"ham"), here as class indices
        double[] w = [1, 2, 3, 4];
        var rows = new double[4];
        CrossEntropyFromProbabilities.Evaluate<double>(p, y, 2, new CrossEntropyFromProbabilitiesOptions { Reduction = Reduction.None }, default, rows);
        double average = rows.Zip(w, (l, s) => l * s).Sum() / w.Sum();
        Assert.Equal(average, CrossEntropyFromProbabilities.Evaluate<double>(p, y, 2, null, default, default, w).Value, 12);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(1000)]
    public void FusedFloatPathWithWeightsAgreesWithDouble(int k)
    {
        int n = 37;
        var rng = new Random(k);
        float[] x = Enumerable.Range(0, n * k).Select(_ => (float)((rng.NextDouble() * 8) - 4)).ToArray();
        int[] y = Enumerable.Range(0, n).Select(_ => rng.Next(k)).ToArray();
        float[] s = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() * 2).ToArray();
        var gf = new float[n * k];
        var gu = new float[n * k];
        var gd = new double[n * k];
        var options = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, MaxDegreeOfParallelism = 2, Reduction = Reduction.Sum };
        var f = SoftmaxCrossEntropy.Evaluate<float>(x, y, k, options, gf, default, s);
        SoftmaxCrossEntropy.Evaluate<float>(x, y, k, options, gu, default);
        var d = SoftmaxCrossEntropy.Evaluate<double>(x.Select(v => (double)v).ToArray(), y, k, options, gd, default, s.Select(v => (double)v).ToArray());
        Assert.Equal(1.0, f.Value / d.Value, 6);

        // The weighted float gradient is the fused kernel's gradient times the row's weight, rounded once more.
        for (int at = 0; at < gf.Length; at++)
        {
            float expected = (float)(gu[at] * (double)s[at / k]);
            Assert.True(Math.Abs(gf[at] - expected) <= 6e-8 * Math.Abs(expected), $"gradient[{at}]: {gf[at]} vs {expected}");
        }
    }

    [Fact]
    public void GaussianNllVarianceGradientIsWeightedToo()
    {
        double[] x = Logits(20, N * K), t = Logits(21, N * K), v = Logits(22, N * K).Select(a => Math.Abs(a) + 0.1).ToArray();
        var gv = new double[N * K];
        var wgv = new double[N * K];
        var sum = new GaussianNegativeLogLikelihoodOptions { Reduction = Reduction.Sum };
        GaussianNegativeLogLikelihood.Evaluate<double>(x, t, v, K, sum, default, gv, default);
        GaussianNegativeLogLikelihood.Evaluate<double>(x, t, v, K, sum, default, wgv, default, Weights);
        for (int at = 0; at < gv.Length; at++)
        {
            Assert.Equal(Weights[at / K] * gv[at], wgv[at], 12);
        }
    }

    [Fact]
    public void WeightedCallAllocatesNothingOnceWarm()
    {
        float[] x = new float[64 * 10];
        int[] y = new int[64];
        float[] s = Enumerable.Repeat(0.5f, 64).ToArray();
        var g = new float[x.Length];
        for (int i = 0; i < 3; i++)
        {
            SoftmaxCrossEntropy.Evaluate<float>(x, y, 10, null, g, default, s);
        }

        Assert.Equal(0, ClassLoss.Tests.Numerics.AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<float>(x, y, 10, null, g, default, s)));
    }

    /// <summary>A fused float family: (logits, k, options reduction, gradient, losses, sample weights).</summary>
    private delegate LossResult FloatLoss(float[] x, int k, Reduction reduction, Span<float> g, Span<float> losses, ReadOnlySpan<float> s);

    public static TheoryData<string, int> FusedFamilies()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "ce", "ce-smoothed", "ce-soft", "focal", "focal-soft", "sigmoid-bce", "sigmoid-focal" })
        {
            foreach (int k in new[] { 10, 100 })
            {
                data.Add(name, k);
            }
        }

        return data;
    }

    private static FloatLoss FusedFamily(string name, int n, int k)
    {
        var rng = new Random(k + name.Length);
        int[] y = Enumerable.Range(0, n).Select(i => i % 9 == 4 ? -100 : rng.Next(k)).ToArray();
        float[] soft = new float[n * k];
        for (int i = 0; i < n; i++)
        {
            float sum = 0;
            for (int c = 0; c < k; c++)
            {
                sum += soft[(i * k) + c] = (float)rng.NextDouble() + 0.01f;
            }

            for (int c = 0; c < k; c++)
            {
                soft[(i * k) + c] /= sum;
            }
        }

        float[] bits = Enumerable.Range(0, n * k).Select(_ => (float)rng.Next(2)).ToArray();
        return name switch
        {
            "ce" => (x, kk, r, g, l, s) => SoftmaxCrossEntropy.Evaluate<float>(x, y, kk, new SoftmaxCrossEntropyOptions { Reduction = r, MaxDegreeOfParallelism = 2 }, g, l, s),
            "ce-smoothed" => (x, kk, r, g, l, s) => SoftmaxCrossEntropy.Evaluate<float>(x, y, kk, new SoftmaxCrossEntropyOptions { Reduction = r, LabelSmoothing = 0.1 }, g, l, s),
            "ce-soft" => (x, kk, r, g, l, s) => SoftmaxCrossEntropy.Evaluate<float>(x, soft, kk, new SoftmaxCrossEntropyOptions { Reduction = r }, g, l, s),
            "focal" => (x, kk, r, g, l, s) => SoftmaxFocal.Evaluate<float>(x, y, kk, new SoftmaxFocalOptions { Reduction = r }, g, l, s),
            "focal-soft" => (x, kk, r, g, l, s) => SoftmaxFocal.Evaluate<float>(x, soft, kk, new SoftmaxFocalOptions { Reduction = r }, g, l, s),
            "sigmoid-bce" => (x, kk, r, g, l, s) => SigmoidBinaryCrossEntropy.Evaluate<float>(x, bits, kk, new SigmoidBinaryCrossEntropyOptions { Reduction = r, MaxDegreeOfParallelism = 2 }, g, l, s),
            "sigmoid-focal" => (x, kk, r, g, l, s) => SigmoidFocal.Evaluate<float>(x, bits, kk, new SigmoidFocalOptions { Reduction = r }, g, l, s),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    [Theory]
    [MemberData(nameof(FusedFamilies))]
    public void FusedFloatKernelsTakeSampleWeightsAsTheRowScaledUnweightedCall(string name, int k)
    {
        const int n = 37;
        var loss = FusedFamily(name, n, k);
        var rng = new Random(5);
        float[] x = Enumerable.Range(0, n * k).Select(_ => (float)((rng.NextDouble() * 10) - 5)).ToArray();
        float[] s = Enumerable.Range(0, n).Select(i => i % 5 == 0 ? 0f : (float)(rng.NextDouble() * 3)).ToArray();
        var g = new float[n * k];
        var rows = new float[n];
        loss(x, k, Reduction.Sum, g, rows, default);
        var wg = new float[n * k];
        var weighted = loss(x, k, Reduction.Sum, wg, default, s);
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            expected += s[i] * (double)rows[i];
            for (int c = 0; c < k; c++)
            {
                float want = (float)(g[(i * k) + c] * (double)s[i]);
                Assert.True(Math.Abs(wg[(i * k) + c] - want) <= 1.2e-7 * Math.Abs(want), $"{name}: gradient row {i}, column {c}: {wg[(i * k) + c]} vs {want}");
            }
        }

        Assert.True(double.IsFinite(weighted.Value));
        Assert.Equal(1.0, weighted.Value / expected, 5);
    }
}
