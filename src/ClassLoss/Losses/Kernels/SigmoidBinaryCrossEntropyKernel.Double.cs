using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The double SIMD kernel of binary cross-entropy with logits, every option (class, positive and element weights,
/// smoothing, per-element losses): the generic kernel's element (<see cref="BinaryCrossEntropyElement{TTerms}"/> with
/// <see cref="LogitTerms"/>) on double vectors, with <see cref="VectorMathD"/>'s exp and log1p (about 1 ulp), so its
/// results agree with the generic kernel's to a few ulps.
/// </summary>
/// <remarks>
/// <para>Per element, as the generic element forms it: <c>y' = y (1 - ε) + ε/2</c>, <c>A = pw y'</c>, <c>B = 1 - y'</c>,
/// <c>e = exp(-|x|)</c>, <c>L = log1p(e)</c>, <c>r = 1/(1 + e)</c>; loss <c>W [A (max(-x, 0) + L) + B (max(x, 0) + L)]</c>,
/// gradient <c>(B σ(x) - A σ(-x)) (W s)</c> with <c>σ(x) = r</c> for x ≥ 0 and <c>e r</c> otherwise (and the reverse
/// for <c>σ(-x)</c>), <c>W = w_k e_ik</c>; an element of weight 0 gives 0 and 0. A vector holding a non-finite logit is
/// computed element by element by the generic element function (its limits and NaNs exactly). Targets are checked in
/// the same pass (<c>checkFrom</c> is 0 when one is outside [0, 1], and the caller's exact check names it).</para>
/// <para>Rows are cut into blocks whose size depends only on N; a row's losses are summed in vector lanes (a fixed
/// order for its K), rows in order, blocks in block order; without column weights and row sums a block's elements are
/// one run (so short rows fill whole vectors), summed in lanes. Either way the order depends only on N, K and the width:
/// the value does not depend on the thread count.</para>
/// </remarks>
internal static unsafe partial class SigmoidBinaryCrossEntropyKernel
{
    /// <summary>The double kernel; see <see cref="FusedWithOptions{T}"/> for the arguments.</summary>
    public static double FusedDouble(ReadOnlySpan<double> logits, ReadOnlySpan<double> targets, int k, double scale, Span<double> gradient,
        Span<double> losses, bool perElementLosses, ReadOnlySpan<double> elementWeights, ReadOnlySpan<double> classWeights,
        ReadOnlySpan<double> positiveWeights, double smoothing, int maxThreads, out int checkFrom)
    {
        int n = k == 0 ? 0 : logits.Length / k;
        checkFrom = n;
        if (n == 0)
        {
            return 0;
        }

        var (blockRows, blocks, threads) = RowBlocks.Plan(n, k, maxThreads);
        int bad = 0;
        double sum;
        fixed (double* x = logits, t = targets, g = gradient, l = losses, ew = elementWeights, cw = classWeights, pw = positiveWeights)
        {
            var job = new DoubleElements(x, t, gradient.IsEmpty ? null : g, losses.IsEmpty ? null : l, perElementLosses,
                elementWeights.IsEmpty ? null : ew, classWeights.IsEmpty ? null : cw, positiveWeights.IsEmpty ? null : pw,
                k, n, blockRows, smoothing, scale, &bad);
            sum = BlockParallel.Sum(job, blocks, threads);
        }

        if (Volatile.Read(ref bad) != 0)
        {
            checkFrom = 0;
        }

        return sum;
    }

    /// <summary>The block job, compiled per width and per switch: weights (<c>TW</c>: class, positive or element
    /// weights) and per-element losses (<c>TE</c>).</summary>
    private readonly struct DoubleElements(double* x, double* t, double* g, double* l, bool perElement, double* ew, double* cw,
        double* pw, int k, int n, int blockRows, double smoothing, double scale, int* bad) : IBlockSumJob, IDoubleSpecialized
    {
        public double RunBlock(int b) =>
            Specialize.RunDouble(this, b, cw == null && pw == null && (l == null || perElement) ? Specialize.AnyLength : k, Specialize.Flag(ew != null || cw != null || pw != null), Specialize.Flag(perElement && l != null));

        public double Run<TV, TW, TE>(int b) where TV : struct, IVec<TV, double> where TW : struct, IConst where TE : struct, IConst
        {
            int start = b * blockRows, end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            TV badLanes = TV.Broadcast(0.0);
            if (cw == null && pw == null && (l == null || TE.On))
            {
                // No column weights and no row sums: the block's rows are one run of elements (short rows fill whole vectors).
                long first = (long)start * k;
                int count = (end - start) * k, vectors = count - (count % TV.Count);
                sum = Columns<TV, TW, TE>(first, 0, vectors, ref badLanes);
                if (vectors < count)
                {
                    DScalar bad1 = new(0.0);
                    sum += Columns<DScalar, TW, TE>(first, vectors, count, ref bad1);
                    badLanes = TV.Add(badLanes, TV.Broadcast(bad1._v));
                }

                end = start; // the row loop below has nothing left to do
            }

            for (int i = start; i < end; i++)
            {
                long at = (long)i * k;
                int vectors = k - (k % TV.Count);
                double rowLoss = Columns<TV, TW, TE>(at, 0, vectors, ref badLanes);
                if (vectors < k)
                {
                    DScalar bad1 = new(0.0);
                    rowLoss += Columns<DScalar, TW, TE>(at, vectors, k, ref bad1);
                    badLanes = TV.Add(badLanes, TV.Broadcast(bad1._v));
                }

                if (l != null && !TE.On)
                {
                    l[i] = rowLoss;
                }

                sum += rowLoss;
            }

            if (TV.SumAcross(badLanes) != 0)
            {
                *bad = 1;
            }

            return sum;
        }

        /// <summary>The loss sum of columns [<paramref name="from"/>, <paramref name="to"/>) (whole vectors) of the row at
        /// <paramref name="at"/>, summed in the vector's lanes. Its own method, so that exp and log1p inline into its loop
        /// (inside <see cref="Run{TV, TW, TE}"/> they would exceed the JIT's inlining budget and be called per vector).</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private double Columns<TV, TW, TE>(long at, int from, int to, ref TV badLanes)
            where TV : struct, IVec<TV, double> where TW : struct, IConst where TE : struct, IConst
        {
            TV acc = TV.Broadcast(0.0);
            for (int c = from; c < to; c += TV.Count)
            {
                acc = TV.Add(acc, Vector<TV, TW, TE>(at, c, ref badLanes));
            }

            return TV.SumAcross(acc);
        }

        /// <summary>The losses of columns [c, c + TV.Count) of the row at <paramref name="at"/>; writes their gradient (and
        /// element losses); adds 1 to a lane of <paramref name="badLanes"/> for a target outside [0, 1].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TV Vector<TV, TW, TE>(long at, int c, ref TV badLanes) where TV : struct, IVec<TV, double> where TW : struct, IConst where TE : struct, IConst
        {
            long e0 = at + c;
            TV xv = TV.Load(x + e0), yv = TV.Load(t + e0);
            TV zero = TV.Broadcast(0.0), one = TV.Broadcast(1.0);
            // NaN fails both comparisons, so a NaN target counts as bad too.
            badLanes = TV.Add(badLanes, TV.SelectGreaterOrEqual(yv, zero, TV.SelectGreaterOrEqual(one, yv, zero, one), one));
            if (TV.AnyNonFinite(xv))
            {
                return Reference<TV, TW, TE>(e0, c);
            }

            TV ys = TV.Add(TV.Mul(yv, TV.Broadcast(1 - smoothing)), TV.Broadcast(0.5 * smoothing));
            TV pos = TW.On && pw != null ? TV.Mul(TV.Load(pw + c), ys) : ys;
            TV neg = TV.Sub(one, ys);
            TV nabs = TV.NegativeAbs(xv);
            TV e = VectorMathD.ExpOfNonPositive(nabs);
            TV lp = VectorMathD.Log1pOfUnit(e);
            TV r = TV.Div(one, TV.Add(one, e));
            TV er = TV.Mul(e, r);
            TV spNeg = TV.Add(TV.Max(TV.Sub(zero, xv), zero), lp); // softplus(-x)
            TV spPos = TV.Add(TV.Max(xv, zero), lp);               // softplus(x)
            TV loss = TV.Add(TV.Mul(pos, spNeg), TV.Mul(neg, spPos));
            TV sigPos = TV.SelectGreaterOrEqual(xv, zero, r, er);   // σ(x)
            TV sigNeg = TV.SelectGreaterOrEqual(xv, zero, er, r);   // σ(-x)
            TV d = TV.Add(TV.Mul(pos, TV.Sub(zero, sigNeg)), TV.Mul(neg, sigPos));
            TV gv;
            if (TW.On)
            {
                TV w = cw != null ? TV.Load(cw + c) : one;
                if (ew != null)
                {
                    w = TV.Mul(w, TV.Load(ew + e0));
                }

                loss = TV.SelectEqual(w, zero, zero, TV.Mul(w, loss));
                gv = TV.SelectEqual(w, zero, zero, TV.Mul(d, TV.Mul(w, TV.Broadcast(scale))));
            }
            else
            {
                gv = TV.Mul(d, TV.Broadcast(scale));
            }

            if (g != null)
            {
                TV.Store(gv, g + e0);
            }

            if (TE.On)
            {
                TV.Store(loss, l + e0);
            }

            return loss;
        }

        /// <summary>The vector's elements by the generic kernel's element function (a non-finite logit among them).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private TV Reference<TV, TW, TE>(long e0, int c) where TV : struct, IVec<TV, double> where TW : struct, IConst where TE : struct, IConst
        {
            double* lanes = stackalloc double[8];
            var p = new BinaryParameters(pw == null ? default : new ReadOnlySpan<double>(pw, k), smoothing);
            for (int j = 0; j < TV.Count; j++)
            {
                long at = e0 + j;
                double w = (cw == null ? 1.0 : cw[c + j]) * (ew == null ? 1.0 : ew[at]);
                double loss = 0, grad = 0;
                if (w != 0)
                {
                    loss = w * BinaryCrossEntropyElement<LogitTerms>.Of(x[at], t[at], c + j, p, out double d);
                    grad = d * (w * scale);
                }

                lanes[j] = loss;
                if (g != null)
                {
                    g[at] = grad;
                }

                if (TE.On)
                {
                    l[at] = loss;
                }
            }

            return TV.Load(lanes);
        }
    }
}
