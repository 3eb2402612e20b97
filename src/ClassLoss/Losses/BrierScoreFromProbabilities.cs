using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>What a Brier score's <see cref="Reduction.Mean"/> divides by.</summary>
public enum BrierAverage
{
    /// <summary>
    /// Sum the squared errors over the K classes of a row, then average over rows: <c>(1/N) Σ_i Σ_k (p - y)²</c>.
    /// Brier's original multi-class score, sklearn's multi-class <c>brier_score_loss</c> (sklearn ≥ 1.7) and seeds 001/003. For a
    /// single binary output (K = 1) it is sklearn's binary Brier score.
    /// </summary>
    PerRowSum,

    /// <summary>Average over all N·K elements: <c>(1/(N K)) Σ (p - y)²</c>, as PyTorch's <c>MSELoss</c> and Keras's <c>MeanSquaredError</c>.</summary>
    PerElement,
}

/// <summary>What the three Brier scores' options share (<see cref="BrierScoreFromProbabilitiesOptions"/>,
/// <see cref="SoftmaxBrierScoreOptions"/>, <see cref="SigmoidBrierScoreOptions"/>): what the mean divides by.</summary>
/// <takes>Takes <see cref="LossOptions.IgnoreIndex"/> (index targets) and <see cref="LossOptions.TargetSumTolerance"/>
/// (probability targets).</takes>
[Options(Takes = SharedOptions.IgnoreIndex | SharedOptions.TargetSumTolerance)]
public abstract partial record BrierScoreOptions : LossOptions
{
    /// <summary>What the mean divides by. Default <see cref="BrierAverage.PerRowSum"/>.</summary>
    public BrierAverage Average { get; init; } = BrierAverage.PerRowSum;

    private protected override void Validate(int classes)
    {
        Guard.Option(Enum.IsDefined(Average), nameof(Average), (double)Average, "is not a known average");
    }

    internal double Denominator(double countedRows, int classes) => Average == BrierAverage.PerElement ? countedRows * classes : countedRows;

    /// <summary>Keras's <c>MeanSquaredError</c> averages over the classes, then the batch: the element mean.</summary>
    private protected override Reduction ConventionReduction(Convention convention) =>
        convention == Convention.Keras ? Reduction.Mean : base.ConventionReduction(convention);

    /// <summary>PyTorch's <c>MSELoss</c>, Keras's <c>MeanSquaredError</c> and Optax's <c>squared_error</c> are element
    /// means, not Brier's per-row sum.</summary>
    private protected override LossOptions WithLossConvention(Convention convention) => this with { Average = BrierAverage.PerElement };
}

/// <summary>Options of <see cref="BrierScoreFromProbabilities"/>.</summary>
/// <defaults>The defaults: per-row sum averaged over rows, ignore index -100, mean reduction.</defaults>
[Options]
public sealed partial record BrierScoreFromProbabilitiesOptions : BrierScoreOptions;

/// <summary>Options of <see cref="SoftmaxBrierScore"/>.</summary>
/// <defaults>The defaults: per-row sum averaged over rows, ignore index -100, mean reduction.</defaults>
[Options]
public sealed partial record SoftmaxBrierScoreOptions : BrierScoreOptions;

/// <summary>Options of <see cref="SigmoidBrierScore"/> (element targets: no ignore index, no row sums).</summary>
/// <defaults>The defaults: per-row sum averaged over rows, mean reduction.</defaults>
/// <takes>Takes none of the shared per-class options.</takes>
[Options(Takes = SharedOptions.None)]
public sealed partial record SigmoidBrierScoreOptions : BrierScoreOptions;

