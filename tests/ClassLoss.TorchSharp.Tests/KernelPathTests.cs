using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassLoss.TorchSharp.Tests;

/// <summary>The kernels' path on tensor memory: label dtypes read in place, no autograd node when nothing needs a
/// gradient, the same bits for any thread setting.</summary>
[Collection("torch")]
public sealed class KernelPathTests
{
    [Theory]
    [InlineData(ScalarType.Int32)]
    [InlineData(ScalarType.Int16)]
    [InlineData(ScalarType.Int8)]
    [InlineData(ScalarType.Byte)]
    public void EveryIntegerLabelDtype_GivesTheInt64Result(ScalarType type)
    {
        var x = Probe.Randn(1, 20, 6);
        var y = Probe.Labels(1, 20, 6);
        var expected = Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, y));
        Probe.Same(expected, Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, y.to(type))), 0);
        var strided = torch.stack([y, y], 1).to(type).select(1, 0);
        Assert.False(strided.is_contiguous());
        Probe.Same(expected, Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, strided)), 0, "strided labels");
    }

    [Fact]
    public void AnInt64LabelOutsideIntsRange_IsRejected_NotWrappedIntoAValidClass()
    {
        var x = Probe.Randn(2, 4, 3);
        var y = torch.tensor(new long[] { 0, 1, (1L << 32) + 1, 2 });
        var e = Assert.Throws<ArgumentException>(() => TorchLosses.softmax_cross_entropy(x, y));
        Assert.Contains("targets", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutGradients_TheLossIsTheSame_AndHasNoGraph()
    {
        var x = Probe.Randn(3, 30, 8).requires_grad_();
        var y = Probe.Labels(3, 30, 8);
        double withGraph = TorchLosses.softmax_focal(x, y).item<double>();
        using (torch.no_grad())
        {
            var l = TorchLosses.softmax_focal(x, y);
            Assert.False(l.requires_grad);
            Assert.Equal(withGraph, l.item<double>());
            var rows = TorchLosses.softmax_focal(x, y, new SoftmaxFocalOptions { Reduction = Reduction.None });
            Assert.Equal(withGraph * 30, rows.sum().item<double>(), 1e-12);
        }

        Assert.Equal(withGraph, TorchLosses.softmax_focal(x.detach(), y).item<double>());
    }

    [Theory]
    [InlineData(64, 10)]
    [InlineData(600, 500)]
    public void TheThreadSetting_DoesNotChangeABit(int n, int k)
    {
        var x = Probe.Randn(4, n, k, 3, ScalarType.Float32);
        var y = Probe.Labels(4, n, k);
        var one = Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, y, new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1 }));
        var two = Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, y, new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, MaxDegreeOfParallelism = 2 }));
        Probe.Same(one, two, 0);
    }

    [Fact]
    public void AnUnreducedLoss_BackpropagatesAfterTheDisposeScopeItWasMadeInHasEnded()
    {
        var x = Probe.Randn(5, 9, 4).requires_grad_();
        var y = Probe.Labels(5, 9, 4);
        Tensor rows;
        using (var scope = torch.NewDisposeScope())
        {
            rows = TorchLosses.softmax_cross_entropy(x, y, new SoftmaxCrossEntropyOptions { Reduction = Reduction.None }).MoveToOuterDisposeScope();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        rows.sum().backward();
        var expected = Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, y, new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum }));
        Assert.Equal(expected.Grad, x.grad!.data<double>().ToArray());
    }
}
