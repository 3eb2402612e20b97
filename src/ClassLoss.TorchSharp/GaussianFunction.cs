
namespace ClassLoss.TorchSharp;

/// <summary>What the Gaussian NLL's node needs to call the kernel again: the options and the targets (in the means'
/// dtype, contiguous, kept outside any dispose scope until the node no longer needs them) and the sample weights (likewise,
/// or null).</summary>
internal sealed class GaussianCall(GaussianNegativeLogLikelihoodOptions options, Tensor targets, Tensor? sampleWeights)
{
    private Tensor? _targets = targets;

    public GaussianNegativeLogLikelihoodOptions Options { get; } = options;

    /// <summary>Runs the kernel on the tensors' memory: every tensor contiguous on the CPU in the means' dtype; the
    /// outputs null to skip.</summary>
    public LossResult Run(Tensor input, Tensor variance, Tensor? gradient, Tensor? varianceGradient, Tensor? losses, Tensor? gradOutput)
    {
        var t = _targets ?? throw new InvalidOperationException("the Gaussian NLL's targets were released.");
        int k = checked((int)input.shape[^1]);
        return input.dtype switch
        {
            ScalarType.Float32 => GaussianNegativeLogLikelihood.Evaluate(TensorMemory.Of<float>(input), TensorMemory.Of<float>(t), TensorMemory.Of<float>(variance), k,
                Options, TensorMemory.Out<float>(gradient), TensorMemory.Out<float>(varianceGradient), TensorMemory.Out<float>(losses), TensorMemory.Of<float>(sampleWeights), TensorMemory.Of<float>(gradOutput)),
            ScalarType.Float64 => GaussianNegativeLogLikelihood.Evaluate(TensorMemory.Of<double>(input), TensorMemory.Of<double>(t), TensorMemory.Of<double>(variance), k,
                Options, TensorMemory.Out<double>(gradient), TensorMemory.Out<double>(varianceGradient), TensorMemory.Out<double>(losses), TensorMemory.Of<double>(sampleWeights), TensorMemory.Of<double>(gradOutput)),
            ScalarType.BFloat16 => GaussianNegativeLogLikelihood.Evaluate(TensorMemory.Of<BFloat16>(input), TensorMemory.Of<BFloat16>(t), TensorMemory.Of<BFloat16>(variance), k,
                Options, TensorMemory.Out<BFloat16>(gradient), TensorMemory.Out<BFloat16>(varianceGradient), TensorMemory.Out<BFloat16>(losses), TensorMemory.Of<BFloat16>(sampleWeights), TensorMemory.Of<BFloat16>(gradOutput)),
            _ => throw new ArgumentException($"input is {input.dtype}; ClassLoss.TorchSharp's kernels take float32, float64 or bfloat16.", nameof(input)),
        };
    }

    /// <summary>Disposes the targets once no backward will need them.</summary>
    public void Release()
    {
        _targets?.Dispose();
        _targets = null;
        sampleWeights?.Dispose();
    }
}

/// <summary>
/// The Gaussian NLL's autograd node, with two differentiable inputs (the means and the variance): reduced, the forward
/// computes both gradients in the kernel's one pass and the backward scales them; unreduced, the backward calls the
/// kernel again with the upstream per-row gradient.
/// </summary>
internal sealed class GaussianFunction : autograd.MultiTensorFunction<GaussianFunction>
{
    public override string Name => "ClassLoss.GaussianNll";

    /// <summary>The loss without an autograd node (nothing needs its gradient).</summary>
    public static Tensor Evaluate(Tensor input, Tensor variance, GaussianCall call)
    {
        try
        {
            if (call.Options.Reduction == Reduction.None)
            {
                var losses = torch.empty(input.shape[..^1], input.dtype);
                call.Run(input, variance, null, null, losses, null);
                return losses;
            }

            return torch.tensor(call.Run(input, variance, null, null, null, null).Value, input.dtype);
        }
        finally
        {
            call.Release();
        }
    }

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var variance = (Tensor)vars[1];
        var call = (GaussianCall)vars[2];
        ctx.save_data("call", call);
        if (call.Options.Reduction == Reduction.None)
        {
            var losses = torch.empty(input.shape[..^1], input.dtype);
            call.Run(input, variance, null, null, losses, null);
            ctx.save_for_backward([input, variance]);
            return [losses];
        }

        var gradient = input.requires_grad ? torch.empty_like(input) : null;
        var varianceGradient = variance.requires_grad ? torch.empty_like(variance) : null;
        LossResult r;
        try
        {
            r = call.Run(input, variance, gradient, varianceGradient, null, null);
        }
        finally
        {
            call.Release();
        }

        ctx.save_data("input", gradient is not null);
        ctx.save_data("variance", varianceGradient is not null);
        ctx.save_for_backward([.. new[] { gradient, varianceGradient }.OfType<Tensor>()]);
        return [torch.tensor(r.Value, input.dtype)];
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        var call = (GaussianCall)ctx.get_data("call");
        var saved = ctx.get_saved_variables();
        var upstream = grad_outputs[0];
        if (call.Options.Reduction == Reduction.None)
        {
            var input = saved[0];
            var variance = saved[1];
            var gradient = torch.empty_like(input);
            var varianceGradient = torch.empty_like(variance);
            using var up = upstream.to(input.dtype).contiguous();
            call.Run(input, variance, gradient, varianceGradient, null, up);
            return [gradient, varianceGradient, null!];
        }

        bool hasInput = (bool)ctx.get_data("input");
        bool hasVariance = (bool)ctx.get_data("variance");
        int at = 0;
        Tensor? gi = hasInput ? saved[at++] : null;
        Tensor? gv = hasVariance ? saved[at] : null;
        return [Scale(gi, upstream)!, Scale(gv, upstream)!, null!];
    }

    private static Tensor? Scale(Tensor? g, Tensor upstream) =>
        g is null ? null : upstream.numel() == 1 && upstream.device_type == DeviceType.CPU && upstream.to(ScalarType.Float64).item<double>() == 1.0
            ? g
            : g * upstream.to(g.dtype);
}
