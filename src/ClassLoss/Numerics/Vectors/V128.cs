using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector128{T}"/> (4 floats or 2 doubles): SSE/AVX or Arm AdvSIMD,
/// with AVX2's gathers and SSE's <c>rcpps</c> where the hardware has them. Members that depend on the lane
/// type branch on <c>typeof(T)</c>, which the JIT folds per instantiation.</summary>
internal readonly unsafe struct V128<T> : IVec<V128<T>, T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal readonly Vector128<T> _v;

    internal V128(Vector128<T> v) => _v = v;

    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Broadcast(T value) => Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Load(T* p) => Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V128<T> v, T* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> GatherStrided(T* p, int stride)
    {
        if ((typeof(T) == typeof(float)))
        {
            float* f = (float*)p;
            return Avx2.IsSupported
                ? Unsafe.BitCast<Vector128<float>, V128<T>>(Avx2.GatherVector128(f, Vector128<int>.Indices * stride, 4))
                : Unsafe.BitCast<Vector128<float>, V128<T>>(Vector128.Create(f[0], f[stride], f[2 * stride], f[3 * stride]));
        }

        double* d = (double*)p;
        return Avx2.IsSupported ? Unsafe.BitCast<Vector128<double>, V128<T>>(Avx2.GatherVector128(d, Vector128<int>.Indices * stride, 8)) : Unsafe.BitCast<Vector128<double>, V128<T>>(Vector128.Create(d[0], d[stride]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(V128<T> v, double* acc)
    {
        if ((typeof(T) == typeof(float)))
        {
            (Vector128.Load(acc) + Vector128.WidenLower(v._v.AsSingle())).Store(acc);
            (Vector128.Load(acc + 2) + Vector128.WidenUpper(v._v.AsSingle())).Store(acc + 2);
        }
        else
        {
            (Vector128.Load(acc) + v._v.AsDouble()).Store(acc);
        }
    }

    /// <summary>The largest lane by halving with vector max (IEEE maximum: a NaN lane gives NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(V128<T> v)
    {
        if (!(typeof(T) == typeof(float)))
        {
            return T.Max(v._v.GetElement(0), v._v.GetElement(1));
        }

        var m = Vector128.Max(v._v.AsSingle(), Vector128.Shuffle(v._v.AsSingle(), Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return Unsafe.BitCast<float, T>(m.ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SumAcross(V128<T> v) => Vector128.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Add(V128<T> a, V128<T> b) => Unsafe.BitCast<Vector128<T>, V128<T>>(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Sub(V128<T> a, V128<T> b) => Unsafe.BitCast<Vector128<T>, V128<T>>(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Mul(V128<T> a, V128<T> b) => Unsafe.BitCast<Vector128<T>, V128<T>>(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Div(V128<T> a, V128<T> b) => Unsafe.BitCast<Vector128<T>, V128<T>>(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Fma(V128<T> a, V128<T> b, V128<T> c) => (typeof(T) == typeof(float))
        ? Unsafe.BitCast<Vector128<float>, V128<T>>(Vector128.FusedMultiplyAdd(a._v.AsSingle(), b._v.AsSingle(), c._v.AsSingle()))
        : Unsafe.BitCast<Vector128<double>, V128<T>>(Vector128.FusedMultiplyAdd(a._v.AsDouble(), b._v.AsDouble(), c._v.AsDouble()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Neg(V128<T> a) => Unsafe.BitCast<Vector128<T>, V128<T>>(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Min(V128<T> a, V128<T> b) => Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Max(V128<T> a, V128<T> b) => Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> SelectGreaterOrEqual(V128<T> a, V128<T> b, V128<T> whenTrue, V128<T> whenFalse) =>
        Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> SelectLess(V128<T> a, V128<T> b, V128<T> whenTrue, V128<T> whenFalse) =>
        Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.ConditionalSelect(Vector128.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> SelectEqual(V128<T> a, V128<T> b, V128<T> whenTrue, V128<T> whenFalse) =>
        Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.ConditionalSelect(Vector128.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> ZeroFirst(V128<T> v, int count)
    {
        Vector128<T> zeroed = (typeof(T) == typeof(float))
            ? Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).As<int, T>()
            : Vector128.LessThan(Vector128<long>.Indices, Vector128.Create((long)count)).As<long, T>();
        return Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.ConditionalSelect(zeroed, Vector128<T>.Zero, v._v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> NegativeAbs(V128<T> a) => Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.BitwiseOr(a._v, Vector128.Create(T.NegativeZero)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> MaxBits(V128<T> a, V128<T> b) => (typeof(T) == typeof(float))
        ? Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.Max(a._v.AsUInt32(), b._v.AsUInt32()).As<uint, T>())
        : Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128.Max(a._v.AsUInt64(), b._v.AsUInt64()).As<ulong, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(V128<T> v, ulong limit) => (typeof(T) == typeof(float))
        ? Vector128.GreaterThanAny(v._v.AsUInt32(), Vector128.Create((uint)limit))
        : Vector128.GreaterThanAny(v._v.AsUInt64(), Vector128.Create(limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(V128<T> v) => !Vector128.EqualsAll(v._v - v._v, Vector128<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> MulByPowerOfTwo(V128<T> p, V128<T> n, V128<T> t)
    {
        if ((typeof(T) == typeof(float)))
        {
            return Unsafe.BitCast<Vector128<float>, V128<T>>(p._v.AsSingle() * (Vector128.ShiftLeft(t._v.AsSingle().AsInt32(), 23) + Vector128.Create(127 << 23)).AsSingle());
        }

        V128<T> n1 = Max(n, Broadcast(T.CreateTruncating(-1022.0)));
        return Mul(Mul(p, PowerOfTwo(n1)), PowerOfTwo(Sub(n, n1)));
    }

    /// <summary>Double lanes: <c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V128<T> PowerOfTwo(V128<T> k) =>
        Unsafe.BitCast<Vector128<double>, V128<T>>((Vector128.ShiftLeft((k._v.AsDouble() + Vector128.Create(VectorMathD.RoundMagic)).AsInt64(), 52) + Vector128.Create(1023L << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> Mantissa(V128<T> x, out V128<T> exponent)
    {
        if ((typeof(T) == typeof(float)))
        {
            var bits = x._v.AsSingle().AsInt32();
            exponent = Unsafe.BitCast<Vector128<float>, V128<T>>(Vector128.ConvertToSingle(Vector128.ShiftRightArithmetic(bits, 23) - Vector128.Create(126)));
            return Unsafe.BitCast<Vector128<float>, V128<T>>(((bits & Vector128.Create(0x007FFFFF)) | Vector128.Create(0x3F000000)).AsSingle());
        }

        var wide = x._v.AsDouble().AsInt64();
        exponent = Unsafe.BitCast<Vector128<double>, V128<T>>(Vector128.ConvertToDouble(Vector128.ShiftRightArithmetic(wide, 52) - Vector128.Create(1022L)));
        return Unsafe.BitCast<Vector128<double>, V128<T>>(((wide & Vector128.Create(0x000FFFFFFFFFFFFFL)) | Vector128.Create(0x3FE0000000000000L)).AsDouble());
    }

    public static bool HasReciprocalEstimate => (typeof(T) == typeof(float)) && Sse.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V128<T> ReciprocalEstimate(V128<T> a) =>
        HasReciprocalEstimate ? Unsafe.BitCast<Vector128<float>, V128<T>>(Sse.Reciprocal(a._v.AsSingle())) : Unsafe.BitCast<Vector128<T>, V128<T>>(Vector128<T>.One / a._v);
}
