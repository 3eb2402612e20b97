using System.Diagnostics;
using System.Globalization;
using ClassLoss.TorchSharp;
using TorchSharp;
using static global::TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>
/// A TorchSharp user's loss step (issue 12): forward and backward of the mean cross-entropy on a [N, K] float32 logits
/// tensor that requires its gradient, with class-index targets: ClassLoss.TorchSharp's cross-entropy module
/// (<c>TorchLosses.SoftmaxCrossEntropyLoss</c>, the kernels' <c>MaxDegreeOfParallelism</c> = THREADS, or the
/// <c>OURS_THREADS</c> environment variable) against <c>torch.nn.functional.cross_entropy</c>
/// (<c>torch.set_num_threads(THREADS)</c>), alternating, medians of <c>rounds</c>. <c>--parts</c> times the pieces of our
/// step alone instead.
/// </summary>
internal static class TorchStepProbe
{
    public static int Run(int n, int k, int threads, int rounds, bool parts = false)
    {
        if (parts)
        {
            return Parts(n, k, threads, rounds);
        }

        torch.set_num_threads(threads);
        var g = new torch.Generator(1);
        var logits = torch.randn([n, k], generator: g).requires_grad_();
        var labels = torch.randint(k, [n], generator: g, dtype: ScalarType.Int64);
        int oursThreads = int.TryParse(Environment.GetEnvironmentVariable("OURS_THREADS"), out int t) ? t : threads;
        var options = new ClassLoss.Losses.SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = oursThreads };
        var module = TorchLosses.SoftmaxCrossEntropyLoss(options);
        void Ours() => module.call(logits, labels).backward();
        void Torch() => nn.functional.cross_entropy(logits, labels).backward();
        var ours = new List<double>();
        var theirs = new List<double>();
        // Warm-up until both steps run their tier-1 code: .NET's tiered JIT recompiles a method after 30 calls and a
        // 100 ms delay, so a short run (30 rounds after 3 warm-ups) timed tier-0 code on our side (256x10 read 0.8-0.95x
        // where 2,000 rounds read 1.5-1.6x). At least 100 calls of each and 1 s.
        WarmUp(Ours, Torch);
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

    /// <summary>Runs both steps alternately for at least 100 calls each and one second.</summary>
    private static void WarmUp(Action ours, Action theirs)
    {
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        while (calls < 100 || Stopwatch.GetElapsedTime(start).TotalSeconds < 1.0)
        {
            using var scope = torch.NewDisposeScope();
            ours();
            theirs();
            calls++;
        }
    }

    /// <summary>Where our step's time goes: each piece alone, medians of <paramref name="rounds"/> (after 3 warm-ups).</summary>
    private static int Parts(int n, int k, int threads, int rounds)
    {
        torch.set_num_threads(threads);
        var g = new torch.Generator(1);
        var logits = torch.randn([n, k], generator: g).requires_grad_();
        var plain = logits.detach();
        var labels = torch.randint(k, [n], generator: g, dtype: ScalarType.Int64);
        var options = new ClassLoss.Losses.SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = threads };
        var ints = new int[n];
        var gradient = new float[n * k];
        var fixedGradient = torch.randn([n * k], generator: g);
        var module = TorchLosses.SoftmaxCrossEntropyLoss(options);
        var torchModule = nn.CrossEntropyLoss();
        var pieces = new (string Name, Action Step)[]
        {
            ("core span kernel (loss + gradient, managed buffers)", () =>
            {
                ClassLoss.Losses.SoftmaxCrossEntropy.Evaluate<float>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(plain.bytes), ints, k, options, gradient, default);
            }),
            ("labels int64 -> int32 tensor", () => labels.to(ScalarType.Int32).contiguous()),
            ("torch.empty_like + torch.tensor(scalar)", () => { torch.empty_like(logits); torch.tensor(1.0f); }),
            ("a native graph carrying a given gradient: <x, G> - detach, forward + backward", () =>
            {
                var d = logits.reshape(-1).dot(fixedGradient);
                (d - d.detach()).add_(1.5).backward();
            }),
            ("ours forward, input without grad", () => TorchLosses.softmax_cross_entropy(plain, labels, options)),
            ("ours forward, input requires grad", () => TorchLosses.softmax_cross_entropy(logits, labels, options)),
            ("ours forward + backward", () => TorchLosses.softmax_cross_entropy(logits, labels, options).backward()),
            ("ours module forward + backward", () => module.call(logits, labels).backward()),
            ("ours module.forward + backward (no hooks)", () => module.forward(logits, labels).backward()),
            ("torch CrossEntropyLoss module forward + backward", () => torchModule.call(logits, labels).backward()),
            ("torch cross_entropy forward", () => nn.functional.cross_entropy(logits, labels)),
            ("torch cross_entropy forward + backward", () => nn.functional.cross_entropy(logits, labels).backward()),
        };
        var times = pieces.Select(_ => new List<double>()).ToArray();
        for (int r = -3; r < rounds; r++)
        {
            for (int i = 0; i < pieces.Length; i++)
            {
                using var scope = torch.NewDisposeScope();
                logits.grad?.zero_();
                long start = Stopwatch.GetTimestamp();
                pieces[i].Step();
                double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                if (r >= 0)
                {
                    times[i].Add(us);
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"torch step parts N={n} K={k} threads={threads}, medians of {rounds}:"));
        for (int i = 0; i < pieces.Length; i++)
        {
            times[i].Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {times[i][times[i].Count / 2],10:F1} us  {pieces[i].Name}"));
        }

        return 0;
    }
}
