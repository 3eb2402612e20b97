using System.Runtime.InteropServices;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// Cross-entropy of <c>softmax(z / τ)</c> against a class index or a row of target probabilities, fused with its
/// gradient in one pass per row (log-sum-exp with the maximum subtracted; <c>log(softmax(z))</c> is never built).
/// </summary>
/// <remarks>
/// <para>Per row, with <c>lse = log Σ_c exp(z_c / τ)</c> and <c>-log p_c = lse - z_c / τ</c>, the loss is
/// <c>ℓ = Σ_c q_c (lse - z_c / τ)</c>, where for a class index y (PyTorch's <c>CrossEntropyLoss</c>)
/// <c>q_c = (1 - ε) w_y [c = y] + (ε / K) w_c</c>, and for target probabilities t (PyTorch's probability targets,
/// Optax's <c>softmax_cross_entropy</c>) <c>q_c = w_c ((1 - ε) t_c + ε / K)</c>.</para>
/// <para>Gradient: <c>∂ℓ/∂z_j = (p_j Σ_c q_c - q_j) / τ</c>, which is the familiar <c>p_j - y_j</c> for a one-hot
/// target (seed 002; seed 004's general form <c>-y_j + p_j Σ y</c>). The kernel writes it multiplied by the
/// reduction's factor, overwriting the caller's buffer.</para>
/// <para>Mean: index targets divide by <c>Σ w_{y_i}</c> over rows that are not ignored; probability targets divide
/// by N (both as PyTorch). An ignored class index keeps its row out of the loss but other rows' softmax
/// denominators are untouched. Terms with <c>q_c = 0</c> contribute 0 even when <c>z_c = -∞</c> (masked classes).
/// A NaN logit propagates to its own row's loss and gradient, as in PyTorch; targets are always validated.</para>
/// </remarks>
public static class SoftmaxCrossEntropy
{
    /// <summary>Cross-entropy from logits with class-index targets.</summary>
    /// <param name="logits">Row-major [N, K] logits z.</param>
    /// <param name="labels">N class indices in [0, K), or <see cref="CrossEntropyOptions.IgnoreIndex"/>.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, ignore index, smoothing, temperature, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer that receives ∂(reduced loss)/∂z (overwritten); empty to skip the gradient.</param>
    /// <param name="rowLosses">N buffer that receives each row's weighted loss (overwritten); empty to skip.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes,
        CrossEntropyOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? CrossEntropyOptions.Default;
        o.Validate(classes);
        if (typeof(T) == typeof(float) && FusedSoftmaxCrossEntropy.Supports(o))
        {
            // float logits take the vectorised fused kernel (any weights, smoothing, temperature; it falls back to
            // IndexRow below for rows with non-finite logits or losses).
            return FusedSoftmaxCrossEntropy.Evaluate(MemoryMarshal.Cast<T, float>(logits), labels, classes, o,
                MemoryMarshal.Cast<T, float>(gradient), MemoryMarshal.Cast<T, float>(rowLosses), o.MaxDegreeOfParallelism);
        }

