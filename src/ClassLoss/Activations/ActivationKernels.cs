using ClassLoss.Numerics;

namespace ClassLoss.Activations;

/// <summary>An element-wise activation step in double: the forward value of <c>x</c>, or the backward value of
/// (<c>x</c> or <c>y</c>, <c>g</c>) when <typeparamref name="TParams"/>'s second argument is the upstream gradient.</summary>
internal interface IElementMap<TParams>
{
    /// <summary>The output for input <paramref name="a"/> (and, backward, upstream gradient <paramref name="g"/>).</summary>
    static abstract double Of(double a, double g, in TParams p);
}

/// <summary>
/// The loops of the activations, written once: element-wise maps (forward over one span, backward over the forward's
/// input or output and the upstream gradient), and the row-wise log-softmax family (max subtracted, log-sum-exp in
/// double) whose forward writes <c>log p</c> or <c>p</c>. Everything in double, nothing allocated, outputs may alias inputs.
/// </summary>
internal static class ActivationKernels
{
    /// <summary><c>y[i] = f(x[i])</c>.</summary>
    public static void Map<T, TMap, TParams>(ReadOnlySpan<T> x, Span<T> y, in TParams p)
        where T : unmanaged, IFloatingPointIeee754<T> where TMap : IElementMap<TParams>
    {
        ActivationGuard.SameLength(y.Length, x.Length, nameof(y));
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = T.CreateTruncating(TMap.Of(double.CreateTruncating(x[i]), 0, p));
        }
    }

    /// <summary><c>dx[i] = f(a[i], g[i])</c> with <c>a</c> the forward's input or output and <c>g</c> the upstream gradient.</summary>
    public static void Map<T, TMap, TParams>(ReadOnlySpan<T> a, ReadOnlySpan<T> upstream, Span<T> dx, in TParams p)
        where T : unmanaged, IFloatingPointIeee754<T> where TMap : IElementMap<TParams>
    {
        ActivationGuard.SameLength(upstream.Length, a.Length, nameof(upstream));
        ActivationGuard.SameLength(dx.Length, a.Length, nameof(dx));
        for (int i = 0; i < a.Length; i++)
        {
            dx[i] = T.CreateTruncating(TMap.Of(double.CreateTruncating(a[i]), double.CreateTruncating(upstream[i]), p));
        }
    }

    /// <summary>
    /// Row-wise <c>log softmax(x / τ)</c>, or its exponential when <paramref name="probabilities"/>: a row with a NaN, a
    /// <c>+∞</c> entry, or only <c>-∞</c> entries gives a NaN row (as torch). The log-sum-exp reads the whole row before
    /// anything is written, so <paramref name="y"/> may alias <paramref name="x"/>.
    /// </summary>
    public static void LogSoftmaxRows<T>(ReadOnlySpan<T> x, int classes, double temperature, Span<T> y, bool probabilities)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = ActivationGuard.Rows(x.Length, classes, nameof(x));
        ActivationGuard.Temperature(temperature);
        ActivationGuard.SameLength(y.Length, x.Length, nameof(y));
        double inverse = 1.0 / temperature;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * classes, classes);
            Span<T> yr = y.Slice(r * classes, classes);
            double logSum = LogSumExp.Parts(xr, temperature, out double m);
            bool nanRow = double.IsNaN(logSum) || !double.IsFinite(m);
            for (int c = 0; c < classes; c++)
            {
                double logP = ((double.CreateTruncating(xr[c]) * inverse) - m) - logSum;
                yr[c] = nanRow ? T.NaN : T.CreateTruncating(probabilities ? Math.Exp(logP) : logP);
            }
        }
    }

    /// <summary>
    /// The row-wise vector-Jacobian products of the softmax family, <c>dx = (a ⊙ (g - (g · y)) or (g - p Σ g)) / τ</c>:
    /// <paramref name="ofSoftmax"/> takes the softmax output y (<c>dx = y ⊙ (g - g·y) / τ</c>), otherwise the
    /// log-softmax output (<c>dx = (g - exp(y) Σ g) / τ</c>).
    /// </summary>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, double temperature, Span<T> dx, bool ofSoftmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = ActivationGuard.Rows(y.Length, classes, nameof(y));
        ActivationGuard.Temperature(temperature);
        ActivationGuard.SameLength(upstream.Length, y.Length, nameof(upstream));
        ActivationGuard.SameLength(dx.Length, y.Length, nameof(dx));
        double inverse = 1.0 / temperature;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> yr = y.Slice(r * classes, classes);
            ReadOnlySpan<T> gr = upstream.Slice(r * classes, classes);
            Span<T> dr = dx.Slice(r * classes, classes);
            double total = 0;
            for (int c = 0; c < classes; c++)
            {
                total += double.CreateTruncating(gr[c]) * (ofSoftmax ? double.CreateTruncating(yr[c]) : 1.0);
            }

            for (int c = 0; c < classes; c++)
            {
                double g = double.CreateTruncating(gr[c]);
                double v = double.CreateTruncating(yr[c]);
                dr[c] = T.CreateTruncating((ofSoftmax ? v * (g - total) : g - (Math.Exp(v) * total)) * inverse);
            }
        }
    }
}
