using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClassLoss.Losses;

namespace ClassLoss.Benchmarks;

/// <summary>
/// A plain Stopwatch probe (no BenchmarkDotNet) for one shape, through the public API only, so the same file builds
/// against any commit (for before/after figures, run it on a commit and on its parent, alternately):
/// <c>--probe N K [rounds]</c>. Every case runs once per round, round-robin (so drift and other load hit every case
/// alike), a round timing as many back-to-back calls as fill about 2 ms; it prints the median and the minimum over
/// the rounds, per call and per element, and the median's ratio to the floors. The cases are the loss matrix's
/// (LossBenchmarks) at 1 and 2 threads, plus focal with soft targets, BCE forward-only and CE forward+backward on Half and
/// BFloat16 logits (the fused path staged into float; on commits before it, Half takes the generic double path and bf16
/// does not exist). <c>PROBE_DOUBLE=1</c> adds CE and BCE on double input (<see cref="AddDouble"/>), <c>PROBE_ONLY=a,b</c>
/// keeps the floors and the cases whose names contain a or b. <c>PROBE_TORCH=1</c> adds libtorch's
/// cross-entropy and BCE forward+backward (TorchSharp-cpu, same threads) to the rotation.
/// </summary>
public static class Probe
{
    private sealed record Case(string Name, Action Call);

    /// <summary>The probe's inputs for one shape: logits, soft targets, binary targets, a gradient buffer (each 64-byte
    /// aligned) and labels, from a fixed seed.</summary>
    public static object[] Buffers(int n, int k)
    {
        var rng = new Random(42);
        var z = Aligned(n * k);
        for (int i = 0; i < z.Count; i++)
        {
            z[i] = (float)(rng.NextDouble() * 8 - 4);
        }

        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(k);
        }

        var soft = Aligned(z.Count);
        for (int r = 0; r < n; r++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                soft[r * k + c] = (float)(rng.NextDouble() + 1e-3);
                sum += soft[r * k + c];
            }

