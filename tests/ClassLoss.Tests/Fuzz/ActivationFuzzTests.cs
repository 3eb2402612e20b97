using System.Numerics;
using ClassLoss.Activations;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>One activation call: [N, K] inputs (or N·K for the element-wise ones), an upstream gradient, the scalar
/// parameter (temperature, β or the logit clamp; NaN for none) and the fault, if any.</summary>
internal sealed record ActivationCase(int N, int K, float[] X, float[] Upstream, double Parameter, int OutputLength,
    int UpstreamLength, int ScratchLength, Fault Fault, string Profile)
{
    public bool InputsFinite => Array.TrueForAll(X, float.IsFinite) && Array.TrueForAll(Upstream, float.IsFinite);

    public override string ToString() =>
        FormattableString.Invariant($"N={N} K={K} parameter={Parameter:R} fault={Fault} profile={Profile} y={OutputLength} upstream={UpstreamLength} scratch={ScratchLength}") +
        $"\n  x=[{string.Join(", ", X.Take(300).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]" +
        $"\n  upstream=[{string.Join(", ", Upstream.Take(300).Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]";
}

/// <summary>A public activation entry point under test (Forward or Backward of one class).</summary>
internal abstract class ActivationSpec
{
    public abstract string Name { get; }

    /// <summary>True for the row-wise activations (classes argument), false for the element-wise ones.</summary>
    public virtual bool RowWise => true;

    /// <summary>True when the input is a probability (logit), so the value profiles are those of probabilities.</summary>
    public virtual bool ProbabilityInput => false;

    /// <summary>Valid values of the scalar parameter (NaN: the overload without one).</summary>
    public virtual Gen<double> Parameter => Gen.Const(double.NaN);

    /// <summary>Invalid values of the parameter and the name the exception must give, or null when there is none.</summary>
    public virtual (Gen<double> Values, string Name)? BadParameter => null;

    /// <summary>True when the call takes a scratch buffer (Sparsemax's overload).</summary>
    public virtual bool Scratch => false;

    /// <summary>True when the call takes an upstream gradient (Backward).</summary>
    public virtual bool Upstream => false;

    /// <summary>The input a Backward takes: by default the case's x; row-wise backwards take the forward output instead.</summary>
    public virtual float[] Input(ActivationCase c) => c.X;

    public abstract void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Why NaN is the documented result for these finite inputs, or null when it must not appear.</summary>
    public virtual string? NaNAllowed(ActivationCase c, float[] input) => null;

    /// <summary>The size of the terms of output j (see <see cref="FuzzTolerance"/>); 0 for a plain relative comparison.</summary>
    public virtual double Unit(ActivationCase c, float[] input, int j) => 0;

    /// <summary>The double-precision forward rounded to float: the input of a row-wise Backward, the same for both types.</summary>
    protected static float[] ForwardOf(float[] x, int k, Action<double[], int, double[]> forward)
    {
        if (k <= 0 || x.Length % k != 0)
        {
            return x;
        }

        var xd = Array.ConvertAll(x, v => (double)v);
        var yd = new double[x.Length];
        forward(xd, k, yd);
        return Array.ConvertAll(yd, v => (float)v);
    }
}

/// <summary>Runs the activation properties: only ArgumentExceptions (naming the argument or parameter), for exactly the
/// invalid calls; every output written; no NaN from finite inputs (unless documented); float within FuzzTolerance of double.</summary>
internal static class ActivationFuzz
{
    public static Gen<ActivationCase> Cases(ActivationSpec spec) =>
        from n in Gen.Frequency((1, Gen.Int[0, 0]), (6, Gen.Int[1, 8]), (6, Gen.Int[9, 33]), (4, Gen.Int[34, 64]))
        from k in Batches.ClassCount
        from profile in spec.ProbabilityInput ? Batches.ProbabilityProfiles : Batches.LogitProfiles
        from x in profile.Value.Array[n * k]
        from upstream in Gen.Frequency((4, Gen.Float[-2, 2]), (1, Gen.OneOf(Batches.FiniteSpecials))).Array[spec.Upstream ? n * k : 0]
        from parameter in spec.Parameter
        from fault in Gen.Frequency((88, Gen.Const(Fault.None)), (6, Gen.Const(Fault.Shape)), (spec.BadParameter is null ? 0 : 6, Gen.Const(Fault.Option)))
        from bad in spec.BadParameter?.Values ?? Gen.Const(double.NaN)
        from shape in Gen.Int[0, 3]
        select Build(spec, n, k, profile.Name, x, upstream, fault == Fault.Option ? bad : parameter, fault, shape);

