using System.Text;
using ClassLoss.Cli.Experiments;

namespace ClassLoss.Tests.Cli;

/// <summary>The experiments' intervals and verdict rule (issue 15): hand-computed t intervals, the pairing, the rule.</summary>
public sealed class ExperimentStatisticsTests
{
    [Fact]
    public void MeanInterval_IsTheStudentTInterval()
    {
        // [1, 2, 3, 4, 5]: mean 3, s = √2.5 = 1.5811, s/√5 = 0.70711, t(0.975, 4) = 2.776 (any t table):
        // 3 ± 1.96293 = [1.03707, 4.96293].
        var i = Statistics.MeanInterval([1, 2, 3, 4, 5]);
        Assert.Equal(3, i.Mean, 12);
        Assert.Equal(1.037066, i.Low, 5);
        Assert.Equal(4.962934, i.High, 5);
        Assert.Equal(5, i.Count);
        Assert.True(double.IsNaN(Statistics.MeanInterval([7]).Low));
    }

    [Fact]
    public void TQuantile_FollowsTheTableThenApproachesTheNormal()
    {
        Assert.Equal(12.706, Statistics.TQuantile975(1));
        Assert.Equal(2.042, Statistics.TQuantile975(30));
        // t(0.975, 40) = 2.021, t(0.975, 120) = 1.980 (tables); the expansion is within 1e-3 of both.
        Assert.Equal(2.021, Statistics.TQuantile975(40), 2);
        Assert.Equal(1.980, Statistics.TQuantile975(120), 2);
        Assert.True(Statistics.TQuantile975(31) < Statistics.TQuantile975(30));
    }

    [Fact]
    public void PairedDifference_RemovesWhatTheSeedDoesToBothSides()
    {
        // A seed effect of ±0.1 on both sides, a constant +0.01 advantage of A: unpaired intervals overlap widely, the
        // paired difference is exactly 0.01 with a zero-width interval.
        double[] seedEffect = [0.1, -0.1, 0.05, -0.05, 0];
        double[] b = [.. seedEffect.Select(e => 0.8 + e)];
        double[] a = [.. b.Select(x => x + 0.01)];
        var d = Statistics.PairedDifference(a, b);
        Assert.Equal(0.01, d.Mean, 12);
        Assert.Equal(0.01, d.Low, 9);
        Assert.Equal(0.01, d.High, 9);
        Assert.True(Statistics.MeanInterval(a).Low < Statistics.MeanInterval(b).High);
        Assert.Equal("holds", new ExperimentKit.Comparison("a vs b", "acc", true, a, b).Verdict);
        Assert.Equal("does not hold", new ExperimentKit.Comparison("a vs b", "acc", false, a, b).Verdict);
        Assert.Throws<ArgumentException>(() => Statistics.PairedDifference(a, [1.0]));
    }

    [Fact]
    public void Verdicts_FollowTheStatedRule()
    {
        Assert.Equal("holds", ExperimentKit.ClaimVerdict(new Statistics.Interval(0.02, 0.001, 0.04, 5), claimGreater: true));
        Assert.Equal("not shown", ExperimentKit.ClaimVerdict(new Statistics.Interval(0.02, -0.001, 0.04, 5), claimGreater: true));
        Assert.Equal("does not hold", ExperimentKit.ClaimVerdict(new Statistics.Interval(-0.02, -0.04, -0.001, 5), claimGreater: true));
        Assert.Equal("holds", ExperimentKit.ClaimVerdict(new Statistics.Interval(-0.02, -0.04, -0.001, 5), claimGreater: false));
        Assert.Equal("not shown", ExperimentKit.ClaimVerdict(new Statistics.Interval(0.5, double.NaN, double.NaN, 1), claimGreater: true));
        Assert.Equal("holds", ExperimentKit.SectionVerdict(["holds", "holds"]));
        Assert.Equal("not shown", ExperimentKit.SectionVerdict(["holds", "not shown"]));
        Assert.Equal("not shown", ExperimentKit.SectionVerdict(["holds", "does not hold"]));
        Assert.Equal("does not hold", ExperimentKit.SectionVerdict(["not shown", "does not hold"]));
        Assert.Equal("not shown", ExperimentKit.SectionVerdict([]));
    }

    [Fact]
    public void Seed001WorkedExample_FromTheKernels()
    {
        // Seed 001: against (1, 0, 0), (0.8, 0.2, 0) and (0.8, 0.1, 0.1) tie under CE (−ln 0.8 = 0.22314) but score
        // 0.08 and 0.06 under the squared error; (0.9, 0.1, 0) scores −ln 0.9 = 0.10536 and 0.02: ratios 4 and 2.118.
        var md = new StringBuilder();
        var (ce, brier) = ConvergenceExperiment.WorkedExamples(md);
        Assert.Equal(-Math.Log(0.8), ce[0], 12);
        Assert.Equal(ce[0], ce[1], 12);
        Assert.Equal(0.08, brier[0], 12);
        Assert.Equal(0.06, brier[1], 12);
        Assert.Equal(4.0, brier[0] / brier[2], 9);
        Assert.Equal(2.1179, ce[0] / ce[2], 4);
        Assert.Contains("squared error ÷ 4.00, cross-entropy ÷ 2.12", md.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Seed002MultiLabelExample_FromTheKernels()
    {
        // Seed 002: 2 positives at 0.8 give −2 ln 0.8 = 0.44629, 998 negatives at 0.1 give −998 ln 0.9 = 105.149;
        // binary focal γ = 2 scales them by (1 − p_t)² = 0.04 and 0.01.
        var (positives, negatives, focalPositives, focalNegatives) = MultiLabelExperiment.SeedExample();
        Assert.Equal(-2 * Math.Log(0.8), positives, 9);
        Assert.Equal(-998 * Math.Log(0.9), negatives, 9);
        Assert.Equal(0.04 * positives, focalPositives, 9);
        Assert.Equal(0.01 * negatives, focalNegatives, 9);
    }
}
