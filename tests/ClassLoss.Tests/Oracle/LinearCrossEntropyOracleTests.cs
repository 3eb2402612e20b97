using System.Text.Json;
using ClassLoss.Losses;

namespace ClassLoss.Tests.Oracle;

/// <summary>
/// <see cref="LinearCrossEntropy"/> against PyTorch (golden/linear_cross_entropy.json, generate_golden.py:
/// <c>F.linear</c>, <c>c·tanh(z/c)</c>, <c>F.cross_entropy</c> and the z term composed, autograd for h, W and b), in
/// double and float, both ways.
/// </summary>
public sealed class LinearCrossEntropyOracleTests
{
    private static readonly JsonDocument s_golden = Load();

    private static JsonDocument Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "golden", "linear_cross_entropy.json");
        if (!File.Exists(path))
        {
            path = Path.Combine(AppContext.BaseDirectory, "Oracle", "golden", "linear_cross_entropy.json");
        }

        return JsonDocument.Parse(File.ReadAllText(path));
    }

    public static TheoryData<string, LinearCrossEntropyMethod> Cases()
    {
        var data = new TheoryData<string, LinearCrossEntropyMethod>();
        foreach (var c in s_golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!, LinearCrossEntropyMethod.FusedGradient);
            data.Add(c.GetProperty("name").GetString()!, LinearCrossEntropyMethod.Recompute);
        }

        return data;
    }

    private static JsonElement Case(string name) =>
        s_golden.RootElement.GetProperty("cases").EnumerateArray().First(c => c.GetProperty("name").GetString() == name);

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(LenientDoubleConverter.Parse).ToArray();

    private static (LinearCrossEntropyOptions Options, int N, int D, int V) Read(JsonElement c, LinearCrossEntropyMethod method)
    {
        int[] shape = c.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        var o = c.GetProperty("options");
        var reduction = o.GetProperty("reduction").GetString() switch
        {
            "mean" => Reduction.Mean,
            "sum" => Reduction.Sum,
            _ => Reduction.None,
        };
        var weights = o.GetProperty("class_weights");
        var options = new LinearCrossEntropyOptions
        {
            ClassWeights = weights.ValueKind == JsonValueKind.Null ? null : Doubles(weights),
            LabelSmoothing = o.GetProperty("label_smoothing").GetDouble(),
            SoftCap = o.GetProperty("soft_cap").GetDouble(),
            ZLossScale = o.GetProperty("z_loss_scale").GetDouble(),
            Reduction = reduction,
            WhenEmpty = EmptyMean.NaN, // PyTorch's mean over no counted token is 0/0; its gradients are 0
            Method = method,
            ChunkRows = 2,
            ChunkVocabulary = 5,
        };
        return (options, shape[0], shape[1], shape[2]);
    }

    private static void Near(double[] expected, ReadOnlySpan<double> actual, double relative, string what)
    {
        double scale = Math.Max(1e-12, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"{what}[{i}]: torch {expected[i]:R}, ours {actual[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInDouble_ValueAndTheThreeGradients(string name, LinearCrossEntropyMethod method)
    {
        var c = Case(name);
        var (o, n, d, v) = Read(c, method);
        double[] h = Doubles(c.GetProperty("hidden")), w = Doubles(c.GetProperty("weight")), b = Doubles(c.GetProperty("bias"));
        int[] y = c.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        double[]? up = c.TryGetProperty("upstream", out var u) ? Doubles(u) : null;
        var dh = new double[n * d];
        var dw = new double[v * d];
        var db = new double[v];
        var losses = new double[n];
        var r = LinearCrossEntropy.Evaluate<double>(h, w, b, y, d, o, dh, dw, db, losses, gradOutput: up);
        Assert.Equal(LenientDoubleConverter.Parse(c.GetProperty("loss")), o.Reduction == Reduction.None ? r.Loss.Sum : r.Loss.Value, 1e-10);
        double loss = LenientDoubleConverter.Parse(c.GetProperty("loss"));
        if (double.IsNaN(loss))
        {
            // No counted token: torch's cross-entropy mean is NaN; our z-loss mean follows the same empty policy
            // (the generator's composed z term is 0 there, so it is not compared).
            Assert.True(double.IsNaN(r.Loss.Value) && double.IsNaN(r.ZLoss));
        }
        else
        {
            Assert.Equal(LenientDoubleConverter.Parse(c.GetProperty("z_loss")), r.ZLoss, 1e-10);
        }

        if (c.TryGetProperty("row_losses", out var rows))
        {
            Near(Doubles(rows), losses, 1e-12, "row losses");
        }

        Near(Doubles(c.GetProperty("grad_hidden")), dh, 1e-10, "dh");
        Near(Doubles(c.GetProperty("grad_weight")), dw, 1e-10, "dw");
        Near(Doubles(c.GetProperty("grad_bias")), db, 1e-10, "db");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorchInFloat_ToFloatAccuracy(string name, LinearCrossEntropyMethod method)
    {
        var c = Case(name);
        var (o, n, d, v) = Read(c, method);
        float[] h = Array.ConvertAll(Doubles(c.GetProperty("hidden")), x => (float)x);
        float[] w = Array.ConvertAll(Doubles(c.GetProperty("weight")), x => (float)x);
        float[] b = Array.ConvertAll(Doubles(c.GetProperty("bias")), x => (float)x);
        int[] y = c.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToArray();
        float[]? up = c.TryGetProperty("upstream", out var u) ? Array.ConvertAll(Doubles(u), x => (float)x) : null;
        var dh = new float[n * d];
        var dw = new float[v * d];
        var db = new float[v];
        var r = LinearCrossEntropy.Evaluate<float>(h, w, b, y, d, o, dh, dw, db, gradOutput: up);
        double loss = LenientDoubleConverter.Parse(c.GetProperty("loss"));
        double ours = o.Reduction == Reduction.None ? r.Loss.Sum : r.Loss.Value;
        if (double.IsNaN(loss))
        {
            Assert.True(double.IsNaN(ours));
        }
        else
        {
            Assert.Equal(loss, ours, 2e-5 * Math.Max(1, Math.Abs(loss)));
        }

        Near(Doubles(c.GetProperty("grad_hidden")), Array.ConvertAll(dh, x => (double)x), 2e-5, "dh");
        Near(Doubles(c.GetProperty("grad_weight")), Array.ConvertAll(dw, x => (double)x), 2e-5, "dw");
        Near(Doubles(c.GetProperty("grad_bias")), Array.ConvertAll(db, x => (double)x), 2e-5, "db");
    }
}
