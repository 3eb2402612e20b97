using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>How per-row (or per-element) losses are combined into one number.</summary>
/// <remarks>
/// The gradient a kernel writes is always the gradient of the reduced value; for <see cref="None"/> it is the
/// gradient of the plain sum (each row's own gradient, as autograd gives with an upstream gradient of ones).
/// </remarks>
public enum Reduction
{
    /// <summary>No reduction: per-row losses are written to the caller's buffer; the returned value is their sum.</summary>
    None,

    /// <summary>The (weighted) sum of the per-row losses.</summary>
    Sum,

    /// <summary>
    /// PyTorch's mean: the weighted sum divided by the sum of the weights of the counted rows (class-index
    /// targets with class weights), by the number of rows (probability targets), or by the number of elements
    /// (element-wise losses such as BCE and KL's "mean").
    /// </summary>
    Mean,

    /// <summary>
    /// The sum divided by the number of rows N, ignored rows included: PyTorch KL's <c>batchmean</c> and Keras's
    /// <c>sum_over_batch_size</c> for per-sample losses.
    /// </summary>
    BatchMean,
}

/// <summary>What a <see cref="Reduction.Mean"/> returns when the denominator is zero (every row ignored).</summary>
public enum EmptyMean
{
    /// <summary>Loss 0 and gradient 0 (Optax's behaviour and the default: a fully padded batch must not poison training).</summary>
    Zero,

    /// <summary>Loss NaN, as PyTorch's <c>0 / 0</c>; the gradient is 0, as PyTorch's (every row is ignored, so no entry of
    /// it depends on the input).</summary>
    NaN,
}

/// <summary>What a <see cref="Reduction.Mean"/> (and <see cref="Reduction.BatchMean"/>) divides by when sample weights are
/// given.</summary>
public enum SampleWeightedMean
{
    /// <summary>The sum of the counted rows' weights: <c>Σ s_i ℓ_i / Σ s_i d_i</c>, where <c>d_i</c> is what the unweighted
    /// mean counts for row i (1, its class weight, 0 when ignored, K for a per-element mean). PyTorch's weighted mean
    /// (<c>(loss * w).sum() / w.sum()</c>, and its class-weighted mean) and scikit-learn's <c>np.average(..., weights=)</c>.
    /// The default.</summary>
    WeightSum,

    /// <summary>What the unweighted mean divides by (N, the counted rows, …): <c>Σ s_i ℓ_i / Σ d_i</c>. Keras's
    /// <c>sum_over_batch_size</c> with <c>sample_weight</c>.</summary>
    BatchSize,
}

/// <summary>The options of <see cref="LossOptions"/> that only some losses take; a loss refuses the ones it does not.</summary>
[Flags]
internal enum SharedOptions
{
    None = 0,
    ClassWeights = 1,
    IgnoreIndex = 2,
    TargetSumTolerance = 4,
}

/// <summary>
/// Options every loss shares, validated once here: the reduction and its weighted-mean denominator, the empty-mean
/// policy, the threads, and three that only some losses take: <see cref="ClassWeights"/>, <see cref="IgnoreIndex"/> and
/// <see cref="TargetSumTolerance"/>. Each loss's options type (named after the loss: <c>SoftmaxCrossEntropyOptions</c>
/// for <c>SoftmaxCrossEntropy</c>) derives from it; setting one of the three on a loss that does not take it is an
/// <see cref="ArgumentException"/> naming the option and the loss, never silently ignored.
/// </summary>
public abstract record LossOptions
{
    private readonly double[]? _classWeights;
    private readonly int? _ignoreIndex;
    private readonly double? _targetSumTolerance;

    /// <summary>What the mean divides by when sample weights are given: the weights' sum (PyTorch, scikit-learn; the
    /// default) or the unweighted count (Keras). No effect without sample weights.</summary>
    public SampleWeightedMean WeightedMean { get; init; } = SampleWeightedMean.WeightSum;

    /// <summary>How row losses are combined. Default <see cref="Reduction.Mean"/> (PyTorch's default).</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;

    /// <summary>What a mean over zero weight gives. Default <see cref="EmptyMean.Zero"/>, the one place ClassLoss departs
    /// from PyTorch by default (docs/conventions.md says why).</summary>
    public EmptyMean WhenEmpty { get; init; } = EmptyMean.Zero;

    /// <summary>
    /// Per-class weights <c>w_c</c> (length K, finite, non-negative): PyTorch's <c>weight=</c> (per class for the
    /// softmax losses, per column for the binary ones). Null (the default) means all ones. Copied when set, so later
    /// changes to the caller's array do not leak in. Only the losses that document it take it.
    /// </summary>
    public IReadOnlyList<double>? ClassWeights
    {
        get => _classWeights;
        init => _classWeights = value is null ? null : [.. value];
    }

    /// <summary>
    /// A class index that marks a row to skip (loss 0, gradient 0, not counted by the mean; class-index targets only).
    /// Default -100, as PyTorch. Only the losses with class-index targets take it.
    /// </summary>
    public int IgnoreIndex
    {
        get => _ignoreIndex ?? -100;
        init => _ignoreIndex = value;
    }

