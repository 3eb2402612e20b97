using ClassLoss.Activations;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The activations (row-wise and element-wise, float) never touch memory outside their spans, at the same shapes as
/// <see cref="GuardPageLossTests"/> (element-wise ones at every length from 0 to 100 and N·K of those shapes). They are
/// span code today; the guard pages keep them honest if they get pointer kernels, and the comparison with a run on
/// managed arrays checks that a placement against a guard page changes no bit and every output is written.
/// </summary>
public sealed class GuardPageActivationTests : IDisposable
{
    private const int Capacity = 33 * 100;
    private readonly BoundedBuffer<float>[] _x;
    private readonly BoundedBuffer<float>[] _u;
    private readonly BoundedBuffer<float>[] _y;
    private readonly BoundedBuffer<double>[] _scratch;

    public GuardPageActivationTests()
    {
        if (BoundedMemory.IsSupported)
        {
            _x = [new(Capacity, GuardSide.After), new(Capacity, GuardSide.Before)];
            _u = [new(Capacity, GuardSide.After), new(Capacity, GuardSide.Before)];
            _y = [new(Capacity, GuardSide.After), new(Capacity, GuardSide.Before)];
            _scratch = [new(100, GuardSide.After), new(100, GuardSide.Before)];
        }
        else
        {
            _x = _u = _y = [];
            _scratch = [];
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _x.Concat(_u).Concat(_y))
        {
            buffer.Dispose();
        }

        foreach (var buffer in _scratch)
        {
            buffer.Dispose();
        }
    }

    private delegate void Unary(ReadOnlySpan<float> x, Span<float> y);

    private delegate void Binary(ReadOnlySpan<float> x, ReadOnlySpan<float> u, Span<float> y);

    private static float[] Values(int seed, int length, float lo, float hi)
    {
        var rng = new Random(seed);
        var v = new float[length];
        for (int i = 0; i < length; i++)
        {
            v[i] = (float)(lo + ((hi - lo) * rng.NextDouble()));
        }

        if (length > 2)
        {
            v[0] = float.NegativeInfinity; // a masked class in the first row
            v[^1] = float.NaN; // a NaN row at the end
        }

        return v;
    }

    private void Check(string what, float[] x, Unary f)
    {
        var expected = new float[x.Length];
        Array.Fill(expected, BoundedMemory.Poison);
        f(x, expected);
        GuardedLossHarness.AssertOverwritten(what, "y", expected);
        for (int s = 0; s < 2; s++)
        {
            Span<float> y = _y[s].Span(x.Length);
            y.Fill(BoundedMemory.Poison);
            f(_x[s].Copy(x), y);
            GuardedLossHarness.AssertBits($"{what} guard {(GuardSide)s}", "y", expected, y);

            // In place (y is x), which every activation allows.
            Span<float> inPlace = _x[s].Copy(x);
            f(inPlace, inPlace);
            GuardedLossHarness.AssertBits($"{what} in place, guard {(GuardSide)s}", "y", expected, inPlace);
        }
    }

    private void Check(string what, float[] x, float[] u, Binary f)
    {
        var expected = new float[x.Length];
        Array.Fill(expected, BoundedMemory.Poison);
        f(x, u, expected);
        GuardedLossHarness.AssertOverwritten(what, "dx", expected);
        for (int s = 0; s < 2; s++)
        {
            Span<float> y = _y[s].Span(x.Length);
            y.Fill(BoundedMemory.Poison);
            f(_x[s].Copy(x), _u[s].Copy(u), y);
            GuardedLossHarness.AssertBits($"{what} guard {(GuardSide)s}", "dx", expected, y);
        }
    }

    [GuardPageFact]
    public void RowActivations_NeverReadOrWritePastTheirSpans()
    {
        foreach (int n in GuardPageLossTests.Rows)
        {
            foreach (int k in GuardPageLossTests.Classes)
            {
                int seed = (n * 1000) + k;
                float[] x = Values(seed, n * k, -8, 8);
                float[] u = Values(seed + 1, n * k, -1, 1);
                float[] p = new float[n * k];
                Softmax.Forward(x, k, p);
                float[] sp = new float[n * k];
                Sparsemax.Forward(x, k, sp);
                string shape = $"N={n} K={k}";
                Check($"Softmax {shape}", x, (a, y) => Softmax.Forward(a, k, 0.6, y));
                Check($"LogSoftmax {shape}", x, (a, y) => LogSoftmax.Forward(a, k, 1.7, y));
                Check($"Sparsemax {shape}", x, (a, y) => Sparsemax.Forward(a, k, y));
                Check($"Hardmax {shape}", x, (a, y) => Hardmax.Forward(a, k, y));
                Check($"Softmax backward {shape}", p, u, (a, g, dx) => Softmax.Backward(a, g, k, 0.6, dx));
                Check($"LogSoftmax backward {shape}", x, u, (a, g, dx) => LogSoftmax.Backward(a, g, k, 1.7, dx));
                Check($"Sparsemax backward {shape}", sp, u, (a, g, dx) => Sparsemax.Backward(a, g, k, dx));
                Check($"Hardmax backward {shape}", x, u, (a, g, dx) => Hardmax.Backward(a, k, dx));
                if (k <= 100)
                {
                    for (int s = 0; s < 2; s++)
                    {
                        // The scratch overload: exactly K doubles, against the guard page.
                        int side = s;
                        Check($"Sparsemax with scratch {shape} guard {(GuardSide)s}", x, (a, y) => Sparsemax.Forward(a, k, y, _scratch[side].Span(k)));
                    }
                }
            }
        }
    }

    [GuardPageFact]
    public void ElementwiseActivations_NeverReadOrWritePastTheirSpans()
    {
        var lengths = Enumerable.Range(0, 101).Concat(from n in GuardPageLossTests.Rows from k in GuardPageLossTests.Classes select n * k).Distinct();
        foreach (int length in lengths)
        {
            float[] x = Values(length, length, -30, 30);
            float[] p = Values(length + 1, length, 0, 1);
            float[] u = Values(length + 2, length, -1, 1);
            float[] s = new float[length];
            Sigmoid.Forward(x, s);
            string shape = $"length {length}";
            Check($"Sigmoid {shape}", x, Sigmoid.Forward);
            Check($"LogSigmoid {shape}", x, LogSigmoid.Forward);
            Check($"Softplus {shape}", x, (a, y) => Softplus.Forward(a, 0.5, y));
            Check($"Logit {shape}", p, (a, y) => Logit.Forward(a, 1e-6, y));
            Check($"Sigmoid backward {shape}", s, u, Sigmoid.Backward);
            Check($"LogSigmoid backward {shape}", x, u, LogSigmoid.Backward);
            Check($"Softplus backward {shape}", x, u, (a, g, dx) => Softplus.Backward(a, g, 0.5, dx));
            Check($"Logit backward {shape}", p, u, (a, g, dx) => Logit.Backward(a, g, 1e-6, dx));
        }
    }
}
