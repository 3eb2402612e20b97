using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ClassLoss.Numerics;

namespace ClassLoss.Benchmarks;

/// <summary>
/// The GEMM against this core's peak (issue 13): <c>--fma-peak</c> times a register-only loop of independent fused
/// multiply-adds (12 accumulators, the widest hardware vector), the ceiling any GEMM here can reach;
/// <c>--gemm M K N THREADS [ta] [tb] [acc]</c> times <see cref="Gemm.Multiply"/> at one shape and prints GFLOP/s and
/// the fraction of the peak (the best of two measurements in the same process, before and after, times the threads),
/// for the median and for the best round (a shared machine's load lowers both; the best is the less disturbed).
/// </summary>
internal static class GemmProbe
{
    public static double FmaPeak(bool print = true) => FmaPeak(print, cpuTime: false);

    // cpuTime: seconds of this process's CPU time instead of the wall clock (on a shared machine the time this process
    // waited for a core is then not counted; its caches are still disturbed by the others).
    private static double FmaPeak(bool print, bool cpuTime)
    {
        double best = 0;
        for (int round = 0; round < 7; round++)
        {
            long iterations = 20_000_000;
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            float sink = Vector256.IsHardwareAccelerated && Fma.IsSupported
                ? (Vector512.IsHardwareAccelerated ? Loop512(iterations) : Loop256(iterations))
                : 0;
            double seconds = cpuTime
                ? (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds
                : Stopwatch.GetElapsedTime(start).TotalSeconds;
            int lanes = Vector512.IsHardwareAccelerated ? 16 : 8;
            double gflops = iterations * 12.0 * lanes * 2 / seconds / 1e9;
            best = Math.Max(best, gflops + (sink == 12345 ? 1 : 0));
        }

        if (print)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fma peak: {best:F1} GFLOP/s on one core ({(Vector512.IsHardwareAccelerated ? "Vector512" : "Vector256")} FMA, 12 independent chains, best of 7)"));
        }

        return best;
    }

    public static int Run(int m, int k, int n, int threads, bool ta, bool tb, bool acc, int rounds)
    {
        double peak = FmaPeak(print: false);
        var rng = new Random(1);
        var a = new float[(long)m * k];
        var b = new float[(long)k * n];
        var c = new float[(long)m * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)rng.NextDouble();
        }

        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (float)rng.NextDouble();
        }

        Gemm.Multiply(a, b, c, m, k, n, ta, tb, acc, threads);
        var times = new List<double>();
        var cpuTimes = new List<double>();
        rounds = int.TryParse(Environment.GetEnvironmentVariable("GEMM_ROUNDS"), out int asked) && asked > 0 ? asked : rounds;
        for (int r = 0; r < rounds; r++)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            Gemm.Multiply(a, b, c, m, k, n, ta, tb, acc, threads);
            times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
            cpuTimes.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds);
        }

        times.Sort();
        double median = times[times.Count / 2];
        double gflops = 2.0 * m * k * n / median / 1e9;
        double best = 2.0 * m * k * n / times[0] / 1e9;
        peak = Math.Max(peak, FmaPeak(print: false));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"gemm [{m}x{k}]{(ta ? "T" : "")}·[{k}x{n}]{(tb ? "T" : "")}{(acc ? " +=" : "")} threads={threads}: median {median * 1e3:F2} ms, {gflops:F1} GFLOP/s = {100 * gflops / (peak * threads):F0}% (best {100 * best / (peak * threads):F0}%) of {threads} x {peak:F1} GFLOP/s peak"));
        // The same by CPU time (GEMM_CPU=1): the product's flops over the CPU seconds of all its threads, against the peak
        // measured the same way: what a core achieves while it runs this, whatever else waits for it.
        if (Environment.GetEnvironmentVariable("GEMM_CPU") == "1")
        {
            cpuTimes.Sort();
            double cpuPeak = Math.Max(FmaPeak(false, cpuTime: true), FmaPeak(false, cpuTime: true));
            double perCore = 2.0 * m * k * n / cpuTimes[cpuTimes.Count / 2] / 1e9;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  by CPU time: median {cpuTimes[cpuTimes.Count / 2] * 1e3:F2} ms of CPU, {perCore:F1} GFLOP/s per busy core = {100 * perCore / cpuPeak:F0}% (best {100 * 2.0 * m * k * n / cpuTimes[0] / 1e9 / cpuPeak:F0}%) of the CPU-time peak {cpuPeak:F1}"));
        }
        return 0;
    }

    private static float Loop256(long iterations)
    {
        var x = Vector256.Create(1.0000001f);
        var y = Vector256.Create(0.9999999f);
        Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, y, x);
            a1 = Fma.MultiplyAdd(a1, y, x);
            a2 = Fma.MultiplyAdd(a2, y, x);
            a3 = Fma.MultiplyAdd(a3, y, x);
            a4 = Fma.MultiplyAdd(a4, y, x);
            a5 = Fma.MultiplyAdd(a5, y, x);
            a6 = Fma.MultiplyAdd(a6, y, x);
            a7 = Fma.MultiplyAdd(a7, y, x);
            a8 = Fma.MultiplyAdd(a8, y, x);
            a9 = Fma.MultiplyAdd(a9, y, x);
            a10 = Fma.MultiplyAdd(a10, y, x);
            a11 = Fma.MultiplyAdd(a11, y, x);
        }

        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
    }

    private static float Loop512(long iterations)
    {
        var x = Vector512.Create(1.0000001f);
        var y = Vector512.Create(0.9999999f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, y, x);
            a1 = Avx512F.FusedMultiplyAdd(a1, y, x);
            a2 = Avx512F.FusedMultiplyAdd(a2, y, x);
            a3 = Avx512F.FusedMultiplyAdd(a3, y, x);
            a4 = Avx512F.FusedMultiplyAdd(a4, y, x);
            a5 = Avx512F.FusedMultiplyAdd(a5, y, x);
            a6 = Avx512F.FusedMultiplyAdd(a6, y, x);
            a7 = Avx512F.FusedMultiplyAdd(a7, y, x);
            a8 = Avx512F.FusedMultiplyAdd(a8, y, x);
            a9 = Avx512F.FusedMultiplyAdd(a9, y, x);
            a10 = Avx512F.FusedMultiplyAdd(a10, y, x);
            a11 = Avx512F.FusedMultiplyAdd(a11, y, x);
        }

        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).GetElement(0);
    }
}
