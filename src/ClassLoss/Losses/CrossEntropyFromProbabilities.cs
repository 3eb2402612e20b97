using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>How a loss over probabilities keeps <c>log p</c> finite when a probability is 0 (or 1).</summary>
public enum ProbabilityClamp
{
    /// <summary>
    /// PyTorch's <c>BCELoss</c> convention: <c>max(log p, -100)</c>. The derivative is <c>1/p</c> where
    /// <c>log p &gt; -100</c> and 0 where the clamp is active (the clamp's own derivative), except in
    /// <see cref="BinaryCrossEntropyFromProbabilities"/>, whose gradient is PyTorch's <c>BCELoss</c> backward with
    /// its denominator bounded by <c>1e-12</c>.
    /// </summary>
    LogAtMinus100,

    /// <summary>
    /// Keras's convention: clip p to <c>[ε, 1 - ε]</c> (ε = <c>backend.epsilon()</c> = 1e-7 by default) before the
    /// log. The derivative is <c>1/p</c> strictly inside the interval and 0 outside it. (Keras's binary
    /// cross-entropy also adds ε inside the log and its categorical cross-entropy first renormalises each row to
    /// sum 1; this library does neither: the difference is below ε relative for valid rows.)
    /// </summary>
    KerasClip,

    /// <summary>No clamp: <c>log 0 = -∞</c> gives an infinite loss (the exact mathematics).</summary>
    None,

    /// <summary>PyTorch's convention by its name: <see cref="LogAtMinus100"/>.</summary>
    Pytorch = LogAtMinus100,

    /// <summary>Keras's convention by its name: <see cref="KerasClip"/>.</summary>
    Keras = KerasClip,

    /// <summary>scikit-learn's <c>log_loss</c> convention, the same clip to <c>[ε, 1 - ε]</c> as Keras's
    /// (<see cref="KerasClip"/>); scikit-learn's ε is the dtype's machine epsilon, so pass
    /// <c>ClipEpsilon = 2.220446049250313e-16</c> for float64 inputs.</summary>
    Sklearn = KerasClip,
}

/// <summary>Options of <see cref="CrossEntropyFromProbabilities"/>.</summary>
/// <defaults>The defaults: no weights, ignore index -100, PyTorch's log clamp at -100, mean reduction.</defaults>
[Options(Takes = SharedOptions.ClassWeights | SharedOptions.IgnoreIndex | SharedOptions.TargetSumTolerance, Clamped = true)]
public sealed partial record CrossEntropyFromProbabilitiesOptions : LossOptions
{
    /// <summary>How <c>log p</c> is kept finite. Default <see cref="ProbabilityClamp.LogAtMinus100"/> (PyTorch-like).</summary>
    public ProbabilityClamp Clamp { get; init; } = ProbabilityClamp.LogAtMinus100;

    /// <summary>The ε of <see cref="ProbabilityClamp.KerasClip"/>, in [1e-300, 0.5). Default 1e-7 (Keras's <c>epsilon()</c>).</summary>
    public double ClipEpsilon { get; init; } = 1e-7;

    /// <summary>How far a row of predicted probabilities may sum from 1 (default 1e-4, the targets' check): a row that
    /// does not is an error naming it, not a silently wrong loss. NaN skips the check. Ignored with
    /// <see cref="Renormalize"/>.</summary>
    public double PredictionSumTolerance { get; init; } = 1e-4;

    /// <summary>Keras's convention: divide each prediction row by its sum before the clamp (<c>p / Σ p</c>; the gradient
    /// goes through the division). Keras's <c>CategoricalCrossentropy</c> does this always, so a row summing to 1.99
    /// gives Keras's 0.3240 rather than 0.0946. Default false: rows must sum to 1.</summary>
    public bool Renormalize { get; init; }

    /// <summary>The unit of the loss, its losses and its gradient: <see cref="InformationUnit.Nats"/> (default) or
    /// <see cref="InformationUnit.Bits"/> (everything divided by ln 2).</summary>
    public InformationUnit Units { get; init; }

    internal override double OutputScale => InformationUnits.PerNat(Units);

    private protected override void Validate(int classes)
    {
        InformationUnits.PerNat(Units);
        ProbabilityInputs.CheckOptions(Clamp, ClipEpsilon, PredictionSumTolerance);
    }

    /// <summary>PyTorch's log clamp and rows as given; Keras's clip at 1e-7 and renormalised rows; Optax's unclamped log.</summary>
    private protected override LossOptions WithLossConvention(Convention convention) =>
        WithConventionClamp(convention) with { Renormalize = convention == Convention.Keras };
}

/// <summary>
/// Categorical cross-entropy of predicted probabilities (softmax applied by the model; Keras's
/// <c>CategoricalCrossentropy(from_logits=False)</c>, sklearn's <c>log_loss</c>) against class indices or
/// probability targets.
/// </summary>
/// <remarks>
/// <para>Per row: <c>ℓ_i = -Σ_c q_c clog(p_{i,c})</c> with <c>q_c = w_y [c = y]</c> for an index target and
/// <c>q_c = w_c t_c</c> for probability targets; <c>clog</c> is the clamped log of <see cref="ProbabilityClamp"/>.
/// Terms with <c>q_c = 0</c> are 0 even at <c>p_c = 0</c>.</para>
/// <para>Gradient w.r.t. the probabilities (treated as free variables): <c>∂ℓ_i/∂p_{i,c} = -q_c / p_{i,c}</c>
/// where the clamp is inactive, 0 where it is active. PyTorch's <c>BCELoss</c> backward instead divides by
/// <c>max(p(1-p), 1e-12)</c>; the two agree wherever the clamp is inactive.</para>
/// <para>Mean: index targets divide by <c>Σ w_{y_i}</c> over rows that are not ignored (PyTorch's weighted mean);
/// probability targets divide by N. Probabilities must be finite and in [0, 1] (rows need not sum to 1).</para>
/// <para>Prefer <see cref="SoftmaxCrossEntropy"/> when logits are available: it needs no clamp and is exact.</para>
/// </remarks>
public static partial class CrossEntropyFromProbabilities
{
    /// <summary>This loss's prediction check: every entry finite and in [0, 1] and, unless renormalising, every row
    /// summing to 1 within <see cref="CrossEntropyFromProbabilitiesOptions.PredictionSumTolerance"/>, naming the row.</summary>
    private static void CheckPredictions<T>(ReadOnlySpan<T> input, int classes, CrossEntropyFromProbabilitiesOptions o)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Guard.PredictionRows(input, classes, o.Renormalize, o.PredictionSumTolerance, nameof(input));

