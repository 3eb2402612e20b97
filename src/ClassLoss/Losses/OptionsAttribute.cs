namespace ClassLoss.Losses;

/// <summary>
/// Put on a <see cref="LossOptions"/> record (declared <c>partial</c>), asks the build-time generator
/// (src/ClassLoss.Generators, <c>OptionsGenerator</c>) for what every options record would otherwise write by hand: the
/// <c>Default</c> instance of a sealed record, documented by the record's <c>&lt;defaults&gt;</c> doc tag, and, when
/// <see cref="Takes"/> is named, the <c>Takes</c> override saying which shared options the loss takes (documented by a
/// <c>&lt;takes&gt;</c> tag, if any); with <see cref="Clamped"/>, the convention's clamp of a loss over probabilities.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class OptionsAttribute : Attribute
{
    /// <summary>The shared options the loss takes; when not named, the record inherits its base's.</summary>
    public SharedOptions Takes { get; set; }

    /// <summary>The record has a <c>Clamp</c> (<see cref="ProbabilityClamp"/>) and a <c>ClipEpsilon</c>: the generator writes
    /// <c>WithConventionClamp(convention)</c>, this record with the convention's clamp and clip bound
    /// (<see cref="Kernels.ClampedLog.ConventionClamp"/>, <see cref="Kernels.ClampedLog.ConventionEpsilon"/>), for its
    /// <c>WithLossConvention</c>.</summary>
    public bool Clamped { get; set; }
}
