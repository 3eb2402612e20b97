using System.Diagnostics;
using System.Globalization;
using ClassLoss.Losses;

namespace ClassLoss.Benchmarks;

/// <summary>
/// What sample weights and an upstream gradient cost: <c>--weighted-cost N K [rounds]</c> times CE and BCE forward +
/// backward on the probe's buffers without them, with sample weights, and (CE, Reduction.None) with an upstream
/// gradient, round-robin, one thread; prints medians and the ratio to the unweighted call.
/// </summary>
public static class WeightedCost
{
    /// <summary>Runs the measurement; returns 0.</summary>
    public static int Run(int n, int k, int rounds)
    {
        var buffers = Probe.Buffers(n, k);
        var z = (ArraySegment<float>)buffers[0];
        var t = (ArraySegment<float>)buffers[2];
        var g = (ArraySegment<float>)buffers[3];
        var y = (int[])buffers[4];
        var rng = new Random(3);
        float[] s = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] losses = new float[n];
        var ce = new SoftmaxCrossEntropyOptions();
        var none = new SoftmaxCrossEntropyOptions { Reduction = Reduction.None };
        var bce = new SigmoidBinaryCrossEntropyOptions();
        (string Name, Action Call)[] cases =
        [
            ("CE F+B", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, ce, g, default)),
            ("CE F+B weighted", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, ce, g, default, s)),
            ("CE F+B none", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, none, g, losses)),
            ("CE F+B none + gradOutput", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, none, g, losses, default, s)),
            ("BCE F+B", () => SigmoidBinaryCrossEntropy.Evaluate<float>(z, t, k, bce, g, default)),
            ("BCE F+B weighted", () => SigmoidBinaryCrossEntropy.Evaluate<float>(z, t, k, bce, g, default, s)),
        ];
        var times = cases.Select(_ => new double[rounds]).ToArray();
        var repeats = cases.Select(c => Probe.Calibrate(c.Call)).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            for (int c = 0; c < cases.Length; c++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < repeats[c]; i++)
                {
                    cases[c].Call();
                }

                times[c][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / repeats[c];
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n}x{k}, 1 thread, {rounds} rounds, median per call"));
        double[] medians = times.Select(Probe.Median).ToArray();
        double[] bases = [medians[0], medians[0], medians[2], medians[2], medians[4], medians[4]];
        for (int c = 0; c < cases.Length; c++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cases[c].Name,-26} {medians[c],9:F4} ms  {medians[c] / bases[c],5:F2}x"));
        }

        return 0;
    }
}
