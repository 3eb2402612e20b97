using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary>
/// What the exp pass of <see cref="RowExpSum"/> adds up beside <c>S = Σ_c e_c</c>, and how it forms <c>e_c</c>: a
/// stateless operator, so the pass is compiled once per term with everything folded.
/// </summary>
internal interface IExpTerm
{
    /// <summary>The term reads the row's targets <c>t</c> (the pass then prefetches the next row's targets too).</summary>
    static abstract bool UsesTargets { get; }

    /// <summary>The term reads per-class weights <c>w</c>.</summary>
    static abstract bool UsesWeights { get; }

    /// <summary>The term accumulates the side sums <c>A</c> and <c>B</c>.</summary>
    static abstract bool HasSideSums { get; }

    /// <summary><c>e_c = exp(z_c - max)</c> with the rounding of the float difference put back
    /// (<see cref="VectorMath.ExpOfDifference{TV}"/>; no temperature).</summary>
    static abstract bool Compensated { get; }

    /// <summary>Adds one vector's share to the side sums: <paramref name="x"/> = <c>z - max</c> (before the temperature),
    /// <paramref name="t"/> and <paramref name="w"/> the targets and weights where used, <paramref name="ta"/> and
    /// <paramref name="tb"/> the broadcast target transform (<c>q = t·ta + tb</c>).</summary>
    static abstract void Add<TV>(TV x, TV t, TV w, TV ta, TV tb, ref TV a, ref TV b) where TV : struct, IVec<TV>;
}

/// <summary>Only <c>S</c>: plain cross-entropy rows.</summary>
internal readonly struct PlainExp : IExpTerm
{
    public static bool UsesTargets => false;

    public static bool UsesWeights => false;

    public static bool HasSideSums => false;

    public static bool Compensated => false;

    public static void Add<TV>(TV x, TV t, TV w, TV ta, TV tb, ref TV a, ref TV b) where TV : struct, IVec<TV>
    {
    }
}

/// <summary>Only <c>S</c>, each <c>e_c</c> compensated for the rounding of <c>z_c - max</c> (the softmax focal loss,
/// whose loss goes as <c>q^(γ+1)</c> in <c>q = 1 - p</c>).</summary>
internal readonly struct CompensatedExp : IExpTerm
{
    public static bool UsesTargets => false;

    public static bool UsesWeights => false;

    public static bool HasSideSums => false;

    public static bool Compensated => true;

    public static void Add<TV>(TV x, TV t, TV w, TV ta, TV tb, ref TV a, ref TV b) where TV : struct, IVec<TV>
    {
    }
}

/// <summary>Label smoothing of class-index targets: <c>A = Σ_c w_c (z_c - max)</c> (<c>w_c = 1</c> unless
/// <typeparamref name="TW"/>); every term has one sign, so no cancellation.</summary>
internal readonly struct SmoothedExp<TW> : IExpTerm where TW : struct, IConst
{
    public static bool UsesTargets => false;

    public static bool UsesWeights => TW.On;

    public static bool HasSideSums => true;

    public static bool Compensated => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<TV>(TV x, TV t, TV w, TV ta, TV tb, ref TV a, ref TV b) where TV : struct, IVec<TV> =>
        a = TW.On ? TV.Fma(w, x, a) : TV.Add(a, x);
}

/// <summary>
/// Probability targets: the target weight <c>q_c = w_c ((1 - ε) t_c + ε / K)</c> (<see cref="Weight{TV}"/>),
/// <c>A = Σ_c q_c</c> (only with smoothing <typeparamref name="TS"/> or weights <typeparamref name="TW"/>; otherwise
/// Σ t from the max pass serves) and <c>B = Σ_c q_c (z_c - max)</c>, where a lane with <c>q_c = 0</c> adds 0 rather
/// than <c>0·(-∞)</c> when the row has a masked logit (<typeparamref name="TM"/>).
/// </summary>
internal readonly struct SoftTargetExp<TS, TW, TM> : IExpTerm
    where TS : struct, IConst where TW : struct, IConst where TM : struct, IConst
{
    public static bool UsesTargets => true;

    public static bool UsesWeights => TW.On;

    public static bool HasSideSums => true;

    public static bool Compensated => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add<TV>(TV x, TV t, TV w, TV ta, TV tb, ref TV a, ref TV b) where TV : struct, IVec<TV>
    {
        TV q = Weight<TV>(t, w, ta, tb);
        if (TS.On || TW.On)
        {
            a = TV.Add(a, q);
        }

        TV zero = TV.Broadcast(0f);
        b = TM.On ? TV.Add(b, TV.SelectEqual(q, zero, zero, TV.Mul(q, x))) : TV.Fma(q, x, b);
    }

    /// <summary><c>q = t</c>, smoothed <c>t·ta + tb</c>, times <c>w</c> if weighted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Weight<TV>(TV t, TV w, TV ta, TV tb) where TV : struct, IVec<TV>
    {
        TV q = TS.On ? TV.Fma(t, ta, tb) : t;
        return TW.On ? TV.Mul(q, w) : q;
    }
}

