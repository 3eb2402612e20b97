using ClassLoss.Validation;

namespace ClassLoss.Losses.Kernels;

/// <summary>How a loss's <c>losses</c> buffer may be shaped.</summary>
internal enum LossesShape
{
    /// <summary>N row losses (or empty).</summary>
    Rows,

    /// <summary>N row sums or N·K element losses (or empty): the element-wise losses.</summary>
    RowsOrElements,
}

/// <summary>
/// One call's data with its shapes checked: the [N, K] input, the targets (N class indices, [N, K] rows, or none),
/// the sample weights and upstream gradient the driver applies, and the caller's output buffers. Every loss builds one through
/// <see cref="Batch"/>'s factories, so the shape checks (and their messages) are written once.
/// </summary>
internal readonly ref struct Batch<T, TTarget>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    internal Batch(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, int rows, int classes,
        Span<T> gradient, Span<T> losses, bool perElementLosses, ReadOnlySpan<T> second = default, Span<T> secondGradient = default,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default, ReadOnlySpan<T> elementWeights = default)
    {
        ElementWeights = elementWeights;
        SampleWeights = sampleWeights;
        GradOutput = gradOutput;
        Second = second;
        SecondGradient = secondGradient;
        Input = input;
        Targets = targets;
        Rows = rows;
        Classes = classes;
        Gradient = gradient;
        Losses = losses;
        PerElementLosses = perElementLosses;
    }

    /// <summary>Row-major [N, K] input (logits, probabilities or log-probabilities).</summary>
    public ReadOnlySpan<T> Input { get; }

    /// <summary>N class indices, [N, K] target rows, or empty for a loss without targets.</summary>
    public ReadOnlySpan<TTarget> Targets { get; }

    /// <summary>[N, K] element weights for the generic element-wise kernel (<see cref="ElementwiseKernel"/>), or empty:
    /// per-element sample weights, which <see cref="LossDriver"/> moves here so that each element's loss is weighted in
    /// double before it is summed. A fused kernel never sees them (the driver runs the generic one).</summary>
    public ReadOnlySpan<T> ElementWeights { get; }

    /// <summary>N.</summary>
    public int Rows { get; }

    /// <summary>K.</summary>
    public int Classes { get; }

    /// <summary>[N, K] gradient buffer (overwritten), or empty.</summary>
    public Span<T> Gradient { get; }

    /// <summary>N row losses, N·K element losses (<see cref="PerElementLosses"/>), or empty.</summary>
    public Span<T> Losses { get; }

    /// <summary>True when <see cref="Losses"/> holds N·K element losses.</summary>
    public bool PerElementLosses { get; }

    /// <summary>A second input of the loss (Gaussian NLL's variance: N·K or N values), or empty.</summary>
    public ReadOnlySpan<T> Second { get; }

    /// <summary>The gradient buffer of <see cref="Second"/> (its length, overwritten), or empty.</summary>
    public Span<T> SecondGradient { get; }

    /// <summary>N per-row (sample) weights, or empty. Kernels never see them: <see cref="LossDriver"/> applies them.</summary>
    public ReadOnlySpan<T> SampleWeights { get; }

    /// <summary>The upstream gradient of a <see cref="Reduction.None"/> call (N per row or N·K per element), or empty.
    /// Kernels never see it: <see cref="LossDriver"/> applies it.</summary>
    public ReadOnlySpan<T> GradOutput { get; }

    /// <summary>True when the driver has sample weights or an upstream gradient to apply.</summary>
    public bool Weighted => !SampleWeights.IsEmpty || !GradOutput.IsEmpty;

    /// <summary>The number of rows as a mean counts them: N, or the sum of the sample weights (in double, in row order).</summary>
    public double RowTotal => SampleWeights.IsEmpty ? Rows : Batch.SumInOrder(SampleWeights);

    /// <summary>This batch with sample weights and an upstream gradient (checked by <see cref="LossDriver"/>).</summary>
    public Batch<T, TTarget> WithWeights(ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput) =>
        new(Input, Targets, Rows, Classes, Gradient, Losses, PerElementLosses, Second, SecondGradient, sampleWeights, gradOutput, ElementWeights);

    /// <summary>This batch with per-element weights for the kernel instead of sample weights (the upstream gradient kept).</summary>
    public Batch<T, TTarget> WithElementWeights(ReadOnlySpan<T> elementWeights) =>
        new(Input, Targets, Rows, Classes, Gradient, Losses, PerElementLosses, Second, SecondGradient, default, GradOutput, elementWeights);

    /// <summary>This batch as a kernel sees it: no sample weights, the given losses buffer, and no upstream gradient
    /// unless the kernel applies a per-element one itself (<see cref="ILossKernel{T, TTarget, TOptions}.TakesElementUpstream"/>).</summary>
    public Batch<T, TTarget> ForKernel(Span<T> losses, bool perElementLosses, ReadOnlySpan<T> upstream = default) =>
        new(Input, Targets, Rows, Classes, Gradient, losses, perElementLosses, Second, SecondGradient, gradOutput: upstream, elementWeights: ElementWeights);

    /// <summary>This batch without its sample weights (what the unweighted denominator counts).</summary>
    public Batch<T, TTarget> WithoutSampleWeights() =>
        new(Input, Targets, Rows, Classes, Gradient, Losses, PerElementLosses, Second, SecondGradient, default, GradOutput, ElementWeights);

    /// <summary>Row <paramref name="i"/> of the input.</summary>
    public ReadOnlySpan<T> InputRow(int i) => Input.Slice(i * Classes, Classes);

    /// <summary>Row <paramref name="i"/> of the gradient, or empty when none is wanted.</summary>
    public Span<T> GradientRow(int i) => Gradient.IsEmpty ? default : Gradient.Slice(i * Classes, Classes);
}

