using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The double SIMD kernel of softmax cross-entropy with probability targets (every option: weights, smoothing,
/// temperature): the reference row <see cref="CrossEntropyRows.Soft{T}"/>'s formulas on double vectors
/// (<see cref="DoubleRows"/>, <see cref="VectorMathD"/>), so its results agree with the generic kernel's to a few ulps.
/// </summary>
/// <remarks>
/// <para>Per row: <c>m = max_c z_c τ⁻¹</c>; <c>e_c = exp(z_c τ⁻¹ - m)</c> written into the gradient row and summed,
/// <c>S</c>; then with <c>q_c = w_c ((1 - ε) t_c + ε/K)</c> the sums <c>Q = Σ q_c</c> and
/// <c>X = Σ_{q_c ≠ 0} q_c (z_c τ⁻¹ - m)</c> (so a masked class of target 0 adds 0), the loss <c>Q log S - X</c> and the
/// gradient <c>g_c = e_c Q s / (τ S) - q_c s / τ</c> in place. The same pass sums the targets and checks their range:
/// a row that does not certainly pass <see cref="Validation.Guard.ProbabilityRow{T}"/> (a target outside [0, 1], a
/// sum within <see cref="DoubleSumMargin"/> of the tolerance's edge) is reported through <c>checkFrom</c>, from which
/// the caller runs the exact check. A row whose maximum or loss is not finite, or whose gradient unit overflows, is
/// recomputed by the reference row. Blocks as the float kernel's: the value does not depend on the thread count.</para>
/// </remarks>
internal static unsafe partial class CrossEntropySoftKernel
{
    /// <summary>How far inside the sum tolerance a double row sum must lie to pass without the exact check: the two
    /// sums (lanes here, a sequential loop in the check) differ by at most K·2^-53 relative, below this for K up to 10^6.</summary>
    private const double DoubleSumMargin = 1e-9;

    /// <summary>The double kernel: returns the sum of the row losses; writes the gradient and row losses unless their
    /// spans are empty; <paramref name="checkFrom"/> is the first row whose targets it could not vouch for (N when all).</summary>
    public static double FusedDouble(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, int k, ReadOnlySpan<double> weights,
        double smoothing, double temperature, double tolerance, double scale, Span<double> gradient, Span<double> rowLosses,
        int maxThreads, out int checkFrom)
    {
        int n = k == 0 ? 0 : logits.Length / k;
        checkFrom = n;
        if (n == 0)
        {
            return 0;
        }

        var (blockRows, blocks, threads) = RowBlocks.Plan(n, k, maxThreads);
        int* flagged = stackalloc int[blocks];
        double sum;
        fixed (double* z = logits, t = targets, g = gradient, r = rowLosses, wd = weights)
        {
            var p = new SoftmaxRowParams(k, weights.IsEmpty ? null : wd, null, smoothing, temperature, scale, 0, tolerance: tolerance);
            sum = BlockParallel.Sum(new DoubleBlock(p, z, t, gradient.IsEmpty ? null : g, rowLosses.IsEmpty ? null : r, flagged, n, blockRows),
                blocks, threads);
        }

        for (int b = 0; b < blocks; b++)
        {
            checkFrom = Math.Min(checkFrom, flagged[b]);
        }

        return sum;
    }

    /// <summary>The block job, compiled per width and per switch: class weights (<c>TW</c>).</summary>
    private readonly struct DoubleBlock(SoftmaxRowParams p, double* z, double* t, double* g, double* r, int* flagged, int n, int blockRows)
        : IBlockSumJob, IDoubleSpecialized
    {
        public double RunBlock(int b) => Specialize.RunDouble(this, b, p.K, Specialize.Flag(p.Wd != null));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TW, TUnused>(int b) where TV : struct, IVec<TV, double> where TW : struct, IConst where TUnused : struct, IConst
        {
            int k = p.K;
            int end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            int first = n;
            for (int i = b * blockRows; i < end; i++)
            {
                long at = (long)i * k;
                double loss = DoubleRow<TV, TW>(z + at, t + at, g == null ? null : g + at, p, out bool suspect);
                if (suspect && first == n)
                {
                    first = i;
                }

                if (r != null)
                {
                    r[i] = loss;
                }

                sum += loss;
            }

            flagged[b] = first;
            return sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double DoubleRow<TV, TW>(double* z, double* t, double* g, in SoftmaxRowParams p, out bool suspect)
        where TV : struct, IVec<TV, double> where TW : struct, IConst
    {
        int k = p.K;
        double m = DoubleRows.Max<TV>(z, k) * p.InvTau;
        if (!double.IsFinite(m))
        {
            TargetTerms<TV, TW>(z, t, k, 0, p, out _, out _, out double tSum, out bool inRange);
            suspect = Suspect(tSum, inRange, p.Tolerance, DoubleSumMargin);
            return Fallback(z, t, g, p);
        }

        double s = DoubleRows.ExpSum<TV, No, No>(z, null, g, k, m, p.InvTau, out _);
        TargetTerms<TV, TW>(z, t, k, m, p, out double qTotal, out double qx, out double ts, out bool ok);
        suspect = Suspect(ts, ok, p.Tolerance, DoubleSumMargin);
        double loss = (qTotal * Math.Log(s)) - qx;
        double unit = qTotal * p.SInv;
        if (!double.IsFinite(loss) || (g != null && !(double.IsFinite(unit) && double.IsFinite(p.SInv))))
        {
            return Fallback(z, t, g, p);
        }

        if (g != null)
        {
            TargetGradient<TV, TW>(g, t, k, unit / s, p);
        }

        return loss;
    }

    /// <summary><c>Q = Σ q_c</c>, <c>X = Σ_{q_c ≠ 0} q_c (z_c τ⁻¹ - m)</c>, <c>Σ t_c</c> and whether every target lies in
    /// [0, 1]; whole vectors, then the rest on <see cref="DScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TargetTerms<TV, TW>(double* z, double* t, int k, double m, in SoftmaxRowParams p,
        out double qTotal, out double qx, out double tSum, out bool inRange)
        where TV : struct, IVec<TV, double> where TW : struct, IConst
    {
        int vectors = k - (k % TV.Count);
        Terms<TV, TW>(z, t, 0, vectors, m, p, out qTotal, out qx, out tSum, out double bad);
        if (vectors < k)
        {
            Terms<DScalar, TW>(z, t, vectors, k, m, p, out double q1, out double x1, out double t1, out double bad1);
            qTotal += q1;
            qx += x1;
            tSum += t1;
            bad += bad1;
        }

        inRange = bad == 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Terms<TV, TW>(double* z, double* t, int from, int to, double m, in SoftmaxRowParams p,
        out double qTotal, out double qx, out double tSum, out double bad)
        where TV : struct, IVec<TV, double> where TW : struct, IConst
    {
        TV zero = TV.Broadcast(0.0), one = TV.Broadcast(1.0);
        TV vm = TV.Broadcast(m), vt = TV.Broadcast(p.InvTau), a = TV.Broadcast(1 - p.Eps), e = TV.Broadcast(p.SmoothPerClass);
        TV qs = zero, xs = zero, tsum = zero, bads = zero;
        for (int c = from; c < to; c += TV.Count)
        {
            TV tv = TV.Load(t + c);
            TV q = Q<TV, TW>(tv, p.Wd, c, a, e);
            TV x = TV.Sub(TV.Mul(TV.Load(z + c), vt), vm);
            qs = TV.Add(qs, q);
            xs = TV.Add(xs, TV.SelectEqual(q, zero, zero, TV.Mul(q, x)));
            tsum = TV.Add(tsum, tv);
            // NaN fails both comparisons, so a NaN target counts as out of range.
            bads = TV.Add(bads, TV.SelectGreaterOrEqual(tv, zero, TV.SelectGreaterOrEqual(one, tv, zero, one), one));
        }

        qTotal = TV.SumAcross(qs);
        qx = TV.SumAcross(xs);
        tSum = TV.SumAcross(tsum);
        bad = TV.SumAcross(bads);
    }

    /// <summary><c>q_c = w_c ((1 - ε) t_c + ε/K)</c>, rounded as the reference row rounds it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Q<TV, TW>(TV tv, double* w, int c, TV oneMinusEps, TV smoothPerClass) where TV : struct, IVec<TV, double> where TW : struct, IConst
    {
        TV q = TV.Add(TV.Mul(oneMinusEps, tv), smoothPerClass);
        return TW.On ? TV.Mul(TV.Load(w + c), q) : q;
    }

    /// <summary>The gradient in place: <c>g_c = e_c a - q_c s / τ</c>; whole vectors, then the rest on <see cref="DScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void TargetGradient<TV, TW>(double* g, double* t, int k, double a, in SoftmaxRowParams p)
        where TV : struct, IVec<TV, double> where TW : struct, IConst
    {
        int vectors = k - (k % TV.Count);
        GradientRange<TV, TW>(g, t, 0, vectors, a, p);
        if (vectors < k)
        {
            GradientRange<DScalar, TW>(g, t, vectors, k, a, p);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientRange<TV, TW>(double* g, double* t, int from, int to, double a, in SoftmaxRowParams p)
        where TV : struct, IVec<TV, double> where TW : struct, IConst
    {
        TV va = TV.Broadcast(a), ns = TV.Broadcast(-p.SInv), b = TV.Broadcast(1 - p.Eps), e = TV.Broadcast(p.SmoothPerClass);
        for (int c = from; c < to; c += TV.Count)
        {
            TV q = Q<TV, TW>(TV.Load(t + c), p.Wd, c, b, e);
            TV.Store(TV.Fma(TV.Load(g + c), va, TV.Mul(q, ns)), g + c);
        }
    }
}