/// <summary>
/// The Brier score (mean squared error) of predicted probabilities against class indices or probability targets.
/// </summary>
/// <remarks>
/// <para>Per row: <c>ℓ_i = Σ_k (p_{ik} - y_{ik})²</c> (y one-hot for an index target). Gradient w.r.t. the
/// probabilities (free variables): <c>2 (p - y)</c> times the reduction's factor. Mean divides by the counted rows
/// or by counted rows × K (<see cref="BrierAverage"/>). A strictly proper scoring rule, bounded (at most 2 per
/// row), and not convex in the logits; unlike cross-entropy it does see how the wrong mass is spread: against
/// (1, 0, 0), (0.8, 0.2, 0) scores 0.08 and (0.8, 0.1, 0.1) scores 0.06 (seeds 001 and 003).</para>
/// </remarks>
public static partial class BrierScoreFromProbabilities
{
    /// <summary>Class-index targets (<see cref="BrierRows.IIndexTargets{T, TSoftmax, TOptions}"/>).</summary>
    /// <entry>Brier score of [N, K] probabilities against N class indices.</entry>
    /// <input>Row-major [N, K] predicted probabilities, each in [0, 1].</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Average, ignore index, reduction; null for the defaults.</options>
    /// <gradient>[N, K] buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</gradient>
    /// <losses>N row losses or N·K element losses <c>(p - y)²</c> (overwritten); empty to skip.</losses>
    /// <gradOutput>With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per element): the
    /// gradient written is the vector-Jacobian product (through the softmax for the softmax form). Empty for ones.</gradOutput>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct LabelKernel<T> : BrierRows.IIndexTargets<T, No, BrierScoreFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Probability targets (<see cref="BrierRows.IProbabilityTargets{T, TSoftmax, TOptions}"/>).</summary>
    /// <entry>Brier score of [N, K] probabilities against [N, K] probability targets.</entry>
    /// <input>Row-major [N, K] predicted probabilities, each in [0, 1].</input>
    /// <targets>Row-major [N, K] target probabilities (rows summing to 1 within the tolerance).</targets>
    /// <options>Average, reduction; null for the defaults.</options>
    /// <gradient>[N, K] buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</gradient>
    /// <losses>N row losses or N·K element losses <c>(p - y)²</c> (overwritten); empty to skip.</losses>
    /// <gradOutput>With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per element): the
    /// gradient written is the vector-Jacobian product (through the softmax for the softmax form). Empty for ones.</gradOutput>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct ProbabilityKernel<T> : BrierRows.IProbabilityTargets<T, No, BrierScoreFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The binary Brier score in scikit-learn's convention (<c>brier_score_loss(y_true, y_proba, sample_weight=,
    /// pos_label=)</c>): N probabilities of the positive class against N labels, a label equal to
    /// <paramref name="positiveLabel"/> being the positive outcome and any other the negative one;
    /// <c>ℓ_i = (p_i - [y_i = pos])²</c>, averaged over rows (weighted by <paramref name="sampleWeights"/>).
    /// </summary>
    /// <param name="input">N probabilities of the positive class, each in [0, 1].</param>
    /// <param name="targets">N labels (any integers).</param>
    /// <param name="positiveLabel">The label of the positive class (scikit-learn's <c>pos_label</c>, default 1).</param>
    /// <param name="options">Reduction; null for the defaults (mean).</param>
    /// <param name="gradient">N buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</param>
    /// <param name="losses">N row losses or N·K element losses <c>(p - y)²</c> (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none (scikit-learn's weighted mean).</param>
    public static LossResult Binary<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int positiveLabel,
        BrierScoreFromProbabilitiesOptions? options, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> sampleWeights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Length(targets.Length, input.Length, nameof(targets));
        T[] outcomes = System.Buffers.ArrayPool<T>.Shared.Rent(targets.Length);
        try
        {
            Span<T> t = outcomes.AsSpan(0, targets.Length);
            for (int i = 0; i < t.Length; i++)
            {
                t[i] = targets[i] == positiveLabel ? T.One : T.Zero;
            }

            return Evaluate(input, (ReadOnlySpan<T>)t, 1, options, gradient, losses, sampleWeights);
        }
        finally
        {
            System.Buffers.ArrayPool<T>.Shared.Return(outcomes);
        }
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape"); here [N] or [..., 1].</summary>
    /// <inheritdoc cref="Binary{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, BrierScoreFromProbabilitiesOptions, Span{T}, Span{T}, ReadOnlySpan{T})"/>
    public static LossResult Binary<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> targets, int positiveLabel,
        BrierScoreFromProbabilitiesOptions? options, TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = TensorArguments.Labels(input, targets, gradient, losses, sampleWeights, default, TensorLayout.OneColumn);
        return Binary(a.Input, a.Targets, positiveLabel, options, a.Gradient, a.Losses, a.SampleWeights);
    }
}

