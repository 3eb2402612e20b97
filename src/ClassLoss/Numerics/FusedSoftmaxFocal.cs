using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using static ClassLoss.Numerics.SimdFloat;

namespace ClassLoss.Numerics;

/// <summary>
/// Fast float path of <see cref="SoftmaxFocal"/> with class-index targets (every option: γ, α or per-class α,
/// ignore index, reduction), loss and gradient fused, SIMD (Vector512, Vector256 or Vector128) with a scalar tail.
/// </summary>
/// <remarks>
/// <para>Per row, as <see cref="FusedSoftmaxCrossEntropy"/>: a max pass <c>m = max_c z_c</c>, an exp pass that writes
/// <c>e_c = exp(z_c - m)</c> into the gradient buffer and sums <c>S = Σ_c e_c</c> (float lanes flushed into a double),
/// and one scale pass. With one target class y only per-row scalars are needed (docs/numerics.md, "Softmax focal
/// loss", with <c>a_c = α_y [c = y]</c>): <c>p = p_y</c>, <c>q = 1 - p</c>, <c>L = -log p</c>,
/// <c>ℓ = α_y q^γ L</c>, and <c>∂ℓ/∂z_j = T (p_j - [j = y])</c> with <c>T = α_y (q^γ + γ p q^γ (L/q))</c>
/// (<c>L/q → 1</c> as <c>q → 0</c>, so no negative power of q is formed and γ &lt; 1 stays finite). The scale pass
/// writes <c>g_j = e_j · sT/S</c> (s: the reduction's factor) and <c>g_y = -sTq</c> is stored directly (not
/// <c>sTp - sT</c>, which cancels as <c>p → 1</c>).</para>
/// <para>Accuracy of <c>q</c>: when <c>z_y = m</c> (the only case in which <c>p</c> can exceed 1/2) the exp pass skips y,
/// giving <c>S' = Σ_{c≠y} e_c</c> without the 1 of the target in any float lane, so <c>S = 1 + S'</c>, <c>q = S'/S</c>,
/// <c>L = log1p(S')</c>, <c>p = 1/S</c> keep full relative precision; otherwise <c>p = exp(z_y - m)/S ≤ 1/2</c>,
/// <c>q = 1 - p</c> and <c>L = (m - z_y) + log S</c>. The per-row scalars are float64 (<c>q^γ</c> by
/// <see cref="Math.Pow(double, double)"/>, or a product for γ = 1, 2).</para>
/// <para>A row whose maximum is not finite (NaN, +∞, or all −∞) is computed by the generic kernel's float64 row, so
/// NaN and infinite rows come out exactly as there. Rows are cut into blocks whose size depends only on N
/// (<see cref="RowBlocks"/>); each block sums its rows in order in double and the block sums are added in block order,
/// so the value is bit-identical for any thread count (<see cref="BlockParallel"/>). Allocates nothing. Source: Lin et al. 2017; Keras
/// <c>CategoricalFocalCrossentropy</c>.</para>
/// </remarks>
internal static unsafe partial class FusedSoftmaxFocal
{
    private const int SumChunk = 1024;

    /// <summary>
    /// Loss and (optionally) gradient with validated class-index targets; <paramref name="scale"/> is the reduction's
    /// gradient factor. Returns the sum of the row losses.
    /// </summary>
    public static double Sum(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, SoftmaxFocalOptions options,
        double scale, Span<float> gradient, Span<float> rowLosses, int maxThreads = 1)
    {
        int n = labels.Length;
        if (n == 0)
        {
            return 0;
        }

        var (blockRows, blocks) = RowBlocks.Of(n);
        double* sums = stackalloc double[blocks];
        fixed (float* z = logits, gp = gradient, rp = rowLosses)
        fixed (int* y = labels)
        {
            var job = new IndexJob(z, y, gradient.IsEmpty ? null : gp, rowLosses.IsEmpty ? null : rp, sums, n, classes,
                blockRows, options, scale);
            BlockParallel.Run(job, blocks, RowBlocks.Threads(n, classes, maxThreads));
        }

        return RowBlocks.Total(sums, blocks);
    }

