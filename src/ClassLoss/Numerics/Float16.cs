using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// A 16-bit floating-point storage format the fused float kernels read and write (<see cref="HalfFormat"/>,
/// <see cref="BFloat16Format"/>): one element's conversions to and from float, and the same on vector lanes (the
/// 16-bit pattern widened into the low half of a 32-bit lane), bit for bit equal to the element ones.
/// </summary>
internal interface IFloat16Format
{
    /// <summary>The exact float value of the 16-bit pattern <paramref name="bits"/>.</summary>
    static abstract float ToSingle(ushort bits);

    /// <summary><paramref name="value"/> rounded to nearest even in the 16-bit format.</summary>
    static abstract ushort FromSingle(float value);

    /// <summary>Per lane: the float bits of the 16-bit pattern in the lane's low half.</summary>
    static abstract Vector<uint> ToSingleBits(Vector<uint> bits);

    /// <summary>Per lane: the 16-bit pattern (in the low half) of the float with these bits, rounded to nearest even.</summary>
    static abstract Vector<uint> FromSingleBits(Vector<uint> bits);
}

/// <summary>IEEE 754 binary16, <see cref="Half"/>: conversions bit for bit as <c>(float)h</c> and <c>(Half)f</c> (round
/// to nearest even; a NaN gets the quiet bit and keeps its sign and leading payload bits).</summary>
internal readonly struct HalfFormat : IFloat16Format
{
    public static float ToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    public static ushort FromSingle(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>Exponent and fraction shifted into place and rebiased (+112 in the exponent); ∞/NaN get the exponent
    /// all ones (and NaN the quiet bit, as <c>(float)h</c>); subnormals are renormalised by one float subtraction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<uint> ToSingleBits(Vector<uint> bits)
    {
        Vector<uint> magnitude = bits & new Vector<uint>(0x7FFF);
        Vector<uint> sign = Vector.ShiftLeft(bits & new Vector<uint>(0x8000), 16);
        Vector<uint> shifted = Vector.ShiftLeft(magnitude, 13);
        Vector<uint> exponent = shifted & new Vector<uint>(0x0F80_0000);
        Vector<uint> o = shifted + new Vector<uint>(0x3800_0000);
        Vector<uint> infOrNaN = Vector.Equals(exponent, new Vector<uint>(0x0F80_0000));
        o += infOrNaN & new Vector<uint>(0x3800_0000);
        o |= Vector.GreaterThan(magnitude, new Vector<uint>(0x7C00)) & new Vector<uint>(0x0040_0000);
        // Subnormal (and zero): 2^-14 · (1 + m/1024) - 2^-14 = m · 2^-24, exact.
        Vector<uint> subnormal = Vector.AsVectorUInt32(
            Vector.AsVectorSingle(o + new Vector<uint>(0x0080_0000)) - Vector.AsVectorSingle(new Vector<uint>(0x3880_0000)));
        o = Vector.ConditionalSelect(Vector.Equals(exponent, Vector<uint>.Zero), subnormal, o);
        return o | sign;
    }

    /// <summary>Round to nearest even: normal results add <c>0xFFF</c> plus the lowest kept bit before the shift;
    /// subnormal results come from one float addition of 0.5 (whose rounding is the round to nearest even); values of
    /// 65520 and more give ∞, NaN gives the quiet NaN with its leading payload bits (as <c>(Half)f</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<uint> FromSingleBits(Vector<uint> bits)
    {
        Vector<uint> sign = Vector.ShiftRightLogical(bits & new Vector<uint>(0x8000_0000), 16);
        Vector<uint> f = bits & new Vector<uint>(0x7FFF_FFFF);
        Vector<uint> odd = Vector.ShiftRightLogical(f, 13) & Vector<uint>.One;
        Vector<uint> normal = Vector.ShiftRightLogical(f + new Vector<uint>(0xC800_0FFF) + odd, 13);
        Vector<uint> subnormal = Vector.AsVectorUInt32(Vector.AsVectorSingle(f) + new Vector<float>(0.5f)) - new Vector<uint>(0x3F00_0000);
        Vector<uint> nan = new Vector<uint>(0x7E00) | Vector.ShiftRightLogical(f & new Vector<uint>(0x007F_FFFF), 13);
        Vector<uint> large = Vector.ConditionalSelect(Vector.GreaterThan(f, new Vector<uint>(0x7F80_0000)), nan, new Vector<uint>(0x7C00));
        Vector<uint> o = Vector.ConditionalSelect(Vector.LessThan(f, new Vector<uint>(0x3880_0000)), subnormal, normal);
        o = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(f, new Vector<uint>(0x4780_0000)), large, o);
        return o | sign;
    }
}

