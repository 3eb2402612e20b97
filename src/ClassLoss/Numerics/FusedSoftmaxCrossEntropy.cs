using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ClassLoss.Losses;
using ClassLoss.Validation;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// Fast float path of softmax cross-entropy from logits with class-index targets — with class weights, label
/// smoothing and temperature — loss and gradient fused, SIMD (Vector512, Vector256 or Vector128) with a scalar tail.
/// </summary>
/// <remarks>
/// <para>Formula (PyTorch's <c>CrossEntropyLoss</c> with <c>weight</c>, <c>ignore_index</c>, <c>label_smoothing</c>;
/// see <see cref="SoftmaxCrossEntropy"/>): with <c>u = z / τ</c>, <c>m = max_c u_c</c>,
/// <c>S = Σ_c exp(u_c - m)</c>, target weights <c>q_c = (1 - ε) w_y [c = y] + (ε / K) w_c</c>,
/// the row loss is <c>ℓ = Σ_c q_c (m - u_c + log S)
///   = (1 - ε) w_y (m - u_y + log S) + (ε / K) (W log S - Σ_c w_c (u_c - m))</c> with <c>W = Σ_c w_c</c>,
/// and the gradient <c>∂ℓ/∂z_c = (p_c Σ q - q_c) / τ</c> with <c>p_c = exp(u_c - m) / S</c>.</para>
/// <para>Per row: pass 1 finds <c>max_c z_c</c>; pass 2 writes <c>e_c = exp((z_c - max) / τ)</c> into the gradient
/// buffer and sums it (four vector accumulators, flushed into a double every <see cref="VectorsPerFlush"/> vectors, so
/// each float lane adds at most eight terms: a few-term float sum stays within a few ulps even when one large term
/// meets many equal small ones, which a long lane sum (formerly up to 64 terms per lane, 2.6e-5 relative error on
/// such rows) rounds the same way every time), and
/// with smoothing also sums <c>w_c (z_c - max)</c> the same way (every term has one sign, so no cancellation); pass 3
/// overwrites the row in place with <c>g_c = e_c · s Σq / (τ S) - w_c · s ε / (K τ)</c> (one fused multiply-add), where
/// <c>s</c> is the reduction's factor, and the label's entry <c>(e_y Σq / S - q_y) s / τ</c> is formed in double (it
/// cancels as <c>p_y → 1</c>). The loss is assembled in
/// double. Passes 2 and 3 re-read a row that is still in L1/L2, so the memory traffic is one read of the logits and
/// one write of the gradient. (An online max/rescaled-sum single pass would store exponentials against different
/// running maxima and need a second non-uniform correction pass, so the max pass is kept.)</para>
/// <para><c>exp</c> is <see cref="SimdFloat"/>'s (Cody–Waite and a degree-6 polynomial, about 1 ulp; <c>-∞</c> (masked) logits contribute exactly 0).
/// A row whose maximum is not finite (NaN, +∞, or every entry −∞), or whose loss comes out non-finite (a masked
/// label, masked classes under smoothing, a masked class of weight 0, overflow of <c>z - max</c>), is recomputed
/// by <see cref="SoftmaxCrossEntropy.IndexRow{T}"/>, the generic double path, so such rows give exactly what the
/// generic path gives (PyTorch's NaN/∞ conventions).</para>
/// <para>Threads: rows are cut into blocks whose size depends only on N; each block's losses are summed in row order
/// in double and the block sums are combined in block order, so the value is bit-identical for any thread count.
/// The single-thread path allocates nothing (class weights under smoothing are converted to float into a per-thread
/// buffer, see <see cref="FloatWeights"/>); the multi-thread path uses <see cref="BlockParallel"/>
/// (no allocation per call either) and is only taken for large batches.</para>
/// </remarks>
internal static unsafe partial class FusedSoftmaxCrossEntropy
{
    private const int VectorsPerFlush = 32;

