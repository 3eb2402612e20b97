using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The kernels of the softmax focal loss from logits: generic ones (double arithmetic, any input type, one
/// <see cref="SoftmaxFocalRows.Row{T}"/> per row) and float SIMD ones for class-index targets (every option) and for
/// probability targets (one α, γ ∈ {0, 1, 2}).
/// </summary>
/// <remarks>
/// <para>Class-index rows, as <see cref="CrossEntropyIndexKernel"/>: a max pass <c>m = max_c z_c</c>, an exp pass
/// that writes <c>e_c = exp(z_c - m)</c> into the gradient buffer and sums <c>S = Σ_c e_c</c>, and one gradient pass.
/// With one target class y only per-row scalars are needed (docs/numerics.md, "Softmax focal loss", with
/// <c>a_c = α_y [c = y]</c>): <c>p = p_y</c>, <c>q = 1 - p</c>, <c>L = -log p</c>, <c>ℓ = α_y q^γ L</c>, and
/// <c>∂ℓ/∂z_j = T (p_j - [j = y])</c> with <c>T = α_y (q^γ + γ p q^γ (L/q))</c> (<c>L/q → 1</c> as <c>q → 0</c>, so
/// no negative power of q is formed and γ &lt; 1 stays finite). The gradient pass writes <c>g_j = e_j · sT/S</c>
/// (s: the reduction's factor) and <c>g_y = -sTq</c> is stored directly (not <c>sTp - sT</c>, which cancels as
/// <c>p → 1</c>).</para>
/// <para>Accuracy of <c>q</c>: when <c>z_y = m</c> (the only case in which <c>p</c> can exceed 1/2) the exp pass skips
/// y and compensates each exponential (<see cref="PlainExp{TCompensated}"/> with <see cref="Yes"/>), giving <c>S' = Σ_{c≠y} e_c</c> without the 1 of
/// the target in any float lane, so <c>S = 1 + S'</c>, <c>q = S'/S</c>, <c>L = log1p(S')</c>, <c>p = 1/S</c> keep full
/// relative precision; otherwise <c>p = exp(z_y - m)/S ≤ 1/2</c>, <c>q = 1 - p</c> and <c>L = (m - z_y) + log S</c>.
/// The per-row scalars are float64 (<c>q^γ</c> by <see cref="Math.Pow(double, double)"/>, or a product for γ = 1, 2).</para>
/// <para>A row whose maximum is not finite (NaN, +∞, or all −∞), or whose gradient unit <c>sT</c> leaves float range
/// (<see cref="FloatRange"/>: an α beyond it), is computed by <see cref="SoftmaxFocalRows.Row{T}"/>, so such rows come
/// out exactly as on the generic path. Blocks, threads and allocation as
/// <see cref="CrossEntropyIndexKernel"/>. Source: Lin et al. 2017; Keras <c>CategoricalFocalCrossentropy</c>.</para>
/// </remarks>
internal static unsafe partial class SoftmaxFocalKernel
{
    /// <summary>The generic kernel over class indices (already checked): <see cref="SoftmaxFocalRows.Row{T}"/> per row.</summary>
    public static double Generic<T>(in Batch<T, int> b, double gamma, double alpha, ReadOnlySpan<double> classAlpha, int ignoreIndex, double scale,
        double smoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RowwiseKernel.Labels<T, SoftmaxFocalRows.Rows, SoftmaxFocalRows.Parameters>(b, ignoreIndex,
            new SoftmaxFocalRows.Parameters(gamma, alpha, classAlpha, smoothing), scale);

    /// <summary>The generic kernel over probability targets (already checked): <see cref="SoftmaxFocalRows.Row{T}"/> per row.</summary>
    public static double Generic<T>(in Batch<T, T> b, double gamma, double alpha, ReadOnlySpan<double> classAlpha, double scale,
        double smoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RowwiseKernel.Targets<T, SoftmaxFocalRows.Rows, SoftmaxFocalRows.Parameters>(b,
            new SoftmaxFocalRows.Parameters(gamma, alpha, classAlpha, smoothing), scale);

    /// <summary>The per-call constants of the class-index kernel; <c>ClassAlpha</c> is null when one α serves every class.</summary>
    private readonly struct Parameters(int k, double gamma, double alpha, double* classAlpha, int ignoreIndex, double scale)
    {
        public readonly int K = k;
        public readonly double Gamma = gamma;
        public readonly double Alpha = alpha;
        public readonly double* ClassAlpha = classAlpha;
        public readonly int IgnoreIndex = ignoreIndex;
        public readonly double Scale = scale;

        public double AlphaOf(int c) => ClassAlpha == null ? Alpha : ClassAlpha[c];

        public ReadOnlySpan<double> ClassAlphaSpan => ClassAlpha == null ? default : new ReadOnlySpan<double>(ClassAlpha, K);
    }

    /// <summary>The class-index kernel (already checked) for float, <see cref="Half"/> or <see cref="BFloat16"/> logits
    /// (<see cref="FusedLabelRows.Sum{TRows, T}"/>: a 16-bit type runs the same rows on float copies of a few rows at a
    /// time, the float path's loss on the widened logits, bit for bit, and its gradient and row losses rounded to
    /// <typeparamref name="T"/>); returns the sum of the row losses.</summary>
    public static double Fused<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int k, double gamma, double alpha,
        ReadOnlySpan<double> classAlpha, int ignoreIndex, double scale, Span<T> gradient, Span<T> rowLosses, int maxThreads)
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            return FusedDouble(MemoryMarshal.Cast<T, double>(logits), labels, k, gamma, alpha, classAlpha, ignoreIndex, scale,
                MemoryMarshal.Cast<T, double>(gradient), MemoryMarshal.Cast<T, double>(rowLosses), maxThreads);
        }

        fixed (double* ca = classAlpha)
        {
            var p = new Parameters(k, gamma, alpha, classAlpha.IsEmpty ? null : ca, ignoreIndex, scale);
            return FusedLabelRows.Sum(new IndexRows(p), logits, labels, gradient, rowLosses, maxThreads);
        }
    }

    private readonly struct IndexRows(Parameters p) : IFusedLabelRows
    {
        public int Classes => p.K;

        public int IgnoreIndex => p.IgnoreIndex;

        public double Specialized<TJob>(in TJob job, int b) where TJob : struct, ISpecialized =>
            Specialize.Run(job, b, ShortRows.Apply(p.K) ? Specialize.AnyLength : p.K);

        public int ShortRowGroups<TV, TA, TB, TC>(float* zb, int* yb, float* gb, float* rb, int start, int end, ref double sum)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst =>
            SoftmaxFocalKernel.ShortRowGroups<TV>(zb, yb, gb, rb, start, end, p, ref sum);

        public double Row<TV, TA, TB, TC>(float* zi, float* gi, float* zNext, int label)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst =>
            SoftmaxFocalKernel.Row<TV>(zi, gi, label, p);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row<TV>(float* z, float* g, int y, in Parameters prm) where TV : struct, IVec<TV, float>
    {
        int k = prm.K;
        float max = RowMax.Of<TV>(z, k);
        if (!float.IsFinite(max))
        {
            return SoftmaxFocalRows.Row(new ReadOnlySpan<float>(z, k), default, y, prm.Gamma, prm.Alpha, prm.ClassAlphaSpan,
                prm.Scale, g == null ? default : new Span<float>(g, k));
        }

        double s, q, l, p;
        float zy = z[y];
        if (zy == max)
        {
            // The target holds the maximum: e_y = 1 exactly; sum the others apart so q = S'/S keeps its precision.
            double others = RowExpSum.Run<TV, PlainExp<Yes>>(z, g, y, max)
                + RowExpSum.Run<TV, PlainExp<Yes>>(z + y + 1, g == null ? null : g + y + 1, k - y - 1, max);
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
            s = RowExpSum.Run<TV, PlainExp<No>>(z, g, k, max);
            double logS = Math.Log(s);
            double gap = (double)max - zy;
            p = Math.Exp(-gap - logS);
            q = 1 - p;
            l = gap + logS;
        }

        double alpha = prm.AlphaOf(y);
        if (alpha == 0)
        {
            // The generic kernel skips a zero-weight target: loss 0 and gradient 0 (even at z_y = -inf).
            if (g != null)
            {
                new Span<float>(g, k).Clear();
            }

            return 0;
        }

        var (loss, total) = Focal(prm.Gamma, alpha, q, l, p);
        if (g != null)
        {
            if (!FloatRange.Fits(prm.Scale * total))
            {
                // The factor sT (an α beyond float range) cannot be applied in float: the double row.
                return SoftmaxFocalRows.Row(new ReadOnlySpan<float>(z, k), default, y, prm.Gamma, prm.Alpha, prm.ClassAlphaSpan,
                    prm.Scale, new Span<float>(g, k));
            }

            RowGradient.Run<TV, ScaledExp>(g, null, null, k, (float)(prm.Scale * total / s));
            g[y] = (float)(-prm.Scale * total * q);
        }

        return loss;
    }

    /// <summary>The focal terms of a class-index row in double: the loss <c>α q^γ L</c> and <c>T = α (q^γ + γ p q^γ L/q)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Loss, double Total) Focal(double gamma, double alpha, double q, double l, double p)
    {
        double b = gamma switch { 0.0 => 1.0, 1.0 => q, 2.0 => q * q, _ => Math.Pow(q, gamma) };
        double ratio = q == 0 ? 1.0 : l / q;
        double c = gamma == 0 ? 0.0 : gamma * p * b * ratio;
        return (alpha * b * l, alpha * (b + c));
    }

    /// <summary>True when <see cref="FusedSoft"/> computes exactly what the generic kernel does for probability targets:
    /// one α that survives the conversion to float (it enters the vector passes in float), γ ∈ {0, 1, 2}.</summary>
    public static bool CoversSoft(ReadOnlySpan<double> classAlpha, double gamma, double alpha) =>
        classAlpha.IsEmpty && gamma is 0.0 or 1.0 or 2.0 && float.IsFinite((float)alpha) && ((float)alpha != 0 || alpha == 0);

    /// <summary>
    /// The fused kernel over probability targets (see <see cref="CoversSoft"/>) for float, <see cref="Half"/> or
    /// <see cref="BFloat16"/> logits and targets (<see cref="FusedTargetRows"/>: 16-bit rows staged into float a few at a
    /// time, targets too, the float path's results rounded); returns the sum of the row losses and in <paramref name="checkFrom"/> the first row whose targets need the exact check (0 unless every row
    /// plainly passes <see cref="TargetsPlainlyValid"/>, N then).
    /// </summary>
    /// <remarks>
    /// Per row (docs/numerics.md): <c>d</c> = the first index of the maximum (a max pass, then a search); the exp pass sums
    /// <c>S' = Σ_{c≠d} e_c</c> compensated, <c>S = 1 + S'</c>, <c>log S = log1p(S')</c>. Every class but d has
    /// <c>p_c ≤ 1/2</c>, so <c>q_c = 1 - p_c ≥ 1/2</c> is formed directly in a vector pass that accumulates
    /// <c>Σ a_c q_c^γ L_c</c> and <c>total = Σ a_c (B_c + C_c)</c>; class d (the one that may have <c>p → 1</c>) is done
    /// in float64 with <c>q_d = S'/S</c>, <c>L_d = log1p(S')</c>. A second vector pass writes
    /// <c>g_j = s (p_j total - a_j (B_j + C_j))</c>. Terms with <c>a_c = 0</c> contribute 0 (masked classes). A row whose
    /// float sums come out non-finite (a class with a positive target more than float.MaxValue below the maximum, a loss
    /// beyond float range) or whose gradient unit <c>s·total</c> leaves <see cref="FloatRange"/> is computed by
    /// <see cref="SoftmaxFocalRows.Row{T}"/> instead.
    /// </remarks>
    public static double FusedSoft<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k, double gamma, double alpha,
        double tolerance, double scale, Span<T> gradient, Span<T> rowLosses, int maxThreads, out int checkFrom)
        where T : unmanaged
    {
        checkFrom = Float16.All(targets, k, new PlainlyValid(k, tolerance)) ? logits.Length / k : 0;
        var p = new Parameters(k, gamma, alpha, null, -1, scale);
        return FusedTargetRows.Sum(new SoftRows(p), logits, targets, gradient, rowLosses, maxThreads, out _);
    }

    /// <summary><see cref="TargetsPlainlyValid"/> as a check of whole rows.</summary>
    private readonly struct PlainlyValid(int k, double tolerance) : IFloatsCheck
    {
        public bool Passes(ReadOnlySpan<float> values) => TargetsPlainlyValid(values, k, tolerance);
    }

    /// <summary>
    /// True when every row of targets is in [0, 1] and sums to 1 within the tolerance with a margin for the float sum;
    /// false means "run the exact check" (which may still pass), never a wrong acceptance.
    /// </summary>
    public static bool TargetsPlainlyValid(ReadOnlySpan<float> targets, int classes, double tolerance)
    {
        if (double.IsNaN(tolerance))
        {
            return SigmoidBinaryCrossEntropyKernel.InUnitInterval(targets);
        }

        for (int i = 0; i < targets.Length; i += classes)
        {
            // Summed in double like the exact check; only the order differs (≤ K·2^-53 apart), hence the 1e-9 margin.
            double sum = SigmoidBinaryCrossEntropyKernel.CheckedSum(targets.Slice(i, classes));
            if (!(Math.Abs(sum - 1) <= tolerance - 1e-9))
            {
                return false;
            }
        }

        return true;
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

    /// <summary>The probability-target rows: no rows in lanes, nothing to prefetch, targets pre-checked as a whole.</summary>
    private readonly struct SoftRows(Parameters p) : IFusedTargetRows
    {
        public int Classes => p.K;

        public bool InLanes => false;

        public double Specialized<TJob>(in TJob job, int b) where TJob : struct, ISpecialized => Specialize.Run(job, b, p.K);

        public int ShortRowGroups<TV, TA, TB, TC>(float* z, float* t, float* g, float* r, int start, int end, ref double sum, ref int flagged)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst => start;

        public double Row<TV, TA, TB, TC>(float* z, float* t, float* g, float* zNext, float* tNext, out bool suspect)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            suspect = false;
            return SoftRow<TV>(z, t, g, p);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SoftRow<TV>(float* z, float* t, float* g, in Parameters prm) where TV : struct, IVec<TV, float>
    {
        int k = prm.K;
        float max = RowMax.Of<TV>(z, k);
        if (!float.IsFinite(max))
        {
            return SoftmaxFocalRows.Row(new ReadOnlySpan<float>(z, k), new ReadOnlySpan<float>(t, k), -1, prm.Gamma, prm.Alpha,
                default, prm.Scale, g == null ? default : new Span<float>(g, k));
        }

        int d = IndexOf(z, k, max);
        double others = RowExpSum.Run<TV, PlainExp<Yes>>(z, g, d, max)
            + RowExpSum.Run<TV, PlainExp<Yes>>(z + d + 1, g == null ? null : g + d + 1, k - d - 1, max);
        if (g != null)
        {
            g[d] = 1f;
        }

        double s = 1 + others;
        double logS = StableMath.Log1p(others);
        double gamma = prm.Gamma;
        double alpha = prm.Alpha;

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
        if (!double.IsFinite(loss) || !double.IsFinite(total) || (g != null && !FloatRange.Fits(prm.Scale * total)))
        {
            // A float term overflowed: -log p_c = (max - z_c) + log S of a class with a positive target more than
            // float.MaxValue below the maximum is ∞ (and then 0·∞ = NaN in C_c), or a lane sum of the loss passed
            // float.MaxValue (or a masked class has a positive target); or the gradient unit s·total leaves float
            // range. The double row gives the generic path's (finite where the true values are) result.
            return SoftmaxFocalRows.Row(new ReadOnlySpan<float>(z, k), new ReadOnlySpan<float>(t, k), -1, gamma, alpha,
                default, prm.Scale, g == null ? default : new Span<float>(g, k));
        }

        if (g != null)
        {
            SoftGradient<TV>(z, t, g, d, pr, (float)(prm.Scale * total), (float)prm.Scale);
            SoftGradient<TV>(z + d + 1, t + d + 1, g + d + 1, k - d - 1, pr, (float)(prm.Scale * total), (float)prm.Scale);
            g[d] = (float)(((pd * total) - ownD) * prm.Scale);
        }

        return loss;
    }

    private readonly struct SoftParameters(float invS, float max, float logS, float alpha, float gamma)
    {
        public readonly float InvS = invS, Max = max, LogS = logS, Alpha = alpha, Gamma = gamma;
    }

    /// <summary>The per-row constants of <see cref="SoftClass"/>, broadcast once.</summary>
    private readonly struct SoftVectors<TV> where TV : struct, IVec<TV, float>
    {
        public readonly TV Alpha, InvS, Max, NegMax, LogS, Gamma, One, Zero;
        public readonly int Mode;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public SoftVectors(in SoftParameters pr)
        {
            Alpha = TV.Broadcast(pr.Alpha);
            InvS = TV.Broadcast(pr.InvS);
            Max = TV.Broadcast(pr.Max);
            NegMax = TV.Broadcast(-pr.Max);
            LogS = TV.Broadcast(pr.LogS);
            Gamma = TV.Broadcast(pr.Gamma);
            One = TV.Broadcast(1f);
            Zero = TV.Broadcast(0f);
            Mode = pr.Gamma == 0f ? 0 : pr.Gamma == 1f ? 1 : 2;
        }
    }

    /// <summary>One class's (p ≤ 1/2) focal terms: a B L and a (B + C), zero where a = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftClass<TV>(TV zv, TV tv, TV e, in SoftVectors<TV> v, out TV loss, out TV own) where TV : struct, IVec<TV, float>
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

    /// <summary>The sums of <see cref="SoftClass"/>'s terms over <c>[0, k)</c> (exponentials read from <paramref name="g"/>,
    /// or recomputed when it is null); a partial last vector runs on <see cref="VScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Loss, double Total) SoftTerms<TV>(float* z, float* t, float* g, int k, in SoftParameters pr)
        where TV : struct, IVec<TV, float>
    {
        int w = TV.Count;
        var v = new SoftVectors<TV>(pr);
        double loss = 0, total = 0;
        int c = 0;
        while (c <= k - w)
        {
            int chunkEnd = Math.Min(k, c + RowExpSum.ElementsPerFlush<TV>(RowExpSum.VectorsPerFlush * w));
            TV la = v.Zero, ta = v.Zero;
            for (; c <= chunkEnd - w; c += w)
            {
                TV zv = TV.Load(z + c);
                TV e = g != null ? TV.Load(g + c) : VectorMath.ExpOfDifference(zv, v.Max, v.NegMax);
                SoftClass(zv, TV.Load(t + c), e, v, out TV l, out TV own);
                la = TV.Add(la, l);
                ta = TV.Add(ta, own);
            }

            loss += TV.SumAcross(la);
            total += TV.SumAcross(ta);
        }

        if (c < k && w > 1)
        {
            var (tailLoss, tailTotal) = SoftTerms<VScalar>(z + c, t + c, g == null ? null : g + c, k - c, pr);
            loss += tailLoss;
            total += tailTotal;
        }

        return (loss, total);
    }

    /// <summary>Writes <c>g_j = e_j·scaledTotal/S - own_j·scale</c> over <c>[0, k)</c>; a partial last vector runs on
    /// <see cref="VScalar"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftGradient<TV>(float* z, float* t, float* g, int k, in SoftParameters pr, float scaledTotal, float scale)
        where TV : struct, IVec<TV, float>
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

        if (c < k && w > 1)
        {
            SoftGradient<VScalar>(z + c, t + c, g + c, k - c, pr, scaledTotal, scale);
        }
    }
}
