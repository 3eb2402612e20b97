using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>How a loss over probabilities keeps <c>log p</c> finite when a probability is 0 (or 1).</summary>
public enum ProbabilityClamp
{
    /// <summary>
    /// PyTorch's <c>BCELoss</c> convention: <c>max(log p, -100)</c>. The derivative is <c>1/p</c> where
    /// <c>log p &gt; -100</c> and 0 where the clamp is active (the clamp's own derivative).
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
}

/// <summary>The clamped logarithm shared by the losses over probabilities.</summary>
internal static class ClampedLog
{
    /// <summary>Returns the clamped <c>log p</c> and its derivative <c>d/dp</c> (0 where the clamp is active).</summary>
    public static double Log(double p, ProbabilityClamp clamp, double epsilon, out double derivative)
    {
        switch (clamp)
        {
            case ProbabilityClamp.LogAtMinus100:
            {
                double l = Math.Log(p);
                if (l < -100)
                {
                    derivative = 0;
                    return -100;
                }

                derivative = 1.0 / p;
                return l;
            }

            case ProbabilityClamp.KerasClip:
                if (p < epsilon)
                {
                    derivative = 0;
                    return Math.Log(epsilon);
                }

                if (p > 1 - epsilon)
                {
                    derivative = 0;
                    return Math.Log(1 - epsilon);
                }

                derivative = 1.0 / p;
                return Math.Log(p);

            default:
                derivative = 1.0 / p;
                return Math.Log(p);
        }
    }
}

/// <summary>Options of <see cref="CrossEntropyFromProbabilities"/>.</summary>
public sealed record CrossEntropyFromProbabilitiesOptions : LossOptions
{
    /// <summary>The defaults: no weights, ignore index -100, PyTorch's log clamp at -100, mean reduction.</summary>
    public static CrossEntropyFromProbabilitiesOptions Default { get; } = new();

    private readonly double[]? _classWeights;

    /// <summary>Per-class weights <c>w_c</c> (length K, finite, non-negative); null means all ones. Copied when set.</summary>
    public IReadOnlyList<double>? ClassWeights
    {
        get => _classWeights;
        init => _classWeights = value is null ? null : [.. value];
    }

    /// <summary>A label that marks a row to skip (index targets only). Default -100, as PyTorch.</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>How <c>log p</c> is kept finite. Default <see cref="ProbabilityClamp.LogAtMinus100"/> (PyTorch-like).</summary>
    public ProbabilityClamp Clamp { get; init; } = ProbabilityClamp.LogAtMinus100;

    /// <summary>The ε of <see cref="ProbabilityClamp.KerasClip"/>, in (0, 0.5). Default 1e-7 (Keras's <c>epsilon()</c>).</summary>
    public double Epsilon { get; init; } = 1e-7;

    /// <summary>How far a row of probability targets may sum from 1 (default 1e-4); NaN skips the sum check.</summary>
    public double TargetSumTolerance { get; init; } = 1e-4;

    internal ReadOnlySpan<double> WeightSpan => _classWeights;

    internal void Validate(int classes)
    {
        if (_classWeights is not null)
        {
            Guard.ClassWeights(_classWeights, classes, nameof(ClassWeights));
        }

        Guard.Option(Epsilon > 0 && Epsilon < 0.5, nameof(Epsilon), Epsilon, "must lie in (0, 0.5)");
        Guard.Option(Enum.IsDefined(Clamp), nameof(Clamp), (double)Clamp, "is not a known clamp");
        Guard.Option(double.IsNaN(TargetSumTolerance) || TargetSumTolerance >= 0, nameof(TargetSumTolerance), TargetSumTolerance, "must be >= 0 or NaN");
    }
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
public static class CrossEntropyFromProbabilities
{
    /// <summary>Cross-entropy of [N, K] probabilities against N class indices.</summary>
    /// <param name="probabilities">Row-major [N, K] predicted probabilities, each in [0, 1].</param>
    /// <param name="labels">N class indices in [0, K), or the ignore index.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, ignore index, clamp, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's weighted loss (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> labels, int classes,
        CrossEntropyFromProbabilitiesOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? CrossEntropyFromProbabilitiesOptions.Default;
        o.Validate(classes);
        int n = Guard.Rows(probabilities.Length, classes, nameof(probabilities));
        Guard.Length(labels.Length, n, nameof(labels));
        Guard.Length(gradient.Length, probabilities.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        CheckProbabilities(probabilities, classes);

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
                if (wy != 0)
                {
                    double l = ClampedLog.Log(double.CreateTruncating(probabilities[i * classes + y]), o.Clamp, o.Epsilon, out double d);
                    loss = -wy * l;
                    if (wantGradient)
                    {
                        gradient[i * classes + y] = T.CreateTruncating(-wy * d * scale);
                    }
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

    /// <summary>Cross-entropy of [N, K] probabilities against [N, K] probability (soft) targets.</summary>
    /// <param name="probabilities">Row-major [N, K] predicted probabilities, each in [0, 1].</param>
    /// <param name="targets">Row-major [N, K] target probabilities, each in [0, 1], rows summing to 1 (see the tolerance option).</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, clamp, reduction; the ignore index does not apply.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for each row's loss (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, int classes,
        CrossEntropyFromProbabilitiesOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? CrossEntropyFromProbabilitiesOptions.Default;
        o.Validate(classes);
        int n = Guard.Rows(probabilities.Length, classes, nameof(probabilities));
        Guard.Length(targets.Length, probabilities.Length, nameof(targets));
        Guard.Length(gradient.Length, probabilities.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        CheckProbabilities(probabilities, classes);
        for (int i = 0; i < n; i++)
        {
            Guard.ProbabilityRow(targets.Slice(i * classes, classes), i, o.TargetSumTolerance, nameof(targets));
        }

        ReadOnlySpan<double> w = o.WeightSpan;
        bool weighted = !w.IsEmpty;
        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, n, n);
        bool wantGradient = !gradient.IsEmpty;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double loss = 0;
            for (int c = 0; c < classes; c++)
            {
                int at = i * classes + c;
                double q = (weighted ? w[c] : 1.0) * double.CreateTruncating(targets[at]);
                double g = 0;
                if (q != 0)
                {
                    double l = ClampedLog.Log(double.CreateTruncating(probabilities[at]), o.Clamp, o.Epsilon, out double d);
                    loss -= q * l;
                    g = -q * d * scale;
                }

                if (wantGradient)
                {
                    gradient[at] = T.CreateTruncating(g);
                }
            }

            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, n, n);
    }

    /// <summary>Checks that every predicted probability is finite and in [0, 1], naming row and column.</summary>
    internal static void CheckProbabilities<T>(ReadOnlySpan<T> probabilities, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int at = 0; at < probabilities.Length; at++)
        {
            Guard.UnitInterval(double.CreateTruncating(probabilities[at]), at / classes, at % classes, nameof(probabilities));
        }
    }
}