    /// <summary>How far ahead (in floats) the exp pass fetches the gradient row it is about to write, so that long rows
    /// (K ≥ 32,000: the row and its gradient live in L2) do not stall on each store's read-for-ownership: ~15% at
    /// 1024x32000 on one thread in <c>--probe 1024 32000 8</c> (25.5 vs 30 ms, four alternating runs each).</summary>
    internal const int GradientPrefetchDistance = 1024;

    /// <summary>True when this kernel computes what <see cref="SoftmaxCrossEntropy"/> would for these options:
    /// always, unless a class weight does not survive the conversion to float (it is used in float under smoothing).</summary>
    public static bool Supports(CrossEntropyOptions options) =>
        options.LabelSmoothing == 0 || WeightsFitFloat(options.WeightSpan);

    /// <summary>True when every weight converts to a finite float that is 0 only if the weight is 0.</summary>
    internal static bool WeightsFitFloat(ReadOnlySpan<double> weights)
    {
        foreach (double w in weights)
        {
            float f = (float)w;
            if (!float.IsFinite(f) || (f == 0 && w != 0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Loss and (optionally) gradient with the defaults (no weights, no smoothing, temperature 1).</summary>
    /// <param name="logits">Row-major [N, K] logits.</param>
    /// <param name="labels">N class indices in [0, K), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="classes">K.</param>
    /// <param name="reduction">Reduction; Mean divides by the number of rows that are not ignored.</param>
    /// <param name="whenEmpty">What Mean gives when every row is ignored.</param>
    /// <param name="ignoreIndex">Label value whose row is left out (zero loss, zero gradient).</param>
    /// <param name="gradient">[N, K] buffer overwritten with ∂(reduced loss)/∂z; empty to skip.</param>
    /// <param name="rowLosses">N buffer overwritten with each row's loss; empty to skip.</param>
    /// <param name="maxThreads">Upper bound on threads (1 = calling thread only); the result does not depend on it.</param>
    public static LossResult Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes,
        Reduction reduction, EmptyMean whenEmpty, int ignoreIndex, Span<float> gradient, Span<float> rowLosses,
        int maxThreads = 1) =>
        Evaluate(logits, labels, classes, default, 0, 1.0, reduction, whenEmpty, ignoreIndex, gradient, rowLosses, maxThreads);

    /// <summary>Loss and (optionally) gradient for validated options (see <see cref="Supports"/>).</summary>
    public static LossResult Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes,
        CrossEntropyOptions options, Span<float> gradient, Span<float> rowLosses, int maxThreads = 1) =>
        Evaluate(logits, labels, classes, options.WeightSpan, options.LabelSmoothing, options.Temperature,
            options.Reduction, options.WhenEmpty, options.IgnoreIndex, gradient, rowLosses, maxThreads);

    private static LossResult Evaluate(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes,
        ReadOnlySpan<double> weights, double eps, double tau, Reduction reduction, EmptyMean whenEmpty, int ignoreIndex,
        Span<float> gradient, Span<float> rowLosses, int maxThreads)
    {
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(labels.Length, n, nameof(labels));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        double denominator = weights.IsEmpty ? CountLabels(labels, classes, ignoreIndex) : Guard.Labels(labels, classes, ignoreIndex, weights, nameof(labels));
        double scale = Reducer.GradientScale(reduction, whenEmpty, denominator, n);

        var (blockRows, blocks) = RowBlocks.Of(n);
        Span<double> blockSums = stackalloc double[blocks];

        // Under smoothing every class weight enters the row passes; they run in float.
        float[]? floatWeights = eps > 0 && !weights.IsEmpty ? FloatWeights(weights) : null;
        fixed (float* z = logits)
        fixed (int* y = labels)
        fixed (float* g = gradient)
        fixed (float* r = rowLosses)
        fixed (double* bs = blockSums)
        fixed (double* wd = weights)
        fixed (float* wf = floatWeights)
        {
            var p = new RowParams(classes, ignoreIndex, wd, wf, eps, tau, SoftmaxCrossEntropy.WeightTotal(weights, classes), scale);
            var job = new Job(z, y, g, r, bs, n, blockRows, p);
            BlockParallel.Run(job, blocks, RowBlocks.Threads(n, classes, maxThreads));
        }

        double sum = 0;
        for (int b = 0; b < blocks; b++)
        {
            sum += blockSums[b];
        }

        return Reducer.Result(reduction, whenEmpty, sum, denominator, n);
    }

    [ThreadStatic]
    private static float[]? t_floatWeights;

    /// <summary>
    /// The weights converted to float in a per-thread buffer (grown when K grows, then reused: no allocation per call,
    /// and unlike a pooled array never trimmed away by the GC). Valid until this thread's next call.
    /// </summary>
    internal static float[] FloatWeights(ReadOnlySpan<double> weights)
    {
        float[]? buffer = t_floatWeights;
        if (buffer is null || buffer.Length < weights.Length)
        {
            t_floatWeights = buffer = new float[weights.Length];
        }

        for (int c = 0; c < weights.Length; c++)
        {
            buffer[c] = (float)weights[c];
        }

        return buffer;
    }

    /// <summary>Checks every label (as <see cref="Guard.Labels"/>) and counts the rows that are not ignored.</summary>
    private static int CountLabels(ReadOnlySpan<int> labels, int classes, int ignoreIndex)
    {
        int counted = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int y = labels[i];
            Guard.Label(y, i, classes, ignoreIndex, nameof(labels));
            if (y != ignoreIndex)
            {
                counted++;
            }
        }

        return counted;
    }

    /// <summary>A compile-time switch: kernels generic over <see cref="IFlag"/> are specialised by the JIT per value.</summary>
    internal interface IFlag
    {
        static abstract bool On { get; }
    }

    /// <summary>The switch on.</summary>
    internal readonly struct Yes : IFlag
    {
        public static bool On => true;
    }

    /// <summary>The switch off.</summary>
    internal readonly struct No : IFlag
    {
        public static bool On => false;
    }

    /// <summary>A block job whose row passes are compiled once per combination of smoothing (<c>TS</c>), class
    /// weights in the row passes (<c>TW</c>) and temperature (<c>TT</c>).</summary>
    internal interface IFlaggedBlockJob
    {
        void RunBlock<TS, TW, TT>(int b) where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag;
    }

    /// <summary>Runs <paramref name="job"/>'s block <paramref name="b"/> with each switch chosen at run time.</summary>
    internal static void RunFlagged<TJob>(in TJob job, int b, bool smoothing, bool weighted, bool tempered)
        where TJob : struct, IFlaggedBlockJob
    {
        if (smoothing)
        {
            RunFlagged<TJob, Yes>(job, b, weighted, tempered);
        }
        else
        {
            RunFlagged<TJob, No>(job, b, weighted, tempered);
        }
    }

    private static void RunFlagged<TJob, TS>(in TJob job, int b, bool weighted, bool tempered)
        where TJob : struct, IFlaggedBlockJob where TS : struct, IFlag
    {
        if (weighted)
        {
            RunFlagged<TJob, TS, Yes>(job, b, tempered);
        }
        else
        {
            RunFlagged<TJob, TS, No>(job, b, tempered);
        }
    }

    private static void RunFlagged<TJob, TS, TW>(in TJob job, int b, bool tempered)
        where TJob : struct, IFlaggedBlockJob where TS : struct, IFlag where TW : struct, IFlag
    {
        if (tempered)
        {
            job.RunBlock<TS, TW, Yes>(b);
        }
        else
        {
            job.RunBlock<TS, TW, No>(b);
        }
    }

    /// <summary>Everything a row needs besides its own data; <c>wd</c>/<c>wf</c> are null without weights.</summary>
    private readonly struct RowParams(int k, int ignoreIndex, double* wd, float* wf, double eps, double tau,
        double weightTotal, double scale)
    {
        public readonly int K = k;
        public readonly int IgnoreIndex = ignoreIndex;
        public readonly double* Wd = wd;
        public readonly float* Wf = wf;
        public readonly double Eps = eps;
        public readonly double Tau = tau;
        public readonly double InvTau = 1.0 / tau;
        public readonly float InvTauF = (float)(1.0 / tau);
        public readonly double SmoothPerClass = eps / k;
        public readonly double WeightTotal = weightTotal;
        public readonly double Scale = scale;
        public readonly double SInv = scale / tau;
        public readonly float SmoothF = (float)(eps / k * (scale / tau));
    }

    private readonly struct Job(float* z, int* y, float* g, float* r, double* blockSums, int n, int blockRows, RowParams p)
        : IBlockJob, IFlaggedBlockJob
    {
        public void RunBlock(int b) => RunFlagged(this, b, p.Eps > 0, p.Wf != null, p.Tau != 1.0);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock<TS, TW, TT>(int b) where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
        {
            int k = p.K;
            int start = b * blockRows;
            int end = Math.Min(n, start + blockRows);
            double sum = 0;
            int i = start;
            if (UsesShortRows(k))
            {
                i = ShortRows<TS, TW, TT>(z, y, g, r, start, end, p, ref sum);
            }

            for (; i < end; i++)
            {
                float* zi = z + (long)i * k;
                float* gi = g == null ? null : g + (long)i * k;
                int label = y[i];
                double loss;
                if (label == p.IgnoreIndex)
                {
                    loss = 0;
                    if (gi != null)
                    {
                        new Span<float>(gi, k).Clear();
                    }
                }
                else
                {
                    // The next row's logits are prefetched during this row's exp pass (see SumExp).
                    loss = Row<TS, TW, TT>(zi, gi, i + 1 < n ? zi + k : null, label, p);
                }

                if (r != null)
                {
                    r[i] = (float)loss;
                }

                sum += loss;
            }

            blockSums[b] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row<TS, TW, TT>(float* z, float* g, float* zNext, int label, in RowParams p)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            return Row<V512, TS, TW, TT>(z, g, zNext, label, p);
        }

        if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            return Row<V256, TS, TW, TT>(z, g, zNext, label, p);
        }

        if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
        {
            return Row<V128, TS, TW, TT>(z, g, zNext, label, p);
        }

        return RowScalar<TS, TW, TT>(z, g, label, p);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row<TV, TS, TW, TT>(float* z, float* g, float* zNext, int label, in RowParams p)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        float max = Max<TV>(z, k);
        if (!float.IsFinite(max))
        {
            return Fallback(z, g, label, p);
        }

        double s = SumExp<TV, TS, TW, TT>(z, g, zNext, p.Wf, k, max, p.InvTauF, out double d);
        double loss = Loss<TS>(z, label, max, Math.Log(s), d, p, out double hard);
        if (!double.IsFinite(loss))
        {
            return Fallback(z, g, label, p);
        }

        if (g != null)
        {
            float ey = g[label];
            double invS = 1.0 / s;
            Scale<TV, TS, TW>(g, p.Wf, k, GradientFactor<TS>(invS, hard, p), -p.SmoothF);
            g[label] = LabelGradient<TS>(ey, invS, hard, label, p);
        }

        return loss;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double RowScalar<TS, TW, TT>(float* z, float* g, int label, in RowParams p)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int k = p.K;
        float max = MaxScalar(z, 0, k, float.NegativeInfinity);
        if (!float.IsFinite(max))
        {
            return Fallback(z, g, label, p);
        }

        double d = 0;
        double s = SumExpScalar<TS, TW, TT>(z, g, p.Wf, 0, k, max, p.InvTauF, ref d);
        double loss = Loss<TS>(z, label, max, Math.Log(s), d, p, out double hard);
        if (!double.IsFinite(loss))
        {
            return Fallback(z, g, label, p);
        }

        if (g != null)
        {
            float ey = g[label];
            double invS = 1.0 / s;
            ScaleScalar<TS, TW>(g, p.Wf, 0, k, GradientFactor<TS>(invS, hard, p), -p.SmoothF);
            g[label] = LabelGradient<TS>(ey, invS, hard, label, p);
        }

        return loss;
    }

