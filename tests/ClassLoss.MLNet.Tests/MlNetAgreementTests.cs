using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet.Tests;

/// <summary>
/// Where one of ours is one of ML.NET's built-in losses, the two agree: value, derivative, and the SDCA trio
/// (invariant, dual step, dual loss).
/// </summary>
public sealed class MlNetAgreementTests
{
    /// <summary>Scores from -15 to 15, with the kinks ±1 and 0 and points next to them.</summary>
    private static IEnumerable<float> Scores()
    {
        for (int i = -60; i <= 60; i++)
        {
            yield return i * 0.25f;
        }

        foreach (float z in new[] { 0.999f, 1.001f, -0.999f, -1.001f, 1e-3f, -1e-3f, 0.5f, -0.5f })
        {
            yield return z;
        }
    }

    /// <summary>ML.NET's losses take the label as a float and call it positive when &gt; 0; so do ours.</summary>
    private static readonly float[] MlNetLabels = [0f, 1f, -1f];

    private static void AssertClose(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: ML.NET {expected}, ours {actual}");

    [Fact]
    public void Log_loss_equals_MLNets_LogLoss()
    {
        var theirs = new LogLoss();
        var ours = new ClassLossLogLoss();
        foreach (float label in MlNetLabels)
        {
            foreach (float z in Scores())
            {
                // ML.NET's sigmoid is a float polynomial approximation (MathUtils.SigmoidFast) and it takes the log of
                // σ or 1 - σ in float, so its value drifts from the exact one as |z| grows (relative 5e-6 at |z| = 8,
                // 2e-3 at 15); ours is exact in double. The derivatives agree to float rounding everywhere.
                if (Math.Abs(z) <= 8)
                {
                    AssertClose(theirs.Loss(z, label), ours.Loss(z, label), 1e-5, $"loss at {z}, label {label}");
                }

                AssertClose(theirs.Derivative(z, label), ours.Derivative(z, label), 2e-6, $"derivative at {z}, label {label}");
            }
        }
    }

    [Fact]
    public void Log_loss_keeps_growing_where_MLNets_clamped_log_loss_stops()
    {
        // ML.NET clamps the probability at 1e-8, so a confident mistake costs at most ln(1e8) ≈ 18.42 nats; ours is
        // softplus(z) exactly.
        var theirs = new LogLoss();
        var ours = new ClassLossLogLoss();
        Assert.Equal(Math.Log(1e8), theirs.Loss(30f, 0f), 3);
        Assert.Equal(30 + Math.Log(1 + Math.Exp(-30)), ours.Loss(30f, 0f), 12);
        Assert.Equal(30 + Math.Log(1 + Math.Exp(-30)), ours.Loss(-30f, 1f), 12);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Hinge_equals_MLNets_HingeLoss(double margin)
    {
        var theirs = new HingeLoss((float)margin);
        var ours = new ClassLossHinge(margin);
        foreach (float label in MlNetLabels)
        {
            foreach (float z in Scores().Append((float)margin).Append(-(float)margin))
            {
                AssertClose(theirs.Loss(z, label), ours.Loss(z, label), 1e-6, $"loss at {z}, label {label}");
                Assert.Equal(theirs.Derivative(z, label), ours.Derivative(z, label));
            }
        }
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.25)]
    [InlineData(2.0)]
    public void Smoothed_hinge_equals_MLNets_SmoothedHingeLoss(double smoothing)
    {
        var theirs = new SmoothedHingeLoss((float)smoothing);
        var ours = new ClassLossSmoothedHinge(smoothing);
        foreach (float label in MlNetLabels)
        {
            foreach (float z in Scores())
            {
                AssertClose(theirs.Loss(z, label), ours.Loss(z, label), 1e-6, $"loss at {z}, label {label}");
                AssertClose(theirs.Derivative(z, label), ours.Derivative(z, label), 1e-6, $"derivative at {z}, label {label}");
            }
        }
    }

    public static TheoryData<string> SdcaPairs => ["log", "hinge", "hinge m=0.5", "smoothed hinge", "smoothed hinge gamma=0.25"];

    private static (ISupportSdcaClassificationLoss Theirs, ISupportSdcaClassificationLoss Ours) Pair(string name) => name switch
    {
        "log" => (new LogLoss(), new ClassLossLogLoss()),
        "hinge" => (new HingeLoss(), new ClassLossHinge()),
        "hinge m=0.5" => (new HingeLoss(0.5f), new ClassLossHinge(0.5)),
        "smoothed hinge" => (new SmoothedHingeLoss(), new ClassLossSmoothedHinge()),
        "smoothed hinge gamma=0.25" => (new SmoothedHingeLoss(0.25f), new ClassLossSmoothedHinge(0.25)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(SdcaPairs))]
    public void Sdca_invariant_dual_step_and_dual_loss_equal_MLNets(string name)
    {
        var (theirs, ours) = Pair(name);
        foreach (float q in new[] { 0.01f, 0.3f, 1f, 4f, 170f })
        {
            float invariant = theirs.ComputeDualUpdateInvariant(q);
            AssertClose(invariant, ours.ComputeDualUpdateInvariant(q), 1e-6, $"invariant at q {q}");
            foreach (float label in MlNetLabels)
            {
                float s = label > 0 ? 1 : -1;
                foreach (float b in new[] { 0f, 0.1f, 0.5f, 0.93f, 1f })
                {
                    float dual = s * b;
                    foreach (float z in new[] { -3f, -0.7f, 0f, 0.4f, 1f, 2.5f })
                    {
                        foreach (int threads in new[] { 1, 4 })
                        {
                            AssertClose(theirs.DualUpdate(z, label, dual, invariant, threads), ours.DualUpdate(z, label, dual, invariant, threads),
                                2e-5, $"dual step at z {z}, label {label}, dual {dual}, q {q}, {threads} threads");
                        }
                    }
                }
            }
        }

        foreach (float label in MlNetLabels)
        {
            foreach (float dual in new[] { -1.5f, -1f, -0.6f, -0.1f, 0f, 0.2f, 0.77f, 1f, 1.2f })
            {
                double expected = theirs.DualLoss(label, dual);
                double actual = ours.DualLoss(label, dual);
                if (double.IsNegativeInfinity(expected))
                {
                    Assert.True(double.IsNegativeInfinity(actual), $"dual loss at label {label}, dual {dual}: ML.NET -inf, ours {actual}");
                }
                else
                {
                    AssertClose(expected, actual, 1e-6, $"dual loss at label {label}, dual {dual}");
                }
            }
        }
    }
}
