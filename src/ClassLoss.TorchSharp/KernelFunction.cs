using System.Buffers;
using System.Runtime.InteropServices;

namespace ClassLoss.TorchSharp;

/// <summary>One ClassLoss span entry point, for one element type: (input, targets, classes, options, gradient, losses,
/// sampleWeights, gradOutput), with class-index targets (<typeparamref name="TTarget"/> = int) or target rows.</summary>
internal delegate LossResult SpanLoss<T, TTarget, in TOptions>(ReadOnlySpan<T> input, ReadOnlySpan<TTarget> targets, int classes,
    TOptions? options, Span<T> gradient, Span<T> losses, ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
    where TOptions : class;

/// <summary>The composition of TorchSharp ops that computes a loss where the kernels cannot run (another device, a
/// non-contiguous input, a dtype the kernels do not take): (input [..., K], target or null, options, sample weights [...]
/// or null) to the loss.</summary>
internal delegate Tensor Composition<in TOptions>(Tensor input, Tensor? target, TOptions options, Tensor? sampleWeights = null)
    where TOptions : LossOptions;

/// <summary>A loss's entry points for the element types the adapter runs in place: float32, float64, bfloat16; with
/// class-index targets and, where the loss takes them, target rows of the input's shape (or no targets at all); and its
/// composition of TorchSharp ops, where one is written (else other devices go through the CPU kernels).
/// <paramref name="LabelRows"/>: the class-index targets are K per row (torch's multi-label layout), not one;
/// <paramref name="NeutralTarget"/>: the value of a target row that passes the kernels' target check (for the options
/// check on the composition's path), null for 1/K.</summary>
internal sealed record LossKernels<TOptions>(
    SpanLoss<float, int, TOptions>? LabelsFloat, SpanLoss<double, int, TOptions>? LabelsDouble, SpanLoss<BFloat16, int, TOptions>? LabelsBFloat16,
    SpanLoss<float, float, TOptions>? RowsFloat, SpanLoss<double, double, TOptions>? RowsDouble, SpanLoss<BFloat16, BFloat16, TOptions>? RowsBFloat16,
    Composition<TOptions>? Composed = null, bool LabelRows = false, double? NeutralTarget = null)
    where TOptions : LossOptions;

/// <summary>What one autograd node needs to call the kernel again in its backward: the kernels, options, targets
/// (class indices as int32, in an array of their own or, when no backward needs them, one rented from the shared pool;
/// or target rows in the input's dtype; neither for a loss without targets), and the sample weights in the input's dtype
/// or null.</summary>
internal sealed class LossCall<TOptions>(LossKernels<TOptions> kernels, TOptions options, int[]? labels, int labelCount, bool pooled, Tensor? rows,
    Tensor? sampleWeights = null)
    where TOptions : LossOptions
{
    private int[]? _labels = labels;

    public TOptions Options { get; } = options;

    /// <summary>Runs the kernel on the tensors' memory: <paramref name="input"/> [..., K] contiguous on the CPU;
    /// <paramref name="gradient"/>, <paramref name="losses"/>, <paramref name="gradOutput"/> null to skip.</summary>
    public LossResult Run(Tensor input, Tensor? gradient, Tensor? losses, Tensor? gradOutput)
    {
        int k = checked((int)input.shape[^1]);
        return input.dtype switch
        {
            ScalarType.Float32 => Run(kernels.LabelsFloat, kernels.RowsFloat, input, gradient, losses, gradOutput, k),
            ScalarType.Float64 => Run(kernels.LabelsDouble, kernels.RowsDouble, input, gradient, losses, gradOutput, k),
            ScalarType.BFloat16 => Run(kernels.LabelsBFloat16, kernels.RowsBFloat16, input, gradient, losses, gradOutput, k),
            _ => throw new ArgumentException($"input is {input.dtype}; ClassLoss.TorchSharp's kernels take float32, float64 or bfloat16.", nameof(input)),
        };
    }

    /// <summary>Disposes the targets once no backward will need them (a reduced loss's node keeps only the gradient).</summary>
    public void Release()
    {
        if (pooled && _labels is not null)
        {
            ArrayPool<int>.Shared.Return(_labels);
        }

        _labels = null;
        rows?.Dispose();
        sampleWeights?.Dispose();
    }

    private LossResult Run<T>(SpanLoss<T, int, TOptions>? onLabels, SpanLoss<T, T, TOptions>? onRows, Tensor input, Tensor? gradient,
        Tensor? losses, Tensor? gradOutput, int k)
        where T : unmanaged
    {
        if (_labels is not null)
        {
            var f = onLabels ?? throw new ArgumentException("this loss takes target rows of the input's shape, not class indices.", "target");
            return f(TensorMemory.Of<T>(input), _labels.AsSpan(0, labelCount), k, Options, TensorMemory.Out<T>(gradient), TensorMemory.Out<T>(losses), TensorMemory.Of<T>(sampleWeights), TensorMemory.Of<T>(gradOutput));
        }

        var g = onRows ?? throw new ArgumentException("this loss takes class indices (an int64 target), not target rows.", "target");
        return g(TensorMemory.Of<T>(input), TensorMemory.Of<T>(rows), k, Options, TensorMemory.Out<T>(gradient), TensorMemory.Out<T>(losses), TensorMemory.Of<T>(sampleWeights), TensorMemory.Of<T>(gradOutput));
    }
}

/// <summary>A contiguous CPU tensor's own memory as a span.</summary>
internal static class TensorMemory
{
    /// <summary>The tensor's own memory (contiguous, CPU) as a span of <typeparamref name="T"/>; empty for null.</summary>
    public static ReadOnlySpan<T> Of<T>(Tensor? t)
        where T : unmanaged => t is null ? default : MemoryMarshal.Cast<byte, T>(t.bytes);

    /// <summary>The same, writable.</summary>
    public static Span<T> Out<T>(Tensor? t)
        where T : unmanaged => t is null ? default : MemoryMarshal.Cast<byte, T>(t.bytes);
}

/// <summary>
/// The autograd node of every ClassLoss loss: the forward runs the kernel on the tensors' memory (the reduced loss and,
/// when the input needs a gradient, the gradient in the same pass, which the node keeps); the backward scales that
/// gradient by the upstream scalar, or, unreduced, calls the kernel again with the upstream per-row gradient
/// (<c>gradOutput</c>: the vector-Jacobian product).
/// </summary>
internal sealed class KernelFunction<TOptions> : autograd.SingleTensorFunction<KernelFunction<TOptions>>
    where TOptions : LossOptions
{
    public override string Name => "ClassLoss";

    /// <summary>The loss without an autograd node (nothing needs its gradient): the reduced value, or the per-row losses.</summary>
    public static Tensor Evaluate(Tensor input, LossCall<TOptions> call)
    {
        if (call.Options.Reduction == Reduction.None)
        {
            var losses = torch.empty(input.shape[..^1], input.dtype);
            call.Run(input, null, losses, null);
            return losses;
        }

        LossResult r;
        try
        {
            r = call.Run(input, null, null, null);
        }
        finally
        {
            call.Release();
        }

        return torch.tensor(r.Value, input.dtype);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var call = (LossCall<TOptions>)vars[1];
        if (call.Options.Reduction == Reduction.None)
        {
            var losses = torch.empty(input.shape[..^1], input.dtype);
            call.Run(input, null, losses, null);
            ctx.save_data("call", call);
            ctx.save_for_backward([input]);
            return losses;
        }

        Tensor? gradient = input.requires_grad ? torch.empty_like(input) : null;
        LossResult r;
        try
        {
            r = call.Run(input, gradient, null, null);
        }
        finally
        {
            call.Release();
        }

        ctx.save_data("call", call);
        ctx.save_for_backward(gradient is null ? [] : [gradient]);
        return torch.tensor(r.Value, input.dtype);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var call = (LossCall<TOptions>)ctx.get_data("call");
        var saved = ctx.get_saved_variables();
        if (call.Options.Reduction == Reduction.None)
        {
            var input = saved[0];
            var gradient = torch.empty_like(input);
            using var upstream = grad_output.to(input.dtype).contiguous();
            call.Run(input, gradient, null, upstream);
            return [gradient, null!];
        }

        // The usual case, loss.backward() on the loss itself: the upstream scalar is 1 and the kept gradient is the answer.
        if (IsOne(grad_output))
        {
            return [saved[0], null!];
        }

        return [saved[0] * grad_output.to(saved[0].dtype), null!];
    }

    /// <summary>Whether the upstream gradient is the scalar 1, read without a conversion tensor where the dtype allows.</summary>
    private static bool IsOne(Tensor g)
    {
        if (g.numel() != 1 || g.device_type != DeviceType.CPU)
        {
            return false;
        }

        return g.dtype switch
        {
            ScalarType.Float32 => g.item<float>() == 1f,
            ScalarType.Float64 => g.item<double>() == 1.0,
            _ => g.to(ScalarType.Float64).item<double>() == 1.0,
        };
    }
}
