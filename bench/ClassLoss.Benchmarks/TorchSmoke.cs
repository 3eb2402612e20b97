using ClassLoss.Losses;
using TorchSharp;
using static global::TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>Proves that libtorch loads (glibc++ fix) and agrees with our kernels on one small cross-entropy.</summary>
public static class TorchSmoke
{
    /// <summary>Runs the check; 0 when libtorch and the fused kernel agree.</summary>
    public static int Run()
    {
        var a = ones(2, 3) * 2;
        Console.WriteLine($"torch {__version__}: sum(2 * ones(2,3)) = {a.sum().item<float>()}");
        float[] z = [1f, 2f, 3f, 0.5f, -1f, 4f];
        long[] y = [2, 0];
        var x = tensor(z, [2, 3]).requires_grad_(true);
        var loss = nn.functional.cross_entropy(x, tensor(y));
        var g = autograd.grad([loss], [x])[0];
        var ours = new float[6];
        var r = SoftmaxCrossEntropy.Evaluate<float>(z, [2, 0], 3, null, ours, default);
        var generic = SoftmaxCrossEntropy.EvaluateGeneric<float>(z, [2, 0], 3, SoftmaxCrossEntropyOptions.Default, default, default);
        Console.WriteLine($"libtorch CE = {loss.item<float>():R}, fused = {r.Value:R}, generic = {generic.Value:R}");
        float[] tg = g.data<float>().ToArray();
        Console.WriteLine($"libtorch grad = [{string.Join(", ", tg)}]");
        Console.WriteLine($"fused    grad = [{string.Join(", ", ours)}]");
        double worst = tg.Zip(ours, (p, q) => Math.Abs(p - q)).Max();
        bool ok = Math.Abs(loss.item<float>() - r.Value) < 1e-5 && worst < 1e-6;
        Console.WriteLine(ok ? "OK" : "MISMATCH");
        return ok ? 0 : 1;
    }
}
