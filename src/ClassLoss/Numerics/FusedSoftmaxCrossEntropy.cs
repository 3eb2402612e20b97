using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using ClassLoss.Validation;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// Fast float path of softmax cross-entropy from logits with class-index targets (no class weights, no label
/// smoothing, temperature 1), loss and gradient fused, SIMD (Vector512, Vector256 or Vector128) with a scalar tail.
/// </summary>
/// <remarks>
/// <para>Per row: pass 1 finds <c>m = max_c z_c</c>; pass 2 writes <c>e_c = exp(z_c - m)</c> into the gradient
/// buffer and sums it (four vector accumulators, flushed into a double every <see cref="SumChunk"/> elements);
/// pass 3 scales the row in place, <c>g_c = e_c · s / S</c>, and subtracts <c>s</c> at the label, where
/// <c>s</c> is the reduction's factor. Loss <c>ℓ = log S + m - z_y</c> in double. Passes 2 and 3 re-read a row that is
/// still in L1/L2, so the memory traffic is one read of the logits and one write of the gradient. (An online
/// max/rescaled-sum single pass would store exponentials against different running maxima and need a second
/// non-uniform correction pass, so the max pass is kept.)</para>
/// <para><c>exp</c> is <see cref="SimdFloat"/>'s (Cephes, about 1 ulp; <c>-∞</c> (masked) logits contribute exactly 0).
/// A row whose maximum is not finite (NaN, +∞, or every entry −∞) gets a NaN loss and a NaN gradient, as PyTorch.</para>
/// <para>Threads: rows are cut into blocks whose size depends only on N; each block's losses are summed in row order
/// in double and the block sums are combined in block order, so the value is bit-identical for any thread count.
/// The single-thread path allocates nothing; the multi-thread path uses <see cref="Parallel.For(int, int, Action{int})"/>
/// (a few small allocations per call) and is only taken for large batches.</para>
/// </remarks>
internal static unsafe class FusedSoftmaxCrossEntropy
{
    private const int SumChunk = 1024;
    private const int MaxBlocks = 512;
    private const long ParallelThreshold = 1 << 17;

    /// <summary>True when this kernel computes exactly what <see cref="SoftmaxCrossEntropy"/> would for these options.</summary>
    public static bool Supports(CrossEntropyOptions options) =>
        options.WeightSpan.IsEmpty && options.LabelSmoothing == 0 && options.Temperature == 1.0;

