using ClassLoss.Losses;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>Options of the softmax cross-entropy family, shared by the index and probability-target specs.</summary>
internal static class CrossEntropyGen
{
    public static Gen<(SoftmaxCrossEntropyOptions, string?)> Options(Batch b) =>
        from which in OptionGen.Which(b, 5)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from weights in OptionGen.Weights(b)
        from badWeights in OptionGen.BadWeights(Math.Max(1, b.K))
        from smoothing in Gen.OneOf(0.0, 0.0, 0.1, 0.5, 1.0, 1e-7)
        from temperature in Gen.OneOf(1.0, 1.0, 0.5, 2.0, 0.05, 30.0)
        from tolerance in OptionGen.Tolerance
        from bad in OptionGen.BadNonNegative
        select which switch
        {
            1 => (Make(reduction, whenEmpty, weights, bad == -1 ? 1.5 : bad, temperature, tolerance, b), nameof(SoftmaxCrossEntropyOptions.LabelSmoothing)),
            2 => (Make(reduction, whenEmpty, weights, smoothing, bad == -1 ? 0 : bad, tolerance, b), nameof(SoftmaxCrossEntropyOptions.Temperature)),
            3 => (Make(reduction, whenEmpty, badWeights, smoothing, temperature, tolerance, b), nameof(SoftmaxCrossEntropyOptions.ClassWeights)),
            4 => (Make(reduction, whenEmpty, weights, smoothing, temperature, OptionGen.BadTolerance(bad), b), nameof(SoftmaxCrossEntropyOptions.TargetSumTolerance)),
            5 => (Make(reduction, whenEmpty, weights, smoothing, -temperature, tolerance, b), nameof(SoftmaxCrossEntropyOptions.Temperature)),
            _ => (Make(reduction, whenEmpty, weights, smoothing, temperature, tolerance, b), (string?)null),
        };

    private static SoftmaxCrossEntropyOptions Make(Reduction reduction, EmptyMean whenEmpty, double[]? weights, double smoothing, double temperature,
        double tolerance, Batch b) => new()
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            ClassWeights = weights,
            LabelSmoothing = smoothing,
            Temperature = temperature,
            TargetSumTolerance = tolerance,
            IgnoreIndex = b.IgnoreIndex,
        };

    public static double W(SoftmaxCrossEntropyOptions o, int c) => o.ClassWeights is null ? 1.0 : o.ClassWeights[c];

    /// <summary>
    /// The extra unit a row needs when the fused kernels' float target weights are below float's normal range: a target
    /// weight q_c (or class weight w_c) under 2^-126 is subnormal in float, or flushes to 0, so its term
    /// q_c (m - u_c + log S) is off by up to 2^-149 times the logit gap, however small q_c is (q = 1e-46 against a
    /// gap of 4e38 loses a term of 4e-8). Returned divided by <see cref="FuzzTolerance.Rel"/>, as a unit.
    /// </summary>
    public static double SubnormalTermsAllowance(Batch b, SoftmaxCrossEntropyOptions o, int row, Func<int, double> q, Func<int, double> w)
    {
        int k = b.K;
        double m = double.NegativeInfinity;
        for (int c = 0; c < k; c++)
        {
            m = Math.Max(m, b.X[(row * k) + c]);
        }

        if (!double.IsFinite(m))
        {
            return 0;
        }

        double allowance = 0;
        for (int c = 0; c < k; c++)
        {
            double qc = q(c), wc = w(c);
            if (((qc > 0 && qc < MinNormalFloat) || (wc > 0 && wc < MinNormalFloat)) && float.IsFinite(b.X[(row * k) + c]))
            {
                allowance += 1.5e-45 * (((m - b.X[(row * k) + c]) / o.Temperature) + Math.Log(k) + 1);
            }
        }

        return allowance / FuzzTolerance.Rel;
    }

    /// <summary>
    /// The rows with a masked class (logit -∞) whose target weight is positive but below float's normal range: the
    /// double path's loss is +∞ (q_c · ∞), while in float q_c may be 0 and the term is left out, as for any zero target.
    /// Float has no such q_c, so these rows are outside what the float path can match (a float limit, not a bug).
    /// </summary>
    public static bool[] RowsWithAMaskedClassOfSubnormalWeight(Batch b, Func<int, int, double> q)
    {
        var rows = new bool[b.N];
        int k = b.K;
        for (int i = 0; i < b.N && k > 0 && b.X.Length == b.N * k; i++)
        {
            for (int c = 0; c < k; c++)
            {
                double qc = q(i, c);
                rows[i] |= float.IsNegativeInfinity(b.X[(i * k) + c]) && qc > 0 && qc < MinNormalFloat;
            }
        }

        return rows;
    }

    private const double MinNormalFloat = 1.1754943508222875e-38;

    public static double WeightTotal(SoftmaxCrossEntropyOptions o, int k) => o.ClassWeights?.Sum() ?? k;
}

