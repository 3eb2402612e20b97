using System.Globalization;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>
/// Runs CsCheck generators for a fixed, reproducible set of cases: case <c>i</c> of a test is generated from a PCG whose
/// stream is a hash of the test's name and whose seed is <see cref="BaseSeed"/> plus a multiple of <c>i</c>, so every run
/// with the same settings checks the same inputs (CsCheck's own <c>Sample</c> draws fresh random seeds each run).
/// </summary>
/// <remarks>
/// <para>Budget: the fuzz tests' shares add up to <see cref="DefaultTotal"/> cases (about a minute on two cores);
/// <c>CLASSLOSS_FUZZ_ITERATIONS</c> scales every share to that total (docs/testing.md has the long-run command) and
/// <c>CLASSLOSS_FUZZ_SEED</c> changes the base seed.</para>
/// <para>A failing case is reported with its CsCheck seed; CsCheck then shrinks it (random search for a smaller failing
/// case, starting from that seed) and the smallest failing case and its seed are reported too. Setting
/// <c>CsCheck_Seed</c> to either seed re-runs exactly that one case (and nothing else) in every fuzz test; filter the run
/// to the failing test.</para>
/// </remarks>
internal static class FuzzRunner
{
    /// <summary>The number of cases the fuzz tests' shares add up to when nothing is set.</summary>
    public const long DefaultTotal = 100_000;

    /// <summary>The environment variable that sets the total number of cases (e.g. 10000000 for the long run).</summary>
    public const string IterationsVariable = "CLASSLOSS_FUZZ_ITERATIONS";

    /// <summary>The environment variable that sets the base seed (decimal or 0x-prefixed hex).</summary>
    public const string SeedVariable = "CLASSLOSS_FUZZ_SEED";

    private const int ShrinkIterations = 3000;

    /// <summary>The total the shares are scaled to.</summary>
    public static long Total { get; } = ReadLong(IterationsVariable) ?? DefaultTotal;

    /// <summary>The base seed of every test's cases.</summary>
    public static ulong BaseSeed { get; } = (ulong)(ReadLong(SeedVariable) ?? 0x5AFE_C1A5_5105_5000);

    /// <summary>The number of cases a test with <paramref name="per100k"/> cases per 100,000 runs now.</summary>
    public static long Cases(int per100k) => Math.Max(1, (long)Math.Round(per100k * (double)Total / DefaultTotal));

    /// <summary>
    /// Checks <paramref name="property"/> on the test's fixed cases (or, when <c>CsCheck_Seed</c> is set, on that one case).
    /// </summary>
    /// <param name="gen">The case generator.</param>
    /// <param name="property">Throws when the property does not hold.</param>
    /// <param name="per100k">This test's share of <see cref="DefaultTotal"/>.</param>
    /// <param name="name">The test's name (the PCG stream of its cases).</param>
    /// <param name="print">A description of a case for the failure message.</param>
    public static void Run<T>(Gen<T> gen, Action<T> property, int per100k, string name, Func<T, string> print)
    {
        if (Check.Seed is { } replay)
        {
            gen.Sample(property, seed: replay, iter: 1, threads: 1, print: print);
            return;
        }

        long cases = Cases(per100k);
        uint stream = Fnv1a(name);
        for (long i = 0; i < cases; i++)
        {
            var pcg = new PCG(stream, BaseSeed + ((ulong)i * 0x9E37_79B9_7F4A_7C15UL));
            ulong state = pcg.State;
            T value = gen.Generate(pcg, null!, out _);
            try
            {
                property(value);
            }
            catch (Exception e)
            {
                string seed = pcg.ToString(state);
                throw new FuzzFailureException(string.Create(CultureInfo.InvariantCulture,
                    $"""
                    {name}: case {i} of {cases} (base seed {BaseSeed:X}) failed: {e.Message}
                    Reproduce this case: CsCheck_Seed={seed} dotnet test tests/ClassLoss.Tests -c Release --filter "FullyQualifiedName~{name}"
                    Case: {Truncate(print(value))}
                    {Shrink(gen, property, seed, print)}
                    """), e);
            }
        }
    }

    private static string Shrink<T>(Gen<T> gen, Action<T> property, string seed, Func<T, string> print)
    {
        try
        {
            gen.Sample(property, seed: seed, iter: ShrinkIterations, threads: 1, print: print);
            return "CsCheck could not reproduce the failure from its seed (the property is not deterministic?).";
        }
        catch (CsCheckException e)
        {
            return $"CsCheck's smallest failing case after {ShrinkIterations} tries: {Truncate(e.Message)}\n  because: {e.InnerException?.Message}";
        }
    }

    private static string Truncate(string s) => s.Length <= 4000 ? s : string.Concat(s.AsSpan(0, 4000), " ...");

    private static long? ReadLong(string variable)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        text = text.Trim().Replace("_", "", StringComparison.Ordinal);
        return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : (long)double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture); // "1e7" works
    }

    // A stable hash (string.GetHashCode is randomised per process).
    private static uint Fnv1a(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h = (h ^ c) * 16777619;
        }

        return h;
    }
}

/// <summary>A failed fuzz case, with the seeds that reproduce it.</summary>
public sealed class FuzzFailureException : Exception
{
    public FuzzFailureException()
    {
    }

    public FuzzFailureException(string message)
        : base(message)
    {
    }

    public FuzzFailureException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
