using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using ClassLoss.Losses;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>The expected first validation failure: the argument it names and a fragment its message must contain.</summary>
internal readonly record struct Violation(string Param, string Fragment);

/// <summary>How big the terms of each result are (see <see cref="FuzzTolerance"/>): for the value (the sum times the
/// reduction's factor), the sum, per loss entry and per gradient entry.</summary>
internal sealed record Units(double Value, double Sum, double[] Losses, double[] Gradient)
{
    /// <summary>Units of a row-wise loss: row i's terms have size <paramref name="row"/>[i], its gradient entries
    /// <paramref name="gradient"/>[i]; the value is the rows' total times the reduction's factor.</summary>
    public static Units PerRow(Batch b, double[] row, double[] gradient, double valueFactor)
    {
        int k = b.K;
        var g = new double[b.GradientLength];
        for (int i = 0; i < g.Length; i++)
        {
            g[i] = gradient[i / k];
        }

        double total = row.Sum(Math.Abs);
        return new Units(total * Math.Abs(valueFactor), total, b.LossesLength == b.N ? row : new double[b.LossesLength], g);
    }

    /// <summary>Units of an element-wise loss: element j's terms have size <paramref name="element"/>[j] and its gradient
    /// <paramref name="gradient"/>[j]; a loss buffer of N rows gets the row sums.</summary>
    public static Units PerElement(Batch b, double[] element, double[] gradient, double valueFactor)
    {
        int k = b.K;
        double[] losses;
        if (b.LossesLength == b.N * k && b.LossesLength != b.N)
        {
            losses = element;
        }
        else
        {
            losses = new double[b.LossesLength];
            for (int j = 0; j < element.Length && losses.Length > 0; j++)
            {
                losses[j / k] += element[j];
            }
        }

        double total = element.Sum(Math.Abs);
        return new Units(total * Math.Abs(valueFactor), total, losses, b.GradientLength == 0 ? [] : gradient);
    }

    /// <summary>No units: the float path is the double one rounded to float, so a plain relative comparison applies.</summary>
    public static Units Relative(Batch b) => new(0, 0, new double[b.LossesLength], new double[b.GradientLength]);
}

/// <summary>One fuzz case: a batch, the options, and the name of the option made invalid (if any).</summary>
internal sealed record LossCase<TOptions>(Batch Batch, TOptions Options, string? BadOption)
{
    public override string ToString() => $"{Options}{(BadOption is null ? "" : $" (bad option: {BadOption})")}\n  {Batch}";
}

/// <summary>The result of one call, widened to double; <see cref="Unwritten"/> lists output entries left untouched.</summary>
internal sealed record Outcome(Exception? Error, LossResult Result, double[] Gradient, double[] Losses, string? Unwritten);

