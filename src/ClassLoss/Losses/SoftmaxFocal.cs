using System.Runtime.InteropServices;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="SoftmaxFocal"/> (Keras's <c>CategoricalFocalCrossentropy</c> defaults).</summary>
public sealed record SoftmaxFocalOptions : LossOptions
{
    /// <summary>The defaults: γ = 2, α = 0.25 for every class (Keras), ignore index -100, mean over counted rows.</summary>
    public static SoftmaxFocalOptions Default { get; } = new();

    private readonly double[]? _classAlpha;

    /// <summary>Focusing parameter γ ≥ 0 (default 2, Keras). γ = 0 gives α-weighted cross-entropy.</summary>
    public double Gamma { get; init; } = 2.0;

    /// <summary>The α every class gets when <see cref="ClassAlpha"/> is null: finite, ≥ 0. Default 0.25 (Keras).</summary>
    public double Alpha { get; init; } = 0.25;

    /// <summary>Per-class α_c (length K, finite, ≥ 0); replaces <see cref="Alpha"/> when set. Copied when set.</summary>
    public IReadOnlyList<double>? ClassAlpha
    {
        get => _classAlpha;
        init => _classAlpha = value is null ? null : [.. value];
    }

    /// <summary>A class index that marks a row to skip (loss 0, gradient 0, not counted). Default -100.</summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>How far a row of probability targets may sum from 1 (default 1e-4); NaN skips the sum check.</summary>
    public double TargetSumTolerance { get; init; } = 1e-4;

    internal double AlphaOf(int c) => _classAlpha is null ? Alpha : _classAlpha[c];

    internal void Validate(int classes)
    {
        if (_classAlpha is not null)
        {
            Guard.ClassWeights(_classAlpha, classes, nameof(ClassAlpha));
        }

        Guard.Option(Gamma >= 0 && double.IsFinite(Gamma), nameof(Gamma), Gamma, "must be finite and >= 0");
        Guard.Option(Alpha >= 0 && double.IsFinite(Alpha), nameof(Alpha), Alpha, "must be finite and >= 0");
        Guard.Option(double.IsNaN(TargetSumTolerance) || TargetSumTolerance >= 0, nameof(TargetSumTolerance), TargetSumTolerance, "must be >= 0 or NaN");
    }
}

/// <summary>
/// Softmax focal loss from logits (Lin et al. 2017, multi-class form), against class indices or target probabilities,
/// with Keras's <c>CategoricalFocalCrossentropy</c> semantics.
/// </summary>
/// <remarks>
/// <para>Per row, with <c>p = softmax(z)</c>: <c>ℓ = -Σ_c α_c y_c (1 - p_c)^γ log p_c</c>.</para>
/// <para>Gradient: with <c>q_c = 1 - p_c</c>, <c>L_c = -log p_c</c>, <c>B_c = α_c y_c q_c^γ</c> and
/// <c>C_c = γ α_c y_c p_c q_c^γ (L_c / q_c)</c>: <c>∂ℓ/∂z_j = p_j Σ_c (B_c + C_c) - (B_j + C_j)</c>.
/// <c>L_c / q_c</c> → 1 as <c>p_c → 1</c>, so the gradient stays finite for γ &lt; 1. <c>q_c</c> is computed as
/// <c>Σ_{j≠c} p_j</c> when <c>p_c &gt; 1/2</c> (at most one class per row), so it keeps full relative precision.</para>
/// <para>Mean divides by the number of counted rows (Keras's <c>sum_over_batch_size</c>; α does not enter the
/// denominator, unlike PyTorch's weighted cross-entropy mean). With γ = 0 this is <see cref="SoftmaxCrossEntropy"/>
/// with class weights α under <see cref="Reduction.Sum"/>. Keras clips probabilities to [1e-7, 1 - 1e-7] before the log;
/// working from logits, this kernel needs no clipping (a class with zero target weight and <c>z = -∞</c> contributes 0).</para>
/// </remarks>
public static class SoftmaxFocal
{
    /// <summary>Softmax focal loss from logits with class-index targets.</summary>
    /// <param name="logits">Row-major [N, K] logits z.</param>
    /// <param name="labels">N class indices in [0, K), or the ignore index.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">γ, α, ignore index, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer that receives ∂(reduced loss)/∂z (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer that receives each row's loss (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes,
        SoftmaxFocalOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? SoftmaxFocalOptions.Default;
        o.Validate(classes);
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(labels.Length, n, nameof(labels));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        double counted = Guard.Labels(labels, classes, o.IgnoreIndex, default, nameof(labels));

        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, counted, n);
        if (typeof(T) == typeof(float))
        {
            // Float (every option combination of index targets): the vectorised fused kernel.
            double fusedSum = FusedSoftmaxFocal.Sum(MemoryMarshal.Cast<T, float>(logits), labels, classes, o, scale,
                MemoryMarshal.Cast<T, float>(gradient), MemoryMarshal.Cast<T, float>(rowLosses), o.MaxDegreeOfParallelism);
            return Reducer.Result(o.Reduction, o.WhenEmpty, fusedSum, counted, n);
        }

        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var z = logits.Slice(i * classes, classes);
            var g = gradient.IsEmpty ? default : gradient.Slice(i * classes, classes);
            int y = labels[i];
            double loss = 0;
            if (y == o.IgnoreIndex)
            {
                g.Clear();
            }
            else
            {
                loss = Row(z, default, y, classes, o, scale, g);
            }

            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, counted, n);
    }

    /// <summary>Softmax focal loss from logits with probability (or one-hot) targets.</summary>
    /// <param name="logits">Row-major [N, K] logits z.</param>
    /// <param name="targets">Row-major [N, K] target probabilities y: in [0, 1], rows summing to 1.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">γ, α, reduction; the ignore index does not apply.</param>
    /// <param name="gradient">[N, K] buffer that receives ∂(reduced loss)/∂z (overwritten); empty to skip.</param>
    /// <param name="rowLosses">N buffer that receives each row's loss (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        SoftmaxFocalOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? SoftmaxFocalOptions.Default;
        o.Validate(classes);
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets.Length, logits.Length, nameof(targets));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        bool fused = typeof(T) == typeof(float) && FusedSoftmaxFocal.SupportsSoft(o);
        if (!fused || !FusedSoftmaxFocal.TargetsPlainlyValid(MemoryMarshal.Cast<T, float>(targets), classes, o.TargetSumTolerance))
        {
            for (int i = 0; i < n; i++)
            {
                Guard.ProbabilityRow(targets.Slice(i * classes, classes), i, o.TargetSumTolerance, nameof(targets));
            }
        }

        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, n, n);
        if (fused)
        {
            // Float, one α for all classes, γ ∈ {0, 1, 2}: the vectorised fused kernel.
            double fusedSum = FusedSoftmaxFocal.SumSoft(MemoryMarshal.Cast<T, float>(logits), MemoryMarshal.Cast<T, float>(targets), classes,
                o, scale, MemoryMarshal.Cast<T, float>(gradient), MemoryMarshal.Cast<T, float>(rowLosses), o.MaxDegreeOfParallelism);
            return Reducer.Result(o.Reduction, o.WhenEmpty, fusedSum, n, n);
        }

        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            var g = gradient.IsEmpty ? default : gradient.Slice(i * classes, classes);
            double loss = Row(logits.Slice(i * classes, classes), targets.Slice(i * classes, classes), -1, classes, o, scale, g);
            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, n, n);
    }

    // One row: targets t (when label < 0) or the one-hot of label. Returns the row loss, writes scale * gradient.
    internal static double Row<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, int label, int classes,
        SoftmaxFocalOptions o, double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double lse = LogSumExp.Compute(z, 1.0, out _);
        double gamma = o.Gamma;
        double loss = 0;
        double total = 0; // Σ_c (B_c + C_c)
        for (int c = 0; c < classes; c++)
        {
            double a = o.AlphaOf(c) * (label >= 0 ? (c == label ? 1.0 : 0.0) : double.CreateTruncating(t[c]));
            if (a == 0)
            {
                continue;
            }

            Terms(z, c, lse, gamma, out double l, out double b, out double cc);
            loss += a * b * l;
            total += a * (b + cc);
        }

        if (!g.IsEmpty)
        {
            for (int j = 0; j < classes; j++)
            {
                double p = Math.Exp(double.CreateTruncating(z[j]) - lse);
                double own = 0;
                double a = o.AlphaOf(j) * (label >= 0 ? (j == label ? 1.0 : 0.0) : double.CreateTruncating(t[j]));
                if (a != 0)
                {
                    Terms(z, j, lse, gamma, out _, out double b, out double cc);
                    own = a * (b + cc);
                }

                g[j] = T.CreateTruncating((p * total - own) * scale);
            }
        }

        return loss;
    }

    // For class c: L = -log p_c, B = q^γ, C = γ p q^γ (L / q), with q = 1 - p_c kept accurate near p_c = 1.
    private static void Terms<T>(ReadOnlySpan<T> z, int c, double lse, double gamma, out double l, out double b, out double cc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double logp = double.CreateTruncating(z[c]) - lse;
        double p = Math.Exp(logp);
        double q;
        if (p > 0.5)
        {
            q = 0;
            for (int j = 0; j < z.Length; j++)
            {
                if (j != c)
                {
                    q += Math.Exp(double.CreateTruncating(z[j]) - lse);
                }
            }

            l = -StableMath.Log1p(-q);
        }
        else
        {
            q = 1 - p;
            l = -logp;
        }

        b = gamma == 0 ? 1.0 : Math.Pow(q, gamma);
        double ratio = q == 0 ? 1.0 : l / q;
        cc = gamma == 0 ? 0.0 : gamma * p * b * ratio;
    }
}