/// <summary>The factories of <see cref="Batch{T, TTarget}"/>: every shape check of every loss, with its message.</summary>
internal static class Batch
{
    /// <summary>The sum of <paramref name="values"/> in double, in index order (the same bits for any thread count).</summary>
    public static double SumInOrder<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        foreach (T v in values)
        {
            total += double.CreateTruncating(v);
        }

        return total;
    }

    /// <summary>[N, K] input against N class indices; N row losses.</summary>
    public static Batch<T, int> Labels<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes, Span<T> gradient,
        Span<T> losses, string inputName, string lossesName = "losses", LossesShape shape = LossesShape.Rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Guard.Rows(input.Length, classes, inputName);
        Guard.Length(targets.Length, n, nameof(targets));
        Guard.Length(gradient.Length, input.Length, nameof(gradient), optional: true);
        return new(input, targets, n, classes, gradient, losses, CheckLosses(shape, losses.Length, n, classes, lossesName));
    }

    /// <summary>[N, K] input against [N, K] class-index rows (PyTorch's <c>MultiLabelMarginLoss</c> targets); N row losses.</summary>
    public static Batch<T, int> IndexRows<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes, Span<T> gradient,
        Span<T> losses, string inputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Guard.Rows(input.Length, classes, inputName);
        Guard.Length(targets.Length, input.Length, nameof(targets));
        Guard.Length(gradient.Length, input.Length, nameof(gradient), optional: true);
        Guard.Length(losses.Length, n, nameof(losses), optional: true);
        return new(input, targets, n, classes, gradient, losses, perElementLosses: false);
    }

    /// <summary>
    /// [N, K] input against [N, K] targets with a variance per element (N·K values) or per row (N values) and its
    /// optional gradient buffer (the variance's length); N row sums or N·K element losses (Gaussian NLL).
    /// </summary>
    public static Batch<T, T> WithVariance<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, ReadOnlySpan<T> variance, int classes,
        Span<T> gradient, Span<T> varianceGradient, Span<T> losses, string inputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Guard.Rows(input.Length, classes, inputName);
        Guard.Length(targets.Length, input.Length, nameof(targets));
        if (variance.Length != input.Length && variance.Length != n)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"variance has length {variance.Length}; expected {input.Length} (one per element) or {n} (one per row)."), nameof(variance));
        }

        Guard.Length(gradient.Length, input.Length, nameof(gradient), optional: true);
        Guard.Length(varianceGradient.Length, variance.Length, nameof(varianceGradient), optional: true);
        bool perElement = PerElement(losses.Length, n, classes, nameof(losses));
        return new(input, targets, n, classes, gradient, losses, perElement, variance, varianceGradient);
    }

    /// <summary>[N, K] input against [N, K] target rows.</summary>
    public static Batch<T, T> Targets<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes, Span<T> gradient,
        Span<T> losses, LossesShape shape, string inputName, string lossesName = "losses")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Guard.Rows(input.Length, classes, inputName);
        Guard.Length(targets.Length, input.Length, nameof(targets));
        Guard.Length(gradient.Length, input.Length, nameof(gradient), optional: true);
        return new(input, targets, n, classes, gradient, losses, CheckLosses(shape, losses.Length, n, classes, lossesName));
    }

    /// <summary>[N, K] input without targets (the z-loss); N row losses.</summary>
    public static Batch<T, T> NoTargets<T>(ReadOnlySpan<T> input, int classes, Span<T> gradient, Span<T> losses, string inputName,
        string lossesName = "losses")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Guard.Rows(input.Length, classes, inputName);
        Guard.Length(gradient.Length, input.Length, nameof(gradient), optional: true);
        Guard.Length(losses.Length, n, lossesName, optional: true);
        return new(input, default, n, classes, gradient, losses, perElementLosses: false);
    }

    /// <summary>Checks the loss buffer of the given <paramref name="shape"/>: N row losses (or empty), or with
    /// <see cref="LossesShape.RowsOrElements"/> also N·K element losses (<see cref="PerElement"/>). Returns true for
    /// element losses.</summary>
    private static bool CheckLosses(LossesShape shape, int length, int rows, int classes, string name)
    {
        if (shape == LossesShape.RowsOrElements)
        {
            return PerElement(length, rows, classes, name);
        }

        Guard.Length(length, rows, name, optional: true);
        return false;
    }

    /// <summary>
    /// Checks the loss buffer of an element-wise loss: empty, N (row sums) or N·K (element losses). Returns true for
    /// element losses.
    /// </summary>
    public static bool PerElement(int length, int rows, int classes, string name)
    {
        if (length != 0 && length != rows && length != rows * classes)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"{name} has length {length}; expected {rows} (row sums), {rows * classes} (element losses) or 0 to skip it."), name);
        }

        return length == rows * classes && length != rows;
    }
}
