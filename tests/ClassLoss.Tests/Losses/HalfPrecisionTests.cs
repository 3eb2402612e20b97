using System.Numerics;
using System.Runtime.CompilerServices;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Losses;

/// <summary>
/// Half and BFloat16 inputs through the public API (docs/numerics.md, "Half and BFloat16 inputs"): the fused path's
/// accuracy against float64 on the same 16-bit values, compared with what accumulating in bf16 gives; and the options no
/// fused kernel covers, which run the generic kernel in double and write the gradient rounded once to the input's type.
/// (The bit-for-bit equality of the fused path with the float path is <c>Numerics/FusedSixteenBitTests</c>.)
/// </summary>
public class HalfPrecisionTests
{
    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static T[] Round<T>(IEnumerable<double> values) where T : IFloatingPointIeee754<T> => [.. values.Select(T.CreateTruncating)];

    private static double[] Widen<T>(T[] values) where T : IFloatingPointIeee754<T> => [.. values.Select(double.CreateTruncating)];

    private static ushort Bits<T>(T value) where T : unmanaged => Unsafe.As<T, ushort>(ref value);

    /// <summary>Mean CE of class-index rows, in double throughout (max-shifted log-sum-exp).</summary>
    private static double ExactCrossEntropy(double[] z, int[] y, int k)
    {
        double total = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                max = Math.Max(max, z[(i * k) + c]);
            }

            double s = 0;
            for (int c = 0; c < k; c++)
            {
                s += Math.Exp(z[(i * k) + c] - max);
            }

