using ClassLoss.Losses;
using ClassLoss.Numerics;

namespace ClassLoss;

/// <summary>
/// How much of the machine one run may use: created once (per CLI command, from <c>--threads</c>) and passed
/// explicitly to what computes: a <see cref="LossContext"/> (the <see cref="LossOptions.MaxDegreeOfParallelism"/> of
/// the losses the catalogue builds), the lab's trainer and models (every <see cref="Gemm"/> of a forward or backward
/// pass). Immutable; there is no process-wide thread setting. Results are bit-identical for any value: every element and every row is computed by
/// the same operations whichever thread runs it.
/// </summary>
public sealed record Compute
{
    /// <summary>One thread: the default everywhere a <see cref="Compute"/> is optional.</summary>
    public static Compute SingleThread { get; } = new(1);

    /// <summary>Creates the setting.</summary>
    /// <param name="threads">The most threads one GEMM or one fused loss kernel call may use (at least 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is below 1.</exception>
    public Compute(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
    }

    /// <summary>
    /// The most threads one call may use. GEMMs split the columns of C once a product has at least 2^21
    /// multiply-adds; the fused float loss kernels split rows once a call has at least 32,768 elements.
    /// </summary>
    public int Threads { get; }
}