            for (int c = 0; c < k; c++)
            {
                soft[r * k + c] = (float)(soft[r * k + c] / sum);
            }
        }

        var t = Aligned(z.Count);
        for (int i = 0; i < t.Count; i++)
        {
            t[i] = rng.Next(2);
        }

        // The GEMM cases' A (or X), B (or W) and δ, C and dW (see AddGemm).
        var gx = Aligned(GemmBatch * GemmInputs);
        var gw = Aligned(GemmInputs * GemmHidden);
        var gd = Aligned(GemmBatch * GemmHidden);
        for (int i = 0; i < gx.Count; i++)
        {
            gx[i] = (float)rng.NextDouble();
        }

        for (int i = 0; i < gw.Count; i++)
        {
            gw[i] = (float)(rng.NextDouble() - 0.5);
        }

        for (int i = 0; i < gd.Count; i++)
        {
            gd[i] = (float)(rng.NextDouble() - 0.5);
        }

        // The 16-bit cases' logits (Half and bf16 bit patterns of z, as ushort so both sides of --ab can share them)
        // and a gradient buffer.
        var halfBits = new ushort[z.Count];
        var bf16Bits = new ushort[z.Count];
        for (int i = 0; i < z.Count; i++)
        {
            halfBits[i] = BitConverter.HalfToUInt16Bits((Half)z[i]);
            uint bits = BitConverter.SingleToUInt32Bits(z[i]);
            bf16Bits[i] = (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16); // round to nearest even (z is finite)
        }

        return [z, soft, t, Aligned(z.Count), y, gx, gw, gd, Aligned(GemmBatch * GemmHidden), Aligned(GemmInputs * GemmHidden),
            halfBits, bf16Bits, new ushort[z.Count]];
    }

    /// <summary>The probe's cases for one shape on <see cref="Buffers"/>' inputs, each a call of the public API; the
    /// first two are the copy and read floors. Public, and over types of the core library only, so that the
    /// in-process comparison (ProbeAb, <c>--ab</c>) can run two builds of this file on the very same memory.</summary>
    public static IReadOnlyList<KeyValuePair<string, Action>> Cases(int n, int k, object[] buffers)
    {
        var z = (ArraySegment<float>)buffers[0];
        var soft = (ArraySegment<float>)buffers[1];
        var t = (ArraySegment<float>)buffers[2];
        var g = (ArraySegment<float>)buffers[3];
        var y = (int[])buffers[4];
        var cases = new List<Case>
        {
            new("copy floor", () => z.AsSpan().CopyTo(g)),
            new("read floor", () => ReadFloor(z)),
        };

        // The matrix's cases (LossBenchmarks) and two more (focal with soft targets, BCE forward-only), at 1 and 2 threads.
        foreach (int threads in new[] { 1, 2 })
        {
            var ce = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = threads };
            var smooth = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, MaxDegreeOfParallelism = threads };
            var focal = new SoftmaxFocalOptions { MaxDegreeOfParallelism = threads };
            var sigmoidFocal = new SigmoidFocalOptions { MaxDegreeOfParallelism = threads };
            var bce = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = threads };
            string th = threads.ToString(CultureInfo.InvariantCulture) + "T";
            cases.Add(new($"CE F {th}", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, ce, default, default)));
            cases.Add(new($"CE F+B {th}", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, ce, g, default)));
            cases.Add(new($"CE smooth F+B {th}", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, smooth, g, default)));
            cases.Add(new($"CE soft F+B {th}", () => SoftmaxCrossEntropy.Evaluate<float>(z, soft, k, ce, g, default)));
            cases.Add(new($"focal F+B {th}", () => SoftmaxFocal.Evaluate<float>(z, y, k, focal, g, default)));
            cases.Add(new($"focal soft F+B {th}", () => SoftmaxFocal.Evaluate<float>(z, soft, k, focal, g, default)));
            cases.Add(new($"sfocal F+B {th}", () => SigmoidFocal.Evaluate<float>(z, t, k, sigmoidFocal, g, default)));
            cases.Add(new($"BCE F {th}", () => SigmoidBinaryCrossEntropy.Evaluate<float>(z, t, k, bce, default, default)));
            cases.Add(new($"BCE F+B {th}", () => SigmoidBinaryCrossEntropy.Evaluate<float>(z, t, k, bce, g, default)));
        }

        AddSixteenBit<Half>(cases, "half", buffers, y, k);
        if (typeof(SoftmaxCrossEntropy).Assembly.GetType("ClassLoss.BFloat16") is { } bf16)
        {
            // Found by reflection: the file also builds against commits without the type (under --ab).
            typeof(Probe).GetMethod(nameof(AddSixteenBit), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(bf16)
                .Invoke(null, [cases, "bf16", buffers, y, k]);
        }

        AddGemm(cases, buffers);

        if (Environment.GetEnvironmentVariable("PROBE_DOUBLE") == "1")
        {
            AddDouble(cases, z, soft, t, y, k);
        }

        if (Environment.GetEnvironmentVariable("PROBE_ONLY") is { Length: > 0 } only)
        {
            // The floors, and the cases whose name contains one of the comma-separated parts.
            string[] parts = only.Split(',');
            cases = [.. cases.Where((c, i) => i < 2 || parts.Any(p => c.Name.Contains(p, StringComparison.Ordinal)))];
        }

        if (Environment.GetEnvironmentVariable("PROBE_TORCH") == "1")
        {
            AddTorch(cases, [.. z], y, [.. t], n, k);
        }

        return cases.ConvertAll(c => new KeyValuePair<string, Action>(c.Name, c.Call));
    }

    /// <summary>Runs the probe; returns 0.</summary>
    public static int Run(int n, int k, int rounds)
    {
        var cases = Cases(n, k, Buffers(n, k)).Select(c => new Case(c.Key, c.Value)).ToList();
        var z = n * k;
        var times = new double[cases.Count][];
        var repeats = new int[cases.Count];
        for (int c = 0; c < cases.Count; c++)
        {
            times[c] = new double[rounds];
            repeats[c] = Calibrate(cases[c].Call);
        }

        for (int r = 0; r < rounds; r++)
        {
            for (int c = 0; c < cases.Count; c++)
            {
                Action call = cases[c].Call;
                int m = repeats[c];
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < m; i++)
                {
                    call();
                }

                times[c][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / m;
            }
        }

        double copy = Median(times[0]);
        double read = Median(times[1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"probe {n}x{k}, {rounds} rounds, median (min) per call; {Environment.ProcessorCount} cores"));
        for (int c = 0; c < cases.Count; c++)
        {
            double median = Median(times[c]);
            double min = times[c].Min();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cases[c].Name,-19} {median,10:F4} ms ({min,9:F4})  {median * 1e6 / z,7:F3} ns/elem  {median / copy,5:F2}x copy  {median / read,5:F2}x read"));
        }

        return 0;
    }

    private static void AddTorch(List<Case> cases, float[] z, int[] y, float[] t, int n, int k)
    {
        var labels64 = Array.ConvertAll(y, v => (long)v);
        var tx = global::TorchSharp.torch.tensor(z, [n, k]).requires_grad_(true);
        var ty = global::TorchSharp.torch.tensor(labels64);
        var tt = global::TorchSharp.torch.tensor(t, [n, k]);
        foreach (int threads in new[] { 1, 2 })
        {
            cases.Add(new($"torch CE F+B {threads}T", () =>
            {
                global::TorchSharp.torch.set_num_threads(threads);
                using var scope = global::TorchSharp.torch.NewDisposeScope();
                var l = global::TorchSharp.torch.nn.functional.cross_entropy(tx, ty);
                _ = global::TorchSharp.torch.autograd.grad([l], [tx])[0];
            }));
            cases.Add(new($"torch CE F {threads}T", () =>
            {
                global::TorchSharp.torch.set_num_threads(threads);
                using var scope = global::TorchSharp.torch.NewDisposeScope();
                using var noGrad = global::TorchSharp.torch.no_grad();
                _ = global::TorchSharp.torch.nn.functional.cross_entropy(tx, ty).item<float>();
            }));
            cases.Add(new($"torch BCE F+B {threads}T", () =>
            {
                global::TorchSharp.torch.set_num_threads(threads);
                using var scope = global::TorchSharp.torch.NewDisposeScope();
                var l = global::TorchSharp.torch.nn.functional.binary_cross_entropy_with_logits(tx, tt);
                _ = global::TorchSharp.torch.autograd.grad([l], [tx])[0];
            }));
        }
    }

    /// <summary>CE forward+backward on 16-bit logits (the probe's z rounded to <typeparamref name="T"/>) at 1 and 2 threads:
    /// fused (staged into float) where the core has it, the generic double path on older commits.</summary>
    private static void AddSixteenBit<T>(List<Case> cases, string name, object[] buffers, int[] y, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var z = (ushort[])buffers[name == "half" ? 10 : 11];
        var g = (ushort[])buffers[12];
        foreach (int threads in new[] { 1, 2 })
        {
            var ce = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = threads };
            string th = threads.ToString(CultureInfo.InvariantCulture) + "T";
            cases.Add(new($"CE F+B {name} {th}", () => SoftmaxCrossEntropy.Evaluate<T>(MemoryMarshal.Cast<ushort, T>(z), y, k, ce,
                MemoryMarshal.Cast<ushort, T>(g.AsSpan()), default)));
        }
    }

    private delegate LossResult CrossEntropyCall(ReadOnlySpan<double> z, ReadOnlySpan<int> y, int k, SoftmaxCrossEntropyOptions o,
        Span<double> g, Span<double> r);

    private delegate LossResult FocalCall(ReadOnlySpan<double> z, ReadOnlySpan<int> y, int k, SoftmaxFocalOptions o,
        Span<double> g, Span<double> r);

    private delegate LossResult SoftCall(ReadOnlySpan<double> z, ReadOnlySpan<double> t, int k, SoftmaxCrossEntropyOptions o,
        Span<double> g, Span<double> r);

    private delegate LossResult BinaryCall(ReadOnlySpan<double> x, ReadOnlySpan<double> t, int k, SigmoidBinaryCrossEntropyOptions o,
        Span<double> g, Span<double> l, ReadOnlySpan<double> sampleWeights, ReadOnlySpan<double> gradOutput);

    /// <summary>
    /// <c>PROBE_DOUBLE=1</c>: CE (class indices and probability targets), softmax focal (class indices) and BCE forward+backward on double input (the probe's values widened), 1
    /// thread: the public call ("f64": the double SIMD kernels where the core has them, the generic kernel before) and,
    /// where the core has the internal <c>EvaluateGeneric</c> (found by reflection, so the file still builds against
    /// any commit), the generic double kernel itself ("f64 gen": what every commit before the double SIMD paths ran).
    /// </summary>
    private static void AddDouble(List<Case> cases, ArraySegment<float> z, ArraySegment<float> soft, ArraySegment<float> t, int[] y, int k)
    {
        double[] zd = [.. z.Select(v => (double)v)];
        double[] td = [.. t.Select(v => (double)v)];
        var g = new double[zd.Length];
        var ce = new SoftmaxCrossEntropyOptions { MaxDegreeOfParallelism = 1 };
        var bce = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = 1 };
        const BindingFlags flags = BindingFlags.NonPublic | BindingFlags.Static;
        var ceGeneric = typeof(SoftmaxCrossEntropy).GetMethods(flags)
            .FirstOrDefault(m => m.Name == "EvaluateGeneric" && m.GetParameters()[1].ParameterType.GetGenericArguments()[0].IsGenericParameter == false)
            ?.MakeGenericMethod(typeof(double)).CreateDelegate<CrossEntropyCall>();
        var bceGeneric = typeof(SigmoidBinaryCrossEntropy).GetMethods(flags).FirstOrDefault(m => m.Name == "EvaluateGeneric")
            ?.MakeGenericMethod(typeof(double)).CreateDelegate<BinaryCall>();
        cases.Add(new("CE F+B f64 1T", () => SoftmaxCrossEntropy.Evaluate<double>(zd, y, k, ce, g, default)));
        if (ceGeneric is not null)
        {
            cases.Add(new("CE F+B f64 gen 1T", () => ceGeneric(zd, y, k, ce, g, default)));
        }

        double[] softd = [.. soft.Select(v => (double)v)];
        var softGeneric = typeof(SoftmaxCrossEntropy).GetMethods(flags)
            .FirstOrDefault(m => m.Name == "EvaluateGeneric" && m.GetParameters()[1].ParameterType.GetGenericArguments()[0].IsGenericParameter)
            ?.MakeGenericMethod(typeof(double)).CreateDelegate<SoftCall>();
        cases.Add(new("CE soft F+B f64 1T", () => SoftmaxCrossEntropy.Evaluate<double>(zd, softd, k, ce, g, default)));
        if (softGeneric is not null)
        {
            cases.Add(new("CE soft F+B f64 gen 1T", () => softGeneric(zd, softd, k, ce, g, default)));
        }

        var focal = new SoftmaxFocalOptions { MaxDegreeOfParallelism = 1 };
        var focalGeneric = typeof(SoftmaxFocal).GetMethods(flags).FirstOrDefault(m => m.Name == "EvaluateGeneric")
            ?.MakeGenericMethod(typeof(double)).CreateDelegate<FocalCall>();
        cases.Add(new("focal F+B f64 1T", () => SoftmaxFocal.Evaluate<double>(zd, y, k, focal, g, default)));
        if (focalGeneric is not null)
        {
            cases.Add(new("focal F+B f64 gen 1T", () => focalGeneric(zd, y, k, focal, g, default)));
        }

        cases.Add(new("BCE F+B f64 1T", () => SigmoidBinaryCrossEntropy.Evaluate<double>(zd, td, k, bce, g, default)));
        if (bceGeneric is not null)
        {
            cases.Add(new("BCE F+B f64 gen 1T", () => bceGeneric(zd, td, k, bce, g, default, default, default)));
        }
    }

    private const int GemmBatch = 128, GemmInputs = 784, GemmHidden = 256;

    private delegate void GemmCall(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
        bool transposeA, bool transposeB, bool accumulate, int maxThreads);

    private delegate void GemmCallNoThreads(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
        bool transposeA, bool transposeB, bool accumulate);

    /// <summary>
    /// The lab's GEMM at the MLP's shapes (TrainingBenchmarks): C[128x256] = A[128x784]·B[784x256] and Xᵀ·δ
    /// [784x128]·[128x256], 1 and 2 threads. Found by reflection, so the file builds against commits where it lived in
    /// ClassLoss.Training (threads then a static setting) as well as in Core (threads an argument).
    /// </summary>
    private static void AddGemm(List<Case> cases, object[] buffers)
    {
        // From this build's own load context (under --ab each build has one).
        var context = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(typeof(Probe).Assembly)!;
        var gemm = typeof(SoftmaxCrossEntropy).Assembly.GetType("ClassLoss.Numerics.Gemm")
            ?? context.LoadFromAssemblyName(new System.Reflection.AssemblyName("ClassLoss.Training")).GetType("ClassLoss.Training.Models.Gemm");
        var multiply = gemm?.GetMethods().FirstOrDefault(m => m.Name == "Multiply" && m.GetParameters().Length is 9 or 10);
        if (gemm is null || multiply is null)
        {
            return;
        }

        const int batch = GemmBatch, inputs = GemmInputs, hidden = GemmHidden;
        var x = (ArraySegment<float>)buffers[5];
        var w = (ArraySegment<float>)buffers[6];
        var delta = (ArraySegment<float>)buffers[7];
        var c = (ArraySegment<float>)buffers[8];
        var dw = (ArraySegment<float>)buffers[9];
        Action<int, Action> withThreads;
        GemmCall call;
        if (multiply.GetParameters().Length == 10)
        {
            call = multiply.CreateDelegate<GemmCall>();
            withThreads = (_, a) => a();
        }
        else
        {
            var old = multiply.CreateDelegate<GemmCallNoThreads>();
            var setting = gemm.GetProperty("MaxThreads")!;
            call = (a, b, cc, m, k, n, ta, tb, acc, _) => old(a, b, cc, m, k, n, ta, tb, acc);
            withThreads = (threads, a) =>
            {
                setting.SetValue(null, threads);
                a();
            };
        }

        foreach (int threads in new[] { 1, 2 })
        {
            string th = threads.ToString(CultureInfo.InvariantCulture) + "T";
            cases.Add(new($"GEMM 128x784x256 {th}", () => withThreads(threads, () => call(x, w, c, batch, inputs, hidden, false, false, false, threads))));
            cases.Add(new($"GEMM Xt.d 784x128x256 {th}", () => withThreads(threads, () => call(x, delta, dw, inputs, batch, hidden, true, false, false, threads))));
        }
    }

    /// <summary>
    /// A buffer of <paramref name="length"/> floats starting on a 64-byte boundary, in a pinned array: where a buffer
    /// starts relative to the cache lines changes a row pass's time by up to a third at small K, so a process-to-process
    /// comparison must not leave it to the allocator.
    /// </summary>
    private static ArraySegment<float> Aligned(int length)
    {
        var array = GC.AllocateArray<float>(length + 16, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0).ToInt64();
        int offset = (int)(((64 - (address % 64)) % 64) / sizeof(float));
        return new ArraySegment<float>(array, offset, length);
    }

    /// <summary>The read floor: sums the floats in four vector accumulators (as <c>Floors.Read</c>, over a span).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ReadFloor(ReadOnlySpan<float> data)
    {
        var a0 = Vector<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int w = Vector<float>.Count;
        int i = 0;
        for (; i <= data.Length - (4 * w); i += 4 * w)
        {
            a0 += new Vector<float>(data.Slice(i, w));
            a1 += new Vector<float>(data.Slice(i + w, w));
            a2 += new Vector<float>(data.Slice(i + (2 * w), w));
            a3 += new Vector<float>(data.Slice(i + (3 * w), w));
        }

        float sum = Vector.Sum((a0 + a1) + (a2 + a3));
        for (; i < data.Length; i++)
        {
            sum += data[i];
        }

        return sum;
    }

    /// <summary>How many back-to-back calls fill about 2 ms, after a warm-up of at least 200 calls or 200 ms (so the
    /// JIT has tiered up the probe's own delegates before anything is timed).</summary>
    internal static int Calibrate(Action call)
    {
        long warm = Stopwatch.GetTimestamp();
        for (int i = 0; i < 200 && Stopwatch.GetElapsedTime(warm).TotalMilliseconds < 200; i++)
        {
            call();
        }

        long start = Stopwatch.GetTimestamp();
        call();
        double ms = Math.Max(1e-4, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return Math.Max(1, (int)(2.0 / ms));
    }

    internal static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : 0.5 * (sorted[m - 1] + sorted[m]);
    }
}
