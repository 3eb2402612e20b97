using System.Globalization;
using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>What the variance's gradient is where the variance was clamped up to <see cref="GaussianNegativeLogLikelihoodOptions.MinimumVariance"/>.</summary>
public enum ClampedVarianceGradient
{
    /// <summary>0: the loss does not depend on a variance below the floor (the exact gradient; the default).</summary>
    Zero,

    /// <summary>The derivative at the floor, <c>½ (1/ε - d²/ε²)</c>, passed straight through to the unclamped variance:
    /// what PyTorch 1.13 computes, because it clamps a clone of <c>var</c> in place under <c>no_grad</c>.</summary>
    StraightThrough,
}

/// <summary>Options of <see cref="GaussianNegativeLogLikelihood"/> (PyTorch's <c>GaussianNLLLoss</c> defaults).</summary>
/// <defaults>The defaults: <c>full = false</c>, floor 1e-6, shared variance 1, exact clamp gradient, mean over N·K.</defaults>
[Options]
public sealed partial record GaussianNegativeLogLikelihoodOptions : LossOptions
{
    /// <summary>When true, adds the constant <c>½ log 2π</c> to every element (torch's <c>full=True</c>). Default false.</summary>
    public bool Full { get; init; }

    /// <summary>The floor ε &gt; 0 the variance is clamped up to, <c>max(var, ε)</c> (torch's <c>eps</c>). Default 1e-6.</summary>
    public double MinimumVariance { get; init; } = 1e-6;

    /// <summary>The variance of every element for the overload without a variance argument (a known, shared σ²; finite,
    /// ≥ 0). Default 1, where the loss is <c>½ (x - t)²</c>: half the squared error.</summary>
    public double SharedVariance { get; init; } = 1.0;

    /// <summary>The variance's gradient where the variance is below the floor. Default <see cref="ClampedVarianceGradient.Zero"/>.</summary>
    public ClampedVarianceGradient ClampedGradient { get; init; } = ClampedVarianceGradient.Zero;

    private protected override void Validate(int classes)
    {
        Guard.Option(MinimumVariance > 0 && double.IsFinite(MinimumVariance), nameof(MinimumVariance), MinimumVariance, "must be finite and > 0");
        Guard.Option(SharedVariance >= 0 && double.IsFinite(SharedVariance), nameof(SharedVariance), SharedVariance, "must be finite and >= 0");
        Guard.Option(Enum.IsDefined(ClampedGradient), nameof(ClampedGradient), (double)ClampedGradient, "must be Zero or StraightThrough");
    }
}

