using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector256{T}"/> (4 doubles).</summary>
internal readonly unsafe struct D256 : IVec<D256, double>
{
    internal readonly Vector256<double> _v;

    internal D256(Vector256<double> v) => _v = v;

    public static int Count => Vector256<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Broadcast(double value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Load(double* p) => new(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(D256 v, double* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(D256 v) => D128.MaxAcross(new D128(Vector128.Max(v._v.GetLower(), v._v.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(D256 v) => Vector256.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Add(D256 a, D256 b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Sub(D256 a, D256 b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Mul(D256 a, D256 b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Div(D256 a, D256 b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Fma(D256 a, D256 b, D256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Max(D256 a, D256 b) => new(Vector256.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 NegativeAbs(D256 a) => new(Vector256.BitwiseOr(a._v, Vector256.Create(-0.0)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 SelectLess(D256 a, D256 b, D256 whenTrue, D256 whenFalse) =>
        new(Vector256.ConditionalSelect(Vector256.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 SelectGreaterOrEqual(D256 a, D256 b, D256 whenTrue, D256 whenFalse) =>
        new(Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 SelectEqual(D256 a, D256 b, D256 whenTrue, D256 whenFalse) =>
        new(Vector256.ConditionalSelect(Vector256.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 ZeroFirst(D256 v, int count) =>
        new(Vector256.ConditionalSelect(Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).AsDouble(), Vector256<double>.Zero, v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(D256 v) => !Vector256.EqualsAll(v._v - v._v, Vector256<double>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 MulByPowerOfTwo(D256 p, D256 n, D256 t)
    {
        D256 n1 = Max(n, Broadcast(-1022.0));
        return Mul(Mul(p, PowerOfTwo(n1)), PowerOfTwo(Sub(n, n1)));
    }

    /// <summary><c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static D256 PowerOfTwo(D256 k) =>
        new((Vector256.ShiftLeft((k._v + Vector256.Create(VectorMathD.RoundMagic)).AsInt64(), 52) + Vector256.Create(1023L << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 GatherStrided(double* p, int stride) =>
        !Avx2.IsSupported
        ? new(Vector256.Create(D128.GatherStrided(p, stride)._v, D128.GatherStrided(p + (Vector128<double>.Count * stride), stride)._v))
        : new(Avx2.GatherVector256(p, Vector128<int>.Indices * stride, 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(D256 v, double* acc) => (Vector256.Load(acc) + v._v).Store(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Neg(D256 a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Min(D256 a, D256 b) => new(Vector256.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 MaxBits(D256 a, D256 b) => new(Vector256.Max(a._v.AsUInt64(), b._v.AsUInt64()).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(D256 v, ulong limit) => Vector256.GreaterThanAny(v._v.AsUInt64(), Vector256.Create(limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 Mantissa(D256 x, out D256 exponent)
    {
        var wide = x._v.AsInt64();
        exponent = new(Vector256.ConvertToDouble(Vector256.ShiftRightArithmetic(wide, 52) - Vector256.Create(1022L)));
        return new(((wide & Vector256.Create(0x000FFFFFFFFFFFFFL)) | Vector256.Create(0x3FE0000000000000L)).AsDouble());
    }

    public static bool HasReciprocalEstimate => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D256 ReciprocalEstimate(D256 a) => new(Vector256<double>.One / a._v);
}
