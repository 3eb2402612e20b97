using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="KlDivergence"/> (PyTorch's <c>KLDivLoss</c> semantics).</summary>
/// <defaults>The defaults: probability targets, mean over N·K elements (PyTorch's default; use BatchMean for the true KL).</defaults>
[Options]
public sealed partial record KlDivergenceOptions : LossOptions
{
    /// <summary>
    /// When true the targets are log-probabilities (PyTorch's <c>log_target=True</c>): each ≤ 0, <c>-∞</c> meaning
    /// probability 0. Default false: targets are probabilities in [0, 1].
    /// </summary>
    public bool LogTarget { get; init; }

    /// <summary>The unit of the loss, its losses and its gradient: <see cref="InformationUnit.Nats"/> (default) or
    /// <see cref="InformationUnit.Bits"/> (everything divided by ln 2).</summary>
    public InformationUnit Units { get; init; }

    internal override double OutputScale => InformationUnits.PerNat(Units);

    private protected override void Validate(int classes) => InformationUnits.PerNat(Units);

    /// <summary>All three anchors take probability targets by default (PyTorch's <c>log_target=False</c>; TorchSharp's
    /// <c>KLDivLoss</c> defaults to true, PyTorch does not).</summary>
    private protected override LossOptions WithLossConvention(Convention convention) => this with { LogTarget = false };
}

/// <summary>
/// Kullback–Leibler divergence <c>KL(t ‖ q) = Σ t (log t - log q)</c> with the input given as log-probabilities
/// <c>log q</c>: PyTorch's <c>KLDivLoss</c> (<c>F.kl_div(input, target)</c>).
/// </summary>
/// <remarks>
/// <para>Per element: <c>ℓ = t (log t - x)</c> for probability targets, <c>ℓ = e^{lt} (lt - x)</c> for log targets;
/// <c>0 · log 0 = 0</c> and a zero target contributes 0 even where <c>x = -∞</c> (PyTorch's
/// <c>xlogy(t, t) - t x</c> gives NaN there).</para>
/// <para>Gradient w.r.t. the input: <c>∂ℓ/∂x = -t</c> (<c>-e^{lt}</c>), times the reduction's factor.</para>
/// <para>Reductions (PyTorch): None/Sum the plain sum, Mean divides by N·K (PyTorch's default, which is not the
/// mathematical KL), BatchMean divides by N (the KL averaged over rows; Keras's <c>KLDivergence</c> with its
/// default reduction). The loss buffer takes N row sums or N·K element losses. Keras clips both arguments to
/// [1e-7, 1] before the log, so its numbers differ from these in the 6th-7th digit when a target is 0.</para>
/// <para>KL ≥ 0 for normalised rows, 0 iff t = q, and <c>CE(t, q) = H(t) + KL(t ‖ q)</c>
/// (see <see cref="Entropy"/>). Targets are validated; a NaN input propagates to its own element where the target is nonzero (a zero target
/// contributes 0 whatever the input).</para>
/// </remarks>
public static partial class KlDivergence
{
    /// <summary>One element: <c>t (log t - x)</c> (0 for t = 0), derivative <c>-t</c>; the parameter says whether the target is given as <c>log t</c>.</summary>
    private readonly struct Element : IElementLoss<bool>
    {
        public static double Of(double x, double raw, int column, in bool logTarget, out double derivative)
        {
            double t = logTarget ? Math.Exp(raw) : raw;
            derivative = -t;
            return t == 0 ? 0 : t * ((logTarget ? raw : Math.Log(t)) - x);
        }
    }

    /// <summary>Generic only; the mean divides by N·K.</summary>
    /// <entry>Evaluates KL(target ‖ exp(input)) element-wise over [N, K].</entry>
    /// <input>Row-major [N, K] log-probabilities x of the model.</input>
    /// <targets>Row-major [N, K] target probabilities (or log-probabilities with <see
    /// cref="KlDivergenceOptions.LogTarget"/>).</targets>
    /// <options>Target kind and reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, KlDivergenceOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void CheckTargets(in Batch<T, T> b, KlDivergenceOptions o, int from)
        {
            if (!o.LogTarget)
            {
                Guard.UnitIntervals(b.Targets, b.Classes, from, "targets");
                return;
            }

            for (int at = from * b.Classes; at < b.Targets.Length; at++)
            {
                double v = double.CreateTruncating(b.Targets[at]);
                if (!(v <= 0))
                {
                    throw new ArgumentException(
                        FormattableString.Invariant($"targets row {at / b.Classes}, column {at % b.Classes} is {v}; a log-probability target must be <= 0 (or -inf) and not NaN."), "targets");
                }
            }
        }

        public static double Generic(in Batch<T, T> b, KlDivergenceOptions o, double scale) =>
            ElementwiseKernel.Run<T, Element, bool>(b, default, o.LogTarget, scale);
    }
}