    /// <summary>The row loss in double from <c>log S</c> and (with smoothing) <c>d = Σ_c w_c (z_c - max)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Loss<TS>(float* z, int label, float max, double ls, double d, in RowParams p, out double hard)
        where TS : struct, IFlag
    {
        double m = max * p.InvTau; // = max_c (z_c / τ) in double, exactly as LogSumExp.Parts forms it
        hard = (1 - p.Eps) * (p.Wd == null ? 1.0 : p.Wd[label]);
        // (m - u_y) first: exact for floats of similar size, and not rounded to the spacing of m (logits of 1e8).
        double loss = hard == 0 ? 0 : hard * ((m - z[label] * p.InvTau) + ls);
        if (TS.On)
        {
            loss += p.SmoothPerClass * (p.WeightTotal * ls - d * p.InvTau);
        }

        return loss;
    }

    /// <summary>Factor of pass 3: <c>g_c = e_c a - w_c b</c> with <c>a = s Σq / (τ S)</c> (the label's entry is then
    /// replaced); <c>b = s ε / (K τ)</c> is <see cref="RowParams.SmoothF"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float GradientFactor<TS>(double invS, double hard, in RowParams p) where TS : struct, IFlag =>
        (float)((TS.On ? hard + p.SmoothPerClass * p.WeightTotal : hard) * invS * p.SInv);

