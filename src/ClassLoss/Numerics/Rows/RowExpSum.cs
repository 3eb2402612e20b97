using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary>
/// What the exp pass of <see cref="RowExpSum"/> adds up beside <c>S = Σ_c e_c</c>, and how it forms <c>e_c</c>: a
/// stateless operator, so the pass is compiled once per term with everything folded. Its functions take and return
/// values (never <c>ref</c> accumulators, which the JIT would keep in memory).
/// </summary>
internal interface IExpTerm
{
    /// <summary>The term reads the row's targets <c>t</c> (the pass then prefetches the next row's targets too).</summary>
    static abstract bool UsesTargets { get; }

    /// <summary>The term reads per-class weights <c>w</c>.</summary>
    static abstract bool UsesWeights { get; }

    /// <summary>How many side sums (<c>A</c>, then <c>B</c>) the term accumulates: 0, 1 or 2.</summary>
    static abstract int SideSums { get; }

    /// <summary><c>e_c = exp(z_c - max)</c> with the rounding of the float difference put back
    /// (<see cref="VectorMath.ExpOfDifference{TV}"/>; no temperature).</summary>
    static abstract bool Compensated { get; }

    /// <summary>The element's weight <c>q</c> that the side sums use, from the targets <paramref name="t"/> and weights
    /// <paramref name="w"/> (where used) and the broadcast target transform <paramref name="ta"/>, <paramref name="tb"/>.</summary>
    static abstract TV Weight<TV>(TV t, TV w, TV ta, TV tb) where TV : struct, IVec<TV, float>;

    /// <summary><paramref name="a"/> plus the element's share of <c>A</c>; <paramref name="x"/> = <c>z - max</c> (before the temperature).</summary>
    static abstract TV AddA<TV>(TV a, TV x, TV q) where TV : struct, IVec<TV, float>;

    /// <summary><paramref name="b"/> plus the element's share of <c>B</c>.</summary>
    static abstract TV AddB<TV>(TV b, TV x, TV q) where TV : struct, IVec<TV, float>;
}

/// <summary>Only <c>S</c>: plain cross-entropy rows (and, with <typeparamref name="TCompensated"/>, the softmax focal
/// loss, whose loss goes as <c>q^(γ+1)</c> in <c>q = 1 - p</c> and needs each exponential to its last bit).</summary>
internal readonly struct PlainExp<TCompensated> : IExpTerm where TCompensated : struct, IConst
{
    public static bool UsesTargets => false;

    public static bool UsesWeights => false;

    public static int SideSums => 0;

    public static bool Compensated => TCompensated.On;

    public static TV Weight<TV>(TV t, TV w, TV ta, TV tb) where TV : struct, IVec<TV, float> => w;

    public static TV AddA<TV>(TV a, TV x, TV q) where TV : struct, IVec<TV, float> => a;

    public static TV AddB<TV>(TV b, TV x, TV q) where TV : struct, IVec<TV, float> => b;
}

