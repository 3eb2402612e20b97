using System.Numerics;
using CsCheck;
using System.Runtime.CompilerServices;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Fuzz;

/// <summary>
/// The 16-bit property of the fused losses (issue 11 item 6) on the fuzz's generated batches, shapes (N 0..64, K 1..300
/// across the vector widths), values (NaN, ±∞, −0, subnormals, ±1e38) and option combinations: the call on
/// T16 (<see cref="Half"/> or <see cref="BFloat16"/>) input, targets and weights, and the float call
/// on the same values widened to float, throw the same <see cref="ArgumentException"/> (argument and message) or neither
/// throws; then the value and sum are the float call's bit for bit, the denominator and rows equal, and the gradient and
/// losses buffer are the float call's rounded to T16 (round to nearest even), bit for bit, or, where the loss runs its
/// double path, one ulp off at a float tie (<see cref="IsTheOtherSideOfATie"/>), every entry written (a NaN matches any
/// NaN: which NaN a computation yields is not reproducible across the JIT's tiers).
/// </summary>
internal static class SixteenBitFuzz
{
    /// <summary>A NaN with a payload no computation writes, in both 16-bit formats.</summary>
    private const ushort Poison = 0x7FDA;

    public static void Run<T16, TOptions>(LossSpec<TOptions> spec, int per100k)
        where T16 : unmanaged, IFloatingPointIeee754<T16>
        where TOptions : LossOptions
    {
        var gen =
            from b in Batches.For(spec.Batch)
            from o in spec.Options(b)
            select new LossCase<TOptions>(b, o.Options, o.BadOption);
        FuzzRunner.Run(gen, c => Check<T16, TOptions>(spec, c), per100k, spec.Name + "/" + typeof(T16).Name, c => c.ToString());
    }

    private static void Check<T16, TOptions>(LossSpec<TOptions> spec, LossCase<TOptions> c)
        where T16 : unmanaged, IFloatingPointIeee754<T16>
        where TOptions : LossOptions
    {
        var b = c.Batch;
        T16[] x = LossFuzz.Convert<T16>(b.X);
        T16[] t = LossFuzz.Convert<T16>(spec.TargetsFor(b, c.Options));
        T16[] w = LossFuzz.Convert<T16>(b.ElementWeights);
        float[] xf = Widen(x), tf = Widen(t), wf = Widen(w);
        var g16 = Filled<T16>(b.GradientLength);
        var r16 = Filled<T16>(b.LossesLength);
        var g32 = new float[b.GradientLength];
        var r32 = new float[b.LossesLength];
        var (h, hError) = Call(() => spec.Evaluate<T16>(b, c.Options, x, t, w, g16, r16));
        var (f, fError) = Call(() => spec.Evaluate<float>(b, c.Options, xf, tf, wf, g32, r32));
        foreach (var e in new[] { hError, fError })
        {
            if (e is not null and not ArgumentException)
            {
                throw new FuzzPropertyException($"threw {e.GetType().Name}, not an ArgumentException: {e}");
            }
        }

        if (hError is not null || fError is not null)
        {
            var a = hError as ArgumentException;
            var s = fError as ArgumentException;
            Expect(a is not null && s is not null && a.ParamName == s.ParamName && a.Message == s.Message,
                $"{typeof(T16).Name} and float disagree: {Describe(hError)}; float {Describe(fError)}");
            return;
        }

        Expect(SameBits(h.Value, f.Value), $"value {h.Value:R}, float {f.Value:R}");
        Expect(SameBits(h.Sum, f.Sum), $"sum {h.Sum:R}, float {f.Sum:R}");
        Expect(h.Denominator.Equals(f.Denominator) && h.Rows == f.Rows, $"denominator/rows {h.Denominator}/{h.Rows}, float {f.Denominator}/{f.Rows}");
        AssertRounded(g16, g32, b, "gradient");
        AssertRounded(r16, r32, b, "losses");
    }

