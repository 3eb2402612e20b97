using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// <see cref="IVec{TV, T}"/> with one lane: the same kernels on hardware without SIMD (or with it switched off,
/// <c>DOTNET_EnableHWIntrinsic=0</c>) and on ranges shorter than the narrowest vector. Every operation is the lane
/// operation of the vector widths (fused multiply-add included), so a scalar result equals the vector lane's.
/// </summary>
internal readonly unsafe struct VScalar : IVec<VScalar, float>
{
    internal readonly float _v;

    internal VScalar(float v) => _v = v;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Broadcast(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Load(float* p) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(VScalar v, float* p) => *p = v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar GatherStrided(float* p, int stride) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddWidened(VScalar v, double* acc) => *acc += v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(VScalar v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SumAcross(VScalar v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Add(VScalar a, VScalar b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Sub(VScalar a, VScalar b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Mul(VScalar a, VScalar b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Div(VScalar a, VScalar b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Fma(VScalar a, VScalar b, VScalar c) => new(MathF.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Neg(VScalar a) => new(-a._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Min(VScalar a, VScalar b) => new(Math.Min(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Max(VScalar a, VScalar b) => new(Math.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar SelectGreaterOrEqual(VScalar a, VScalar b, VScalar whenTrue, VScalar whenFalse) => a._v >= b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar SelectLess(VScalar a, VScalar b, VScalar whenTrue, VScalar whenFalse) => a._v < b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar SelectEqual(VScalar a, VScalar b, VScalar whenTrue, VScalar whenFalse) => a._v == b._v ? whenTrue : whenFalse;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar ZeroFirst(VScalar v, int count) => count > 0 ? default : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar NegativeAbs(VScalar a) => new(BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a._v) | int.MinValue));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar MaxBits(VScalar a, VScalar b) =>
        new(BitConverter.UInt32BitsToSingle(Math.Max(BitConverter.SingleToUInt32Bits(a._v), BitConverter.SingleToUInt32Bits(b._v))));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyBitsAbove(VScalar v, ulong limit) => BitConverter.SingleToUInt32Bits(v._v) > limit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AnyNonFinite(VScalar v) => !float.IsFinite(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar MulByPowerOfTwo(VScalar p, VScalar n, VScalar t) =>
        new(p._v * BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(t._v) << 23) + (127 << 23)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar Mantissa(VScalar x, out VScalar exponent)
    {
        int bits = BitConverter.SingleToInt32Bits(x._v);
        exponent = new((bits >> 23) - 126);
        return new(BitConverter.Int32BitsToSingle((bits & 0x007FFFFF) | 0x3F000000));
    }

    public static bool HasReciprocalEstimate => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VScalar ReciprocalEstimate(VScalar a) => new(1f / a._v);
}
