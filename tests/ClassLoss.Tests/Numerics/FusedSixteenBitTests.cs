using System.Numerics;
using System.Runtime.CompilerServices;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Numerics;

/// <summary>The property for <see cref="Half"/> inputs.</summary>
public class FusedHalfTests : FusedSixteenBitTests<Half>;

/// <summary>The property for <see cref="BFloat16"/> inputs.</summary>
public class FusedBFloat16Tests : FusedSixteenBitTests<BFloat16>;

/// <summary>
/// The fused kernels on 16-bit input (docs/numerics.md, "Half and BFloat16 inputs"): for every fused loss, on random
/// and adversarial inputs (logits of ±1e4, masked −∞ logits, ignored rows, an all −∞ row, a NaN, N not a multiple of
/// any block or vector size, K = 1, 2, 3, 10, 100, 1000 and 3000, one to three threads), the 16-bit call's value and sum
/// are bit for bit those of the float call on the inputs widened to float, and its gradient and losses buffer are the
/// float call's rounded to <typeparamref name="T"/> (nearest even), bit for bit (a NaN matches any NaN, see
/// <see cref="SameBits"/>).
/// </summary>
public abstract class FusedSixteenBitTests<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int[] Ks = [1, 2, 3, 10, 100, 1000, 3000];

    private static int RowsFor(int k) => k >= 1000 ? 9 : 67; // not a multiple of any group (16, 8, 4) or block size

    private static ushort Bits(T value) => Unsafe.BitCast<T, ushort>(value);

    private static T[] Round(double[] values) => [.. values.Select(T.CreateTruncating)];

    private static float[] Widen(T[] values) => [.. values.Select(float.CreateTruncating)];

    /// <summary>Logits: N(0, 3²) with, when <paramref name="adversarial"/>, a row of ±1e4, masked classes, an all −∞ row
    /// and a NaN (rows chosen so they land in different groups and blocks).</summary>
    private static T[] Logits(int n, int k, int seed, bool adversarial = true)
    {
        var rng = new Random(seed);
        var z = new double[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = 3 * Normal(rng);
        }

        if (adversarial && n > 5)
        {
            for (int c = 0; c < k; c++)
            {
                z[(1 * k) + c] = rng.Next(2) == 0 ? 1e4 : -1e4; // ±1e4: exact in Half and bf16
                if (c % 3 == 1)
                {
                    z[(2 * k) + c] = double.NegativeInfinity; // masked classes
                }

                z[(4 * k) + c] = double.NegativeInfinity; // a row with every class masked
            }

            z[(n - 2) * k] = double.NaN;
        }

        return Round(z);
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static int[] Labels(int n, int k, int seed)
    {
        var rng = new Random(seed + 1);
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 11 == 3 ? -100 : rng.Next(k);
        }

        return y;
    }

    /// <summary>Probability rows with dyadic entries (1, 1/2, 1/4, 1/8 on up to four classes), exact in both formats, so
    /// they sum to 1 exactly and pass the target check.</summary>
    private static T[] SoftTargets(int n, int k, int seed)
    {
        var rng = new Random(seed + 2);
        var t = new double[n * k];
        double[][] shapes = [[1.0], [0.5, 0.5], [0.5, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25], [0.5, 0.25, 0.125, 0.125]];
        for (int i = 0; i < n; i++)
        {
            double[] shape = shapes[rng.Next(shapes.Length)];
            for (int j = 0; j < shape.Length; j++)
            {
                t[(i * k) + rng.Next(k)] += shape[j]; // colliding classes just add up
            }
        }

        return Round(t);
    }

    /// <summary>Element targets: mostly 0 or 1, some 0.25 / 0.5 / 0.75 (when <paramref name="soft"/>).</summary>
    private static T[] BinaryTargets(int n, int k, int seed, bool soft)
    {
        var rng = new Random(seed + 3);
        return Round([.. Enumerable.Range(0, n * k).Select(_ => rng.Next(soft ? 5 : 2) switch { 0 => 0.0, 1 => 1.0, 2 => 0.25, 3 => 0.5, _ => 0.75 })]);
    }

    private delegate LossResult Call<TElement>(TElement[] gradient, TElement[] losses);

    /// <summary>Runs the loss on 16-bit input and on the same values as float and compares bit for bit.</summary>
    private static void AssertSameAsFloat(Call<T> sixteen, Call<float> single, int gradientLength, int lossesLength, string what)
    {
        var g16 = new T[gradientLength];
        var r16 = new T[lossesLength];
        var g32 = new float[gradientLength];
        var r32 = new float[lossesLength];
        g16.AsSpan().Fill(T.CreateTruncating(12345.0)); // poison: every entry must be overwritten
        r16.AsSpan().Fill(T.CreateTruncating(12345.0));
        LossResult a = sixteen(g16, r16);
        LossResult b = single(g32, r32);
        Assert.True(SameBits(a.Value, b.Value), $"{what}: value {a.Value:R} vs float {b.Value:R}");
        Assert.True(SameBits(a.Sum, b.Sum), $"{what}: sum {a.Sum:R} vs float {b.Sum:R}");
        Assert.Equal(b.Denominator, a.Denominator);
        AssertRounded(g16, g32, what + " gradient");
        AssertRounded(r16, r32, what + " losses");
    }

    /// <summary>The same bits, or both NaN: which NaN a computation yields (its sign) is not reproducible even on the float
    /// path, where the JIT's tiers differ (one process saw 0xFFC00000 and 0x7FC00000 for the same masked row).</summary>
    private static bool SameBits(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));

    private static void AssertRounded(T[] actual, float[] single, string what)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            ushort expected = Bits(T.CreateTruncating(single[i]));
            if (Bits(actual[i]) != expected && !(float.IsNaN(single[i]) && T.IsNaN(actual[i])))
            {
                Assert.Fail($"{what}[{i}]: {actual[i]} ({Bits(actual[i]):X4}) vs the float {single[i]:R} rounded ({expected:X4})");
            }
        }
    }

    public static TheoryData<int> Classes() => [.. Ks];

    [Theory]
    [MemberData(nameof(Classes))]
    public void CrossEntropyWithIndexTargets(int k)
    {
        int n = RowsFor(k);
        T[] z = Logits(n, k, k);
        float[] zf = Widen(z);
        int[] y = Labels(n, k, k);
        double[] w = [.. Enumerable.Range(0, k).Select(c => 0.5 + (c % 4))];
        SoftmaxCrossEntropyOptions[] options =
        [
            new(),
            new() { Reduction = Reduction.Sum, LabelSmoothing = 0.1, ClassWeights = w },
            new() { Reduction = Reduction.None, Temperature = 2.0 },
            new() { LabelSmoothing = 0.2, Temperature = 0.5 },
        ];
        foreach (var o in options)
        {
            AssertSameAsFloat((g, r) => SoftmaxCrossEntropy.Evaluate<T>(z, y, k, o, g, r),
                (g, r) => SoftmaxCrossEntropy.Evaluate<float>(zf, y, k, o, g, r), n * k, n, $"CE K={k} {o}");
            AssertSameAsFloat((g, r) => SoftmaxCrossEntropy.Evaluate<T>(z, y, k, o, default, r),
                (g, r) => SoftmaxCrossEntropy.Evaluate<float>(zf, y, k, o, default, r), 0, n, $"CE forward K={k} {o}");
        }
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void CrossEntropyWithProbabilityTargets(int k)
    {
        int n = RowsFor(k);
        T[] z = Logits(n, k, 10 + k), t = SoftTargets(n, k, k);
        float[] zf = Widen(z), tf = Widen(t);
        double[] w = [.. Enumerable.Range(0, k).Select(c => 0.25 + (c % 3))];
        SoftmaxCrossEntropyOptions[] options =
        [
            new(),
            new() { Reduction = Reduction.Sum, LabelSmoothing = 0.1, ClassWeights = w },
            new() { Reduction = Reduction.None, Temperature = 3.0 },
        ];
        foreach (var o in options)
        {
            AssertSameAsFloat((g, r) => SoftmaxCrossEntropy.Evaluate<T>(z, t, k, o, g, r),
                (g, r) => SoftmaxCrossEntropy.Evaluate<float>(zf, tf, k, o, g, r), n * k, n, $"soft CE K={k} {o}");
        }

        // Unnormalised targets with the sum check off (NaN tolerance), and values that are not dyadic.
        var rng = new Random(k);
        T[] loose = Round([.. Enumerable.Range(0, n * k).Select(_ => rng.NextDouble())]);
        float[] loosef = Widen(loose);
        var noCheck = new SoftmaxCrossEntropyOptions { TargetSumTolerance = double.NaN };
        AssertSameAsFloat((g, r) => SoftmaxCrossEntropy.Evaluate<T>(z, loose, k, noCheck, g, r),
            (g, r) => SoftmaxCrossEntropy.Evaluate<float>(zf, loosef, k, noCheck, g, r), n * k, n, $"soft CE unchecked K={k}");
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void SoftmaxFocalWithIndexTargets(int k)
    {
        int n = RowsFor(k);
        T[] z = Logits(n, k, 20 + k);
        float[] zf = Widen(z);
        int[] y = Labels(n, k, 20 + k);
        SoftmaxFocalOptions[] options =
        [
            new(),
            new() { Gamma = 0.5, ClassAlpha = [.. Enumerable.Range(0, k).Select(c => 0.1 * (c % 5))], Reduction = Reduction.Sum },
            new() { Gamma = 0, Reduction = Reduction.None },
        ];
        foreach (var o in options)
        {
            AssertSameAsFloat((g, r) => SoftmaxFocal.Evaluate<T>(z, y, k, o, g, r),
                (g, r) => SoftmaxFocal.Evaluate<float>(zf, y, k, o, g, r), n * k, n, $"focal K={k} {o}");
        }
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void SoftmaxFocalWithProbabilityTargets(int k)
    {
        int n = RowsFor(k);
        T[] z = Logits(n, k, 30 + k), t = SoftTargets(n, k, 30 + k);
        float[] zf = Widen(z), tf = Widen(t);
        foreach (double gamma in new[] { 0.0, 1.0, 2.0 })
        {
            var o = new SoftmaxFocalOptions { Gamma = gamma, Reduction = gamma == 1 ? Reduction.None : Reduction.Mean };
            AssertSameAsFloat((g, r) => SoftmaxFocal.Evaluate<T>(z, t, k, o, g, r),
                (g, r) => SoftmaxFocal.Evaluate<float>(zf, tf, k, o, g, r), n * k, n, $"soft focal K={k} γ={gamma}");
        }
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void SigmoidBinaryCrossEntropy_(int k)
    {
        int n = RowsFor(k);
        T[] x = Logits(n, k, 40 + k), t = BinaryTargets(n, k, k, soft: true);
        float[] xf = Widen(x), tf = Widen(t);
        foreach (var reduction in new[] { Reduction.Mean, Reduction.None })
        {
            var o = new SigmoidBinaryCrossEntropyOptions { Reduction = reduction };
            int rows = reduction == Reduction.None ? n : 0;
            AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(x, t, k, o, g, r),
                (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(xf, tf, k, o, g, r), n * k, rows, $"BCE K={k} {reduction}");
            AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(x, t, k, o, default, r),
                (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(xf, tf, k, o, default, r), 0, rows, $"BCE forward K={k} {reduction}");
        }
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void SigmoidFocal_(int k)
    {
        int n = RowsFor(k);
        T[] x = Logits(n, k, 50 + k);
        float[] xf = Widen(x);
        foreach (bool soft in new[] { false, true })
        {
            T[] t = BinaryTargets(n, k, 50 + k, soft);
            float[] tf = Widen(t);
            foreach (double gamma in new[] { 0.0, 1.0, 2.0, 0.5 })
            {
                var o = new SigmoidFocalOptions { Gamma = gamma, ApplyClassBalancing = gamma != 1, Reduction = gamma == 2 ? Reduction.None : Reduction.Mean };
                int rows = o.Reduction == Reduction.None ? n : 0;
                AssertSameAsFloat((g, r) => SigmoidFocal.Evaluate<T>(x, t, k, o, g, r),
                    (g, r) => SigmoidFocal.Evaluate<float>(xf, tf, k, o, g, r), n * k, rows, $"sigmoid focal K={k} γ={gamma} soft={soft}");
            }
        }
    }

    /// <summary>The weighted form of the BCE kernel (class and positive weights, smoothing, N·K element weights, per-element
    /// and row losses) on 16-bit input: the float call's bits on the widened values, its gradient and losses rounded.</summary>
    [Theory]
    [MemberData(nameof(Classes))]
    public void SigmoidBinaryCrossEntropyWithEveryOption_(int k)
    {
        int n = RowsFor(k);
        T[] x = Logits(n, k, 45 + k), t = BinaryTargets(n, k, k + 1, soft: true);
        var rng = new Random(k);
        T[] e = Round([.. Enumerable.Range(0, n * k).Select(i => i % 7 == 0 ? 0.0 : rng.Next(1, 9) * 0.25)]);
        float[] xf = Widen(x), tf = Widen(t), ef = Widen(e);
        double[] w = [.. Enumerable.Range(0, k).Select(c => 0.5 + (0.25 * (c % 5)))];
        double[] pw = [.. Enumerable.Range(0, k).Select(c => c % 3 == 0 ? 0.0 : 1.0 + c % 4)];
        var options = new[]
        {
            new SigmoidBinaryCrossEntropyOptions { ClassWeights = w, PositiveWeights = pw, LabelSmoothing = 0.1, Reduction = Reduction.None },
            new SigmoidBinaryCrossEntropyOptions { LabelSmoothing = 0.2, Reduction = Reduction.Mean },
            new SigmoidBinaryCrossEntropyOptions { ClassWeights = w, Reduction = Reduction.Sum },
        };
        foreach (var o in options)
        {
            AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(x, t, k, o, g, r),
                (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(xf, tf, k, o, g, r), n * k, n * k, $"BCE element losses K={k} {o.Reduction}");
            AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(x, t, k, o, g, r),
                (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(xf, tf, k, o, g, r), n * k, n, $"BCE rows K={k} {o.Reduction}");
            AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(x, t, k, o, g, r, e),
                (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(xf, tf, k, o, g, r, ef), n * k, n * k, $"BCE element weights K={k} {o.Reduction}");
            AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(x, t, k, o, default, r, e),
                (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(xf, tf, k, o, default, r, ef), 0, 0, $"BCE element weights forward K={k} {o.Reduction}");
        }
    }

    /// <summary>Batches large enough to be split across threads (and, for the element-wise kernels, into several element
    /// blocks): every thread count gives the float call's bits.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void AnyThreadCount_GivesTheFloatBits(int threads)
    {
        const int n = 333, k = 250; // 83,250 elements: above the parallel threshold, five element blocks
        T[] z = Logits(n, k, 60);
        float[] zf = Widen(z);
        int[] y = Labels(n, k, 60);
        T[] soft = SoftTargets(n, k, 60), binary = BinaryTargets(n, k, 60, soft: true);
        float[] softf = Widen(soft), binaryf = Widen(binary);
        var ce = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = threads, LabelSmoothing = 0.05 };
        var focal = new SoftmaxFocalOptions { MaxDegreeOfParallelism = threads };
        var bce = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = threads };
        var sfocal = new SigmoidFocalOptions { MaxDegreeOfParallelism = threads };
        AssertSameAsFloat((g, r) => SoftmaxCrossEntropy.Evaluate<T>(z, y, k, ce, g, r),
            (g, r) => SoftmaxCrossEntropy.Evaluate<float>(zf, y, k, ce, g, r), n * k, n, "CE");
        AssertSameAsFloat((g, r) => SoftmaxCrossEntropy.Evaluate<T>(z, soft, k, ce, g, r),
            (g, r) => SoftmaxCrossEntropy.Evaluate<float>(zf, softf, k, ce, g, r), n * k, n, "soft CE");
        AssertSameAsFloat((g, r) => SoftmaxFocal.Evaluate<T>(z, y, k, focal, g, r),
            (g, r) => SoftmaxFocal.Evaluate<float>(zf, y, k, focal, g, r), n * k, n, "focal");
        AssertSameAsFloat((g, r) => SoftmaxFocal.Evaluate<T>(z, soft, k, focal, g, r),
            (g, r) => SoftmaxFocal.Evaluate<float>(zf, softf, k, focal, g, r), n * k, n, "soft focal");
        AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(z, binary, k, bce, g, default),
            (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(zf, binaryf, k, bce, g, default), n * k, 0, "BCE");
        AssertSameAsFloat((g, r) => SigmoidBinaryCrossEntropy.Evaluate<T>(z, binary, k, bce with { Reduction = Reduction.None }, g, r),
            (g, r) => SigmoidBinaryCrossEntropy.Evaluate<float>(zf, binaryf, k, bce with { Reduction = Reduction.None }, g, r), n * k, n, "BCE rows");
        AssertSameAsFloat((g, r) => SigmoidFocal.Evaluate<T>(z, binary, k, sfocal, g, default),
            (g, r) => SigmoidFocal.Evaluate<float>(zf, binaryf, k, sfocal, g, default), n * k, 0, "sigmoid focal");
        AssertSameAsFloat((g, r) => SigmoidFocal.Evaluate<T>(z, binary, k, sfocal with { Reduction = Reduction.None }, g, r),
            (g, r) => SigmoidFocal.Evaluate<float>(zf, binaryf, k, sfocal with { Reduction = Reduction.None }, g, r), n * k, n, "sigmoid focal rows");
    }

    [Fact]
    public void BadTarget_ThrowsTheFloatPathsException()
    {
        const int n = 40, k = 7;
        T[] z = Logits(n, k, 70, adversarial: false), t = SoftTargets(n, k, 70);
        t[(23 * k) + 2] = T.CreateTruncating(1.5);
        var g = new T[n * k];
        var floatError = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<float>(Widen(z), Widen(t), k, null, new float[n * k], default));
        var error = Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate<T>(z, t, k, null, g, default));
        Assert.Equal(floatError.Message, error.Message);
        error = Assert.Throws<ArgumentException>(() => SigmoidBinaryCrossEntropy.Evaluate<T>(z, t, k, null, g, default));
        Assert.Contains("row 23, column 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CallingThread_AllocatesNothing()
    {
        const int n = 64, k = 1000;
        T[] z = Logits(n, k, 80, adversarial: false), t = SoftTargets(n, k, 80);
        int[] y = Labels(n, k, 80);
        var g = new T[n * k];
        var r = new T[n];
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<T>(z, y, k, null, g, r)));
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<T>(z, t, k, null, g, r)));
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SigmoidBinaryCrossEntropy.Evaluate<T>(z, t, k, null, g, default)));
    }
}
