using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector256{T}"/> (8 floats or 4 doubles): AVX2, with AVX-512VL's
/// <c>vscalefps</c>/<c>vscalefpd</c> and AVX's <c>vrcpps</c> where the hardware has them. Members that depend on the lane
/// type branch on <c>typeof(T)</c>, which the JIT folds per instantiation.</summary>
internal readonly unsafe struct V256<T> : IVec<V256<T>, T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal readonly Vector256<T> _v;

    internal V256(Vector256<T> v) => _v = v;

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Broadcast(T value) => Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Load(T* p) => Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V256<T> v, T* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> GatherStrided(T* p, int stride) => !Avx2.IsSupported
        ? Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.Create(V128<T>.GatherStrided(p, stride)._v, V128<T>.GatherStrided(p + (Vector128<T>.Count * stride), stride)._v))
        : (typeof(T) == typeof(float))
            ? Unsafe.BitCast<Vector256<float>, V256<T>>(Avx2.GatherVector256((float*)p, Vector256<int>.Indices * stride, 4))
            : Unsafe.BitCast<Vector256<double>, V256<T>>(Avx2.GatherVector256((double*)p, Vector128<int>.Indices * stride, 8));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(V256<T> v, double* acc)
    {
        if ((typeof(T) == typeof(float)))
        {
            (Vector256.Load(acc) + Vector256.WidenLower(v._v.AsSingle())).Store(acc);
            (Vector256.Load(acc + 4) + Vector256.WidenUpper(v._v.AsSingle())).Store(acc + 4);
        }
        else
        {
            (Vector256.Load(acc) + v._v.AsDouble()).Store(acc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(V256<T> v) => V128<T>.MaxAcross(new V128<T>(Vector128.Max(v._v.GetLower(), v._v.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SumAcross(V256<T> v) => Vector256.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Add(V256<T> a, V256<T> b) => Unsafe.BitCast<Vector256<T>, V256<T>>(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Sub(V256<T> a, V256<T> b) => Unsafe.BitCast<Vector256<T>, V256<T>>(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Mul(V256<T> a, V256<T> b) => Unsafe.BitCast<Vector256<T>, V256<T>>(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Div(V256<T> a, V256<T> b) => Unsafe.BitCast<Vector256<T>, V256<T>>(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Fma(V256<T> a, V256<T> b, V256<T> c) => (typeof(T) == typeof(float))
        ? Unsafe.BitCast<Vector256<float>, V256<T>>(Vector256.FusedMultiplyAdd(a._v.AsSingle(), b._v.AsSingle(), c._v.AsSingle()))
        : Unsafe.BitCast<Vector256<double>, V256<T>>(Vector256.FusedMultiplyAdd(a._v.AsDouble(), b._v.AsDouble(), c._v.AsDouble()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Neg(V256<T> a) => Unsafe.BitCast<Vector256<T>, V256<T>>(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Min(V256<T> a, V256<T> b) => Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Max(V256<T> a, V256<T> b) => Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> SelectGreaterOrEqual(V256<T> a, V256<T> b, V256<T> whenTrue, V256<T> whenFalse) =>
        Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> SelectLess(V256<T> a, V256<T> b, V256<T> whenTrue, V256<T> whenFalse) =>
        Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.ConditionalSelect(Vector256.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> SelectEqual(V256<T> a, V256<T> b, V256<T> whenTrue, V256<T> whenFalse) =>
        Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.ConditionalSelect(Vector256.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> ZeroFirst(V256<T> v, int count)
    {
        Vector256<T> zeroed = (typeof(T) == typeof(float))
            ? Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).As<int, T>()
            : Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).As<long, T>();
        return Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.ConditionalSelect(zeroed, Vector256<T>.Zero, v._v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> NegativeAbs(V256<T> a) => Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.BitwiseOr(a._v, Vector256.Create(T.NegativeZero)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> MaxBits(V256<T> a, V256<T> b) => (typeof(T) == typeof(float))
        ? Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.Max(a._v.AsUInt32(), b._v.AsUInt32()).As<uint, T>())
        : Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256.Max(a._v.AsUInt64(), b._v.AsUInt64()).As<ulong, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(V256<T> v, ulong limit) => (typeof(T) == typeof(float))
        ? Vector256.GreaterThanAny(v._v.AsUInt32(), Vector256.Create((uint)limit))
        : Vector256.GreaterThanAny(v._v.AsUInt64(), Vector256.Create(limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(V256<T> v) => !Vector256.EqualsAll(v._v - v._v, Vector256<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> MulByPowerOfTwo(V256<T> p, V256<T> n, V256<T> t)
    {
        if (Avx512F.VL.IsSupported)
        {
            return (typeof(T) == typeof(float)) ? Unsafe.BitCast<Vector256<float>, V256<T>>(Avx512F.VL.Scale(p._v.AsSingle(), n._v.AsSingle())) : Unsafe.BitCast<Vector256<double>, V256<T>>(Avx512F.VL.Scale(p._v.AsDouble(), n._v.AsDouble()));
        }

        if ((typeof(T) == typeof(float)))
        {
            return Unsafe.BitCast<Vector256<float>, V256<T>>(p._v.AsSingle() * (Vector256.ShiftLeft(t._v.AsSingle().AsInt32(), 23) + Vector256.Create(127 << 23)).AsSingle());
        }

        V256<T> n1 = Max(n, Broadcast(T.CreateTruncating(-1022.0)));
        return Mul(Mul(p, PowerOfTwo(n1)), PowerOfTwo(Sub(n, n1)));
    }

    /// <summary>Double lanes: <c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V256<T> PowerOfTwo(V256<T> k) =>
        Unsafe.BitCast<Vector256<double>, V256<T>>((Vector256.ShiftLeft((k._v.AsDouble() + Vector256.Create(VectorMathD.RoundMagic)).AsInt64(), 52) + Vector256.Create(1023L << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> Mantissa(V256<T> x, out V256<T> exponent)
    {
        if ((typeof(T) == typeof(float)))
        {
            var bits = x._v.AsSingle().AsInt32();
            exponent = Unsafe.BitCast<Vector256<float>, V256<T>>(Vector256.ConvertToSingle(Vector256.ShiftRightArithmetic(bits, 23) - Vector256.Create(126)));
            return Unsafe.BitCast<Vector256<float>, V256<T>>(((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F000000)).AsSingle());
        }

        var wide = x._v.AsDouble().AsInt64();
        exponent = Unsafe.BitCast<Vector256<double>, V256<T>>(Vector256.ConvertToDouble(Vector256.ShiftRightArithmetic(wide, 52) - Vector256.Create(1022L)));
        return Unsafe.BitCast<Vector256<double>, V256<T>>(((wide & Vector256.Create(0x000FFFFFFFFFFFFFL)) | Vector256.Create(0x3FE0000000000000L)).AsDouble());
    }

    public static bool HasReciprocalEstimate => (typeof(T) == typeof(float)) && Avx.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V256<T> ReciprocalEstimate(V256<T> a) =>
        HasReciprocalEstimate ? Unsafe.BitCast<Vector256<float>, V256<T>>(Avx.Reciprocal(a._v.AsSingle())) : Unsafe.BitCast<Vector256<T>, V256<T>>(Vector256<T>.One / a._v);
}