    /// <summary>
    /// The label's entry <c>(p_y Σq - q_y) s / τ</c> in double from <c>e_y</c>: it cancels when the prediction is
    /// confident (<c>p_y → 1</c>) or K = 1, where the float form would leave an error of one ulp of <c>Σq</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LabelGradient<TS>(float ey, double invS, double hard, int label, in RowParams p)
        where TS : struct, IFlag
    {
        if (!TS.On)
        {
            return (float)((ey * invS * hard - hard) * p.SInv); // Σq = q_y = (1 - ε) w_y
        }

        double qTotal = hard + p.SmoothPerClass * p.WeightTotal;
        double qy = hard + p.SmoothPerClass * (p.Wd == null ? 1.0 : p.Wd[label]);
        return (float)((ey * invS * qTotal - qy) * p.SInv);
    }

    /// <summary>The generic double path for one row (non-finite logits or loss).</summary>
    private static double Fallback(float* z, float* g, int label, in RowParams p) =>
        SoftmaxCrossEntropy.IndexRow(new ReadOnlySpan<float>(z, p.K), label,
            p.Wd == null ? default : new ReadOnlySpan<double>(p.Wd, p.K), p.Eps, p.Tau, p.WeightTotal, p.Scale,
            g == null ? default : new Span<float>(g, p.K));