/// <summary><see cref="SoftmaxCrossEntropy"/> with class-index targets (the fused float kernel and its short rows).</summary>
internal sealed class CrossEntropyIndexSpec : LossSpec<SoftmaxCrossEntropyOptions>
{
    public override string Name => "SoftmaxCrossEntropyWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels);

    public override Gen<(SoftmaxCrossEntropyOptions Options, string? BadOption)> Options(Batch b) => CrossEntropyGen.Options(b);

    public override LossResult Evaluate<T>(Batch b, SoftmaxCrossEntropyOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxCrossEntropy.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override bool HasDoubleSimd => true;

    public override LossResult EvaluateGenericDouble(Batch b, SoftmaxCrossEntropyOptions o, ReadOnlySpan<double> x, ReadOnlySpan<double> targets,
        ReadOnlySpan<double> weights, Span<double> gradient, Span<double> losses) =>
        SoftmaxCrossEntropy.EvaluateGeneric(x, b.Labels, b.K, o, gradient, losses);

    // A row's terms: its target weight Q = (1 - ε) w_y + (ε / K) Σ w (the loss is Q·log S plus non-negative terms, the
    // gradient (p Q - q) s / τ); an ignored row has none.
    public override Units Units(Batch b, SoftmaxCrossEntropyOptions o, Outcome reference)
    {
        int k = b.K;
        double total = CrossEntropyGen.WeightTotal(o, k);
        double s = Factor(o, reference.Result.Denominator, b.N);
        var row = new double[b.N];
        var grad = new double[b.N];
        for (int i = 0; i < b.N; i++)
        {
            int y = b.Labels[i];
            row[i] = y == o.IgnoreIndex ? 0 : ((1 - o.LabelSmoothing) * CrossEntropyGen.W(o, y)) + (o.LabelSmoothing / k * total);
            grad[i] = row[i] * Math.Abs(s) / o.Temperature;
            if (y != o.IgnoreIndex && o.LabelSmoothing > 0)
            {
                row[i] += CrossEntropyGen.SubnormalTermsAllowance(b, o, i, c => o.LabelSmoothing / k * CrossEntropyGen.W(o, c), c => CrossEntropyGen.W(o, c));
            }
        }

        return Fuzz.Units.PerRow(b, row, grad, s);
    }
}

/// <summary><see cref="SoftmaxCrossEntropy"/> with probability targets (the fused soft-target kernel).</summary>
internal sealed class CrossEntropySoftSpec : LossSpec<SoftmaxCrossEntropyOptions>
{
    public override bool[]? RowsBeyondFloat(Batch b, SoftmaxCrossEntropyOptions o) =>
        CrossEntropyGen.RowsWithAMaskedClassOfSubnormalWeight(b,
            (i, c) => CrossEntropyGen.W(o, c) * (((1 - o.LabelSmoothing) * b.Targets[(i * b.K) + c]) + (o.LabelSmoothing / b.K)));

    public override string Name => "SoftmaxCrossEntropyWithProbabilityTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ProbabilityRows);

    public override Gen<(SoftmaxCrossEntropyOptions Options, string? BadOption)> Options(Batch b) => CrossEntropyGen.Options(b);

    public override double Tolerance(SoftmaxCrossEntropyOptions o) => o.TargetSumTolerance;

