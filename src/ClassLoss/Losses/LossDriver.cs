using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

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

    /// <summary>True when <see cref="Fused"/> also takes double input (its double SIMD kernel, double arithmetic
    /// throughout; <see cref="FusedCovers"/> then decides for double as for float). False by default: double runs the
    /// generic kernel.</summary>
    static virtual bool FusedTakesDouble => false;

    /// <summary>True when the fused kernel applies N·K element weights itself (<see cref="FusedCovers"/> then decides
    /// for a batch that has them). False by default: element weights send the batch to the generic kernel.</summary>
    static virtual bool FusedTakesElementWeights => false;

    /// <summary>True when each element's loss depends on its own input only (BCE, KL, …), so an upstream gradient may be
    /// given per element. False by default (a row's entries are coupled, e.g. through a softmax).</summary>
    static virtual bool ElementsIndependent => false;

    /// <summary>True when the generic kernel writes per-element losses of a loss whose elements are coupled (a softmax
    /// Brier score) and applies a per-element upstream gradient itself, as the vector-Jacobian product through the
    /// coupling (the driver cannot: scaling the gradient entry by entry would be wrong). The fused path never runs then.</summary>
    static virtual bool TakesElementUpstream => false;

    /// <summary>The fused float kernel (only called for float, <see cref="Half"/> or <see cref="BFloat16"/> input when
    /// <see cref="FusedCovers"/>; 16-bit input is read through float staging, with float arithmetic): returns the raw loss
    /// sum and, in <paramref name="checkFrom"/>, the first row whose targets it could not vouch for (N when all).</summary>
    static virtual double Fused(in Batch<T, TTarget> batch, TOptions options, double scale, out int checkFrom) =>
        throw new UnreachableException("This loss has no fused kernel.");
}


/// <summary>
/// A kernel over N class-index targets with the standard preparation, written once here: every label in [0, K) or the
/// ignore index, the class weights and sample weights checked, and the counted weight <c>Σ w_{y_i}</c> over rows that
/// are not ignored as the mean's denominator (PyTorch's weighted mean).
/// </summary>
internal interface ILabelKernel<T, TOptions> : ILossKernel<T, int, TOptions>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOptions : LossOptions
{
    static double ILossKernel<T, int, TOptions>.Prepare(in Batch<T, int> batch, TOptions options) =>
        Guard.Labels(batch.Targets, batch.Classes, options.IgnoreIndex, options.WeightSpan, batch.SampleWeights, "targets");
}

/// <summary>
/// A kernel over [N, K] probability targets (distributions: each entry in [0, 1], each row summing to 1 within
/// <see cref="LossOptions.TargetSumTolerance"/>), written once here: those checks, and N rows as the mean's denominator.
/// </summary>
internal interface IDistributionKernel<T, TOptions> : ILossKernel<T, T, TOptions>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOptions : LossOptions
{
    static double ILossKernel<T, T, TOptions>.Prepare(in Batch<T, T> batch, TOptions options) => batch.RowTotal;

    static void ILossKernel<T, T, TOptions>.CheckTargets(in Batch<T, T> batch, TOptions options, int from) =>
        Guard.ProbabilityRows(batch.Targets, batch.Classes, from, options.TargetSumTolerance, "targets");
}

/// <summary>
/// An element-wise kernel (a sum of independent per-element terms, such as the binary cross-entropies) over [N, K]
/// targets in [0, 1], written once here: elements independent (per-element losses, weights and upstream gradients
/// allowed), every target in [0, 1], and N·K entries as the mean's denominator.
/// </summary>
internal interface IElementKernel<T, TOptions> : ILossKernel<T, T, TOptions>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOptions : LossOptions
{
    static bool ILossKernel<T, T, TOptions>.ElementsIndependent => true;

    static double ILossKernel<T, T, TOptions>.Prepare(in Batch<T, T> batch, TOptions options) => batch.RowTotal * batch.Classes;

