using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet.Tests;

/// <summary>
/// The SDCA duals are the losses' duals: the dual loss is <c>-ℓ*(-α) = inf_z (α z + ℓ(z))</c>, found here numerically
/// from the adapter's own <c>Loss</c>; the closed-form steps maximise the one-coordinate dual objective; the log loss's
/// approximate step increases it and stays feasible. And the focal loss, which has none, is shown not to be convex.
/// </summary>
public sealed class SdcaDualTests
{
    /// <summary><c>inf_z (α z + ℓ(z))</c> by ternary search over a convex function of z on [-60, 60].</summary>
    private static double NumericNegatedConjugate(IClassificationLoss loss, float label, double dual)
    {
        double F(double z) => dual * z + loss.Loss((float)z, label);
        double lo = -60, hi = 60;
        for (int i = 0; i < 200; i++)
        {
            double a = lo + (hi - lo) / 3, b = hi - (hi - lo) / 3;
            if (F(a) <= F(b))
            {
                hi = b;
            }
            else
            {
                lo = a;
            }
        }

        return F((lo + hi) / 2);
    }

    /// <summary>Dual values in the feasible interval of each loss and label: the optimal duals <c>-ℓ'(z)</c> at a few
    /// scores (they sweep the interval, or its ends for the hinge) and the midpoints between them.</summary>
    private static IEnumerable<double> FeasibleDuals(ISupportSdcaClassificationLoss loss, float label)
    {
        double[] optimal = [.. new[] { -5f, -2f, -0.8f, -0.2f, 0.3f, 0.9f, 1.7f, 4f }.Select(z => -(double)loss.Derivative(z, label)).Distinct().Order()];
        for (int i = 0; i < optimal.Length; i++)
        {
            yield return optimal[i];
            if (i + 1 < optimal.Length)
            {
                yield return (optimal[i] + optimal[i + 1]) / 2;
            }
        }
    }

