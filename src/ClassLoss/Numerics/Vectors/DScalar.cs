using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// <see cref="IVec{TV, T}"/> with one lane: the double kernels on hardware without SIMD (<c>DOTNET_EnableHWIntrinsic=0</c>)
/// and on rows shorter than the narrowest vector. Every operation is the vector widths' lane operation (fused
/// multiply-add included), so a scalar result equals a vector lane's.
/// </summary>
internal readonly unsafe struct DScalar : IVec<DScalar, double>
{
    internal readonly double _v;

    internal DScalar(double v) => _v = v;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Broadcast(double value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Load(double* p) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(DScalar v, double* p) => *p = v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(DScalar v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(DScalar v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Add(DScalar a, DScalar b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Sub(DScalar a, DScalar b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Mul(DScalar a, DScalar b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Div(DScalar a, DScalar b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Fma(DScalar a, DScalar b, DScalar c) => new(Math.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Max(DScalar a, DScalar b) => new(Math.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar NegativeAbs(DScalar a) => new(-Math.Abs(a._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar SelectLess(DScalar a, DScalar b, DScalar whenTrue, DScalar whenFalse) => a._v < b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar SelectGreaterOrEqual(DScalar a, DScalar b, DScalar whenTrue, DScalar whenFalse) => a._v >= b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar SelectEqual(DScalar a, DScalar b, DScalar whenTrue, DScalar whenFalse) => a._v == b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar ZeroFirst(DScalar v, int count) => count > 0 ? new(0) : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(DScalar v) => !double.IsFinite(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar MulByPowerOfTwo(DScalar p, DScalar n, DScalar t)
    {
        double n1 = Math.Max(n._v, -1022.0);
        return new(p._v * PowerOfTwo(n1) * PowerOfTwo(n._v - n1));
    }

    /// <summary><c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PowerOfTwo(double k) =>
        BitConverter.Int64BitsToDouble((BitConverter.DoubleToInt64Bits(k + VectorMathD.RoundMagic) << 52) + (1023L << 52));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar GatherStrided(double* p, int stride) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(DScalar v, double* acc) => *acc += v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Neg(DScalar a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Min(DScalar a, DScalar b) => new(Math.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar MaxBits(DScalar a, DScalar b) =>
        new(BitConverter.UInt64BitsToDouble(Math.Max(BitConverter.DoubleToUInt64Bits(a._v), BitConverter.DoubleToUInt64Bits(b._v))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(DScalar v, ulong limit) => BitConverter.DoubleToUInt64Bits(v._v) > limit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar Mantissa(DScalar x, out DScalar exponent)
    {
        long wide = BitConverter.DoubleToInt64Bits(x._v);
        exponent = new((wide >> 52) - 1022);
        return new(BitConverter.Int64BitsToDouble((wide & 0x000FFFFFFFFFFFFFL) | 0x3FE0000000000000L));
    }

    public static bool HasReciprocalEstimate => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DScalar ReciprocalEstimate(DScalar a) => new(1.0 / a._v);
}