    static void ILossKernel<T, T, TOptions>.CheckTargets(in Batch<T, T> batch, TOptions options, int from) =>
        Guard.UnitIntervals(batch.Targets, batch.Classes, from, "targets");
}

/// <summary>
/// The one place where every loss is checked, its path chosen and its result reduced.
/// </summary>
/// <remarks>
/// <para>Order: the batch's shapes (checked when it was built), then the options (<see cref="LossOptions.Validate"/>),
/// then <see cref="ILossKernel{T, TTarget, TOptions}.Prepare"/> (class indices, the denominator), then the reduction's gradient factor, then the kernel, then the
/// reduction (<see cref="Reducer"/>). An information loss in bits (<see cref="InformationUnit"/>) is computed in nats by
/// its kernels: its gradient factor carries 1 / ln 2, and its sum and losses buffer are multiplied by it afterwards.</para>
/// <para><b>Which path runs</b>, the one rule: float, <see cref="Half"/> or <see cref="BFloat16"/> input whose options the
/// loss's fused kernel covers runs the fused SIMD kernel (16-bit input staged into float a few rows at a time, float
/// arithmetic, the gradient rounded to the input's type), and so does double input where the loss's fused kernel has
/// a double twin (<see cref="ILossKernel{T, TTarget, TOptions}.FusedTakesDouble"/>: double vectors, double accuracy);
/// everything else runs the generic kernel. The generic path checks every target before it computes; the
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
        (FusedInput<T>() || (typeof(T) == typeof(double) && TKernel.FusedTakesDouble))
        && (batch.ElementWeights.IsEmpty || TKernel.FusedTakesElementWeights) && TKernel.FusedCovers(batch, options);

    /// <summary>True for the input types the fused kernels read: float, and the 16-bit <see cref="Half"/> and
    /// <see cref="BFloat16"/>, which they stage into float a few rows at a time (docs/numerics.md, "Half and BFloat16 inputs").</summary>
    private static bool FusedInput<T>() => Numerics.Float16.IsFusedType<T>();

    private static LossResult Run<TKernel, T, TTarget, TOptions>(TKernel kernel, in Batch<T, TTarget> batch, TOptions options, bool allowFused)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions
    {
        if (batch.Weighted)
        {
            return RunWeighted(kernel, batch, options, allowFused);
        }

        _ = kernel;
        options.ValidateFor(batch.Classes);
        return RunPlain<TKernel, T, TTarget, TOptions>(batch, options, TKernel.Prepare(batch, options), batch.Rows, allowFused);
    }

    /// <summary>One kernel call and its reduction, the losses summed by the kernel in double: the unweighted call, and a
    /// call whose per-element weights the kernel applies (<paramref name="denominator"/> and
    /// <paramref name="batchRows"/> are then the weighted counts).</summary>
    private static LossResult RunPlain<TKernel, T, TTarget, TOptions>(in Batch<T, TTarget> batch, TOptions options, double denominator,
        double batchRows, bool allowFused)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions
    {
        double unit = options.OutputScale;
        double scale = Reducer.GradientScale(options.Reduction, options.WhenEmpty, denominator, batchRows) * unit;
        double sum = RunKernel<TKernel, T, TTarget, TOptions>(batch, options, scale, allowFused);

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

        return Reducer.Result(options.Reduction, options.WhenEmpty, sum, denominator, batch.Rows, batchRows);
    }

    /// <summary>The one rule for which path runs: float or 16-bit input whose options the fused kernel covers runs fused (its
    /// targets checked from the first row it could not vouch for), everything else the generic kernel (targets checked
    /// first). Returns the raw loss sum.</summary>
    private static double RunKernel<TKernel, T, TTarget, TOptions>(in Batch<T, TTarget> batch, TOptions options, double scale, bool allowFused)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions
    {
        if (allowFused && RunsFused<TKernel, T, TTarget, TOptions>(batch, options))
        {
            double sum = TKernel.Fused(batch, options, scale, out int checkFrom);
            TKernel.CheckTargets(batch, options, checkFrom);
            return sum;
        }

        TKernel.CheckTargets(batch, options, 0);
        return TKernel.Generic(batch, options, scale);
    }

    /// <summary>
    /// A call with sample weights and/or an upstream gradient, the same for every loss: the kernel (fused or generic)
    /// runs unweighted with the reduction's factor for the weighted denominator and writes each row's (or element's)
    /// loss into the caller's buffer or a pooled one; then each row's gradient is multiplied by <c>s_i · g_i</c> (per
    /// element with an element-wise loss's N·K upstream gradient), each loss by <c>s_i</c>, and the weighted losses are
    /// summed in double, in row order (any thread count, same bits). The gradient takes one more rounding in
    /// <typeparamref name="T"/> (the product); the sum adds the losses as <typeparamref name="T"/> holds them.
    /// </summary>
    private static LossResult RunWeighted<TKernel, T, TTarget, TOptions>(TKernel kernel, in Batch<T, TTarget> batch, TOptions options, bool allowFused)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions
    {
        _ = kernel;
        int n = batch.Rows, k = batch.Classes;
        ReadOnlySpan<T> weights = batch.SampleWeights, upstream = batch.GradOutput;
        // N·K weights, or N weights when K = 1 (the same thing), on an element-wise loss: the kernel applies them.
        if (CheckSampleWeights(weights, n, k, TKernel.ElementsIndependent) || (k == 1 && !weights.IsEmpty && TKernel.ElementsIndependent))
        {
            return RunElementWeighted(kernel, batch, options, allowFused);
        }

        bool upstreamPerElement = CheckGradOutput(upstream, n, k, options.Reduction, TKernel.ElementsIndependent || TKernel.TakesElementUpstream);
        bool kernelTakesUpstream = upstreamPerElement && !TKernel.ElementsIndependent;
        options.ValidateFor(k);
        double unit = options.OutputScale;

        bool byWeightSum = options.WeightedMean == SampleWeightedMean.WeightSum && !weights.IsEmpty;
        double denominator = byWeightSum ? TKernel.Prepare(batch, options) : TKernel.Prepare(batch.WithoutSampleWeights(), options);
        double rowTotal = byWeightSum ? batch.RowTotal : n;
        double scale = Reducer.GradientScale(options.Reduction, options.WhenEmpty, denominator, rowTotal) * unit;

        bool perElement = batch.PerElementLosses;
        int width = perElement ? k : 1;
        T[]? rented = batch.Losses.IsEmpty ? ArrayPool<T>.Shared.Rent(n * width) : null;
        try
        {
            Span<T> losses = rented is null ? batch.Losses : rented.AsSpan(0, n * width);
            var plain = batch.ForKernel(losses, perElement, kernelTakesUpstream ? upstream : default);
            _ = RunKernel<TKernel, T, TTarget, TOptions>(plain, options, scale, allowFused && !kernelTakesUpstream);

            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                double w = weights.IsEmpty ? 1.0 : double.CreateTruncating(weights[i]);
                Span<T> row = losses.Slice(i * width, width);
                for (int c = 0; c < width; c++)
                {
                    // A zero weight drops the row, as a zero class weight drops it (never 0 · ∞ = NaN).
                    double loss = w == 0 ? 0 : double.CreateTruncating(row[c]) * unit * w;
                    row[c] = T.CreateTruncating(loss);
                    sum += loss;
                }

                if (w == 0)
                {
                    batch.GradientRow(i).Clear();
                    ClearSecondGradient(batch, i);
                    continue;
                }

                ScaleGradient(batch.GradientRow(i), weights.IsEmpty ? T.One : weights[i], kernelTakesUpstream ? default : upstream, i, k,
                    upstreamPerElement && !kernelTakesUpstream);
                ScaleSecondGradient(batch, i, weights.IsEmpty ? T.One : weights[i], upstream, upstreamPerElement);
            }

            double value = Reducer.Result(options.Reduction, options.WhenEmpty, sum, denominator, n, rowTotal).Value;
            return new LossResult(value, sum, options.Reduction == Reduction.BatchMean ? rowTotal : denominator, n);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<T>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// N·K sample weights on an element-wise loss (PyTorch's BCE <c>weight</c> of shape [N, K]): the generic kernel
    /// weights each element's loss and gradient in double (a zero weight drops the element), so the sum is as exact as
    /// an unweighted call's. Every element counts alike, so the weighted mean's count is the unweighted one times the
    /// mean weight (<c>D · Σ w / (N K)</c>, BatchMean's rows <c>Σ w / K</c>), or the unweighted one with
    /// <see cref="SampleWeightedMean.BatchSize"/>. An upstream gradient (Reduction.None) is then applied as for row weights.
    /// </summary>
    private static LossResult RunElementWeighted<TKernel, T, TTarget, TOptions>(TKernel kernel, in Batch<T, TTarget> batch, TOptions options, bool allowFused)
        where TKernel : struct, ILossKernel<T, TTarget, TOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions
    {
        var inner = batch.WithElementWeights(batch.SampleWeights);
        if (!inner.GradOutput.IsEmpty)
        {
            return RunWeighted(kernel, inner, options, allowFused);
        }

        options.ValidateFor(batch.Classes);
        double cells = batch.Rows * (double)batch.Classes;
        double unweighted = TKernel.Prepare(batch.WithoutSampleWeights(), options);
        double total = options.WeightedMean == SampleWeightedMean.WeightSum ? Batch.SumInOrder(inner.ElementWeights) : cells;
        return RunPlain<TKernel, T, TTarget, TOptions>(inner, options, unweighted * total / cells, total / batch.Classes, allowFused);
    }


    /// <summary>Row <paramref name="i"/>'s gradient times <c>s_i</c> and the upstream gradient (row's or element's), vectorised
    /// (<see cref="TensorPrimitives"/>): the factor <c>s_i · g_i</c> is formed in double and rounded to
    /// <typeparamref name="T"/> once, then each entry is one product in <typeparamref name="T"/> (two with a per-element
    /// upstream gradient and a weight).</summary>
    private static void ScaleGradient<T>(Span<T> g, T weight, ReadOnlySpan<T> upstream, int i, int k, bool upstreamPerElement)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.IsEmpty)
        {
            return;
        }

        if (upstreamPerElement)
        {
            TensorPrimitives.Multiply(g, upstream.Slice(i * k, k), g);
            if (weight != T.One)
            {
                TensorPrimitives.Multiply(g, weight, g);
            }

            return;
        }

        double f = double.CreateTruncating(weight) * (upstream.IsEmpty ? 1.0 : double.CreateTruncating(upstream[i]));
        if (f != 1.0)
        {
            TensorPrimitives.Multiply(g, T.CreateTruncating(f), g);
        }
    }

    /// <summary>The second input's gradient (Gaussian NLL's variance: per element or one per row) scaled as row
    /// <paramref name="i"/>'s gradient.</summary>
    private static void ScaleSecondGradient<T, TTarget>(in Batch<T, TTarget> batch, int i, T weight, ReadOnlySpan<T> upstream, bool upstreamPerElement)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> second = batch.SecondGradient;
        if (second.IsEmpty)
        {
            return;
        }

        int k = batch.Classes;
        if (second.Length == batch.Rows * k)
        {
            ScaleGradient(second.Slice(i * k, k), weight, upstream, i, k, upstreamPerElement);
        }
        else
        {
            // One variance per row: its gradient sums the row's elements, so only a per-row upstream gradient applies
            // (Gaussian NLL is not element-wise for CheckGradOutput, which refuses a per-element one).
            ScaleGradient(second.Slice(i, 1), weight, upstream, i, 1, upstreamPerElement: false);
        }
    }

    /// <summary>Row <paramref name="i"/>'s part of the second input's gradient set to 0 (a row of zero weight).</summary>
    private static void ClearSecondGradient<T, TTarget>(in Batch<T, TTarget> batch, int i)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> second = batch.SecondGradient;
        int k = batch.Classes;
        if (second.Length == batch.Rows * k)
        {
            second.Slice(i * k, k).Clear();
        }
        else if (!second.IsEmpty)
        {
            second[i] = T.Zero;
        }
    }

    /// <summary>The sample weights: N entries (per row) or, for a loss whose elements are independent, N·K (per element,
    /// PyTorch's BCE <c>weight</c> of shape [N, K]); each finite and ≥ 0. Returns true for per element.</summary>
    internal static bool CheckSampleWeights<T>(ReadOnlySpan<T> weights, int n, int k, bool elementsIndependent)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CheckRowsOrElements(weights, n, k, elementsIndependent, upstream: false);

    /// <summary>The upstream gradient: only with <see cref="Reduction.None"/>; N entries (per row) or, for a loss whose
    /// elements are independent, N·K (per element); finite. Returns true for per element.</summary>
    internal static bool CheckGradOutput<T>(ReadOnlySpan<T> upstream, int n, int k, Reduction reduction, bool elementsIndependent)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!upstream.IsEmpty && reduction != Reduction.None)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"gradOutput is the upstream gradient of unreduced losses; it needs Reduction.None (this call reduces by {reduction})."), "gradOutput");
        }

        return CheckRowsOrElements(upstream, n, k, elementsIndependent, upstream: true);
    }

    /// <summary>A companion of the input given per row or per element, the sample weights or (<paramref name="upstream"/>)
    /// the upstream gradient: empty, N entries, or N·K where the loss's elements are independent; each finite, and a
    /// weight ≥ 0. The messages name the argument, the lengths expected, and the row and column of a bad entry.
    /// Returns true for per element.</summary>
    private static bool CheckRowsOrElements<T>(ReadOnlySpan<T> values, int n, int k, bool elementsIndependent, bool upstream)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (values.IsEmpty)
        {
            return false;
        }

        string name = upstream ? "gradOutput" : "sampleWeights";
        bool perElement = values.Length == n * k && values.Length != n;
        if (values.Length != n && !(perElement && elementsIndependent))
        {
            string expected = (upstream, elementsIndependent) switch
            {
                (false, true) => string.Create(CultureInfo.InvariantCulture, $"{n} (one per row), {n * k} (one per element) or 0 for none"),
                (false, false) => string.Create(CultureInfo.InvariantCulture, $"{n} (one per row) or 0 for none"),
                (true, true) => string.Create(CultureInfo.InvariantCulture, $"{n} (one per row) or {n * k} (one per element)"),
                (true, false) => string.Create(CultureInfo.InvariantCulture, $"{n} (one per row: this loss couples a row's entries, so its upstream gradient is per row)"),
            };
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} has length {values.Length}; expected {expected}."), name);
        }

        for (int i = 0; i < values.Length; i++)
        {
            double v = double.CreateTruncating(values[i]);
            if (!double.IsFinite(v) || (!upstream && !(v >= 0)))
            {
                string rule = upstream ? "an upstream gradient must be finite" : "a sample weight must be finite and >= 0";
                throw new ArgumentException(
                    perElement
                        ? string.Create(CultureInfo.InvariantCulture, $"{name} row {i / k}, column {i % k} is {v}; {rule}.")
                        : string.Create(CultureInfo.InvariantCulture, $"{name}[{i}] is {v}; {rule}."),
                    name);
            }
        }

        return perElement;
    }
}
