using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector512{T}"/> (16 floats): AVX-512, with <c>vscalefps</c> and
/// <c>vrcp14ps</c> where the hardware has them.</summary>
internal readonly unsafe struct V512 : IVec<V512, float>
{
    internal readonly Vector512<float> _v;

    internal V512(Vector512<float> v) => _v = v;


    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Broadcast(float value) => Unsafe.BitCast<Vector512<float>, V512>(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Load(float* p) => Unsafe.BitCast<Vector512<float>, V512>(Vector512.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V512 v, float* p) => v._v.Store(p);

    /// <summary>.NET has no 512-bit gather: two 256-bit ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 GatherStrided(float* p, int stride) =>
        Unsafe.BitCast<Vector512<float>, V512>(Vector512.Create(V256.GatherStrided(p, stride)._v, V256.GatherStrided(p + (8 * stride), stride)._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(V512 v, double* acc)
    {
        (Vector512.Load(acc) + Vector512.WidenLower(v._v)).Store(acc);
        (Vector512.Load(acc + 8) + Vector512.WidenUpper(v._v)).Store(acc + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(V512 v) => V256.MaxAcross(new V256(Vector256.Max(v._v.GetLower(), v._v.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(V512 v) => Vector512.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Add(V512 a, V512 b) => Unsafe.BitCast<Vector512<float>, V512>(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Sub(V512 a, V512 b) => Unsafe.BitCast<Vector512<float>, V512>(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Mul(V512 a, V512 b) => Unsafe.BitCast<Vector512<float>, V512>(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Div(V512 a, V512 b) => Unsafe.BitCast<Vector512<float>, V512>(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Fma(V512 a, V512 b, V512 c) => Unsafe.BitCast<Vector512<float>, V512>(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Neg(V512 a) => Unsafe.BitCast<Vector512<float>, V512>(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Min(V512 a, V512 b) => Unsafe.BitCast<Vector512<float>, V512>(Vector512.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Max(V512 a, V512 b) => Unsafe.BitCast<Vector512<float>, V512>(Vector512.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 SelectGreaterOrEqual(V512 a, V512 b, V512 whenTrue, V512 whenFalse) =>
        Unsafe.BitCast<Vector512<float>, V512>(Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 SelectLess(V512 a, V512 b, V512 whenTrue, V512 whenFalse) =>
        Unsafe.BitCast<Vector512<float>, V512>(Vector512.ConditionalSelect(Vector512.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 SelectEqual(V512 a, V512 b, V512 whenTrue, V512 whenFalse) =>
        Unsafe.BitCast<Vector512<float>, V512>(Vector512.ConditionalSelect(Vector512.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 ZeroFirst(V512 v, int count) =>
        Unsafe.BitCast<Vector512<float>, V512>(Vector512.ConditionalSelect(Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle(), Vector512<float>.Zero, v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 NegativeAbs(V512 a) => Unsafe.BitCast<Vector512<float>, V512>(Vector512.BitwiseOr(a._v, Vector512.Create(-0.0f)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 MaxBits(V512 a, V512 b) => Unsafe.BitCast<Vector512<float>, V512>(Vector512.Max(a._v.AsUInt32(), b._v.AsUInt32()).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(V512 v, ulong limit) => Vector512.GreaterThanAny(v._v.AsUInt32(), Vector512.Create((uint)limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(V512 v) => !Vector512.EqualsAll(v._v - v._v, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 MulByPowerOfTwo(V512 p, V512 n, V512 t) => Avx512F.IsSupported
        ? Unsafe.BitCast<Vector512<float>, V512>(Avx512F.Scale(p._v, n._v))
        : Unsafe.BitCast<Vector512<float>, V512>(p._v * (Vector512.ShiftLeft(t._v.AsInt32(), 23) + Vector512.Create(127 << 23)).AsSingle());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 Mantissa(V512 x, out V512 exponent)
    {
        var bits = x._v.AsInt32();
        exponent = Unsafe.BitCast<Vector512<float>, V512>(Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(126)));
        return Unsafe.BitCast<Vector512<float>, V512>(((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle());
    }

    public static bool HasReciprocalEstimate => Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512 ReciprocalEstimate(V512 a) => Avx512F.IsSupported ? Unsafe.BitCast<Vector512<float>, V512>(Avx512F.Reciprocal14(a._v)) : Unsafe.BitCast<Vector512<float>, V512>(Vector512<float>.One / a._v);
}
