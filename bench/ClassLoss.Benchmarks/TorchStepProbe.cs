using System.Diagnostics;
using System.Globalization;
using ClassLoss.TorchSharp;
using TorchSharp;
using static global::TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>
/// A TorchSharp user's loss step (issue 12): forward and backward of the mean cross-entropy on a [N, K] float32 logits
/// tensor that requires its gradient, with class-index targets: ClassLoss.TorchSharp's <c>softmax_cross_entropy</c>
/// against <c>torch.nn.functional.cross_entropy</c>, alternating, medians of <c>rounds</c>.
/// </summary>
internal static class TorchStepProbe
{
    public static int Run(int n, int k, int threads, int rounds)
    {
        torch.set_num_threads(threads);
        var g = new torch.Generator(1);
        var logits = torch.randn([n, k], generator: g).requires_grad_();
        var labels = torch.randint(k, [n], generator: g, dtype: ScalarType.Int64);
        var options = new ClassLoss.Losses.SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = threads };
        void Ours() => TorchLosses.softmax_cross_entropy(logits, labels, options).backward();
        void Torch() => nn.functional.cross_entropy(logits, labels).backward();
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int r = -3; r < rounds; r++)
        {
            foreach (var (step, times) in new (Action, List<double>)[] { (Ours, ours), (Torch, theirs) })
            {
                using var scope = torch.NewDisposeScope();
                logits.grad?.zero_();
                long start = Stopwatch.GetTimestamp();
                step();
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (r >= 0)
                {
                    times.Add(ms);
                }
            }
        }

        ours.Sort();
        theirs.Sort();
        double a = ours[ours.Count / 2], b = theirs[theirs.Count / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"torch step N={n} K={k} threads={threads}: ClassLoss.TorchSharp {a:F3} ms, torch.nn.functional.cross_entropy {b:F3} ms, speed-up {b / a:F2}x"));
        return 0;
    }
}