    public override LossResult Evaluate<T>(Batch b, SoftmaxCrossEntropyOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxCrossEntropy.Evaluate(x, targets, b.K, o, gradient, losses);

    public override bool HasDoubleSimd => true;

    public override LossResult EvaluateGenericDouble(Batch b, SoftmaxCrossEntropyOptions o, ReadOnlySpan<double> x, ReadOnlySpan<double> targets,
        ReadOnlySpan<double> weights, Span<double> gradient, Span<double> losses) =>
        SoftmaxCrossEntropy.EvaluateGeneric(x, targets, b.K, o, gradient, losses);

    // A row's terms: Q = Σ_c w_c ((1 - ε) t_c + ε / K), as for index targets.
    public override Units Units(Batch b, SoftmaxCrossEntropyOptions o, Outcome reference)
    {
        int k = b.K;
        double s = Factor(o, reference.Result.Denominator, b.N);
        var row = new double[b.N];
        var grad = new double[b.N];
        for (int i = 0; i < b.N; i++)
        {
            double q = 0;
            for (int c = 0; c < k; c++)
            {
                q += CrossEntropyGen.W(o, c) * (((1 - o.LabelSmoothing) * b.Targets[(i * k) + c]) + (o.LabelSmoothing / k));
            }

            row[i] = q;
            grad[i] = q * Math.Abs(s) / o.Temperature;
            int r = i;
            row[i] += CrossEntropyGen.SubnormalTermsAllowance(b, o, i,
                c => CrossEntropyGen.W(o, c) * (((1 - o.LabelSmoothing) * b.Targets[(r * k) + c]) + (o.LabelSmoothing / k)), c => CrossEntropyGen.W(o, c));
        }

        return Fuzz.Units.PerRow(b, row, grad, s);
    }
}

/// <summary>Options of the softmax focal loss.</summary>
internal static class FocalGen
{
    public static Gen<(SoftmaxFocalOptions, string?)> Options(Batch b) =>
        from which in OptionGen.Which(b, 4)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from gamma in Gen.OneOf(2.0, 2.0, 0.0, 1.0, 0.5, 1.5, 3.0, 0.25)
        from alpha in Gen.OneOf(0.25, 0.25, 1.0, 0.0, 0.75, 3.0)
        from classAlpha in Gen.Frequency((3, Gen.Const((double[]?)null)), (1, OptionGen.Weights(b)))
        from badAlpha in OptionGen.BadWeights(Math.Max(1, b.K))
        from tolerance in OptionGen.Tolerance
        from bad in OptionGen.BadNonNegative
        select which switch
        {
            1 => (Make(reduction, whenEmpty, bad, alpha, classAlpha, tolerance, b), nameof(SoftmaxFocalOptions.Gamma)),
            2 => (Make(reduction, whenEmpty, gamma, bad, classAlpha, tolerance, b), nameof(SoftmaxFocalOptions.Alpha)),
            3 => (Make(reduction, whenEmpty, gamma, alpha, badAlpha, tolerance, b), nameof(SoftmaxFocalOptions.ClassAlpha)),
            4 => (Make(reduction, whenEmpty, gamma, alpha, classAlpha, OptionGen.BadTolerance(bad), b), nameof(SoftmaxFocalOptions.TargetSumTolerance)),
            _ => (Make(reduction, whenEmpty, gamma, alpha, classAlpha, tolerance, b), (string?)null),
        };

    private static SoftmaxFocalOptions Make(Reduction reduction, EmptyMean whenEmpty, double gamma, double alpha, double[]? classAlpha,
        double tolerance, Batch b) => new()
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            Gamma = gamma,
            Alpha = alpha,
            ClassAlpha = classAlpha,
            TargetSumTolerance = tolerance,
            IgnoreIndex = b.IgnoreIndex,
        };

    public static double AlphaOf(SoftmaxFocalOptions o, int c) => o.ClassAlpha is null ? o.Alpha : o.ClassAlpha[c];
}

/// <summary><see cref="SoftmaxFocal"/> with class-index targets (the fused focal kernel and its short rows).</summary>
internal sealed class FocalIndexSpec : LossSpec<SoftmaxFocalOptions>
{
    public override string Name => "SoftmaxFocalWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels);

    public override Gen<(SoftmaxFocalOptions Options, string? BadOption)> Options(Batch b) => FocalGen.Options(b);