/// <summary>
/// The Brier score of <c>softmax(z)</c> computed from logits, with the gradient through the softmax Jacobian.
/// </summary>
/// <remarks>
/// <para>Per row: <c>ℓ = Σ_k (p_k - y_k)²</c>, <c>p = softmax(z)</c> (max subtracted). With <c>d = 2 (p - y)</c>
/// the gradient is <c>∂ℓ/∂z = p ⊙ (d - (p · d))</c> (the softmax Jacobian <c>diag(p) - p pᵀ</c> applied to d); it
/// vanishes as p saturates, the reason seed 000 gives for preferring cross-entropy. Reductions as
/// <see cref="BrierScoreFromProbabilities"/>.</para>
/// </remarks>
public static partial class SoftmaxBrierScore
{
    /// <summary>Class-index targets (<see cref="BrierRows.IIndexTargets{T, TSoftmax, TOptions}"/>).</summary>
    /// <entry>Brier score of softmax([N, K] logits) against N class indices.</entry>
    /// <input>Row-major [N, K] logits.</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Average, ignore index, reduction; null for the defaults.</options>
    /// <gradient>[N, K] buffer for ∂(reduced loss)/∂z (overwritten); empty to skip.</gradient>
    /// <losses>N row losses or N·K element losses <c>(p - y)²</c> (overwritten); empty to skip.</losses>
    /// <gradOutput>With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per element): the
    /// gradient written is the vector-Jacobian product (through the softmax for the softmax form). Empty for ones.</gradOutput>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct LabelKernel<T> : BrierRows.IIndexTargets<T, Yes, SoftmaxBrierScoreOptions>
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Probability targets (<see cref="BrierRows.IProbabilityTargets{T, TSoftmax, TOptions}"/>).</summary>
    /// <entry>Brier score of softmax([N, K] logits) against [N, K] probability targets.</entry>
    /// <input>Row-major [N, K] logits.</input>
    /// <targets>Row-major [N, K] target probabilities (rows summing to 1 within the tolerance).</targets>
    /// <options>Average, reduction; null for the defaults.</options>
    /// <gradient>[N, K] buffer for ∂(reduced loss)/∂z (overwritten); empty to skip.</gradient>
    /// <losses>N row losses or N·K element losses <c>(p - y)²</c> (overwritten); empty to skip.</losses>
    /// <gradOutput>With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per element): the
    /// gradient written is the vector-Jacobian product (through the softmax for the softmax form). Empty for ones.</gradOutput>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct ProbabilityKernel<T> : BrierRows.IProbabilityTargets<T, Yes, SoftmaxBrierScoreOptions>
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The Brier score of <c>σ(x)</c> element-wise over [N, K] logits (binary when K = 1, multi-label otherwise).
/// </summary>
/// <remarks>
/// <para>Per element: <c>ℓ = (σ(x) - y)²</c>, gradient <c>2 (σ(x) - y) σ(x) (1 - σ(x))</c> with
/// <c>σ(x)(1 - σ(x)) = σ(x) σ(-x)</c> evaluated without overflow. Seed 000's <c>-2σ(m)(1 - σ(m))²</c> is this
/// gradient at y = 1. Row losses are sums over K; Mean divides by N (<see cref="BrierAverage.PerRowSum"/>) or by
/// N·K (<see cref="BrierAverage.PerElement"/>, PyTorch's <c>MSELoss(sigmoid(x), y)</c>). Targets in [0, 1].</para>
/// </remarks>
public static partial class SigmoidBrierScore
{
    /// <summary>One element: <c>(σ(x) - y)²</c>, derivative <c>2 (σ(x) - y) σ(x) σ(-x)</c>.</summary>
    private readonly struct Element : IElementLoss<byte>
    {
        public static double Of(double x, double y, int column, in byte unused, out double derivative)
        {
            double p = StableMath.Sigmoid(x);
            double e = p - y;
            derivative = 2 * e * p * StableMath.Sigmoid(-x);
            return e * e;
        }
    }

