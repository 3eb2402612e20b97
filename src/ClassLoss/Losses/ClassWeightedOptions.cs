using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// Options of the losses that take PyTorch's <c>weight=</c> and <c>ignore_index=</c>: per-class weights and a label
/// that marks a row to skip (<see cref="CrossEntropyOptions"/>, <see cref="NegativeLogLikelihoodOptions"/>,
/// <see cref="CrossEntropyFromProbabilitiesOptions"/>).
/// </summary>
public abstract record ClassWeightedOptions : LossOptions
{
    private readonly double[]? _classWeights;

    /// <summary>
    /// Per-class weights <c>w_c</c> (length K, finite, non-negative); null means all ones. The list is copied
    /// when set, so later changes to the caller's array do not leak in.
    /// </summary>
    public IReadOnlyList<double>? ClassWeights
    {
        get => _classWeights;
        init => _classWeights = value is null ? null : [.. value];
    }

    /// <summary>
    /// A class index that marks a row to skip (loss 0, gradient 0, not counted by the mean; class-index targets only).
    /// Default -100, as PyTorch.
    /// </summary>
    public int IgnoreIndex { get; init; } = -100;

    /// <summary>The class weights as a span (empty when none were given).</summary>
    internal ReadOnlySpan<double> WeightSpan => _classWeights;

    internal override void Validate(int classes)
    {
        if (_classWeights is not null)
        {
            Guard.ClassWeights(_classWeights, classes, nameof(ClassWeights));
        }
    }
}
