using System.Runtime.CompilerServices;

namespace ClassLoss.Numerics;

/// <summary>
/// The row passes of the double softmax kernels, written once over <see cref="IVec{TV, T}"/>: the maximum, the exp pass
/// (<c>e_c = exp(z_c τ⁻¹ - m)</c> stored and summed, optionally with <c>Σ_c w_c (z_c τ⁻¹ - m)</c>) and the gradient
/// write <c>g_c = e_c a - w_c b</c>. Four accumulators; a partial last vector is read again overlapping the previous one
/// (max is idempotent, the exp store rewrites the same values, the sums zero the overlap). A row must hold at least
/// one vector (<see cref="Specialize.RunDouble{TJob}"/>'s width rule). Every order of addition depends only on K and the
/// width, so a row's result does not depend on the thread that computes it.
/// </summary>
internal static unsafe class DoubleRows
{
    /// <summary>The largest of <paramref name="k"/> ≥ <c>TV.Count</c> values (NaN if any is NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Max<TV>(double* z, int k) where TV : struct, IVec<TV, double>
    {
        int w = TV.Count;
        TV m0 = TV.Load(z), m1 = m0, m2 = m0, m3 = m0;
        int c = w;
        for (; c <= k - (4 * w); c += 4 * w)
        {
            m0 = TV.Max(m0, TV.Load(z + c));
            m1 = TV.Max(m1, TV.Load(z + c + w));
            m2 = TV.Max(m2, TV.Load(z + c + (2 * w)));
            m3 = TV.Max(m3, TV.Load(z + c + (3 * w)));
        }

        for (; c <= k - w; c += w)
        {
            m0 = TV.Max(m0, TV.Load(z + c));
        }

        if (c < k)
        {
            m1 = TV.Max(m1, TV.Load(z + k - w));
        }

        return TV.MaxAcross(TV.Max(TV.Max(m0, m1), TV.Max(m2, m3)));
    }

    /// <summary>
    /// <c>S = Σ_c e_c</c> with <c>e_c = exp(z_c · invTau - m)</c> (the difference rounded as the reference row rounds it),
    /// each <c>e_c</c> stored at <paramref name="e"/> unless it is null; with <typeparamref name="TD"/> also
    /// <paramref name="d"/> = <c>Σ_c w_c (z_c · invTau - m)</c> (w = 1 without <typeparamref name="TW"/>; a class of
    /// weight 0 adds 0 even at a masked logit). Its own method (once per row), so that its exp call sites inline into it
    /// within the JIT's inlining budget.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static double ExpSum<TV, TD, TW>(double* z, double* w, double* e, int k, double m, double invTau, out double d)
        where TV : struct, IVec<TV, double> where TD : struct, IConst where TW : struct, IConst
    {
        int n = TV.Count;
        TV vm = TV.Broadcast(m), vt = TV.Broadcast(invTau), zero = TV.Broadcast(0.0);
        TV s0 = zero, s1 = zero, s2 = zero, s3 = zero;
        TV d0 = zero, d1 = zero;
        int c = 0;
        for (; c <= k - (4 * n); c += 4 * n)
        {
            s0 = TV.Add(s0, Exp<TV, TD, TW>(z, w, e, c, vm, vt, ref d0));
            s1 = TV.Add(s1, Exp<TV, TD, TW>(z, w, e, c + n, vm, vt, ref d1));
            s2 = TV.Add(s2, Exp<TV, TD, TW>(z, w, e, c + (2 * n), vm, vt, ref d0));
            s3 = TV.Add(s3, Exp<TV, TD, TW>(z, w, e, c + (3 * n), vm, vt, ref d1));
        }

        for (; c <= k - n; c += n)
        {
            s0 = TV.Add(s0, Exp<TV, TD, TW>(z, w, e, c, vm, vt, ref d0));
        }

        if (c < k)
        {
            // The last vector overlaps the previous one by `done` lanes: their terms are zeroed.
            int last = k - n, done = c - last;
            TV dt = zero;
            s1 = TV.Add(s1, TV.ZeroFirst(Exp<TV, TD, TW>(z, w, e, last, vm, vt, ref dt), done));
            d1 = TV.Add(d1, TV.ZeroFirst(dt, done));
        }

        d = TD.On ? TV.SumAcross(TV.Add(d0, d1)) : 0;
        return TV.SumAcross(TV.Add(TV.Add(s0, s1), TV.Add(s2, s3)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exp<TV, TD, TW>(double* z, double* w, double* e, int c, TV vm, TV vt, ref TV d)
        where TV : struct, IVec<TV, double> where TD : struct, IConst where TW : struct, IConst
    {
        TV x = TV.Sub(TV.Mul(TV.Load(z + c), vt), vm);
        TV ex = VectorMathD.ExpOfNonPositive(x);
        if (e != null)
        {
            TV.Store(ex, e + c);
        }

        if (TD.On)
        {
            if (TW.On)
            {
                TV wc = TV.Load(w + c), zero = TV.Broadcast(0.0);
                d = TV.Add(d, TV.SelectEqual(wc, zero, zero, TV.Mul(wc, x)));
            }
            else
            {
                d = TV.Add(d, x);
            }
        }

        return ex;
    }

    /// <summary>The sum of <paramref name="k"/> ≥ <c>TV.Count</c> values in the vector's lanes (the overlap of the last
    /// vector zeroed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum<TV>(double* v, int k) where TV : struct, IVec<TV, double>
    {
        int n = TV.Count;
        TV s0 = TV.Broadcast(0.0), s1 = s0;
        int c = 0;
        for (; c <= k - (2 * n); c += 2 * n)
        {
            s0 = TV.Add(s0, TV.Load(v + c));
            s1 = TV.Add(s1, TV.Load(v + c + n));
        }

        for (; c <= k - n; c += n)
        {
            s0 = TV.Add(s0, TV.Load(v + c));
        }

        if (c < k)
        {
            s1 = TV.Add(s1, TV.ZeroFirst(TV.Load(v + k - n), c - (k - n)));
        }

        return TV.SumAcross(TV.Add(s0, s1));
    }

    /// <summary>The gradient write in place: <c>g_c = e_c a + w_c nb</c> (<paramref name="nb"/> = -b; w = 1 without
    /// <typeparamref name="TW"/>, and no second term without <typeparamref name="TB"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gradient<TV, TB, TW>(double* g, double* w, int k, double a, double nb)
        where TV : struct, IVec<TV, double> where TB : struct, IConst where TW : struct, IConst
    {
        int n = TV.Count;
        TV va = TV.Broadcast(a), vb = TV.Broadcast(nb);
        int c = 0;
        for (; c <= k - n; c += n)
        {
            TV.Store(Term<TV, TB, TW>(TV.Load(g + c), w, c, va, vb), g + c);
        }

        if (c < k)
        {
            // The overlapped lanes already hold gradient entries: keep them, write the new lanes only.
            for (int j = c; j < k; j++)
            {
                g[j] = Term<DScalar, TB, TW>(new DScalar(g[j]), w, j, new DScalar(a), new DScalar(nb))._v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Term<TV, TB, TW>(TV e, double* w, int c, TV va, TV vb)
        where TV : struct, IVec<TV, double> where TB : struct, IConst where TW : struct, IConst
    {
        if (!TB.On)
        {
            return TV.Mul(e, va);
        }

        return TV.Fma(e, va, TW.On ? TV.Mul(TV.Load(w + c), vb) : vb);
    }
}
