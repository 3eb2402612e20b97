using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="PolyLoss"/>.</summary>
public sealed record PolyLossOptions : LossOptions
{
    /// <summary>The defaults: ε = 1 (the paper's Poly-1 setting for ImageNet), ignore index -100, mean.</summary>
    public static PolyLossOptions Default { get; } = new();

    /// <summary>The weight ε of the first polynomial term, finite and ≥ -1 (so the loss stays non-negative). Default 1.</summary>
    public double Epsilon { get; init; } = 1.0;

    /// <summary>A class index that marks a row to skip. Default -100.</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>How far a row of probability targets may sum from 1 (default 1e-4); NaN skips the sum check.</summary>
    public double TargetSumTolerance { get; init; } = 1e-4;

    internal void Validate()
    {
        Guard.Option(Epsilon >= -1 && double.IsFinite(Epsilon), nameof(Epsilon), Epsilon, "must be finite and >= -1");
        Guard.Option(double.IsNaN(TargetSumTolerance) || TargetSumTolerance >= 0, nameof(TargetSumTolerance), TargetSumTolerance, "must be >= 0 or NaN");
    }
}

/// <summary>Poly-1 loss from logits (Leng et al. 2022, "PolyLoss", ICLR): cross-entropy plus <c>ε (1 - p_t)</c>.</summary>
/// <remarks>
/// <para>Per row, with <c>p = softmax(z)</c>: index target y: <c>ℓ = lse - z_y + ε (1 - p_y)</c>; soft target t
/// (the paper's reference code for smoothed labels): <c>P = Σ_c t_c p_c</c>, <c>ℓ = Σ_c t_c (lse - z_c) + ε (1 - P)</c>.</para>
/// <para>Gradient: <c>∂ℓ/∂z_j = p_j - t_j - ε p_j (t_j - P)</c> (index: t one-hot, P = p_y). Mean divides by the
/// number of counted rows.</para>
/// </remarks>
public static class PolyLoss
{
    /// <summary>Poly-1 loss with class-index targets.</summary>
    /// <param name="logits">Row-major [N, K] logits.</param>
    /// <param name="labels">N class indices in [0, K), or the ignore index.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">ε, ignore index, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂z (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for row losses (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes,
        PolyLossOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? PolyLossOptions.Default;
        o.Validate();
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(labels.Length, n, nameof(labels));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        double counted = Guard.Labels(labels, classes, o.IgnoreIndex, default, nameof(labels));

        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, counted, n);
        double eps = o.Epsilon;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var z = logits.Slice(i * classes, classes);
            int y = labels[i];
            double loss = 0;
            if (y == o.IgnoreIndex)
            {
                if (!gradient.IsEmpty)
                {
                    gradient.Slice(i * classes, classes).Clear();
                }
            }
            else
            {
                double lse = LogSumExp.Compute(z, 1.0, out _);
                double py = Math.Exp(double.CreateTruncating(z[y]) - lse);
                loss = lse - double.CreateTruncating(z[y]) + eps * (1 - py);
                if (!gradient.IsEmpty)
                {
                    var g = gradient.Slice(i * classes, classes);
                    for (int c = 0; c < classes; c++)
                    {
                        double p = Math.Exp(double.CreateTruncating(z[c]) - lse);
                        double t = c == y ? 1.0 : 0.0;
                        g[c] = T.CreateTruncating((p - t - eps * p * (t - py)) * scale);
                    }
                }
            }

            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, counted, n);
    }

    /// <summary>Poly-1 loss with probability (soft) targets.</summary>
    /// <param name="logits">Row-major [N, K] logits.</param>
    /// <param name="targets">Row-major [N, K] target probabilities, rows summing to 1.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">ε, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂z (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer for row losses (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        PolyLossOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? PolyLossOptions.Default;
        o.Validate();
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets.Length, logits.Length, nameof(targets));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        for (int i = 0; i < n; i++)
        {
            Guard.ProbabilityRow(targets.Slice(i * classes, classes), i, o.TargetSumTolerance, nameof(targets));
        }

        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, n, n);
        double eps = o.Epsilon;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var z = logits.Slice(i * classes, classes);
            var t = targets.Slice(i * classes, classes);
            double lse = LogSumExp.Compute(z, 1.0, out _);
            double ce = 0, pt = 0, tsum = 0;
            for (int c = 0; c < classes; c++)
            {
                double tc = double.CreateTruncating(t[c]);
                if (tc != 0)
                {
                    ce += tc * (lse - double.CreateTruncating(z[c]));
                    pt += tc * Math.Exp(double.CreateTruncating(z[c]) - lse);
                    tsum += tc;
                }
            }

            double loss = ce + eps * (1 - pt);
            if (!gradient.IsEmpty)
            {
                var g = gradient.Slice(i * classes, classes);
                for (int c = 0; c < classes; c++)
                {
                    double p = Math.Exp(double.CreateTruncating(z[c]) - lse);
                    double tc = double.CreateTruncating(t[c]);
                    g[c] = T.CreateTruncating((p * tsum - tc - eps * p * (tc - pt)) * scale);
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
}
