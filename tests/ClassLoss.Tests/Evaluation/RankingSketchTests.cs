using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

/// <summary>
/// The bounded-memory ranking sketch against the exact metrics (Ranking.Compute, itself checked against scikit-learn
/// 1.2.1): equal to them when no bin holds two distinct scores, within its stated bounds when bins are coarse, and its
/// merge of shards equal to the sketch of the concatenation, count for count.
/// </summary>
public class RankingSketchTests
{
    private static (double[] P, int[] Y) Draw(int n, int k, int seed, double sharpness)
    {
        var rng = new Random(seed);
        var p = new double[n * k];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(k);
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                double z = (sharpness * (rng.NextDouble() - 0.5)) + (c == y[i] ? sharpness / 3 : 0);
                p[(i * k) + c] = Math.Exp(z);
                sum += p[(i * k) + c];
            }

            for (int c = 0; c < k; c++)
            {
                p[(i * k) + c] /= sum;
            }
        }

        return (p, y);
    }

    private static (double[] Auc, double[] Ap) Exact(double[] p, int[] y, int k)
    {
        var (auc, ap, _) = Ranking.Compute([.. p], [.. y], k, 10);
        return (auc, ap);
    }

    [Fact]
    public void FineBins_GiveTheExactValues_ConfidentScoresIncluded()
    {
        // Sharpness 40: probabilities down to ~1e-20 and up to 1 - 1e-15, where a linear grid on [0, 1] would lump them.
        int exactClasses = 0;
        foreach (double sharpness in new[] { 2.0, 40.0 })
        {
            var (p, y) = Draw(120, 3, 1, sharpness);
            var sketch = new RankingSketch(3, 1 << 20);
            sketch.Add(p, y);
            var (auc, ap) = Exact(p, y, 3);
            for (int c = 0; c < 3; c++)
            {
                // Exact where no bin holds two distinct scores of the class; within the bounds everywhere.
                bool separated = Enumerable.Range(0, 120).Select(i => p[(i * 3) + c]).Distinct()
                    .GroupBy(sketch.Bin).All(g => g.Count() == 1);
                if (separated)
                {
                    exactClasses++;
                    Assert.Equal(auc[c], sketch.RocAuc(c).Value, 12);
                    Assert.Equal(ap[c], sketch.AveragePrecision(c).Value, 12);
                }

                Assert.InRange(auc[c], sketch.RocAuc(c).Low, sketch.RocAuc(c).High);
                Assert.InRange(ap[c], sketch.AveragePrecision(c).Low, sketch.AveragePrecision(c).High);
            }
        }

        Assert.True(exactClasses >= 4, $"only {exactClasses} of 6 classes had their scores in separate bins");
    }

    [Theory]
    [InlineData(16)]
    [InlineData(256)]
    [InlineData(4096)]
    public void CoarseBins_StayWithinTheirStatedBounds_WhichShrinkWithMoreBins(int bins)
    {
        var (p, y) = Draw(3000, 4, 2, 6);
        var sketch = new RankingSketch(4, bins);
        sketch.Add(p, y);
        var (auc, ap) = Exact(p, y, 4);
        for (int c = 0; c < 4; c++)
        {
            var a = sketch.RocAuc(c);
            var b = sketch.AveragePrecision(c);
            Assert.InRange(auc[c], a.Low, a.High);
            Assert.InRange(ap[c], b.Low, b.High);
            Assert.InRange(a.Value, a.Low, a.High);
            Assert.InRange(b.Value, b.Low, b.High);
            if (bins >= 4096)
            {
                Assert.True(a.High - a.Low < 5e-3 && b.High - b.Low < 1e-2, $"{a} {b}");
            }
        }

        if (bins == 16)
        {
            Assert.True(sketch.RocAuc(0).High - sketch.RocAuc(0).Low > 1e-3, "16 bins should leave a visible bound");
        }
    }

    [Fact]
    public void MergeOfShards_IsTheSketchOfTheConcatenation()
    {
        var (p, y) = Draw(1000, 5, 3, 8);
        var whole = new RankingSketch(5, 512);
        whole.Add(p, y);
        var merged = new RankingSketch(5, 512);
        foreach (var (from, to) in new[] { (600, 1000), (0, 250), (250, 600) })
        {
            var shard = new RankingSketch(5, 512);
            shard.Add(p.AsSpan(from * 5, (to - from) * 5), y.AsSpan(from, to - from));
            merged.Merge(shard);
        }

        Assert.Equal(whole.Rows, merged.Rows);
        for (int c = 0; c < 5; c++)
        {
            Assert.Equal(whole.RocAuc(c), merged.RocAuc(c));
            Assert.Equal(whole.AveragePrecision(c), merged.AveragePrecision(c));
        }

        Assert.Throws<ArgumentException>(() => merged.Merge(new RankingSketch(5, 256)));
    }

    [Fact]
    public void UndefinedClasses_AreNaN_AndBadRowsNameRowAndColumn()
    {
        var sketch = new RankingSketch(3, 64);
        sketch.Add([0.7, 0.2, 0.1, 0.6, 0.3, 0.1], [0, 0]);
        Assert.True(double.IsNaN(sketch.RocAuc(0).Value)); // no negative of class 0
        Assert.True(double.IsNaN(sketch.AveragePrecision(1).Value)); // no positive of class 1
        var e = Assert.Throws<ArgumentException>(() => sketch.Add([0.5, 0.5, 0.0, 0.5, 1.5, 0.0], [0, 1]));
        Assert.Contains("row 1, column 1", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, sketch.Rows);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => sketch.Add([0.5, 0.5, 0.0], [3])).ParamName);
    }
}
