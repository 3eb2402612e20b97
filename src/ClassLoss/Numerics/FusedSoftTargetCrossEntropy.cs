using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ClassLoss.Losses;
using ClassLoss.Validation;
using static ClassLoss.Numerics.FusedSoftmaxCrossEntropy;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// Fast float path of softmax cross-entropy from logits with probability (soft) targets — with class weights, label
/// smoothing and temperature — target validation, loss and gradient fused, SIMD (Vector512, Vector256 or Vector128)
/// with a scalar tail.
/// </summary>
/// <remarks>
/// <para>Formula (PyTorch's <c>CrossEntropyLoss</c> with probability targets, Optax's <c>softmax_cross_entropy</c>;
/// see <see cref="SoftmaxCrossEntropy"/>): with <c>u = z / τ</c>, <c>m = max_c u_c</c>, <c>S = Σ_c exp(u_c - m)</c>
/// and <c>q_c = w_c ((1 - ε) t_c + ε / K)</c>, the row loss is
/// <c>ℓ = Σ_c q_c (m - u_c + log S) = Q log S - Σ_c q_c (u_c - m)</c> with <c>Q = Σ_c q_c</c> (terms with
/// <c>q_c = 0</c> are left out, so a masked <c>-∞</c> logit with zero target contributes 0, as in the generic path),
/// and the gradient <c>∂ℓ/∂z_c = (p_c Q - q_c) / τ</c> (seed 004's <c>-y_j + p_j Σ y</c>).</para>
/// <para>Per row: pass 1 finds <c>max_c z_c</c> and checks the targets (every <c>t_c</c> in [0, 1], the row sum within
/// the tolerance); pass 2 writes
/// <c>e_c = exp((z_c - max) / τ)</c> into the gradient buffer and sums <c>e_c</c>, <c>q_c</c> and
/// <c>q_c (z_c - max)</c> (each sum has terms of one sign, so no cancellation). Every sum runs in two float vector
/// accumulators flushed into a double every <see cref="VectorsPerFlush"/> vectors, so each float lane adds at most four
/// terms (a long lane sum would round one large target plus many equal small ones the same way every time); pass 3 overwrites the row in place with
/// <c>g_c = (e_c Q / S - q_c) · s / τ</c> (the difference in one fused multiply-add), <c>s</c> the reduction's factor. The loss is
/// assembled in double. The logits and targets are read from memory once and the gradient written once.</para>
/// <para>Validation: a row whose targets fail the check, or whose float row sum lies within a margin (bounding the
/// float summation error) of the tolerance, is flagged; after the rows are done, the generic
/// <see cref="Guard.ProbabilityRow{T}"/> re-checks every row from the first flagged one on, in order, so a bad target
/// throws the same <see cref="ArgumentException"/> (same row and column) as the generic path — but after the outputs
/// have been written.</para>
/// <para>A row whose maximum logit is not finite, or whose loss comes out non-finite (a positive target on a masked
/// class, overflow of <c>z - max</c>), is recomputed by <see cref="SoftmaxCrossEntropy.SoftRow{T}"/>, the generic double
/// path. Threads, blocks and allocation as <see cref="FusedSoftmaxCrossEntropy"/>: bit-identical results for any thread
/// count, nothing allocated on the single-thread path (float class weights live in a per-thread buffer).</para>
/// </remarks>
internal static unsafe partial class FusedSoftTargetCrossEntropy
{
    private const int VectorsPerFlush = 8;

    // |float sum - double sum| of a row of targets in [0, 1]: each flushed piece has at most 4 terms per lane, one
    // combine of the two accumulators and log2(lanes) ≤ 4 tree levels, so ≤ 8 · 2^-24 · Σt < 5e-7 · Σt; rows within
    // 1e-5 of the tolerance are re-checked exactly.
    private const double SumMargin = 1e-5;

