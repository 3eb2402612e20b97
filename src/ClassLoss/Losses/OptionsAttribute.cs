namespace ClassLoss.Losses;

/// <summary>
/// Put on a <see cref="LossOptions"/> record (declared <c>partial</c>), asks the build-time generator
/// (src/ClassLoss.Generators, <c>OptionsGenerator</c>) for what every options record would otherwise write by hand: the
/// <c>Default</c> instance of a sealed record, documented by the record's <c>&lt;defaults&gt;</c> doc tag, and, when
/// <see cref="Takes"/> is named, the <c>Takes</c> override saying which shared options the loss takes (documented by a
/// <c>&lt;takes&gt;</c> tag, if any).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class OptionsAttribute : Attribute
{
    /// <summary>The shared options the loss takes; when not named, the record inherits its base's.</summary>
    public SharedOptions Takes { get; set; }
}
