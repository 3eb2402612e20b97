using System.Runtime.InteropServices;

namespace ClassLoss.Losses;

/// <summary>One public kernel of a loss family for one input type (a method group such as <c>SoftmaxCrossEntropy.Evaluate</c>).</summary>
internal delegate LossResult KernelOf<T, TTarget, TOptions>(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, int classes,
    TOptions? options, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput);

/// <summary>
/// A loss family's public kernels as one object, so that a catalogue entry calls them for float (training) and double
/// (the <c>loss</c> command): each is a method group of the family's public <c>Evaluate</c> and restates no formula.
/// </summary>
/// <typeparam name="TOptions">The family's options.</typeparam>
internal sealed class FamilyKernel<TOptions>(
    KernelOf<float, int, TOptions>? labelsFloat, KernelOf<double, int, TOptions>? labelsDouble,
    KernelOf<float, float, TOptions>? rowsFloat, KernelOf<double, double, TOptions>? rowsDouble)
{
    /// <summary>True when the family takes class indices.</summary>
    public bool TakesLabels => labelsFloat is not null;

    /// <summary>True when the family takes [N, K] target rows (probabilities or element-wise targets).</summary>
    public bool TakesRows => rowsFloat is not null;

    /// <summary>The family's kernel over class indices, for float or double input.</summary>
    public LossResult Labels<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> labels, int classes, TOptions options, Span<T> gradient, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> => typeof(T) == typeof(float)
            ? labelsFloat!(FloatSpan.Of(input), labels, classes, options, FloatSpan.Of(gradient), FloatSpan.Of(losses), default, default)
            : labelsDouble!(MemoryMarshal.Cast<T, double>(input), labels, classes, options, MemoryMarshal.Cast<T, double>(gradient), MemoryMarshal.Cast<T, double>(losses), default, default);

    /// <summary>The family's kernel over target rows, for float or double input.</summary>
    public LossResult Rows<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes, TOptions options, Span<T> gradient, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> => typeof(T) == typeof(float)
            ? rowsFloat!(FloatSpan.Of(input), FloatSpan.Of(targets), classes, options, FloatSpan.Of(gradient), FloatSpan.Of(losses), default, default)
            : rowsDouble!(MemoryMarshal.Cast<T, double>(input), MemoryMarshal.Cast<T, double>(targets), classes, options, MemoryMarshal.Cast<T, double>(gradient), MemoryMarshal.Cast<T, double>(losses), default, default);
}

/// <summary>
/// The <see cref="ILogitLoss"/> of a catalogue entry: a <see cref="FamilyKernel{TOptions}"/> with its options bound.
/// Class indices go to the label kernel when the family has one; otherwise they are expanded to one-hot rows (in a
/// buffer reused across calls) for the row kernel, which is how one-vs-rest losses (per-class BCE, sigmoid focal,
/// sigmoid MSE) train a multiclass model. Restates no formula.
/// </summary>
/// <typeparam name="TOptions">The family's options.</typeparam>
public sealed class KernelLoss<TOptions> : ILogitLoss
{
    private readonly FamilyKernel<TOptions> _kernel;
    private float[] _oneHot = [];

    internal KernelLoss(string name, FamilyKernel<TOptions> kernel, TOptions options)
    {
        Name = name;
        _kernel = kernel;
        Options = options;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The options bound into the kernels.</summary>
    public TOptions Options { get; }

    /// <inheritdoc/>
    public LossResult Evaluate(ReadOnlySpan<float> logits, LossTargets targets, int classes, Span<float> gradient, Span<float> rowLosses)
    {
        if (!targets.HasLabels)
        {
            return _kernel.TakesRows
                ? _kernel.Rows(logits, targets.Probabilities, classes, Options, gradient, rowLosses)
                : throw new ArgumentException($"loss '{Name}' needs class indices, not probability targets.");
        }

        return _kernel.TakesLabels
            ? _kernel.Labels(logits, targets.Labels, classes, Options, gradient, rowLosses)
            : _kernel.Rows(logits, OneHot(targets.Labels, classes), classes, Options, gradient, rowLosses);
    }

    private ReadOnlySpan<float> OneHot(ReadOnlySpan<int> labels, int classes)
    {
        int length = labels.Length * classes;
        if (_oneHot.Length < length)
        {
            _oneHot = new float[length];
        }

        var rows = _oneHot.AsSpan(0, length);
        rows.Clear();
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new ArgumentException($"labels[{i}] is {labels[i]}, outside the classes [0, {classes}).", nameof(labels));
            }

            rows[(i * classes) + labels[i]] = 1f;
        }

        return rows;
    }
}
