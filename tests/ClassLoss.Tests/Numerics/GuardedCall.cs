using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>One loss call over spans the harness places: logits, float targets and labels in, gradient and losses out.</summary>
internal delegate LossResult LossCall(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, ReadOnlySpan<int> labels,
    Span<float> gradient, Span<float> losses);

/// <summary>
/// Runs a kernel three times on the same inputs: on managed arrays, then with every buffer ending exactly at a guard
/// page, then with every buffer starting right after one (<see cref="BoundedBuffer{T}"/>). An access one element
/// outside any span faults and kills the test host; an access further out on the unguarded side reads poison. The
/// three runs must give the same bits (value, sum, gradient, losses) or throw the same exception, and every output
/// element must be overwritten (none may keep the poison it was filled with).
/// </summary>
internal sealed class GuardedLossHarness : IDisposable
{
    private readonly BoundedBuffer<float>[] _logits;
    private readonly BoundedBuffer<float>[] _targets;
    private readonly BoundedBuffer<int>[] _labels;
    private readonly BoundedBuffer<float>[] _gradient;
    private readonly BoundedBuffer<float>[] _losses;

    /// <summary>Maps the buffers (each of <paramref name="capacity"/> elements) once, for every side.</summary>
    public GuardedLossHarness(int capacity)
    {
        _logits = Pair<float>(capacity);
        _targets = Pair<float>(capacity);
        _labels = Pair<int>(capacity);
        _gradient = Pair<float>(capacity);
        _losses = Pair<float>(capacity);
    }

    /// <summary>The number of kernel calls made so far (every placement counted).</summary>
    public int Calls { get; private set; }

    /// <summary>
    /// Calls <paramref name="call"/> on the three placements and compares. <paramref name="targets"/> and
    /// <paramref name="labels"/> may be null (passed as empty spans); an output length of 0 passes an empty span.
    /// Returns the exception the calls threw (the same each time), or null.
    /// </summary>
    public Exception? Check(string what, float[] logits, float[]? targets, int[]? labels, int gradientLength, int lossesLength, LossCall call)
    {
        var g0 = new float[gradientLength];
        var r0 = new float[lossesLength];
        Array.Fill(g0, BoundedMemory.Poison);
        Array.Fill(r0, BoundedMemory.Poison);
        var reference = Run(() => call(logits, targets, labels, g0, r0));
        if (reference.Error is null)
        {
            AssertOverwritten(what, "gradient", g0);
            AssertOverwritten(what, "losses", r0);
        }

        for (int s = 0; s < 2; s++)
        {
            var side = (GuardSide)s;
            ReadOnlySpan<float> z = _logits[s].Copy(logits);
            ReadOnlySpan<float> t = targets is null ? default : _targets[s].Copy(targets);
            ReadOnlySpan<int> y = labels is null ? default : _labels[s].Copy(labels);
            Span<float> g = _gradient[s].Span(gradientLength);
            Span<float> r = _losses[s].Span(lossesLength);
            g.Fill(BoundedMemory.Poison);
            r.Fill(BoundedMemory.Poison);
            Outcome o;
            try
            {
                o = new Outcome(call(z, t, y, g, r), null);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                o = new Outcome(default, e);
            }

            Calls++;
            string where = $"{what}, guard {side}";
            AssertSame(where, reference, o);
            if (o.Error is null)
            {
                AssertBits(where, "gradient", g0, g);
                AssertBits(where, "losses", r0, r);
            }
        }

        return reference.Error;
    }

    public void Dispose()
    {
        foreach (var b in _logits.Concat(_targets).Concat(_gradient).Concat(_losses))
        {
            b.Dispose();
        }

        foreach (var b in _labels)
        {
            b.Dispose();
        }
    }

    private static BoundedBuffer<T>[] Pair<T>(int capacity) where T : unmanaged =>
        [new BoundedBuffer<T>(capacity, GuardSide.After), new BoundedBuffer<T>(capacity, GuardSide.Before)];

    private Outcome Run(Func<LossResult> call)
    {
        Calls++;
        try
        {
            return new Outcome(call(), null);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return new Outcome(default, e);
        }
    }

    private static void AssertSame(string where, Outcome expected, Outcome actual)
    {
        if (expected.Error is not null || actual.Error is not null)
        {
            Assert.True(expected.Error is not null && actual.Error is not null
                && expected.Error.GetType() == actual.Error.GetType() && expected.Error.Message == actual.Error.Message,
                $"{where}: managed arrays gave {expected.Error?.GetType().Name ?? "no exception"} ({expected.Error?.Message}), guarded buffers {actual.Error?.GetType().Name ?? "no exception"} ({actual.Error?.Message})");
            return;
        }

        Assert.True(SameBits(expected.Result.Value, actual.Result.Value) && SameBits(expected.Result.Sum, actual.Result.Sum)
            && SameBits(expected.Result.Denominator, actual.Result.Denominator) && expected.Result.Rows == actual.Result.Rows,
            $"{where}: result {actual.Result} differs from the managed arrays' {expected.Result}");
    }

    /// <summary>Bit equality, with every NaN equal to every other (see <see cref="AssertBits"/>).</summary>
    internal static bool SameBits(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));

    internal static void AssertBits(string where, string buffer, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            // Any NaN matches any NaN: the sign and payload of a NaN carry no meaning, and they can change when the JIT
            // recompiles a method (tiering) between two calls on the same inputs.
            bool same = BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i])
                || (float.IsNaN(expected[i]) && float.IsNaN(actual[i]));
            if (!same)
            {
                Assert.Fail($"{where}: {buffer}[{i}] is {actual[i]:R} (0x{BitConverter.SingleToUInt32Bits(actual[i]):X8}); the managed arrays gave {expected[i]:R} (0x{BitConverter.SingleToUInt32Bits(expected[i]):X8})");
            }
        }
    }

    internal static void AssertOverwritten(string where, string buffer, ReadOnlySpan<float> output)
    {
        for (int i = 0; i < output.Length; i++)
        {
            if (BitConverter.SingleToUInt32Bits(output[i]) == BoundedMemory.PoisonBits)
            {
                Assert.Fail($"{where}: {buffer}[{i}] was not written (it still holds the poison it was filled with)");
            }
        }
    }

    private readonly record struct Outcome(LossResult Result, Exception? Error);
}
