using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// <see cref="IVecD{TV}"/> with one lane: the double kernels on hardware without SIMD (<c>DOTNET_EnableHWIntrinsic=0</c>)
/// and on rows shorter than the narrowest vector. Every operation is the vector widths' lane operation (fused
/// multiply-add included), so a scalar result equals a vector lane's.
/// </summary>
internal readonly unsafe struct DScalar : IVecD<DScalar>
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
    public static DScalar MulByPowerOfTwo(DScalar p, DScalar n)
    {
        double n1 = Math.Max(n._v, -1022.0);
        return new(p._v * PowerOfTwo(n1) * PowerOfTwo(n._v - n1));
    }

    /// <summary><c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PowerOfTwo(double k) =>
        BitConverter.Int64BitsToDouble((BitConverter.DoubleToInt64Bits(k + VectorMathD.RoundMagic) << 52) + (1023L << 52));
}
