using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector512{T}"/> (8 doubles): AVX-512, with <c>vscalefpd</c>.</summary>
internal readonly unsafe struct D512 : IVec<D512, double>
{
    internal readonly Vector512<double> _v;

    internal D512(Vector512<double> v) => _v = v;

    public static int Count => Vector512<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Broadcast(double value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Load(double* p) => new(Vector512.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(D512 v, double* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(D512 v) => D256.MaxAcross(new D256(Vector256.Max(v._v.GetLower(), v._v.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double SumAcross(D512 v) => Vector512.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Add(D512 a, D512 b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Sub(D512 a, D512 b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Mul(D512 a, D512 b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Div(D512 a, D512 b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Fma(D512 a, D512 b, D512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Max(D512 a, D512 b) => new(Vector512.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 NegativeAbs(D512 a) => new(Vector512.BitwiseOr(a._v, Vector512.Create(-0.0)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 SelectLess(D512 a, D512 b, D512 whenTrue, D512 whenFalse) =>
        new(Vector512.ConditionalSelect(Vector512.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 SelectGreaterOrEqual(D512 a, D512 b, D512 whenTrue, D512 whenFalse) =>
        new(Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 SelectEqual(D512 a, D512 b, D512 whenTrue, D512 whenFalse) =>
        new(Vector512.ConditionalSelect(Vector512.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 ZeroFirst(D512 v, int count) =>
        new(Vector512.ConditionalSelect(Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)count)).AsDouble(), Vector512<double>.Zero, v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(D512 v) => !Vector512.EqualsAll(v._v - v._v, Vector512<double>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 MulByPowerOfTwo(D512 p, D512 n, D512 t)
    {
        if (Avx512F.IsSupported)
        {
            return new(Avx512F.Scale(p._v, n._v));
        }

        D512 n1 = Max(n, Broadcast(-1022.0));
        return Mul(Mul(p, PowerOfTwo(n1)), PowerOfTwo(Sub(n, n1)));
    }

    /// <summary><c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static D512 PowerOfTwo(D512 k) =>
        new((Vector512.ShiftLeft((k._v + Vector512.Create(VectorMathD.RoundMagic)).AsInt64(), 52) + Vector512.Create(1023L << 52)).AsDouble());

    /// <summary>.NET has no 512-bit gather: two 256-bit ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 GatherStrided(double* p, int stride) =>
        new(Vector512.Create(D256.GatherStrided(p, stride)._v, D256.GatherStrided(p + (Vector256<double>.Count * stride), stride)._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(D512 v, double* acc) => (Vector512.Load(acc) + v._v).Store(acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Neg(D512 a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Min(D512 a, D512 b) => new(Vector512.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 MaxBits(D512 a, D512 b) => new(Vector512.Max(a._v.AsUInt64(), b._v.AsUInt64()).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(D512 v, ulong limit) => Vector512.GreaterThanAny(v._v.AsUInt64(), Vector512.Create(limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 Mantissa(D512 x, out D512 exponent)
    {
        var wide = x._v.AsInt64();
        exponent = new(Vector512.ConvertToDouble(Vector512.ShiftRightArithmetic(wide, 52) - Vector512.Create(1022L)));
        return new(((wide & Vector512.Create(0x000FFFFFFFFFFFFFL)) | Vector512.Create(0x3FE0000000000000L)).AsDouble());
    }

    public static bool HasReciprocalEstimate => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static D512 ReciprocalEstimate(D512 a) => new(Vector512<double>.One / a._v);
}