/// <summary>
/// The exp pass of the softmax kernels, written once: <c>e_c = exp((z_c - max)·invTau)</c> (or compensated, see
/// <see cref="IExpTerm.Compensated"/>) written into the gradient buffer (unless null) and summed, with the term's
/// side sums beside it.
/// </summary>
/// <remarks>
/// <para>Four vector accumulators per sum, carried into a double every <see cref="VectorsPerFlush"/> vectors, so each
/// float lane adds at most eight terms: a few-term float sum stays within a few ulps even when one large term meets
/// many equal small ones, which a long lane sum (formerly up to 64 terms per lane, 2.6e-5 relative error on such rows)
/// rounds the same way every time. A partial last vector is done as the row's last full vector, overlapping the one
/// before: the overlap's lanes are zeroed for the sums and stored again with the bits they already hold (same element,
/// same operations). Rows shorter than a vector run on <see cref="VScalar"/>.</para>
/// <para>While a row computes (compute-bound), the next row's logits (and targets) are prefetched into L1, so its max
/// pass finds them in cache; long rows (K ≥ 32,000: the row and its gradient live in L2) also fetch the gradient row
/// <see cref="GradientPrefetchDistance"/> floats ahead of the stores.</para>
/// </remarks>
internal static unsafe class RowExpSum
{
    /// <summary>Vectors summed per accumulator set before the float lanes are carried into double (8 per lane).</summary>
    internal const int VectorsPerFlush = 32;

    /// <summary>How far ahead (in floats) the exp pass fetches the gradient row it is about to write, so that long rows
    /// do not stall on each store's read-for-ownership: ~15% at 1024x32000 on one thread (25.5 vs 30 ms, Xeon, four
    /// alternating <c>--probe 1024 32000</c> runs each).</summary>
    internal const int GradientPrefetchDistance = 1024;

