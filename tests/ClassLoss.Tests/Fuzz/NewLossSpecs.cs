using ClassLoss.Activations;
using ClassLoss.Losses;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

// The fuzz specifications of the losses and the activation added for issue 11 (item 5): every one is generic in both
// types, so the float path is the double path rounded once and Units.Relative applies.

/// <summary>The argument names of the new losses (the default list plus <c>input</c> and Gaussian NLL's variance).</summary>
internal static class NewLossArguments
{
    public static readonly string[] All =
        ["input", "logits", "labels", "targets", "gradient", "losses", "classes", "variance", "varianceGradient"];
}

/// <summary><see cref="CategoricalHinge"/> with class indices (ignorable).</summary>
internal sealed class CategoricalHingeIndexSpec : LossSpec<CategoricalHingeOptions>
{
    public override string Name => "CategoricalHingeWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(CategoricalHingeOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        select (new CategoricalHingeOptions { Reduction = reduction, WhenEmpty = whenEmpty, IgnoreIndex = b.IgnoreIndex }, (string?)null);

    public override LossResult Evaluate<T>(Batch b, CategoricalHingeOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        CategoricalHinge.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, CategoricalHingeOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="CategoricalHinge"/> with [0, 1] target rows.</summary>
internal sealed class CategoricalHingeRowsSpec : LossSpec<CategoricalHingeOptions>
{
    public override string Name => "CategoricalHingeWithTargetRows";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(CategoricalHingeOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        select (new CategoricalHingeOptions { Reduction = reduction, WhenEmpty = whenEmpty }, (string?)null);

    public override LossResult Evaluate<T>(Batch b, CategoricalHingeOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        CategoricalHinge.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, CategoricalHingeOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="CrammerSingerHinge"/> (ignorable class indices).</summary>
internal sealed class CrammerSingerHingeSpec : LossSpec<CrammerSingerHingeOptions>
{
    public override string Name => "CrammerSingerHinge";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.Labels);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(CrammerSingerHingeOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        select (new CrammerSingerHingeOptions { Reduction = reduction, WhenEmpty = whenEmpty, IgnoreIndex = b.IgnoreIndex }, (string?)null);

    public override LossResult Evaluate<T>(Batch b, CrammerSingerHingeOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        CrammerSingerHinge.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, CrammerSingerHingeOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary>
/// <see cref="MultiLabelMargin"/> with multi-hot rows or (<paramref name="indexRows"/>) the same rows in torch's layout.
/// The generated element targets are rounded to 0/1 (soft ones would all be rejected); invalid ones stay invalid for the
/// multi-hot overload, and are made valid for the index layout (which cannot carry them).
/// </summary>
internal sealed class MultiLabelMarginSpec(bool indexRows) : LossSpec<MultiLabelMarginOptions>
{
    public override string Name => indexRows ? "MultiLabelMarginWithIndexRows" : "MultiLabelMarginWithMultiHotRows";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(MultiLabelMarginOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        select (new MultiLabelMarginOptions { Reduction = reduction }, (string?)null);

    public override float[] TargetsFor(Batch b, MultiLabelMarginOptions o) => Array.ConvertAll(b.Targets, v =>
        v >= 0 && v <= 1 ? (v >= 0.5f ? 1f : 0f) : indexRows ? 0f : v);

    public override Violation? FirstViolation(Batch b, MultiLabelMarginOptions o)
    {
        float[] t = TargetsFor(b, o);
        for (int at = 0; at < t.Length; at++)
        {
            if (t[at] != 0 && t[at] != 1)
            {
                return new Violation("targets", Invariant($"targets row {at / b.K}, column {at % b.K} is"));
            }
        }

        return null;
    }

    public override LossResult Evaluate<T>(Batch b, MultiLabelMarginOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses)
    {
        if (!indexRows)
        {
            return MultiLabelMargin.Evaluate(x, targets, b.K, o, gradient, losses);
        }

        int k = Math.Max(1, b.K);
        var lists = new int[targets.Length];
        Array.Fill(lists, -1);
        for (int i = 0; i < targets.Length / k; i++)
        {
            int listed = 0;
            for (int c = 0; c < k; c++)
            {
                if (targets[(i * k) + c] == T.One)
                {
                    lists[(i * k) + listed++] = c;
                }
            }
        }

        return MultiLabelMargin.Evaluate(x, lists, b.K, o, gradient, losses);
    }

    public override Units Units(Batch b, MultiLabelMarginOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="MultiLabelSoftMargin"/> (class weights; row or element losses).</summary>
internal sealed class MultiLabelSoftMarginSpec : LossSpec<MultiLabelSoftMarginOptions>
{
    public override string Name => "MultiLabelSoftMargin";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(MultiLabelSoftMarginOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 1)
        from reduction in OptionGen.Reductions
        from weights in OptionGen.Weights(b)
        from bad in OptionGen.BadWeights(Math.Max(1, b.K))
        select (new MultiLabelSoftMarginOptions { Reduction = reduction, ClassWeights = which == 1 ? bad : weights },
            which == 1 ? nameof(MultiLabelSoftMarginOptions.ClassWeights) : (string?)null);

    public override LossResult Evaluate<T>(Batch b, MultiLabelSoftMarginOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        MultiLabelSoftMargin.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, MultiLabelSoftMarginOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="FenchelYoung"/> with class indices or probability rows, every regulariser; it rejects NaN and
/// <c>+∞</c> logits and rows of only <c>-∞</c>.</summary>
internal sealed class FenchelYoungSpec(bool rows) : LossSpec<FenchelYoungOptions>
{
    public override string Name => rows ? "FenchelYoungLossWithProbabilityTargets" : "FenchelYoungLossWithIndexTargets";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, rows ? TargetKind.ProbabilityRows : TargetKind.Labels, InputFaults: true);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(FenchelYoungOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 2)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from regularizer in Gen.OneOf(FenchelYoungRegularizer.Softmax, FenchelYoungRegularizer.Sparsemax, FenchelYoungRegularizer.Entmax15)
        from tolerance in OptionGen.Tolerance
        from bad in OptionGen.BadNonNegative
        select (new FenchelYoungOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            IgnoreIndex = b.IgnoreIndex,
            Regularizer = which == 1 ? (FenchelYoungRegularizer)7 : regularizer,
            TargetSumTolerance = which == 2 ? OptionGen.BadTolerance(bad) : tolerance,
        }, which switch
        {
            1 => nameof(FenchelYoungOptions.Regularizer),
            2 => nameof(FenchelYoungOptions.TargetSumTolerance),
            _ => (string?)null,
        });

    public override double Tolerance(FenchelYoungOptions o) => o.TargetSumTolerance;

    // Row by row: a NaN or +∞ logit (the first in the row), else a row without a finite logit.
    public override Violation? InputViolation(Batch b)
    {
        for (int i = 0; i < b.N; i++)
        {
            bool finite = false;
            for (int c = 0; c < b.K; c++)
            {
                float v = b.X[(i * b.K) + c];
                if (float.IsNaN(v) || float.IsPositiveInfinity(v))
                {
                    return new Violation("input", Invariant($"input row {i}, column {c} is"));
                }

                finite |= float.IsFinite(v);
            }

            if (!finite)
            {
                return new Violation("input", Invariant($"input row {i} has no finite logit"));
            }
        }

        return null;
    }

    public override LossResult Evaluate<T>(Batch b, FenchelYoungOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        rows ? FenchelYoung.Evaluate(x, targets, b.K, o, gradient, losses) : FenchelYoung.Evaluate(x, b.Labels, b.K, o, gradient, losses);

    public override Units Units(Batch b, FenchelYoungOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="BinarySparsemaxLoss"/> (row or element losses).</summary>
internal sealed class BinarySparsemaxSpec : LossSpec<BinarySparsemaxLossOptions>
{
    public override string Name => "BinarySparsemaxLoss";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(BinarySparsemaxLossOptions Options, string? BadOption)> Options(Batch b) =>
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        select (new BinarySparsemaxLossOptions { Reduction = reduction, WhenEmpty = whenEmpty }, (string?)null);

    public override LossResult Evaluate<T>(Batch b, BinarySparsemaxLossOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        BinarySparsemaxLoss.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, BinarySparsemaxLossOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="SigmoidAsymmetricFocal"/> (γ-, γ+, margin; row or element losses).</summary>
internal sealed class AsymmetricLossSpec : LossSpec<SigmoidAsymmetricFocalOptions>
{
    public override string Name => "SigmoidAsymmetricFocal";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(SigmoidAsymmetricFocalOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 3)
        from reduction in OptionGen.Reductions
        from whenEmpty in OptionGen.WhenEmpties
        from gammaNeg in Gen.OneOf(4.0, 4.0, 0.0, 1.0, 0.5, 2.0)
        from gammaPos in Gen.OneOf(1.0, 0.0, 0.0, 0.25, 2.0)
        from margin in Gen.OneOf(0.05, 0.05, 0.0, 0.2, 0.999)
        from bad in OptionGen.BadNonNegative
        from badMargin in Gen.OneOf(1.0, -0.1, double.NaN, 2.0)
        select (new SigmoidAsymmetricFocalOptions
        {
            Reduction = reduction,
            WhenEmpty = whenEmpty,
            GammaNegative = which == 1 ? bad : gammaNeg,
            GammaPositive = which == 2 ? bad : gammaPos,
            Margin = which == 3 ? badMargin : margin,
        }, which switch
        {
            1 => nameof(SigmoidAsymmetricFocalOptions.GammaNegative),
            2 => nameof(SigmoidAsymmetricFocalOptions.GammaPositive),
            3 => nameof(SigmoidAsymmetricFocalOptions.Margin),
            _ => (string?)null,
        });

    public override LossResult Evaluate<T>(Batch b, SigmoidAsymmetricFocalOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses) =>
        SigmoidAsymmetricFocal.Evaluate(x, targets, b.K, o, gradient, losses);

    public override Units Units(Batch b, SigmoidAsymmetricFocalOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary>
/// <see cref="GaussianNegativeLogLikelihood"/>: the generated element weights (non-negative, some 0 or huge) are the
/// variances, per element or (<paramref name="perRow"/>) the first N of them per row; without weights the shared-variance
/// overload runs. Targets are regression values: never rejected, and a non-finite target gives a NaN or infinite loss.
/// </summary>
internal sealed class GaussianNllSpec(bool perRow) : LossSpec<GaussianNegativeLogLikelihoodOptions>
{
    public override string Name => perRow ? "GaussianNegativeLogLikelihoodPerRowVariance" : "GaussianNegativeLogLikelihood";

    public override BatchSpec Batch { get; } = new(InputKind.Logits, TargetKind.ElementTargets, Losses: LossBuffer.RowsOrElements, ElementWeights: true);

    public override string[] Arguments => NewLossArguments.All;

    public override Gen<(GaussianNegativeLogLikelihoodOptions Options, string? BadOption)> Options(Batch b) =>
        from which in OptionGen.Which(b, 2)
        from reduction in OptionGen.Reductions
        from full in Gen.Bool
        from floor in Gen.OneOf(1e-6, 1e-6, 1e-3, 1e-30)
        from shared in Gen.OneOf(1.0, 1.0, 0.0, 1e-9, 4.0, 1e30)
        from clamp in Gen.OneOf(ClampedVarianceGradient.Zero, ClampedVarianceGradient.StraightThrough)
        from bad in OptionGen.BadNonNegative
        select (new GaussianNegativeLogLikelihoodOptions
        {
            Reduction = reduction,
            Full = full,
            MinimumVariance = which == 1 ? (bad > 0 ? 0 : bad) : floor,
            SharedVariance = which == 2 ? bad : shared,
            ClampedGradient = clamp,
        }, which switch
        {
            1 => nameof(GaussianNegativeLogLikelihoodOptions.MinimumVariance),
            2 => nameof(GaussianNegativeLogLikelihoodOptions.SharedVariance),
            _ => (string?)null,
        });

    // The targets are not checked (any real value is a regression target).
    public override Violation? FirstViolation(Batch b, GaussianNegativeLogLikelihoodOptions o) => null;

    public override string? NaNAllowed(Batch b, GaussianNegativeLogLikelihoodOptions o, Outcome reference) =>
        Array.Exists(b.Targets, v => !float.IsFinite(v)) ? "a non-finite target" : base.NaNAllowed(b, o, reference);

    public override LossResult Evaluate<T>(Batch b, GaussianNegativeLogLikelihoodOptions o, ReadOnlySpan<T> x, ReadOnlySpan<T> targets, ReadOnlySpan<T> weights, Span<T> gradient, Span<T> losses)
    {
        if (weights.IsEmpty)
        {
            return GaussianNegativeLogLikelihood.Evaluate(x, targets, b.K, o, gradient, losses);
        }

        ReadOnlySpan<T> variance = perRow ? weights[..Math.Min(b.N, weights.Length)] : weights;
        var varianceGradient = new T[gradient.IsEmpty ? 0 : variance.Length];
        return GaussianNegativeLogLikelihood.Evaluate(x, targets, variance, b.K, o, gradient, varianceGradient, losses);
    }

    public override Units Units(Batch b, GaussianNegativeLogLikelihoodOptions o, Outcome reference) => Fuzz.Units.Relative(b);
}

/// <summary><see cref="Entmax15.Forward{T}(ReadOnlySpan{T}, int, Span{T})"/>, with or without scratch.</summary>
internal sealed class Entmax15ForwardSpec(bool withScratch) : ActivationSpec
{
    public override string Name => withScratch ? "Entmax15ForwardWithScratch" : "Entmax15Forward";

    public override bool Scratch => withScratch;

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch)
    {
        if (withScratch)
        {
            Entmax15.Forward(x, c.K, y, scratch);
        }
        else
        {
            Entmax15.Forward(x, c.K, y);
        }
    }
}

/// <summary><see cref="Entmax15.Backward{T}"/> at the double forward rounded to float.</summary>
internal sealed class Entmax15BackwardSpec : ActivationSpec
{
    public override string Name => "Entmax15Backward";

    public override bool Upstream => true;

    public override float[] Input(ActivationCase c) => ForwardOf(c.X, c.K, (x, k, y) => Entmax15.Forward<double>(x, k, y));

    public override void Run<T>(ActivationCase c, ReadOnlySpan<T> x, ReadOnlySpan<T> upstream, Span<T> y, Span<double> scratch) =>
        Entmax15.Backward(x, upstream, c.K, y);

    // dx_c = s_c (g_c - q): terms of the size of the row's largest |g|.
    public override double Unit(ActivationCase c, float[] input, int j)
    {
        int k = c.K, r = j / k;
        double m = 0;
        for (int i = 0; i < k; i++)
        {
            m = Math.Max(m, Math.Abs(c.Upstream[(r * k) + i]));
        }

        return double.IsFinite(m) ? m : 0;
    }
}

/// <summary>The fuzz tests of the losses and the activation added for issue 11 (generic kernels in both types).</summary>
public class NewLossFuzzTests
{
    [Fact]
    public void CategoricalHingeWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new CategoricalHingeIndexSpec(), 1_000);

    [Fact]
    public void CategoricalHingeWithTargetRows_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new CategoricalHingeRowsSpec(), 1_000);

    [Fact]
    public void CrammerSingerHinge_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new CrammerSingerHingeSpec(), 1_000);

    [Fact]
    public void MultiLabelMarginWithMultiHotRows_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new MultiLabelMarginSpec(indexRows: false), 800);

    [Fact]
    public void MultiLabelMarginWithIndexRows_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new MultiLabelMarginSpec(indexRows: true), 500);

    [Fact]
    public void MultiLabelSoftMargin_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new MultiLabelSoftMarginSpec(), 1_000);

    [Fact]
    public void FenchelYoungLossWithIndexTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new FenchelYoungSpec(rows: false), 1_000);

    [Fact]
    public void FenchelYoungLossWithProbabilityTargets_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new FenchelYoungSpec(rows: true), 1_000);

    [Fact]
    public void BinarySparsemaxLoss_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new BinarySparsemaxSpec(), 1_000);

    [Fact]
    public void AsymmetricLoss_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new AsymmetricLossSpec(), 1_000);

    [Fact]
    public void GaussianNegativeLogLikelihood_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new GaussianNllSpec(perRow: false), 800);

    [Fact]
    public void GaussianNegativeLogLikelihoodPerRowVariance_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => LossFuzz.Run(new GaussianNllSpec(perRow: true), 500);

    [Fact]
    public void Entmax15Forward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new Entmax15ForwardSpec(withScratch: false), 600);

    [Fact]
    public void Entmax15ForwardWithScratch_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new Entmax15ForwardSpec(withScratch: true), 400);

    [Fact]
    public void Entmax15Backward_ThrowsOnlyForBadInputs_NeverNaN_FloatMatchesDouble() => ActivationFuzz.Run(new Entmax15BackwardSpec(), 400);
}
