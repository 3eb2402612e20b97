using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="NegativeLogLikelihood"/> (PyTorch's <c>NLLLoss</c> semantics by default).</summary>
public sealed record NegativeLogLikelihoodOptions : LossOptions
{
    /// <summary>The defaults: no weights, ignore index -100, mean reduction.</summary>
    public static NegativeLogLikelihoodOptions Default { get; } = new();

    private readonly double[]? _classWeights;

    /// <summary>Per-class weights <c>w_c</c> (length K, finite, non-negative); null means all ones. Copied when set.</summary>
    public IReadOnlyList<double>? ClassWeights
    {
        get => _classWeights;
        init => _classWeights = value is null ? null : [.. value];
    }

    /// <summary>A label that marks a row to skip (loss 0, gradient 0, not counted by the mean). Default -100, as PyTorch.</summary>
    public int IgnoreIndex { get; init; } = -100;

    internal ReadOnlySpan<double> WeightSpan => _classWeights;

    internal void Validate(int classes)
    {
        if (_classWeights is not null)
        {
            Guard.ClassWeights(_classWeights, classes, nameof(ClassWeights));
        }
    }
}

/// <summary>
/// Negative log-likelihood of class indices given log-probabilities (the second half of
/// <c>LogSoftmax + NLLLoss</c>; PyTorch's <c>NLLLoss</c>).
/// </summary>
/// <remarks>
/// <para>Per row: <c>ℓ_i = -w_{y_i} · logp_{i, y_i}</c>; rows whose label is the ignore index give 0.</para>
/// <para>Gradient w.r.t. the log-probabilities: <c>∂ℓ_i/∂logp_{i,c} = -w_{y_i} [c = y_i]</c>, times the reduction's
/// factor. The input is treated as free variables: no softmax Jacobian is applied (that is
/// <see cref="SoftmaxCrossEntropy"/>'s job).</para>
/// <para>Mean (PyTorch): <c>Σ ℓ_i / Σ w_{y_i}</c> over rows that are not ignored; when every row is ignored the
/// result follows <see cref="LossOptions.WhenEmpty"/>. The input is not validated to be a log-probability
/// (PyTorch does not either); a NaN or -∞ at the target propagates to that row's loss.</para>
/// </remarks>
public static class NegativeLogLikelihood
{
    /// <summary>Evaluates the NLL of [N, K] log-probabilities against N class indices.</summary>
    /// <param name="logProbabilities">Row-major [N, K] log-probabilities (typically a log-softmax).</param>
    /// <param name="labels">N class indices in [0, K), or the ignore index.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, ignore index, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂logp (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's weighted loss (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<int> labels, int classes,
        NegativeLogLikelihoodOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? NegativeLogLikelihoodOptions.Default;
        o.Validate(classes);
        int n = Guard.Rows(logProbabilities.Length, classes, nameof(logProbabilities));
        Guard.Length(labels.Length, n, nameof(labels));
        Guard.Length(gradient.Length, logProbabilities.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);

        ReadOnlySpan<double> w = o.WeightSpan;
        bool weighted = !w.IsEmpty;
        double denominator = Guard.Labels(labels, classes, o.IgnoreIndex, w, nameof(labels));

        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, denominator, n);
        bool wantGradient = !gradient.IsEmpty;
        if (wantGradient)
        {
            gradient.Clear();
        }

        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            int y = labels[i];
            double loss = 0;
            if (y != o.IgnoreIndex)
            {
                double wy = weighted ? w[y] : 1.0;
                loss = wy == 0 ? 0 : -wy * double.CreateTruncating(logProbabilities[i * classes + y]);
                if (wantGradient)
                {
                    gradient[i * classes + y] = T.CreateTruncating(-wy * scale);
                }
            }

            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, denominator, n);
    }
}
