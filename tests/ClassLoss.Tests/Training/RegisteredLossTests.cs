using ClassLoss.Losses;
using ClassLoss.Training;

namespace ClassLoss.Tests.Training;

/// <summary>Every loss the lab can name is wired to its kernel consistently: value and gradient agree.</summary>
public class RegisteredLossTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var entry in LossCatalog.Entries.Where(e => e.Trainable))
        {
            data.Add(entry.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradient_OfEveryRegisteredLoss_MatchesFiniteDifferencesOfItsValue(string name)
    {
        const int n = 4, k = 5;
        var loss = LossCatalog.Create(name, new LossContext(k, [10, 5, 3, 2, 1]));
        var rng = new Random(7);
        var z = new float[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(rng.NextDouble() * 4 - 2);
        }

        int[] y = [0, 3, 1, 4];
        var g = new float[n * k];
        loss.Evaluate(z, LossTargets.FromLabels(y), k, g, default);
        double Value(float[] x) => loss.Evaluate(x, LossTargets.FromLabels(y), k, default, default).Value;

        const float h = 1e-2f;
        for (int i = 0; i < z.Length; i++)
        {
            float saved = z[i];
            z[i] = saved + h;
            double up = Value(z);
            z[i] = saved - h;
            double down = Value(z);
            z[i] = saved;
            double numeric = (up - down) / (2 * h);
            // Float inputs and a step of 1e-2: agreement to ~1e-3 shows the wiring (reduction, one-hot expansion,
            // option mapping) is right; the kernels' exact gradients are checked in double elsewhere.
            Assert.True(Math.Abs(numeric - g[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"{name}: entry {i}: numeric {numeric}, analytic {g[i]}");
        }
    }

    [Fact]
    public void UnknownLoss_ListsTheValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => LossCatalog.Create("nope", new LossContext(3)));
        Assert.Contains("focal", ex.Message, StringComparison.Ordinal);
        Assert.Contains("brier", ex.Message, StringComparison.Ordinal);
    }

    // The options objects a catalogue-built loss hands to its kernels (KernelLoss<TOptions>.Options).
    private static IEnumerable<LossOptions> OptionsOf(ILogitLoss loss) =>
        loss.GetType().GetProperty("Options")?.GetValue(loss) switch
        {
            LossOptions o => [o],
            CrossEntropyWithZLossOptions both => [both.CrossEntropy, both.Z],
            _ => throw new InvalidOperationException($"{loss.Name}: unknown adapter {loss.GetType().Name}"),
        };

    [Theory]
    [MemberData(nameof(Names))]
    public void ThreadCount_OfTheContext_ReachesEveryOptionsObjectOfEveryRegisteredLoss(string name)
    {
        int[] counts = [10, 5, 3, 2, 1];
        Assert.All(OptionsOf(LossCatalog.Create(name, new LossContext(5, counts))), o => Assert.Equal(1, o.MaxDegreeOfParallelism));
        var threaded = OptionsOf(LossCatalog.Create(name, new LossContext(5, counts) { Compute = new Compute(3) })).ToList();
        Assert.NotEmpty(threaded);
        Assert.All(threaded, o => Assert.Equal(3, o.MaxDegreeOfParallelism));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryRegisteredLoss_GivesTheSameBitsForOneAndTwoThreads(string name)
    {
        // 1024 x 40 = 40,960 logits: above the 32,768 where the fused kernels use more than one thread.
        const int n = 1024, k = 40;
        var rng = new Random(11);
        var z = new float[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(rng.NextDouble() * 8 - 4);
        }

        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(k);
        }

        var counts = Enumerable.Range(1, k).ToArray();
        (LossResult Result, float[] Gradient) Evaluate(int threads)
        {
            var loss = LossCatalog.Create(name, new LossContext(k, counts) { Compute = new Compute(threads) });
            var g = new float[n * k];
            return (loss.Evaluate(z, LossTargets.FromLabels(y), k, g, default), g);
        }

        var (r1, g1) = Evaluate(1);
        var (r2, g2) = Evaluate(2);
        Assert.Equal(r1, r2);
        Assert.Equal(g1, g2);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ThreadCount_BelowOne_IsRejected(int threads)
    {
        // The count is checked where it is made: no LossContext or Trainer can be given one below 1.
        Assert.Throws<ArgumentOutOfRangeException>(() => new LossContext(3) { Compute = new Compute(threads) });
        var net = new ClassLoss.Training.Models.Mlp(4, [], 3, ClassLoss.Training.Models.Activation.Relu, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(net, ClassLoss.Training.Optimizers.OptimizerFactory.Create("sgd:lr=0.1", net.Parameters.Length), LossCatalog.Create("ce", new LossContext(3)), new TrainSettings(), compute: new Compute(threads)));
    }
}