/// <summary>
/// The Gaussian negative log-likelihood of regression targets under predicted means and variances, PyTorch's
/// <c>GaussianNLLLoss</c> (<c>F.gaussian_nll_loss</c>, 1.13): the cross-entropy of a Gaussian prediction against a Dirac
/// target (seed 000, §2.4: "cross-entropy in regression"), which with a fixed variance is the squared error.
/// </summary>
/// <remarks>
/// <para>Per element, with mean x, target t and variance v clamped to <c>v' = max(v, ε)</c>:
/// <c>ℓ = ½ (log v' + (x - t)² / v')</c>, plus <c>½ log 2π</c> when <see cref="GaussianNegativeLogLikelihoodOptions.Full"/>.
/// The variance is given per element ([N, K], heteroscedastic) or per row ([N], shared by the row's K outputs; torch's
/// <c>var</c> with one dimension fewer), or, by the overload without a variance, as
/// <see cref="GaussianNegativeLogLikelihoodOptions.SharedVariance"/>.</para>
/// <para>Gradients: <c>∂ℓ/∂x = (x - t) / v'</c>; <c>∂ℓ/∂v = ½ (1/v' - (x - t)²/v'²)</c> where <c>v ≥ ε</c>, and where the
/// variance was clamped either 0 (the default: the exact gradient) or torch's straight-through value
/// (<see cref="ClampedVarianceGradient.StraightThrough"/>); a per-row variance's gradient sums its row. Reductions (torch):
/// Mean divides by N·K, Sum, None writes N row sums or N·K element losses; BatchMean divides by N. A variance that is
/// negative, NaN or infinite is an error naming its row (and column); torch rejects negative ones only.</para>
/// </remarks>
public static class GaussianNegativeLogLikelihood
{
    /// <summary>Gaussian NLL of [N, K] means against [N, K] targets with a variance per element or per row.</summary>
    /// <param name="input">Row-major [N, K] predicted means x.</param>
    /// <param name="targets">Row-major [N, K] targets t (any real values).</param>
    /// <param name="variance">N·K variances (one per element) or N (one per row), each finite and ≥ 0.</param>
    /// <param name="classes">K, the outputs per row.</param>
    /// <param name="options">Full, floor, clamp gradient, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="varianceGradient">Buffer of the variance's length for ∂(reduced loss)/∂v (overwritten); empty to skip.</param>
    /// <param name="losses">N row sums or N·K element losses (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> variance, int classes,
        GaussianNegativeLogLikelihoodOptions? options, Span<T> gradient, Span<T> varianceGradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new Kernel<T>(), Batch.WithVariance(input, targets, variance, classes, gradient, varianceGradient, losses, nameof(input)).WithWeights(sampleWeights, gradOutput),
            options ?? GaussianNegativeLogLikelihoodOptions.Default);

    /// <summary>Gaussian NLL of [N, K] means against [N, K] targets with every variance equal to
    /// <see cref="GaussianNegativeLogLikelihoodOptions.SharedVariance"/>.</summary>
    /// <param name="input">Row-major [N, K] predicted means x.</param>
    /// <param name="targets">Row-major [N, K] targets t (any real values).</param>
    /// <param name="classes">K, the outputs per row.</param>
    /// <param name="options">Shared variance, full, floor, reduction; null for the defaults (variance 1).</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="losses">N row sums or N·K element losses (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        GaussianNegativeLogLikelihoodOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new Kernel<T>(), Batch.Targets(input, targets, classes, gradient, losses, LossesShape.RowsOrElements, nameof(input),
            lossesName: nameof(losses)).WithWeights(sampleWeights, gradOutput), options ?? GaussianNegativeLogLikelihoodOptions.Default);

    /// <summary>Generic only; the variance is checked with the targets; the mean divides by N·K.</summary>
    private readonly struct Kernel<T> : ILossKernel<T, T, GaussianNegativeLogLikelihoodOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, GaussianNegativeLogLikelihoodOptions o) => b.RowTotal * b.Classes;

        public static void CheckTargets(in Batch<T, T> b, GaussianNegativeLogLikelihoodOptions o, int from)
        {
            bool perRow = b.Second.Length == b.Rows && b.Second.Length != b.Input.Length;
            int k = perRow ? 1 : b.Classes;
            for (int at = from * k; at < b.Second.Length; at++)
            {
                double v = double.CreateTruncating(b.Second[at]);
                if (!(v >= 0) || double.IsPositiveInfinity(v))
                {
                    string where = perRow
                        ? string.Create(CultureInfo.InvariantCulture, $"variance[{at}] (row {at})")
                        : string.Create(CultureInfo.InvariantCulture, $"variance row {at / k}, column {at % k}");
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{where} is {v}; a variance must be finite and >= 0 (it is clamped up to MinimumVariance)."), "variance");
                }
            }
        }

        public static double Generic(in Batch<T, T> b, GaussianNegativeLogLikelihoodOptions o, double scale)
        {
            int k = b.Classes;
            bool shared = b.Second.IsEmpty;
            bool perRow = !shared && b.Second.Length == b.Rows && b.Second.Length != b.Input.Length;
            bool wantGradient = !b.Gradient.IsEmpty, wantVariance = !b.SecondGradient.IsEmpty;
            double constant = o.Full ? 0.5 * Math.Log(2 * Math.PI) : 0.0;
            double eps = o.MinimumVariance;
            bool straightThrough = o.ClampedGradient == ClampedVarianceGradient.StraightThrough;
            double sum = 0;
            for (int i = 0; i < b.Rows; i++)
            {
                double rowLoss = 0, rowVarianceGradient = 0;
                for (int c = 0; c < k; c++)
                {
                    int at = (i * k) + c;
                    double v = shared ? o.SharedVariance : double.CreateTruncating(b.Second[perRow ? i : at]);
                    bool clamped = v < eps;
                    double vc = clamped ? eps : v;
                    double d = double.CreateTruncating(b.Input[at]) - double.CreateTruncating(b.Targets[at]);
                    double loss = (0.5 * (Math.Log(vc) + (d * d / vc))) + constant;
                    rowLoss += loss;
                    if (b.PerElementLosses)
                    {
                        b.Losses[at] = T.CreateTruncating(loss);
                    }

                    if (wantGradient)
                    {
                        b.Gradient[at] = T.CreateTruncating(d / vc * scale);
                    }

                    if (wantVariance)
                    {
                        double dv = clamped && !straightThrough ? 0.0 : 0.5 * ((1 / vc) - (d * d / (vc * vc)));
                        if (perRow)
                        {
                            rowVarianceGradient += dv;
                        }
                        else
                        {
                            b.SecondGradient[at] = T.CreateTruncating(dv * scale);
                        }
                    }
                }

                if (wantVariance && perRow)
                {
                    b.SecondGradient[i] = T.CreateTruncating(rowVarianceGradient * scale);
                }

                sum += rowLoss;
                if (!b.PerElementLosses && !b.Losses.IsEmpty)
                {
                    b.Losses[i] = T.CreateTruncating(rowLoss);
                }
            }

            return sum;
        }
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, GaussianNegativeLogLikelihoodOptions, Span{T}, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> targets, ReadOnlyTensorSpan<T> variance,
        GaussianNegativeLogLikelihoodOptions? options, TensorSpan<T> gradient = default, TensorSpan<T> varianceGradient = default,
        TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = TensorArguments.Rows(input, targets, gradient, losses, sampleWeights, gradOutput, TensorLayout.ElementLosses);
        return Evaluate(a.Input, a.Targets, TensorArguments.PerElementOrRow(variance, input, nameof(variance)), a.Classes, options, a.Gradient,
            TensorArguments.Like(varianceGradient, variance, nameof(varianceGradient), nameof(variance)), a.Losses, a.SampleWeights, a.GradOutput);
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, GaussianNegativeLogLikelihoodOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> targets, GaussianNegativeLogLikelihoodOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        TensorArguments.Rows(input, targets, gradient, losses, sampleWeights, gradOutput, TensorLayout.ElementLosses).Call(Evaluate, options);
}
