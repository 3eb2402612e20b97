namespace ClassLoss.Losses;

/// <summary>What a loss may need to know about the training data (class counts for balanced weights) and the run.</summary>
/// <param name="Classes">K.</param>
/// <param name="ClassCounts">The number of training rows of each class (length K), or null when unknown.</param>
public sealed record LossContext(int Classes, IReadOnlyList<int>? ClassCounts = null)
{
    /// <summary>
    /// The run's compute setting (default <see cref="Compute.SingleThread"/>): every options record the catalogue
    /// builds gets <see cref="LossOptions.MaxDegreeOfParallelism"/> = <see cref="Compute.Threads"/>. Results are
    /// bit-identical for any value; only calls of fused float kernels on at least 32,768 elements use more than one thread.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public Compute Compute
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Compute));
    } = Compute.SingleThread;
}