        return EvaluateGeneric(logits, labels, classes, o, gradient, rowLosses);
    }

    /// <summary>The generic (double arithmetic) path of the class-index overload, options already validated.</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int classes,
        CrossEntropyOptions o, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(labels.Length, n, nameof(labels));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);

        ReadOnlySpan<double> w = o.WeightSpan;
        double denominator = Guard.Labels(labels, classes, o.IgnoreIndex, w, nameof(labels));

        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, denominator, n);
        double weightTotal = WeightTotal(w, classes);
        bool wantGradient = !gradient.IsEmpty;
        double sum = 0;

        for (int i = 0; i < n; i++)
        {
            var z = logits.Slice(i * classes, classes);
            int y = labels[i];
            if (y == o.IgnoreIndex)
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

            double loss = IndexRow(z, y, w, o.LabelSmoothing, o.Temperature, weightTotal, scale,
                wantGradient ? gradient.Slice(i * classes, classes) : default);
            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, denominator, n);
    }

    /// <summary><c>Σ_c w_c</c>, or K without weights: the smoothing part of <c>Σ_c q_c</c> per unit of ε / K.</summary>
    internal static double WeightTotal(ReadOnlySpan<double> w, int classes) => w.IsEmpty ? classes : Sum(w);

    /// <summary>
    /// One row of the class-index loss in double (the reference the fused float kernel falls back to for rows with
    /// non-finite logits): returns the weighted row loss and, unless <paramref name="g"/> is empty, overwrites it
    /// with the row's gradient times <paramref name="scale"/>.
    /// </summary>
    internal static double IndexRow<T>(ReadOnlySpan<T> z, int y, ReadOnlySpan<double> w, double eps, double tau,
        double weightTotal, double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = z.Length;
        bool weighted = !w.IsEmpty;
        double invTau = 1.0 / tau;
        double smoothPerClass = eps / classes;
        double ls = LogSumExp.Parts(z, tau, out double m);
        double wy = weighted ? w[y] : 1.0;
        double hard = (1 - eps) * wy;
        double loss = hard == 0 ? 0 : hard * ((m - double.CreateTruncating(z[y]) * invTau) + ls);
        if (eps > 0)
        {
            double smooth = 0;
            for (int c = 0; c < classes; c++)
            {
                double wc = weighted ? w[c] : 1.0;
                if (wc != 0)
                {
                    smooth += wc * ((m - double.CreateTruncating(z[c]) * invTau) + ls);
                }
            }

            loss += smoothPerClass * smooth;
        }

        if (!g.IsEmpty)
        {
            double qTotal = hard + smoothPerClass * weightTotal;
            double s = scale * invTau;
            for (int c = 0; c < classes; c++)
            {
                double q = smoothPerClass * (weighted ? w[c] : 1.0);
                if (c == y)
                {
                    q += hard;
                }

                double p = Math.Exp((double.CreateTruncating(z[c]) * invTau - m) - ls);
                g[c] = T.CreateTruncating((p * qTotal - q) * s);
            }
        }

        return loss;
    }

    /// <summary>Cross-entropy from logits with probability (soft) targets.</summary>
    /// <param name="logits">Row-major [N, K] logits z.</param>
    /// <param name="targets">Row-major [N, K] target probabilities t: each in [0, 1], each row summing to 1.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, smoothing, temperature, reduction; the ignore index does not apply here.</param>
    /// <param name="gradient">[N, K] buffer that receives ∂(reduced loss)/∂z (overwritten); empty to skip the gradient.</param>
    /// <param name="rowLosses">N buffer that receives each row's loss (overwritten); empty to skip.</param>
    /// <remarks>With float logits the fused kernel validates the targets while it computes; if a target is bad the
    /// same <see cref="ArgumentException"/> is thrown, but <paramref name="gradient"/> and <paramref name="rowLosses"/>
    /// may already have been partly overwritten.</remarks>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        CrossEntropyOptions? options, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var o = options ?? CrossEntropyOptions.Default;
        o.Validate(classes);
        if (typeof(T) == typeof(float) && FusedSoftTargetCrossEntropy.Supports(o))
        {
            return FusedSoftTargetCrossEntropy.Evaluate(MemoryMarshal.Cast<T, float>(logits), MemoryMarshal.Cast<T, float>(targets),
                classes, o, MemoryMarshal.Cast<T, float>(gradient), MemoryMarshal.Cast<T, float>(rowLosses), o.MaxDegreeOfParallelism);
        }

        return EvaluateGeneric(logits, targets, classes, o, gradient, rowLosses);
    }

    /// <summary>The generic (double arithmetic) path of the probability-target overload, options already validated.</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int classes,
        CrossEntropyOptions o, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Guard.Rows(logits.Length, classes, nameof(logits));
        Guard.Length(targets.Length, logits.Length, nameof(targets));
        Guard.Length(gradient.Length, logits.Length, nameof(gradient), optional: true);
        Guard.Length(rowLosses.Length, n, nameof(rowLosses), optional: true);
        for (int i = 0; i < n; i++)
        {
            Guard.ProbabilityRow(targets.Slice(i * classes, classes), i, o.TargetSumTolerance, nameof(targets));
        }

        double scale = Reducer.GradientScale(o.Reduction, o.WhenEmpty, n, n);
        bool wantGradient = !gradient.IsEmpty;
        double sum = 0;

        for (int i = 0; i < n; i++)
        {
            double loss = SoftRow(logits.Slice(i * classes, classes), targets.Slice(i * classes, classes), o.WeightSpan,
                o.LabelSmoothing, o.Temperature, scale, wantGradient ? gradient.Slice(i * classes, classes) : default);
            sum += loss;
            if (!rowLosses.IsEmpty)
            {
                rowLosses[i] = T.CreateTruncating(loss);
            }
        }

        return Reducer.Result(o.Reduction, o.WhenEmpty, sum, n, n);
    }

    /// <summary>
    /// One row of the probability-target loss in double (targets already validated; the reference the fused float
    /// kernel falls back to for rows with non-finite logits): returns the row loss and, unless <paramref name="g"/>
    /// is empty, overwrites it with the row's gradient times <paramref name="scale"/>.
    /// </summary>
    internal static double SoftRow<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, ReadOnlySpan<double> w, double eps, double tau,
        double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = z.Length;
        bool weighted = !w.IsEmpty;
        double invTau = 1.0 / tau;
        double smoothPerClass = eps / classes;
        double ls = LogSumExp.Parts(z, tau, out double m);
        double loss = 0;
        double qTotal = 0;
        for (int c = 0; c < classes; c++)
        {
            double q = (weighted ? w[c] : 1.0) * ((1 - eps) * double.CreateTruncating(t[c]) + smoothPerClass);
            if (q != 0)
            {
                loss += q * ((m - double.CreateTruncating(z[c]) * invTau) + ls);
                qTotal += q;
            }
        }

        if (!g.IsEmpty)
        {
            double s = scale * invTau;
            for (int c = 0; c < classes; c++)
            {
                double q = (weighted ? w[c] : 1.0) * ((1 - eps) * double.CreateTruncating(t[c]) + smoothPerClass);
                double p = Math.Exp((double.CreateTruncating(z[c]) * invTau - m) - ls);
                g[c] = T.CreateTruncating((p * qTotal - q) * s);
            }
        }

        return loss;
    }

    private static double Sum(ReadOnlySpan<double> values)
    {
        double s = 0;
        foreach (double v in values)
        {
            s += v;
        }

        return s;
    }
}