    public override LossResult Evaluate<T>(Batch b, SoftmaxFocalOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxFocal.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    // Double input runs the double SIMD kernel without smoothing (the generic kernel with it: then both calls agree exactly).
    public override bool HasDoubleSimd => true;

    public override LossResult EvaluateGenericDouble(Batch b, SoftmaxFocalOptions o, ReadOnlySpan<double> x, ReadOnlySpan<double> targets,
        ReadOnlySpan<double> weights, Span<double> gradient, Span<double> losses) =>
        SoftmaxFocal.EvaluateGeneric(x, b.Labels, b.K, o, gradient, losses);

    // A row's terms: α_y (its loss is α_y q^γ L; its gradient T (p - onehot) with T ≤ α_y (1 + γ)).
    public override Units Units(Batch b, SoftmaxFocalOptions o, Outcome reference)
    {
        double s = Factor(o, reference.Result.Denominator, b.N);
        var row = new double[b.N];
        var grad = new double[b.N];
        for (int i = 0; i < b.N; i++)
        {
            int y = b.Labels[i];
            row[i] = y == o.IgnoreIndex ? 0 : FocalGen.AlphaOf(o, y);
            grad[i] = row[i] * (1 + o.Gamma) * Math.Abs(s);
        }

        return Fuzz.Units.PerRow(b, row, grad, s);
    }
}

/// <summary><see cref="SoftmaxFocal"/> with probability targets (fused for one α and γ in {0, 1, 2}).</summary>
internal sealed class FocalSoftSpec : LossSpec<SoftmaxFocalOptions>
{
    public override string Name => "SoftmaxFocalWithProbabilityTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ProbabilityRows);

    // The fused kernel's target weight α t_c is a float: as for cross-entropy, a masked class (logit -∞) whose α t_c is
    // positive but below float's normal range may flush to 0 and be left out like a zero target, where the double path's
    // loss is +∞ (a float limit, not a bug).
    public override bool[]? RowsBeyondFloat(Batch b, SoftmaxFocalOptions o) =>
        CrossEntropyGen.RowsWithAMaskedClassOfSubnormalWeight(b, (i, c) => FocalGen.AlphaOf(o, c) * b.Targets[(i * b.K) + c]);

    public override Gen<(SoftmaxFocalOptions Options, string? BadOption)> Options(Batch b) => FocalGen.Options(b);

    public override double Tolerance(SoftmaxFocalOptions o) => o.TargetSumTolerance;

    public override LossResult Evaluate<T>(Batch b, SoftmaxFocalOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxFocal.Evaluate(x, targets, b.K, o, gradient, losses);

    // A row's terms: Σ_c α_c t_c (and (1 + γ) times that, times s, for the gradient).
    public override Units Units(Batch b, SoftmaxFocalOptions o, Outcome reference)
    {
        int k = b.K;
        double s = Factor(o, reference.Result.Denominator, b.N);
        var row = new double[b.N];
        var grad = new double[b.N];
        for (int i = 0; i < b.N; i++)
        {
            for (int c = 0; c < k; c++)
            {
                row[i] += FocalGen.AlphaOf(o, c) * b.Targets[(i * k) + c];
            }

            grad[i] = row[i] * (1 + o.Gamma) * Math.Abs(s);
        }

        return Fuzz.Units.PerRow(b, row, grad, s);
    }
}

/// <summary>Options of the Poly-1 loss.</summary>
internal static class PolyGen
{
    public static Gen<(SoftmaxPoly1Options, string?)> Options(Batch b) =>
        from which in OptionGen.Which(b, 2)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from epsilon in Gen.OneOf(1.0, 0.0, -1.0, 2.5, 1e6)
        from tolerance in OptionGen.Tolerance
        from bad in Gen.OneOf(-1.5, double.NaN, double.PositiveInfinity)
        select (new SoftmaxPoly1Options
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            PolyCoefficient = which == 1 ? bad : epsilon,
            TargetSumTolerance = which == 2 ? -1 : tolerance,
            IgnoreIndex = b.IgnoreIndex,
        }, which switch { 1 => nameof(SoftmaxPoly1Options.PolyCoefficient), 2 => nameof(SoftmaxPoly1Options.TargetSumTolerance), _ => (string?)null });
}

/// <summary><see cref="SoftmaxPoly1"/> with class-index targets (generic in both types).</summary>
internal sealed class PolyIndexSpec : LossSpec<SoftmaxPoly1Options>
{
    public override string Name => "PolyLossWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels);

