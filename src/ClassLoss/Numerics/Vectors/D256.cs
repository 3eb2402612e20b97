using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVecD{TV}"/> over <see cref="Vector256{T}"/> (4 doubles).</summary>
internal readonly unsafe struct D256 : IVecD<D256>
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
    public static D256 MulByPowerOfTwo(D256 p, D256 n)
    {
        D256 n1 = Max(n, Broadcast(-1022.0));
        return Mul(Mul(p, PowerOfTwo(n1)), PowerOfTwo(Sub(n, n1)));
    }

    /// <summary><c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static D256 PowerOfTwo(D256 k) =>
        new((Vector256.ShiftLeft((k._v + Vector256.Create(VectorMathD.RoundMagic)).AsInt64(), 52) + Vector256.Create(1023L << 52)).AsDouble());
}
