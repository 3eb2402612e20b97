using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary><see cref="IVec{TV, T}"/> over <see cref="Vector512{T}"/> (16 floats or 8 doubles): AVX-512, with
/// <c>vscalefps</c>/<c>vscalefpd</c> and <c>vrcp14ps</c> where the hardware has them. Members that depend on the lane
/// type branch on <c>typeof(T)</c>, which the JIT folds per instantiation.</summary>
internal readonly unsafe struct V512<T> : IVec<V512<T>, T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal readonly Vector512<T> _v;

    internal V512(Vector512<T> v) => _v = v;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Broadcast(T value) => Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Load(T* p) => Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(V512<T> v, T* p) => v._v.Store(p);

    /// <summary>.NET has no 512-bit gather: two 256-bit ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> GatherStrided(T* p, int stride) =>
        Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.Create(V256<T>.GatherStrided(p, stride)._v, V256<T>.GatherStrided(p + (Vector256<T>.Count * stride), stride)._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(V512<T> v, double* acc)
    {
        if ((typeof(T) == typeof(float)))
        {
            (Vector512.Load(acc) + Vector512.WidenLower(v._v.AsSingle())).Store(acc);
            (Vector512.Load(acc + 8) + Vector512.WidenUpper(v._v.AsSingle())).Store(acc + 8);
        }
        else
        {
            (Vector512.Load(acc) + v._v.AsDouble()).Store(acc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(V512<T> v) => V256<T>.MaxAcross(new V256<T>(Vector256.Max(v._v.GetLower(), v._v.GetUpper())));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SumAcross(V512<T> v) => Vector512.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Add(V512<T> a, V512<T> b) => Unsafe.BitCast<Vector512<T>, V512<T>>(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Sub(V512<T> a, V512<T> b) => Unsafe.BitCast<Vector512<T>, V512<T>>(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Mul(V512<T> a, V512<T> b) => Unsafe.BitCast<Vector512<T>, V512<T>>(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Div(V512<T> a, V512<T> b) => Unsafe.BitCast<Vector512<T>, V512<T>>(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Fma(V512<T> a, V512<T> b, V512<T> c) => (typeof(T) == typeof(float))
        ? Unsafe.BitCast<Vector512<float>, V512<T>>(Vector512.FusedMultiplyAdd(a._v.AsSingle(), b._v.AsSingle(), c._v.AsSingle()))
        : Unsafe.BitCast<Vector512<double>, V512<T>>(Vector512.FusedMultiplyAdd(a._v.AsDouble(), b._v.AsDouble(), c._v.AsDouble()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Neg(V512<T> a) => Unsafe.BitCast<Vector512<T>, V512<T>>(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Min(V512<T> a, V512<T> b) => Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Max(V512<T> a, V512<T> b) => Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> SelectGreaterOrEqual(V512<T> a, V512<T> b, V512<T> whenTrue, V512<T> whenFalse) =>
        Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> SelectLess(V512<T> a, V512<T> b, V512<T> whenTrue, V512<T> whenFalse) =>
        Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.ConditionalSelect(Vector512.LessThan(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> SelectEqual(V512<T> a, V512<T> b, V512<T> whenTrue, V512<T> whenFalse) =>
        Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.ConditionalSelect(Vector512.Equals(a._v, b._v), whenTrue._v, whenFalse._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> ZeroFirst(V512<T> v, int count)
    {
        Vector512<T> zeroed = (typeof(T) == typeof(float))
            ? Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).As<int, T>()
            : Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)count)).As<long, T>();
        return Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.ConditionalSelect(zeroed, Vector512<T>.Zero, v._v));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> NegativeAbs(V512<T> a) => Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.BitwiseOr(a._v, Vector512.Create(T.NegativeZero)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> MaxBits(V512<T> a, V512<T> b) => (typeof(T) == typeof(float))
        ? Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.Max(a._v.AsUInt32(), b._v.AsUInt32()).As<uint, T>())
        : Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512.Max(a._v.AsUInt64(), b._v.AsUInt64()).As<ulong, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(V512<T> v, ulong limit) => (typeof(T) == typeof(float))
        ? Vector512.GreaterThanAny(v._v.AsUInt32(), Vector512.Create((uint)limit))
        : Vector512.GreaterThanAny(v._v.AsUInt64(), Vector512.Create(limit));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(V512<T> v) => !Vector512.EqualsAll(v._v - v._v, Vector512<T>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> MulByPowerOfTwo(V512<T> p, V512<T> n, V512<T> t)
    {
        if (Avx512F.IsSupported)
        {
            return (typeof(T) == typeof(float)) ? Unsafe.BitCast<Vector512<float>, V512<T>>(Avx512F.Scale(p._v.AsSingle(), n._v.AsSingle())) : Unsafe.BitCast<Vector512<double>, V512<T>>(Avx512F.Scale(p._v.AsDouble(), n._v.AsDouble()));
        }

        if ((typeof(T) == typeof(float)))
        {
            return Unsafe.BitCast<Vector512<float>, V512<T>>(p._v.AsSingle() * (Vector512.ShiftLeft(t._v.AsSingle().AsInt32(), 23) + Vector512.Create(127 << 23)).AsSingle());
        }

        V512<T> n1 = Max(n, Broadcast(T.CreateTruncating(-1022.0)));
        return Mul(Mul(p, PowerOfTwo(n1)), PowerOfTwo(Sub(n, n1)));
    }

    /// <summary>Double lanes: <c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static V512<T> PowerOfTwo(V512<T> k) =>
        Unsafe.BitCast<Vector512<double>, V512<T>>((Vector512.ShiftLeft((k._v.AsDouble() + Vector512.Create(VectorMathD.RoundMagic)).AsInt64(), 52) + Vector512.Create(1023L << 52)).AsDouble());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> Mantissa(V512<T> x, out V512<T> exponent)
    {
        if ((typeof(T) == typeof(float)))
        {
            var bits = x._v.AsSingle().AsInt32();
            exponent = Unsafe.BitCast<Vector512<float>, V512<T>>(Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(126)));
            return Unsafe.BitCast<Vector512<float>, V512<T>>(((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle());
        }

        var wide = x._v.AsDouble().AsInt64();
        exponent = Unsafe.BitCast<Vector512<double>, V512<T>>(Vector512.ConvertToDouble(Vector512.ShiftRightArithmetic(wide, 52) - Vector512.Create(1022L)));
        return Unsafe.BitCast<Vector512<double>, V512<T>>(((wide & Vector512.Create(0x000FFFFFFFFFFFFFL)) | Vector512.Create(0x3FE0000000000000L)).AsDouble());
    }

    public static bool HasReciprocalEstimate => (typeof(T) == typeof(float)) && Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V512<T> ReciprocalEstimate(V512<T> a) =>
        HasReciprocalEstimate ? Unsafe.BitCast<Vector512<float>, V512<T>>(Avx512F.Reciprocal14(a._v.AsSingle())) : Unsafe.BitCast<Vector512<T>, V512<T>>(Vector512<T>.One / a._v);
}
