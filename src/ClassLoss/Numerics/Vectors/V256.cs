using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector256{T}"/> (8 floats): AVX2, with AVX-512VL's <c>vscalefps</c>
/// where the hardware has it.</summary>
internal readonly unsafe struct V256 : IVec<V256, float>
{
    internal readonly Vector256<float> _v;

    internal V256(Vector256<float> v) => _v = v;


    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Broadcast(float value) => Unsafe.BitCast<Vector256<float>, V256>(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Load(float* p) => Unsafe.BitCast<Vector256<float>, V256>(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V256 v, float* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 GatherStrided(float* p, int stride) => Avx2.IsSupported
        ? Unsafe.BitCast<Vector256<float>, V256>(Avx2.GatherVector256(p, Vector256<int>.Indices * stride, 4))
        : Unsafe.BitCast<Vector256<float>, V256>(Vector256.Create(V128.GatherStrided(p, stride)._v, V128.GatherStrided(p + (4 * stride), stride)._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(V256 v, double* acc)
    {
        (Vector256.Load(acc) + Vector256.WidenLower(v._v)).Store(acc);
        (Vector256.Load(acc + 4) + Vector256.WidenUpper(v._v)).Store(acc + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V256 v) => V128.MaxAcross(new V128(Vector128.Max(v._v.GetLower(), v._v.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(V256 v) => Vector256.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Add(V256 a, V256 b) => Unsafe.BitCast<Vector256<float>, V256>(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Sub(V256 a, V256 b) => Unsafe.BitCast<Vector256<float>, V256>(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Mul(V256 a, V256 b) => Unsafe.BitCast<Vector256<float>, V256>(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Div(V256 a, V256 b) => Unsafe.BitCast<Vector256<float>, V256>(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Fma(V256 a, V256 b, V256 c) => Unsafe.BitCast<Vector256<float>, V256>(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Neg(V256 a) => Unsafe.BitCast<Vector256<float>, V256>(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Min(V256 a, V256 b) => Unsafe.BitCast<Vector256<float>, V256>(Vector256.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Max(V256 a, V256 b) => Unsafe.BitCast<Vector256<float>, V256>(Vector256.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 SelectGreaterOrEqual(V256 a, V256 b, V256 whenTrue, V256 whenFalse) =>
        Unsafe.BitCast<Vector256<float>, V256>(Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 SelectLess(V256 a, V256 b, V256 whenTrue, V256 whenFalse) =>
        Unsafe.BitCast<Vector256<float>, V256>(Vector256.ConditionalSelect(Vector256.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 SelectEqual(V256 a, V256 b, V256 whenTrue, V256 whenFalse) =>
        Unsafe.BitCast<Vector256<float>, V256>(Vector256.ConditionalSelect(Vector256.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 ZeroFirst(V256 v, int count) =>
        Unsafe.BitCast<Vector256<float>, V256>(Vector256.ConditionalSelect(Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle(), Vector256<float>.Zero, v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 NegativeAbs(V256 a) => Unsafe.BitCast<Vector256<float>, V256>(Vector256.BitwiseOr(a._v, Vector256.Create(-0.0f)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 MaxBits(V256 a, V256 b) => Unsafe.BitCast<Vector256<float>, V256>(Vector256.Max(a._v.AsUInt32(), b._v.AsUInt32()).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(V256 v, ulong limit) => Vector256.GreaterThanAny(v._v.AsUInt32(), Vector256.Create((uint)limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(V256 v) => !Vector256.EqualsAll(v._v - v._v, Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 MulByPowerOfTwo(V256 p, V256 n, V256 t) => Avx512F.VL.IsSupported
        ? Unsafe.BitCast<Vector256<float>, V256>(Avx512F.VL.Scale(p._v, n._v))
        : Unsafe.BitCast<Vector256<float>, V256>(p._v * (Vector256.ShiftLeft(t._v.AsInt32(), 23) + Vector256.Create(127 << 23)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 Mantissa(V256 x, out V256 exponent)
    {
        var bits = x._v.AsInt32();
        exponent = Unsafe.BitCast<Vector256<float>, V256>(Vector256.ConvertToSingle(Vector256.ShiftRightArithmetic(bits, 23) - Vector256.Create(126)));
        return Unsafe.BitCast<Vector256<float>, V256>(((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F000000)).AsSingle());
    }

    public static bool HasReciprocalEstimate => Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256 ReciprocalEstimate(V256 a) => Avx.IsSupported ? Unsafe.BitCast<Vector256<float>, V256>(Avx.Reciprocal(a._v)) : Unsafe.BitCast<Vector256<float>, V256>(Vector256<float>.One / a._v);
}