            total += max + Math.Log(s) - z[(i * k) + y[i]];
        }

        return total / y.Length;
    }

    /// <summary>
    /// The same mean computed the way a framework that keeps bf16 end to end does: the exponentials and their running sum
    /// in bf16 (each addition rounded to bf16), the row loss and the mean rounded to bf16.
    /// </summary>
    private static double NaiveBFloat16CrossEntropy(BFloat16[] z, int[] y, int k)
    {
        var total = BFloat16.Zero;
        for (int i = 0; i < y.Length; i++)
        {
            var max = BFloat16.NegativeInfinity;
            for (int c = 0; c < k; c++)
            {
                max = z[(i * k) + c] > max ? z[(i * k) + c] : max;
            }

            var s = BFloat16.Zero;
            for (int c = 0; c < k; c++)
            {
                s += (BFloat16)MathF.Exp((float)(z[(i * k) + c] - max));
            }

            total += max + (BFloat16)MathF.Log((float)s) - z[(i * k) + y[i]];
        }

        return (float)(total / (BFloat16)(float)y.Length);
    }

    [Fact]
    public void BFloat16CrossEntropy_AtK32000_IsAccurateToFloat64_WhereBFloat16AccumulationIsNot()
    {
        const int n = 6, k = 32000;
        var rng = new Random(32000);
        BFloat16[] z = Round<BFloat16>(Enumerable.Range(0, n * k).Select(_ => 2 * Normal(rng)));
        int[] y = [.. Enumerable.Range(0, n).Select(_ => rng.Next(k))];
        double exact = ExactCrossEntropy(Widen(z), y, k); // the loss of these very bf16 values, in float64
        var g = new BFloat16[n * k];

        double ours = SoftmaxCrossEntropy.Evaluate<BFloat16>(z, y, k, null, g, default).Value;
        double naive = NaiveBFloat16CrossEntropy(z, y, k);
        double onGrid = (float)(BFloat16)exact; // the exact loss itself rounded to bf16, as a bf16-valued loss reports it

        Assert.True(Math.Abs(ours - exact) <= 1e-6 * exact, $"fused bf16 path {ours:R} vs float64 {exact:R}");
        // Optax users report bf16 losses quantised to the bf16 grid (4.75 vs 4.7477): the grid's spacing near 10 is
        // 2^-4, so even a perfectly computed bf16 loss is off by up to 3e-3 relative; accumulating the 32,000
        // exponentials in bf16 is off by far more (the running sum stops growing once each term is below half its ulp).
        Assert.True(Math.Abs(onGrid - exact) > 100 * Math.Abs(ours - exact) || onGrid == exact);
        Assert.True(Math.Abs(naive - exact) > 0.01 * exact && Math.Abs(naive - exact) > 1e4 * Math.Abs(ours - exact),
            $"naive bf16 accumulation {naive:R} vs float64 {exact:R}");

        // The gradient: softmax - onehot of the same values, rounded to bf16 (each entry within half a bf16 ulp plus
        // the float path's error).
        double[] zd = Widen(z);
        for (int i = 0; i < n; i++)
        {
            double max = zd.AsSpan(i * k, k).ToArray().Max();
            double s = 0;
            for (int c = 0; c < k; c++)
            {
                s += Math.Exp(zd[(i * k) + c] - max);
            }

            for (int c = 0; c < k; c += 997)
            {
                double expected = ((Math.Exp(zd[(i * k) + c] - max) / s) - (c == y[i] ? 1 : 0)) / n;
                double actual = (float)g[(i * k) + c];
                Assert.True(Math.Abs(actual - expected) <= (Math.Abs(expected) / 256) + 1e-12, $"g[{i},{c}] = {actual:R} vs {expected:R}");
            }
        }
    }

    [Fact]
    public void HalfCrossEntropy_AtK32000_IsAccurateToFloat64()
    {
        const int n = 4, k = 32000;
        var rng = new Random(16);
        Half[] z = Round<Half>(Enumerable.Range(0, n * k).Select(_ => 2 * Normal(rng)));
        int[] y = [.. Enumerable.Range(0, n).Select(_ => rng.Next(k))];
        double exact = ExactCrossEntropy(Widen(z), y, k);
        double ours = SoftmaxCrossEntropy.Evaluate<Half>(z, y, k, null, new Half[n * k], default).Value;
        Assert.True(Math.Abs(ours - exact) <= 1e-6 * exact, $"fused Half path {ours:R} vs float64 {exact:R}");
    }

    /// <summary>Options no fused kernel covers run the generic kernel in double on the widened values: the value is the
    /// double call's on those values, bit for bit, and the gradient and losses are the double ones rounded once to T.</summary>
    private static void AssertGenericMatchesDouble<T>(Func<T[], T[], LossResult> sixteen, Func<double[], double[], LossResult> dbl,
        int gradientLength, int lossesLength, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new T[gradientLength];
        var r = new T[lossesLength];
        var gd = new double[gradientLength];
        var rd = new double[lossesLength];
        LossResult a = sixteen(g, r), b = dbl(gd, rd);
        Assert.True(BitConverter.DoubleToInt64Bits(a.Value) == BitConverter.DoubleToInt64Bits(b.Value), $"{what}: {a.Value:R} vs double {b.Value:R}");
        for (int i = 0; i < g.Length; i++)
        {
            Assert.True(Bits(g[i]) == Bits(T.CreateTruncating(gd[i])), $"{what}: gradient[{i}] {g[i]} vs double {gd[i]:R}");
        }

        for (int i = 0; i < r.Length; i++)
        {
            Assert.True(Bits(r[i]) == Bits(T.CreateTruncating(rd[i])), $"{what}: losses[{i}] {r[i]} vs double {rd[i]:R}");
        }
    }

    private static void GenericOptions<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int n = 37, k = 11;
        var rng = new Random(typeof(T).Name.Length);
        T[] x = Round<T>(Enumerable.Range(0, n * k).Select(_ => 3 * Normal(rng)));
        T[] t = Round<T>(Enumerable.Range(0, n * k).Select(_ => rng.Next(4) * 0.25));
        int[] y = [.. Enumerable.Range(0, n).Select(i => i % 7 == 0 ? -100 : rng.Next(k))];
        T[] p = Round<T>(Enumerable.Range(0, n * k).Select(_ => (rng.NextDouble() * 0.98) + 0.01));
        double[] xd = Widen(x), td = Widen(t), pd = Widen(p);
        double[] w = [.. Enumerable.Range(0, k).Select(c => 0.5 + (0.25 * c))];

        // (BCE with class and positive weights, smoothing and element losses runs fused now: FusedSixteenBitTests,
        // SigmoidBinaryCrossEntropyWithEveryOption_.)

        // Label-smoothed softmax focal and sigmoid focal: generic.
        var focal = new SoftmaxFocalOptions { LabelSmoothing = 0.1 };
        AssertGenericMatchesDouble<T>((g, r) => SoftmaxFocal.Evaluate<T>(x, y, k, focal, g, r),
            (g, r) => SoftmaxFocal.Evaluate<double>(xd, y, k, focal, g, r), n * k, n, "smoothed focal");
        var sigmoidFocal = new SigmoidFocalOptions { LabelSmoothing = 0.2, Reduction = Reduction.Sum };
        AssertGenericMatchesDouble<T>((g, r) => SigmoidFocal.Evaluate<T>(x, t, k, sigmoidFocal, g, r),
            (g, r) => SigmoidFocal.Evaluate<double>(xd, td, k, sigmoidFocal, g, r), n * k, n, "smoothed sigmoid focal");

        // A loss with no fused kernel at all (rows of p do not sum to 1: the check is off).
        var fromProbabilities = new CrossEntropyFromProbabilitiesOptions { PredictionSumTolerance = double.NaN };
        AssertGenericMatchesDouble<T>((g, r) => CrossEntropyFromProbabilities.Evaluate<T>(p, y, k, fromProbabilities, g, r),
            (g, r) => CrossEntropyFromProbabilities.Evaluate<double>(pd, y, k, fromProbabilities, g, r), n * k, n, "CE from probabilities");
    }

    /// <summary>Sample weights are applied by the driver after the (fused) kernel, to the row losses as T holds them: the
    /// weighted sum is Σ w_i ℓ_i over the T-rounded ℓ_i, in double (docs/numerics.md, "Half and BFloat16 inputs", Limits),
    /// so it is within the rounding of T of the float call's.</summary>
    private static void SampleWeights<T>(double unit) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int n = 50, k = 100;
        var rng = new Random(9);
        T[] z = Round<T>(Enumerable.Range(0, n * k).Select(_ => 2 * Normal(rng)));
        int[] y = [.. Enumerable.Range(0, n).Select(_ => rng.Next(k))];
        T[] w = Round<T>(Enumerable.Range(0, n).Select(i => 0.5 * (1 + (i % 4))));
        var rows = new T[n];
        SoftmaxCrossEntropy.Evaluate<T>(z, y, k, new SoftmaxCrossEntropyOptions { Reduction = Reduction.None }, default, rows);
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            expected += double.CreateTruncating(rows[i]) * double.CreateTruncating(w[i]);
        }

        var sum = new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum };
        double weighted = SoftmaxCrossEntropy.Evaluate<T>(z, y, k, sum, new T[n * k], default, w).Sum;
        double single = SoftmaxCrossEntropy.Evaluate<float>([.. z.Select(float.CreateTruncating)], y, k, sum, new float[n * k], default,
            [.. w.Select(float.CreateTruncating)]).Sum;
        Assert.Equal(expected, weighted);
        Assert.True(Math.Abs(weighted - single) <= unit * single, $"{weighted:R} vs float {single:R}");
    }

    [Fact]
    public void Half_SampleWeights_WeighTheRowLossesAsHalfHoldsThem() => SampleWeights<Half>(Math.Pow(2, -11));

    [Fact]
    public void BFloat16_SampleWeights_WeighTheRowLossesAsBFloat16HoldsThem() => SampleWeights<BFloat16>(Math.Pow(2, -8));

    [Fact]
    public void Half_OptionsWithoutAFusedKernel_GiveTheDoublePathOnTheWidenedValues() => GenericOptions<Half>();

    [Fact]
    public void BFloat16_OptionsWithoutAFusedKernel_GiveTheDoublePathOnTheWidenedValues() => GenericOptions<BFloat16>();
}
