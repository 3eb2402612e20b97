using System.Globalization;
using System.Numerics;
using ClassLoss.Numerics;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// <see cref="BFloat16"/>'s conversions, exhaustively where there are 65,536 cases and on every rounding boundary where
/// there are 2^32: each finite bf16 value, the midpoint to its successor, and the floats one ulp either side of it; and
/// the kernels' vector conversions (<see cref="Float16"/>, <see cref="HalfFormat"/>, <see cref="BFloat16Format"/>) bit
/// for bit against the element ones (.NET's own for <see cref="Half"/>).
/// </summary>
public class BFloat16Tests
{
    private static uint Bits(float f) => BitConverter.SingleToUInt32Bits(f);

    private static float Single(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    /// <summary>Round to nearest even by value: the two bf16 neighbours of f compared in double (exact), ∞ standing for
    /// 2^128 (IEEE overflow), ties to the even pattern.</summary>
    private static ushort ReferenceRound(float f)
    {
        uint bits = Bits(f);
        if (float.IsNaN(f))
        {
            throw new ArgumentException("not for NaN", nameof(f));
        }

        ushort lo = (ushort)(bits >> 16); // truncation toward zero
        ushort hi = (ushort)(lo + 1);     // the next pattern away from zero (0x7F80 after 0x7F7F: ∞)
        double a = Math.Abs((double)Single((uint)lo << 16));
        double b = (hi & 0x7FFF) == 0x7F80 ? Math.Pow(2, 128) : Math.Abs((double)Single((uint)hi << 16));
        double v = Math.Abs((double)f);
        if ((lo & 0x7FFF) == 0x7F80)
        {
            return lo; // ±∞ itself
        }

        return v - a < b - v ? lo : v - a > b - v ? hi : (lo & 1) == 0 ? lo : hi;
    }

    /// <summary>Round to nearest even of a double, by value, as above.</summary>
    private static ushort ReferenceRound(double d)
    {
        float t = (float)d;
        // The bf16 neighbours of d: those of its float truncation toward zero.
        if (Math.Abs((double)t) > Math.Abs(d))
        {
            t = BitConverter.UInt32BitsToSingle(Bits(t) - 1);
        }

        ushort lo = (ushort)(Bits(t) >> 16);
        ushort hi = (ushort)(lo + 1);
        double a = Math.Abs((double)Single((uint)lo << 16));
        double b = (hi & 0x7FFF) == 0x7F80 ? Math.Pow(2, 128) : Math.Abs((double)Single((uint)hi << 16));
        double v = Math.Abs(d);
        return v - a < b - v ? lo : v - a > b - v ? hi : (lo & 1) == 0 ? lo : hi;
    }

    /// <summary>Every finite non-negative bf16 value, the midpoint to the next one, and the floats just around it, both signs.</summary>
    private static IEnumerable<float> RoundingBoundaries()
    {
        for (uint b = 0; b < 0x7F80; b++)
        {
            foreach (uint sign in new uint[] { 0, 0x8000_0000 })
            {
                uint value = (b << 16) | sign;
                uint mid = value | 0x8000;
                yield return Single(value);
                yield return Single(value + 1);
                yield return Single(mid - 1);
                yield return Single(mid);
                yield return Single(mid + 1);
                yield return Single(value | 0xFFFF);
            }
        }
    }

    [Fact]
    public void EveryBitPattern_ConvertsExactlyToFloat_AndBack()
    {
        for (int b = 0; b <= ushort.MaxValue; b++)
        {
            var x = BFloat16.FromBits((ushort)b);
            float f = (float)x;
            Assert.Equal((uint)b << 16, Bits(f));
            Assert.Equal((double)f, (double)x);
            Assert.Equal((ushort)b, ((BFloat16)f).ToBits());
            Assert.Equal(float.IsNaN(f), BFloat16.IsNaN(x));
            Assert.Equal(float.IsFinite(f), BFloat16.IsFinite(x));
            Assert.Equal(float.IsInfinity(f), BFloat16.IsInfinity(x));
        }
    }

    [Fact]
    public void FromFloat_RoundsToNearestEven_OnEveryBoundary()
    {
        int checkedCount = 0;
        foreach (float f in RoundingBoundaries())
        {
            ushort expected = ReferenceRound(f);
            ushort actual = ((BFloat16)f).ToBits();
            if (expected != actual)
            {
                Assert.Fail($"float {Bits(f):X8} ({f:R}): expected bf16 {expected:X4}, got {actual:X4}");
            }

            checkedCount++;
        }

        Assert.True(checkedCount > 390_000);
    }

    [Theory]
    [InlineData(0x3F80_8000u, 0x3F80)] // 1 + 2^-8: a tie, to the even 1
    [InlineData(0x3F81_8000u, 0x3F82)] // a tie above an odd pattern: up
    [InlineData(0x3F80_8001u, 0x3F81)] // just past the tie: up
    [InlineData(0x3F80_7FFFu, 0x3F80)] // just below: down
    [InlineData(0x0000_0001u, 0x0000)] // float's smallest subnormal: to +0
    [InlineData(0x0000_8000u, 0x0000)] // the tie between 0 and bf16's smallest subnormal: to even (0)
    [InlineData(0x0000_8001u, 0x0001)] // just past it: the smallest subnormal
    [InlineData(0x0001_8000u, 0x0002)] // a subnormal tie above an odd pattern: up
    [InlineData(0x8000_8001u, 0x8001)] // negative subnormal
    [InlineData(0x007F_FFFFu, 0x0080)] // the largest float subnormal rounds up to the smallest normal
    [InlineData(0x7F7F_7FFFu, 0x7F7F)] // just below MaxValue's upper midpoint: MaxValue
    [InlineData(0x7F7F_8000u, 0x7F80)] // the midpoint (ties to even, MaxValue is odd): ∞
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float.MaxValue: ∞
    [InlineData(0xFF7F_FFFFu, 0xFF80)] // float.MinValue: -∞
    [InlineData(0x7F80_0000u, 0x7F80)] // +∞
    [InlineData(0xFF80_0000u, 0xFF80)] // -∞
    [InlineData(0x8000_0000u, 0x8000)] // -0
    [InlineData(0x7FC0_0000u, 0x7FC0)] // quiet NaN
    [InlineData(0xFFC0_0000u, 0xFFC0)] // float.NaN (negative quiet NaN)
    [InlineData(0x7F80_0001u, 0x7FC0)] // a NaN whose payload is only in the low half: quiet bit set, not ∞
    [InlineData(0xFF80_FFFFu, 0xFFC0)] // the same, negative, all low bits set (no carry into the exponent)
    [InlineData(0x7F81_0000u, 0x7F81)] // a signalling NaN whose payload is in the upper half: kept
    [InlineData(0x7FFF_FFFFu, 0x7FFF)] // the largest NaN: no carry out
    public void FromFloat_Cases(uint floatBits, int bf16Bits) =>
        Assert.Equal((ushort)bf16Bits, ((BFloat16)Single(floatBits)).ToBits());

    [Fact]
    public void FromFloat_NaNStaysNaN_ForRandomPayloads()
    {
        var rng = new Random(5);
        for (int i = 0; i < 100_000; i++)
        {
            uint bits = 0x7F80_0000u | (uint)rng.Next(1, 0x80_0000) | (rng.Next(2) == 0 ? 0 : 0x8000_0000u);
            var x = (BFloat16)Single(bits);
            Assert.True(BFloat16.IsNaN(x));
            Assert.Equal(bits >> 31, (uint)x.ToBits() >> 15); // sign kept
        }
    }

    [Fact]
    public void FromDouble_RoundsOnce_NotThroughFloat()
    {
        var rng = new Random(11);
        for (int i = 0; i < 200_000; i++)
        {
            // Around a random midpoint: within a float ulp of it (where rounding through float would make a tie).
            uint b = (uint)rng.Next(0, 0x7F80) | (rng.Next(2) == 0 ? 0u : 0x8000u);
            double mid = Single((b << 16) | 0x8000);
            double d = mid * (1 + ((rng.NextDouble() - 0.5) * Math.Pow(2, -26)));
            Assert.Equal(ReferenceRound(d), ((BFloat16)d).ToBits());
        }

        // Rounding through float would give the tie and then the even neighbour (1); once, it is the upper one.
        double justAboveTie = 1 + Math.Pow(2, -8) + Math.Pow(2, -30);
        Assert.Equal(0x3F81, ((BFloat16)justAboveTie).ToBits());
        Assert.Equal(0x7F80, ((BFloat16)1e39).ToBits());
        Assert.Equal(0x7F7F, ((BFloat16)(double)Single(0x7F7F_7FFF)).ToBits());
        Assert.Equal(0x0001, ((BFloat16)(Math.Pow(2, -134) * 1.0000001)).ToBits());
        Assert.Equal(0x0000, ((BFloat16)Math.Pow(2, -134)).ToBits()); // the tie with 0: even
        Assert.Equal(0x8000, ((BFloat16)(-1e-300)).ToBits());
        Assert.True(BFloat16.IsNaN((BFloat16)double.NaN));
        Assert.Equal(0xFF80, ((BFloat16)double.NegativeInfinity).ToBits());
    }

    [Fact]
    public void GenericMath_ForwardsToFloat_AndRoundsBack()
    {
        Assert.Equal(0x4000, (BFloat16.One + BFloat16.One).ToBits());
        Assert.Equal(3f, (float)((BFloat16)1.5f * (BFloat16)2f));
        Assert.Equal(0.5f, (float)(BFloat16.One / (BFloat16)2f));
        Assert.Equal(-1f, (float)-BFloat16.One);
        Assert.True(BFloat16.NaN != BFloat16.NaN);
        Assert.True(BFloat16.NaN.Equals(BFloat16.NaN));
        Assert.True(BFloat16.Zero == BFloat16.NegativeZero);
        Assert.True((BFloat16)1f < (BFloat16)2f);
        Assert.Equal(BFloat16.MaxValue, Next(BFloat16.PositiveInfinity, up: false));
        Assert.Equal(BFloat16.Epsilon, Next(BFloat16.Zero, up: true));
        Assert.Equal(BFloat16.Epsilon, Next(BFloat16.NegativeZero, up: true));
        Assert.Equal(0x3F81, Next(BFloat16.One, up: true).ToBits());
        Assert.Equal(0xBF81, Next(BFloat16.NegativeOne, up: false).ToBits());

        // Through the generic interfaces, as the losses use them.
        Assert.Equal(0.10009765625, Generic<BFloat16>.RoundTrip(0.1));
        Assert.Equal(6.0, Generic<BFloat16>.Sum([1.0, 2.0, 3.0]));
        Assert.Equal(0x3F80, Generic<BFloat16>.FromInt(1).ToBits());
        Assert.Equal(256f, (float)Generic<BFloat16>.FromInt(257)); // 257 needs 9 bits: a tie, to even
        Assert.Equal(3, int.CreateTruncating((BFloat16)3.5f));
        Assert.Equal((Half)0.5f, Half.CreateTruncating((BFloat16)0.5f));
        Assert.Equal(2f, (float)BFloat16.Sqrt((BFloat16)4f));
        Assert.Equal("0.5", ((BFloat16)0.5f).ToString(null, CultureInfo.InvariantCulture));
        Assert.Equal(0x3DCD, BFloat16.Parse("0.1", CultureInfo.InvariantCulture).ToBits());
        Assert.True(BFloat16.TryParse("x", CultureInfo.InvariantCulture, out _) == false);
    }

    private static BFloat16 Next(BFloat16 x, bool up) => up ? BFloat16Ieee.BitIncrement(x) : BFloat16Ieee.BitDecrement(x);

    private static class BFloat16Ieee
    {
        public static BFloat16 BitIncrement(BFloat16 x) => Ieee<BFloat16>.BitIncrement(x);

        public static BFloat16 BitDecrement(BFloat16 x) => Ieee<BFloat16>.BitDecrement(x);
    }

    private static class Ieee<T> where T : IFloatingPointIeee754<T>
    {
        public static T BitIncrement(T x) => T.BitIncrement(x);

        public static T BitDecrement(T x) => T.BitDecrement(x);
    }

    private static class Generic<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double RoundTrip(double d) => double.CreateTruncating(T.CreateTruncating(d));

        public static T FromInt(int i) => T.CreateSaturating(i);

        public static double Sum(double[] values)
        {
            T sum = T.Zero;
            foreach (double v in values)
            {
                sum += T.CreateTruncating(v);
            }

            return double.CreateTruncating(sum);
        }
    }