    private static ActivationCase Build(ActivationSpec spec, int n, int k, string profile, float[] x, float[] upstream, double parameter, Fault fault, int shape)
    {
        int classes = k, output = n * k, up = upstream.Length, scratch = spec.Scratch ? k : 0;
        if (fault == Fault.Shape)
        {
            switch (shape)
            {
                case 0 when spec.RowWise:
                    classes = n % 2 == 0 ? 0 : -3;
                    break;
                case 1 when spec.Upstream:
                    up++;
                    break;
                case 2 when spec.Scratch && k > 1:
                    scratch = k - 1;
                    break;
                case 3 when spec.RowWise && k > 1:
                    x = [.. x, 0.25f];
                    output = x.Length;
                    up = spec.Upstream ? x.Length : 0;
                    break;
                default:
                    output++;
                    break;
            }
        }

        if (up != upstream.Length)
        {
            upstream = [.. upstream, .. new float[Math.Max(0, up - upstream.Length)]];
        }

        return new ActivationCase(n, classes, x, upstream, parameter, output, up, scratch, fault, profile);
    }

    public static void Run(ActivationSpec spec, int per100k) =>
        FuzzRunner.Run(Cases(spec), c => Check(spec, c), per100k, spec.Name, c => c.ToString());

    private static (Exception? Error, double[] Y, string? Unwritten) Call<T>(ActivationSpec spec, ActivationCase c, float[] input)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = LossFuzz.Convert<T>(input);
        T[] u = LossFuzz.Convert<T>(c.Upstream);
        var y = new T[c.OutputLength];
        Array.Fill(y, LossFuzz.Poison<T>());
        var scratch = new double[c.ScratchLength];
        try
        {
            spec.Run<T>(c, x, u, y, scratch);
            return (null, LossFuzz.Widen(y), LossFuzz.Unwritten(y, "y"));
        }
        catch (Exception e) when (e is not FuzzPropertyException)
        {
            return (e, [], null);
        }
    }

    private static void Check(ActivationSpec spec, ActivationCase c)
    {
        float[] input = spec.Input(c);
        var f = Call<float>(spec, c, input);
        var d = Call<double>(spec, c, input);
        foreach (var (e, type) in new[] { (f.Error, "float"), (d.Error, "double") })
        {
            if (e is not null and not ArgumentException)
            {
                throw new FuzzPropertyException($"{type} threw {e.GetType().Name}, not an ArgumentException: {e}");
            }
        }

        if ((f.Error is null) != (d.Error is null) || (f.Error is not null && f.Error.Message != d.Error!.Message))
        {
            throw new FuzzPropertyException($"float and double disagree: float {f.Error?.Message ?? "no exception"}; double {d.Error?.Message ?? "no exception"}");
        }

        var error = (ArgumentException?)d.Error;
        switch (c.Fault)
        {
            case Fault.Option:
                Expect(error is not null && error.ParamName == spec.BadParameter!.Value.Name, $"the invalid parameter {c.Parameter} gave {error?.Message ?? "no exception"}");
                return;
            case Fault.Shape:
                Expect(error is not null && error.ParamName is "x" or "y" or "p" or "upstream" or "dx" or "classes" or "scratch",
                    $"a shape fault gave {error?.GetType().Name} (ParamName {error?.ParamName}): {error?.Message ?? "no exception"}");
                return;
        }

        Expect(error is null, $"a valid call threw {error}");
        Expect(f.Unwritten is null && d.Unwritten is null, $"outputs not written: float {f.Unwritten}, double {d.Unwritten}");
        if (Array.TrueForAll(input, float.IsFinite) && c.InputsFinite && spec.NaNAllowed(c, input) is null)
        {
            Expect(Array.FindIndex(f.Y, double.IsNaN) < 0 && Array.FindIndex(d.Y, double.IsNaN) < 0,
                $"NaN output for finite inputs: float at {Array.FindIndex(f.Y, double.IsNaN)}, double at {Array.FindIndex(d.Y, double.IsNaN)}");
        }

        for (int j = 0; j < f.Y.Length; j++)
        {
            double unit = spec.Unit(c, input, j);
            if (!FuzzTolerance.Close(f.Y[j], d.Y[j], unit))
            {
                throw new FuzzPropertyException($"y[{j}]: {FuzzTolerance.Describe(f.Y[j], d.Y[j], unit)}");
            }
        }
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzPropertyException(message);
        }
    }
}

