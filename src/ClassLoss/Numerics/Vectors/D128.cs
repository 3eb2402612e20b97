using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector128{T}"/> (2 doubles).</summary>
internal readonly unsafe struct D128 : IVec<D128, double>
{
    internal readonly Vector128<double> _v;

    internal D128(Vector128<double> v) => _v = v;

    public static int Count => Vector128<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Broadcast(double value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Load(double* p) => new(Vector128.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(D128 v, double* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(D128 v) => Math.Max(v._v.GetElement(0), v._v.GetElement(1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(D128 v) => Vector128.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Add(D128 a, D128 b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Sub(D128 a, D128 b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Mul(D128 a, D128 b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Div(D128 a, D128 b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Fma(D128 a, D128 b, D128 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Max(D128 a, D128 b) => new(Vector128.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 NegativeAbs(D128 a) => new(Vector128.BitwiseOr(a._v, Vector128.Create(-0.0)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 SelectLess(D128 a, D128 b, D128 whenTrue, D128 whenFalse) =>
        new(Vector128.ConditionalSelect(Vector128.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 SelectGreaterOrEqual(D128 a, D128 b, D128 whenTrue, D128 whenFalse) =>
        new(Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 SelectEqual(D128 a, D128 b, D128 whenTrue, D128 whenFalse) =>
        new(Vector128.ConditionalSelect(Vector128.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 ZeroFirst(D128 v, int count) =>
        new(Vector128.ConditionalSelect(Vector128.LessThan(Vector128<long>.Indices, Vector128.Create((long)count)).AsDouble(), Vector128<double>.Zero, v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(D128 v) => !Vector128.EqualsAll(v._v - v._v, Vector128<double>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 MulByPowerOfTwo(D128 p, D128 n, D128 t)
    {
        D128 n1 = Max(n, Broadcast(-1022.0));
        return Mul(Mul(p, PowerOfTwo(n1)), PowerOfTwo(Sub(n, n1)));
    }

    /// <summary><c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static D128 PowerOfTwo(D128 k) =>
        new((Vector128.ShiftLeft((k._v + Vector128.Create(VectorMathD.RoundMagic)).AsInt64(), 52) + Vector128.Create(1023L << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 GatherStrided(double* p, int stride) =>
        Avx2.IsSupported ? new(Avx2.GatherVector128(p, Vector128<int>.Indices * stride, 8)) : new(Vector128.Create(p[0], p[stride]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(D128 v, double* acc) => (Vector128.Load(acc) + v._v).Store(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Neg(D128 a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Min(D128 a, D128 b) => new(Vector128.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 MaxBits(D128 a, D128 b) => new(Vector128.Max(a._v.AsUInt64(), b._v.AsUInt64()).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(D128 v, ulong limit) => Vector128.GreaterThanAny(v._v.AsUInt64(), Vector128.Create(limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 Mantissa(D128 x, out D128 exponent)
    {
        var wide = x._v.AsInt64();
        exponent = new(Vector128.ConvertToDouble(Vector128.ShiftRightArithmetic(wide, 52) - Vector128.Create(1022L)));
        return new(((wide & Vector128.Create(0x000FFFFFFFFFFFFFL)) | Vector128.Create(0x3FE0000000000000L)).AsDouble());
    }

    public static bool HasReciprocalEstimate => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D128 ReciprocalEstimate(D128 a) => new(Vector128<double>.One / a._v);
}