    /// <summary>Loss and (optionally) gradient of softmax cross-entropy with class-index targets, float logits.</summary>
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
        int maxThreads = 1)
    {
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(labels.Length, n, nameof(labels));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        int counted = 0;
        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            Guard.Label(y, i, classes, ignoreIndex, nameof(labels));
            if (y != ignoreIndex)
            {
                counted++;
            }
        }

        double scale = Reducer.GradientScale(reduction, whenEmpty, counted, n);
        if (n == 0)
        {
            return Reducer.Result(reduction, whenEmpty, 0, counted, n);
        }

        int blockRows = Math.Max(16, (n + MaxBlocks - 1) / MaxBlocks);
        int blocks = (n + blockRows - 1) / blockRows;
        Span<double> blockSums = stackalloc double[blocks];

        fixed (float* z = logits)
        fixed (int* y = labels)
        fixed (float* g = gradient)
        fixed (float* r = rowLosses)
        fixed (double* bs = blockSums)
        {
            var job = new Job(z, y, g, r, bs, n, classes, blockRows, ignoreIndex, (float)scale);
            int threads = Math.Min(Math.Max(1, maxThreads), blocks);
            if (threads == 1 || (long)n * classes < ParallelThreshold)
            {
                for (int b = 0; b < blocks; b++)
                {
                    job.RunBlock(b);
                }
            }
            else
            {
                RunParallel(job, blocks, threads);
            }
        }

        double sum = 0;
        for (int b = 0; b < blocks; b++)
        {
            sum += blockSums[b];
        }

        return Reducer.Result(reduction, whenEmpty, sum, counted, n);
    }

    // Separate method so the closure is only allocated when threads are actually used.
    private static void RunParallel(Job job, int blocks, int threads)
    {
        int perThread = (blocks + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int end = Math.Min(blocks, (t + 1) * perThread);
            for (int b = t * perThread; b < end; b++)
            {
                job.RunBlock(b);
            }
        });
    }

    private readonly struct Job(float* z, int* y, float* g, float* r, double* blockSums, int n, int k, int blockRows,
        int ignoreIndex, float scale)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock(int b)
        {
            int start = b * blockRows;
            int end = Math.Min(n, start + blockRows);
            double sum = 0;
            for (int i = start; i < end; i++)
            {
                float* zi = z + (long)i * k;
                float* gi = g == null ? null : g + (long)i * k;
                int label = y[i];
                double loss;
                if (label == ignoreIndex)
                {
                    loss = 0;
                    if (gi != null)
                    {
                        new Span<float>(gi, k).Clear();
                    }
                }
                else
                {
                    loss = Row(zi, gi, k, label, scale);
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
    private static double Row(float* z, float* g, int k, int label, float scale)
    {
        float max;
        double s;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            max = Max<V512>(z, k);
            if (!float.IsFinite(max))
            {
                return NanRow(g, k);
            }

            s = SumExp<V512>(z, g, k, max);
            if (g != null)
            {
                Scale<V512>(g, k, (float)(scale / s));
            }
        }
        else if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            max = Max<V256>(z, k);
            if (!float.IsFinite(max))
            {
                return NanRow(g, k);
            }

            s = SumExp<V256>(z, g, k, max);
            if (g != null)
            {
                Scale<V256>(g, k, (float)(scale / s));
            }
        }
        else if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
        {
            max = Max<V128>(z, k);
            if (!float.IsFinite(max))
            {
                return NanRow(g, k);
            }

            s = SumExp<V128>(z, g, k, max);
            if (g != null)
            {
                Scale<V128>(g, k, (float)(scale / s));
            }
        }
        else
        {
            max = MaxScalar(z, 0, k, float.NegativeInfinity);
            if (!float.IsFinite(max))
            {
                return NanRow(g, k);
            }

            s = SumExpScalar(z, g, 0, k, max);
            if (g != null)
            {
                ScaleScalar(g, 0, k, (float)(scale / s));
            }
        }

        if (g != null)
        {
            g[label] -= scale;
        }

        // (max - z_y) first: exact for floats of similar size, and not rounded to the spacing of max (logits of 1e8).
        return ((double)max - z[label]) + Math.Log(s);
    }

    private static double NanRow(float* g, int k)
    {
        if (g != null)
        {
            new Span<float>(g, k).Fill(float.NaN);
        }

        return double.NaN;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Max<TV>(float* z, int k) where TV : struct, IVec<TV>
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

        float m = TV.MaxAcross(TV.Max(TV.Max(m0, m1), TV.Max(m2, m3)));
        return MaxScalar(z, c, k, m);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MaxScalar(float* z, int c, int k, float m)
    {
        for (; c < k; c++)
        {
            float v = z[c];
            m = float.IsNaN(v) || float.IsNaN(m) ? float.NaN : Math.Max(m, v);
        }

        return m;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumExp<TV>(float* z, float* g, int k, float max) where TV : struct, IVec<TV>
    {
        int w = TV.Count;
        TV mv = TV.Broadcast(max);
        double total = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + SumChunk);
            TV s0 = TV.Broadcast(0f), s1 = s0, s2 = s0, s3 = s0;
            for (; c <= chunkEnd - 4 * w; c += 4 * w)
            {
                TV e0 = TV.Exp(TV.Sub(TV.Load(z + c), mv));
                TV e1 = TV.Exp(TV.Sub(TV.Load(z + c + w), mv));
                TV e2 = TV.Exp(TV.Sub(TV.Load(z + c + 2 * w), mv));
                TV e3 = TV.Exp(TV.Sub(TV.Load(z + c + 3 * w), mv));
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
                TV e0 = TV.Exp(TV.Sub(TV.Load(z + c), mv));
                if (g != null)
                {
                    TV.Store(e0, g + c);
                }

                s0 = TV.Add(s0, e0);
            }

            total += TV.SumAcross(TV.Add(TV.Add(s0, s1), TV.Add(s2, s3)));
        }

        return total + SumExpScalar(z, g, c, k, max);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumExpScalar(float* z, float* g, int c, int k, float max)
    {
        double total = 0;
        for (; c < k; c++)
        {
            float e = ExpScalar(z[c] - max);
            if (g != null)
            {
                g[c] = e;
            }

            total += e;
        }

        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale<TV>(float* g, int k, float factor) where TV : struct, IVec<TV>
    {
        int w = TV.Count;
        TV f = TV.Broadcast(factor);
        int c = 0;
        for (; c <= k - 2 * w; c += 2 * w)
        {
            TV.Store(TV.Mul(TV.Load(g + c), f), g + c);
            TV.Store(TV.Mul(TV.Load(g + c + w), f), g + c + w);
        }

        for (; c <= k - w; c += w)
        {
            TV.Store(TV.Mul(TV.Load(g + c), f), g + c);
        }

        ScaleScalar(g, c, k, factor);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleScalar(float* g, int c, int k, float factor)
    {
        for (; c < k; c++)
        {
            g[c] *= factor;
        }
    }
}
