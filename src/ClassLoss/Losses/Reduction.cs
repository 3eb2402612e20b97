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

/// <summary>Options every loss shares: the reduction, the empty-mean policy, the weighted mean and the threads.</summary>
public abstract record LossOptions
{
    /// <summary>What the mean divides by when sample weights are given: the weights' sum (PyTorch, scikit-learn; the
    /// default) or the unweighted count (Keras). No effect without sample weights.</summary>
    public SampleWeightedMean WeightedMean { get; init; } = SampleWeightedMean.WeightSum;

    /// <summary>How row losses are combined. Default <see cref="Reduction.Mean"/> (PyTorch's default).</summary>
    public Reduction Reduction { get; init; } = Reduction.Mean;

    /// <summary>What a mean over zero weight gives. Default <see cref="EmptyMean.Zero"/> (Optax's convention).</summary>
    public EmptyMean WhenEmpty { get; init; } = EmptyMean.Zero;

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

    /// <summary>
    /// The factor the driver applies to the loss value, the per-row or per-element losses and the gradient after the
    /// kernel ran in nats (1 by default; 1 / ln 2 for an information loss reported in bits): the kernels, fused or
    /// generic, never see it.
    /// </summary>
    internal virtual double OutputScale => 1.0;

    /// <summary>Checks the options against the batch's class count K, throwing an <see cref="ArgumentException"/>
    /// that names the option; the loss driver calls it before anything reads the data. Nothing to check by default.</summary>
    internal virtual void Validate(int classes)
    {
    }
}
