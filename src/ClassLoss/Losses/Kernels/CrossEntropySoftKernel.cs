using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The kernels of softmax cross-entropy from logits with probability (soft) targets — class weights, label smoothing,
/// temperature — loss and gradient fused: a generic one (double arithmetic, one <see cref="CrossEntropyRows.Soft{T}"/>
/// per row) and a float SIMD one (<see cref="Fused"/>) that also checks the targets while it reads them.
/// </summary>
/// <remarks>
/// <para>Formula (PyTorch's <c>CrossEntropyLoss</c> with probability targets, Optax's <c>softmax_cross_entropy</c>;
/// see <see cref="SoftmaxCrossEntropy"/>): with <c>u = z / τ</c>, <c>m = max_c u_c</c>, <c>S = Σ_c exp(u_c - m)</c>
/// and <c>q_c = w_c ((1 - ε) t_c + ε / K)</c>, the row loss is
/// <c>ℓ = Σ_c q_c (m - u_c + log S) = Q log S - Σ_c q_c (u_c - m)</c> with <c>Q = Σ_c q_c</c> (terms with
/// <c>q_c = 0</c> are left out, so a masked <c>-∞</c> logit with zero target contributes 0, as in the generic path),
/// and the gradient <c>∂ℓ/∂z_c = (p_c Q - q_c) / τ</c> (seed 004's <c>-y_j + p_j Σ y</c>).</para>
/// <para>Fused rows: <see cref="RowMax"/> finds <c>max_c z_c</c> and checks the targets in the same read (every
/// <c>t_c</c> in [0, 1], the row sum within the tolerance); <see cref="RowExpSum"/> with
/// <see cref="SoftTargetExp{TS, TW, TM}"/> writes <c>e_c</c> into the gradient buffer and sums <c>e_c</c>,
/// <c>q_c</c> and <c>q_c (z_c - max)</c> (each sum has terms of one sign, so no cancellation);
/// <see cref="RowGradient"/> with <see cref="SoftTargetGradient{TS, TW}"/> overwrites the row with
/// <c>g_c = (e_c Q / S - q_c) · s / τ</c>. The logits and targets are read from memory once and the gradient written
/// once. Rows of K ≤ <see cref="ShortRows.MaxClasses"/> run with rows in lanes.</para>
/// <para>Validation: a row whose targets fail the check, or whose float row sum lies within <see cref="SumMargin"/>
/// (bounding the float summation error) of the tolerance, is flagged; <see cref="Fused"/> returns the first flagged
/// row, from which the caller re-checks every row exactly, in order, so a bad target throws the same exception (same
/// row and column) as the generic path, after the outputs have been written.</para>
/// <para>A row whose maximum logit is not finite, whose loss comes out non-finite (a positive target on a masked
/// class, overflow of <c>z - max</c>), or whose gradient terms leave float range (<see cref="FloatRange"/>), is
/// recomputed by <see cref="CrossEntropyRows.Soft{T}"/>. Threads, blocks and
/// allocation as <see cref="CrossEntropyIndexKernel"/>.</para>
/// </remarks>
internal static unsafe partial class CrossEntropySoftKernel
{
    // |float sum - double sum| of a row of targets in [0, 1]: each flushed piece has at most 4 terms per lane
    // (RowMax's check runs two accumulators, flushed every 8 vectors), one combine of the two and log2(lanes) ≤ 4 tree
    // levels, so ≤ 8 · 2^-24 · Σt < 5e-7 · Σt; rows within 1e-5 of the tolerance are re-checked exactly.
    private const double SumMargin = 1e-5;

    /// <summary>True when <see cref="Fused"/> computes what the generic kernel would (unless a class weight does not
    /// survive the conversion to float).</summary>
    public static bool Covers(ReadOnlySpan<double> weights) => CrossEntropyIndexKernel.WeightsFitFloat(weights);

    /// <summary>The generic kernel (targets already checked): every row in double (<see cref="CrossEntropyRows.Soft{T}"/>);
    /// returns the sum of the row losses.</summary>
    public static double Generic<T>(in Batch<T, T> b, ReadOnlySpan<double> weights, double smoothing, double temperature, double scale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RowwiseKernel.Targets<T, CrossEntropyRows.SoftRow, CrossEntropyRows.Parameters>(b,
            new CrossEntropyRows.Parameters(weights, smoothing, temperature, b.Classes), scale);

    /// <summary>The fused kernel for float, <see cref="Half"/> or <see cref="BFloat16"/> logits and targets
    /// (<see cref="FusedTargetRows"/>: a 16-bit type runs the same rows in the same order on float copies of a few rows
    /// of logits and targets at a time, so its loss and target check are the float path's on the widened values bit for
    /// bit, and its gradient and row losses the float path's rounded to <typeparamref name="T"/>); returns the sum of the
    /// row losses and, in <paramref name="checkFrom"/>, the first row whose targets must still be checked exactly (N when
    /// none).</summary>
    public static double Fused<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k, ReadOnlySpan<double> weights,
        double smoothing, double temperature, double tolerance, double scale, Span<T> gradient, Span<T> rowLosses,
        int maxThreads, out int checkFrom)
        where T : unmanaged
    {
        if (typeof(T) == typeof(double))
        {
            return FusedDouble(MemoryMarshal.Cast<T, double>(logits), MemoryMarshal.Cast<T, double>(targets), k, weights, smoothing,
                temperature, tolerance, scale, MemoryMarshal.Cast<T, double>(gradient), MemoryMarshal.Cast<T, double>(rowLosses),
                maxThreads, out checkFrom);
        }

        float[]? floatWeights = weights.IsEmpty ? null : CrossEntropyIndexKernel.FloatWeights(weights);
        fixed (float* wf = floatWeights)
        fixed (double* wd = weights)
        {
            var p = new SoftmaxRowParams(k, weights.IsEmpty ? null : wd, wf, smoothing, temperature, scale, 0, tolerance: tolerance);
            return FusedTargetRows.Sum(new Rows(p), logits, targets, gradient, rowLosses, maxThreads, out checkFrom);
        }
    }