    /// <summary>
    /// Writes <c>e_c</c> for c in [0, k) into <paramref name="g"/> (unless null) and returns <c>Σ e_c</c>; the term's side
    /// sums come back in <paramref name="a"/> and <paramref name="b"/> (in double).
    /// </summary>
    /// <param name="z">The row's logits.</param>
    /// <param name="t">The row's targets (read when <see cref="IExpTerm.UsesTargets"/>).</param>
    /// <param name="w">Per-class weights in float (read when <see cref="IExpTerm.UsesWeights"/>).</param>
    /// <param name="g">Receives the exponentials; null to only sum them.</param>
    /// <param name="k">Elements in the row (any length ≥ 0).</param>
    /// <param name="max">The row maximum (finite).</param>
    /// <param name="invTau">1/τ, applied with <typeparamref name="TT"/>.</param>
    /// <param name="ta">Target transform scale (<c>1 - ε</c>).</param>
    /// <param name="tb">Target transform shift (<c>ε / K</c>).</param>
    /// <param name="zNext">The next row's logits to prefetch (null for none).</param>
    /// <param name="tNext">The next row's targets to prefetch (null for none).</param>
    /// <param name="a">Side sum A.</param>
    /// <param name="b">Side sum B.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Run<TV, TTerm, TT>(float* z, float* t, float* w, float* g, int k, float max, float invTau,
        float ta, float tb, float* zNext, float* tNext, out double a, out double b)
        where TV : struct, IVec<TV> where TTerm : struct, IExpTerm where TT : struct, IConst
    {
        int width = TV.Count;
        if (k < width && width > 1)
        {
            return Run<VScalar, TTerm, TT>(z, t, w, g, k, max, invTau, ta, tb, zNext, tNext, out a, out b);
        }

        var c = new Constants<TV>(max, invTau, ta, tb);
        double total = 0, aTotal = 0, bTotal = 0;
        TV zero = TV.Broadcast(0f);
        int perFlush = ElementsPerFlush<TV>(VectorsPerFlush * width);
        int i = 0;
        while (i <= k - width)
        {
            int chunkEnd = Math.Min(k, i + perFlush);
            TV s0 = zero, s1 = zero, s2 = zero, s3 = zero;
            TV a0 = zero, a1 = zero, a2 = zero, a3 = zero;
            TV b0 = zero, b1 = zero, b2 = zero, b3 = zero;
            for (; i <= chunkEnd - (4 * width); i += 4 * width)
            {
                Prefetch(zNext, i, 4 * width);
                if (TTerm.UsesTargets)
                {
                    Prefetch(tNext, i, 4 * width);
                }

                if (g != null && i + GradientPrefetchDistance < k)
                {
                    Prefetch(g, i + GradientPrefetchDistance, 4 * width);
                }

                Step<TV, TTerm, TT>(z, t, w, g, i, c, ref s0, ref a0, ref b0);
                Step<TV, TTerm, TT>(z, t, w, g, i + width, c, ref s1, ref a1, ref b1);
                Step<TV, TTerm, TT>(z, t, w, g, i + (2 * width), c, ref s2, ref a2, ref b2);
                Step<TV, TTerm, TT>(z, t, w, g, i + (3 * width), c, ref s3, ref a3, ref b3);
            }

            for (; i <= chunkEnd - width; i += width)
            {
                Step<TV, TTerm, TT>(z, t, w, g, i, c, ref s0, ref a0, ref b0);
            }

            total += TV.SumAcross(TV.Add(TV.Add(s0, s1), TV.Add(s2, s3)));
            if (TTerm.HasSideSums)
            {
                aTotal += TV.SumAcross(TV.Add(TV.Add(a0, a1), TV.Add(a2, a3)));
                bTotal += TV.SumAcross(TV.Add(TV.Add(b0, b1), TV.Add(b2, b3)));
            }
        }

        if (i < k)
        {
            int done = width - (k - i);
            TV sl = zero, al = zero, bl = zero;
            Step<TV, TTerm, TT>(z, t, w, g, k - width, c, ref sl, ref al, ref bl);
            total += TV.SumAcross(TV.ZeroFirst(sl, done));
            if (TTerm.HasSideSums)
            {
                aTotal += TV.SumAcross(TV.ZeroFirst(al, done));
                bTotal += TV.SumAcross(TV.ZeroFirst(bl, done));
            }
        }

        a = aTotal;
        b = bTotal;
        return total;
    }

    /// <summary>
    /// Elements a kernel sums in float lanes before carrying them into double: <paramref name="elements"/> on vectors
    /// (a few terms per lane), but 1 on <see cref="VScalar"/>, whose one lane would otherwise carry a whole run, so the
    /// scalar path sums exactly in double: a confident row's <c>S = 1 + S'</c> then keeps <c>S'</c> to double precision,
    /// which <c>p_y - 1</c> needs when it is far below a float ulp of 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ElementsPerFlush<TV>(int elements) where TV : struct, IVec<TV> => TV.Count == 1 ? 1 : elements;

    /// <summary>The exp pass with only <c>S</c> (no targets, weights or temperature).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Run<TV, TTerm>(float* z, float* g, int k, float max, float* zNext = null)
        where TV : struct, IVec<TV> where TTerm : struct, IExpTerm =>
        Run<TV, TTerm, No>(z, null, null, g, k, max, 1f, 1f, 0f, zNext, null, out _, out _);

    /// <summary>The broadcast constants of one row.</summary>
    private readonly struct Constants<TV>(float max, float invTau, float ta, float tb) where TV : struct, IVec<TV>
    {
        public readonly TV Max = TV.Broadcast(max);
        public readonly TV NegMax = TV.Broadcast(-max);
        public readonly TV InvTau = TV.Broadcast(invTau);
        public readonly TV Ta = TV.Broadcast(ta);
        public readonly TV Tb = TV.Broadcast(tb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TV, TTerm, TT>(float* z, float* t, float* w, float* g, int i, in Constants<TV> c,
        ref TV s, ref TV a, ref TV b)
        where TV : struct, IVec<TV> where TTerm : struct, IExpTerm where TT : struct, IConst
    {
        TV zv = TV.Load(z + i);
        TV x = TV.Sub(zv, c.Max);
        if (TTerm.HasSideSums)
        {
            TTerm.Add(x, TTerm.UsesTargets ? TV.Load(t + i) : default, TTerm.UsesWeights ? TV.Load(w + i) : default, c.Ta, c.Tb, ref a, ref b);
        }

        TV e;
        if (TTerm.Compensated)
        {
            e = VectorMath.ExpOfDifference(zv, c.Max, c.NegMax);
        }
        else
        {
            e = VectorMath.ExpOfNonPositive(TT.On ? TV.Mul(x, c.InvTau) : x);
        }

        if (g != null)
        {
            TV.Store(e, g + i);
        }

        s = TV.Add(s, e);
    }

    /// <summary>Prefetches into L1 the 64-byte lines holding <c>p[i .. i + count)</c> (nothing if <paramref name="p"/> is
    /// null or on non-x86 hardware).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch(float* p, int i, int count)
    {
        if (Sse.IsSupported && p != null)
        {
            for (int o = 0; o < count; o += 16)
            {
                Sse.Prefetch0(p + i + o);
            }
        }
    }
}