/// <summary>bfloat16, <see cref="BFloat16"/>: the upper half of a float; conversions as <see cref="BFloat16"/>'s.</summary>
internal readonly struct BFloat16Format : IFloat16Format
{
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    public static ushort FromSingle(float value) => BFloat16.RoundFromSingleBits(BitConverter.SingleToUInt32Bits(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<uint> ToSingleBits(Vector<uint> bits) => Vector.ShiftLeft(bits, 16);

    /// <summary>Round to nearest even: add <c>0x7FFF</c> plus the lowest kept bit, shift; a NaN keeps its upper bits
    /// (with the quiet bit where they alone would read as ∞).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<uint> FromSingleBits(Vector<uint> bits)
    {
        Vector<uint> upper = Vector.ShiftRightLogical(bits, 16);
        Vector<uint> rounded = Vector.ShiftRightLogical(bits + new Vector<uint>(0x7FFF) + (upper & Vector<uint>.One), 16);
        Vector<uint> nan = upper | (Vector.Equals(upper & new Vector<uint>(0x7F), Vector<uint>.Zero) & new Vector<uint>(0x40));
        return Vector.ConditionalSelect(Vector.GreaterThan(bits & new Vector<uint>(0x7FFF_FFFF), new Vector<uint>(0x7F80_0000)), nan, rounded);
    }
}

/// <summary>What a fused kernel runs for each element type it takes (<see cref="Float16.ByType{T, TRun, TResult}"/>):
/// float in place, or a 16-bit format staged through float.</summary>
internal interface IByElementType<TResult>
{
    /// <summary>The float body.</summary>
    TResult Float();

    /// <summary>The body for the 16-bit <typeparamref name="TFormat"/>.</summary>
    TResult Staged<TFormat>() where TFormat : struct, IFloat16Format;
}

/// <summary>A test of float values that holds for a span when it holds for each of its pieces of whole rows (a fused
/// kernel's vectorised pre-check of its targets).</summary>
internal interface IFloatsCheck
{
    /// <summary>True when every value (or row) of <paramref name="values"/> passes.</summary>
    bool Passes(ReadOnlySpan<float> values);
}

/// <summary>
/// The fused kernels' 16-bit inputs and outputs: spans of a <see cref="IFloat16Format"/> widened into float and
/// narrowed back (<see cref="Vector{T}"/> lanes, then element by element), and the per-thread float staging buffer
/// the kernels convert a few rows (or a piece of elements) into at a time.
/// </summary>
/// <remarks>
/// The fused kernels read a 16-bit batch through this buffer, not with widening loads in their row passes: each
/// block converts at most <see cref="StageFloats"/> elements (or one row, when K is larger) of input and targets into
/// the buffer, runs the float row code on it, and narrows the float gradient (and losses) it wrote there into the
/// caller's 16-bit buffers. The buffer stays in L1 for rows up to 2048 classes (three regions of 8 KB), in L2 beyond;
/// the float kernels' code is untouched and the arithmetic is the float path's on the same values, which is what makes
/// the 16-bit result the float result bit for bit. The whole batch is never upcast.
/// </remarks>
internal static unsafe class Float16
{
    /// <summary>Elements per staged piece (a multiple of every chunk and row-group size the kernels use).</summary>
    public const int StageFloats = 2048;

    [ThreadStatic]
    private static float[]? t_stage;

    /// <summary>True for the element types the fused kernels take: float, <see cref="Half"/> and <see cref="BFloat16"/>.</summary>
    public static bool IsFusedType<T>() => typeof(T) == typeof(float) || typeof(T) == typeof(Half) || typeof(T) == typeof(BFloat16);

    /// <summary>
    /// This thread's staging buffer of at least <paramref name="floats"/> floats (grown when a call needs more, then
    /// reused: no allocation per call, and unlike a pooled array never trimmed away by the GC). Valid until this
    /// thread's next call; a kernel block pins it while it runs.
    /// </summary>
    public static float[] Stage(int floats)
    {
        float[]? buffer = t_stage;
        if (buffer is null || buffer.Length < floats)
        {
            t_stage = buffer = GC.AllocateUninitializedArray<float>(floats);
        }

        return buffer;
    }

    /// <summary>Rows of <paramref name="k"/> elements per staged piece: as many as fill <see cref="StageFloats"/> (at least
    /// one), rounded down to a multiple of <paramref name="multiple"/> (at least one multiple).</summary>
    public static int PieceRows(int k, int multiple) => Math.Max(1, StageFloats / k / multiple) * multiple;

    /// <summary>Widens <paramref name="count"/> 16-bit values at <paramref name="source"/> into floats at <paramref name="destination"/> (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Widen<TFormat>(ushort* source, float* destination, int count) where TFormat : struct, IFloat16Format
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int step = Vector<ushort>.Count;
            for (; i <= count - step; i += step)
            {
                Vector.Widen(Vector.Load(source + i), out Vector<uint> lo, out Vector<uint> hi);
                Vector.Store(TFormat.ToSingleBits(lo), (uint*)destination + i);
                Vector.Store(TFormat.ToSingleBits(hi), (uint*)destination + i + Vector<uint>.Count);
            }
        }

        for (; i < count; i++)
        {
            destination[i] = TFormat.ToSingle(source[i]);
        }
    }

    /// <summary>Narrows <paramref name="count"/> floats at <paramref name="source"/> into the 16-bit format at
    /// <paramref name="destination"/>, each rounded to nearest even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Narrow<TFormat>(float* source, ushort* destination, int count) where TFormat : struct, IFloat16Format
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int step = Vector<ushort>.Count;
            for (; i <= count - step; i += step)
            {
                Vector<uint> lo = TFormat.FromSingleBits(Vector.Load((uint*)source + i));
                Vector<uint> hi = TFormat.FromSingleBits(Vector.Load((uint*)source + i + Vector<uint>.Count));
                Vector.Store(Vector.Narrow(lo, hi), destination + i);
            }
        }

        for (; i < count; i++)
        {
            destination[i] = TFormat.FromSingle(source[i]);
        }
    }

    /// <summary>True when <typeparamref name="TCheck"/> passes every value of a float, <see cref="Half"/> or
    /// <see cref="BFloat16"/> span: float values in place, 16-bit ones widened a few whole rows of
    /// <paramref name="rowLength"/> at a time into this thread's staging buffer (the same float values, so the same answer).</summary>
    public static bool All<T, TCheck>(ReadOnlySpan<T> values, int rowLength, in TCheck check)
        where T : unmanaged where TCheck : struct, IFloatsCheck
    {
        fixed (T* v = values)
        {
            return ByType<T, Checked<TCheck>, bool>(new Checked<TCheck>(check, v, values.Length, rowLength));
        }
    }

    /// <summary>The one place the fused kernels tell their element types apart: <paramref name="run"/>'s float body for
    /// float, its staged body for <see cref="Half"/> and <see cref="BFloat16"/> (<see cref="IsFusedType{T}"/>).</summary>
    public static TResult ByType<T, TRun, TResult>(in TRun run) where TRun : struct, IByElementType<TResult> =>
        typeof(T) == typeof(float) ? run.Float()
        : typeof(T) == typeof(Half) ? run.Staged<HalfFormat>()
        : typeof(T) == typeof(BFloat16) ? run.Staged<BFloat16Format>()
        : throw new UnreachableException("The fused kernels take float, Half or BFloat16.");

    private readonly struct Checked<TCheck>(TCheck check, void* values, int length, int rowLength) : IByElementType<bool>
        where TCheck : struct, IFloatsCheck
    {
        public bool Float() => check.Passes(new ReadOnlySpan<float>(values, length));

        public bool Staged<TFormat>() where TFormat : struct, IFloat16Format
        {
            int piece = PieceRows(rowLength, 1) * rowLength;
            fixed (float* stage = Stage(piece))
            {
                for (int p0 = 0; p0 < length; p0 += piece)
                {
                    int m = Math.Min(piece, length - p0);
                    Widen<TFormat>((ushort*)values + p0, stage, m);
                    if (!check.Passes(new ReadOnlySpan<float>(stage, m)))
                    {
                        return false;
                    }
                }
            }

            return true;
        }
    }
}
