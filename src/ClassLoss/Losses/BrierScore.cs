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

/// <summary>Options of <see cref="BrierScore"/>, <see cref="SoftmaxBrierScore"/> and <see cref="SigmoidBrierScore"/>.</summary>
public sealed record BrierScoreOptions : LossOptions
{
    /// <summary>The defaults: per-row sum averaged over rows, ignore index -100, mean reduction.</summary>
    public static BrierScoreOptions Default { get; } = new();

    /// <summary>What the mean divides by. Default <see cref="BrierAverage.PerRowSum"/>.</summary>
    public BrierAverage Average { get; init; } = BrierAverage.PerRowSum;

    /// <summary>A label that marks a row to skip (index targets only). Default -100.</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>How far a row of probability targets may sum from 1 (default 1e-4); NaN skips the check. Not used by the sigmoid form.</summary>
    public double TargetSumTolerance { get; init; } = 1e-4;

    internal void Validate()
    {
        Guard.Option(Enum.IsDefined(Average), nameof(Average), (double)Average, "is not a known average");
        Guard.Option(double.IsNaN(TargetSumTolerance) || TargetSumTolerance >= 0, nameof(TargetSumTolerance), TargetSumTolerance, "must be >= 0 or NaN");
    }

    internal double Denominator(double countedRows, int classes) => Average == BrierAverage.PerElement ? countedRows * classes : countedRows;
}

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
public static class BrierScore
{
    /// <summary>Brier score of [N, K] probabilities against N class indices.</summary>
    /// <param name="probabilities">Row-major [N, K] predicted probabilities, each in [0, 1].</param>
    /// <param name="labels">N class indices in [0, K), or the ignore index.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Average, ignore index, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's sum of squared errors (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> labels, int classes,
        BrierScoreOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CrossEntropyFromProbabilities.CheckProbabilities(probabilities, classes <= 0 ? 1 : classes);
        return BrierCore.Run(probabilities, labels, default, classes, options, gradient, rowLosses, BrierCore.Input.Probabilities);
    }

    /// <summary>Brier score of [N, K] probabilities against [N, K] probability targets.</summary>
    /// <param name="probabilities">Row-major [N, K] predicted probabilities, each in [0, 1].</param>
    /// <param name="targets">Row-major [N, K] target probabilities (rows summing to 1 within the tolerance).</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Average, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's sum of squared errors (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, int classes,
        BrierScoreOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CrossEntropyFromProbabilities.CheckProbabilities(probabilities, classes <= 0 ? 1 : classes);
        return BrierCore.Run(probabilities, default, targets, classes, options, gradient, rowLosses, BrierCore.Input.Probabilities);
    }
}

/// <summary>
/// The Brier score of <c>softmax(z)</c> computed from logits, with the gradient through the softmax Jacobian.
/// </summary>
/// <remarks>
/// <para>Per row: <c>ℓ = Σ_k (p_k - y_k)²</c>, <c>p = softmax(z)</c> (max subtracted). With <c>d = 2 (p - y)</c>
/// the gradient is <c>∂ℓ/∂z = p ⊙ (d - (p · d))</c> (the softmax Jacobian <c>diag(p) - p pᵀ</c> applied to d); it
/// vanishes as p saturates, the reason seed 000 gives for preferring cross-entropy. Reductions as
/// <see cref="BrierScore"/>.</para>
/// </remarks>
public static class SoftmaxBrierScore
{
    /// <summary>Brier score of softmax([N, K] logits) against N class indices.</summary>
    /// <param name="logits">Row-major [N, K] logits.</param>
    /// <param name="labels">N class indices in [0, K), or the ignore index.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Average, ignore index, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂z (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's sum of squared errors (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes,
        BrierScoreOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BrierCore.Run(logits, labels, default, classes, options, gradient, rowLosses, BrierCore.Input.SoftmaxLogits);