    // ---- the kernels' vector conversions ----

    private static unsafe ushort[] Narrow<TFormat>(float[] values) where TFormat : struct, IFloat16Format
    {
        var result = new ushort[values.Length];
        fixed (float* s = values)
        fixed (ushort* d = result)
        {
            Float16.Narrow<TFormat>(s, d, values.Length);
        }

        return result;
    }

    private static unsafe float[] Widen<TFormat>(ushort[] values) where TFormat : struct, IFloat16Format
    {
        var result = new float[values.Length];
        fixed (ushort* s = values)
        fixed (float* d = result)
        {
            Float16.Widen<TFormat>(s, d, values.Length);
        }

        return result;
    }

    private static ushort[] AllPatterns() => Enumerable.Range(0, 65536).Select(b => (ushort)b).Append((ushort)0x3C00).ToArray(); // odd length: a scalar tail too

    [Fact]
    public void HalfWiden_EqualsDotNetConversion_ForEveryPattern()
    {
        ushort[] all = AllPatterns();
        float[] widened = Widen<HalfFormat>(all);
        for (int i = 0; i < all.Length; i++)
        {
            uint expected = Bits((float)BitConverter.UInt16BitsToHalf(all[i]));
            Assert.True(expected == Bits(widened[i]), $"half {all[i]:X4}: expected {expected:X8}, got {Bits(widened[i]):X8}");
        }
    }

