using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ClassLoss;

/// <summary>
/// The bfloat16 ("brain floating point") number: 16 bits, namely the upper half of an IEEE 754 binary32 float (1 sign
/// bit, the same 8 exponent bits, 7 fraction bits), so it has float's range with 8 significant bits.
/// </summary>
/// <remarks>
/// <para>Why it exists: .NET 10 has no bfloat16 type (<c>System.Numerics.BFloat16</c> arrives with .NET 11), and the
/// losses take bf16 logits the way training frameworks produce them. The bit layout is that of <c>torch.bfloat16</c>,
/// JAX's <c>jnp.bfloat16</c> and .NET 11's <c>System.Numerics.BFloat16</c>, so buffers can be shared with them
/// (reinterpret a <c>ushort</c> span with <c>MemoryMarshal.Cast</c>).</para>
/// <para>Conversions: to float (and double) exact, by placing the bits in the upper half. From float: round to nearest,
/// ties to even, on the 16 discarded bits; values beyond the largest finite bf16 (3.3895e38) by half an ulp or more
/// become ±∞; subnormals round the same way (bf16 keeps float's exponent range); NaN stays NaN (same sign and leading
/// payload bits, so all 65,536 bit patterns round-trip through float; the quiet bit is set where the payload was only
/// in the discarded half). From double: rounded once, to nearest even (no double rounding through float).</para>
/// <para>Arithmetic forwards to float and rounds the result back: float's 24 significant bits are more than twice
/// bf16's 8 plus 2, so <c>+ - * /</c>, <c>%</c> and <see cref="Sqrt"/> are correctly rounded; the other functions have
/// float's accuracy plus one rounding. Comparison and equality are float's (NaN unordered, +0 == -0; <see cref="Equals(BFloat16)"/>
/// treats NaN as equal to NaN, as <see cref="float.Equals(float)"/>). Text is float's formatting of the value, and
/// parsing reads a double and rounds it once.</para>
/// <para>It implements <see cref="IFloatingPointIeee754{TSelf}"/>, so it is a valid <c>T</c> of every generic loss and
/// activation. The fused loss kernels take bf16 inputs too, converting a few rows at a time into a small float buffer and
/// computing in float, with the float path's result bit for bit (docs/numerics.md, "Half and BFloat16 inputs").</para>
/// </remarks>
public readonly struct BFloat16 : IFloatingPointIeee754<BFloat16>, IMinMaxValue<BFloat16>
{
    private const ushort SignBit = 0x8000;
    private const ushort PositiveInfinityBits = 0x7F80;
    private const ushort NegativeInfinityBits = 0xFF80;

    private readonly ushort _bits;

    private BFloat16(ushort bits) => _bits = bits;

    // ---- bits and conversions ----

    /// <summary>The value whose bit pattern is <paramref name="bits"/> (the upper 16 bits of the float it stands for).</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>The bit pattern of this value.</summary>
    public ushort ToBits() => _bits;

    /// <summary>The exact float value (the bits shifted into the upper half).</summary>
    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value._bits << 16);

    /// <summary>The exact double value.</summary>
    public static explicit operator double(BFloat16 value) => (float)value;

    /// <summary>The exact Half value where there is one (bf16's 8 significant bits fit Half's 11; out of Half's range it
    /// rounds as float to Half does).</summary>
    public static explicit operator Half(BFloat16 value) => (Half)(float)value;

    /// <summary><paramref name="value"/> rounded to nearest, ties to even; NaN stays NaN, overflow gives ±∞.</summary>
    public static explicit operator BFloat16(float value) => new(RoundFromSingleBits(BitConverter.SingleToUInt32Bits(value)));

    /// <summary><paramref name="value"/> rounded once to nearest, ties to even; NaN stays NaN, overflow gives ±∞.</summary>
    public static explicit operator BFloat16(double value) => new(RoundFromDouble(value));

    /// <summary><paramref name="value"/> rounded to nearest, ties to even (Half to float is exact).</summary>
    public static explicit operator BFloat16(Half value) => (BFloat16)(float)value;

    /// <summary>The bf16 bits of the float with bits <paramref name="bits"/>: round to nearest even on the low 16 bits.
    /// A NaN keeps its sign and upper payload bits (so every bf16 pattern round-trips through float); when those bits
    /// alone would read as ∞ (a payload only in the low half), the quiet bit is set, so a NaN never becomes ∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ushort RoundFromSingleBits(uint bits)
    {
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            uint upper = bits >> 16;
            return (ushort)((upper & 0x7F) != 0 ? upper : upper | 0x0040);
        }

        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>The bf16 bits of a double, rounded once: the double is first rounded to float by rounding to odd (the
    /// truncation with a sticky last bit), which float's 16 spare bits make exact for the final round to nearest even.</summary>
    private static ushort RoundFromDouble(double value)
    {
        float f = (float)value;
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if (double.IsFinite(value) && (double)f != value)
        {
            if (Math.Abs((double)f) > Math.Abs(value))
            {
                bits--; // one step toward zero (sign-magnitude): the truncation; ∞ becomes the largest finite float
            }

            bits |= 1;
        }

        return RoundFromSingleBits(bits);
    }

    // ---- constants ----

    /// <summary>The smallest positive value, 2^-133 (a subnormal).</summary>
    public static BFloat16 Epsilon => new(0x0001);

    /// <summary>The largest finite value, (2 - 2^-7)·2^127 ≈ 3.3895e38.</summary>
    public static BFloat16 MaxValue => new(0x7F7F);

    /// <summary>The most negative finite value, ≈ -3.3895e38.</summary>
    public static BFloat16 MinValue => new(0xFF7F);

    /// <summary>Not a number (the upper half of <see cref="float.NaN"/>).</summary>
    public static BFloat16 NaN => new(0xFFC0);

    /// <summary>+∞.</summary>
    public static BFloat16 PositiveInfinity => new(PositiveInfinityBits);

    /// <summary>-∞.</summary>
    public static BFloat16 NegativeInfinity => new(NegativeInfinityBits);

    /// <summary>-0.</summary>
    public static BFloat16 NegativeZero => new(SignBit);

    /// <summary>0.</summary>
    public static BFloat16 Zero => default;

    /// <summary>1.</summary>
    public static BFloat16 One => new(0x3F80);

    /// <summary>-1.</summary>
    public static BFloat16 NegativeOne => new(0xBF80);

    static BFloat16 IFloatingPointConstants<BFloat16>.E => (BFloat16)MathF.E;

    static BFloat16 IFloatingPointConstants<BFloat16>.Pi => (BFloat16)MathF.PI;

    static BFloat16 IFloatingPointConstants<BFloat16>.Tau => (BFloat16)MathF.Tau;

    static int INumberBase<BFloat16>.Radix => 2;

    static BFloat16 IAdditiveIdentity<BFloat16, BFloat16>.AdditiveIdentity => Zero;

    static BFloat16 IMultiplicativeIdentity<BFloat16, BFloat16>.MultiplicativeIdentity => One;

    // ---- classification ----

    /// <summary>True for NaN.</summary>
    public static bool IsNaN(BFloat16 value) => (value._bits & 0x7FFF) > PositiveInfinityBits;

    /// <summary>True for ±∞.</summary>
    public static bool IsInfinity(BFloat16 value) => (value._bits & 0x7FFF) == PositiveInfinityBits;

    /// <summary>True unless NaN or ±∞.</summary>
    public static bool IsFinite(BFloat16 value) => (value._bits & 0x7FFF) < PositiveInfinityBits;

    /// <summary>True when the sign bit is set (-0, negative numbers, negative NaNs).</summary>
    public static bool IsNegative(BFloat16 value) => (value._bits & SignBit) != 0;

    static bool INumberBase<BFloat16>.IsCanonical(BFloat16 value) => true;

    static bool INumberBase<BFloat16>.IsComplexNumber(BFloat16 value) => false;

    static bool INumberBase<BFloat16>.IsEvenInteger(BFloat16 value) => float.IsEvenInteger((float)value);

    static bool INumberBase<BFloat16>.IsImaginaryNumber(BFloat16 value) => false;

    static bool INumberBase<BFloat16>.IsInteger(BFloat16 value) => float.IsInteger((float)value);

    static bool INumberBase<BFloat16>.IsNegativeInfinity(BFloat16 value) => value._bits == NegativeInfinityBits;

    static bool INumberBase<BFloat16>.IsNormal(BFloat16 value) => float.IsNormal((float)value);

    static bool INumberBase<BFloat16>.IsOddInteger(BFloat16 value) => float.IsOddInteger((float)value);

    static bool INumberBase<BFloat16>.IsPositive(BFloat16 value) => (value._bits & SignBit) == 0;

    static bool INumberBase<BFloat16>.IsPositiveInfinity(BFloat16 value) => value._bits == PositiveInfinityBits;

    static bool INumberBase<BFloat16>.IsRealNumber(BFloat16 value) => !IsNaN(value);

    static bool INumberBase<BFloat16>.IsSubnormal(BFloat16 value) => float.IsSubnormal((float)value);

    static bool INumberBase<BFloat16>.IsZero(BFloat16 value) => (value._bits & 0x7FFF) == 0;

    // ---- operators (float arithmetic, rounded back) ----

    /// <summary>The sum, correctly rounded.</summary>
    public static BFloat16 operator +(BFloat16 left, BFloat16 right) => (BFloat16)((float)left + (float)right);

    /// <summary>The difference, correctly rounded.</summary>
    public static BFloat16 operator -(BFloat16 left, BFloat16 right) => (BFloat16)((float)left - (float)right);

    /// <summary>The product, correctly rounded.</summary>
    public static BFloat16 operator *(BFloat16 left, BFloat16 right) => (BFloat16)((float)left * (float)right);

    /// <summary>The quotient, correctly rounded.</summary>
    public static BFloat16 operator /(BFloat16 left, BFloat16 right) => (BFloat16)((float)left / (float)right);

    /// <summary>The remainder of truncated division (as <see cref="float"/>'s <c>%</c>; exact).</summary>
    public static BFloat16 operator %(BFloat16 left, BFloat16 right) => (BFloat16)((float)left % (float)right);

    /// <summary>The negation (the sign bit flipped).</summary>
    public static BFloat16 operator -(BFloat16 value) => new((ushort)(value._bits ^ SignBit));

    /// <summary>The value itself.</summary>
    public static BFloat16 operator +(BFloat16 value) => value;

    /// <summary>The value plus one, rounded.</summary>
    public static BFloat16 operator ++(BFloat16 value) => (BFloat16)((float)value + 1f);

    /// <summary>The value minus one, rounded.</summary>
    public static BFloat16 operator --(BFloat16 value) => (BFloat16)((float)value - 1f);

    /// <summary>Float equality: false when either is NaN, true for +0 and -0.</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => (float)left == (float)right;

    /// <summary>Float inequality: true when either is NaN.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => (float)left != (float)right;

    /// <summary>Float order (false when either is NaN).</summary>
    public static bool operator <(BFloat16 left, BFloat16 right) => (float)left < (float)right;

    /// <summary>Float order (false when either is NaN).</summary>
    public static bool operator >(BFloat16 left, BFloat16 right) => (float)left > (float)right;

    /// <summary>Float order (false when either is NaN).</summary>
    public static bool operator <=(BFloat16 left, BFloat16 right) => (float)left <= (float)right;

    /// <summary>Float order (false when either is NaN).</summary>
    public static bool operator >=(BFloat16 left, BFloat16 right) => (float)left >= (float)right;

    // ---- equality, order, text ----

    /// <summary>As <see cref="float.Equals(float)"/>: NaN equals NaN, +0 equals -0.</summary>
    public bool Equals(BFloat16 other) => ((float)this).Equals((float)other);

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => ((float)this).GetHashCode();

    /// <summary>As <see cref="float.CompareTo(float)"/>: NaN first, then the numbers in order.</summary>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <summary>As <see cref="CompareTo(BFloat16)"/>; null compares below every value.</summary>
    /// <exception cref="ArgumentException"><paramref name="obj"/> is not a <see cref="BFloat16"/>.</exception>
    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        BFloat16 other => CompareTo(other),
        _ => throw new ArgumentException("The object is not a BFloat16.", nameof(obj)),
    };

    /// <summary>The float value's text.</summary>
    public override string ToString() => ((float)this).ToString(CultureInfo.CurrentCulture);

    /// <summary>The float value's text in <paramref name="format"/>.</summary>
    public string ToString(string? format, IFormatProvider? formatProvider) => ((float)this).ToString(format, formatProvider);

    /// <summary>The float value's text in <paramref name="format"/>, into <paramref name="destination"/>.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        ((float)this).TryFormat(destination, out charsWritten, format, provider);

    /// <summary>The float value's UTF-8 text in <paramref name="format"/>, into <paramref name="utf8Destination"/>.</summary>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        ((float)this).TryFormat(utf8Destination, out bytesWritten, format, provider);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once.</summary>
    public static BFloat16 Parse(string s, IFormatProvider? provider) => (BFloat16)double.Parse(s, provider);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once.</summary>
    public static BFloat16 Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => (BFloat16)double.Parse(s, provider);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once.</summary>
    public static BFloat16 Parse(string s, NumberStyles style, IFormatProvider? provider) => (BFloat16)double.Parse(s, style, provider);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once.</summary>
    public static BFloat16 Parse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider) =>
        (BFloat16)double.Parse(s, style, provider);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once; false when the text is not a number.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out BFloat16 result) =>
        Rounded(double.TryParse(s, provider, out double d), d, out result);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once; false when the text is not a number.</summary>
    public static bool TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out BFloat16 result) =>
        Rounded(double.TryParse(s, provider, out double d), d, out result);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once; false when the text is not a number.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, NumberStyles style, IFormatProvider? provider, out BFloat16 result) =>
        Rounded(double.TryParse(s, style, provider, out double d), d, out result);

    /// <summary>Parses a number (as <see cref="double"/>) and rounds it once; false when the text is not a number.</summary>
    public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out BFloat16 result) =>
        Rounded(double.TryParse(s, style, provider, out double d), d, out result);

    private static bool Rounded(bool parsed, double value, out BFloat16 result)
    {
        result = parsed ? (BFloat16)value : default;
        return parsed;
    }

    // ---- conversions between number types (INumberBase) ----

    static bool INumberBase<BFloat16>.TryConvertFromChecked<TOther>(TOther value, out BFloat16 result) => TryConvertFrom(value, out result);

    static bool INumberBase<BFloat16>.TryConvertFromSaturating<TOther>(TOther value, out BFloat16 result) => TryConvertFrom(value, out result);

    static bool INumberBase<BFloat16>.TryConvertFromTruncating<TOther>(TOther value, out BFloat16 result) => TryConvertFrom(value, out result);

    /// <summary>From the number types .NET defines (a conversion to a floating-point type never overflows, so checked,
    /// saturating and truncating agree): floating-point types are rounded once, others go through double.</summary>
    private static bool TryConvertFrom<TOther>(TOther value, out BFloat16 result) where TOther : INumberBase<TOther>
    {
        if (typeof(TOther) == typeof(double))
        {
            result = (BFloat16)(double)(object)value;
            return true;
        }

        if (typeof(TOther) == typeof(float))
        {
            result = (BFloat16)(float)(object)value;
            return true;
        }

        if (typeof(TOther) == typeof(Half))
        {
            result = (BFloat16)(Half)(object)value;
            return true;
        }

        if (IsSystemNumber<TOther>())
        {
            result = (BFloat16)double.CreateSaturating(value);
            return true;
        }

        result = default;
        return false;
    }

    static bool INumberBase<BFloat16>.TryConvertToChecked<TOther>(BFloat16 value, [MaybeNullWhen(false)] out TOther result) =>
        TryConvertTo<TOther, Checked>(value, out result);

    static bool INumberBase<BFloat16>.TryConvertToSaturating<TOther>(BFloat16 value, [MaybeNullWhen(false)] out TOther result) =>
        TryConvertTo<TOther, Saturating>(value, out result);

    static bool INumberBase<BFloat16>.TryConvertToTruncating<TOther>(BFloat16 value, [MaybeNullWhen(false)] out TOther result) =>
        TryConvertTo<TOther, Truncating>(value, out result);

    /// <summary>To the number types .NET defines, through the exact float value, checked, saturating or truncating as
    /// <typeparamref name="TKind"/> says.</summary>
    private static bool TryConvertTo<TOther, TKind>(BFloat16 value, [MaybeNullWhen(false)] out TOther result)
        where TOther : INumberBase<TOther> where TKind : IConversionKind
    {
        if (IsSystemNumber<TOther>())
        {
            result = TKind.Convert<TOther>((float)value);
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>How a float becomes another number type: <c>CreateChecked</c>, <c>CreateSaturating</c> or <c>CreateTruncating</c>.</summary>
    private interface IConversionKind
    {
        static abstract TOther Convert<TOther>(float value) where TOther : INumberBase<TOther>;
    }

    private readonly struct Checked : IConversionKind
    {
        public static TOther Convert<TOther>(float value) where TOther : INumberBase<TOther> => TOther.CreateChecked(value);
    }

    private readonly struct Saturating : IConversionKind
    {
        public static TOther Convert<TOther>(float value) where TOther : INumberBase<TOther> => TOther.CreateSaturating(value);
    }

    private readonly struct Truncating : IConversionKind
    {
        public static TOther Convert<TOther>(float value) where TOther : INumberBase<TOther> => TOther.CreateTruncating(value);
    }

    /// <summary>True for .NET's own number types, which all convert from float and double.</summary>
    private static bool IsSystemNumber<TOther>() =>
        typeof(TOther) == typeof(double) || typeof(TOther) == typeof(float) || typeof(TOther) == typeof(Half) ||
        typeof(TOther) == typeof(decimal) || typeof(TOther) == typeof(byte) || typeof(TOther) == typeof(sbyte) ||
        typeof(TOther) == typeof(short) || typeof(TOther) == typeof(ushort) || typeof(TOther) == typeof(int) ||
        typeof(TOther) == typeof(uint) || typeof(TOther) == typeof(long) || typeof(TOther) == typeof(ulong) ||
        typeof(TOther) == typeof(nint) || typeof(TOther) == typeof(nuint) || typeof(TOther) == typeof(Int128) ||
        typeof(TOther) == typeof(UInt128) || typeof(TOther) == typeof(char) || typeof(TOther) == typeof(Complex) ||
        typeof(TOther) == typeof(BigInteger);

    // ---- number functions (float's, rounded back) ----

    static BFloat16 INumberBase<BFloat16>.Abs(BFloat16 value) => new((ushort)(value._bits & 0x7FFF));

    static BFloat16 INumberBase<BFloat16>.MaxMagnitude(BFloat16 x, BFloat16 y) => (BFloat16)float.MaxMagnitude((float)x, (float)y);

    static BFloat16 INumberBase<BFloat16>.MaxMagnitudeNumber(BFloat16 x, BFloat16 y) => (BFloat16)float.MaxMagnitudeNumber((float)x, (float)y);

    static BFloat16 INumberBase<BFloat16>.MinMagnitude(BFloat16 x, BFloat16 y) => (BFloat16)float.MinMagnitude((float)x, (float)y);

    static BFloat16 INumberBase<BFloat16>.MinMagnitudeNumber(BFloat16 x, BFloat16 y) => (BFloat16)float.MinMagnitudeNumber((float)x, (float)y);

    static BFloat16 INumber<BFloat16>.Clamp(BFloat16 value, BFloat16 min, BFloat16 max) => (BFloat16)float.Clamp((float)value, (float)min, (float)max);

    static BFloat16 INumber<BFloat16>.CopySign(BFloat16 value, BFloat16 sign) =>
        new((ushort)((value._bits & 0x7FFF) | (sign._bits & SignBit)));

    static BFloat16 INumber<BFloat16>.Max(BFloat16 x, BFloat16 y) => (BFloat16)float.Max((float)x, (float)y);

    static BFloat16 INumber<BFloat16>.MaxNumber(BFloat16 x, BFloat16 y) => (BFloat16)float.MaxNumber((float)x, (float)y);

    static BFloat16 INumber<BFloat16>.Min(BFloat16 x, BFloat16 y) => (BFloat16)float.Min((float)x, (float)y);

    static BFloat16 INumber<BFloat16>.MinNumber(BFloat16 x, BFloat16 y) => (BFloat16)float.MinNumber((float)x, (float)y);

    static int INumber<BFloat16>.Sign(BFloat16 value) => float.Sign((float)value);

    static BFloat16 IFloatingPoint<BFloat16>.Ceiling(BFloat16 x) => (BFloat16)float.Ceiling((float)x);

    static BFloat16 IFloatingPoint<BFloat16>.Floor(BFloat16 x) => (BFloat16)float.Floor((float)x);

    static BFloat16 IFloatingPoint<BFloat16>.Round(BFloat16 x) => (BFloat16)float.Round((float)x);

    static BFloat16 IFloatingPoint<BFloat16>.Round(BFloat16 x, int digits) => (BFloat16)float.Round((float)x, digits);

    static BFloat16 IFloatingPoint<BFloat16>.Round(BFloat16 x, MidpointRounding mode) => (BFloat16)float.Round((float)x, mode);

    static BFloat16 IFloatingPoint<BFloat16>.Round(BFloat16 x, int digits, MidpointRounding mode) => (BFloat16)float.Round((float)x, digits, mode);

    static BFloat16 IFloatingPoint<BFloat16>.Truncate(BFloat16 x) => (BFloat16)float.Truncate((float)x);

    /// <summary>The unbiased exponent (float's, as the bits share it).</summary>
    private sbyte Exponent => (sbyte)(((_bits >> 7) & 0xFF) - 127);

    /// <summary>The significand with its implicit bit (8 bits).</summary>
    private ushort Significand => (ushort)((_bits & 0x7F) | (((_bits >> 7) & 0xFF) != 0 ? 0x80 : 0));

    int IFloatingPoint<BFloat16>.GetExponentByteCount() => sizeof(sbyte);

    int IFloatingPoint<BFloat16>.GetExponentShortestBitLength()
    {
        sbyte exponent = Exponent;
        return exponent >= 0 ? 8 - sbyte.LeadingZeroCount(exponent) : 9 - sbyte.LeadingZeroCount((sbyte)~exponent);
    }

    int IFloatingPoint<BFloat16>.GetSignificandBitLength() => 8;

    int IFloatingPoint<BFloat16>.GetSignificandByteCount() => sizeof(ushort);

    bool IFloatingPoint<BFloat16>.TryWriteExponentBigEndian(Span<byte> destination, out int bytesWritten) =>
        WriteExponent(destination, out bytesWritten);

    bool IFloatingPoint<BFloat16>.TryWriteExponentLittleEndian(Span<byte> destination, out int bytesWritten) =>
        WriteExponent(destination, out bytesWritten);

    private bool WriteExponent(Span<byte> destination, out int bytesWritten)
    {
        if (destination.IsEmpty)
        {
            bytesWritten = 0;
            return false;
        }

        destination[0] = (byte)Exponent;
        bytesWritten = 1;
        return true;
    }

    bool IFloatingPoint<BFloat16>.TryWriteSignificandBigEndian(Span<byte> destination, out int bytesWritten)
    {
        bool ok = BinaryPrimitives.TryWriteUInt16BigEndian(destination, Significand);
        bytesWritten = ok ? sizeof(ushort) : 0;
        return ok;
    }

    bool IFloatingPoint<BFloat16>.TryWriteSignificandLittleEndian(Span<byte> destination, out int bytesWritten)
    {
        bool ok = BinaryPrimitives.TryWriteUInt16LittleEndian(destination, Significand);
        bytesWritten = ok ? sizeof(ushort) : 0;
        return ok;
    }

    // ---- IEEE 754 operations ----

    static BFloat16 IFloatingPointIeee754<BFloat16>.Atan2(BFloat16 y, BFloat16 x) => (BFloat16)float.Atan2((float)y, (float)x);

    static BFloat16 IFloatingPointIeee754<BFloat16>.Atan2Pi(BFloat16 y, BFloat16 x) => (BFloat16)float.Atan2Pi((float)y, (float)x);

    /// <summary>The next smaller bf16 value (-∞ and NaN unchanged; +∞ gives <see cref="MaxValue"/>).</summary>
    static BFloat16 IFloatingPointIeee754<BFloat16>.BitDecrement(BFloat16 x)
    {
        ushort bits = x._bits;
        if ((bits & 0x7FFF) >= PositiveInfinityBits)
        {
            return bits == PositiveInfinityBits ? MaxValue : x;
        }

        if (bits == 0)
        {
            return -Epsilon;
        }

        return new((ushort)((bits & SignBit) != 0 ? bits + 1 : bits - 1));
    }

    /// <summary>The next larger bf16 value (+∞ and NaN unchanged; -∞ gives <see cref="MinValue"/>).</summary>
    static BFloat16 IFloatingPointIeee754<BFloat16>.BitIncrement(BFloat16 x)
    {
        ushort bits = x._bits;
        if ((bits & 0x7FFF) >= PositiveInfinityBits)
        {
            return bits == NegativeInfinityBits ? MinValue : x;
        }

        if (bits == SignBit)
        {
            return Epsilon;
        }

        return new((ushort)((bits & SignBit) != 0 ? bits - 1 : bits + 1));
    }

    static BFloat16 IFloatingPointIeee754<BFloat16>.FusedMultiplyAdd(BFloat16 left, BFloat16 right, BFloat16 addend) =>
        (BFloat16)Math.FusedMultiplyAdd((float)left, (float)right, (double)addend);

    static BFloat16 IFloatingPointIeee754<BFloat16>.Ieee754Remainder(BFloat16 left, BFloat16 right) =>
        (BFloat16)MathF.IEEERemainder((float)left, (float)right);

    static int IFloatingPointIeee754<BFloat16>.ILogB(BFloat16 x) => MathF.ILogB((float)x);

    static BFloat16 IFloatingPointIeee754<BFloat16>.ScaleB(BFloat16 x, int n) => (BFloat16)double.ScaleB((float)x, n);

    static BFloat16 IExponentialFunctions<BFloat16>.Exp(BFloat16 x) => (BFloat16)float.Exp((float)x);

    static BFloat16 IExponentialFunctions<BFloat16>.ExpM1(BFloat16 x) => (BFloat16)float.ExpM1((float)x);

    static BFloat16 IExponentialFunctions<BFloat16>.Exp2(BFloat16 x) => (BFloat16)float.Exp2((float)x);

    static BFloat16 IExponentialFunctions<BFloat16>.Exp2M1(BFloat16 x) => (BFloat16)float.Exp2M1((float)x);

    static BFloat16 IExponentialFunctions<BFloat16>.Exp10(BFloat16 x) => (BFloat16)float.Exp10((float)x);

    static BFloat16 IExponentialFunctions<BFloat16>.Exp10M1(BFloat16 x) => (BFloat16)float.Exp10M1((float)x);

    static BFloat16 IHyperbolicFunctions<BFloat16>.Acosh(BFloat16 x) => (BFloat16)float.Acosh((float)x);

    static BFloat16 IHyperbolicFunctions<BFloat16>.Asinh(BFloat16 x) => (BFloat16)float.Asinh((float)x);

    static BFloat16 IHyperbolicFunctions<BFloat16>.Atanh(BFloat16 x) => (BFloat16)float.Atanh((float)x);

    static BFloat16 IHyperbolicFunctions<BFloat16>.Cosh(BFloat16 x) => (BFloat16)float.Cosh((float)x);

    static BFloat16 IHyperbolicFunctions<BFloat16>.Sinh(BFloat16 x) => (BFloat16)float.Sinh((float)x);

    static BFloat16 IHyperbolicFunctions<BFloat16>.Tanh(BFloat16 x) => (BFloat16)float.Tanh((float)x);

    static BFloat16 ILogarithmicFunctions<BFloat16>.Log(BFloat16 x) => (BFloat16)float.Log((float)x);

    static BFloat16 ILogarithmicFunctions<BFloat16>.Log(BFloat16 x, BFloat16 newBase) => (BFloat16)float.Log((float)x, (float)newBase);

    static BFloat16 ILogarithmicFunctions<BFloat16>.LogP1(BFloat16 x) => (BFloat16)float.LogP1((float)x);

    static BFloat16 ILogarithmicFunctions<BFloat16>.Log2(BFloat16 x) => (BFloat16)float.Log2((float)x);

    static BFloat16 ILogarithmicFunctions<BFloat16>.Log2P1(BFloat16 x) => (BFloat16)float.Log2P1((float)x);

    static BFloat16 ILogarithmicFunctions<BFloat16>.Log10(BFloat16 x) => (BFloat16)float.Log10((float)x);

    static BFloat16 ILogarithmicFunctions<BFloat16>.Log10P1(BFloat16 x) => (BFloat16)float.Log10P1((float)x);

    static BFloat16 IPowerFunctions<BFloat16>.Pow(BFloat16 x, BFloat16 y) => (BFloat16)float.Pow((float)x, (float)y);

    static BFloat16 IRootFunctions<BFloat16>.Cbrt(BFloat16 x) => (BFloat16)float.Cbrt((float)x);

    static BFloat16 IRootFunctions<BFloat16>.Hypot(BFloat16 x, BFloat16 y) => (BFloat16)float.Hypot((float)x, (float)y);

    static BFloat16 IRootFunctions<BFloat16>.RootN(BFloat16 x, int n) => (BFloat16)float.RootN((float)x, n);

    /// <summary>The square root, correctly rounded.</summary>
    public static BFloat16 Sqrt(BFloat16 x) => (BFloat16)float.Sqrt((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.Acos(BFloat16 x) => (BFloat16)float.Acos((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.AcosPi(BFloat16 x) => (BFloat16)float.AcosPi((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.Asin(BFloat16 x) => (BFloat16)float.Asin((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.AsinPi(BFloat16 x) => (BFloat16)float.AsinPi((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.Atan(BFloat16 x) => (BFloat16)float.Atan((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.AtanPi(BFloat16 x) => (BFloat16)float.AtanPi((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.Cos(BFloat16 x) => (BFloat16)float.Cos((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.CosPi(BFloat16 x) => (BFloat16)float.CosPi((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.DegreesToRadians(BFloat16 degrees) => (BFloat16)float.DegreesToRadians((float)degrees);

    static BFloat16 ITrigonometricFunctions<BFloat16>.RadiansToDegrees(BFloat16 radians) => (BFloat16)float.RadiansToDegrees((float)radians);

    static BFloat16 ITrigonometricFunctions<BFloat16>.Sin(BFloat16 x) => (BFloat16)float.Sin((float)x);

    static (BFloat16 Sin, BFloat16 Cos) ITrigonometricFunctions<BFloat16>.SinCos(BFloat16 x)
    {
        var (sin, cos) = float.SinCos((float)x);
        return ((BFloat16)sin, (BFloat16)cos);
    }

    static (BFloat16 SinPi, BFloat16 CosPi) ITrigonometricFunctions<BFloat16>.SinCosPi(BFloat16 x)
    {
        var (sin, cos) = float.SinCosPi((float)x);
        return ((BFloat16)sin, (BFloat16)cos);
    }

    static BFloat16 ITrigonometricFunctions<BFloat16>.SinPi(BFloat16 x) => (BFloat16)float.SinPi((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.Tan(BFloat16 x) => (BFloat16)float.Tan((float)x);

    static BFloat16 ITrigonometricFunctions<BFloat16>.TanPi(BFloat16 x) => (BFloat16)float.TanPi((float)x);
}
