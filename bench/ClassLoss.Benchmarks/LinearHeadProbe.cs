using System.Diagnostics;
using System.Globalization;
using ClassLoss.Losses;
using ClassLoss.Numerics;
using TorchSharp;
using static global::TorchSharp.torch;

namespace ClassLoss.Benchmarks;

/// <summary>
/// The large-vocabulary head (issue 13), one case per process so peak RSS belongs to that case alone
/// (scripts/bench-linear-head.sh runs them alternating): forward + backward of <c>cross_entropy(h Wᵀ + b, y)</c> with
/// gradients for h, W and b, float, N tokens, D hidden, V vocabulary.
/// <list type="bullet">
/// <item><c>torch</c>: libtorch naive (<c>linear</c> + <c>cross_entropy</c> + <c>backward</c>);</item>
/// <item><c>naive</c>: ours on materialised logits (our GEMM, our CE kernel, our GEMMs for the backward);</item>
/// <item><c>fused</c> / <c>recompute</c>: <see cref="LinearCrossEntropy"/>'s two ways;</item>
/// <item><c>gemms</c>: the three products alone (the floor the fused head is measured against).</item>
/// </list>
/// Prints one line: case, shape, threads, median and min of the timed rounds in ms, the peak RSS above the inputs
/// (MB), and the managed bytes allocated by one steady-state call.
/// </summary>
internal static class LinearHeadProbe
{
    public static int Run(string method, int n, int d, int v, int threads, int rounds)
    {
        var rng = new Random(1);
        float[] h = Fill(rng, n * d, 0.05f), w = Fill(rng, v * d, 0.05f), b = Fill(rng, v, 0.1f);
        int[] y = Enumerable.Range(0, n).Select(_ => rng.Next(v)).ToArray();
        float[] dh = new float[h.Length], dw = new float[w.Length], db = new float[b.Length];
        using var process = Process.GetCurrentProcess();
        GC.Collect();
        process.Refresh();
        long baseline = process.WorkingSet64;
        Action step = method switch
        {
            "fused" or "recompute" => Fused(h, w, b, y, d, dh, dw, db, threads, method == "recompute"),
            "naive" => Naive(h, w, b, y, n, d, v, dh, dw, db, threads),
            "gemms" => Gemms(h, w, n, d, v, dh, dw, threads),
            "torch" => Torch(h, w, b, y, n, d, v, threads),
            _ => throw new ArgumentException($"unknown case {method}; expected fused, recompute, naive, gemms or torch", nameof(method)),
        };
        step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var times = new List<double>();
        var cpu = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var cpu0 = process.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            step();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
        }

        long allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / rounds;
        process.Refresh();
        double peakMb = (process.PeakWorkingSet64 - baseline) / 1e6;
        times.Sort();
        cpu.Sort();
        // CPU ms: all of the process's threads (a shared machine's waiting for a core not counted; spinning counted).
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{method,-9} N={n} D={d} V={v} threads={threads}: median {times[times.Count / 2]:F1} ms, min {times[0]:F1} ms, CPU median {cpu[cpu.Count / 2]:F0} ms, peak RSS above inputs {peakMb:F0} MB, allocated {allocated} B/call"));
        return 0;
    }

    private static float[] Fill(Random rng, int length, float scale)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1) * scale;
        }

        return a;
    }

    private static Action Fused(float[] h, float[] w, float[] b, int[] y, int d, float[] dh, float[] dw, float[] db, int threads, bool recompute)
    {
        var o = new LinearCrossEntropyOptions
        {
            MaxDegreeOfParallelism = threads,
            Method = recompute ? LinearCrossEntropyMethod.Recompute : LinearCrossEntropyMethod.FusedGradient,
            // CHUNK_ROWS=N overrides the automatic chunk (for sweeps; 0 or unset: automatic).
            ChunkRows = int.TryParse(Environment.GetEnvironmentVariable("CHUNK_ROWS"), out int rows) ? rows : 0,
        };
        return () => LinearCrossEntropy.Evaluate<float>(h, w, b, y, d, o, dh, dw, db);
    }

    private static Action Naive(float[] h, float[] w, float[] b, int[] y, int n, int d, int v, float[] dh, float[] dw, float[] db, int threads)
    {
        var o = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = threads };
        return () =>
        {
            var z = new float[n * v];
            var g = new float[n * v];
            Gemm.Multiply(h, w, z, n, d, v, transposeB: true, maxThreads: threads);
            for (int i = 0; i < n; i++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(z.AsSpan(i * v, v), b, z.AsSpan(i * v, v));
            }

            SoftmaxCrossEntropy.Evaluate<float>(z, y, v, o, g, default);
            Gemm.Multiply(g, w, dh, n, v, d, maxThreads: threads);
            Gemm.Multiply(g, h, dw, v, n, d, transposeA: true, maxThreads: threads);
            Array.Clear(db);
            for (int i = 0; i < n; i++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(db, g.AsSpan(i * v, v), db);
            }
        };
    }

    private static Action Gemms(float[] h, float[] w, int n, int d, int v, float[] dh, float[] dw, int threads)
    {
        // One chunk's worth of logits is enough to time the three products: chunk the tokens as the fused head does.
        int chunk = int.TryParse(Environment.GetEnvironmentVariable("CHUNK_ROWS"), out int chunkRows) && chunkRows > 0
            ? chunkRows
            : Math.Max((1 << 22) / v, Math.Min(256, n / 16)); // LinearHead's default (FusedChunkRows)
        chunk = Math.Clamp(chunk, 1, Math.Max(1, n));
        var z = new float[chunk * v];
        return () =>
        {
            for (int r0 = 0; r0 < n; r0 += chunk)
            {
                int rows = Math.Min(chunk, n - r0);
                Gemm.Multiply(h.AsSpan(r0 * d, rows * d), w, z, rows, d, v, transposeB: true, maxThreads: threads);
                Gemm.Multiply(z, w, dh.AsSpan(r0 * d, rows * d), rows, v, d, maxThreads: threads);
                Gemm.Multiply(z, h.AsSpan(r0 * d, rows * d), dw, v, rows, d, transposeA: true, accumulate: r0 != 0, maxThreads: threads);
            }
        };
    }

    private static Action Torch(float[] h, float[] w, float[] b, int[] y, int n, int d, int v, int threads)
    {
        torch.set_num_threads(threads);
        var th = torch.tensor(h, [n, d]).requires_grad_();
        var tw = torch.tensor(w, [v, d]).requires_grad_();
        var tb = torch.tensor(b, [v]).requires_grad_();
        var ty = torch.tensor(y.Select(x => (long)x).ToArray(), [n]);
        return () =>
        {
            using var scope = torch.NewDisposeScope();
            th.grad?.zero_();
            tw.grad?.zero_();
            tb.grad?.zero_();
            var loss = nn.functional.cross_entropy(nn.functional.linear(th, tw, tb), ty);
            loss.backward();
        };
    }
}
