using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// The unit of an information quantity (entropy, cross-entropy, KL divergence): nats (natural log, the default) or bits
/// (log base 2, seed 002's count: 8 equally likely fruits need 3 bits). A value in bits is the value in nats divided by
/// ln 2, and so is its gradient.
/// </summary>
public enum InformationUnit
{
    /// <summary>Natural logarithm: what PyTorch, Keras and Optax report.</summary>
    Nats,

    /// <summary>Base-2 logarithm: the value and the gradient in nats divided by ln 2.</summary>
    Bits,
}

/// <summary>The factor an <see cref="InformationUnit"/> applies to a value in nats.</summary>
internal static class InformationUnits
{
    private static readonly double BitsPerNat = 1 / Math.Log(2);

    /// <summary>1 for nats, 1 / ln 2 for bits; an undefined unit is an error naming the option <c>Units</c>.</summary>
    public static double PerNat(InformationUnit unit)
    {
        Guard.Option(Enum.IsDefined(unit), "Units", (double)unit, "must be Nats or Bits");
        return unit == InformationUnit.Bits ? BitsPerNat : 1.0;
    }
}