    [Fact]
    public void BFloat16Widen_EqualsTheScalarConversion_ForEveryPattern()
    {
        ushort[] all = AllPatterns();
        float[] widened = Widen<BFloat16Format>(all);
        for (int i = 0; i < all.Length; i++)
        {
            Assert.Equal((uint)all[i] << 16, Bits(widened[i]));
        }
    }

    /// <summary>Floats that exercise every rounding boundary of Half: each half value and the midpoint to its successor
    /// with their float neighbours, NaNs with random payloads, values beyond Half's range and float subnormals.</summary>
    private static float[] HalfBoundaries()
    {
        var list = new List<float>();
        for (int h = 0; h < 0x7C00; h++)
        {
            foreach (uint sign in new uint[] { 0, 0x8000_0000 })
            {
                float a = (float)BitConverter.UInt16BitsToHalf((ushort)h);
                float b = (float)BitConverter.UInt16BitsToHalf((ushort)(h + 1)); // 0x7C00: ∞, whose "midpoint" is 65520
                double midD = h + 1 == 0x7C00 ? 65520.0 : ((double)a + b) / 2;
                uint mid = Bits((float)midD) | sign;
                uint v = Bits(a) | sign;
                list.AddRange([Single(v), Single(v + 1), Single(mid - 1), Single(mid), Single(mid + 1)]);
            }
        }

        var rng = new Random(3);
        for (int i = 0; i < 50_000; i++)
        {
            list.Add(Single((uint)rng.NextInt64(0, 1L << 32)));           // anything: NaN payloads, huge, subnormal
            list.Add(Single(0x7F80_0000u | (uint)rng.Next(1, 0x80_0000))); // NaN
            list.Add(Single((uint)rng.Next(0, 0x0100_0000)));              // float subnormals and tiny normals
        }

        list.AddRange([float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.MinValue, -0f, 65519.99f, 65520f, 1e-8f]);
        return [.. list];
    }