/// <summary>
/// A public loss under test: how to call it for float and for double, which options to generate, what its documented
/// checks reject first, how big its terms are (for <see cref="FuzzTolerance"/>) and where NaN is its documented result.
/// </summary>
internal abstract class LossSpec<TOptions>
    where TOptions : LossOptions
{
    public abstract string Name { get; }

    public abstract BatchSpec Batch { get; }

    /// <summary>The argument names an exception for a shape fault may name.</summary>
    public virtual string[] Arguments => ["input", "logits", "labels", "targets", "gradient", "rowLosses", "losses", "classes", "probabilities", "elementWeights", "logProbabilities", "scores", "rowEntropies"];

    /// <summary>Valid options for <paramref name="b"/>, or (for an option fault) options with one invalid value and its name.</summary>
    public abstract Gen<(TOptions Options, string? BadOption)> Options(Batch b);

    /// <summary>Calls the loss.</summary>
    public abstract LossResult Evaluate<T>(Batch b, TOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights,
        Span<T> gradient, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>True when the loss's double input runs a double SIMD kernel (<see cref="EvaluateGenericDouble"/> then
    /// calls the generic double kernel, for property 5 of <see cref="LossFuzz.Check"/>).</summary>
    public virtual bool HasDoubleSimd => false;

    /// <summary>The call on the generic (scalar double) kernel, for losses with <see cref="HasDoubleSimd"/>.</summary>
    public virtual LossResult EvaluateGenericDouble(Batch b, TOptions o, ReadOnlySpan<double> x, ReadOnlySpan<double> targets,
        ReadOnlySpan<double> weights, Span<double> gradient, Span<double> losses) =>
        throw new NotSupportedException($"{Name} has no double SIMD kernel.");

    /// <summary>The units of the float-versus-double comparison, given the double path's result.</summary>
    public abstract Units Units(Batch b, TOptions o, Outcome reference);

    /// <summary>The target-sum tolerance the options set (probability-row targets only).</summary>
    public virtual double Tolerance(TOptions o) => 1e-4;

    /// <summary>True when the loss may reject valid-looking inputs for a documented reason (e.g. non-finite logits).</summary>
    public virtual Violation? InputViolation(Batch b) => null;

    /// <summary>
    /// Why the loss may give NaN for these finite, valid inputs by a documented convention, or null when it must not.
    /// The default: a mean over zero weight with <see cref="EmptyMean.NaN"/> is NaN (PyTorch's 0/0), value and gradient.
    /// </summary>
    public virtual string? NaNAllowed(Batch b, TOptions o, Outcome reference) =>
        o.Reduction == Reduction.Mean && o.WhenEmpty == EmptyMean.NaN && reference.Result.Denominator == 0
            ? "EmptyMean.NaN: the mean over zero weight is 0/0" : null;

    /// <summary>The first value the documented checks reject, in the order they run, or null.</summary>
    public virtual Violation? FirstViolation(Batch b, TOptions o)
    {
        int k = b.K;
        if (Batch.Input == InputKind.Probabilities)
        {
            for (int at = 0; at < b.X.Length; at++)
            {
                if (!(b.X[at] >= 0 && b.X[at] <= 1))
                {
                    return new Violation("input", Invariant($"input row {at / k}, column {at % k} is"));
                }
            }
        }
        else if (Batch.Input == InputKind.ProbabilityRows)
        {
            if (RowsViolation(b.X, k, Tolerance(o), "input") is { } input)
            {
                return input;
            }
        }
        else if (InputViolation(b) is { } input)
        {
            return input;
        }

        if (Batch.Targets == TargetKind.Labels)
        {
            int? ignore = Batch.IgnorableLabels ? b.IgnoreIndex : null;
            for (int i = 0; i < b.Labels.Length; i++)
            {
                int y = b.Labels[i];
                if ((uint)y >= (uint)k && y != ignore)
                {
                    return new Violation("targets", Invariant($"targets[{i}] is {y}"));
                }
            }
        }

        if (Batch.Targets == TargetKind.ProbabilityRows && RowsViolation(b.Targets, k, Tolerance(o), "targets") is { } rows)
        {
            return rows;
        }

        if (Batch.Targets == TargetKind.ElementTargets)
        {
            for (int at = 0; at < b.Targets.Length; at++)
            {
                if (!(b.Targets[at] >= 0 && b.Targets[at] <= 1))
                {
                    return new Violation("targets", Invariant($"targets row {at / k}, column {at % k} is"));
                }
            }
        }

        return null;
    }

    /// <summary>The first bad entry or row sum of [N, K] probability rows, as <c>Guard.ProbabilityRow</c> checks them.</summary>
    protected static Violation? RowsViolation(float[] values, int k, double tolerance, string name)
    {
        for (int i = 0; i < values.Length / k; i++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                double v = values[(i * k) + c];
                if (!(v >= 0 && v <= 1))
                {
                    return new Violation(name, Invariant($"{name} row {i}, column {c} is"));
                }

                sum += v;
            }

            if (!double.IsNaN(tolerance) && Math.Abs(sum - 1) > tolerance)
            {
                return new Violation(name, Invariant($"{name} row {i} sums to"));
            }
        }

        return null;
    }

    /// <summary>True when a known bug in src/ (named by the override's KNOWN BUG comment) makes the whole case meaningless.</summary>
    public virtual bool HitsKnownBug(Batch b, TOptions o) => false;

    /// <summary>The rows on which a known bug in src/ makes the float or the double path wrong, or null: those rows (and
    /// the value, when any is flagged) are left out of the NaN checks and of the comparison.</summary>
    public virtual bool[]? RowsWithAKnownBug(Batch b, TOptions o, Outcome reference) => null;

    /// <summary>The rows whose float result may differ in kind from the double one because float cannot represent an
    /// intermediate (each override says which), or null; they are left out like <see cref="RowsWithAKnownBug"/>.</summary>
    public virtual bool[]? RowsBeyondFloat(Batch b, TOptions o) => null;

    /// <summary>True when a known bug in src/ makes the float path's value and sum (not its outputs) wrong for this case.</summary>
    public virtual bool FloatSumHasAKnownBug(Batch b, TOptions o, Outcome f, Outcome d) => false;

    /// <summary>The targets passed to the loss (the batch's, unless the options change their meaning).</summary>
    public virtual float[] TargetsFor(Batch b, TOptions o) => b.Targets;

    /// <summary>Fills the gradient buffer before a call (poison by default: the loss must overwrite it).</summary>
    public virtual bool AccumulatesGradient => false;

    protected static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The factor every gradient entry carries for this reduction (as the kernels' reducer defines it).</summary>
    protected static double Factor(LossOptions o, double denominator, int rows) => o.Reduction switch
    {
        Reduction.Mean => denominator != 0 ? 1 / denominator : o.WhenEmpty == EmptyMean.Zero ? 0 : double.NaN,
        Reduction.BatchMean => 1.0 / rows,
        _ => 1.0,
    };
}

/// <summary>Runs a <see cref="LossSpec{TOptions}"/> through the fuzz properties.</summary>
internal static class LossFuzz
{
    private const ulong DoublePoisonBits = 0x7FF8_0000_DEAD_BEEFUL;

    /// <summary>Checks every property on the test's share of cases.</summary>
    public static void Run<TOptions>(LossSpec<TOptions> spec, int per100k)
        where TOptions : LossOptions
    {
        var gen =
            from b in Batches.For(spec.Batch)
            from o in spec.Options(b)
            select new LossCase<TOptions>(b, o.Options, o.BadOption);
        FuzzRunner.Run(gen, c => Check(spec, c), per100k, spec.Name, c => c.ToString());
    }

    /// <summary>
    /// The properties of one case: (1) nothing but <see cref="ArgumentException"/> is thrown, float and double throw
    /// alike, and an exception is thrown exactly when the documented checks reject the inputs, naming the argument and the
    /// row and column of the first bad value; (2) every output entry is written; (3) with finite, valid inputs nothing
    /// is NaN (unless the loss documents it); (4) the float path agrees with the double path within
    /// <see cref="FuzzTolerance"/>, non-finite results included; (5) where double input runs a double SIMD kernel
    /// (<see cref="LossSpec{TOptions}.HasDoubleSimd"/>), it throws what the generic double kernel throws and agrees with
    /// it within <see cref="FuzzTolerance.DoubleRel"/> of the same units.
    /// </summary>
    public static void Check<TOptions>(LossSpec<TOptions> spec, LossCase<TOptions> c)
        where TOptions : LossOptions
    {
        var b = c.Batch;
        if (spec.HitsKnownBug(b, c.Options))
        {
            return;
        }

        // A batch drawn with an option fault for a loss whose options cannot be invalid is an ordinary valid batch.
        var fault = b.Fault == Fault.Option && c.BadOption is null ? Fault.None : b.Fault;
        var f = Call<float, TOptions>(spec, c);
        var d = Call<double, TOptions>(spec, c);
        var dg = spec.HasDoubleSimd ? Call<double, TOptions>(spec, c, generic: true) : null;
        if (dg is not null && ((dg.Error is null) != (d.Error is null) || (dg.Error is not null && (dg.Error.GetType() != d.Error!.GetType() || dg.Error.Message != d.Error.Message))))
        {
            throw new FuzzPropertyException($"double SIMD and generic double disagree: SIMD {Describe(d.Error)}; generic {Describe(dg.Error)}");
        }
        foreach (var (o, type) in new[] { (f, "float"), (d, "double") })
        {
            if (o.Error is not null and not ArgumentException)
            {
                throw new FuzzPropertyException($"Evaluate<{type}> threw {o.Error.GetType().Name}, not an ArgumentException: {o.Error}");
            }
        }

        if ((f.Error is null) != (d.Error is null) || (f.Error is not null && (f.Error.GetType() != d.Error!.GetType() || f.Error.Message != d.Error.Message)))
        {
            throw new FuzzPropertyException($"float and double disagree: float {Describe(f.Error)}; double {Describe(d.Error)}");
        }

        Violation? violation = fault is Fault.Shape or Fault.Option ? null : spec.FirstViolation(b, c.Options);
        var error = (ArgumentException?)d.Error;
        switch (fault)
        {
            case Fault.Option:
                Expect(error is not null && error.ParamName == c.BadOption, $"the invalid option {c.BadOption} gave {Describe(error)}");
                return;
            case Fault.Shape:
                Expect(error is not null && spec.Arguments.Contains(error.ParamName), $"a shape fault gave {Describe(error)}, which names no argument of the call");
                return;
        }

        if (violation is { } v)
        {
            Expect(error is not null && error.ParamName == v.Param && error.Message.Contains(v.Fragment, StringComparison.Ordinal),
                $"expected an ArgumentException for {v.Param} whose message contains \"{v.Fragment}\"; got {Describe(error)}");
            return;
        }

        Expect(error is null, $"valid inputs threw {Describe(error)}");
        Expect(f.Unwritten is null && d.Unwritten is null, $"outputs not written: float {f.Unwritten}, double {d.Unwritten}");

        bool[]? buggy = spec.RowsWithAKnownBug(b, c.Options, d);
        if (spec.RowsBeyondFloat(b, c.Options) is { } beyond)
        {
            buggy = buggy is null ? beyond : KnownBugs.Or(buggy, beyond);
        }

        bool anyBuggy = buggy is not null && Array.IndexOf(buggy, true) >= 0;
        bool RowOk(int i) => buggy is null || !buggy[i];
        int k = Math.Max(1, b.K);
        bool elementLosses = f.Losses.Length == b.N * k && f.Losses.Length != b.N;
        bool LossOk(int j) => RowOk(elementLosses ? j / k : j);

        if (fault == Fault.None && b.InputsFinite && spec.NaNAllowed(b, c.Options, d) is null)
        {
            AssertNoNaN("float", f, j => RowOk(j / k), LossOk, value: !anyBuggy);
            AssertNoNaN("double", d, j => RowOk(j / k), LossOk, value: !anyBuggy);
        }

        var units = spec.Units(b, c.Options, d);
        if (!anyBuggy && !spec.FloatSumHasAKnownBug(b, c.Options, f, d))
        {
            Compare("value", f.Result.Value, d.Result.Value, units.Value, storedAsFloat: false);
            Compare("sum", f.Result.Sum, d.Result.Sum, units.Sum, storedAsFloat: false);
        }

        Compare("denominator", f.Result.Denominator, d.Result.Denominator, 0, storedAsFloat: false);
        Expect(f.Result.Rows == d.Result.Rows, $"rows: float {f.Result.Rows}, double {d.Result.Rows}");
        for (int i = 0; i < f.Gradient.Length; i++)
        {
            if (RowOk(i / k))
            {
                Compare($"gradient[{i}] (row {i / k}, column {i % k})", f.Gradient[i], d.Gradient[i], units.Gradient[i]);
            }
        }

        for (int i = 0; i < f.Losses.Length; i++)
        {
            if (LossOk(i))
            {
                Compare($"losses[{i}]", f.Losses[i], d.Losses[i], units.Losses[i]);
            }
        }

        if (dg is not null)
        {
            // (5) Every row, known float bugs or not: both are double paths.
            Expect(dg.Unwritten is null, $"outputs not written by the generic double kernel: {dg.Unwritten}");
            CompareDouble("double SIMD value", d.Result.Value, dg.Result.Value, units.Value);
            CompareDouble("double SIMD sum", d.Result.Sum, dg.Result.Sum, units.Sum);
            for (int i = 0; i < d.Gradient.Length; i++)
            {
                CompareDouble($"double SIMD gradient[{i}] (row {i / k}, column {i % k})", d.Gradient[i], dg.Gradient[i], units.Gradient[i]);
            }

            for (int i = 0; i < d.Losses.Length; i++)
            {
                CompareDouble($"double SIMD losses[{i}]", d.Losses[i], dg.Losses[i], units.Losses[i]);
            }
        }
    }

    private static void CompareDouble(string what, double actual, double expected, double unit)
    {
        if (!FuzzTolerance.CloseDouble(actual, expected, unit))
        {
            throw new FuzzPropertyException($"{what}: {actual:R}, generic double kernel {expected:R} (unit {unit:R})");
        }
    }

    private static void Compare(string what, double actual, double expected, double unit, bool storedAsFloat = true)
    {
        if (!FuzzTolerance.Close(actual, expected, unit, storedAsFloat))
        {
            throw new FuzzPropertyException($"{what}: {FuzzTolerance.Describe(actual, expected, unit)}");
        }
    }

    private static void AssertNoNaN(string type, Outcome o, Func<int, bool> gradientEntry, Func<int, bool> lossEntry, bool value)
    {
        Expect(!value || (!double.IsNaN(o.Result.Value) && !double.IsNaN(o.Result.Sum)), $"Evaluate<{type}> returned NaN ({o.Result}) for finite, valid inputs");
        for (int g = 0; g < o.Gradient.Length; g++)
        {
            Expect(!double.IsNaN(o.Gradient[g]) || !gradientEntry(g), $"Evaluate<{type}> wrote a NaN gradient at {g} for finite, valid inputs");
        }

        for (int r = 0; r < o.Losses.Length; r++)
        {
            Expect(!double.IsNaN(o.Losses[r]) || !lossEntry(r), $"Evaluate<{type}> wrote a NaN loss at {r} for finite, valid inputs");
        }
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzPropertyException(message);
        }
    }

    private static string Describe(Exception? e) => e is null ? "no exception" : $"{e.GetType().Name} (ParamName {(e as ArgumentException)?.ParamName ?? "null"}): {e.Message}";

    private static Outcome Call<T, TOptions>(LossSpec<TOptions> spec, LossCase<TOptions> c, bool generic = false)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOptions : LossOptions
    {
        var b = c.Batch;
        T[] x = Convert<T>(b.X);
        T[] t = Convert<T>(spec.TargetsFor(b, c.Options));
        T[] w = Convert<T>(b.ElementWeights);
        T poison = Poison<T>();
        var g = new T[b.GradientLength];
        var r = new T[b.LossesLength];
        Array.Fill(g, spec.AccumulatesGradient ? T.CreateTruncating(0.25) : poison);
        Array.Fill(r, poison);
        try
        {
            var result = generic
                ? spec.EvaluateGenericDouble(b, c.Options, (double[])(object)x, (double[])(object)t, (double[])(object)w, (double[])(object)g, (double[])(object)r)
                : spec.Evaluate<T>(b, c.Options, x, t, w, g, r);
            string? unwritten = Unwritten(g, "gradient") ?? Unwritten(r, "losses");
            return new Outcome(null, result, Widen(g), Widen(r), unwritten);
        }
        catch (Exception e) when (e is not FuzzPropertyException)
        {
            return new Outcome(e, default, [], [], null);
        }
    }

    internal static T[] Convert<T>(float[] values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            r[i] = T.CreateTruncating(values[i]);
        }

        return r;
    }

    internal static double[] Widen<T>(T[] values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            r[i] = double.CreateTruncating(values[i]);
        }

        return r;
    }

    internal static T Poison<T>()
        where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? (T)(object)BitConverter.UInt32BitsToSingle(0x7FC0DEAD)
            : (T)(object)BitConverter.UInt64BitsToDouble(DoublePoisonBits);

    internal static string? Unwritten<T>(T[] values, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int at = typeof(T) == typeof(float)
            ? MemoryMarshal.Cast<T, uint>(values).IndexOf(0x7FC0DEADu)
            : MemoryMarshal.Cast<T, ulong>(values).IndexOf(DoublePoisonBits);
        return at < 0 ? null : $"{name}[{at}]";
    }
}

/// <summary>A fuzz property that does not hold.</summary>
public sealed class FuzzPropertyException : Exception
{
    public FuzzPropertyException()
    {
    }

    public FuzzPropertyException(string message)
        : base(message)
    {
    }

    public FuzzPropertyException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