internal static class ActivationParameters
{
    public static readonly Gen<double> Temperature = Gen.OneOf(1.0, 1.0, 0.5, 2.0, 0.05, 30.0);

    public static readonly (Gen<double>, string) BadTemperature = (Gen.OneOf(0.0, -1.0, double.NaN, double.PositiveInfinity, -1e-300), "temperature");

    public static readonly (Gen<double>, string) BadBeta = (Gen.OneOf(0.0, -1.0, double.NaN, double.PositiveInfinity), "beta");

    public static readonly (Gen<double>, string) BadEps = (Gen.OneOf(-0.1, 0.6, double.NaN, -1e-300), "eps");
}

internal sealed class SoftmaxForwardSpec : ActivationSpec
{
    public override string Name => "SoftmaxForward";

    public override Gen<double> Parameter => ActivationParameters.Temperature;

    public override (Gen<double> Values, string Name)? BadParameter => ActivationParameters.BadTemperature;

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch) =>
        Softmax.Forward(x, c.K, c.Parameter, y);
}

internal sealed class SoftmaxBackwardSpec : ActivationSpec
{
    public override string Name => "SoftmaxBackward";

    public override bool Upstream => true;

    public override Gen<double> Parameter => ActivationParameters.Temperature;

    public override (Gen<double> Values, string Name)? BadParameter => ActivationParameters.BadTemperature;

    public override float[] Input(ActivationCase c) => ForwardOf(c.X, c.K, (x, k, y) => Softmax.Forward<double>(x, k, y));

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch) =>
        Softmax.Backward(x, upstream, c.K, c.Parameter, y);

    // dx_c = y_c (g_c - Σ_j g_j y_j) / τ: the terms are y_c (|g_c| + Σ_j |g_j y_j|) / τ.
    public override double Unit(ActivationCase c, float[] input, int j)
    {
        int k = c.K, r = j / k;
        double dot = 0;
        for (int i = 0; i < k; i++)
        {
            dot += Math.Abs(c.Upstream[(r * k) + i] * (double)input[(r * k) + i]);
        }

        return Math.Abs(input[j]) * (Math.Abs(c.Upstream[j]) + dot) / c.Parameter;
    }
}

internal sealed class LogSoftmaxForwardSpec : ActivationSpec
{
    public override string Name => "LogSoftmaxForward";

    public override Gen<double> Parameter => ActivationParameters.Temperature;

    public override (Gen<double> Values, string Name)? BadParameter => ActivationParameters.BadTemperature;

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch) =>
        LogSoftmax.Forward(x, c.K, c.Parameter, y);

    // y = (x/τ - m) - log S: log S (≥ 0, ≤ log K) is a term of size up to log K whatever y is.
    public override double Unit(ActivationCase c, float[] input, int j) => Math.Log(Math.Max(1, c.K)) + 1;
}

internal sealed class LogSoftmaxBackwardSpec : ActivationSpec
{
    public override string Name => "LogSoftmaxBackward";

    public override bool Upstream => true;

