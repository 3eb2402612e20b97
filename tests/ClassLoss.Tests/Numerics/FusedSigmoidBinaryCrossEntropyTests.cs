using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

public class FusedSigmoidBinaryCrossEntropyTests
{
    private static readonly float[] Special = [1e4f, -1e4f, 20f, -20f, 0f, 8.5f, -9.25f, 0.5f, -3f];

    private static (float[] X, float[] Y) Data(int length, int seed)
    {
        var rng = new Random(seed);
        var x = new float[length];
        var y = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (i % 3) switch
            {
                0 => Special[rng.Next(Special.Length)],
                1 => (float)(rng.NextDouble() * 40 - 20),
                _ => (float)(rng.NextDouble() * 6 - 3),
            };
            y[i] = (i % 4) switch
            {
                0 => 0f,
                1 => 1f,
                _ => (float)rng.NextDouble(),
            };
        }

        return (x, y);
    }

    /// <summary>The generic double kernel on the same (float) inputs: the reference.</summary>
    private static (double Value, double[] Gradient) Generic(float[] x, float[] y, int classes, SigmoidBinaryCrossEntropyOptions o)
    {
        var xd = Array.ConvertAll(x, v => (double)v);
        var yd = Array.ConvertAll(y, v => (double)v);
        var g = new double[x.Length];
        var r = SigmoidBinaryCrossEntropy.Evaluate<double>(xd, yd, classes, o, g, default);
        return (r.Value, g);
    }

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.Sum)]
    [InlineData(Reduction.BatchMean)]
    [InlineData(Reduction.None)]
    public void FloatPathMatchesDoubleKernelForEveryLengthUpTo100(Reduction reduction)
    {
        var o = new SigmoidBinaryCrossEntropyOptions { Reduction = reduction };
        for (int length = 1; length <= 100; length++)
        {
            int classes = length % 5 == 0 ? 5 : 1;
            var (x, y) = Data(length, 1000 + length);
            var (value, grad) = Generic(x, y, classes, o);
            var g = new float[length];
            var r = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, classes, o, g, default);
            double scale = Reducer.GradientScale(reduction, o.WhenEmpty, length, length / classes);
            Assert.True(Math.Abs(r.Value - value) <= 1e-6 * Math.Abs(value) + 1e-12, $"length {length}: {r.Value} vs {value}");
            for (int i = 0; i < length; i++)
            {
                Assert.True(Math.Abs(g[i] - grad[i]) <= 1e-6 * scale, $"length {length} element {i}: {g[i]} vs {grad[i]}");
            }
        }
    }

    [Fact]
    public void ConfidentCorrectLogitsKeepTheirTinyLossRelativeAccuracy()
    {
        // loss = log1p(exp(-|x|)) only: exercises the log1p correction where 1 + e rounds coarsely.
        float[] x = [9f, -9f, 12f, -15f, 16.5f, 30f, 8.4f, -10f, 11f];
        float[] y = [1f, 0f, 1f, 0f, 1f, 1f, 1f, 0f, 1f];
        var o = new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum };
        var (value, _) = Generic(x, y, 1, o);
        var r = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, o, default, default);
        Assert.True(Math.Abs(r.Value - value) <= 1e-6 * value, $"{r.Value} vs {value}");
        Assert.True(Math.Abs(SigmoidBinaryCrossEntropyKernel.Fused(x, y, 1, 1f, default, default, 1, out _) - value) <= 1e-6 * value);
    }

    [Fact]
    public void Log1pIsWithinAFewUlpOnZeroToOne()
    {
        double worst = 0;
        for (int i = 0; i <= 100000; i++)
        {
            float e = i == 0 ? 0f : MathF.Pow(2f, -40f * (i % 1000) / 1000f) * (1f - i / 200001f);
            double d = e;
            // independent reference: the double log where 1 + e keeps e's bits, the Taylor series below 1e-4
            double exact = d < 1e-4 ? d - d * d / 2 + d * d * d / 3 - d * d * d * d / 4 : Math.Log(1 + d);
            float got = VectorMath.Log1pOfUnit(e);
            worst = Math.Max(worst, exact == 0 ? Math.Abs(got) : Math.Abs(got - exact) / exact);
        }

        Assert.True(worst < 2e-7, $"worst relative error {worst}");
        Assert.Equal(0f, VectorMath.Log1pOfUnit(0f));
    }

    [Fact]
    public void Log1pVector_EqualsTheScalarTwinBitForBit_OnEveryWidth()
    {
        var values = new float[16 * 500];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i % 2 == 0 ? i / (float)values.Length : MathF.Pow(2f, -0.01f * i);
        }

        AssertTwin<V512>(values);
        AssertTwin<V256>(values);
        AssertTwin<V128>(values);
    }

    private static unsafe void AssertTwin<TV>(float[] values) where TV : struct, IVec<TV, float>
    {
        var got = new float[values.Length];
        fixed (float* v = values, g = got)
        {
            for (int i = 0; i < values.Length; i += TV.Count)
            {
                TV.Store(VectorMath.Log1pOfUnit(TV.Load(v + i)), g + i);
            }
        }

        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(VectorMath.Log1pOfUnit(values[i]), got[i]);
        }
    }

    [Fact]
    public void LargeBatchMatchesDoubleKernel()
    {
        var (x, y) = Data(4096 + 37, 7);
        var o = SigmoidBinaryCrossEntropyOptions.Default;
        var (value, grad) = Generic(x, y, 1, o);
        var g = new float[x.Length];
        var r = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, o, g, default);
        Assert.True(Math.Abs(r.Value - value) <= 1e-6 * value, $"{r.Value} vs {value}");
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(g[i] - grad[i]) <= 1e-6 / x.Length);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ManyBlocksMatchDoubleKernelAndAreBitIdenticalForAnyThreadCount(int threads)
    {
        // 300,001 elements: above the parallel threshold, several blocks, a ragged last chunk.
        var (x, y) = Data(300_001, 11);
        var o = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = threads };
        var one = new SigmoidBinaryCrossEntropyOptions();
        var g1 = new float[x.Length];
        var gt = new float[x.Length];
        var r1 = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, one, g1, default);
        var rt = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, o, gt, default);
        Assert.Equal(BitConverter.DoubleToInt64Bits(r1.Value), BitConverter.DoubleToInt64Bits(rt.Value));
        Assert.True(g1.AsSpan().SequenceEqual(gt));
        var (value, grad) = Generic(x, y, 1, one);
        Assert.True(Math.Abs(r1.Value - value) <= 1e-6 * value, $"{r1.Value} vs {value}");
        for (int i = 0; i < x.Length; i += 7)
        {
            Assert.True(Math.Abs(g1[i] - grad[i]) <= 1e-6 / x.Length, $"element {i}: {g1[i]} vs {grad[i]}");
        }
    }

    [Fact]
    public void SingleThreadCallAllocatesNothing()
    {
        var (x, y) = Data(4096, 5);
        var g = new float[x.Length];
        var o = SigmoidBinaryCrossEntropyOptions.Default;
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, o, g, default)));
    }

    [Fact]
    public void TwoThreadCallAllocatesNothingOnTheCallingThreadOnceWarm()
    {
        var (x, y) = Data(400_000, 6);
        var g = new float[x.Length];
        var o = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = 2 };
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, o, g, default)));
    }

    [Fact]
    public void ConcurrentCallersGetTheSameBitsAsOneCaller()
    {
        // Callers that find the workers busy run on their own thread; every result must still be identical.
        var (x, y) = Data(250_000, 8);
        var o = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = 2 };
        var reference = new float[x.Length];
        double expected = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, o, reference, default).Value;
        var results = new double[4];
        var grads = new float[4][];
        Parallel.For(0, 4, i =>
        {
            grads[i] = new float[x.Length];
            for (int rep = 0; rep < 3; rep++)
            {
                results[i] = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, o, grads[i], default).Value;
            }
        });
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(results[i]));
            Assert.True(reference.AsSpan().SequenceEqual(grads[i]));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void MaxDegreeOfParallelismBelowOneIsRejected(int value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = value });

    [Fact]
    public void NanLogitGivesNanLossAndNanGradient()
    {
        float[] x = [0.5f, float.NaN, -2f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f];
        var y = new float[x.Length];
        var g = new float[x.Length];
        var r = SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, null, g, default);
        Assert.True(double.IsNaN(r.Value));
        Assert.True(float.IsNaN(g[1]));
        Assert.False(float.IsNaN(g[0]));
    }

    [Theory]
    [InlineData(1, 1.5f)]
    [InlineData(17, -0.25f)]
    [InlineData(40, float.NaN)]
    [InlineData(63, 1.0000001f)]
    public void TargetOutsideUnitIntervalIsRejectedAtAnyPosition(int at, float bad)
    {
        var x = new float[64];
        var y = new float[64];
        y[at] = bad;
        var e = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 1, null, default, default));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains(FormattableString.Invariant($"row {at}"), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 299_999)]
    [InlineData(2, 150_017)]
    [InlineData(2, 0)]
    public void TargetOutsideUnitIntervalInALargeBatchIsRejectedWithItsRowAndColumn(int threads, int at)
    {
        const int classes = 100;
        var (x, y) = Data(300_000, 9);
        y[at] = -0.5f;
        var o = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = threads };
        var e = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, classes, o, new float[x.Length], default));
        Assert.Contains(FormattableString.Invariant($"row {at / classes}"), e.Message, StringComparison.Ordinal);
        Assert.Contains(FormattableString.Invariant($"column {at % classes}"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnitIntervalCheckAcceptsTheEndpoints()
    {
        Assert.True(SigmoidBinaryCrossEntropyKernel.InUnitInterval([0f, 1f, 0.5f, 0f, 1f, 1f, 0f, 0f, 1f, 0.25f, 1f, 0f, 1f, 1f, 0f, 0f, 1f, 0.75f]));
        Assert.False(SigmoidBinaryCrossEntropyKernel.InUnitInterval([0f, 1f, 0.5f, 0f, 1f, 1f, 0f, 0f, 1f, 0.25f, 1f, 0f, 1f, 1f, 0f, -0f, 1f, 2f]));
    }
}

public class SigmoidBinaryCrossEntropyInfiniteLogitTests
{
    [Fact]
    public void MaskedMinusInfinityLogitWithTargetZero_GivesZeroLossAndGradientInFloat()
    {
        // log(1 - σ(-∞)) = 0 exactly: a masked output that is (correctly) off costs nothing, in float as in double.
        float[] x = [float.NegativeInfinity, 0f, float.PositiveInfinity, 2f];
        float[] y = [0f, 1f, 1f, 0f];
        var g = new float[4];
        var r = ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 4,
            new ClassLoss.Losses.SigmoidBinaryCrossEntropyOptions { Reduction = ClassLoss.Losses.Reduction.Sum }, g, default);
        double expected = Math.Log(2) + (2 + Math.Log(1 + Math.Exp(-2))); // element 1: ln 2; element 3: softplus(2)
        Assert.Equal(expected, r.Value, 6);
        Assert.Equal(0f, g[0]);
        Assert.Equal(0f, g[2]);
    }

    [Fact]
    public void InfiniteLogitsWithHardTargets_MatchTheDoubleKernelOnVectorPathsToo()
    {
        // 70 elements: full vectors and a tail; ±inf on hard targets that agree with them cost exactly 0.
        const int n = 70;
        var x = new float[n];
        var y = new float[n];
        var rng = new Random(3);
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)(rng.NextDouble() * 8 - 4);
            y[i] = rng.Next(2);
            if (i % 7 == 0)
            {
                x[i] = y[i] == 0 ? float.NegativeInfinity : float.PositiveInfinity;
            }
        }

        var o = new ClassLoss.Losses.SigmoidBinaryCrossEntropyOptions { Reduction = ClassLoss.Losses.Reduction.Sum };
        var g = new float[n];
        double fast = ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, n, o, g, default).Value;
        var gd = new double[n];
        double exact = ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<double>(
            Array.ConvertAll(x, v => (double)v), Array.ConvertAll(y, v => (double)v), n, o, gd, default).Value;
        Assert.True(double.IsFinite(fast));
        Assert.Equal(exact, fast, 1e-5 * Math.Abs(exact));
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(gd[i], g[i], 1e-6);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300)]
    [InlineData(555)]
    public void OneNonFiniteLogitInALongRun_RedoesOnlyItsChunk_AndMatchesTheDoubleKernel(int at)
    {
        // 600 elements = chunks of 256 on the fast path; the chunk holding the non-finite logit is redone exactly.
        const int n = 600;
        float[] x = Reference.ToFloat(Reference.RandomLogits(91, n, 6.0));
        var y = new float[n];
        var rng = new Random(92);
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3 == 0 ? (float)rng.NextDouble() : rng.Next(2);
        }

        foreach (float bad in new[] { float.PositiveInfinity, float.NegativeInfinity, float.NaN })
        {
            foreach (float target in new[] { 0f, 1f, 0.25f })
            {
                x[at] = bad;
                y[at] = target;
                var o = new ClassLoss.Losses.SigmoidBinaryCrossEntropyOptions { Reduction = ClassLoss.Losses.Reduction.Sum };
                var g = new float[n];
                double fast = ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, n, o, g, default).Value;
                var gd = new double[n];
                double exact = ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<double>(
                    Array.ConvertAll(x, v => (double)v), Array.ConvertAll(y, v => (double)v), n, o, gd, default).Value;
                if (double.IsFinite(exact))
                {
                    Assert.Equal(exact, fast, 1e-6 * Math.Abs(exact));
                }
                else
                {
                    Assert.Equal(exact, fast); // +inf or NaN, the same kind
                }

                for (int i = 0; i < n; i++)
                {
                    if (double.IsNaN(gd[i]))
                    {
                        Assert.True(float.IsNaN(g[i]), $"x={bad} y={target}: gradient[{i}] {g[i]} vs NaN");
                    }
                    else
                    {
                        Assert.Equal(gd[i], g[i], 1e-6);
                    }
                }
            }
        }
    }

    [Fact]
    public void NegativeZeroTargets_AreValid_AndGiveWhatPositiveZeroGives()
    {
        // The in-pass range check reads target bits as unsigned, which flags -0; the exact recheck must let it through.
        const int n = 100;
        float[] x = Reference.ToFloat(Reference.RandomLogits(93, n, 4.0));
        var y = new float[n];
        var yNeg = new float[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 2;
            yNeg[i] = i % 2 == 0 ? -0f : 1f;
        }

        var o = new ClassLoss.Losses.SigmoidBinaryCrossEntropyOptions();
        var g = new float[n];
        var gNeg = new float[n];
        var a = ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<float>(x, y, 10, o, g, default);
        var b = ClassLoss.Losses.SigmoidBinaryCrossEntropy.Evaluate<float>(x, yNeg, 10, o, gNeg, default);
        Assert.Equal(a.Value, b.Value);
        Assert.True(g.AsSpan().SequenceEqual(gNeg));
    }
}
