using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>How the gradient pass of <see cref="RowGradient"/> turns a stored exponential <c>e_c</c> into the gradient
/// entry: a stateless operator over four broadcast row constants <c>k0..k3</c>.</summary>
internal interface IGradientTerm
{
    /// <summary>The operator reads the row's targets.</summary>
    static abstract bool UsesTargets { get; }

    /// <summary>The operator reads per-class weights.</summary>
    static abstract bool UsesWeights { get; }

    /// <summary>The gradient entries of one vector.</summary>
    static abstract TV Of<TV>(TV e, TV t, TV w, TV k0, TV k1, TV k2, TV k3) where TV : struct, IVec<TV, float>;
}

/// <summary><c>g = e·k0</c>: the softmax part of a one-hot gradient, <c>p_c</c> times the row's factor.</summary>
internal readonly struct ScaledExp : IGradientTerm
{
    public static bool UsesTargets => false;

    public static bool UsesWeights => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Of<TV>(TV e, TV t, TV w, TV k0, TV k1, TV k2, TV k3) where TV : struct, IVec<TV, float> => TV.Mul(e, k0);
}

/// <summary>Label smoothing of class-index targets: <c>g = e·k0 + w·k1</c> (<c>w = 1</c> unless <typeparamref name="TW"/>),
/// one fused multiply-add.</summary>
internal readonly struct SmoothedGradient<TW> : IGradientTerm where TW : struct, IConst
{
    public static bool UsesTargets => false;

    public static bool UsesWeights => TW.On;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Of<TV>(TV e, TV t, TV w, TV k0, TV k1, TV k2, TV k3) where TV : struct, IVec<TV, float> =>
        TW.On ? TV.Fma(w, k1, TV.Mul(e, k0)) : TV.Fma(e, k0, k1);
}

/// <summary>Probability targets: <c>g = (e·k0 - q)·k1</c> with <c>q</c> the target weight of
/// <see cref="SoftTargetExp{TS, TW, TM}"/> (transform <c>k2</c>, <c>k3</c>); the difference in one rounding, so it
/// cancels exactly where the prediction fits the target (0 for K = 1).</summary>
internal readonly struct SoftTargetGradient<TS, TW> : IGradientTerm where TS : struct, IConst where TW : struct, IConst
{
    public static bool UsesTargets => true;

    public static bool UsesWeights => TW.On;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Of<TV>(TV e, TV t, TV w, TV k0, TV k1, TV k2, TV k3) where TV : struct, IVec<TV, float> =>
        TV.Mul(TV.Fma(e, k0, TV.Neg(SoftTargetExp<TS, TW, No>.Weight(t, w, k2, k3))), k1);
}

/// <summary>
/// The gradient pass of the softmax kernels, written once: overwrites the exponentials the exp pass stored in
/// <c>g</c> with the gradient, in place. A partial last vector is done as the row's last full vector, read before the
/// loop overwrites its overlap and stored after it (the overlap gets the bits it already has); rows shorter than a
/// vector run on <see cref="VScalar"/>.
/// </summary>
internal static unsafe class RowGradient
{
    /// <summary>Overwrites <c>g[0..k)</c> (holding <c>e_c</c>) with <typeparamref name="TTerm"/>'s gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TV, TTerm>(float* g, float* t, float* w, int k, float k0, float k1 = 0, float k2 = 0, float k3 = 0)
        where TV : struct, IVec<TV, float> where TTerm : struct, IGradientTerm
    {
        int width = TV.Count;
        if (k < width && width > 1)
        {
            Run<VScalar, TTerm>(g, t, w, k, k0, k1, k2, k3);
            return;
        }

        TV v0 = TV.Broadcast(k0), v1 = TV.Broadcast(k1), v2 = TV.Broadcast(k2), v3 = TV.Broadcast(k3);
        bool tail = k % width != 0;
        TV last = tail ? Entry<TV, TTerm>(g, t, w, k - width, v0, v1, v2, v3) : default;
        int c = 0;
        for (; c <= k - (2 * width); c += 2 * width)
        {
            TV.Store(Entry<TV, TTerm>(g, t, w, c, v0, v1, v2, v3), g + c);
            TV.Store(Entry<TV, TTerm>(g, t, w, c + width, v0, v1, v2, v3), g + c + width);
        }

        for (; c <= k - width; c += width)
        {
            TV.Store(Entry<TV, TTerm>(g, t, w, c, v0, v1, v2, v3), g + c);
        }

        if (tail)
        {
            TV.Store(last, g + k - width);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Entry<TV, TTerm>(float* g, float* t, float* w, int c, TV v0, TV v1, TV v2, TV v3)
        where TV : struct, IVec<TV, float> where TTerm : struct, IGradientTerm =>
        TTerm.Of(TV.Load(g + c), TTerm.UsesTargets ? TV.Load(t + c) : default, TTerm.UsesWeights ? TV.Load(w + c) : default, v0, v1, v2, v3);
}