    public override Gen<double> Parameter => ActivationParameters.Temperature;

    public override (Gen<double> Values, string Name)? BadParameter => ActivationParameters.BadTemperature;

    public override float[] Input(ActivationCase c) => ForwardOf(c.X, c.K, (x, k, y) => LogSoftmax.Forward<double>(x, k, y));

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch) =>
        LogSoftmax.Backward(x, upstream, c.K, c.Parameter, y);

    // A log-softmax output y ≤ 0 is finite only for finite logits; a masked class (y = -∞) has p = 0.
    // dx_c = (g_c - p_c Σ g) / τ: the terms are (|g_c| + p_c Σ |g|) / τ.
    public override double Unit(ActivationCase c, float[] input, int j)
    {
        int k = c.K, r = j / k;
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            total += Math.Abs(c.Upstream[(r * k) + i]);
        }

        return (Math.Abs(c.Upstream[j]) + (Math.Exp(input[j]) * total)) / c.Parameter;
    }
}

internal sealed class SparsemaxForwardSpec(bool withScratch) : ActivationSpec
{
    public override string Name => withScratch ? "SparsemaxForwardWithScratch" : "SparsemaxForward";

    public override bool Scratch => withScratch;

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch)
    {
        if (withScratch)
        {
            Sparsemax.Forward(x, c.K, y, scratch);
        }
        else
        {
            Sparsemax.Forward(x, c.K, y);
        }
    }

    // y_c = max(x_c - τ, 0): x_c and τ are terms of the size of the row's largest |x|.
    public override double Unit(ActivationCase c, float[] input, int j)
    {
        int k = c.K, r = j / k;
        double m = 0;
        for (int i = 0; i < k; i++)
        {
            m = Math.Max(m, Math.Abs(input[(r * k) + i]));
        }

        return double.IsFinite(m) ? m : 0;
    }
}

internal sealed class SparsemaxBackwardSpec : ActivationSpec
{
    public override string Name => "SparsemaxBackward";

    public override bool Upstream => true;

    public override float[] Input(ActivationCase c) => ForwardOf(c.X, c.K, (x, k, y) => Sparsemax.Forward<double>(x, k, y));

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch) =>
        Sparsemax.Backward(x, upstream, c.K, y);

    // dx_c = g_c - mean over the support: terms of the size of the row's largest |g|.
    public override double Unit(ActivationCase c, float[] input, int j)
    {
        int k = c.K, r = j / k;
        double m = 0;
        for (int i = 0; i < k; i++)
        {
            m = Math.Max(m, Math.Abs(c.Upstream[(r * k) + i]));
        }

        return m;
    }
}

internal sealed class HardmaxSpec(bool backward) : ActivationSpec
{
    public override string Name => backward ? "HardmaxBackward" : "HardmaxForward";

    public override bool Upstream => backward;

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch)
    {
        if (backward)
        {
            Hardmax.Backward(upstream, c.K, y);
        }
        else
        {
            Hardmax.Forward(x, c.K, y);
        }
    }
}

/// <summary>Sigmoid, LogSigmoid and Softplus, forward and backward (element-wise).</summary>
internal sealed class SigmoidFamilySpec(string function, bool backward) : ActivationSpec
{
    public override string Name => function + (backward ? "Backward" : "Forward");

    public override bool RowWise => false;

    public override bool Upstream => backward;

    public override Gen<double> Parameter => function == "Softplus" ? Gen.OneOf(1.0, 1.0, 0.5, 2.0, 20.0, 1e-3) : Gen.Const(double.NaN);

    public override (Gen<double> Values, string Name)? BadParameter => function == "Softplus" ? ActivationParameters.BadBeta : null;