    /// <summary>Prefetches into L1 the 64-byte lines holding <c>p[c .. c + count)</c> (nothing if <paramref name="p"/> is
    /// null or on non-x86 hardware): rows are read from memory by a light max pass, so the next row is fetched while
    /// the current one runs its compute-bound exp pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Prefetch(float* p, int c, int count)
    {
        if (Sse.IsSupported && p != null)
        {
            for (int o = 0; o < count; o += 16)
            {
                Sse.Prefetch0(p + c + o);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Max<TV>(float* z, int k) where TV : struct, IVec<TV>
    {
        int w = TV.Count;
        TV m0 = TV.Broadcast(float.NegativeInfinity), m1 = m0, m2 = m0, m3 = m0;
        int c = 0;
        for (; c <= k - 4 * w; c += 4 * w)
        {
            m0 = TV.Max(m0, TV.Load(z + c));
            m1 = TV.Max(m1, TV.Load(z + c + w));
            m2 = TV.Max(m2, TV.Load(z + c + 2 * w));
            m3 = TV.Max(m3, TV.Load(z + c + 3 * w));
        }

        for (; c <= k - w; c += w)
        {
            m0 = TV.Max(m0, TV.Load(z + c));
        }

        if (c < k && k >= w)
        {
            m1 = TV.Max(m1, TV.Load(z + k - w)); // the last vector again, overlapping: max is idempotent
            c = k;
        }

        float m = TV.MaxAcross(TV.Max(TV.Max(m0, m1), TV.Max(m2, m3)));
        return MaxScalar(z, c, k, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float MaxScalar(float* z, int c, int k, float m)
    {
        for (; c < k; c++)
        {
            float v = z[c];
            m = float.IsNaN(v) || float.IsNaN(m) ? float.NaN : Math.Max(m, v);
        }

        return m;
    }

    /// <summary>
    /// Pass 2: <c>e_c = exp((z_c - max)·invTau)</c> into <paramref name="g"/> (unless null); returns <c>Σ e_c</c> and,
    /// with smoothing (<typeparamref name="TS"/>), <c>d = Σ w_c (z_c - max)</c> (<c>w</c> only with <typeparamref name="TW"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double SumExp<TV, TS, TW, TT>(float* z, float* g, float* zNext, float* wt, int k, float max, float invTau, out double d)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        int w = TV.Count;
        TV mv = TV.Broadcast(max);
        TV it = TV.Broadcast(invTau);
        double total = 0;
        double dTotal = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + VectorsPerFlush * w);
            TV s0 = TV.Broadcast(0f), s1 = s0, s2 = s0, s3 = s0;
            TV d0 = s0, d1 = s0, d2 = s0, d3 = s0;
            for (; c <= chunkEnd - 4 * w; c += 4 * w)
            {
                Prefetch(zNext, c, 4 * w);
                if (g != null && c + GradientPrefetchDistance < k)
                {
                    Prefetch(g, c + GradientPrefetchDistance, 4 * w);
                }
                TV x0 = TV.Sub(TV.Load(z + c), mv);
                TV x1 = TV.Sub(TV.Load(z + c + w), mv);
                TV x2 = TV.Sub(TV.Load(z + c + 2 * w), mv);
                TV x3 = TV.Sub(TV.Load(z + c + 3 * w), mv);
                if (TS.On)
                {
                    if (TW.On)
                    {
                        d0 = TV.Fma(TV.Load(wt + c), x0, d0);
                        d1 = TV.Fma(TV.Load(wt + c + w), x1, d1);
                        d2 = TV.Fma(TV.Load(wt + c + 2 * w), x2, d2);
                        d3 = TV.Fma(TV.Load(wt + c + 3 * w), x3, d3);
                    }
                    else
                    {
                        d0 = TV.Add(d0, x0);
                        d1 = TV.Add(d1, x1);
                        d2 = TV.Add(d2, x2);
                        d3 = TV.Add(d3, x3);
                    }
                }

                if (TT.On)
                {
                    x0 = TV.Mul(x0, it);
                    x1 = TV.Mul(x1, it);
                    x2 = TV.Mul(x2, it);
                    x3 = TV.Mul(x3, it);
                }

                TV e0 = TV.ExpNonPositive(x0);
                TV e1 = TV.ExpNonPositive(x1);
                TV e2 = TV.ExpNonPositive(x2);
                TV e3 = TV.ExpNonPositive(x3);
                if (g != null)
                {
                    TV.Store(e0, g + c);
                    TV.Store(e1, g + c + w);
                    TV.Store(e2, g + c + 2 * w);
                    TV.Store(e3, g + c + 3 * w);
                }

                s0 = TV.Add(s0, e0);
                s1 = TV.Add(s1, e1);
                s2 = TV.Add(s2, e2);
                s3 = TV.Add(s3, e3);
            }

            for (; c <= chunkEnd - w; c += w)
            {
                TV x0 = TV.Sub(TV.Load(z + c), mv);
                if (TS.On)
                {
                    d0 = TW.On ? TV.Fma(TV.Load(wt + c), x0, d0) : TV.Add(d0, x0);
                }

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

            total += TV.SumAcross(TV.Add(TV.Add(s0, s1), TV.Add(s2, s3)));
            if (TS.On)
            {
                dTotal += TV.SumAcross(TV.Add(TV.Add(d0, d1), TV.Add(d2, d3)));
            }
        }

        if (c < k && k >= w)
        {
            // The tail as the row's last full vector: lanes already summed are zeroed for the sums; the overlap
            // is stored again with the bits it already holds (same element, same operations).
            int done = w - (k - c);
            c = k - w;
            TV x0 = TV.Sub(TV.Load(z + c), mv);
            if (TS.On)
            {
                dTotal += TV.SumAcross(TV.ZeroFirst(TW.On ? TV.Mul(TV.Load(wt + c), x0) : x0, done));
            }

            if (TT.On)
            {
                x0 = TV.Mul(x0, it);
            }

            TV e0 = TV.ExpNonPositive(x0);
            if (g != null)
            {
                TV.Store(e0, g + c);
            }

            total += TV.SumAcross(TV.ZeroFirst(e0, done));
            c = k;
        }

        total += SumExpScalar<TS, TW, TT>(z, g, wt, c, k, max, invTau, ref dTotal);
        d = dTotal;
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static double SumExpScalar<TS, TW, TT>(float* z, float* g, float* wt, int c, int k, float max, float invTau, ref double d)
        where TS : struct, IFlag where TW : struct, IFlag where TT : struct, IFlag
    {
        double total = 0;
        for (; c < k; c++)
        {
            float x = z[c] - max;
            if (TS.On)
            {
                d += TW.On ? (double)wt[c] * x : x;
            }

            float e = ExpScalar(TT.On ? x * invTau : x);
            if (g != null)
            {
                g[c] = e;
            }

            total += e;
        }

        return total;
    }

    /// <summary>Pass 3, in place: <c>g_c = e_c·a + w_c·nb</c> (<c>nb</c> only with smoothing, <c>w_c</c> only with weights).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Scale<TV, TS, TW>(float* g, float* wt, int k, float a, float nb)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag
    {
        int w = TV.Count;
        TV av = TV.Broadcast(a);
        TV bv = TV.Broadcast(nb);
        // A partial tail is done as the row's last full vector, read before the loop overwrites its overlap and
        // stored after it (the overlap gets the bits it already has).
        bool tail = k % w != 0 && k >= w;
        TV last = tail ? ScaleOne<TV, TS, TW>(TV.Load(g + k - w), wt + k - w, av, bv) : default;
        int c = 0;
        for (; c <= k - 2 * w; c += 2 * w)
        {
            TV.Store(ScaleOne<TV, TS, TW>(TV.Load(g + c), wt + c, av, bv), g + c);
            TV.Store(ScaleOne<TV, TS, TW>(TV.Load(g + c + w), wt + c + w, av, bv), g + c + w);
        }

        for (; c <= k - w; c += w)
        {
            TV.Store(ScaleOne<TV, TS, TW>(TV.Load(g + c), wt + c, av, bv), g + c);
        }

        if (tail)
        {
            TV.Store(last, g + k - w);
            return;
        }

        ScaleScalar<TS, TW>(g, wt, c, k, a, nb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ScaleOne<TV, TS, TW>(TV e, float* wt, TV a, TV nb)
        where TV : struct, IVec<TV> where TS : struct, IFlag where TW : struct, IFlag
    {
        if (!TS.On)
        {
            return TV.Mul(e, a);
        }

        return TW.On ? TV.Fma(TV.Load(wt), nb, TV.Mul(e, a)) : TV.Fma(e, a, nb);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ScaleScalar<TS, TW>(float* g, float* wt, int c, int k, float a, float nb)
        where TS : struct, IFlag where TW : struct, IFlag
    {
        for (; c < k; c++)
        {
            g[c] = !TS.On ? g[c] * a
                : TW.On ? MathF.FusedMultiplyAdd(wt[c], nb, g[c] * a)
                : MathF.FusedMultiplyAdd(g[c], a, nb);
        }
    }
}
