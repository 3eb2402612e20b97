using ClassLoss.Numerics;

namespace ClassLoss.Activations;

// The element-wise activations of the sigmoid family: Sigmoid, LogSigmoid, Softplus and Logit. Each is a static
// class with Forward and Backward; all compute in double through ClassLoss.Numerics.StableMath, allocate nothing,
// accept any length (0 included) and allow the output to be the same span as an input.

/// <summary>
/// Element-wise logistic sigmoid <c>y = σ(x) = 1 / (1 + e^-x)</c>, evaluated without overflow for either sign.
/// </summary>
/// <remarks>
/// Backward: <c>σ'(x) = σ(x)(1 - σ(x))</c>, so <c>dx = g ⊙ y ⊙ (1 - y)</c> from the forward output (as PyTorch's
/// <c>sigmoid_backward</c>). <c>±∞</c> give 1 and 0 and a zero gradient; NaN gives NaN.
/// </remarks>
public static class Sigmoid
{
    /// <summary>Writes <c>σ(x)</c> into <paramref name="y"/>.</summary>
    /// <param name="x">Inputs (logits), any length.</param>
    /// <param name="y">Outputs, same length; overwritten (may be <paramref name="x"/>).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => ActivationKernels.Map<T, Maps, byte>(x, y, 0);

    /// <summary>Writes <c>dx = g ⊙ y ⊙ (1 - y)</c>.</summary>
    /// <param name="y">The forward output σ(x).</param>
    /// <param name="upstream">g = ∂L/∂y, same length.</param>
    /// <param name="dx">∂L/∂x, same length; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => ActivationKernels.Map<T, Gradient, byte>(y, upstream, dx, 0);

    private readonly struct Maps : IElementMap<byte>
    {
        public static double Of(double x, double g, in byte p) => StableMath.Sigmoid(x);
    }

    private readonly struct Gradient : IElementMap<byte>
    {
        public static double Of(double s, double g, in byte p) => g * s * (1.0 - s);
    }
}

/// <summary>
/// Element-wise log-sigmoid <c>y = log σ(x) = -softplus(-x) = min(x, 0) - log1p(e^-|x|)</c>, never
/// <c>log(sigmoid(x))</c> (which gives <c>-∞</c> at x = -104 in float; this gives -104).
/// </summary>
/// <remarks>
/// Backward: <c>d/dx log σ(x) = 1 - σ(x) = σ(-x)</c>, so <c>dx = g ⊙ σ(-x)</c>. It takes the input, not the
/// output, because recovering <c>1 - σ(x)</c> from <c>log σ(x) ≈ 0</c> would cancel (PyTorch's
/// <c>log_sigmoid_backward</c> also takes the input).
/// </remarks>
public static class LogSigmoid
{
    /// <summary>Writes <c>log σ(x)</c> into <paramref name="y"/>.</summary>
    /// <param name="x">Inputs (logits), any length.</param>
    /// <param name="y">Outputs, same length; overwritten (may be <paramref name="x"/>).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => ActivationKernels.Map<T, Maps, byte>(x, y, 0);

    /// <summary>Writes <c>dx = g ⊙ σ(-x)</c>.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="upstream">g = ∂L/∂y, same length.</param>
    /// <param name="dx">∂L/∂x, same length; overwritten (may be <paramref name="x"/> or <paramref name="upstream"/>).</param>
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => ActivationKernels.Map<T, Gradient, byte>(x, upstream, dx, 0);

    private readonly struct Maps : IElementMap<byte>
    {
        public static double Of(double x, double g, in byte p) => StableMath.LogSigmoid(x);
    }

    private readonly struct Gradient : IElementMap<byte>
    {
        public static double Of(double x, double g, in byte p) => g * StableMath.Sigmoid(-x);
    }
}

