using ClassLoss.Losses;

namespace ClassLoss.Training.Losses;

/// <summary>A core kernel over logits and class indices, with its options already bound.</summary>
public delegate LossResult LabelKernel(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> gradient, Span<float> rowLosses);

/// <summary>A core kernel over logits and [N, K] target rows (probabilities or multi-hot), with its options bound.</summary>
public delegate LossResult TargetKernel(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, Span<float> gradient, Span<float> rowLosses);

/// <summary>
/// <see cref="ILogitLoss"/> over one or two core kernels. Class indices go to the label kernel when there is one;
/// otherwise they are expanded to one-hot rows (in a buffer reused across calls) for the target kernel, which is how
/// one-vs-rest losses (per-class BCE, sigmoid focal, sigmoid MSE) train a multiclass model. Restates no formula.
/// </summary>
public sealed class KernelLoss : ILogitLoss
{
    private readonly LabelKernel? _labels;
    private readonly TargetKernel? _targets;
    private float[] _oneHot = [];

    /// <summary>Creates the adapter; at least one kernel must be given.</summary>
    /// <param name="name">The specification that created it.</param>
    /// <param name="labels">The kernel over class indices, or null.</param>
    /// <param name="targets">The kernel over target rows, or null.</param>
    /// <param name="options">The options bound into the kernels, for inspection (null when not given).</param>
    public KernelLoss(string name, LabelKernel? labels, TargetKernel? targets, LossOptions? options = null)
    {
        if (labels is null && targets is null)
        {
            throw new ArgumentException("a loss needs a label kernel, a target kernel or both.");
        }

        Name = name;
        _labels = labels;
        _targets = targets;
        Options = options;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The options bound into the kernels, when the creator gave them.</summary>
    public LossOptions? Options { get; }

    /// <inheritdoc/>
    public LossResult Evaluate(ReadOnlySpan<float> logits, LossTargets targets, int classes, Span<float> gradient, Span<float> rowLosses)
    {
        if (targets.HasLabels)
        {
            if (_labels is not null)
            {
                return _labels(logits, targets.Labels, classes, gradient, rowLosses);
            }

            return _targets!(logits, OneHot(targets.Labels, classes), classes, gradient, rowLosses);
        }

        if (_targets is null)
        {
            throw new ArgumentException($"loss '{Name}' needs class indices, not probability targets.");
        }

        return _targets(logits, targets.Probabilities, classes, gradient, rowLosses);
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

            rows[i * classes + labels[i]] = 1f;
        }

        return rows;
    }
}

/// <summary>Adds the z-loss <c>c · lse(z)²</c> (PaLM, ST-MoE) to another loss: value and gradient, via <see cref="ZLoss.AddTo"/>.</summary>
/// <param name="inner">The main loss.</param>
/// <param name="options">The z-loss coefficient and reduction (use the main loss's reduction).</param>
public sealed class WithZLoss(ILogitLoss inner, ZLossOptions options) : ILogitLoss
{
    /// <inheritdoc/>
    public string Name => inner.Name;

    /// <summary>The main loss.</summary>
    public ILogitLoss Inner => inner;

    /// <summary>The z-loss options.</summary>
    public ZLossOptions Options => options;

    /// <inheritdoc/>
    public LossResult Evaluate(ReadOnlySpan<float> logits, LossTargets targets, int classes, Span<float> gradient, Span<float> rowLosses)
    {
        var main = inner.Evaluate(logits, targets, classes, gradient, rowLosses);
        var z = ZLoss.AddTo(logits, classes, options, gradient, default);
        return main with { Value = main.Value + z.Value, Sum = main.Sum + z.Sum };
    }
}
