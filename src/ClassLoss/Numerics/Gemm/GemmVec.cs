using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClassLoss.Numerics;

/// <summary>The few vector operations the GEMM micro-kernel needs, one struct per hardware width.</summary>
internal unsafe interface IGemmVec<TV> where TV : struct, IGemmVec<TV>
{
    static abstract int Count { get; }

    static abstract TV Zero { get; }

    static abstract TV Load(float* p);

    static abstract void Store(TV v, float* p);

    /// <summary>All lanes = *p.</summary>
    static abstract TV Broadcast(float* p);

    /// <summary>a·b + c rounded once per lane (IEEE fused multiply-add).</summary>
    static abstract TV Fma(TV a, TV b, TV c);
}

/// <summary>A compile-time integer for generic specialisation (tile sizes).</summary>
internal interface IGemmConst
{
    static abstract int Value { get; }
}

internal readonly struct GemmC1 : IGemmConst
{
    public static int Value => 1;
}

internal readonly struct GemmC2 : IGemmConst
{
    public static int Value => 2;
}

internal readonly struct GemmC4 : IGemmConst
{
    public static int Value => 4;
}

internal readonly struct GemmC6 : IGemmConst
{
    public static int Value => 6;
}

internal readonly struct GemmC8 : IGemmConst
{
    public static int Value => 8;
}

internal readonly struct GemmC3 : IGemmConst
{
    public static int Value => 3;
}

internal readonly struct GemmC5 : IGemmConst
{
    public static int Value => 5;
}

internal readonly struct GemmC7 : IGemmConst
{
    public static int Value => 7;
}

internal readonly unsafe struct GemmV512 : IGemmVec<GemmV512>
{
    private readonly Vector512<float> _v;

    private GemmV512(Vector512<float> v) => _v = v;

    public static int Count => Vector512<float>.Count;

    public static GemmV512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV512 Load(float* p) => new(Vector512.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(GemmV512 v, float* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV512 Broadcast(float* p) => new(Vector512.Create(*p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV512 Fma(GemmV512 a, GemmV512 b, GemmV512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
}

internal readonly unsafe struct GemmV256 : IGemmVec<GemmV256>
{
    private readonly Vector256<float> _v;

    private GemmV256(Vector256<float> v) => _v = v;

    public static int Count => Vector256<float>.Count;

    public static GemmV256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV256 Load(float* p) => new(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(GemmV256 v, float* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV256 Broadcast(float* p) => new(Vector256.Create(*p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV256 Fma(GemmV256 a, GemmV256 b, GemmV256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
}

internal readonly unsafe struct GemmV128 : IGemmVec<GemmV128>
{
    private readonly Vector128<float> _v;

    private GemmV128(Vector128<float> v) => _v = v;

    public static int Count => Vector128<float>.Count;

    public static GemmV128 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV128 Load(float* p) => new(Vector128.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(GemmV128 v, float* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV128 Broadcast(float* p) => new(Vector128.Create(*p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static GemmV128 Fma(GemmV128 a, GemmV128 b, GemmV128 c) => new(Vector128.FusedMultiplyAdd(a._v, b._v, c._v));
}