/// <summary>
/// Element-wise softplus with sharpness β: <c>y = softplus(βx) / β = (max(βx, 0) + log1p(e^-|βx|)) / β</c>,
/// as <c>torch.nn.functional.softplus(x, beta)</c>.
/// </summary>
/// <remarks>
/// <para>
/// PyTorch switches to the identity where <c>βx &gt; threshold</c> (default 20) to save the exp; the formula above
/// is exact and overflow-free everywhere, so there is no threshold. The two differ by at most
/// <c>log1p(e^-20) / β ≈ 2e-9 / β</c>, below float resolution at those values.
/// </para>
/// <para>Backward: <c>dy/dx = σ(βx)</c>, so <c>dx = g ⊙ σ(βx)</c> (from the input).</para>
/// </remarks>
public static class Softplus
{
    /// <summary>Writes <c>softplus(βx) / β</c> into <paramref name="y"/>.</summary>
    /// <param name="x">Inputs, any length.</param>
    /// <param name="beta">β &gt; 0 and finite; 1 is the plain softplus <c>log(1 + e^x)</c>.</param>
    /// <param name="y">Outputs, same length; overwritten (may be <paramref name="x"/>).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, double beta, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBeta(beta);
        ActivationKernels.Map<T, Maps, double>(x, y, beta);
    }

    /// <summary>Writes <c>log(1 + e^x)</c> (β = 1) into <paramref name="y"/>.</summary>
    /// <param name="x">Inputs, any length.</param>
    /// <param name="y">Outputs, same length; overwritten (may be <paramref name="x"/>).</param>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => Forward(x, 1.0, y);

    /// <summary>Writes <c>dx = g ⊙ σ(βx)</c>.</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="upstream">g = ∂L/∂y, same length.</param>
    /// <param name="beta">The β used in the forward pass.</param>
    /// <param name="dx">∂L/∂x, same length; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, double beta, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBeta(beta);
        ActivationKernels.Map<T, Gradient, double>(x, upstream, dx, beta);
    }

    /// <summary>Writes <c>dx = g ⊙ σ(x)</c> (β = 1).</summary>
    /// <param name="x">The forward input.</param>
    /// <param name="upstream">g = ∂L/∂y, same length.</param>
    /// <param name="dx">∂L/∂x, same length; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => Backward(x, upstream, 1.0, dx);

    private readonly struct Maps : IElementMap<double>
    {
        public static double Of(double x, double g, in double beta) => StableMath.Softplus(beta * x) / beta;
    }

    private readonly struct Gradient : IElementMap<double>
    {
        public static double Of(double x, double g, in double beta) => g * StableMath.Sigmoid(beta * x);
    }

    private static void CheckBeta(double beta) =>
        Validation.Guard.Option(double.IsFinite(beta) && beta > 0, nameof(beta), beta, "must be finite and greater than 0");
}

/// <summary>
/// Element-wise logit (log-odds) <c>y = log(p / (1 - p)) = log p - log1p(-p)</c>, the inverse of
/// <see cref="Sigmoid"/>, with the optional clamp of <c>torch.logit(input, eps)</c>: when <c>eps</c> is given,
/// p is first clamped to <c>[eps, 1 - eps]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Without a clamp, 0 and 1 give <c>-∞</c> and <c>+∞</c> and values outside [0, 1] give NaN, as in PyTorch.
/// </para>
/// <para>
/// Backward: <c>d/dp log(p / (1 - p)) = 1 / (p (1 - p))</c>, so <c>dx = g / (p (1 - p))</c>. With a clamp, the
/// gradient is 0 where p lies outside <c>[eps, 1 - eps]</c> (the clamp is flat there), as PyTorch's
/// <c>logit_backward</c>; without one it is ±∞ at 0 and 1 and NaN outside [0, 1].
/// </para>
/// </remarks>
public static class Logit
{
    /// <summary>Writes <c>logit(clamp(p, eps, 1 - eps))</c> into <paramref name="y"/>.</summary>
    /// <param name="p">Probabilities, any length.</param>
    /// <param name="eps">Null for no clamp, else a clamp bound in [0, 0.5].</param>
    /// <param name="y">Outputs, same length; overwritten (may be <paramref name="p"/>).</param>
    public static void Forward<T>(ReadOnlySpan<T> p, double? eps, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckEps(eps);
        ActivationKernels.Map<T, Maps, double?>(p, y, eps);
    }

    /// <summary>Writes <c>logit(p)</c> (no clamp) into <paramref name="y"/>.</summary>
    /// <param name="p">Probabilities, any length.</param>
    /// <param name="y">Outputs, same length; overwritten (may be <paramref name="p"/>).</param>
    public static void Forward<T>(ReadOnlySpan<T> p, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => Forward(p, null, y);

    /// <summary>Writes <c>dx = g / (p (1 - p))</c>, zero outside <c>[eps, 1 - eps]</c> when clamped.</summary>
    /// <param name="p">The forward input.</param>
    /// <param name="upstream">g = ∂L/∂y, same length.</param>
    /// <param name="eps">The clamp used in the forward pass (null for none).</param>
    /// <param name="dx">∂L/∂p, same length; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> upstream, double? eps, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckEps(eps);
        ActivationKernels.Map<T, Gradient, double?>(p, upstream, dx, eps);
    }

    /// <summary>Writes <c>dx = g / (p (1 - p))</c> (no clamp).</summary>
    /// <param name="p">The forward input.</param>
    /// <param name="upstream">g = ∂L/∂y, same length.</param>
    /// <param name="dx">∂L/∂p, same length; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> upstream, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => Backward(p, upstream, null, dx);

    private readonly struct Maps : IElementMap<double?>
    {
        public static double Of(double v, double g, in double? eps) => StableMath.Logit(eps is double e ? Clamp(v, e) : v);
    }

    private readonly struct Gradient : IElementMap<double?>
    {
        public static double Of(double v, double g, in double? eps) => eps is double e
            ? (v < e || v > 1.0 - e ? 0.0 : g / (v * (1.0 - v)))
            : (v < 0 || v > 1 ? double.NaN : g / (v * (1.0 - v)));
    }

    private static double Clamp(double v, double e) => double.IsNaN(v) ? v : Math.Min(Math.Max(v, e), 1.0 - e);

    private static void CheckEps(double? eps)
    {
        if (eps is double e)
        {
            Validation.Guard.Option(e >= 0 && e <= 0.5, nameof(eps), e, "must be in [0, 0.5] (or null for no clamp)");
        }
    }
}