    [Fact]
    public void HalfNarrow_EqualsDotNetConversion_OnEveryBoundary()
    {
        float[] values = HalfBoundaries();
        ushort[] narrowed = Narrow<HalfFormat>(values);
        for (int i = 0; i < values.Length; i++)
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)values[i]);
            Assert.True(expected == narrowed[i], $"float {Bits(values[i]):X8}: expected half {expected:X4}, got {narrowed[i]:X4}");
        }
    }

    [Fact]
    public void BFloat16Narrow_EqualsTheScalarConversion_OnEveryBoundary()
    {
        var rng = new Random(8);
        float[] values = [.. RoundingBoundaries(), .. Enumerable.Range(0, 100_000).Select(_ => Single((uint)rng.NextInt64(0, 1L << 32))),
            Single(0x7F80_0001), Single(0xFF80_FFFF), Single(0x7FFF_FFFF), float.MaxValue, float.NegativeInfinity];
        ushort[] narrowed = Narrow<BFloat16Format>(values);
        for (int i = 0; i < values.Length; i++)
        {
            ushort expected = ((BFloat16)values[i]).ToBits();
            Assert.True(expected == narrowed[i], $"float {Bits(values[i]):X8}: expected bf16 {expected:X4}, got {narrowed[i]:X4}");
        }
    }
}