    /// <summary>Generic only; the mean divides by N or N·K (<see cref="BrierAverage"/>).</summary>
    /// <entry>Brier score of σ([N, K] logits) against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] logits.</input>
    /// <targets>Row-major [N, K] targets in [0, 1].</targets>
    /// <classes>K (1 for a single binary output).</classes>
    /// <options>Average, reduction; null for the defaults.</options>
    /// <gradient>[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</gradient>
    /// <losses>N row losses or N·K element losses <c>(p - y)²</c> (overwritten); empty to skip.</losses>
    /// <gradOutput>With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per element): the
    /// gradient written is the vector-Jacobian product (through the softmax for the softmax form). Empty for ones.</gradOutput>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, SigmoidBrierScoreOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, SigmoidBrierScoreOptions o) =>
            o.Denominator(b.RowTotal, b.Classes);

        public static double Generic(in Batch<T, T> b, SigmoidBrierScoreOptions o, double scale) =>
            ElementwiseKernel.Run<T, Element, byte>(b, default, 0, scale);
    }
}

/// <summary>The rows of the probability and softmax Brier scores (the <c>TSoftmax</c> switch: the input is logits).</summary>
internal static class BrierRows
{
    /// <summary>One row: <c>Σ_c (p_c - t_c)²</c> (t one-hot for a label), gradient <c>d = 2 (p - t)</c> or, through the
    /// softmax, <c>p ⊙ (d - p · d)</c>.</summary>
    private static double Row<T, TSoftmax>(ReadOnlySpan<T> row, int label, ReadOnlySpan<T> target, double scale, Span<T> g,
        Span<T> elementLosses = default, ReadOnlySpan<T> upstream = default)
        where T : unmanaged, IFloatingPointIeee754<T> where TSoftmax : struct, IConst
    {
        bool useLabel = target.IsEmpty;
        // p = exp((z - m) - ls) with the maximum m and ls = log Σ exp(z - m) kept apart (z - (m + ls) loses ls next to a large m).
        double m = 0;
        double ls = TSoftmax.On ? LogSumExp.Parts(row, 1.0, out m) : 0;
        double loss = 0;
        double pDotD = 0;
        for (int c = 0; c < row.Length; c++)
        {
            double p = TSoftmax.On ? Math.Exp((double.CreateTruncating(row[c]) - m) - ls) : double.CreateTruncating(row[c]);
            double t = useLabel ? (c == label ? 1.0 : 0.0) : double.CreateTruncating(target[c]);
            double e = p - t;
            loss += e * e;
            if (!elementLosses.IsEmpty)
            {
                elementLosses[c] = T.CreateTruncating(e * e);
            }

            // With a per-element upstream gradient u, the VJP weights each element's derivative by u_c first.
            pDotD += p * 2 * e * (upstream.IsEmpty ? 1.0 : double.CreateTruncating(upstream[c]));
        }

        for (int c = 0; c < g.Length; c++)
        {
            double p = TSoftmax.On ? Math.Exp((double.CreateTruncating(row[c]) - m) - ls) : double.CreateTruncating(row[c]);
            double t = useLabel ? (c == label ? 1.0 : 0.0) : double.CreateTruncating(target[c]);
            double d = 2 * (p - t) * (upstream.IsEmpty ? 1.0 : double.CreateTruncating(upstream[c]));
            g[c] = T.CreateTruncating((TSoftmax.On ? p * (d - pDotD) : d) * scale);
        }

        return loss;
    }

    /// <summary>Row <paramref name="i"/> of a per-element upstream gradient, or empty.</summary>
    private static ReadOnlySpan<T> UpstreamRow<T>(ReadOnlySpan<T> upstream, int i, int k) => upstream.IsEmpty ? default : upstream.Slice(i * k, k);