    /// <summary>
    /// How far a row of probability targets may sum from 1 before it is rejected (default 1e-4, loose enough for
    /// float32 targets); <see cref="double.NaN"/> skips the sum check (values are still checked to lie in [0, 1]).
    /// Only the losses whose probability targets are distributions over the K classes take it.
    /// </summary>
    public double TargetSumTolerance
    {
        get => _targetSumTolerance ?? 1e-4;
        init => _targetSumTolerance = value;
    }

    /// <summary>
    /// Upper bound on the threads a fused float kernel may use for one call (default 1: the calling thread only,
    /// which allocates nothing). Kernels split rows into blocks whose size depends only on the batch, and combine
    /// the block sums in block order, so the value and the gradient are bit-identical for every setting; small
    /// batches run on the calling thread whatever this says. Paths without a multi-threaded kernel ignore it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxDegreeOfParallelism));
            _maxDegreeOfParallelism = value;
        }
    }

    private readonly int _maxDegreeOfParallelism = 1;

    /// <summary>The class weights as a span (empty when none were given).</summary>
    internal ReadOnlySpan<double> WeightSpan => _classWeights;

    /// <summary>What <see cref="Takes"/> says, for the catalogue's table.</summary>
    internal SharedOptions TakenOptions => Takes;

    /// <summary>Which of <see cref="ClassWeights"/>, <see cref="IgnoreIndex"/> and <see cref="TargetSumTolerance"/> the
    /// loss takes (none by default).</summary>
    private protected virtual SharedOptions Takes => SharedOptions.None;

    /// <summary>
    /// The factor the driver applies to the loss value, the per-row or per-element losses and the gradient after the
    /// kernel ran in nats (1 by default; 1 / ln 2 for an information loss reported in bits): the kernels, fused or
    /// generic, never see it.
    /// </summary>
    internal virtual double OutputScale => 1.0;

    /// <summary>Checks the shared options, then the loss's own (<see cref="Validate"/>), against the batch's class count
    /// K, throwing an <see cref="ArgumentException"/> that names the option; the loss driver calls it before anything
    /// reads the data.</summary>
    internal void ValidateFor(int classes)
    {
        SharedOptions takes = Takes;
        Refuse(_classWeights is not null, SharedOptions.ClassWeights, takes, nameof(ClassWeights));
        Refuse(_ignoreIndex is not null, SharedOptions.IgnoreIndex, takes, nameof(IgnoreIndex));
        Refuse(_targetSumTolerance is not null, SharedOptions.TargetSumTolerance, takes, nameof(TargetSumTolerance));
        if (_classWeights is not null)
        {
            Guard.ClassWeights(_classWeights, classes, nameof(ClassWeights));
        }

        double tolerance = TargetSumTolerance;
        Guard.Option(double.IsNaN(tolerance) || tolerance >= 0, nameof(TargetSumTolerance), tolerance, "must be >= 0 or NaN");
        Guard.Option(Enum.IsDefined(Reduction), nameof(Reduction), (double)Reduction, "is not a known reduction");
        Guard.Option(Enum.IsDefined(WhenEmpty), nameof(WhenEmpty), (double)WhenEmpty, "is not a known empty-mean policy");
        Guard.Option(Enum.IsDefined(WeightedMean), nameof(WeightedMean), (double)WeightedMean, "is not a known weighted mean");
        Validate(classes);
    }

    /// <summary>This record with <paramref name="convention"/>'s shared settings (reduction, empty mean, weighted mean),
    /// then the loss's own (<see cref="WithLossConvention"/>); see <see cref="LossConventions.Following{TOptions}"/>.</summary>
    internal LossOptions WithConvention(Convention convention)
    {
        LossOptions shared = this with
        {
            Reduction = ConventionReduction(convention),
            WhenEmpty = convention == Convention.Pytorch ? EmptyMean.NaN : EmptyMean.Zero,
            WeightedMean = convention == Convention.Keras ? SampleWeightedMean.BatchSize : SampleWeightedMean.WeightSum,
        };
        return shared.WithLossConvention(convention);
    }

    /// <summary>The anchor's reduction for this loss: PyTorch's <c>mean</c>, Keras's <c>sum_over_batch_size</c> (per-sample
    /// losses over N; the element-wise losses override it with their element mean), Optax's per-example losses.</summary>
    private protected virtual Reduction ConventionReduction(Convention convention) => convention switch
    {
        Convention.Pytorch => Reduction.Mean,
        Convention.Keras => Reduction.BatchMean,
        _ => Reduction.None,
    };

    /// <summary>The loss's own convention-dependent options (clip, renormalisation, α switch, …); none by default.</summary>
    private protected virtual LossOptions WithLossConvention(Convention convention) => this;

    /// <summary>Checks the loss's own options against K; nothing to check by default.</summary>
    private protected virtual void Validate(int classes)
    {
    }

    private void Refuse(bool isSet, SharedOptions option, SharedOptions takes, string name)
    {
        if (isSet && (takes & option) == 0)
        {
            string loss = GetType().Name;
            loss = loss.EndsWith("Options", StringComparison.Ordinal) ? loss[..^"Options".Length] : loss;
            throw new ArgumentException($"{name} is set, but {loss} does not take it; leave it unset.", name);
        }
    }
}