    private static void AssertRounded<T16>(T16[] actual, float[] single, Batch b, string what)
        where T16 : unmanaged, IFloatingPointIeee754<T16>
    {
        int k = Math.Max(1, b.K);
        for (int i = 0; i < actual.Length; i++)
        {
            ushort bits = Unsafe.BitCast<T16, ushort>(actual[i]);
            Expect(bits != Poison, $"{what}[{i}] not written");
            T16 expected = T16.CreateTruncating(single[i]);
            bool same = bits == Unsafe.BitCast<T16, ushort>(expected) || (T16.IsNaN(actual[i]) && T16.IsNaN(expected))
                || IsTheOtherSideOfATie(actual[i], expected, single[i]);
            Expect(same, $"{what}[{i}] (row {i / k}, column {i % k}): {actual[i]}, float {single[i]:R} rounds to {expected}");
        }
    }

    /// <summary>
    /// The one way a 16-bit entry may differ from the float one rounded: where the loss is not fused it is computed in
    /// double and rounded once to T16, the float call rounds the same double to float first; when that float lands exactly
    /// on the midpoint of two T16 neighbours (which the double, not being the midpoint, was not), the two roundings pick
    /// neighbours one ulp apart: the 16-bit one is the correctly rounded one.
    /// </summary>
    private static bool IsTheOtherSideOfATie<T16>(T16 actual, T16 expected, float single)
        where T16 : unmanaged, IFloatingPointIeee754<T16>
    {
        bool adjacent = T16.BitIncrement(expected) == actual || T16.BitDecrement(expected) == actual;
        return adjacent && (double)single == (double.CreateTruncating(actual) + double.CreateTruncating(expected)) / 2;
    }

    private static (LossResult Result, Exception? Error) Call(Func<LossResult> call)
    {
        try
        {
            return (call(), null);
        }
        catch (Exception e) when (e is not FuzzPropertyException)
        {
            return (default, e);
        }
    }

    private static T16[] Filled<T16>(int length)
        where T16 : unmanaged
    {
        var a = new T16[length];
        Array.Fill(a, Unsafe.BitCast<ushort, T16>(Poison));
        return a;
    }

    private static float[] Widen<T16>(T16[] values)
        where T16 : unmanaged, IFloatingPointIeee754<T16> => [.. values.Select(float.CreateTruncating)];

    private static bool SameBits(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));

    private static string Describe(Exception? e) => e is null ? "no exception" : $"{e.GetType().Name} ({(e as ArgumentException)?.ParamName}): {e.Message}";

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzPropertyException(message);
        }
    }
}

/// <summary>The fused losses on Half and BFloat16 input against the float path on the widened values, bit for bit.</summary>
public class FusedSixteenBitFuzzTests
{
    [Fact]
    public void SoftmaxCrossEntropyWithIndexTargets_HalfAndBFloat16_AreTheFloatPathRounded() => Both(new CrossEntropyIndexSpec(), 800);

    [Fact]
    public void SoftmaxCrossEntropyWithProbabilityTargets_HalfAndBFloat16_AreTheFloatPathRounded() => Both(new CrossEntropySoftSpec(), 600);

    [Fact]
    public void SoftmaxFocalWithIndexTargets_HalfAndBFloat16_AreTheFloatPathRounded() => Both(new FocalIndexSpec(), 500);

    [Fact]
    public void SoftmaxFocalWithProbabilityTargets_HalfAndBFloat16_AreTheFloatPathRounded() => Both(new FocalSoftSpec(), 400);

    [Fact]
    public void SigmoidFocal_HalfAndBFloat16_AreTheFloatPathRounded() => Both(new SigmoidFocalSpec(), 500);

    [Fact]
    public void SigmoidBinaryCrossEntropy_HalfAndBFloat16_AreTheFloatPathRounded() => Both(new SigmoidBinaryCrossEntropySpec(elementWeights: false), 500);

    [Fact]
    public void SigmoidBinaryCrossEntropyWithElementWeights_HalfAndBFloat16_AreTheFloatPathRounded() => Both(new SigmoidBinaryCrossEntropySpec(elementWeights: true), 250);

    private static void Both<TOptions>(LossSpec<TOptions> spec, int per100k)
        where TOptions : LossOptions
    {
        SixteenBitFuzz.Run<Half, TOptions>(spec, per100k);
        SixteenBitFuzz.Run<BFloat16, TOptions>(spec, per100k);
    }
}