/// <summary>Options of <see cref="Entropy"/> (of probability rows).</summary>
/// <defaults>The defaults: mean over rows, sum tolerance 1e-4, nats.</defaults>
[Options]
public sealed partial record EntropyOptions : LossOptions
{
    /// <summary>How far a row of input probabilities may sum from 1 (default 1e-4); NaN skips the check (values are
    /// still checked to lie in [0, 1]).</summary>
    public double PredictionSumTolerance { get; init; } = 1e-4;

    /// <summary>The unit of the loss, its losses and its gradient: <see cref="InformationUnit.Nats"/> (default) or
    /// <see cref="InformationUnit.Bits"/> (everything divided by ln 2).</summary>
    public InformationUnit Units { get; init; }

    internal override double OutputScale => InformationUnits.PerNat(Units);

    private protected override void Validate(int classes)
    {
        Guard.Option(double.IsNaN(PredictionSumTolerance) || PredictionSumTolerance >= 0, nameof(PredictionSumTolerance), PredictionSumTolerance, "must be >= 0 or NaN");
        InformationUnits.PerNat(Units);
    }
}

/// <summary>Options of <see cref="SoftmaxEntropy"/> (of softmax(logits)).</summary>
/// <defaults>The defaults: mean over rows, nats.</defaults>
[Options]
public sealed partial record SoftmaxEntropyOptions : LossOptions
{
    /// <summary>The unit of the loss, its losses and its gradient: <see cref="InformationUnit.Nats"/> (default) or
    /// <see cref="InformationUnit.Bits"/> (everything divided by ln 2).</summary>
    public InformationUnit Units { get; init; }

    internal override double OutputScale => InformationUnits.PerNat(Units);

    private protected override void Validate(int classes) => InformationUnits.PerNat(Units);
}

