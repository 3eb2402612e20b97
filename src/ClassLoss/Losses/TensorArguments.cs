using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace ClassLoss.Losses;

/// <summary>What a loss's tensor overload accepts besides an input of shape [..., K] and a gradient of its shape.</summary>
internal enum TensorLayout
{
    /// <summary>A row-wise loss: input of rank ≥ 2; losses, sample weights and upstream gradient one per row (the
    /// input's leading dimensions).</summary>
    Rows,

    /// <summary>An element-wise loss: input of rank ≥ 1 (rank 1 is [N] with K = 1); losses, sample weights and upstream
    /// gradient one per row or one per element (the input's shape).</summary>
    Elements,

    /// <summary>Gaussian NLL: as <see cref="Elements"/> for the input and the losses, but sample weights and upstream
    /// gradient one per row (a per-row variance couples a row).</summary>
    ElementLosses,

    /// <summary>One value per row: as <see cref="Elements"/>, with K = 1 (an input [N] or [..., 1]; the binary Brier score).</summary>
    OneColumn,
}

/// <summary>A span overload of the one shape (docs/conventions.md, "Names and the one shape"), which a tensor overload calls.</summary>
internal delegate LossResult SpanLoss<T, TTarget, TOptions>(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, int classes,
    TOptions? options, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOptions : LossOptions;

/// <summary>A tensor call's arguments as the span overload takes them: every shape checked against the input's, every
/// tensor dense and read or written in place (the spans are views of the caller's memory, nothing is copied). K is
/// <see cref="Classes"/>; an empty span is an empty tensor (skip the output, no weights).</summary>
internal readonly ref struct TensorCall<T, TTarget>(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, int classes, Span<T> gradient,
    Span<T> losses, ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public readonly ReadOnlySpan<T> Input = input;
    public readonly ReadOnlySpan<TTarget> Targets = targets;
    public readonly int Classes = classes;
    public readonly Span<T> Gradient = gradient;
    public readonly Span<T> Losses = losses;
    public readonly ReadOnlySpan<T> SampleWeights = sampleWeights;
    public readonly ReadOnlySpan<T> GradOutput = gradOutput;

    /// <summary>Calls the span overload <paramref name="evaluate"/> on these spans.</summary>
    public LossResult Call<TOptions>(SpanLoss<T, TTarget, TOptions> evaluate, TOptions? options) where TOptions : LossOptions =>
        evaluate(Input, Targets, Classes, options, Gradient, Losses, SampleWeights, GradOutput);
}

/// <summary>
/// The one place where a tensor overload's arguments become the span overload's: K is the input's last dimension and N
/// the product of the others; every other tensor's shape is checked against the input's; a dense tensor (row-major,
/// contiguous, wherever it starts) is passed as a span over its own memory, never copied; any other strides (a
/// transposed or strided slice, a broadcast stride 0) are an <see cref="ArgumentException"/> naming the argument.
/// </summary>
/// <remarks>
/// Density is checked on <c>Lengths</c> and <c>Strides</c>: every dimension longer than 1 must have the row-major
/// stride (the product of the later lengths); a dimension of length 1 is never stepped along, so its stride (which
/// System.Numerics.Tensors sets to 0) does not matter. The span is then
/// <c>MemoryMarshal.CreateSpan(ref TensorMarshal.GetReference(t), FlattenedLength)</c>: the tensor's element 0 and
/// the <c>FlattenedLength</c> elements after it. (<c>TensorSpan.GetSpan</c> is not used: in 10.0.0 it refuses a dense
/// [N, 1] tensor, whose last stride is 0.) An empty tensor (<c>default</c>, or any with a zero length) is an empty span:
/// "skip it" for an output, "none" for sample weights and an upstream gradient, as with the span overloads.
/// </remarks>
internal static class TensorArguments
{
    /// <summary>Class-index targets, one per row: their shape is the input's leading dimensions.</summary>
    public static TensorCall<T, int> Labels<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> targets, TensorSpan<T> gradient,
        TensorSpan<T> losses, ReadOnlyTensorSpan<T> sampleWeights, ReadOnlyTensorSpan<T> gradOutput, TensorLayout layout = TensorLayout.Rows)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Build(input, targets, Per.Row, "class index", gradient, losses, sampleWeights, gradOutput, layout);

    /// <summary>Targets of the input's shape (probabilities, multi-hot rows, torch's class-index rows, regression targets).</summary>
    public static TensorCall<T, TTarget> Rows<T, TTarget>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TTarget> targets, TensorSpan<T> gradient,
        TensorSpan<T> losses, ReadOnlyTensorSpan<T> sampleWeights, ReadOnlyTensorSpan<T> gradOutput, TensorLayout layout = TensorLayout.Rows)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Build(input, targets, Per.Element, "target", gradient, losses, sampleWeights, gradOutput, layout);

    /// <summary>An element-wise loss's targets, of the input's shape (<see cref="TensorLayout.Elements"/>).</summary>
    public static TensorCall<T, T> Elements<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> targets, TensorSpan<T> gradient,
        TensorSpan<T> losses, ReadOnlyTensorSpan<T> sampleWeights, ReadOnlyTensorSpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Build(input, targets, Per.Element, "target", gradient, losses, sampleWeights, gradOutput, TensorLayout.Elements);

    /// <summary>A loss without targets (z-loss, entropy).</summary>
    public static TensorCall<T, T> NoTargets<T>(ReadOnlyTensorSpan<T> input, TensorSpan<T> gradient, TensorSpan<T> losses,
        ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default, string lossesName = "losses")
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Build<T, T>(input, default, Per.None, "", gradient, losses, sampleWeights, gradOutput, TensorLayout.Rows, lossesName);

    /// <summary>A second input of the loss (Gaussian NLL's variance): one per element (the input's shape) or one per row.</summary>
    public static ReadOnlySpan<T> PerElementOrRow<T>(ReadOnlyTensorSpan<T> second, ReadOnlyTensorSpan<T> input, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<nint> shape = input.Lengths;
        Check(second.Lengths, name, Per.RowOrElement, name, shape, Leading(shape), "input", empty: null);
        return Dense(second, name);
    }

    /// <summary>An output of <paramref name="of"/>'s shape (the variance's gradient), or an empty tensor to skip it.</summary>
    public static Span<T> Like<T>(TensorSpan<T> output, ReadOnlyTensorSpan<T> of, string name, string ofName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (output.IsEmpty)
        {
            return default;
        }

        Check(output.Lengths, name, Per.Element, "", of.Lengths, default, ofName, SkipIt);
        return Dense(output, name);
    }

    private const string SkipIt = "to skip it";
    private const string ForNone = "for none";

    /// <summary>How an argument's shape follows the input's: none (no targets), per row (the leading dimensions), per
    /// element (the whole shape), or either.</summary>
    private enum Per
    {
        None,
        Row,
        Element,
        RowOrElement,
    }

    private static TensorCall<T, TTarget> Build<T, TTarget>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<TTarget> targets, Per targetsPer,
        string targetNoun, TensorSpan<T> gradient, TensorSpan<T> losses, ReadOnlyTensorSpan<T> sampleWeights, ReadOnlyTensorSpan<T> gradOutput,
        TensorLayout layout, string lossesName = "losses")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<nint> shape = input.Lengths;
        if (input.Rank == 0 || (input.Rank == 1 && layout == TensorLayout.Rows))
        {
            throw new ArgumentException(RankMessage(shape, layout), nameof(input));
        }

        ReadOnlySpan<T> x = Dense(input, nameof(input));
        ReadOnlySpan<nint> rows = Leading(shape);
        int classes = input.Rank == 1 ? 1 : (int)shape[^1];
        if (layout == TensorLayout.OneColumn && classes != 1)
        {
            throw new ArgumentException($"input has shape {Format(shape)}; expected [N] or [..., 1] (one value per row).", nameof(input));
        }

        Per outputs = layout == TensorLayout.Rows ? Per.Row : Per.RowOrElement;
        Per weights = layout is TensorLayout.Elements or TensorLayout.OneColumn ? Per.RowOrElement : Per.Row;

        ReadOnlySpan<TTarget> t = default;
        if (targetsPer != Per.None)
        {
            Check(targets.Lengths, nameof(targets), targetsPer, targetNoun, shape, rows, nameof(input), empty: null);
            t = Dense(targets, nameof(targets));
        }

        return new TensorCall<T, TTarget>(x, t, classes,
            Output(gradient, nameof(gradient), Per.Element, "", shape, rows),
            Output(losses, lossesName, outputs, "loss", shape, rows),
            Optional(sampleWeights, nameof(sampleWeights), weights, "weight", shape, rows),
            Optional(gradOutput, nameof(gradOutput), weights, "upstream gradient", shape, rows));
    }

    private static Span<T> Output<T>(TensorSpan<T> t, string name, Per per, string noun, scoped ReadOnlySpan<nint> shape, scoped ReadOnlySpan<nint> rows)
    {
        if (t.IsEmpty)
        {
            return default;
        }

        Check(t.Lengths, name, per, noun, shape, rows, "input", SkipIt);
        return Dense(t, name);
    }

    private static ReadOnlySpan<T> Optional<T>(ReadOnlyTensorSpan<T> t, string name, Per per, string noun, scoped ReadOnlySpan<nint> shape,
        scoped ReadOnlySpan<nint> rows)
    {
        if (t.IsEmpty)
        {
            return default;
        }

        Check(t.Lengths, name, per, noun, shape, rows, "input", ForNone);
        return Dense(t, name);
    }

    /// <summary>The input's leading dimensions: all but the last, or the whole shape of a rank-1 input (K = 1).</summary>
    private static ReadOnlySpan<nint> Leading(ReadOnlySpan<nint> shape) => shape.Length == 1 ? shape : shape[..^1];

    /// <summary>Throws unless <paramref name="lengths"/> is what <paramref name="per"/> asks of a tensor against
    /// <paramref name="shape"/> (the shape of <paramref name="reference"/>) and its leading dimensions <paramref name="rows"/>.</summary>
    private static void Check(ReadOnlySpan<nint> lengths, string name, Per per, string noun, ReadOnlySpan<nint> shape,
        ReadOnlySpan<nint> rows, string reference, string? empty)
    {
        bool ok = per switch
        {
            Per.Row => lengths.SequenceEqual(rows),
            Per.Element => lengths.SequenceEqual(shape),
            _ => lengths.SequenceEqual(rows) || lengths.SequenceEqual(shape),
        };
        if (ok)
        {
            return;
        }

        string of = $"{reference} {Format(shape)}";
        string expected = per switch
        {
            Per.Row => $"{Format(rows)} (one {noun} per row of {of})",
            Per.Element => $"{Format(shape)} (the shape of {of})",
            _ => $"{Format(rows)} (one {noun} per row of {of}) or {Format(shape)} (one per element)",
        };
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"{name} has shape {Format(lengths)}; expected {expected}{(empty is null ? "" : ", or an empty tensor " + empty)}."), name);
    }

    private static string RankMessage(ReadOnlySpan<nint> shape, TensorLayout layout)
    {
        string expected = layout == TensorLayout.Rows ? "[..., K] (rank >= 2, K classes in the last dimension)" : "[N] or [..., K]";
        if (shape.IsEmpty)
        {
            return $"input is an empty tensor of rank 0; expected {expected}.";
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"input has shape {Format(shape)}; expected {expected}: this loss reads a row of classes, so reshape one row to [1, {shape[0]}] or {shape[0]} rows of one class to [{shape[0]}, 1].");
    }

    /// <summary>The memory of a dense tensor, or an empty span for an empty one.</summary>
    private static ReadOnlySpan<T> Dense<T>(ReadOnlyTensorSpan<T> t, string name) =>
        t.IsEmpty ? default : MemoryMarshal.CreateReadOnlySpan(in TensorMarshal.GetReference(t), Length(t.Lengths, t.Strides, t.FlattenedLength, name));

    private static Span<T> Dense<T>(TensorSpan<T> t, string name) =>
        t.IsEmpty ? default : MemoryMarshal.CreateSpan(ref TensorMarshal.GetReference(t), Length(t.Lengths, t.Strides, t.FlattenedLength, name));

    /// <summary>Throws unless the strides are row-major for the lengths (a dimension of length 1 may have any stride);
    /// returns the number of elements, which a span must be able to hold.</summary>
    private static int Length(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides, nint flattened, string name)
    {
        nint dense = 1;
        for (int d = lengths.Length - 1; d >= 0; d--)
        {
            if (lengths[d] != 1 && strides[d] != dense)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{name} is not dense (strides {Format(strides)} for lengths {Format(lengths)}; dense is {DenseStrides(lengths)}); pass a contiguous tensor or copy it."), name);
            }

            dense *= lengths[d];
        }

        if (flattened > int.MaxValue)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{name} has {flattened} elements; a span holds at most {int.MaxValue}."), name);
        }

        return (int)flattened;
    }

    private static string DenseStrides(ReadOnlySpan<nint> lengths)
    {
        var strides = new nint[lengths.Length];
        nint dense = 1;
        for (int d = lengths.Length - 1; d >= 0; d--)
        {
            strides[d] = dense;
            dense *= lengths[d];
        }

        return Format(strides);
    }

    private static string Format(ReadOnlySpan<nint> lengths)
    {
        var s = new StringBuilder("[");
        for (int d = 0; d < lengths.Length; d++)
        {
            s.Append(d == 0 ? "" : ", ").Append(lengths[d].ToString(CultureInfo.InvariantCulture));
        }

        return s.Append(']').ToString();
    }
}
