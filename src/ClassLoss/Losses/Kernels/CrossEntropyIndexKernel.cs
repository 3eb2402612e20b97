using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The kernels of softmax cross-entropy from logits with class-index targets — class weights, label smoothing,
/// temperature, ignore index — loss and gradient fused: a generic one (double arithmetic, any input type, one
/// <see cref="CrossEntropyRows.Index{T}"/> per row) and a float SIMD one (<see cref="Fused"/>).
/// </summary>
/// <remarks>
/// <para>Formula (PyTorch's <c>CrossEntropyLoss</c> with <c>weight</c>, <c>ignore_index</c>, <c>label_smoothing</c>;
/// see <see cref="SoftmaxCrossEntropy"/>): with <c>u = z / τ</c>, <c>m = max_c u_c</c>,
/// <c>S = Σ_c exp(u_c - m)</c>, target weights <c>q_c = (1 - ε) w_y [c = y] + (ε / K) w_c</c>,
/// the row loss is <c>ℓ = Σ_c q_c (m - u_c + log S)
///   = (1 - ε) w_y (m - u_y + log S) + (ε / K) (W log S - Σ_c w_c (u_c - m))</c> with <c>W = Σ_c w_c</c>,
/// and the gradient <c>∂ℓ/∂z_c = (p_c Σ q - q_c) / τ</c> with <c>p_c = exp(u_c - m) / S</c>.</para>
/// <para>Fused rows: <see cref="RowMax"/> finds <c>max_c z_c</c>; <see cref="RowExpSum"/> writes
/// <c>e_c = exp((z_c - max) / τ)</c> into the gradient buffer and sums it (with smoothing also
/// <c>Σ_c w_c (z_c - max)</c>, <see cref="SmoothedExp{TW}"/>); <see cref="RowGradient"/> overwrites the row in place
/// with <c>g_c = e_c · s Σq / (τ S) - w_c · s ε / (K τ)</c> (one fused multiply-add), where <c>s</c> is the
/// reduction's factor, and the label's entry <c>(e_y Σq / S - q_y) s / τ</c> is formed in double (it cancels as
/// <c>p_y → 1</c>). The loss is assembled in double. The memory traffic is one read of the logits and one write of
/// the gradient. Rows of K ≤ <see cref="ShortRows.MaxClasses"/> run with rows in vector lanes
/// (<c>CrossEntropyIndexKernel.ShortRows.cs</c>).</para>
/// <para>A row whose maximum is not finite (NaN, +∞, or every entry −∞), whose loss comes out non-finite (a masked
/// label, masked classes under smoothing, a masked class of weight 0, overflow of <c>z - max</c>), or whose gradient
/// terms leave float range (<see cref="FloatRange"/>: class weights beyond it), is recomputed by
/// <see cref="CrossEntropyRows.Index{T}"/>, so such rows give exactly what the generic path gives.</para>
/// <para>Threads: rows are cut into blocks whose size depends only on N (<see cref="RowBlocks"/>); each block's losses
/// are summed in row order in double and the block sums are combined in block order, so the value is bit-identical
/// for any thread count. Nothing is allocated per call (class weights under smoothing are converted to float into a
/// per-thread buffer, see <see cref="FloatWeights"/>).</para>
/// </remarks>
internal static unsafe partial class CrossEntropyIndexKernel
{
    /// <summary>True when <see cref="Fused"/> computes what the generic kernel would for these options: always, unless
    /// a class weight does not survive the conversion to float (weights enter the row passes in float under smoothing).</summary>
    public static bool Covers(ReadOnlySpan<double> weights, double smoothing) => smoothing == 0 || WeightsFitFloat(weights);

    /// <summary>True when every weight converts to a finite float that is 0 only if the weight is 0.</summary>
    public static bool WeightsFitFloat(ReadOnlySpan<double> weights)
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

    [ThreadStatic]
    private static float[]? t_floatWeights;

    /// <summary>
    /// The weights converted to float in a per-thread buffer (grown when K grows, then reused: no allocation per call,
    /// and unlike a pooled array never trimmed away by the GC). Valid until this thread's next call.
    /// </summary>
    public static float[] FloatWeights(ReadOnlySpan<double> weights)
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