    /// <summary>The row functions, compiled per width and per switch: smoothing (<c>TS</c>), weights (<c>TW</c>),
    /// temperature (<c>TT</c>).</summary>
    private readonly struct Rows(SoftmaxRowParams p) : IFusedTargetRows
    {
        public int Classes => p.K;

        public bool InLanes => ShortRows.Apply(p.K);

        public double Specialized<TJob>(in TJob job, int b) where TJob : struct, ISpecialized =>
            Specialize.Run(job, b, ShortRows.Apply(p.K) ? Specialize.AnyLength : p.K,
                Specialize.Flag(p.Eps > 0), Specialize.Flag(p.Wf != null), Specialize.Flag(p.Tau != 1.0));

        public int ShortRowGroups<TV, TS, TW, TT>(float* z, float* t, float* g, float* r, int start, int end, ref double sum, ref int flagged)
            where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst =>
            CrossEntropySoftKernel.ShortRowGroups<TV, TS, TW, TT>(z, t, g, r, start, end, p, ref sum, ref flagged);

        public double Row<TV, TS, TW, TT>(float* z, float* t, float* g, float* zNext, float* tNext, out bool suspect)
            where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst =>
            CrossEntropySoftKernel.Row<TV, TS, TW, TT>(z, t, g, zNext, tNext, p, out suspect);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Row<TV, TS, TW, TT>(float* z, float* t, float* g, float* zNext, float* tNext, in SoftmaxRowParams p, out bool suspect)
        where TV : struct, IVec<TV, float> where TS : struct, IConst where TW : struct, IConst where TT : struct, IConst
    {
        int k = p.K;
        float max = RowMax.Of<TV, Yes>(z, t, k, out TargetCheck check);
        suspect = Suspect(check.TargetSum, check.TargetsInRange, p.Tolerance);
        if (!float.IsFinite(max))
        {
            return Fallback(z, t, g, p);
        }

        // Rows without a -∞ logit skip the select that keeps 0·(-∞) out of Σ q (z - max).
        double s = check.LogitMin == float.NegativeInfinity
            ? RowExpSum.Run<TV, SoftTargetExp<TS, TW, Yes>, TT>(z, t, p.Wf, g, k, max, p.InvTauF, p.OneMinusEpsF, p.SmoothPerClassF,
                zNext, tNext, out double q, out double qx)
            : RowExpSum.Run<TV, SoftTargetExp<TS, TW, No>, TT>(z, t, p.Wf, g, k, max, p.InvTauF, p.OneMinusEpsF, p.SmoothPerClassF,
                zNext, tNext, out q, out qx);
        double qTotal = TS.On || TW.On ? q : check.TargetSum;
        double loss = (qTotal * Math.Log(s)) - (qx * p.InvTau);
        if (!double.IsFinite(loss) || (g != null && !GradientFits(qTotal, p)))
        {
            return Fallback(z, t, g, p);
        }

        if (g != null)
        {
            RowGradient.Run<TV, SoftTargetGradient<TS, TW>>(g, t, p.Wf, k, (float)(qTotal / s), p.SInvF, p.OneMinusEpsF, p.SmoothPerClassF);
        }

        return loss;
    }

    /// <summary>True when the row's gradient <c>(e_c Q/S - q_c)·s/τ</c> can be formed in float: its unit <c>Q s / τ</c>
    /// (bounding every intermediate) and <c>s / τ</c> lie within <see cref="FloatRange"/>. Class weights beyond float
    /// range would otherwise make the product overflow to ∞ and the row's gradient ±∞ or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool GradientFits(double qTotal, in SoftmaxRowParams p) => FloatRange.Fits(qTotal * p.SInv) && p.SInvFits;

    /// <summary>True unless the row certainly passes <see cref="Validation.Guard.ProbabilityRow{T}"/>: its target sum
    /// <paramref name="tSum"/>, accumulated with relative error below <paramref name="margin"/>, lies inside the tolerance
    /// by more than that error (<see cref="SumMargin"/> for float targets, <see cref="DoubleSumMargin"/> for double).</summary>
    private static bool Suspect(double tSum, bool inRange, double tolerance, double margin = SumMargin) =>
        !inRange || !double.IsFinite(tSum) ||
        (!double.IsNaN(tolerance) && !(Math.Abs(tSum - 1.0) <= tolerance - (margin * Math.Max(1.0, tSum))));

    /// <summary>The reference row (<see cref="CrossEntropyRows.Soft{T}"/>), for rows with non-finite logits or loss.</summary>
    private static double Fallback<T>(T* z, T* t, T* g, in SoftmaxRowParams p) where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossEntropyRows.Soft(new ReadOnlySpan<T>(z, p.K), new ReadOnlySpan<T>(t, p.K), p.Weights, p.Eps, p.Tau, p.Scale,
            g == null ? default : new Span<T>(g, p.K));
}
