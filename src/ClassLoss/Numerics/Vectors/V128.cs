using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector128{T}"/> (4 floats): SSE/AVX or Arm AdvSIMD.</summary>
internal readonly unsafe struct V128 : IVec<V128, float>
{
    internal readonly Vector128<float> _v;

    internal V128(Vector128<float> v) => _v = v;


    public static int Count => Vector128<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Broadcast(float value) => Unsafe.BitCast<Vector128<float>, V128>(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Load(float* p) => Unsafe.BitCast<Vector128<float>, V128>(Vector128.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V128 v, float* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 GatherStrided(float* p, int stride) => Avx2.IsSupported
        ? Unsafe.BitCast<Vector128<float>, V128>(Avx2.GatherVector128(p, Vector128<int>.Indices * stride, 4))
        : Unsafe.BitCast<Vector128<float>, V128>(Vector128.Create(p[0], p[stride], p[2 * stride], p[3 * stride]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(V128 v, double* acc)
    {
        (Vector128.Load(acc) + Vector128.WidenLower(v._v)).Store(acc);
        (Vector128.Load(acc + 2) + Vector128.WidenUpper(v._v)).Store(acc + 2);
    }

    /// <summary>The largest lane by halving with vector max (IEEE maximum: a NaN lane gives NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V128 v)
    {
        var m = Vector128.Max(v._v, Vector128.Shuffle(v._v, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(V128 v) => Vector128.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Add(V128 a, V128 b) => Unsafe.BitCast<Vector128<float>, V128>(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Sub(V128 a, V128 b) => Unsafe.BitCast<Vector128<float>, V128>(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Mul(V128 a, V128 b) => Unsafe.BitCast<Vector128<float>, V128>(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Div(V128 a, V128 b) => Unsafe.BitCast<Vector128<float>, V128>(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Fma(V128 a, V128 b, V128 c) => Unsafe.BitCast<Vector128<float>, V128>(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Neg(V128 a) => Unsafe.BitCast<Vector128<float>, V128>(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Min(V128 a, V128 b) => Unsafe.BitCast<Vector128<float>, V128>(Vector128.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Max(V128 a, V128 b) => Unsafe.BitCast<Vector128<float>, V128>(Vector128.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 SelectGreaterOrEqual(V128 a, V128 b, V128 whenTrue, V128 whenFalse) =>
        Unsafe.BitCast<Vector128<float>, V128>(Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 SelectLess(V128 a, V128 b, V128 whenTrue, V128 whenFalse) =>
        Unsafe.BitCast<Vector128<float>, V128>(Vector128.ConditionalSelect(Vector128.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 SelectEqual(V128 a, V128 b, V128 whenTrue, V128 whenFalse) =>
        Unsafe.BitCast<Vector128<float>, V128>(Vector128.ConditionalSelect(Vector128.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 ZeroFirst(V128 v, int count) =>
        Unsafe.BitCast<Vector128<float>, V128>(Vector128.ConditionalSelect(Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle(), Vector128<float>.Zero, v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 NegativeAbs(V128 a) => Unsafe.BitCast<Vector128<float>, V128>(Vector128.BitwiseOr(a._v, Vector128.Create(-0.0f)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 MaxBits(V128 a, V128 b) => Unsafe.BitCast<Vector128<float>, V128>(Vector128.Max(a._v.AsUInt32(), b._v.AsUInt32()).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(V128 v, ulong limit) => Vector128.GreaterThanAny(v._v.AsUInt32(), Vector128.Create((uint)limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(V128 v) => !Vector128.EqualsAll(v._v - v._v, Vector128<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 MulByPowerOfTwo(V128 p, V128 n, V128 t) =>
        Unsafe.BitCast<Vector128<float>, V128>(p._v * (Vector128.ShiftLeft(t._v.AsInt32(), 23) + Vector128.Create(127 << 23)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 Mantissa(V128 x, out V128 exponent)
    {
        var bits = x._v.AsInt32();
        exponent = Unsafe.BitCast<Vector128<float>, V128>(Vector128.ConvertToSingle(Vector128.ShiftRightArithmetic(bits, 23) - Vector128.Create(126)));
        return Unsafe.BitCast<Vector128<float>, V128>(((bits & Vector128.Create(0x007FFFFF)) | Vector128.Create(0x3F000000)).AsSingle());
    }

    public static bool HasReciprocalEstimate => Sse.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128 ReciprocalEstimate(V128 a) => Sse.IsSupported ? Unsafe.BitCast<Vector128<float>, V128>(Sse.Reciprocal(a._v)) : Unsafe.BitCast<Vector128<float>, V128>(Vector128<float>.One / a._v);
}