/// <summary>
/// Shannon entropy (in nats, or in bits with <see cref="EntropyOptions.Units"/>) of probability rows,
/// <c>H(p) = -Σ_k p_k log p_k</c> with <c>0 log 0 = 0</c>; <see cref="SoftmaxEntropy"/> is the same of softmax(z).
/// </summary>
/// <remarks>
/// <para>Gradient w.r.t. the probabilities (free variables): <c>∂H/∂p_k = -(log p_k + 1)</c>, which is <c>+∞</c> at
/// <c>p_k = 0</c> (the exact one-sided derivative: prefer <see cref="SoftmaxEntropy"/> to regularise a model).
/// Reductions: Mean and BatchMean divide by N. The entropy of a uniform row of K classes is <c>log K</c>; of a one-hot
/// row, 0.</para>
/// </remarks>
public static partial class Entropy
{
    /// <summary>The probability rows' entropy (<see cref="EntropyRows.IKernel{T, TLogits, TOptions}"/>).</summary>
    /// <entry>Entropy of [N, K] probability rows.</entry>
    /// <input>Row-major [N, K] probabilities, each in [0, 1], rows summing to 1 within the tolerance.</input>
    /// <options>Reduction, tolerance, units; null for the defaults.</options>
    /// <gradient>[N, K] buffer for ∂(reduced entropy)/∂p (overwritten; +∞ where p = 0); empty to skip.</gradient>
    /// <losses>N buffer for each row's entropy (overwritten); empty to skip.</losses>
    /// <sampleWeights>N per-row weights (finite, ≥ 0), or empty for none (<see cref="LossOptions.WeightedMean"/>).</sampleWeights>
    /// <gradOutput>With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N, per row): the gradient written is
    /// the vector-Jacobian product. Empty for ones.</gradOutput>
    [Evaluate]
    private readonly struct Kernel<T> : EntropyRows.IKernel<T, No, EntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The Shannon entropy of <c>softmax(z)</c> from logits with its gradient (an entropy regulariser or confidence penalty),
/// in nats or bits.
/// </summary>
/// <remarks>
/// <para>With <c>log p = z - lse</c>: <c>H = lse - Σ p_k z_k</c> and <c>∂H/∂z_j = -p_j (log p_j + H)</c> (0 for a masked
/// class with <c>p_j = 0</c>). Reductions: Mean and BatchMean divide by N.</para>
/// </remarks>
public static partial class SoftmaxEntropy
{
    /// <summary>The softmax's entropy (<see cref="EntropyRows.IKernel{T, TLogits, TOptions}"/>).</summary>
    /// <entry>Entropy of softmax([N, K] logits) with its gradient.</entry>
    /// <input>Row-major [N, K] logits (<c>-∞</c> allowed for masked classes).</input>
    /// <options>Reduction, units; null for the defaults.</options>
    /// <gradient>[N, K] buffer for ∂(reduced entropy)/∂z (overwritten); empty to skip.</gradient>
    /// <losses>N buffer for each row's entropy (overwritten); empty to skip.</losses>
    /// <sampleWeights>N per-row weights (finite, ≥ 0), or empty for none (<see cref="LossOptions.WeightedMean"/>).</sampleWeights>
    /// <gradOutput>With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N, per row): the gradient written is
    /// the vector-Jacobian product. Empty for ones.</gradOutput>
    [Evaluate]
    private readonly struct Kernel<T> : EntropyRows.IKernel<T, Yes, SoftmaxEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>The rows of <see cref="Entropy"/> and <see cref="SoftmaxEntropy"/>.</summary>
internal static class EntropyRows
{
    /// <summary>One row's entropy: of the probabilities themselves, with <c>∂H/∂p_k = -(log p_k + 1)</c>, or
    /// (<typeparamref name="TLogits"/>) of softmax(z) with <c>∂H/∂z_j = -p_j (log p_j + H)</c>.</summary>
    private readonly struct Row<TLogits> : ITargetRow<byte> where TLogits : struct, IConst
    {
        public static double Of<T>(ReadOnlySpan<T> row, ReadOnlySpan<T> unused, in byte none, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            double h = 0;
            if (!TLogits.On)
            {
                for (int k = 0; k < row.Length; k++)
                {
                    h -= StableMath.Xlogx(double.CreateTruncating(row[k]));
                }

                for (int k = 0; k < g.Length; k++)
                {
                    double p = double.CreateTruncating(row[k]);
                    g[k] = T.CreateTruncating(p == 0 ? (scale == 0 ? 0 : double.PositiveInfinity) : -(Math.Log(p) + 1) * scale);
                }

                return h;
            }

            // log p = (z - m) - ls, never z - (m + ls), which loses ls next to a large maximum m.
            double ls = LogSumExp.Parts(row, 1.0, out double m);
            for (int k = 0; k < row.Length; k++)
            {
                double logP = (double.CreateTruncating(row[k]) - m) - ls;
                double p = Math.Exp(logP);
                if (p != 0)
                {
                    h -= p * logP;
                }
            }

            for (int k = 0; k < g.Length; k++)
            {
                double logP = (double.CreateTruncating(row[k]) - m) - ls;
                double p = Math.Exp(logP);
                g[k] = T.CreateTruncating(p == 0 ? 0 : -p * (logP + h) * scale);
            }

            return h;
        }
    }

    /// <summary>Generic only; no targets (the probability form checks its input rows); the mean divides by N. A loss's
    /// kernel is a struct that implements it with its options type.</summary>
    public interface IKernel<T, TLogits, TOptions> : INoTargetsKernel<T, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T> where TLogits : struct, IConst where TOptions : LossOptions
    {
        static double ILossKernel<T, T, TOptions>.Prepare(in Batch<T, T> b, TOptions o)
        {
            if (!TLogits.On && o is EntropyOptions e)
            {
                Guard.ProbabilityRows(b.Input, b.Classes, 0, e.PredictionSumTolerance, "input");
            }

            return b.RowTotal;
        }

        static double ILossKernel<T, T, TOptions>.Generic(in Batch<T, T> b, TOptions o, double scale) =>
            RowwiseKernel.Targets<T, Row<TLogits>, byte>(b, 0, scale);
    }
}
