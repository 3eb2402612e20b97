using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// <see cref="IVec{TV, T}"/> with one lane: the same kernels on hardware without SIMD (or with it switched off,
/// <c>DOTNET_EnableHWIntrinsic=0</c>) and on ranges shorter than the narrowest vector. Every operation is the lane
/// operation of the vector widths (fused multiply-add included), so a scalar result equals the vector lane's.
/// </summary>
internal readonly unsafe struct VScalar<T> : IVec<VScalar<T>, T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal readonly T _v;

    internal VScalar(T v) => _v = v;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Broadcast(T value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Load(T* p) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(VScalar<T> v, T* p) => *p = v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> GatherStrided(T* p, int stride) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(VScalar<T> v, double* acc) => *acc += double.CreateTruncating(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T MaxAcross(VScalar<T> v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T SumAcross(VScalar<T> v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Add(VScalar<T> a, VScalar<T> b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Sub(VScalar<T> a, VScalar<T> b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Mul(VScalar<T> a, VScalar<T> b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Div(VScalar<T> a, VScalar<T> b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Fma(VScalar<T> a, VScalar<T> b, VScalar<T> c) => (typeof(T) == typeof(float))
        ? new(Unsafe.BitCast<float, T>(MathF.FusedMultiplyAdd(Unsafe.BitCast<T, float>(a._v), Unsafe.BitCast<T, float>(b._v), Unsafe.BitCast<T, float>(c._v))))
        : new(Unsafe.BitCast<double, T>(Math.FusedMultiplyAdd(Unsafe.BitCast<T, double>(a._v), Unsafe.BitCast<T, double>(b._v), Unsafe.BitCast<T, double>(c._v))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Neg(VScalar<T> a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Min(VScalar<T> a, VScalar<T> b) => (typeof(T) == typeof(float)) ? new(Unsafe.BitCast<float, T>(Math.Min(Unsafe.BitCast<T, float>(a._v), Unsafe.BitCast<T, float>(b._v)))) : new(Unsafe.BitCast<double, T>(Math.Min(Unsafe.BitCast<T, double>(a._v), Unsafe.BitCast<T, double>(b._v))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Max(VScalar<T> a, VScalar<T> b) => (typeof(T) == typeof(float)) ? new(Unsafe.BitCast<float, T>(Math.Max(Unsafe.BitCast<T, float>(a._v), Unsafe.BitCast<T, float>(b._v)))) : new(Unsafe.BitCast<double, T>(Math.Max(Unsafe.BitCast<T, double>(a._v), Unsafe.BitCast<T, double>(b._v))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> SelectGreaterOrEqual(VScalar<T> a, VScalar<T> b, VScalar<T> whenTrue, VScalar<T> whenFalse) => a._v >= b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> SelectLess(VScalar<T> a, VScalar<T> b, VScalar<T> whenTrue, VScalar<T> whenFalse) => a._v < b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> SelectEqual(VScalar<T> a, VScalar<T> b, VScalar<T> whenTrue, VScalar<T> whenFalse) => a._v == b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> ZeroFirst(VScalar<T> v, int count) => count > 0 ? default : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> NegativeAbs(VScalar<T> a) => (typeof(T) == typeof(float))
        ? new(Unsafe.BitCast<float, T>(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(Unsafe.BitCast<T, float>(a._v)) | int.MinValue)))
        : new(Unsafe.BitCast<double, T>(BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(Unsafe.BitCast<T, double>(a._v)) | long.MinValue)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> MaxBits(VScalar<T> a, VScalar<T> b) => (typeof(T) == typeof(float))
        ? new(Unsafe.BitCast<float, T>(BitConverter.UInt32BitsToSingle(Math.Max(BitConverter.SingleToUInt32Bits(Unsafe.BitCast<T, float>(a._v)), BitConverter.SingleToUInt32Bits(Unsafe.BitCast<T, float>(b._v))))))
        : new(Unsafe.BitCast<double, T>(BitConverter.UInt64BitsToDouble(Math.Max(BitConverter.DoubleToUInt64Bits(Unsafe.BitCast<T, double>(a._v)), BitConverter.DoubleToUInt64Bits(Unsafe.BitCast<T, double>(b._v))))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(VScalar<T> v, ulong limit) =>
        ((typeof(T) == typeof(float)) ? BitConverter.SingleToUInt32Bits(Unsafe.BitCast<T, float>(v._v)) : BitConverter.DoubleToUInt64Bits(Unsafe.BitCast<T, double>(v._v))) > limit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(VScalar<T> v) => !T.IsFinite(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> MulByPowerOfTwo(VScalar<T> p, VScalar<T> n, VScalar<T> t)
    {
        if ((typeof(T) == typeof(float)))
        {
            return new(Unsafe.BitCast<float, T>(Unsafe.BitCast<T, float>(p._v) * BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(Unsafe.BitCast<T, float>(t._v)) << 23) + (127 << 23))));
        }

        double n1 = Math.Max(Unsafe.BitCast<T, double>(n._v), -1022.0);
        return new(Unsafe.BitCast<double, T>(Unsafe.BitCast<T, double>(p._v) * PowerOfTwo(n1) * PowerOfTwo(Unsafe.BitCast<T, double>(n._v) - n1)));
    }

    /// <summary>Double lanes: <c>2^k</c> for integer-valued k in [-1022, 1023], built in the exponent bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double PowerOfTwo(double k) =>
        BitConverter.Int64BitsToDouble((BitConverter.DoubleToInt64Bits(k + VectorMathD.RoundMagic) << 52) + (1023L << 52));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> Mantissa(VScalar<T> x, out VScalar<T> exponent)
    {
        if ((typeof(T) == typeof(float)))
        {
            int bits = BitConverter.SingleToInt32Bits(Unsafe.BitCast<T, float>(x._v));
            exponent = new(Unsafe.BitCast<float, T>((bits >> 23) - 126));
            return new(Unsafe.BitCast<float, T>(BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F000000)));
        }

        long wide = BitConverter.DoubleToInt64Bits(Unsafe.BitCast<T, double>(x._v));
        exponent = new(Unsafe.BitCast<double, T>((wide >> 52) - 1022));
        return new(Unsafe.BitCast<double, T>(BitConverter.Int64BitsToDouble((wide & 0x000FFFFFFFFFFFFFL) | 0x3FE0000000000000L)));
    }

    public static bool HasReciprocalEstimate => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar<T> ReciprocalEstimate(VScalar<T> a) => new(T.One / a._v);
}
