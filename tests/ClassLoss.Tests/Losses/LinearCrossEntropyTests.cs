using System.Numerics;
using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

/// <summary>
/// The fused linear head (issue 13): against the naive path (logits materialised in double, our cross-entropy kernel,
/// the z-loss and the soft-cap's chain rule composed by hand, the three gradients by plain matrix products), both
/// ways (fused gradient, recompute), float against double, chunk and thread invariance, central differences, errors.
/// </summary>
public sealed class LinearCrossEntropyTests
{
    private sealed record Head(int N, int D, int V, double[] H, double[] W, double[] B, int[] Y);

    private static Head Random(int seed, int n, int d, int v, double scale = 1.0, int ignoreEvery = 0, bool bias = true)
    {
        double[] h = Reference.RandomLogits(seed, n * d, scale);
        double[] w = Reference.RandomLogits(seed + 1, v * d, scale);
        double[] b = bias ? Reference.RandomLogits(seed + 2, v, 0.5) : [];
        int[] y = Reference.RandomLabels(seed + 3, n, v);
        if (ignoreEvery > 0)
        {
            for (int i = 0; i < n; i += ignoreEvery)
            {
                y[i] = -100;
            }
        }

        return new Head(n, d, v, h, w, b, y);
    }

    private sealed record Outputs(LinearCrossEntropyResult Result, double[] DH, double[] DW, double[] DB, double[] Losses, double[] Lse);