    /// <summary>The generic kernel: every row in double (<see cref="CrossEntropyRows.Index{T}"/>); returns the sum of the
    /// row losses (labels already checked).</summary>
    public static double Generic<T>(in Batch<T, int> b, ReadOnlySpan<double> weights, double smoothing, double temperature,
        int ignoreIndex, double scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RowwiseKernel.Labels<T, CrossEntropyRows.IndexRow, CrossEntropyRows.Parameters>(b, ignoreIndex,
            new CrossEntropyRows.Parameters(weights, smoothing, temperature, b.Classes), scale);

    /// <summary>The fused kernel (see <see cref="Covers"/>) for float, <see cref="Half"/> or <see cref="BFloat16"/>
    /// logits (double logits run <see cref="FusedDouble"/>, any options) (<see cref="FusedLabelRows.Sum{TRows, T}"/>: a 16-bit type runs the same rows on float copies of a few rows at
    /// a time, so its loss is the float path's on the widened logits bit for bit and its gradient and row losses are the
    /// float path's rounded to <typeparamref name="T"/>); returns the sum of the row losses (labels already checked).
    /// <paramref name="maxThreads"/> bounds the threads; the result does not depend on it.</summary>
    public static double Fused<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int k, ReadOnlySpan<double> weights,
        double smoothing, double temperature, int ignoreIndex, double scale, Span<T> gradient, Span<T> rowLosses, int maxThreads)
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            return FusedDouble(MemoryMarshal.Cast<T, double>(logits), labels, k, weights, smoothing, temperature, ignoreIndex, scale,
                MemoryMarshal.Cast<T, double>(gradient), MemoryMarshal.Cast<T, double>(rowLosses), maxThreads);
        }

        // Under smoothing every class weight enters the row passes; they run in float.
        float[]? floatWeights = smoothing > 0 && !weights.IsEmpty ? FloatWeights(weights) : null;
        fixed (float* wf = floatWeights)
        fixed (double* wd = weights)
        {
            var p = new SoftmaxRowParams(k, weights.IsEmpty ? null : wd, wf, smoothing, temperature, scale,
                CrossEntropyRows.WeightTotal(weights, k), ignoreIndex);
            return FusedLabelRows.Sum(new Rows(p), logits, labels, gradient, rowLosses, maxThreads);
        }
    }

    /// <summary>The row functions, each compiled per width and per switch: smoothing (<c>TS</c>), class weights in the
    /// row passes (<c>TW</c>) and temperature (<c>TT</c>).</summary>
    private readonly struct Rows(SoftmaxRowParams p) : IFusedLabelRows
    {
        public int Classes => p.K;

        public int IgnoreIndex => p.IgnoreIndex;

        public double Specialized<TJob>(in TJob job, int b) where TJob : struct, ISpecialized =>
            Specialize.Run(job, b, ShortRows.Apply(p.K) ? Specialize.AnyLength : p.K,
                Specialize.Flag(p.Eps > 0), Specialize.Flag(p.Wf != null), Specialize.Flag(p.Tau != 1.0));

        public int ShortRowGroups<TV, TS, TW, TT>(float* zb, int* yb, float* gb, float* rb, int start, int end, ref double sum)
            where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst =>
            CrossEntropyIndexKernel.ShortRowGroups<TV, TS, TW, TT>(zb, yb, gb, rb, start, end, p, ref sum);

        public double Row<TV, TS, TW, TT>(float* zi, float* gi, float* zNext, int label)
            where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst =>
            CrossEntropyIndexKernel.Row<TV, TS, TW, TT>(zi, gi, zNext, label, p);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row<TV, TS, TW, TT>(float* z, float* g, float* zNext, int label, in SoftmaxRowParams p)
        where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst
    {
        int k = p.K;
        float max = RowMax.Of<TV>(z, k);
        if (!float.IsFinite(max))
        {
            return Fallback(z, g, label, p);
        }

        double d = 0;
        double s = TS.On
            ? RowExpSum.Run<TV, SmoothedExp<TW>, TT>(z, null, p.Wf, g, k, max, p.InvTauF, 1f, 0f, zNext, null, out d, out _)
            : RowExpSum.Run<TV, PlainExp<No>, TT>(z, null, null, g, k, max, p.InvTauF, 1f, 0f, zNext, null, out _, out _);

        double loss = Loss<TS>(z, label, max, Math.Log(s), d, p, out double hard);
        if (!double.IsFinite(loss))
        {
            return Fallback(z, g, label, p);
        }

        if (g != null)
        {
            if (!GradientFits<TS>(hard, p))
            {
                return Fallback(z, g, label, p);
            }

            float ey = g[label];
            double invS = 1.0 / s;
            float a = GradientFactor<TS>(invS, hard, p);
            if (TS.On)
            {
                RowGradient.Run<TV, SmoothedGradient<TW>>(g, null, p.Wf, k, a, -p.SmoothF);
            }
            else
            {
                RowGradient.Run<TV, ScaledExp>(g, null, null, k, a);
            }

            g[label] = LabelGradient<TS>(ey, invS, hard, label, p);
        }

        return loss;
    }

    /// <summary>The row loss in double from <c>log S</c> and (with smoothing) <c>d = Σ_c w_c (z_c - max)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Loss<TS>(float* z, int label, float max, double ls, double d, in SoftmaxRowParams p, out double hard)
        where TS : struct, IConst
    {
        double m = max * p.InvTau; // = max_c (z_c / τ) in double, exactly as LogSumExp.Parts forms it
        hard = (1 - p.Eps) * (p.Wd == null ? 1.0 : p.Wd[label]);
        // (m - u_y) first: exact for floats of similar size, and not rounded to the spacing of m (logits of 1e8).
        double loss = hard == 0 ? 0 : hard * ((m - (z[label] * p.InvTau)) + ls);
        if (TS.On)
        {
            loss += p.SmoothPerClass * ((p.WeightTotal * ls) - (d * p.InvTau));
        }

        return loss;
    }

    /// <summary>True when the row's gradient can be applied in float: its unit <c>s Σq / τ</c> (which bounds the factor
    /// <c>a</c>, every <c>e_c a</c> and <c>w_c b</c>) and, with smoothing, <c>b</c> lie within <see cref="FloatRange"/>.
    /// Class weights beyond float range would otherwise make <c>a</c> overflow to ∞ and the row's gradient ±∞ or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool GradientFits<TS>(double hard, in SoftmaxRowParams p) where TS : struct, IConst =>
        p.IndexGradientAlwaysFits ||
        (FloatRange.Fits((TS.On ? hard + (p.SmoothPerClass * p.WeightTotal) : hard) * p.SInv) && (!TS.On || p.SmoothFits));

    /// <summary>The gradient factor <c>a = s Σq / (τ S)</c> of <c>g_c = e_c a - w_c b</c> (the label's entry is then
    /// replaced); <c>b = s ε / (K τ)</c> is <see cref="SoftmaxRowParams.SmoothF"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float GradientFactor<TS>(double invS, double hard, in SoftmaxRowParams p) where TS : struct, IConst =>
        (float)((TS.On ? hard + (p.SmoothPerClass * p.WeightTotal) : hard) * invS * p.SInv);

    /// <summary>
    /// The label's entry <c>(p_y Σq - q_y) s / τ</c> in double from <c>e_y</c>: it cancels when the prediction is
    /// confident (<c>p_y → 1</c>) or K = 1, where the float form would leave an error of one ulp of <c>Σq</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LabelGradient<TS>(float ey, double invS, double hard, int label, in SoftmaxRowParams p)
        where TS : struct, IConst
    {
        if (!TS.On)
        {
            return (float)(((ey * invS * hard) - hard) * p.SInv); // Σq = q_y = (1 - ε) w_y
        }

        double qTotal = hard + (p.SmoothPerClass * p.WeightTotal);
        double qy = hard + (p.SmoothPerClass * (p.Wd == null ? 1.0 : p.Wd[label]));
        return (float)(((ey * invS * qTotal) - qy) * p.SInv);
    }

    /// <summary>The reference row (<see cref="CrossEntropyRows.Index{T}"/>), for rows with non-finite logits or loss.</summary>
    private static double Fallback<T>(T* z, T* g, int label, in SoftmaxRowParams p) where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossEntropyRows.Index(new ReadOnlySpan<T>(z, p.K), label, p.Weights, p.Eps, p.Tau, p.WeightTotal, p.Scale,
            g == null ? default : new Span<T>(g, p.K));
}
