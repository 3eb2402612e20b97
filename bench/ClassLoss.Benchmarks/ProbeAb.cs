using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;

namespace ClassLoss.Benchmarks;

/// <summary>
/// Before/after in one process: <c>--ab BEFORE.dll AFTER.dll N K [rounds]</c> loads two builds of this benchmark
/// (each with its own ClassLoss) into their own <see cref="AssemblyLoadContext"/>s, takes each one's
/// <see cref="Probe.Cases"/> on one set of buffers and times them interleaved: every round times each case on both sides back to back, in an
/// order that alternates between rounds. What a process-to-process comparison leaves to chance (the clock's state,
/// the other core's load, where the runtime put its heap) is then shared by both sides, and the ratio of each round's
/// pair is a paired measurement; the median of those ratios is what the table reports.
/// </summary>
public static class ProbeAb
{
    /// <summary>Runs the comparison and prints a Markdown table; returns 0.</summary>
    public static int Run(string before, string after, int n, int k, int rounds)
    {
        // Both sides run on the same buffers: where 130 MB of logits land in memory changes a memory-bound pass by
        // up to 17% (the read floor, the same code on both sides, differed that much with a buffer set each).
        object[] buffers = Probe.Buffers(n, k);
        var a = Load(before, "before", n, k, buffers);
        var b = Load(after, "after", n, k, buffers);
        var names = a.Select(c => c.Key).Where(name => b.Any(c => c.Key == name)).ToList();
        var calls = names.Select(name => (A: a.First(c => c.Key == name).Value, B: b.First(c => c.Key == name).Value)).ToList();
        var repeats = calls.Select(c => Math.Max(Probe.Calibrate(c.A), Probe.Calibrate(c.B))).ToList();
        var ta = names.Select(_ => new double[rounds]).ToList();
        var tb = names.Select(_ => new double[rounds]).ToList();
        for (int r = 0; r < rounds; r++)
        {
            for (int c = 0; c < calls.Count; c++)
            {
                if (r % 2 == 0)
                {
                    ta[c][r] = Time(calls[c].A, repeats[c]);
                    tb[c][r] = Time(calls[c].B, repeats[c]);
                }
                else
                {
                    tb[c][r] = Time(calls[c].B, repeats[c]);
                    ta[c][r] = Time(calls[c].A, repeats[c]);
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{n}x{k}, {rounds} interleaved rounds in one process; {Environment.ProcessorCount} cores; median per call (ms) and the median of the per-round ratios"));
        Console.WriteLine();
        Console.WriteLine("| case | before (ms) | after (ms) | after / before |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int c = 0; c < names.Count; c++)
        {
            double ratio = Probe.Median([.. Enumerable.Range(0, rounds).Select(r => tb[c][r] / ta[c][r])]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {names[c]} | {Probe.Median(ta[c]):F4} | {Probe.Median(tb[c]):F4} | {ratio:F2} |"));
        }

        return 0;
    }

    private static double Time(Action call, int m)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < m; i++)
        {
            call();
        }

        return Stopwatch.GetElapsedTime(start).TotalMilliseconds / m;
    }

    private static IReadOnlyList<KeyValuePair<string, Action>> Load(string path, string name, int n, int k, object[] buffers)
    {
        var context = new Side(Path.GetFullPath(path), name);
        var assembly = context.LoadFromAssemblyPath(Path.GetFullPath(path));
        var cases = assembly.GetType("ClassLoss.Benchmarks.Probe", throwOnError: true)!
            .GetMethod(nameof(Probe.Cases), BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{path} has no Probe.Cases (build it with this checkout's Probe.cs)");
        return (IReadOnlyList<KeyValuePair<string, Action>>)cases.Invoke(null, [n, k, buffers])!;
    }

    /// <summary>A load context that resolves a build's own assemblies (ClassLoss among them) from its folder.</summary>
    private sealed class Side(string mainAssembly, string name) : AssemblyLoadContext(name)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainAssembly);

        protected override Assembly? Load(AssemblyName assemblyName) =>
            _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