    private static Outputs Fused(Head x, LinearCrossEntropyOptions o, double[]? sampleWeights = null, double[]? gradOutput = null)
    {
        var dh = new double[x.H.Length];
        var dw = new double[x.W.Length];
        var db = new double[x.B.Length];
        var losses = new double[x.N];
        var lse = new double[x.N];
        var r = LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, x.Y, x.D, o, dh, dw, db, losses, lse, sampleWeights, gradOutput);
        return new Outputs(r, dh, dw, db, losses, lse);
    }

    /// <summary>The naive path: Z = H Wᵀ + b in double, capped, <see cref="SoftmaxCrossEntropy"/> on it, the z-loss
    /// <c>s zs lse²</c> added (mean over Σ s of counted tokens), then ∂h = G W, ∂W = Gᵀ H, ∂b = Σ G.</summary>
    private static Outputs Naive(Head x, LinearCrossEntropyOptions o, double[]? sampleWeights = null, double[]? gradOutput = null)
    {
        int n = x.N, d = x.D, v = x.V;
        var z = new double[n * v];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < v; j++)
            {
                double s = x.B.Length > 0 ? x.B[j] : 0;
                for (int p = 0; p < d; p++)
                {
                    s += x.H[(i * d) + p] * x.W[(j * d) + p];
                }

                z[(i * v) + j] = o.SoftCap > 0 ? o.SoftCap * Math.Tanh(s / o.SoftCap) : s;
            }
        }

        var ceOptions = new SoftmaxCrossEntropyOptions
        {
            ClassWeights = o.ClassWeights, IgnoreIndex = o.IgnoreIndex, LabelSmoothing = o.LabelSmoothing,
            Reduction = o.Reduction, WhenEmpty = o.WhenEmpty,
        };
        var g = new double[n * v];
        var ceLosses = new double[n];
        var ce = SoftmaxCrossEntropy.Evaluate<double>(z, x.Y, v, ceOptions, g, ceLosses, sampleWeights, gradOutput);

        double counted = 0, zSum = 0;
        var lse = new double[n];
        var zLosses = new double[n];
        for (int i = 0; i < n; i++)
        {
            lse[i] = LogSumExp(z.AsSpan(i * v, v));
            if (x.Y[i] != o.IgnoreIndex)
            {
                double s = sampleWeights?[i] ?? 1.0;
                counted += s;
                zLosses[i] = s * o.ZLossScale * lse[i] * lse[i];
                zSum += zLosses[i];
            }
        }

        double zScale = o.Reduction == Reduction.Mean ? (counted == 0 ? 0 : 1 / counted) : o.Reduction == Reduction.BatchMean ? 1.0 / n : 1.0;
        for (int i = 0; i < n; i++)
        {
            if (x.Y[i] == o.IgnoreIndex)
            {
                continue;
            }

            double s = (sampleWeights?[i] ?? 1.0) * (gradOutput?[i] ?? 1.0);
            for (int j = 0; j < v; j++)
            {
                double p = Math.Exp(z[(i * v) + j] - lse[i]);
                g[(i * v) + j] += zScale * s * 2 * o.ZLossScale * lse[i] * p;
            }
        }

        if (o.SoftCap > 0)
        {
            for (int k = 0; k < g.Length; k++)
            {
                double t = z[k] / o.SoftCap;
                g[k] *= 1 - (t * t);
            }
        }

        var dh = new double[n * d];
        var dw = new double[v * d];
        var db = new double[x.B.Length];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < v; j++)
            {
                double gij = g[(i * v) + j];
                for (int p = 0; p < d; p++)
                {
                    dh[(i * d) + p] += gij * x.W[(j * d) + p];
                    dw[(j * d) + p] += gij * x.H[(i * d) + p];
                }

                if (db.Length > 0)
                {
                    db[j] += gij;
                }
            }
        }

        double zValue = o.Reduction == Reduction.Mean ? (counted == 0 ? 0 : zSum / counted) : o.Reduction == Reduction.BatchMean ? zSum / n : zSum;
        var losses = ceLosses.Select((l, i) => l + zLosses[i]).ToArray();
        var result = new LinearCrossEntropyResult(new LossResult(ce.Value + zValue, ce.Sum + zSum, ce.Denominator, n), zValue);
        return new Outputs(result, dh, dw, db, losses, lse);
    }

    private static double LogSumExp(ReadOnlySpan<double> z)
    {
        double max = double.NegativeInfinity;
        foreach (double x in z)
        {
            max = Math.Max(max, x);
        }

        double s = 0;
        foreach (double x in z)
        {
            s += Math.Exp(x - max);
        }

        return max + Math.Log(s);
    }

    private static void Close(double expected, double actual, double relative, string what)
    {
        double tolerance = relative * Math.Max(1.0, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance || (double.IsNaN(expected) && double.IsNaN(actual)) || expected == actual,
            $"{what}: expected {expected:R}, got {actual:R}");
    }

    private static void Close(double[] expected, double[] actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-300, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Max(scale, 1e-12) || expected[i] == actual[i],
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (scale {scale:R})");
        }
    }

    private static void SameAsNaive(Head x, LinearCrossEntropyOptions o, double[]? sampleWeights = null, double[]? gradOutput = null)
    {
        var naive = Naive(x, o, sampleWeights, gradOutput);
        foreach (var method in new[] { LinearCrossEntropyMethod.FusedGradient, LinearCrossEntropyMethod.Recompute })
        {
            var fused = Fused(x, o with { Method = method }, sampleWeights, gradOutput);
            string m = method.ToString();
            Close(naive.Result.Loss.Value, fused.Result.Loss.Value, 1e-9, $"{m} value");
            Close(naive.Result.Loss.Sum, fused.Result.Loss.Sum, 1e-9, $"{m} sum");
            Close(naive.Result.ZLoss, fused.Result.ZLoss, 1e-9, $"{m} z-loss");
            Assert.Equal(naive.Result.Loss.Denominator, fused.Result.Loss.Denominator, 12);
            Close(naive.Losses, fused.Losses, 1e-9, $"{m} losses");
            Close(naive.Lse, fused.Lse, 1e-9, $"{m} lse");
            Close(naive.DH, fused.DH, 1e-9, $"{m} dh");
            Close(naive.DW, fused.DW, 1e-9, $"{m} dw");
            Close(naive.DB, fused.DB, 1e-9, $"{m} db");
        }
    }

    [Theory]
    [InlineData(7, 5, 37, 3, 10)]
    [InlineData(16, 8, 50, 0, 0)]
    [InlineData(1, 3, 1, 1, 1)]
    [InlineData(9, 4, 129, 4, 64)]
    public void EqualsTheNaivePathInDouble_AtAnyChunking(int n, int d, int v, int chunkRows, int chunkVocabulary)
    {
        var x = Random(11 + n, n, d, v);
        SameAsNaive(x, new LinearCrossEntropyOptions { ChunkRows = chunkRows, ChunkVocabulary = chunkVocabulary });
    }

    [Fact]
    public void EqualsTheNaivePath_WithSmoothingClassWeightsIgnoreIndexAndZLoss()
    {
        var x = Random(21, 10, 6, 23, ignoreEvery: 3);
        double[] weights = Enumerable.Range(0, 23).Select(j => 0.25 + (j % 5 * 0.5)).ToArray();
        SameAsNaive(x, new LinearCrossEntropyOptions { LabelSmoothing = 0.1, ClassWeights = weights, ZLossScale = 1e-3, ChunkRows = 4, ChunkVocabulary = 7 });
    }

    [Fact]
    public void EqualsTheNaivePath_WithSoftCappingOfLargeLogits()
    {
        var x = Random(31, 8, 5, 19, scale: 20.0);
        SameAsNaive(x, new LinearCrossEntropyOptions { SoftCap = 30, ZLossScale = 1e-4, ChunkRows = 3, ChunkVocabulary = 8 });
    }

    [Fact]
    public void EqualsTheNaivePath_WithMaskedVocabularyEntries()
    {
        var x = Random(41, 6, 4, 17);
        for (int j = 3; j < 17; j += 4)
        {
            x.B[j] = double.NegativeInfinity;
        }

        for (int i = 0; i < x.N; i++)
        {
            if (x.Y[i] % 4 == 3)
            {
                x.Y[i] = 0;
            }
        }

        SameAsNaive(x, new LinearCrossEntropyOptions { ChunkRows = 2, ChunkVocabulary = 5 });
        var fused = Fused(x, LinearCrossEntropyOptions.Default);
        Assert.True(double.IsFinite(fused.Result.Loss.Value));
        Assert.All(fused.DB.Where((_, j) => j % 4 == 3), g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void EqualsTheNaivePath_UnreducedWithANonUniformUpstreamGradientAndSampleWeights()
    {
        var x = Random(51, 9, 5, 21, ignoreEvery: 4);
        double[] s = [1, 0.5, 2, 0, 1.5, 1, 3, 0.25, 1];
        double[] up = [0.3, -1.2, 2.5, 1, 0.1, -0.7, 1.9, 0.4, -2];
        SameAsNaive(x, new LinearCrossEntropyOptions { Reduction = Reduction.None, ZLossScale = 1e-3, LabelSmoothing = 0.05, ChunkRows = 4, ChunkVocabulary = 6 }, s, up);
        SameAsNaive(x, new LinearCrossEntropyOptions { ZLossScale = 1e-3, ChunkRows = 2 }, s);
    }

    [Fact]
    public void AllTokensIgnored_GiveTheEmptyMeanAndZeroGradients()
    {
        var x = Random(61, 5, 4, 9, ignoreEvery: 1);
        SameAsNaive(x, new LinearCrossEntropyOptions { ZLossScale = 1e-3 });
        var fused = Fused(x, LinearCrossEntropyOptions.Default);
        Assert.Equal(0.0, fused.Result.Loss.Value);
        Assert.All(fused.DH.Concat(fused.DW).Concat(fused.DB), g => Assert.Equal(0.0, g));
        var nan = Fused(x, new LinearCrossEntropyOptions { WhenEmpty = EmptyMean.NaN });
        Assert.True(double.IsNaN(nan.Result.Loss.Value));
    }

    [Fact]
    public void GradientsMatchCentralDifferences()
    {
        var x = Random(71, 3, 3, 7);
        var o = new LinearCrossEntropyOptions { LabelSmoothing = 0.1, ZLossScale = 0.01, SoftCap = 2.5, ChunkRows = 2, Method = LinearCrossEntropyMethod.Recompute, ChunkVocabulary = 3 };
        var f = Fused(x, o);
        double Value(double[] h, double[] w, double[] b) =>
            LinearCrossEntropy.Evaluate<double>(h, w, b, x.Y, x.D, o, default, default, default).Loss.Value;
        var ch = GradientChecker.Check(h => Value(h, x.W, x.B), x.H, f.DH, 1e-6);
        var cw = GradientChecker.Check(w => Value(x.H, w, x.B), x.W, f.DW, 1e-6);
        var cb = GradientChecker.Check(b => Value(x.H, x.W, b), x.B, f.DB, 1e-6);
        Assert.True(ch.Passes(f.DH, 1e-6, 1e-9), $"dh max rel error {ch.MaxRelativeError}");
        Assert.True(cw.Passes(f.DW, 1e-6, 1e-9), $"dw max rel error {cw.MaxRelativeError}");
        Assert.True(cb.Passes(f.DB, 1e-6, 1e-9), $"db max rel error {cb.MaxRelativeError}");
    }

    [Fact]
    public void FloatAgreesWithDouble()
    {
        var x = Random(81, 33, 24, 301, scale: 0.5, ignoreEvery: 5);
        var o = new LinearCrossEntropyOptions { LabelSmoothing = 0.1, ZLossScale = 1e-3, ChunkRows = 8 };
        var exact = Fused(x, o);
        foreach (var method in new[] { LinearCrossEntropyMethod.FusedGradient, LinearCrossEntropyMethod.Recompute })
        {
            var dh = new float[x.H.Length];
            var dw = new float[x.W.Length];
            var db = new float[x.B.Length];
            var r = LinearCrossEntropy.Evaluate<float>(Reference.ToFloat(x.H), Reference.ToFloat(x.W), Reference.ToFloat(x.B), x.Y, x.D,
                o with { Method = method, ChunkVocabulary = 64 }, dh, dw, db);
            Close(exact.Result.Loss.Value, r.Loss.Value, 2e-6, $"{method} value");
            Close(exact.DH, Reference.ToDouble(dh), 1e-5, $"{method} dh");
            Close(exact.DW, Reference.ToDouble(dw), 1e-5, $"{method} dw");
            Close(exact.DB, Reference.ToDouble(db), 1e-5, $"{method} db");
        }
    }

    private static (double Value, float[] DH, float[] DW, float[] DB) FloatRun(Head x, LinearCrossEntropyOptions o)
    {
        var dh = new float[x.H.Length];
        var dw = new float[x.W.Length];
        var db = new float[x.B.Length];
        var r = LinearCrossEntropy.Evaluate<float>(Reference.ToFloat(x.H), Reference.ToFloat(x.W), Reference.ToFloat(x.B), x.Y, x.D, o, dh, dw, db);
        return (r.Loss.Value, dh, dw, db);
    }

    [Fact]
    public void FusedGradient_IsBitIdenticalForAnyChunkSizeAndThreadCount()
    {
        // 64 x 96 x 700: each product is above the GEMM's two-thread threshold.
        var x = Random(91, 64, 96, 700, scale: 0.3, ignoreEvery: 7);
        var o = new LinearCrossEntropyOptions { LabelSmoothing = 0.05, ZLossScale = 1e-4 };
        var reference = FloatRun(x, o with { ChunkRows = 64 });
        foreach (var (chunk, threads) in new[] { (1, 1), (5, 1), (17, 2), (64, 2), (0, 2) })
        {
            var run = FloatRun(x, o with { ChunkRows = chunk, MaxDegreeOfParallelism = threads });
            Assert.Equal(reference.Value, run.Value);
            Assert.Equal(reference.DH, run.DH);
            Assert.Equal(reference.DW, run.DW);
            Assert.Equal(reference.DB, run.DB);
        }
    }

    [Fact]
    public void Recompute_IsBitIdenticalForAnyThreadCount_AndWithin1e6OfFusedForAnyBlocks()
    {
        var x = Random(101, 40, 64, 900, scale: 0.3);
        var fused = FloatRun(x, LinearCrossEntropyOptions.Default);
        var o = new LinearCrossEntropyOptions { Method = LinearCrossEntropyMethod.Recompute, ChunkRows = 16, ChunkVocabulary = 256 };
        var one = FloatRun(x, o);
        var two = FloatRun(x, o with { MaxDegreeOfParallelism = 2 });
        Assert.Equal(one.Value, two.Value);
        Assert.Equal(one.DW, two.DW);
        foreach (int block in new[] { 100, 256, 900 })
        {
            var run = FloatRun(x, o with { ChunkVocabulary = block });
            Close(fused.Value, run.Value, 1e-6, $"value, blocks of {block}");
            Close(Array.ConvertAll(fused.DW, f => (double)f), Array.ConvertAll(run.DW, f => (double)f), 1e-5, $"dw, blocks of {block}");
        }
    }

    private static void SixteenBitIsTheFloatPathOnWidenedValues<T>(Func<double, T> narrow, Func<T, float> widen)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = Random(131, 12, 16, 97, scale: 0.5, ignoreEvery: 5);
        T[] h = x.H.Select(narrow).ToArray(), w = x.W.Select(narrow).ToArray(), b = x.B.Select(narrow).ToArray();
        float[] hf = h.Select(widen).ToArray(), wf = w.Select(widen).ToArray(), bf = b.Select(widen).ToArray();
        var o = new LinearCrossEntropyOptions { LabelSmoothing = 0.1, ZLossScale = 1e-3, ChunkRows = 5 };
        T[] dh = new T[h.Length], dw = new T[w.Length], db = new T[b.Length];
        float[] dhf = new float[h.Length], dwf = new float[w.Length], dbf = new float[b.Length];
        var r16 = LinearCrossEntropy.Evaluate<T>(h, w, b, x.Y, x.D, o, dh, dw, db);
        var r32 = LinearCrossEntropy.Evaluate<float>(hf, wf, bf, x.Y, x.D, o, dhf, dwf, dbf);
        Assert.Equal(r32, r16);
        Assert.Equal(dhf.Select(v => narrow(v)), dh);
        Assert.Equal(dwf.Select(v => narrow(v)), dw);
        Assert.Equal(dbf.Select(v => narrow(v)), db);

        // Against float64 on the same (16-bit-rounded) inputs: the loss to float accuracy, each gradient entry to the
        // 16-bit format's rounding of a float-accurate value.
        var exact = Fused(new Head(x.N, x.D, x.V, hf.Select(v => (double)v).ToArray(), wf.Select(v => (double)v).ToArray(),
            bf.Select(v => (double)v).ToArray(), x.Y), o);
        Close(exact.Result.Loss.Value, r16.Loss.Value, 1e-5, "loss");
        double unit = typeof(T) == typeof(Half) ? 1.0 / 1024 : 1.0 / 128;
        Close(exact.DW, dw.Select(v => (double)widen(v)).ToArray(), unit, "dw");
        Close(exact.DH, dh.Select(v => (double)widen(v)).ToArray(), unit, "dh");
    }

    [Fact]
    public void BFloat16Input_IsTheFloatPathOnTheWidenedValues_GradientsRoundedOnce() =>
        SixteenBitIsTheFloatPathOnWidenedValues(v => (BFloat16)(float)v, v => (float)v);

    [Fact]
    public void HalfInput_IsTheFloatPathOnTheWidenedValues_GradientsRoundedOnce() =>
        SixteenBitIsTheFloatPathOnWidenedValues(v => (Half)v, v => (float)v);

    [Fact]
    public void ForwardOnly_WritesTheLossAndLogSumExpsWithoutGradients()
    {
        var x = Random(111, 6, 4, 13);
        var lse = new double[6];
        var r = LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, x.Y, x.D, null, default, default, default, default, lse);
        var naive = Naive(x, LinearCrossEntropyOptions.Default);
        Close(naive.Result.Loss.Value, r.Loss.Value, 1e-12, "value");
        Close(naive.Lse, lse, 1e-12, "lse");
    }

    [Fact]
    public void BadInput_IsAnArgumentExceptionNamingTheArgument()
    {
        var x = Random(121, 4, 3, 5);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, [0, 5, 1, 2], 3, null, default, default, default)).ParamName);
        Assert.Equal("hidden", Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H.AsSpan(1), x.W, x.B, x.Y, 3, null, default, default, default)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W.AsSpan(1), x.B, x.Y, 3, null, default, default, default)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B.AsSpan(1), x.Y, 3, null, default, default, default)).ParamName);
        Assert.Equal("weightGradient", Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, x.Y, 3, null, default, new double[3], default)).ParamName);
        Assert.Equal("sampleWeights", Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, x.Y, 3, null, default, default, default, sampleWeights: new double[] { 1, -1, 1, 1 })).ParamName);
        Assert.Equal("gradOutput", Assert.Throws<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, x.Y, 3, null, default, default, default, gradOutput: new double[] { 1, 1, 1, 1 })).ParamName);
        Assert.ThrowsAny<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, x.Y, 3, new LinearCrossEntropyOptions { SoftCap = -1 }, default, default, default));
        Assert.ThrowsAny<ArgumentException>(() => LinearCrossEntropy.Evaluate<double>(x.H, x.W, x.B, x.Y, 3, new LinearCrossEntropyOptions { ClassWeights = [1, 2] }, default, default, default));
    }
}