    public override Gen<(SoftmaxPoly1Options Options, string? BadOption)> Options(Batch b) => PolyGen.Options(b);

    public override LossResult Evaluate<T>(Batch b, SoftmaxPoly1Options o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxPoly1.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, SoftmaxPoly1Options o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="SoftmaxPoly1"/> with probability targets (generic in both types).</summary>
internal sealed class PolySoftSpec : LossSpec<SoftmaxPoly1Options>
{
    public override string Name => "PolyLossWithProbabilityTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ProbabilityRows);

    public override Gen<(SoftmaxPoly1Options Options, string? BadOption)> Options(Batch b) => PolyGen.Options(b);

    public override double Tolerance(SoftmaxPoly1Options o) => o.TargetSumTolerance;

    public override LossResult Evaluate<T>(Batch b, SoftmaxPoly1Options o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxPoly1.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, SoftmaxPoly1Options o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary>Options of the Brier scores.</summary>
internal static class BrierGen
{
    /// <summary>The options of a Brier score; <paramref name="elementTargets"/>: the sigmoid form, which takes neither
    /// an ignore index nor a row-sum tolerance.</summary>
    public static Gen<(TOptions, string?)> Options<TOptions>(Batch b, bool elementTargets = false)
        where TOptions : BrierScoreOptions, new() =>
        from which in OptionGen.Which(b, elementTargets ? 1 : 2)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from average in Gen.OneOf(BrierAverage.PerRowSum, BrierAverage.PerElement)
        from tolerance in OptionGen.Tolerance
        select (elementTargets
            ? new TOptions { Reduction = reduction, WhenEmpty = whenEmpty, Average = which == 1 ? (BrierAverage)7 : average }
            : new TOptions
            {
                Reduction = reduction,
                WhenEmpty = whenEmpty,
                Average = which == 1 ? (BrierAverage)7 : average,
                TargetSumTolerance = which == 2 ? -1 : tolerance,
                IgnoreIndex = b.IgnoreIndex,
            }, which switch { 1 => nameof(BrierScoreOptions.Average), 2 => nameof(BrierScoreOptions.TargetSumTolerance), _ => (string?)null });
}

/// <summary><see cref="SoftmaxBrierScore"/> with class-index targets.</summary>
internal sealed class SoftmaxBrierIndexSpec : LossSpec<SoftmaxBrierScoreOptions>
{
    public override string Name => "SoftmaxBrierScoreWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels);

    public override Gen<(SoftmaxBrierScoreOptions Options, string? BadOption)> Options(Batch b) => BrierGen.Options<SoftmaxBrierScoreOptions>(b);

    public override LossResult Evaluate<T>(Batch b, SoftmaxBrierScoreOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxBrierScore.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, SoftmaxBrierScoreOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="SoftmaxBrierScore"/> with probability targets.</summary>
internal sealed class SoftmaxBrierSoftSpec : LossSpec<SoftmaxBrierScoreOptions>
{
    public override string Name => "SoftmaxBrierScoreWithProbabilityTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ProbabilityRows);

    public override Gen<(SoftmaxBrierScoreOptions Options, string? BadOption)> Options(Batch b) => BrierGen.Options<SoftmaxBrierScoreOptions>(b);

    public override double Tolerance(SoftmaxBrierScoreOptions o) => o.TargetSumTolerance;

    public override LossResult Evaluate<T>(Batch b, SoftmaxBrierScoreOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxBrierScore.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, SoftmaxBrierScoreOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="ZLoss.Evaluate{T}(ReadOnlySpan{T}, int, ZLossOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/> or
/// <see cref="ZLoss.AddTo{T}(ReadOnlySpan{T}, int, ZLossOptions, Span{T}, Span{T})"/> (no targets).</summary>
internal sealed class ZLossSpec(bool addTo) : LossSpec<ZLossOptions>
{
    public override string Name => addTo ? "ZLossAddTo" : "ZLossEvaluate";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.None);

    public override bool AccumulatesGradient => addTo;

    public override Gen<(ZLossOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 1)
        from reduction in OptionGen.Reductions
        from coefficient in Gen.OneOf(1e-4, 0.0, 1.0, 1e-3)
        from bad in OptionGen.BadNonNegative
        select (new ZLossOptions { Reduction = reduction, Coefficient = which == 1 ? bad : coefficient }, which == 1 ? nameof(ZLossOptions.Coefficient) : (string?)null);

    public override LossResult Evaluate<T>(Batch b, ZLossOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        addTo ? ZLoss.AddTo(x, b.K, o, gradient, losses) : ZLoss.Evaluate(x, b.K, o, gradient, losses);

    public override Units Units(Batch b, ZLossOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="SoftmaxEntropy"/> (no targets).</summary>
internal sealed class EntropyFromLogitsSpec : LossSpec<SoftmaxEntropyOptions>
{
    public override string Name => "EntropyFromLogits";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.None);

    public override Gen<(SoftmaxEntropyOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        select (new SoftmaxEntropyOptions { Reduction = reduction, WhenEmpty = whenEmpty }, (string?)null);

    public override LossResult Evaluate<T>(Batch b, SoftmaxEntropyOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SoftmaxEntropy.Evaluate(x, b.K, o, gradient, losses);

    public override Units Units(Batch b, SoftmaxEntropyOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="SparsemaxLoss"/>, which rejects non-finite logits of rows that are not ignored.</summary>
internal sealed class SparsemaxLossSpec : LossSpec<SparsemaxLossOptions>
{
    public override string Name => "SparsemaxLoss";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels, InputFaults: true);

    public override Gen<(SparsemaxLossOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        select (new SparsemaxLossOptions { Reduction = reduction, WhenEmpty = whenEmpty, IgnoreIndex = b.IgnoreIndex }, (string?)null);

    public override LossResult Evaluate<T>(Batch b, SparsemaxLossOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SparsemaxLoss.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    // The labels are checked first; then each counted row's logits must be finite (the message names no row).
    public override Violation? FirstViolation(Batch b, SparsemaxLossOptions o)
    {
        if (base.FirstViolation(b, o) is { } labels)
        {
            return labels;
        }

        for (int i = 0; i < b.N; i++)
        {
            if (b.Labels[i] != o.IgnoreIndex && !b.X.AsSpan(i * b.K, b.K).ToArray().All(float.IsFinite))
            {
                return new Violation("input", "non-finite");
            }
        }

        return null;
    }

    public override Units Units(Batch b, SparsemaxLossOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="MultiMarginHinge"/> (labels must be classes: no ignore index).</summary>
internal sealed class MultiMarginSpec : LossSpec<MultiMarginHingeOptions>
{
    public override string Name => "MultiMarginHinge";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels, IgnorableLabels: false);

    public override Gen<(MultiMarginHingeOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 3)
        from reduction in OptionGen.Reductions
        from power in Gen.OneOf(1, 2)
        from margin in Gen.OneOf(1.0, 0.0, -1.0, 0.5, 100.0, 1e30)
        from weights in OptionGen.Weights(b)
        from badWeights in OptionGen.BadWeights(Math.Max(1, b.K))
        select which switch
        {
            1 => (new MultiMarginHingeOptions { Reduction = reduction, Power = 3, Margin = margin, ClassWeights = weights }, nameof(MultiMarginHingeOptions.Power)),
            2 => (new MultiMarginHingeOptions { Reduction = reduction, Power = power, Margin = double.NaN, ClassWeights = weights }, nameof(MultiMarginHingeOptions.Margin)),
            3 => (new MultiMarginHingeOptions { Reduction = reduction, Power = power, Margin = margin, ClassWeights = badWeights }, nameof(MultiMarginHingeOptions.ClassWeights)),
            _ => (new MultiMarginHingeOptions { Reduction = reduction, Power = power, Margin = margin, ClassWeights = weights }, (string?)null),
        };

    public override LossResult Evaluate<T>(Batch b, MultiMarginHingeOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        MultiMarginHinge.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, MultiMarginHingeOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}