    /// <summary>Brier score of softmax([N, K] logits) against [N, K] probability targets.</summary>
    /// <param name="logits">Row-major [N, K] logits.</param>
    /// <param name="targets">Row-major [N, K] target probabilities (rows summing to 1 within the tolerance).</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Average, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂z (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's sum of squared errors (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        BrierScoreOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BrierCore.Run(logits, default, targets, classes, options, gradient, rowLosses, BrierCore.Input.SoftmaxLogits);
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
public static class SigmoidBrierScore
{
    /// <summary>Brier score of σ([N, K] logits) against [N, K] targets in [0, 1].</summary>
    /// <param name="logits">Row-major [N, K] logits.</param>
    /// <param name="targets">Row-major [N, K] targets in [0, 1].</param>
    /// <param name="classes">K (1 for a single binary output).</param>
    /// <param name="options">Average, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's sum of squared errors (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        BrierScoreOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? BrierScoreOptions.Default;
        o.Validate();
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets.Length, logits.Length, nameof(targets));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        SigmoidBinaryCrossEntropy.CheckTargetsAndWeights(targets, default, classes);

        double denominator = o.Denominator(n, classes);
        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, denominator, n);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double rowLoss = 0;
            for (int k = 0; k < classes; k++)
            {
                int at = i * classes + k;
                double x = double.CreateTruncating(logits[at]);
                double p = StableMath.Sigmoid(x);
                double e = p - double.CreateTruncating(targets[at]);
                rowLoss += e * e;
                if (!gradient.IsEmpty)
                {
                    gradient[at] = T.CreateTruncating(2 * e * p * StableMath.Sigmoid(-x) * scale);
                }
            }

            sum += rowLoss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(rowLoss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, denominator, n);
    }
}

/// <summary>The shared body of the probability and softmax Brier scores.</summary>
internal static class BrierCore
{
    public enum Input
    {
        Probabilities,
        SoftmaxLogits,
    }

    public static LossResult Run<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> labels, ReadOnlySpan<T> targets, int classes,
        BrierScoreOptions? options, Span<T> gradient, Span<T> rowLosses, Input kind)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? BrierScoreOptions.Default;
        o.Validate();
        string inputName = kind == Input.Probabilities ? "probabilities" : "logits";
        int n = Guard.Rows(input.Length, classes, inputName);
        bool useLabels = targets.IsEmpty;
        double counted = n;
        if (useLabels)
        {
            Guard.Length(labels.Length, n, nameof(labels));
            counted = 0;
            for (int i = 0; i < n; i++)
            {
                Guard.Label(labels[i], i, classes, o.IgnoreIndex, nameof(labels));
                if (labels[i] != o.IgnoreIndex)
                {
                    counted++;
                }
            }
        }
        else
        {
            Guard.Length(targets.Length, input.Length, nameof(targets));
            for (int i = 0; i < n; i++)
            {
                Guard.ProbabilityRow(targets.Slice(i * classes, classes), i, o.TargetSumTolerance, nameof(targets));
            }
        }

        Guard.Length(gradient.Length, input.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);

        double denominator = o.Denominator(counted, classes);
        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, denominator, n);
        bool wantGradient = !gradient.IsEmpty;
        bool softmax = kind == Input.SoftmaxLogits;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var row = input.Slice(i * classes, classes);
            int y = useLabels ? labels[i] : 0;
            if (useLabels && y == o.IgnoreIndex)
            {
                if (wantGradient)
                {
                    gradient.Slice(i * classes, classes).Clear();
                }

                if (!rowLosses.IsEmpty)
                {
                    rowLosses[i] = T.Zero;
                }

                continue;
            }

            double lse = softmax ? LogSumExp.Compute(row) : 0;
            double loss = 0;
            double pDotD = 0;
            for (int c = 0; c < classes; c++)
            {
                double p = softmax ? Math.Exp(double.CreateTruncating(row[c]) - lse) : double.CreateTruncating(row[c]);
                double t = useLabels ? (c == y ? 1.0 : 0.0) : double.CreateTruncating(targets[i * classes + c]);
                double e = p - t;
                loss += e * e;
                pDotD += p * 2 * e;
            }

            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }

            if (wantGradient)
            {
                var g = gradient.Slice(i * classes, classes);
                for (int c = 0; c < classes; c++)
                {
                    double p = softmax ? Math.Exp(double.CreateTruncating(row[c]) - lse) : double.CreateTruncating(row[c]);
                    double t = useLabels ? (c == y ? 1.0 : 0.0) : double.CreateTruncating(targets[i * classes + c]);
                    double d = 2 * (p - t);
                    g[c] = T.CreateTruncating((softmax ? p * (d - pDotD) : d) * scale);
                }
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, denominator, n);
    }
}