    private readonly struct IndexJob(float* z, int* y, float* g, float* r, double* sums, int n, int k, int blockRows,
        SoftmaxFocalOptions options, double scale) : IBlockJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock(int b)
        {
            int ignore = options.IgnoreIndex;
            double gamma = options.Gamma;
            int end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            int i = b * blockRows;
            if (FusedSoftmaxCrossEntropy.UsesShortRows(k))
            {
                i = ShortRows(z, y, g, r, i, end, k, options, scale, ref sum);
            }

            for (; i < end; i++)
            {
                float* zi = z + (long)i * k;
                float* gi = g == null ? null : g + (long)i * k;
                int label = y[i];
                double loss = 0;
                if (label == ignore)
                {
                    if (gi != null)
                    {
                        new Span<float>(gi, k).Clear();
                    }
                }
                else
                {
                    loss = Row(zi, gi, k, label, options.AlphaOf(label), gamma, scale, options);
                }

                if (r != null)
                {
                    r[i] = (float)loss;
                }

                sum += loss;
            }

            sums[b] = sum;
        }
    }

    /// <summary>True when <see cref="SumSoft"/> computes exactly what the generic kernel does for probability targets.</summary>
    public static bool SupportsSoft(SoftmaxFocalOptions options) =>
        options.ClassAlpha is null && options.Gamma is 0.0 or 1.0 or 2.0;

    /// <summary>
    /// True when every row of targets is in [0, 1] and sums to 1 within the tolerance with a margin for the float sum;
    /// false means "run the exact check" (which may still pass), never a wrong acceptance.
    /// </summary>
    public static bool TargetsPlainlyValid(ReadOnlySpan<float> targets, int classes, double tolerance)
    {
        if (double.IsNaN(tolerance))
        {
            return FusedSigmoidBinaryCrossEntropy.InUnitInterval(targets);
        }

        for (int i = 0; i < targets.Length; i += classes)
        {
            // Summed in double like the exact check; only the order differs (≤ K·2^-53 apart), hence the 1e-9 margin.
            double sum = CheckedSum(targets.Slice(i, classes));
            if (!(Math.Abs(sum - 1) <= tolerance - 1e-9))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The row's sum in double, or NaN when some entry is outside [0, 1] or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double CheckedSum(ReadOnlySpan<float> row)
    {
        int j = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<float>.Count)
        {
            Vector<double> a0 = Vector<double>.Zero, a1 = a0;
            var bad = Vector<int>.Zero;
            var one = Vector<float>.One;
            fixed (float* p = row)
            {
                for (; j <= row.Length - Vector<float>.Count; j += Vector<float>.Count)
                {
                    var v = Vector.Load(p + j);
                    bad |= ~(Vector.GreaterThanOrEqual(v, Vector<float>.Zero) & Vector.LessThanOrEqual(v, one));
                    Vector.Widen(v, out Vector<double> lo, out Vector<double> hi);
                    a0 += lo;
                    a1 += hi;
                }
            }

            if (bad != Vector<int>.Zero)
            {
                return double.NaN;
            }

            sum = Vector.Sum(a0 + a1);
        }

        for (; j < row.Length; j++)
        {
            float v = row[j];
            if (!(v >= 0f && v <= 1f))
            {
                return double.NaN;
            }

            sum += v;
        }

        return sum;
    }

    /// <summary>The first index of the row's maximum <paramref name="max"/> (which is not NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int IndexOf(float* z, int k, float max)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var m = new Vector<float>(max);
            for (; c <= k - Vector<float>.Count; c += Vector<float>.Count)
            {
                if (Vector.EqualsAny(Vector.Load(z + c), m))
                {
                    break;
                }
            }
        }

        for (; c < k; c++)
        {
            if (z[c] == max)
            {
                return c;
            }
        }

        return -1;
    }

    /// <summary>
    /// Loss and (optionally) gradient with validated probability targets, for <see cref="SupportsSoft"/> options;
    /// returns the sum of the row losses.
    /// </summary>
    /// <remarks>
    /// Per row (docs/numerics.md): <c>d</c> = the first index of the maximum (a max pass, then a search); the exp pass sums
    /// <c>S' = Σ_{c≠d} e_c</c> with the rounding of <c>z_c - m</c> put back, <c>S = 1 + S'</c>, <c>log S = log1p(S')</c>.
    /// Every class but d has <c>p_c ≤ 1/2</c>, so <c>q_c = 1 - p_c ≥ 1/2</c> is formed directly in a vector pass that
    /// accumulates <c>Σ a_c q_c^γ L_c</c> and <c>total = Σ a_c (B_c + C_c)</c>; class d (the one that may have
    /// <c>p → 1</c>) is done in float64 with <c>q_d = S'/S</c>, <c>L_d = log1p(S')</c>. A second vector pass writes
    /// <c>g_j = s (p_j total - a_j (B_j + C_j))</c>. Terms with <c>a_c = 0</c> contribute 0 (masked classes).
    /// </remarks>
    public static double SumSoft(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, SoftmaxFocalOptions options,
        double scale, Span<float> gradient, Span<float> rowLosses, int maxThreads = 1)
    {
        int n = logits.Length / Math.Max(1, classes);
        if (n == 0)
        {
            return 0;
        }

        var (blockRows, blocks) = RowBlocks.Of(n);
        double* sums = stackalloc double[blocks];
        fixed (float* z = logits, t = targets, gp = gradient, rp = rowLosses)
        {
            var job = new SoftJob(z, t, gradient.IsEmpty ? null : gp, rowLosses.IsEmpty ? null : rp, sums, n, classes,
                blockRows, options, scale);
            BlockParallel.Run(job, blocks, RowBlocks.Threads(n, classes, maxThreads));
        }

        return RowBlocks.Total(sums, blocks);
    }

    private readonly struct SoftJob(float* z, float* t, float* g, float* r, double* sums, int n, int k, int blockRows,
        SoftmaxFocalOptions options, double scale) : IBlockJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RunBlock(int b)
        {
            int end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            for (int i = b * blockRows; i < end; i++)
            {
                long at = (long)i * k;
                float* gi = g == null ? null : g + at;
                double loss;
                if (Vector512.IsHardwareAccelerated)
                {
                    loss = SoftRow<V512>(z + at, t + at, gi, k, options, scale);
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    loss = SoftRow<V256>(z + at, t + at, gi, k, options, scale);
                }
                else
                {
                    loss = SoftRow<V128>(z + at, t + at, gi, k, options, scale);
                }

                if (r != null)
                {
                    r[i] = (float)loss;
                }

                sum += loss;
            }

            sums[b] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SoftRow<TV>(float* z, float* t, float* g, int k, SoftmaxFocalOptions o, double scale)
        where TV : struct, IVec<TV>
    {
        float max = Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count ? Max<V512>(z, k)
            : Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count ? Max<V256>(z, k)
            : Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count ? Max<V128>(z, k)
            : MaxScalar(z, 0, k, float.NegativeInfinity);
        if (!float.IsFinite(max))
        {
            return SoftmaxFocal.Row(new ReadOnlySpan<float>(z, k), new ReadOnlySpan<float>(t, k), -1, k, o, scale,
                g == null ? default : new Span<float>(g, k));
        }

        int d = IndexOf(z, k, max);
        double others = SumExpAccurate(z, g, d, max) + SumExpAccurate(z + d + 1, g == null ? null : g + d + 1, k - d - 1, max);
        if (g != null)
        {
            g[d] = 1f;
        }

        double s = 1 + others;
        double logS = StableMath.Log1p(others);
        double gamma = o.Gamma;
        double alpha = o.Alpha;

        // The target-holding maximum class d in float64.
        double pd = 1 / s, qd = others / s, ld = logS;
        double ad = alpha * t[d];
        double ownD = 0, loss = 0;
        if (ad != 0)
        {
            double bd = gamma switch { 0.0 => 1.0, 1.0 => qd, _ => qd * qd };
            double cd = gamma == 0 ? 0.0 : gamma * pd * bd * (qd == 0 ? 1.0 : ld / qd);
            ownD = ad * (bd + cd);
            loss = ad * bd * ld;
        }

        var pr = new SoftParameters((float)(1 / s), max, (float)logS, (float)alpha, (float)gamma);
        var (lossLo, totalLo) = SoftTerms<TV>(z, t, g, d, pr);
        var (lossHi, totalHi) = SoftTerms<TV>(z + d + 1, t + d + 1, g == null ? null : g + d + 1, k - d - 1, pr);
        loss += lossLo + lossHi;
        double total = ownD + totalLo + totalHi;
        if (g != null)
        {
            SoftGradient<TV>(z, t, g, d, pr, (float)(scale * total), (float)scale);
            SoftGradient<TV>(z + d + 1, t + d + 1, g + d + 1, k - d - 1, pr, (float)(scale * total), (float)scale);
            g[d] = (float)((pd * total - ownD) * scale);
        }

        return loss;
    }

    private readonly struct SoftParameters(float invS, float max, float logS, float alpha, float gamma)
    {
        public readonly float InvS = invS, Max = max, LogS = logS, Alpha = alpha, Gamma = gamma;
    }

    /// <summary>The per-row constants of <see cref="SoftClass"/>, broadcast once.</summary>
    private readonly struct SoftVectors<TV> where TV : struct, IVec<TV>
    {
        public readonly TV Alpha, InvS, Max, LogS, Gamma, One, Zero;
        public readonly int Mode;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public SoftVectors(in SoftParameters pr)
        {
            Alpha = TV.Broadcast(pr.Alpha);
            InvS = TV.Broadcast(pr.InvS);
            Max = TV.Broadcast(pr.Max);
            LogS = TV.Broadcast(pr.LogS);
            Gamma = TV.Broadcast(pr.Gamma);
            One = TV.Broadcast(1f);
            Zero = TV.Broadcast(0f);
            Mode = pr.Gamma == 0f ? 0 : pr.Gamma == 1f ? 1 : 2;
        }
    }

    /// <summary>One class's (p ≤ 1/2) focal terms: a B L and a (B + C), zero where a = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftClass<TV>(TV zv, TV tv, TV e, in SoftVectors<TV> v, out TV loss, out TV own) where TV : struct, IVec<TV>
    {
        TV a = TV.Mul(v.Alpha, tv);
        TV l = TV.Add(TV.Sub(v.Max, zv), v.LogS);
        TV lossV, ownV;
        if (v.Mode == 0)
        {
            lossV = TV.Mul(a, l);
            ownV = a;
        }
        else
        {
            TV p = TV.Mul(e, v.InvS);
            TV q = TV.Sub(v.One, p);
            TV b = v.Mode == 1 ? q : TV.Mul(q, q);
            TV c = TV.Mul(TV.Mul(v.Gamma, p), TV.Div(TV.Mul(b, l), q));
            lossV = TV.Mul(TV.Mul(a, b), l);
            ownV = TV.Mul(a, TV.Add(b, c));
        }

        loss = TV.SelectEqual(a, v.Zero, v.Zero, lossV);
        own = TV.SelectEqual(a, v.Zero, v.Zero, ownV);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Loss, double Total) SoftTerms<TV>(float* z, float* t, float* g, int k, in SoftParameters pr)
        where TV : struct, IVec<TV>
    {
        int w = TV.Count;
        var v = new SoftVectors<TV>(pr);
        TV mv = v.Max, nmv = TV.Broadcast(-pr.Max), zero = v.Zero;
        double loss = 0, total = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + SumChunk);
            TV la = zero, ta = zero;
            for (; c <= chunkEnd - w; c += w)
            {
                TV zv = TV.Load(z + c);
                TV e = g != null ? TV.Load(g + c) : ExpDifference(zv, mv, nmv, zero);
                SoftClass(zv, TV.Load(t + c), e, v, out TV l, out TV own);
                la = TV.Add(la, l);
                ta = TV.Add(ta, own);
            }

            loss += TV.SumAcross(la);
            total += TV.SumAcross(ta);
        }

        for (; c < k; c++)
        {
            var (l, own) = SoftClassScalar(z[c], t[c], g != null ? g[c] : (float)Math.Exp((double)z[c] - pr.Max), pr);
            loss += l;
            total += own;
        }

        return (loss, total);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftGradient<TV>(float* z, float* t, float* g, int k, in SoftParameters pr, float scaledTotal, float scale)
        where TV : struct, IVec<TV>
    {
        int w = TV.Count;
        var v = new SoftVectors<TV>(pr);
        TV st = TV.Broadcast(scaledTotal * pr.InvS), sv = TV.Broadcast(scale);
        int c = 0;
        for (; c <= k - w; c += w)
        {
            TV e = TV.Load(g + c);
            SoftClass(TV.Load(z + c), TV.Load(t + c), e, v, out _, out TV own);
            TV.Store(TV.Fma(e, st, TV.Neg(TV.Mul(own, sv))), g + c);
        }

        for (; c < k; c++)
        {
            float e = g[c];
            var (_, own) = SoftClassScalar(z[c], t[c], e, pr);
            g[c] = MathF.FusedMultiplyAdd(e, scaledTotal * pr.InvS, -(own * scale));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float Loss, float Own) SoftClassScalar(float z, float t, float e, in SoftParameters pr)
    {
        float a = pr.Alpha * t;
        if (a == 0)
        {
            return (0, 0);
        }

        float p = e * pr.InvS;
        float l = (pr.Max - z) + pr.LogS;
        float q = 1 - p;
        float b = pr.Gamma == 0f ? 1f : pr.Gamma == 1f ? q : q * q;
        float c = pr.Gamma == 0f ? 0f : pr.Gamma * p * (b * l / q);
        return (a * b * l, a * (b + c));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row(float* z, float* g, int k, int y, double alpha, double gamma, double scale, SoftmaxFocalOptions o)
    {
        float max;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            max = Max<V512>(z, k);
        }
        else if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            max = Max<V256>(z, k);
        }
        else if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
        {
            max = Max<V128>(z, k);
        }
        else
        {
            max = MaxScalar(z, 0, k, float.NegativeInfinity);
        }

        if (!float.IsFinite(max))
        {
            return SoftmaxFocal.Row(new ReadOnlySpan<float>(z, k), default, y, k, o, scale,
                g == null ? default : new Span<float>(g, k));
        }

        double s, q, l, p;
        float zy = z[y];
        if (zy == max)
        {
            // The target holds the maximum: e_y = 1 exactly; sum the others apart so q = S'/S keeps its precision.
            double others = SumExpAccurate(z, g, y, max) + SumExpAccurate(z + y + 1, g == null ? null : g + y + 1, k - y - 1, max);
            if (g != null)
            {
                g[y] = 1f;
            }

            s = 1 + others;
            q = others / s;
            l = StableMath.Log1p(others);
            p = 1 / s;
        }
        else
        {
            s = SumExp(z, g, k, max);
            double logS = Math.Log(s);
            double gap = (double)max - zy;
            p = Math.Exp(-gap - logS);
            q = 1 - p;
            l = gap + logS;
        }

        if (alpha == 0)
        {
            // The generic kernel skips a zero-weight target: loss 0 and gradient 0 (even at z_y = -inf).
            if (g != null)
            {
                new Span<float>(g, k).Clear();
            }

            return 0;
        }

        double b = gamma switch { 0.0 => 1.0, 1.0 => q, 2.0 => q * q, _ => Math.Pow(q, gamma) };
        double ratio = q == 0 ? 1.0 : l / q;
        double c = gamma == 0 ? 0.0 : gamma * p * b * ratio;
        double total = alpha * (b + c);
        if (g != null)
        {
            float factor = (float)(scale * total / s);
            if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
            {
                Scale<V512>(g, k, factor);
            }
            else if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
            {
                Scale<V256>(g, k, factor);
            }
            else if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
            {
                Scale<V128>(g, k, factor);
            }
            else
            {
                ScaleScalar(g, 0, k, factor);
            }

            g[y] = (float)(-scale * total * q);
        }

        return alpha * b * l;
    }

    /// <summary>Σ exp(z_c - max) over c &lt; k, each term also written to g unless null.</summary>
    private static double SumExp(float* z, float* g, int k, float max)
    {
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            return SumExp<V512>(z, g, k, max);
        }

        if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            return SumExp<V256>(z, g, k, max);
        }

        if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
        {
            return SumExp<V128>(z, g, k, max);
        }

        return SumExpScalar(z, g, 0, k, max);
    }

    /// <summary>
    /// As <see cref="SumExp(float*, float*, int, float)"/>, but with the rounding error of <c>z - max</c> in float
    /// (up to half an ulp of the difference, 5e-7 relative in the exponential at a gap of 10) put back: the exact
    /// difference is <c>d + err</c> (2Sum), so <c>exp(z - max) ≈ e^d (1 + err)</c>. Used for the sum of the non-target
    /// terms when the target holds the maximum, where <c>q = 1 - p_y ≈ S'</c> and the loss goes as <c>q^(γ+1)</c>.
    /// </summary>
    private static double SumExpAccurate(float* z, float* g, int k, float max)
    {
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
        {
            return SumExpAccurate<V512>(z, g, k, max);
        }

        if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
        {
            return SumExpAccurate<V256>(z, g, k, max);
        }

        if (Vector128.IsHardwareAccelerated && k >= Vector128<float>.Count)
        {
            return SumExpAccurate<V128>(z, g, k, max);
        }

        return SumExpAccurateScalar(z, g, 0, k, max);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumExpAccurate<TV>(float* z, float* g, int k, float max) where TV : struct, IVec<TV>
    {
        int w = TV.Count;
        TV mv = TV.Broadcast(max), nmv = TV.Broadcast(-max), zero = TV.Broadcast(0f);
        double total = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + SumChunk);
            TV s0 = zero, s1 = zero;
            for (; c <= chunkEnd - 2 * w; c += 2 * w)
            {
                TV e0 = ExpDifference(TV.Load(z + c), mv, nmv, zero);
                TV e1 = ExpDifference(TV.Load(z + c + w), mv, nmv, zero);
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
                TV e0 = ExpDifference(TV.Load(z + c), mv, nmv, zero);
                if (g != null)
                {
                    TV.Store(e0, g + c);
                }

                s0 = TV.Add(s0, e0);
            }

            total += TV.SumAcross(TV.Add(s0, s1));
        }

        return total + SumExpAccurateScalar(z, g, c, k, max);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpDifference<TV>(TV zv, TV mv, TV nmv, TV zero) where TV : struct, IVec<TV>
    {
        TV d = TV.Sub(zv, mv);
        TV bb = TV.Sub(d, zv);
        TV err = TV.Add(TV.Sub(zv, TV.Sub(d, bb)), TV.Sub(nmv, bb));
        err = TV.SelectEqual(err, err, err, zero); // z = -inf: d = -inf, err NaN; e^d = 0 anyway
        TV e = TV.ExpNonPositive(d);
        return TV.Fma(e, err, e);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumExpAccurateScalar(float* z, float* g, int c, int k, float max)
    {
        double total = 0;
        for (; c < k; c++)
        {
            float e = (float)Math.Exp((double)z[c] - max);
            if (g != null)
            {
                g[c] = e;
            }

            total += e;
        }

        return total;
    }

    // The max, exp and scale passes are FusedSoftmaxCrossEntropy's, with weights, smoothing and temperature off.
    private static float Max<TV>(float* z, int k) where TV : struct, IVec<TV> => FusedSoftmaxCrossEntropy.Max<TV>(z, k);

    private static float MaxScalar(float* z, int c, int k, float m) => FusedSoftmaxCrossEntropy.MaxScalar(z, c, k, m);

    private static double SumExp<TV>(float* z, float* g, int k, float max) where TV : struct, IVec<TV> =>
        FusedSoftmaxCrossEntropy.SumExp<TV, FusedSoftmaxCrossEntropy.No, FusedSoftmaxCrossEntropy.No, FusedSoftmaxCrossEntropy.No>(
            z, g, null, null, k, max, 1f, out _);

    private static double SumExpScalar(float* z, float* g, int c, int k, float max)
    {
        double unused = 0;
        return FusedSoftmaxCrossEntropy.SumExpScalar<FusedSoftmaxCrossEntropy.No, FusedSoftmaxCrossEntropy.No, FusedSoftmaxCrossEntropy.No>(
            z, g, null, c, k, max, 1f, ref unused);
    }

    private static void Scale<TV>(float* g, int k, float factor) where TV : struct, IVec<TV> =>
        FusedSoftmaxCrossEntropy.Scale<TV, FusedSoftmaxCrossEntropy.No, FusedSoftmaxCrossEntropy.No>(g, null, k, factor, 0f);

    private static void ScaleScalar(float* g, int c, int k, float factor) =>
        FusedSoftmaxCrossEntropy.ScaleScalar<FusedSoftmaxCrossEntropy.No, FusedSoftmaxCrossEntropy.No>(g, null, c, k, factor, 0f);
}
