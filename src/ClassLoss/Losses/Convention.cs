namespace ClassLoss.Losses;

/// <summary>
/// An anchor library whose conventions a loss's options can be switched to in one call
/// (<see cref="LossConventions.Following{TOptions}(TOptions, Convention)"/>); docs/conventions.md, "Parity presets",
/// has the table of what each sets.
/// </summary>
public enum Convention
{
    /// <summary>PyTorch (1.13/2.x <c>torch.nn.functional</c>, torchvision's focal loss): <c>reduction='mean'</c> (the
    /// element mean for the element-wise losses, the class-weighted mean for index targets), the weighted mean divided by
    /// the counted weight, NaN for a mean of nothing, <c>BCELoss</c>'s log clamped at -100, prediction rows taken as
    /// given, torchvision's α on, <c>MSELoss</c>'s element mean for the Brier scores.</summary>
    Pytorch,

    /// <summary>Keras 3 (<c>keras.losses</c>): <c>sum_over_batch_size</c> (per-sample losses divided by N, also with
    /// sample weights; the binary losses average over the last axis first, which is the element mean), 0 for an empty
    /// batch, probabilities clipped to [1e-7, 1 - 1e-7] and prediction rows renormalised, <c>BinaryFocalCrossentropy</c>'s
    /// α off (<c>apply_class_balancing=False</c>), <c>MeanSquaredError</c>'s element mean for the Brier scores.</summary>
    Keras,

    /// <summary>Optax (<c>optax.losses</c>): per-example losses, no reduction (<see cref="Reduction.None"/>: the
    /// <c>losses</c> buffer holds them, the value is their sum), 0 for a mean of nothing, no clip on probabilities (Optax
    /// takes logits; <c>-Σ y log p</c> of probabilities is unclamped), <c>sigmoid_focal_loss</c>'s α off (its
    /// <c>alpha=None</c> default).</summary>
    Optax,
}

/// <summary>The one switch of issue 11 item 8: a loss's options with every convention set to an anchor's.</summary>
public static class LossConventions
{
    /// <summary>
    /// A copy of <paramref name="options"/> with every option that follows a convention (reduction and its weighted
    /// denominator, empty mean, probability clip and renormalisation, sigmoid focal α, Brier average) set to
    /// <paramref name="convention"/>'s; the options that are a choice of the model (γ, α's value, smoothing amount,
    /// class weights, temperature, ignore index, threads) are kept. Set a single option afterwards with
    /// <c>with</c>: <c>new SigmoidFocalOptions { Gamma = 3 }.Following(Convention.Keras) with { Reduction = Reduction.Sum }</c>.
    /// </summary>
    /// <param name="options">The options to copy (never changed).</param>
    /// <param name="convention">The anchor.</param>
    /// <typeparam name="TOptions">The loss's options type.</typeparam>
    /// <returns>The copy.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="convention"/> is not a known convention.</exception>
    public static TOptions Following<TOptions>(this TOptions options, Convention convention)
        where TOptions : LossOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(convention))
        {
            throw new ArgumentOutOfRangeException(nameof(convention), convention, "Not a known convention (Pytorch, Keras or Optax).");
        }

        return (TOptions)options.WithConvention(convention);
    }
}