    [Theory]
    [MemberData(nameof(LossCases.SdcaNames), MemberType = typeof(LossCases))]
    public void Dual_loss_is_the_negated_conjugate_of_the_loss(string name)
    {
        var loss = LossCases.Sdca[name];
        foreach (float label in LossCases.Labels)
        {
            foreach (double dual in FeasibleDuals(loss, label))
            {
                double expected = NumericNegatedConjugate(loss, label, dual);
                double actual = loss.DualLoss(label, (float)dual);
                Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Max(1, Math.Abs(expected)),
                    $"{name}, label {label}, dual {dual}: inf_z (αz + ℓ(z)) = {expected}, DualLoss {actual}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LossCases.SdcaNames), MemberType = typeof(LossCases))]
    public void Dual_loss_is_minus_infinity_off_the_feasible_side(string name)
    {
        var loss = LossCases.Sdca[name];

        // The optimal dual is -ℓ'(z), which has the sign of s = ±1 (or is near 0) for every loss here; a dual of the
        // other sign and well away from 0 is infeasible, and the conjugate there is unbounded below.
        Assert.True(double.IsNegativeInfinity(loss.DualLoss(1f, -2.5f)), $"{name}: positive label, dual -2.5 gave {loss.DualLoss(1f, -2.5f)}");
        Assert.True(double.IsNegativeInfinity(loss.DualLoss(0f, 2.5f)), $"{name}: negative label, dual 2.5 gave {loss.DualLoss(0f, 2.5f)}");
        Assert.True(NumericNegatedConjugate(loss, 1f, -2.5) < -100, $"{name}: the conjugate is bounded where DualLoss says -inf");
    }

    /// <summary>The coordinate objective SDCA maximises over the step Δ: <c>D(Δ) = -ℓ*(-(α + Δ)) - Δ z - q Δ² / 2</c>.</summary>
    private static double Coordinate(ISupportSdcaClassificationLoss loss, float label, double dual, double z, double q, double step) =>
        loss.DualLoss(label, (float)(dual + step)) - step * z - q * step * step / 2;

    private static IEnumerable<(float Label, float Dual, float Z, float Q)> States(ISupportSdcaClassificationLoss loss)
    {
        foreach (float label in LossCases.Labels)
        {
            float s = label > 0 ? 1 : -1;
            foreach (float b in new[] { 0f, 0.3f, 0.8f, 1f })
            {
                float dual = s * b;
                if (double.IsNegativeInfinity(loss.DualLoss(label, dual)))
                {
                    continue;
                }

                foreach (float z in new[] { -2.2f, -0.6f, 0.1f, 0.9f, 1.8f })
                {
                    foreach (float q in new[] { 0.05f, 0.7f, 3f, 40f })
                    {
                        yield return (label, dual, z, q);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(LossCases.ExactStepNames), MemberType = typeof(LossCases))]
    public void Closed_form_dual_step_maximises_the_coordinate_dual(string name)
    {
        var loss = LossCases.Sdca[name];
        foreach (var (label, dual, z, q) in States(loss))
        {
            float invariant = loss.ComputeDualUpdateInvariant(q);
            double step = loss.DualUpdate(z, label, dual, invariant, maxNumThreads: 1);
            double best = Coordinate(loss, label, dual, z, q, step);
            Assert.True(double.IsFinite(best), $"{name}: the step {step} from dual {dual} (label {label}) left the feasible set");
            for (double other = -3; other <= 3; other += 0.01)
            {
                double value = Coordinate(loss, label, dual, z, q, other);
                Assert.True(value <= best + 1e-5 * Math.Max(1, Math.Abs(best)),
                    $"{name}, label {label}, dual {dual}, z {z}, q {q}: step {step} gives {best}, step {other} gives {value}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(LossCases.LogNames), MemberType = typeof(LossCases))]
    public void Log_loss_dual_step_stays_feasible_and_does_not_decrease_the_coordinate_dual(string name)
    {
        var loss = LossCases.Sdca[name];
        int increased = 0;
        foreach (float label in LossCases.Labels)
        {
            foreach (double dual in FeasibleDuals(loss, label))
            {
                foreach (float z in new[] { -2.2f, -0.6f, 0.1f, 0.9f, 1.8f })
                {
                    foreach (float q in new[] { 0.05f, 0.7f, 3f, 40f })
                    {
                        float invariant = loss.ComputeDualUpdateInvariant(q);
                        double step = loss.DualUpdate(z, label, (float)dual, invariant, maxNumThreads: 1);
                        double before = Coordinate(loss, label, dual, z, q, 0);
                        double after = Coordinate(loss, label, dual, z, q, step);
                        Assert.True(double.IsFinite(after), $"{name}: the step {step} from dual {dual} (label {label}) left the feasible set");
                        Assert.True(after >= before - 1e-7, $"{name}, label {label}, dual {dual}, z {z}, q {q}: the step {step} lowered the dual from {before} to {after}");
                        if (after > before + 1e-9)
                        {
                            increased++;
                        }
                    }
                }
            }
        }

        Assert.True(increased > 100, $"{name}: the step increased the dual only {increased} times");
    }

    [Theory]
    [InlineData(2.0, -4.0)]
    [InlineData(0.5, -6.0)]
    [InlineData(5.0, -4.0)]
    public void Focal_loss_is_not_convex_in_the_score(double gamma, double margin)
    {
        // In the margin u = s z the focal loss bends down for u < -2 - 1/γ (ClassLossFocal's remarks): no convex
        // conjugate describes it, which is why it has no SDCA dual. The log loss (γ = 0) at the same point bends up.
        var focal = new ClassLossFocal(gamma, applyClassBalancing: false);
        var log = new ClassLossFocal(0, applyClassBalancing: false);
        const double h = 0.25;
        double SecondDifference(IClassificationLoss loss, float label)
        {
            float z = (float)(label > 0 ? margin : -margin);
            return loss.Loss(z + (float)h, label) - 2 * loss.Loss(z, label) + loss.Loss(z - (float)h, label);
        }

        foreach (float label in LossCases.Labels)
        {
            Assert.True(SecondDifference(focal, label) < 0, $"γ {gamma}, label {label}: second difference {SecondDifference(focal, label)}");
            Assert.True(SecondDifference(log, label) > 0, $"γ 0, label {label}: second difference {SecondDifference(log, label)}");
        }
    }
}