    /// <summary>Checks that every predicted probability is finite and in [0, 1], naming row and column.</summary>
    internal static void CheckProbabilities<T>(ReadOnlySpan<T> input, int classes)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Guard.UnitIntervals(input, classes, 0, nameof(input));

    /// <summary>The rows: <c>-Σ_c q_c clog(p_c)</c> with <c>q = w_y [c = y]</c> or <c>q_c = w_c t_c</c>; gradient <c>-q_c clog'(p_c)</c>.</summary>
    private readonly struct Rows : ILabelRow<CrossEntropyFromProbabilitiesOptions>, ITargetRow<CrossEntropyFromProbabilitiesOptions>
    {
        public static double Of<T>(ReadOnlySpan<T> p, int y, in CrossEntropyFromProbabilitiesOptions o, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            g.Clear();
            double wy = o.WeightSpan.IsEmpty ? 1.0 : o.WeightSpan[y];
            if (wy == 0)
            {
                return 0;
            }

            double sum = o.Renormalize ? Guard.RowSum(p) : 1.0;
            double l = ClampedLog.Log(double.CreateTruncating(p[y]) / sum, o.Clamp, o.ClipEpsilon, out double d);
            if (!g.IsEmpty)
            {
                // dL/du_y = -w_y d; through u = p / S: dL/dp_j = (dL/du_j - Σ_c u_c dL/du_c) / S.
                double gy = -wy * d;
                if (o.Renormalize)
                {
                    double uy = double.CreateTruncating(p[y]) / sum;
                    for (int c = 0; c < g.Length; c++)
                    {
                        g[c] = T.CreateTruncating(((c == y ? gy : 0) - (uy * gy)) / sum * scale);
                    }
                }
                else
                {
                    g[y] = T.CreateTruncating(gy * scale);
                }
            }

            return -wy * l;
        }

        public static double Of<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t, in CrossEntropyFromProbabilitiesOptions o, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            double sum = o.Renormalize ? Guard.RowSum(p) : 1.0;
            double loss = 0, uDotG = 0;
            for (int c = 0; c < p.Length; c++)
            {
                double q = (o.WeightSpan.IsEmpty ? 1.0 : o.WeightSpan[c]) * double.CreateTruncating(t[c]);
                double gc = 0;
                if (q != 0)
                {
                    double u = double.CreateTruncating(p[c]) / sum;
                    double l = ClampedLog.Log(u, o.Clamp, o.ClipEpsilon, out double d);
                    loss -= q * l;
                    gc = -q * d;
                    uDotG += u * gc;
                }

                if (!g.IsEmpty)
                {
                    g[c] = T.CreateTruncating(o.Renormalize ? gc : gc * scale);
                }
            }

            if (o.Renormalize && !g.IsEmpty)
            {
                for (int c = 0; c < g.Length; c++)
                {
                    g[c] = T.CreateTruncating((double.CreateTruncating(g[c]) - uDotG) / sum * scale);
                }
            }

            return loss;
        }
    }

    /// <summary>Class-index targets; the mean divides by the weight of the counted rows.</summary>
    /// <entry>Cross-entropy of [N, K] probabilities against N class indices.</entry>
    /// <input>Row-major [N, K] predicted probabilities, each in [0, 1].</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Weights, ignore index, clamp, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct IndexTargets<T> : ILossKernel<T, int, CrossEntropyFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, int> b, CrossEntropyFromProbabilitiesOptions o)
        {
            CheckPredictions(b.Input, b.Classes, o);
            return Guard.Labels(b.Targets, b.Classes, o.IgnoreIndex, o.WeightSpan, b.SampleWeights, "targets");
        }

        public static double Generic(in Batch<T, int> b, CrossEntropyFromProbabilitiesOptions o, double scale) =>
            RowwiseKernel.Labels<T, Rows, CrossEntropyFromProbabilitiesOptions>(b, o.IgnoreIndex, o, scale);
    }

    /// <summary>Probability targets; the mean divides by N.</summary>
    /// <entry>Cross-entropy of [N, K] probabilities against [N, K] probability (soft) targets.</entry>
    /// <input>Row-major [N, K] predicted probabilities, each in [0, 1].</input>
    /// <targets>Row-major [N, K] target probabilities, each in [0, 1], rows summing to 1 (see the tolerance
    /// option).</targets>
    /// <options>Weights, clamp, reduction; the ignore index does not apply.</options>
    [Evaluate]
    private readonly struct ProbabilityTargets<T> : IDistributionKernel<T, CrossEntropyFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, CrossEntropyFromProbabilitiesOptions o)
        {
            CheckPredictions(b.Input, b.Classes, o);
            return b.RowTotal;
        }

        public static double Generic(in Batch<T, T> b, CrossEntropyFromProbabilitiesOptions o, double scale) =>
            RowwiseKernel.Targets<T, Rows, CrossEntropyFromProbabilitiesOptions>(b, o, scale);
    }
}
