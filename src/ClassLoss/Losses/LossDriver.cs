using System.Diagnostics;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Losses;

/// <summary>
/// The contract every loss meets: what it checks, its generic kernel and (optionally) its fused float kernel. A
/// kernel computes a batch whose shapes and class indices are checked, writes <c>scale</c> times its gradient and its
/// per-row or per-element losses, and returns the raw (weighted) sum; <see cref="LossDriver"/> does the rest.
/// </summary>
/// <typeparam name="T">The input's element type.</typeparam>
/// <typeparam name="TTarget">The targets' element type (<see cref="int"/> for class indices, <typeparamref name="T"/> for rows).</typeparam>
/// <typeparam name="TOptions">The loss's options.</typeparam>
internal interface ILossKernel<T, TTarget, TOptions>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOptions : LossOptions
{
    /// <summary>Checks whatever must be checked before any kernel reads the data (class indices, probability inputs;
    /// the options were checked by <see cref="LossOptions.Validate"/> just before); returns what <see cref="Reduction.Mean"/> divides by.</summary>
    static abstract double Prepare(in Batch<T, TTarget> batch, TOptions options);

    /// <summary>Checks the target values of rows <paramref name="from"/> .. N-1 (and element weights), throwing an
    /// <see cref="ArgumentException"/> that names the argument, row and column. None by default.</summary>
    static virtual void CheckTargets(in Batch<T, TTarget> batch, TOptions options, int from)
    {
    }

    /// <summary>The generic kernel (double arithmetic, any <typeparamref name="T"/>): returns the raw loss sum.</summary>
    static abstract double Generic(in Batch<T, TTarget> batch, TOptions options, double scale);

    /// <summary>True when the fused float kernel computes these options exactly. False by default (no fused kernel).</summary>
    static virtual bool FusedCovers(in Batch<T, TTarget> batch, TOptions options) => false;

    /// <summary>The fused float kernel (only called for float input when <see cref="FusedCovers"/>): returns the raw loss
    /// sum and, in <paramref name="checkFrom"/>, the first row whose targets it could not vouch for (N when all).</summary>
    static virtual double Fused(in Batch<T, TTarget> batch, TOptions options, double scale, out int checkFrom) =>
        throw new UnreachableException("This loss has no fused kernel.");
}

/// <summary>
/// The one place where every loss is checked, its path chosen and its result reduced.
/// </summary>
/// <remarks>
/// <para>Order: the batch's shapes (checked when it was built), then the options (<see cref="LossOptions.Validate"/>),
/// then <see cref="ILossKernel{T, TTarget, TOptions}.Prepare"/> (class indices, the denominator), then the reduction's gradient factor, then the kernel, then the
/// reduction (<see cref="Reducer"/>). An information loss in bits (<see cref="InformationUnit"/>) is computed in nats by
/// its kernels: its gradient factor carries 1 / ln 2, and its sum and losses buffer are multiplied by it afterwards.</para>
/// <para><b>Which path runs</b>, the one rule: float input whose options the loss's fused kernel covers runs the fused
/// SIMD kernel; everything else runs the generic kernel. The generic path checks every target before it computes; the
/// fused path checks targets while it reads them and the exact check then runs from the first row it flagged, so a bad
/// target throws the same exception on both paths (the fused path may have written part of the outputs by then).</para>
/// </remarks>
internal static class LossDriver
{
    /// <summary>Evaluates <typeparamref name="TKernel"/> on <paramref name="batch"/> (the first argument only names the kernel).</summary>
    public static LossResult Run<TKernel, T, TTarget, TOptions>(TKernel kernel, in Batch<T, TTarget> batch, TOptions options)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions =>
        Run(kernel, batch, options, allowFused: true);

    /// <summary>As <c>Run</c>, always on the generic kernel (for tests comparing the two paths).</summary>
    public static LossResult RunGeneric<TKernel, T, TTarget, TOptions>(TKernel kernel, in Batch<T, TTarget> batch, TOptions options)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions =>
        Run(kernel, batch, options, allowFused: false);

    /// <summary>True when <typeparamref name="TKernel"/> would run its fused kernel on this batch.</summary>
    public static bool RunsFused<TKernel, T, TTarget, TOptions>(in Batch<T, TTarget> batch, TOptions options)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions =>
        typeof(T) == typeof(float) && TKernel.FusedCovers(batch, options);

    private static LossResult Run<TKernel, T, TTarget, TOptions>(TKernel kernel, in Batch<T, TTarget> batch, TOptions options, bool allowFused)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions
    {
        _ = kernel;
        options.Validate(batch.Classes);
        double unit = options.OutputScale;
        double denominator = TKernel.Prepare(batch, options);
        double scale = Reducer.GradientScale(options.Reduction, options.WhenEmpty, denominator, batch.Rows) * unit;
        double sum;
        if (allowFused && RunsFused<TKernel, T, TTarget, TOptions>(batch, options))
        {
            sum = TKernel.Fused(batch, options, scale, out int checkFrom);
            TKernel.CheckTargets(batch, options, checkFrom);
        }
        else
        {
            TKernel.CheckTargets(batch, options, 0);
            sum = TKernel.Generic(batch, options, scale);
        }

        if (unit != 1.0)
        {
            // Another unit (bits): the kernel wrote the losses in nats and the gradient already times the unit.
            sum *= unit;
            Span<T> losses = batch.Losses;
            for (int i = 0; i < losses.Length; i++)
            {
                losses[i] = T.CreateTruncating(double.CreateTruncating(losses[i]) * unit);
            }
        }

        return Reducer.Result(options.Reduction, options.WhenEmpty, sum, denominator, batch.Rows);
    }
}