    /// <summary>True when this kernel computes what <see cref="SoftmaxCrossEntropy"/> would for these options (unless
    /// a class weight does not survive the conversion to float).</summary>
    public static bool Supports(CrossEntropyOptions options) => WeightsFitFloat(options.WeightSpan);

    /// <summary>Loss and (optionally) gradient for validated options (see <see cref="Supports"/>).</summary>
    /// <param name="logits">Row-major [N, K] logits.</param>
    /// <param name="targets">Row-major [N, K] target probabilities.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, smoothing, temperature, reduction, target-sum tolerance.</param>
    /// <param name="gradient">[N, K] buffer overwritten with ∂(reduced loss)/∂z; empty to skip.</param>
    /// <param name="rowLosses">N buffer overwritten with each row's loss; empty to skip.</param>
    /// <param name="maxThreads">Upper bound on threads (1 = calling thread only); the result does not depend on it.</param>
    public static LossResult Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes,
        CrossEntropyOptions options, Span<float> gradient, Span<float> rowLosses, int maxThreads = 1)
    {
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets.Length, logits.Length, nameof(targets));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        double scale = Reducer.GradientScale(options.Reduction, options.WhenEmpty, n, n);

        var (blockRows, blocks) = RowBlocks.Of(n);
        Span<double> blockSums = stackalloc double[blocks];
        Span<int> blockFlagged = stackalloc int[blocks];

        ReadOnlySpan<double> weights = options.WeightSpan;
        float[]? floatWeights = weights.IsEmpty ? null : FloatWeights(weights);
        fixed (float* z = logits)
        fixed (float* t = targets)
        fixed (float* g = gradient)
        fixed (float* r = rowLosses)
        fixed (double* bs = blockSums)
        fixed (int* bf = blockFlagged)
        fixed (double* wd = weights)
        fixed (float* wf = floatWeights)
        {
            var p = new RowParams(classes, wd, wf, options.LabelSmoothing, options.Temperature, scale, options.TargetSumTolerance);
            var job = new Job(z, t, g, r, bs, bf, n, blockRows, p);
            BlockParallel.Run(job, blocks, RowBlocks.Threads(n, classes, maxThreads));
        }

        int first = n;
        double sum = 0;
        for (int b = 0; b < blocks; b++)
        {
            first = Math.Min(first, blockFlagged[b]);
            sum += blockSums[b];
        }

        // The rows before `first` passed a check stricter than the generic one; from there on, the generic check in
        // row order throws exactly where the generic path would (or finds a false alarm and lets the result stand).
        for (int i = first; i < n; i++)
        {
            Guard.ProbabilityRow(targets.Slice(i * classes, classes), i, options.TargetSumTolerance, nameof(targets));
        }

        return Reducer.Result(options.Reduction, options.WhenEmpty, sum, n, n);
    }

    /// <summary>The next row's logits and targets (null after the last row), prefetched into L1 while this row computes.</summary>
    private readonly struct Next(float* z, float* t)
    {
        /// <summary>Prefetches the 64-byte lines of both rows that hold elements [c, c + count) (count ≤ 32).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Fetch(int c, int count)
        {
            if (Sse.IsSupported && z != null)
            {
                Sse.Prefetch0(z + c);
                Sse.Prefetch0(t + c);
                if (count > 16)
                {
                    Sse.Prefetch0(z + c + 16);
                    Sse.Prefetch0(t + c + 16);
                }
            }
        }
    }

    /// <summary>Everything a row needs besides its own data; <c>Wd</c>/<c>Wf</c> are null without weights.</summary>
    private readonly struct RowParams(int k, double* wd, float* wf, double eps, double tau, double scale, double tolerance)
    {
        public readonly int K = k;
        public readonly double* Wd = wd;
        public readonly float* Wf = wf;
        public readonly double Eps = eps;
        public readonly double Tau = tau;
        public readonly double InvTau = 1.0 / tau;
        public readonly float InvTauF = (float)(1.0 / tau);
        public readonly float OneMinusEpsF = (float)(1 - eps);
        public readonly float SmoothPerClassF = (float)(eps / k);
        public readonly double Scale = scale;
        public readonly double Tolerance = tolerance;
    }

    private readonly struct Job(float* z, float* t, float* g, float* r, double* blockSums, int* blockFlagged, int n,
        int blockRows, RowParams p) : IBlockJob, IFlaggedBlockJob
    {
        public void RunBlock(int b) => RunFlagged(this, b, p.Eps > 0, p.Wf != null, p.Tau != 1.0);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock<TS, TW, TT>(int b) where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
        {
            int k = p.K;
            int start = b * blockRows;
            int end = Math.Min(n, start + blockRows);
            int flagged = n;
            double sum = 0;
            int i = start;
            if (UsesShortRows(k))
            {
                i = ShortRows<TS, TW, TT>(z, t, g, r, start, end, p, ref sum, ref flagged);
            }

            for (; i < end; i++)
            {
                long offset = (long)i * k;
                // The next row's logits and targets are prefetched during this row's exp pass (compute-bound), so
                // its first pass finds them in cache instead of waiting on two streams from memory.
                bool last = i + 1 == n;
                var next = new Next(last ? null : z + offset + k, last ? null : t + offset + k);
                double loss = Row<TS, TW, TT>(z + offset, t + offset, g == null ? null : g + offset, next, p, out bool suspect);
                if (suspect && flagged == n)
                {
                    flagged = i;
                }

                if (r != null)
                {
                    r[i] = (float)loss;
                }

                sum += loss;
            }

            blockSums[b] = sum;
            blockFlagged[b] = flagged;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row<TS, TW, TT>(float* z, float* t, float* g, Next next, in RowParams p, out bool suspect)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            return Row<V512, TS, TW, TT>(z, t, g, next, p, out suspect);
        }

        if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            return Row<V256, TS, TW, TT>(z, t, g, next, p, out suspect);
        }

        if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
        {
            return Row<V128, TS, TW, TT>(z, t, g, next, p, out suspect);
        }

        return RowScalar<TS, TW, TT>(z, t, g, p, out suspect);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row<TV, TS, TW, TT>(float* z, float* t, float* g, Next next, in RowParams p, out bool suspect)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        float max = MaxAndCheck<TV>(z, t, k, out float min, out double tSum, out bool inRange);
        suspect = Suspect(tSum, inRange, p.Tolerance);
        if (!float.IsFinite(max))
        {
            return Fallback(z, t, g, p);
        }

        // Rows without a -∞ logit skip the select that keeps 0·(-∞) out of Σ q (z - max).
        double s = min == float.NegativeInfinity
            ? SumExp<TV, TS, TW, TT, Yes>(z, t, p.Wf, g, k, max, next, p, out double q, out double qx)
            : SumExp<TV, TS, TW, TT, No>(z, t, p.Wf, g, k, max, next, p, out q, out qx);
        double loss = (TS.On || TW.On ? q : tSum) * Math.Log(s) - qx * p.InvTau;
        if (!double.IsFinite(loss))
        {
            return Fallback(z, t, g, p);
        }

        if (g != null)
        {
            Scale<TV, TS, TW>(g, t, p.Wf, k, (float)((TS.On || TW.On ? q : tSum) / s), (float)(p.Scale * p.InvTau), p);
        }

        return loss;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double RowScalar<TS, TW, TT>(float* z, float* t, float* g, in RowParams p, out bool suspect)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        double tSum = 0;
        bool inRange = true;
        float min = float.PositiveInfinity;
        float max = MaxAndCheckScalar(z, t, 0, k, float.NegativeInfinity, ref min, ref tSum, ref inRange);
        suspect = Suspect(tSum, inRange, p.Tolerance);
        if (!float.IsFinite(max))
        {
            return Fallback(z, t, g, p);
        }

        double q = 0, qx = 0;
        double s = SumExpScalar<TS, TW, TT>(z, t, p.Wf, g, 0, k, max, p, ref q, ref qx);
        double loss = (TS.On || TW.On ? q : tSum) * Math.Log(s) - qx * p.InvTau;
        if (!double.IsFinite(loss))
        {
            return Fallback(z, t, g, p);
        }

        if (g != null)
        {
            ScaleScalar<TS, TW>(g, t, p.Wf, 0, k, (float)((TS.On || TW.On ? q : tSum) / s), (float)(p.Scale * p.InvTau), p);
        }

        return loss;
    }

    /// <summary>True unless the row certainly passes <see cref="Guard.ProbabilityRow{T}"/>.</summary>
    private static bool Suspect(double tSum, bool inRange, double tolerance) =>
        !inRange || !double.IsFinite(tSum) ||
        (!double.IsNaN(tolerance) && !(Math.Abs(tSum - 1.0) <= tolerance - SumMargin * Math.Max(1.0, tSum)));

    /// <summary>The generic double path for one row (non-finite logits or loss).</summary>
    private static double Fallback(float* z, float* t, float* g, in RowParams p) =>
        SoftmaxCrossEntropy.SoftRow(new ReadOnlySpan<float>(z, p.K), new ReadOnlySpan<float>(t, p.K),
            p.Wd == null ? default : new ReadOnlySpan<double>(p.Wd, p.K), p.Eps, p.Tau, p.Scale,
            g == null ? default : new Span<float>(g, p.K));

    /// <summary>Pass 1: <c>max_c z_c</c>, <c>min_c z_c</c>, <c>Σ_c t_c</c>, and whether every <c>t_c</c> lies in [0, 1] (finite lanes;
    /// a NaN or infinite target shows up in the sum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MaxAndCheck<TV>(float* z, float* t, int k, out float min, out double tSum, out bool inRange) where TV : struct, IVec<TV>
    {
        int w = TV.Count;
        TV one = TV.Broadcast(1f);
        TV m0 = TV.Broadcast(float.NegativeInfinity), m1 = m0;
        TV n0 = TV.Broadcast(float.PositiveInfinity), n1 = n0;
        TV lo0 = TV.Broadcast(0f), lo1 = lo0;
        double sum = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + VectorsPerFlush * w);
            TV s0 = TV.Broadcast(0f), s1 = s0;
            for (; c <= chunkEnd - 2 * w; c += 2 * w)
            {
                TV z0 = TV.Load(z + c);
                TV z1 = TV.Load(z + c + w);
                m0 = TV.Max(m0, z0);
                m1 = TV.Max(m1, z1);
                n0 = TV.Min(n0, z0);
                n1 = TV.Min(n1, z1);
                TV t0 = TV.Load(t + c);
                TV t1 = TV.Load(t + c + w);
                s0 = TV.Add(s0, t0);
                s1 = TV.Add(s1, t1);
                // min(t, 1 - t) < 0 exactly when t < 0 or t > 1 (for finite t).
                lo0 = TV.Min(lo0, TV.Min(t0, TV.Sub(one, t0)));
                lo1 = TV.Min(lo1, TV.Min(t1, TV.Sub(one, t1)));
            }

            for (; c <= chunkEnd - w; c += w)
            {
                TV z0 = TV.Load(z + c);
                m0 = TV.Max(m0, z0);
                n0 = TV.Min(n0, z0);
                TV t0 = TV.Load(t + c);
                s0 = TV.Add(s0, t0);
                lo0 = TV.Min(lo0, TV.Min(t0, TV.Sub(one, t0)));
            }

            sum += TV.SumAcross(TV.Add(s0, s1));
        }

        // lo starts at 0, so it stays 0 unless a lane went negative; its lanes are summed (finite, ≤ 0).
        inRange = TV.SumAcross(TV.Add(lo0, lo1)) >= 0;
        float m = TV.MaxAcross(TV.Max(m0, m1));
        min = -TV.MaxAcross(TV.Neg(TV.Min(n0, n1)));
        m = MaxAndCheckScalar(z, t, c, k, m, ref min, ref sum, ref inRange);
        tSum = sum;
        return m;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MaxAndCheckScalar(float* z, float* t, int c, int k, float m, ref float min, ref double tSum, ref bool inRange)
    {
        for (; c < k; c++)
        {
            float v = z[c];
            m = float.IsNaN(v) || float.IsNaN(m) ? float.NaN : Math.Max(m, v);
            min = Math.Min(min, v);
            float tc = t[c];
            tSum += tc;
            inRange &= tc >= 0 && tc <= 1;
        }

        return m;
    }

    /// <summary><c>q_c</c> in float: <c>t_c</c>, smoothed <c>(1 - ε) t_c + ε / K</c>, times <c>w_c</c> if weighted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Q<TV, TS, TW>(float* t, float* wt, TV a, TV b)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag
    {
        TV q = TS.On ? TV.Fma(TV.Load(t), a, b) : TV.Load(t);
        return TW.On ? TV.Mul(q, TV.Load(wt)) : q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float QScalar<TS, TW>(float* t, float* wt, int c, in RowParams p)
        where TS : struct, IFlag where TW : struct, IFlag
    {
        float q = TS.On ? MathF.FusedMultiplyAdd(t[c], p.OneMinusEpsF, p.SmoothPerClassF) : t[c];
        return TW.On ? q * wt[c] : q;
    }

    /// <summary><c>acc + q·x</c>; with <typeparamref name="TM"/> (the row has a -∞ logit) lanes with <c>q = 0</c> add 0,
    /// not <c>0·(-∞) = NaN</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV QX<TV, TM>(TV q, TV x, TV acc, TV zero) where TV : struct, IVec<TV> where TM : struct, IFlag =>
        TM.On ? TV.Add(acc, TV.SelectEqual(q, zero, zero, TV.Mul(q, x))) : TV.Fma(q, x, acc);

    /// <summary>
    /// Pass 2: <c>e_c = exp((z_c - max)·invTau)</c> into <paramref name="g"/> (unless null); returns <c>Σ e_c</c>,
    /// <c>Σ q_c</c> (only with smoothing or weights) and <c>Σ q_c (z_c - max)</c> over <c>q_c ≠ 0</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumExp<TV, TS, TW, TT, TM>(float* z, float* t, float* wt, float* g, int k, float max, Next next, in RowParams p,
        out double qSum, out double qxSum)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag where TM : struct, IFlag
    {
        int w = TV.Count;
        TV mv = TV.Broadcast(max);
        TV it = TV.Broadcast(p.InvTauF);
        TV a = TV.Broadcast(p.OneMinusEpsF);
        TV b = TV.Broadcast(p.SmoothPerClassF);
        TV zero = TV.Broadcast(0f);
        double total = 0, qTotal = 0, qxTotal = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + VectorsPerFlush * w);
            TV s0 = zero, s1 = zero, q0 = zero, q1 = zero, x0s = zero, x1s = zero;
            for (; c <= chunkEnd - 2 * w; c += 2 * w)
            {
                next.Fetch(c, 2 * w);
                if (g != null && c + GradientPrefetchDistance < k)
                {
                    Prefetch(g, c + GradientPrefetchDistance, 2 * w);
                }

                TV x0 = TV.Sub(TV.Load(z + c), mv);
                TV x1 = TV.Sub(TV.Load(z + c + w), mv);
                TV qa = Q<TV, TS, TW>(t + c, wt + c, a, b);
                TV qb = Q<TV, TS, TW>(t + c + w, wt + c + w, a, b);
                if (TS.On || TW.On)
                {
                    q0 = TV.Add(q0, qa);
                    q1 = TV.Add(q1, qb);
                }

                // q·(z - max), with 0 where q = 0 (a masked -inf logit with zero target contributes nothing).
                x0s = QX<TV, TM>(qa, x0, x0s, zero);
                x1s = QX<TV, TM>(qb, x1, x1s, zero);
                if (TT.On)
                {
                    x0 = TV.Mul(x0, it);
                    x1 = TV.Mul(x1, it);
                }

                TV e0 = TV.ExpNonPositive(x0);
                TV e1 = TV.ExpNonPositive(x1);
                if (g != null)
                {
                    TV.Store(e0, g + c);
                    TV.Store(e1, g + c + w);
                }

                s0 = TV.Add(s0, e0);
                s1 = TV.Add(s1, e1);
            }

            for (; c <= chunkEnd - w; c += w)
            {
                TV x0 = TV.Sub(TV.Load(z + c), mv);
                TV qa = Q<TV, TS, TW>(t + c, wt + c, a, b);
                if (TS.On || TW.On)
                {
                    q0 = TV.Add(q0, qa);
                }

                x0s = QX<TV, TM>(qa, x0, x0s, zero);
                if (TT.On)
                {
                    x0 = TV.Mul(x0, it);
                }

                TV e0 = TV.ExpNonPositive(x0);
                if (g != null)
                {
                    TV.Store(e0, g + c);
                }

                s0 = TV.Add(s0, e0);
            }

            total += TV.SumAcross(TV.Add(s0, s1));
            qxTotal += TV.SumAcross(TV.Add(x0s, x1s));
            if (TS.On || TW.On)
            {
                qTotal += TV.SumAcross(TV.Add(q0, q1));
            }
        }

        total += SumExpScalar<TS, TW, TT>(z, t, wt, g, c, k, max, p, ref qTotal, ref qxTotal);
        qSum = qTotal;
        qxSum = qxTotal;
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumExpScalar<TS, TW, TT>(float* z, float* t, float* wt, float* g, int c, int k, float max,
        in RowParams p, ref double qSum, ref double qxSum)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        double total = 0;
        for (; c < k; c++)
        {
            float x = z[c] - max;
            float q = QScalar<TS, TW>(t, wt, c, p);
            qSum += q;
            if (q != 0)
            {
                qxSum += (double)q * x;
            }

            float e = ExpScalar(TT.On ? x * p.InvTauF : x);
            if (g != null)
            {
                g[c] = e;
            }

            total += e;
        }

        return total;
    }

    /// <summary>Pass 3, in place: <c>g_c = (e_c·a - q_c)·sInv</c> with <c>a = Q / S</c> (one rounding for the
    /// difference, which cancels where the prediction fits the target: exactly 0 for K = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale<TV, TS, TW>(float* g, float* t, float* wt, int k, float a, float sInv, in RowParams p)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag
    {
        int w = TV.Count;
        TV av = TV.Broadcast(a);
        TV sv = TV.Broadcast(sInv);
        TV sa = TV.Broadcast(p.OneMinusEpsF);
        TV sb = TV.Broadcast(p.SmoothPerClassF);
        int c = 0;
        for (; c <= k - 2 * w; c += 2 * w)
        {
            TV.Store(TV.Mul(TV.Fma(TV.Load(g + c), av, TV.Neg(Q<TV, TS, TW>(t + c, wt + c, sa, sb))), sv), g + c);
            TV.Store(TV.Mul(TV.Fma(TV.Load(g + c + w), av, TV.Neg(Q<TV, TS, TW>(t + c + w, wt + c + w, sa, sb))), sv), g + c + w);
        }

        for (; c <= k - w; c += w)
        {
            TV.Store(TV.Mul(TV.Fma(TV.Load(g + c), av, TV.Neg(Q<TV, TS, TW>(t + c, wt + c, sa, sb))), sv), g + c);
        }

        ScaleScalar<TS, TW>(g, t, wt, c, k, a, sInv, p);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleScalar<TS, TW>(float* g, float* t, float* wt, int c, int k, float a, float sInv, in RowParams p)
        where TS : struct, IFlag where TW : struct, IFlag
    {
        for (; c < k; c++)
        {
            g[c] = MathF.FusedMultiplyAdd(g[c], a, -QScalar<TS, TW>(t, wt, c, p)) * sInv;
        }
    }
}