    private readonly struct Rows<TSoftmax> : ILabelRow<byte>, ITargetRow<byte> where TSoftmax : struct, IConst
    {
        public static double Of<T>(ReadOnlySpan<T> row, int label, in byte unused, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => Row<T, TSoftmax>(row, label, default, scale, g);

        public static double Of<T>(ReadOnlySpan<T> row, ReadOnlySpan<T> target, in byte unused, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => Row<T, TSoftmax>(row, -1, target, scale, g);
    }

    /// <summary>Class-index targets; the mean divides by the counted rows (times K per element). A loss's kernel is a
    /// struct that implements it with its options type.</summary>
    public interface IIndexTargets<T, TSoftmax, TOptions> : ILossKernel<T, int, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T> where TSoftmax : struct, IConst where TOptions : BrierScoreOptions
    {
        static double ILossKernel<T, int, TOptions>.Prepare(in Batch<T, int> b, TOptions o)
        {
            if (!TSoftmax.On)
            {
                CrossEntropyFromProbabilities.CheckProbabilities(b.Input, b.Classes);
            }

            return o.Denominator(Guard.Labels(b.Targets, b.Classes, o.IgnoreIndex, default, b.SampleWeights, "targets"), b.Classes);
        }

        static bool ILossKernel<T, int, TOptions>.TakesElementUpstream => true;

        static double ILossKernel<T, int, TOptions>.Generic(in Batch<T, int> b, TOptions o, double scale)
        {
            if (!b.PerElementLosses && b.GradOutput.IsEmpty)
            {
                return RowwiseKernel.Labels<T, Rows<TSoftmax>, byte>(b, o.IgnoreIndex, 0, scale);
            }

            double sum = 0;
            int k = b.Classes;
            for (int i = 0; i < b.Rows; i++)
            {
                Span<T> elements = b.PerElementLosses ? b.Losses.Slice(i * k, k) : default;
                int label = b.Targets[i];
                if (label == o.IgnoreIndex)
                {
                    b.GradientRow(i).Clear();
                    elements.Clear();
                    continue;
                }

                double loss = Row<T, TSoftmax>(b.InputRow(i), label, default, scale, b.GradientRow(i), elements, UpstreamRow(b.GradOutput, i, k));
                sum += loss;
                if (!b.PerElementLosses && !b.Losses.IsEmpty)
                {
                    b.Losses[i] = T.CreateTruncating(loss);
                }
            }

            return sum;
        }
    }

    /// <summary>Probability targets; the mean divides by N (times K per element). A loss's kernel is a struct that
    /// implements it with its options type.</summary>
    public interface IProbabilityTargets<T, TSoftmax, TOptions> : ILossKernel<T, T, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T> where TSoftmax : struct, IConst where TOptions : BrierScoreOptions
    {
        static double ILossKernel<T, T, TOptions>.Prepare(in Batch<T, T> b, TOptions o)
        {
            if (!TSoftmax.On)
            {
                CrossEntropyFromProbabilities.CheckProbabilities(b.Input, b.Classes);
            }

            return o.Denominator(b.RowTotal, b.Classes);
        }

        static void ILossKernel<T, T, TOptions>.CheckTargets(in Batch<T, T> b, TOptions o, int from)
        {
            if (b.Classes == 1 && !TSoftmax.On)
            {
                // One column is scikit-learn's binary convention: p is P(y = 1) and the target the outcome in [0, 1]
                // (a one-entry row cannot sum to 1 for y = 0).
                Guard.UnitIntervals(b.Targets, 1, from, "targets");
                return;
            }

            Guard.ProbabilityRows(b.Targets, b.Classes, from, o.TargetSumTolerance, "targets");
        }

        static bool ILossKernel<T, T, TOptions>.TakesElementUpstream => true;

        static double ILossKernel<T, T, TOptions>.Generic(in Batch<T, T> b, TOptions o, double scale)
        {
            if (!b.PerElementLosses && b.GradOutput.IsEmpty)
            {
                return RowwiseKernel.Targets<T, Rows<TSoftmax>, byte>(b, 0, scale);
            }

            double sum = 0;
            int k = b.Classes;
            for (int i = 0; i < b.Rows; i++)
            {
                Span<T> elements = b.PerElementLosses ? b.Losses.Slice(i * k, k) : default;
                double loss = Row<T, TSoftmax>(b.InputRow(i), -1, b.Targets.Slice(i * k, k), scale, b.GradientRow(i), elements,
                    UpstreamRow(b.GradOutput, i, k));
                sum += loss;
                if (!b.PerElementLosses && !b.Losses.IsEmpty)
                {
                    b.Losses[i] = T.CreateTruncating(loss);
                }
            }

            return sum;
        }
    }
}
