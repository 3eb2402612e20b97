using System.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Numerics;

namespace ClassLoss.Benchmarks;

/// <summary>
/// A plain Stopwatch loop (no BenchmarkDotNet) for a quick look at one shape:
/// <c>--probe N K [reps]</c> prints the best time of the copy floor and the fused kernel (forward, forward+backward).
/// </summary>
public static class Probe
{
    /// <summary>Runs the probe; returns 0.</summary>
    public static int Run(int n, int k, int reps)
    {
        var rng = new Random(42);
        var z = new float[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(rng.NextDouble() * 8 - 4);
        }

        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(k);
        }

        var g = new float[z.Length];
        Report("copy floor", () => z.AsSpan().CopyTo(g), reps, z.Length);
        Report("read floor", () => Floors.Read(z), reps, z.Length);
        Report("TP.Exp z->g", () => System.Numerics.Tensors.TensorPrimitives.Exp<float>(z, g), reps, z.Length);
        Report("fused F", () => FusedSoftmaxCrossEntropy.Evaluate(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, default, default, 1), reps, z.Length);
        Report("fused F+B 1T", () => FusedSoftmaxCrossEntropy.Evaluate(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, g, default, 1), reps, z.Length);
        Report("fused F+B 2T", () => FusedSoftmaxCrossEntropy.Evaluate(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, g, default, 2), reps, z.Length);
        var t = new float[z.Length];
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = rng.Next(2);
        }

        var bce2 = new BinaryCrossEntropyOptions { MaxDegreeOfParallelism = 2 };
        Report("BCE F 1T", () => SigmoidBinaryCrossEntropy.Evaluate<float>(z, t, k, null, default, default), reps, z.Length);
        Report("BCE F+B 1T", () => SigmoidBinaryCrossEntropy.Evaluate<float>(z, t, k, null, g, default), reps, z.Length);
        Report("BCE F+B 2T", () => SigmoidBinaryCrossEntropy.Evaluate<float>(z, t, k, bce2, g, default), reps, z.Length);
        if (Environment.GetEnvironmentVariable("PROBE_TORCH") == "1")
        {
            TorchSharp.torch.set_num_threads(1);
            var labels64 = Array.ConvertAll(y, v => (long)v);
            using var tx = TorchSharp.torch.tensor(z, [n, k]).requires_grad_(true);
            using var ty = TorchSharp.torch.tensor(labels64);
            using var tt = TorchSharp.torch.tensor(t, [n, k]);
            Report("torch CE F+B", () =>
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var l = TorchSharp.torch.nn.functional.cross_entropy(tx, ty);
                _ = TorchSharp.torch.autograd.grad([l], [tx])[0];
            }, reps, z.Length);
            Report("torch BCE F+B", () =>
            {
                using var scope = TorchSharp.torch.NewDisposeScope();
                var l = TorchSharp.torch.nn.functional.binary_cross_entropy_with_logits(tx, tt);
                _ = TorchSharp.torch.autograd.grad([l], [tx])[0];
            }, reps, z.Length);
        }

        return 0;
    }

    private static void Report(string name, Action a, int reps, int elements)
    {
        a();
        double best = double.MaxValue;
        for (int r = 0; r < reps; r++)
        {
            long t = Stopwatch.GetTimestamp();
            a();
            best = Math.Min(best, Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        Console.WriteLine($"{name,-14} best {best,10:F3} ms  {best * 1e6 / elements,7:F3} ns/element");
    }
}