    // Sigmoid's backward takes the forward output σ(x) (computed in double, rounded to float).
    public override float[] Input(ActivationCase c)
    {
        if (function != "Sigmoid" || !backward)
        {
            return c.X;
        }

        var y = new double[c.X.Length];
        Sigmoid.Forward<double>(Array.ConvertAll(c.X, v => (double)v), y);
        return Array.ConvertAll(y, v => (float)v);
    }

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch)
    {
        switch (function, backward)
        {
            case ("Sigmoid", false):
                Sigmoid.Forward(x, y);
                break;
            case ("Sigmoid", true):
                Sigmoid.Backward(x, upstream, y);
                break;
            case ("LogSigmoid", false):
                LogSigmoid.Forward(x, y);
                break;
            case ("LogSigmoid", true):
                LogSigmoid.Backward(x, upstream, y);
                break;
            case ("Softplus", false):
                Softplus.Forward(x, c.Parameter, y);
                break;
            default:
                Softplus.Backward(x, upstream, c.Parameter, y);
                break;
        }
    }
}

/// <summary>Logit forward and backward, with or without the clamp (the parameter; <see cref="NoClamp"/> for none).</summary>
internal sealed class LogitSpec(bool backward) : ActivationSpec
{
    /// <summary>The parameter value that stands for "no clamp" (null), so that NaN can be tried as an invalid clamp.</summary>
    private const double NoClamp = -12345;

    public override string Name => backward ? "LogitBackward" : "LogitForward";

    public override bool RowWise => false;

    public override bool ProbabilityInput => true;

    public override bool Upstream => backward;

    public override Gen<double> Parameter => Gen.OneOf(NoClamp, NoClamp, 0.0, 1e-6, 0.25, 0.5);

    public override (Gen<double> Values, string Name)? BadParameter => ActivationParameters.BadEps;

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch)
    {
        double? eps = c.Parameter == NoClamp ? null : c.Parameter;
        if (backward)
        {
            Logit.Backward(x, upstream, eps, y);
        }
        else
        {
            Logit.Forward(x, eps, y);
        }
    }

    // Without a clamp (or with clamp 0), p = 0 or 1 with an upstream gradient of 0 gives 0/0 = NaN, as PyTorch's
    // logit_backward (grad / (p (1 - p))); the forward is ±∞ there, not NaN.
    public override string? NaNAllowed(ActivationCase c, float[] input)
    {
        if (!backward || !(c.Parameter == NoClamp || c.Parameter == 0))
        {
            return null;
        }

        for (int j = 0; j < input.Length; j++)
        {
            if (input[j] is 0f or 1f && c.Upstream[j] == 0)
            {
                return "0/0 at p in {0, 1} with a zero upstream gradient";
            }
        }

        return null;
    }
}

/// <summary>Property fuzzing of every public activation (src/ClassLoss/Activations), float and double.</summary>
public class ActivationFuzzTests
{
    [Fact]
    public void SoftmaxForward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new SoftmaxForwardSpec(), 800);

    [Fact]
    public void SoftmaxBackward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new SoftmaxBackwardSpec(), 600);

    [Fact]
    public void LogSoftmaxForward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new LogSoftmaxForwardSpec(), 800);

    [Fact]
    public void LogSoftmaxBackward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new LogSoftmaxBackwardSpec(), 600);

    [Fact]
    public void SparsemaxForward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new SparsemaxForwardSpec(withScratch: false), 600);

    [Fact]
    public void SparsemaxForwardWithScratch_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new SparsemaxForwardSpec(withScratch: true), 400);

    [Fact]
    public void SparsemaxBackward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new SparsemaxBackwardSpec(), 400);

    [Fact]
    public void HardmaxForward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new HardmaxSpec(backward: false), 300);

    [Fact]
    public void HardmaxBackward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new HardmaxSpec(backward: true), 200);

    [Theory]
    [InlineData("Sigmoid", false)]
    [InlineData("Sigmoid", true)]
    [InlineData("LogSigmoid", false)]
    [InlineData("LogSigmoid", true)]
    [InlineData("Softplus", false)]
    [InlineData("Softplus", true)]
    public void SigmoidFamily_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble(string function, bool backward) =>
        ActivationFuzz.Run(new SigmoidFamilySpec(function, backward), 300);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Logit_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble(bool backward) => ActivationFuzz.Run(new LogitSpec(backward), 400);
}
