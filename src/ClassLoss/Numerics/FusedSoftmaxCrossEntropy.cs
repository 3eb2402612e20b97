using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using ClassLoss.Validation;

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
/// <para><c>exp</c> is Cody–Waite range reduction <c>x = n ln2 + r</c> with a two-part ln2, Cephes' degree-5
/// polynomial for <c>e^r</c> on <c>|r| ≤ ln2/2</c> (about 1 ulp) and <c>2^n</c> built in the exponent bits (n rounded
/// with the 1.5·2^23 trick, so no float-to-int conversion); inputs
/// below −87.33 (results below float's smallest normal) give 0, so <c>-∞</c> (masked) logits contribute exactly 0.
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

    // Cephes expf constants: two-part ln 2 for Cody–Waite reduction, degree-5 minimax polynomial for e^r.
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;
    // 1.5 * 2^23: adding it rounds to an integer n held in the low mantissa bits; (bits << 23) + (127 << 23) is 2^n.
    private const float RoundMagic = 12582912f;
    private const float MinArg = -87.33654f; // ln(FLT_MIN): smaller arguments give 0
    private const float MaxArg = 88.37626f;  // 2^n stays a normal number below this

    /// <summary>Scalar twin of the vector exp (same reduction and polynomial), for tails and non-SIMD hardware.</summary>
    internal static float ExpScalar(float x)
    {
        if (x < MinArg)
        {
            return 0f;
        }

        if (x > MaxArg)
        {
            return float.IsNaN(x) ? x : float.PositiveInfinity;
        }

        float n = MathF.Round(x * Log2E);
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        p = MathF.FusedMultiplyAdd(p * r, r, r) + 1f;
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>The vector operations the row passes need, implemented once per hardware width.</summary>
    internal interface IVec<TV> where TV : struct, IVec<TV>
    {
        static abstract int Count { get; }
        static abstract TV Broadcast(float value);
        static abstract TV Load(float* p);
        static abstract void Store(TV v, float* p);
        static abstract TV Add(TV a, TV b);
        static abstract TV Sub(TV a, TV b);
        static abstract TV Mul(TV a, TV b);
        static abstract TV Max(TV a, TV b);
        static abstract float MaxAcross(TV v);
        static abstract float SumAcross(TV v);
        static abstract TV Exp(TV x);
    }

    internal readonly struct V512 : IVec<V512>
    {
        private readonly Vector512<float> _v;
        private V512(Vector512<float> v) => _v = v;
        public static int Count => Vector512<float>.Count;
        public static V512 Broadcast(float value) => new(Vector512.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V512 Load(float* p) => new(Vector512.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V512 v, float* p) => v._v.Store(p);
        public static V512 Add(V512 a, V512 b) => new(a._v + b._v);
        public static V512 Sub(V512 a, V512 b) => new(a._v - b._v);
        public static V512 Mul(V512 a, V512 b) => new(a._v * b._v);
        public static V512 Max(V512 a, V512 b) => new(Vector512.Max(a._v, b._v));
        public static float MaxAcross(V512 v) =>
            Math.Max(V256.MaxAcross(new V256(v._v.GetLower())), V256.MaxAcross(new V256(v._v.GetUpper())));
        public static float SumAcross(V512 v) => Vector512.Sum(v._v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V512 Exp(V512 xv)
        {
            var x = xv._v;
            var xc = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(MinArg)), Vector512.Create(MaxArg));
            var t = Vector512.FusedMultiplyAdd(xc, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
            var n = t - Vector512.Create(RoundMagic);
            var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
            r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
            var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
            p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
            p = Vector512.FusedMultiplyAdd(p * r, r, r) + Vector512<float>.One;
            var pow = (Vector512.ShiftLeft(t.AsInt32(), 23) + Vector512.Create(127 << 23)).AsSingle();
            var result = p * pow;
            return new(Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(MinArg)), Vector512<float>.Zero, result));
        }
    }

    internal readonly struct V256 : IVec<V256>
    {
        private readonly Vector256<float> _v;
        internal V256(Vector256<float> v) => _v = v;
        public static int Count => Vector256<float>.Count;
        public static V256 Broadcast(float value) => new(Vector256.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V256 Load(float* p) => new(Vector256.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V256 v, float* p) => v._v.Store(p);
        public static V256 Add(V256 a, V256 b) => new(a._v + b._v);
        public static V256 Sub(V256 a, V256 b) => new(a._v - b._v);
        public static V256 Mul(V256 a, V256 b) => new(a._v * b._v);
        public static V256 Max(V256 a, V256 b) => new(Vector256.Max(a._v, b._v));
        public static float MaxAcross(V256 v) =>
            Math.Max(V128.MaxAcross(new V128(v._v.GetLower())), V128.MaxAcross(new V128(v._v.GetUpper())));
        public static float SumAcross(V256 v) => Vector256.Sum(v._v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V256 Exp(V256 xv)
        {
            var x = xv._v;
            var xc = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(MinArg)), Vector256.Create(MaxArg));
            var t = Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
            var n = t - Vector256.Create(RoundMagic);
            var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
            r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
            var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
            p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
            p = Vector256.FusedMultiplyAdd(p * r, r, r) + Vector256<float>.One;
            var pow = (Vector256.ShiftLeft(t.AsInt32(), 23) + Vector256.Create(127 << 23)).AsSingle();
            var result = p * pow;
            return new(Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(MinArg)), Vector256<float>.Zero, result));
        }
    }

    internal readonly struct V128 : IVec<V128>
    {
        private readonly Vector128<float> _v;
        internal V128(Vector128<float> v) => _v = v;
        public static int Count => Vector128<float>.Count;
        public static V128 Broadcast(float value) => new(Vector128.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static V128 Load(float* p) => new(Vector128.Load(p));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(V128 v, float* p) => v._v.Store(p);
        public static V128 Add(V128 a, V128 b) => new(a._v + b._v);
        public static V128 Sub(V128 a, V128 b) => new(a._v - b._v);
        public static V128 Mul(V128 a, V128 b) => new(a._v * b._v);
        public static V128 Max(V128 a, V128 b) => new(Vector128.Max(a._v, b._v));

        public static float MaxAcross(V128 v)
        {
            float m = v._v[0];
            for (int i = 1; i < Vector128<float>.Count; i++)
            {
                m = Math.Max(m, v._v[i]);
            }

            return m;
        }

        public static float SumAcross(V128 v) => Vector128.Sum(v._v);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static V128 Exp(V128 xv)
        {
            var x = xv._v;
            var xc = Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(MinArg)), Vector128.Create(MaxArg));
            var t = Vector128.FusedMultiplyAdd(xc, Vector128.Create(Log2E), Vector128.Create(RoundMagic));
            var n = t - Vector128.Create(RoundMagic);
            var r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Hi), xc);
            r = Vector128.FusedMultiplyAdd(n, Vector128.Create(-Ln2Lo), r);
            var p = Vector128.FusedMultiplyAdd(Vector128.Create(P0), r, Vector128.Create(P1));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P2));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P3));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P4));
            p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(P5));
            p = Vector128.FusedMultiplyAdd(p * r, r, r) + Vector128<float>.One;
            var pow = (Vector128.ShiftLeft(t.AsInt32(), 23) + Vector128.Create(127 << 23)).AsSingle();
            var result = p * pow;
            return new(Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(MinArg)), Vector128<float>.Zero, result));
        }
    }
}
