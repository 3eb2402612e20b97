using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>The disagreement weights of <see cref="WeightedKappa"/>.</summary>
public enum KappaWeighting
{
    /// <summary><c>W[i, j] = |i - j|</c>.</summary>
    Linear,

    /// <summary><c>W[i, j] = (i - j)²</c> (TF Addons' default).</summary>
    Quadratic,
}

/// <summary>Options of <see cref="WeightedKappa"/> (TF Addons' <c>WeightedKappa</c> defaults).</summary>
/// <defaults>The defaults: quadratic weights, ε = 1e-6 (TF Addons).</defaults>
[Options]
public sealed partial record WeightedKappaOptions : LossOptions
{
    /// <summary>Linear or quadratic disagreement weights. Default quadratic.</summary>
    public KappaWeighting Weighting { get; init; } = KappaWeighting.Quadratic;

    /// <summary>The ε added before the logarithm, finite and ≥ 0. Default 1e-6.</summary>
    public double LogOffset { get; init; } = 1e-6;

    private protected override void Validate(int classes)
    {
        Guard.Option(LogOffset >= 0 && double.IsFinite(LogOffset), nameof(LogOffset), LogOffset, "must be finite and >= 0");
        Guard.Option(Weighting is KappaWeighting.Linear or KappaWeighting.Quadratic, nameof(Weighting), (double)Weighting, "must be Linear or Quadratic");
        if (Reduction != Reduction.Mean)
        {
            throw new ArgumentException(
                $"Reduction is {Reduction}; the weighted kappa loss is a batch statistic with no per-row losses to reduce, so it takes only the default (Mean).",
                nameof(Reduction));
        }
    }

    /// <summary>A batch statistic: Mean under every convention.</summary>
    private protected override Reduction ConventionReduction(Convention convention) => Reduction.Mean;
}

/// <summary>
/// The weighted kappa loss of TF Addons (<c>tfa.losses.WeightedKappaLoss</c>, after de la Torre et al. 2018): the
/// log of the observed-over-expected disagreement of predicted probabilities with ordinal labels, a batch statistic.
/// </summary>
/// <remarks>
/// <para>With probabilities P [N, K], labels y, weights W, sample weights s (all 1 when none are given), label counts
/// <c>a_k = Σ_{i : y_i = k} s_i</c> and predicted mass <c>b_j = Σ_i s_i P_ij</c>: <c>num = Σ_i s_i Σ_j W[y_i, j] P_ij</c>,
/// <c>den = Σ_k Σ_j a_k W[k, j] b_j / S</c> with <c>S = Σ_i s_i</c> (N unweighted),
/// <c>R = num / den</c> (0 when den = 0, TF's <c>divide_no_nan</c>), and <c>loss = log(R + ε)</c>.</para>
/// <para>Gradient: with <c>c_j = Σ_k a_k W[k, j]</c>, <c>∂loss/∂P_ij = s_i (W[y_i, j] - R c_j / S) / (den (R + ε))</c>
/// (0 when den = 0). TF Addons divides W by <c>(K - 1)</c> or <c>(K - 1)²</c>; that factor cancels in R and in the
/// gradient, so it is left out. The loss does not split into rows: the reduction option is ignored, the value is the batch loss,
/// and <c>losses</c> must be empty. Needs a K-length scratch of class counts: stack memory up to 512 classes.</para>
/// </remarks>
public static class WeightedKappa
{
    /// <summary>Weighted kappa loss of [N, K] probabilities against class indices.</summary>
    /// <param name="input">Row-major [N, K] predicted probabilities, each in [0, 1].</param>
    /// <param name="targets">N class indices in [0, K).</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weighting and ε; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂loss/∂P (overwritten); empty to skip.</param>
    /// <param name="losses">Must be empty: the loss is a batch statistic.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: row i counts w_i times in the
    /// label counts, the predicted mass and the observed disagreement, as scikit-learn's
    /// <c>cohen_kappa_score(sample_weight=w)</c> weights its confusion matrix (integer weights equal repeated rows).</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes,
        WeightedKappaOptions? options, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> sampleWeights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A batch statistic, not a sum of rows: it shares the shape checks but not LossDriver's reduction.
        var o = options ?? WeightedKappaOptions.Default;
        o.ValidateFor(classes);
        Guard.Length(losses.Length, 0, nameof(losses));
        int n = Batch.Labels(input, targets, classes, gradient, default, nameof(input)).Rows;
        Guard.Labels(targets, classes, ignoreIndex: null, default, nameof(targets));
        CrossEntropyFromProbabilities.CheckProbabilities(input, classes);
        LossDriver.CheckSampleWeights(sampleWeights, n, classes, elementsIndependent: false);
        bool weighted = !sampleWeights.IsEmpty;

        bool quadratic = o.Weighting == KappaWeighting.Quadratic;
        Span<double> counts = classes <= 512 ? stackalloc double[classes] : new double[classes];
        counts.Clear();
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            double w = Weight(sampleWeights, i);
            counts[targets[i]] += w;
            total += w;
        }

        double num = 0, den = 0;
        for (int j = 0; j < classes; j++)
        {
            double mass = 0;
            for (int i = 0; i < n; i++)
            {
                double p = Weight(sampleWeights, i) * double.CreateTruncating(input[i * classes + j]);
                num += W(targets[i], j, quadratic) * p;
                mass += p;
            }

            den += ColumnWeight(counts, j, quadratic) * mass;
        }

        den /= weighted ? total : n;
        double ratio = den != 0 ? num / den : 0.0;
        double loss = Math.Log(ratio + o.LogOffset);
        if (!gradient.IsEmpty)
        {
            if (den == 0)
            {
                gradient.Clear();
            }
            else
            {
                double outer = 1.0 / (den * (ratio + o.LogOffset));
                for (int j = 0; j < classes; j++)
                {
                    double cj = ColumnWeight(counts, j, quadratic) / (weighted ? total : n);
                    for (int i = 0; i < n; i++)
                    {
                        gradient[i * classes + j] = T.CreateTruncating(Weight(sampleWeights, i) * (W(targets[i], j, quadratic) - ratio * cj) * outer);
                    }
                }
            }
        }

        return new LossResult(loss, loss, 1.0, n);
    }

    private static double Weight<T>(ReadOnlySpan<T> sampleWeights, int i)
        where T : unmanaged, IFloatingPointIeee754<T> => sampleWeights.IsEmpty ? 1.0 : double.CreateTruncating(sampleWeights[i]);

    private static double W(int a, int b, bool quadratic)
    {
        double d = a - b;
        return quadratic ? d * d : Math.Abs(d);
    }

    // c_j = Σ_k a_k W[k, j].
    private static double ColumnWeight(ReadOnlySpan<double> counts, int j, bool quadratic)
    {
        double s = 0;
        for (int k = 0; k < counts.Length; k++)
        {
            if (counts[k] != 0)
            {
                s += counts[k] * W(k, j, quadratic);
            }
        }

        return s;
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, WeightedKappaOptions, Span{T}, Span{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> targets, WeightedKappaOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = TensorArguments.Labels(input, targets, gradient, losses, sampleWeights, default);
        return Evaluate(a.Input, a.Targets, a.Classes, options, a.Gradient, a.Losses, a.SampleWeights);
    }
}