/// <summary>Label smoothing of class-index targets: <c>A = Σ_c w_c (z_c - max)</c> (<c>w_c = 1</c> unless
/// <typeparamref name="TW"/>); every term has one sign, so no cancellation.</summary>
internal readonly struct SmoothedExp<TW> : IExpTerm where TW : struct, IConst
{
    public static bool UsesTargets => false;

    public static bool UsesWeights => TW.On;

    public static int SideSums => 1;

    public static bool Compensated => false;

    public static TV Weight<TV>(TV t, TV w, TV ta, TV tb) where TV : struct, IVec<TV, float> => w;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV AddA<TV>(TV a, TV x, TV q) where TV : struct, IVec<TV, float> => TW.On ? TV.Fma(q, x, a) : TV.Add(a, x);

    public static TV AddB<TV>(TV b, TV x, TV q) where TV : struct, IVec<TV, float> => b;
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

    public static int SideSums => 2;

    public static bool Compensated => false;

    /// <summary><c>q = t</c>, smoothed <c>t·ta + tb</c>, times <c>w</c> if weighted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Weight<TV>(TV t, TV w, TV ta, TV tb) where TV : struct, IVec<TV, float>
    {
        TV q = TS.On ? TV.Fma(t, ta, tb) : t;
        return TW.On ? TV.Mul(q, w) : q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV AddA<TV>(TV a, TV x, TV q) where TV : struct, IVec<TV, float> => TS.On || TW.On ? TV.Add(a, q) : a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV AddB<TV>(TV b, TV x, TV q) where TV : struct, IVec<TV, float>
    {
        TV zero = TV.Broadcast(0f);
        return TM.On ? TV.Add(b, TV.SelectEqual(q, zero, zero, TV.Mul(q, x))) : TV.Fma(q, x, b);
    }
}

/// <summary>
/// The exp pass of the softmax kernels, written once: <c>e_c = exp((z_c - max)·invTau)</c> (or compensated, see
/// <see cref="IExpTerm.Compensated"/>) written into the gradient buffer (unless null) and summed, with the term's
/// side sums beside it.
/// </summary>
/// <remarks>
/// <para>Independent vector accumulators per sum, carried into a double every few vectors, so each float lane adds
/// at most eight terms (four with two side sums): a few-term float sum stays within a few ulps even when one large
/// term meets many equal small ones, which a long lane sum (formerly up to 64 terms per lane, 2.6e-5 relative error
/// on such rows) rounds the same way every time. Four vectors per step (two with two side sums, so that the twelve
/// accumulators of three sums do not spill AVX2's sixteen registers). A partial last vector is done as the row's
/// last full vector, overlapping the one before: the overlap's lanes are zeroed for the sums and stored again with
/// the bits they already hold (same element, same operations). Rows shorter than a vector run on <see cref="VScalar"/>.</para>
/// <para>While a row computes (compute-bound), the next row's logits (and targets) are prefetched into L1, so its max
/// pass finds them in cache; long rows (K ≥ 32,000: the row and its gradient live in L2) also fetch the gradient row
/// <see cref="GradientPrefetchDistance"/> floats ahead of the stores.</para>
/// </remarks>
internal static unsafe class RowExpSum
{
    /// <summary>Terms a float lane adds before it is carried into double (with fewer than two side sums).</summary>
    internal const int TermsPerLane = 8;

    /// <summary>Vectors summed per accumulator set between flushes into double with four accumulators.</summary>
    internal const int VectorsPerFlush = 4 * TermsPerLane;

    /// <summary>Vectors per flush with two side sums: two accumulators per sum, four terms per lane (the float error
    /// bound the soft-target check relies on).</summary>
    internal const int NarrowVectorsPerFlush = 8;

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
        where TV : struct, IVec<TV, float> where TTerm : struct, IExpTerm where TT : struct, IConst
    {
        int width = TV.Count;
        if (k < width && width > 1)
        {
            return Run<VScalar, TTerm, TT>(z, t, w, g, k, max, invTau, ta, tb, zNext, tNext, out a, out b);
        }

        // The flushed pieces and the overlapping tail are methods of their own: the JIT inlines only so much into one
        // method (its inline budget and local-variable limit), and every vector exp is a dozen inlined operations.
        var row = new Row(z, t, w, g, k, max, invTau, ta, tb, zNext, tNext);
        int perFlush = ElementsPerFlush<TV>((TTerm.SideSums < 2 ? VectorsPerFlush : NarrowVectorsPerFlush) * width);
        double total = 0, aTotal = 0, bTotal = 0;
        int i = 0;
        while (i <= k - width)
        {
            i = Piece<TV, TTerm, TT>(row, i, Math.Min(k, i + perFlush), ref total, ref aTotal, ref bTotal);
        }

        if (i < k)
        {
            Tail<TV, TTerm, TT>(row, width - (k - i), ref total, ref aTotal, ref bTotal);
        }

        a = aTotal;
        b = bTotal;
        return total;
    }

    /// <summary>The pointers and scalars of one row's pass.</summary>
    private readonly struct Row(float* z, float* t, float* w, float* g, int k, float max, float invTau, float ta, float tb,
        float* zNext, float* tNext)
    {
        public readonly float* Z = z, T = t, W = w, G = g, ZNext = zNext, TNext = tNext;
        public readonly int K = k;
        public readonly float Max = max, InvTau = invTau, Ta = ta, Tb = tb;
    }

    /// <summary>Vectors from <paramref name="i"/> to <paramref name="end"/>, summed in float accumulators and added to
    /// the double totals once; returns where it stopped (the last partial vector is the tail's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static int Piece<TV, TTerm, TT>(in Row r, int i, int end, ref double total, ref double aTotal, ref double bTotal)
        where TV : struct, IVec<TV, float> where TTerm : struct, IExpTerm where TT : struct, IConst
    {
        int width = TV.Count;
        bool wide = TTerm.SideSums < 2;
        int step = (wide ? 4 : 2) * width;
        float* z = r.Z, t = r.T, w = r.W, g = r.G;
        TV mv = TV.Broadcast(r.Max), nmv = TV.Broadcast(-r.Max), it = TV.Broadcast(r.InvTau), tav = TV.Broadcast(r.Ta), tbv = TV.Broadcast(r.Tb);
        TV zero = TV.Broadcast(0f);
        TV s0 = zero, s1 = zero, s2 = zero, s3 = zero;
        TV a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        TV b0 = zero, b1 = zero;
        for (; i <= end - step; i += step)
        {
            Prefetch(r.ZNext, i, step);
            if (TTerm.UsesTargets)
            {
                Prefetch(r.TNext, i, step);
            }

            if (g != null && i + GradientPrefetchDistance < r.K)
            {
                Prefetch(g, i + GradientPrefetchDistance, step);
            }

            TV z0 = TV.Load(z + i), z1 = TV.Load(z + i + width);
            TV x0 = TV.Sub(z0, mv), x1 = TV.Sub(z1, mv);
            TV z2 = default, z3 = default, x2 = default, x3 = default;
            if (wide)
            {
                z2 = TV.Load(z + i + (2 * width));
                z3 = TV.Load(z + i + (3 * width));
                x2 = TV.Sub(z2, mv);
                x3 = TV.Sub(z3, mv);
            }

            if (TTerm.SideSums > 0)
            {
                TV q0 = Weight<TV, TTerm>(t, w, i, tav, tbv), q1 = Weight<TV, TTerm>(t, w, i + width, tav, tbv);
                a0 = TTerm.AddA(a0, x0, q0);
                a1 = TTerm.AddA(a1, x1, q1);
                b0 = TTerm.AddB(b0, x0, q0);
                b1 = TTerm.AddB(b1, x1, q1);
                if (wide)
                {
                    a2 = TTerm.AddA(a2, x2, Weight<TV, TTerm>(t, w, i + (2 * width), tav, tbv));
                    a3 = TTerm.AddA(a3, x3, Weight<TV, TTerm>(t, w, i + (3 * width), tav, tbv));
                }
            }

            TV e0 = Exp<TV, TTerm, TT>(z0, x0, mv, nmv, it), e1 = Exp<TV, TTerm, TT>(z1, x1, mv, nmv, it);
            if (g != null)
            {
                TV.Store(e0, g + i);
                TV.Store(e1, g + i + width);
            }

            s0 = TV.Add(s0, e0);
            s1 = TV.Add(s1, e1);
            if (wide)
            {
                TV e2 = Exp<TV, TTerm, TT>(z2, x2, mv, nmv, it), e3 = Exp<TV, TTerm, TT>(z3, x3, mv, nmv, it);
                if (g != null)
                {
                    TV.Store(e2, g + i + (2 * width));
                    TV.Store(e3, g + i + (3 * width));
                }

                s2 = TV.Add(s2, e2);
                s3 = TV.Add(s3, e3);
            }
        }

        for (; i <= end - width; i += width)
        {
            TV z0 = TV.Load(z + i);
            TV x0 = TV.Sub(z0, mv);
            if (TTerm.SideSums > 0)
            {
                TV q0 = Weight<TV, TTerm>(t, w, i, tav, tbv);
                a0 = TTerm.AddA(a0, x0, q0);
                b0 = TTerm.AddB(b0, x0, q0);
            }

            TV e0 = Exp<TV, TTerm, TT>(z0, x0, mv, nmv, it);
            if (g != null)
            {
                TV.Store(e0, g + i);
            }

            s0 = TV.Add(s0, e0);
        }

        total += TV.SumAcross(TV.Add(TV.Add(s0, s1), TV.Add(s2, s3)));
        if (TTerm.SideSums > 0)
        {
            aTotal += TV.SumAcross(TV.Add(TV.Add(a0, a1), TV.Add(a2, a3)));
        }

        if (TTerm.SideSums > 1)
        {
            bTotal += TV.SumAcross(TV.Add(b0, b1));
        }

        return i;
    }

    /// <summary>The row's last vector again, overlapping the one before; the first <paramref name="done"/> lanes (already
    /// summed) are zeroed for the sums and stored again with the bits they already hold (same element, same operations).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Tail<TV, TTerm, TT>(in Row r, int done, ref double total, ref double aTotal, ref double bTotal)
        where TV : struct, IVec<TV, float> where TTerm : struct, IExpTerm where TT : struct, IConst
    {
        int last = r.K - TV.Count;
        TV mv = TV.Broadcast(r.Max), zero = TV.Broadcast(0f);
        TV z0 = TV.Load(r.Z + last);
        TV x0 = TV.Sub(z0, mv);
        if (TTerm.SideSums > 0)
        {
            TV q0 = Weight<TV, TTerm>(r.T, r.W, last, TV.Broadcast(r.Ta), TV.Broadcast(r.Tb));
            aTotal += TV.SumAcross(TV.ZeroFirst(TTerm.AddA(zero, x0, q0), done));
            bTotal += TV.SumAcross(TV.ZeroFirst(TTerm.AddB(zero, x0, q0), done));
        }

        TV e0 = Exp<TV, TTerm, TT>(z0, x0, mv, TV.Broadcast(-r.Max), TV.Broadcast(r.InvTau));
        if (r.G != null)
        {
            TV.Store(e0, r.G + last);
        }

        total += TV.SumAcross(TV.ZeroFirst(e0, done));
    }

    /// <summary>The exp pass with only <c>S</c> (no targets, weights or temperature).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Run<TV, TTerm>(float* z, float* g, int k, float max, float* zNext = null)
        where TV : struct, IVec<TV, float> where TTerm : struct, IExpTerm =>
        Run<TV, TTerm, No>(z, null, null, g, k, max, 1f, 1f, 0f, zNext, null, out _, out _);

    /// <summary>
    /// Elements a kernel sums in float lanes before carrying them into double: <paramref name="elements"/> on vectors
    /// (a few terms per lane), but 1 on <see cref="VScalar"/>, whose one lane would otherwise carry a whole run, so the
    /// scalar path sums exactly in double: a confident row's <c>S = 1 + S'</c> then keeps <c>S'</c> to double precision,
    /// which <c>p_y - 1</c> needs when it is far below a float ulp of 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ElementsPerFlush<TV>(int elements) where TV : struct, IVec<TV, float> => TV.Count == 1 ? 1 : elements;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Weight<TV, TTerm>(float* t, float* w, int i, TV ta, TV tb)
        where TV : struct, IVec<TV, float> where TTerm : struct, IExpTerm =>
        TTerm.Weight(TTerm.UsesTargets ? TV.Load(t + i) : default, TTerm.UsesWeights ? TV.Load(w + i) : default, ta, tb);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exp<TV, TTerm, TT>(TV zv, TV x, TV max, TV negMax, TV invTau)
        where TV : struct, IVec<TV, float> where TTerm : struct, IExpTerm where TT : struct, IConst =>
        TTerm.Compensated
            ? VectorMath.ExpOfDifference(zv, max, negMax)
            : VectorMath.ExpOfNonPositive(TT.On ? TV.Mul(x, invTau) : x);

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
