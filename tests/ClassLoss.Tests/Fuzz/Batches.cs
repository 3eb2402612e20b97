using System.Globalization;
using System.Text;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>What the first argument of a loss holds.</summary>
internal enum InputKind
{
    /// <summary>Logits or scores: any float (finite, or NaN/±∞ in the non-finite profile).</summary>
    Logits,

    /// <summary>Probabilities, each in [0, 1] (checked by the loss).</summary>
    Probabilities,

    /// <summary>Probability rows (each in [0, 1], rows summing to 1 within the tolerance; checked by the loss).</summary>
    ProbabilityRows,
}

/// <summary>What the targets of a loss are.</summary>
internal enum TargetKind
{
    /// <summary>No targets (z-loss, entropy).</summary>
    None,

    /// <summary>N class indices.</summary>
    Labels,

    /// <summary>[N, K] probability rows (each in [0, 1], rows summing to 1 within the tolerance).</summary>
    ProbabilityRows,

    /// <summary>[N, K] element targets in [0, 1] (binary, multi-hot, soft).</summary>
    ElementTargets,
}

/// <summary>The shape of the loss buffer a loss accepts.</summary>
internal enum LossBuffer
{
    /// <summary>N row losses (or empty).</summary>
    Rows,

    /// <summary>N row sums or N·K element losses (or empty).</summary>
    RowsOrElements,

    /// <summary>Must be empty.</summary>
    None,
}

/// <summary>The one thing a case breaks on purpose (or nothing).</summary>
internal enum Fault
{
    None,

    /// <summary>A label outside [0, K) that is not the ignore index.</summary>
    Label,

    /// <summary>A target outside [0, 1] or NaN/±∞.</summary>
    TargetValue,

    /// <summary>A probability row that does not sum to 1.</summary>
    TargetSum,

    /// <summary>An input probability outside [0, 1] or NaN/±∞.</summary>
    InputValue,

    /// <summary>Mismatched lengths, N = 0, K ≤ 0.</summary>
    Shape,

    /// <summary>An invalid option (chosen by the loss's option generator).</summary>
    Option,
}

/// <summary>What a loss takes, so that one generator serves all of them.</summary>
internal sealed record BatchSpec(InputKind Input, TargetKind Targets, bool IgnorableLabels = true,
    LossBuffer Losses = LossBuffer.Rows, bool ElementWeights = false, bool InputFaults = false, bool HasGradient = true,
    int LossesPercent = 67);

/// <summary>One generated batch: shape, inputs, targets, which outputs are asked for, and the fault (if any).</summary>
internal sealed class Batch
{
    public required int N { get; init; }

    /// <summary>The classes argument passed to the loss (K, or a wrong value in a shape fault).</summary>
    public required int K { get; init; }

    public required float[] X { get; init; }

    public int[] Labels { get; init; } = [];

    public float[] Targets { get; init; } = [];

    public float[] ElementWeights { get; init; } = [];

    /// <summary>The ignore index the options will use (and that some labels equal).</summary>
    public int IgnoreIndex { get; init; } = -100;

    public int GradientLength { get; init; }

    public int LossesLength { get; init; }

    public Fault Fault { get; init; }

    /// <summary>The value profile of the inputs.</summary>
    public string Profile { get; init; } = "";

    /// <summary>True when every input (and element weight) is finite.</summary>
    public bool InputsFinite => Array.TrueForAll(X, float.IsFinite) && Array.TrueForAll(ElementWeights, float.IsFinite);

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"N={N} K={K} fault={Fault} profile={Profile} ignore={IgnoreIndex} gradient={GradientLength} losses={LossesLength}");
        Append(sb, "x", X);
        if (Labels.Length > 0)
        {
            sb.Append("\n  labels=[").AppendJoin(", ", Labels.Take(200)).Append(Labels.Length > 200 ? ", ...]" : "]");
        }

        if (Targets.Length > 0)
        {
            Append(sb, "targets", Targets);
        }

        if (ElementWeights.Length > 0)
        {
            Append(sb, "elementWeights", ElementWeights);
        }

        return sb.ToString();
    }

    private static void Append(StringBuilder sb, string name, float[] values)
    {
        sb.Append(CultureInfo.InvariantCulture, $"\n  {name}=[");
        sb.AppendJoin(", ", values.Take(300).Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        sb.Append(values.Length > 300 ? ", ...]" : "]");
    }
}

/// <summary>The generators of the fuzz tests: shapes, value profiles, targets and faults.</summary>
internal static class Batches
{
    /// <summary>Finite values that stress the kernels: zeros of both signs, subnormals, the float extremes, exp's limits.</summary>
    public static readonly float[] FiniteSpecials =
    [
        0f, -0f, float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f, 1e-30f, -1e-30f, 1e38f, -1e38f, float.MaxValue, -float.MaxValue,
        88.7f, -88.7f, 104f, -104f, 1e4f, -1e4f, 1f, -1f, 0.5f, 16777216f,
    ];

    /// <summary>NaN and both infinities.</summary>
    public static readonly float[] NonFinite = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    /// <summary>Probabilities that stress a loss: the ends of [0, 1], subnormals, one ulp from 1.</summary>
    public static readonly float[] SpecialProbabilities = [0f, -0f, 1f, float.Epsilon, 1e-40f, 1e-30f, 0.99999994f, 0.5f, 1e-7f, 0.9999999f];

    /// <summary>Bad target or probability values (each makes a loss throw).</summary>
    public static readonly float[] BadUnitValues = [-0.25f, 1.5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -float.Epsilon, 1.0000001f, -1e38f];

    /// <summary>N: 0 to 64, mostly small (N = 0 is a shape fault for the losses).</summary>
    public static readonly Gen<int> RowCount = Gen.Frequency((1, Gen.Int[0, 0]), (6, Gen.Int[1, 8]), (6, Gen.Int[9, 33]), (4, Gen.Int[34, 64]));

    /// <summary>K: 1 to 300, across the vector widths (4, 8, 16), the short-row limit (48) and a few vectors beyond.</summary>
    public static readonly Gen<int> ClassCount = Gen.Frequency((5, Gen.Int[1, 17]), (4, Gen.Int[18, 65]), (2, Gen.Int[66, 300]));

    /// <summary>A value profile: its name and the generator of one element.</summary>
    public static Gen<(string Name, Gen<float> Value)> LogitProfiles { get; } = Gen.Frequency(
        (9, Gen.OneOf(1f, 5f, 30f, 100f, 1e4f).Select(s => (FormattableString.Invariant($"ordinary ±{s}"), (Gen<float>)Gen.Float[-s, s]))),
        (5, Gen.OneOf(3f, 50f).Select(s => (FormattableString.Invariant($"wide ±{s}"),
            Gen.Frequency((7, Gen.Float[-s, s]), (3, Gen.OneOf(FiniteSpecials)))))),
        (4, Gen.OneOf(1, 20, 300).Select(rate => (FormattableString.Invariant($"non-finite 1/{rate + 1}"),
            Gen.Frequency((rate, Gen.Frequency((8, Gen.Float[-10, 10]), (1, Gen.OneOf(FiniteSpecials)))), (1, Gen.OneOf(NonFinite)))))));

    /// <summary>Probability inputs: uniform in [0, 1], or with the special probabilities mixed in.</summary>
    public static Gen<(string Name, Gen<float> Value)> ProbabilityProfiles { get; } = Gen.Frequency(
        (3, Gen.Const(("uniform [0, 1]", (Gen<float>)Gen.Float[0, 1]))),
        (2, Gen.Const(("special probabilities", Gen.Frequency((6, Gen.Float[0, 1]), (4, Gen.OneOf(SpecialProbabilities)))))));

    /// <summary>One element target of a sigmoid loss: hard 0/1 (also -0), soft, or a special probability.</summary>
    public static Gen<float> ElementTarget { get; } = Gen.Frequency(
        (3, Gen.Const(0f)), (3, Gen.Const(1f)), (1, Gen.Const(-0f)), (4, Gen.Float[0, 1]), (1, Gen.OneOf(SpecialProbabilities)));

    /// <summary>A probability row of length <paramref name="k"/>: one-hot, dense, sparse, uniform or with subnormal entries.</summary>
    public static Gen<float[]> ProbabilityRow(int k) => Gen.Frequency(
        (3, Gen.Select(Gen.Int[0, k - 1], Gen.Bool, (c, negativeZeros) => OneHot(k, c, negativeZeros))),
        (4, Gen.Float[0, 1].Array[k].Select(Normalise)),
        (2, Gen.Select(Gen.Int[0, k - 1], Gen.Int[0, k - 1], Gen.Float[0, 1], (a, b, w) => Sparse(k, a, b, w))),
        (1, Gen.Const(0).Select(_ => Uniform(k))),
        (1, Gen.Int[0, k - 1].Select(c => WithSubnormals(k, c))));

    private static float[] OneHot(int k, int c, bool negativeZeros)
    {
        var t = new float[k];
        if (negativeZeros)
        {
            Array.Fill(t, -0f);
        }

        t[c] = 1f;
        return t;
    }

    private static float[] Normalise(float[] v)
    {
        double sum = 0;
        foreach (float x in v)
        {
            sum += x;
        }

        if (sum == 0)
        {
            v[0] = 1f;
            return v;
        }

        for (int c = 0; c < v.Length; c++)
        {
            v[c] = (float)(v[c] / sum);
        }

        return v;
    }

    private static float[] Sparse(int k, int a, int b, float w)
    {
        var t = new float[k];
        t[a] += w;
        t[b] += 1f - w;
        return t;
    }

    private static float[] Uniform(int k)
    {
        var t = new float[k];
        Array.Fill(t, (float)(1.0 / k));
        return t;
    }

    private static float[] WithSubnormals(int k, int c)
    {
        var t = new float[k];
        for (int j = 0; j < k; j += 3)
        {
            t[j] = float.Epsilon;
        }

        t[c] = 1f;
        return t;
    }

    /// <summary>The generator of batches for a loss that takes what <paramref name="spec"/> says.</summary>
    public static Gen<Batch> For(BatchSpec spec) => For(spec, Gen.Select(RowCount, ClassCount));

    /// <summary>Batches big enough for the kernels to split them across threads: N·K from 32,768 (the parallel
    /// threshold) to about 100,000, N from 64 to 700.</summary>
    public static Gen<Batch> Large(BatchSpec spec) =>
        For(spec, from n in Gen.Int[64, 700] from extra in Gen.Int[0, 150] select (n, ((32768 + n - 1) / n) + extra));

    /// <summary>The generator of batches of the shapes <paramref name="shapes"/> gives.</summary>
    public static Gen<Batch> For(BatchSpec spec, Gen<(int N, int K)> shapes) =>
        from shape in shapes
        let n = shape.N
        let k = shape.K
        from profile in spec.Input == InputKind.Logits ? LogitProfiles : ProbabilityProfiles
        from x in spec.Input == InputKind.ProbabilityRows
            ? ProbabilityRow(k).Array[n].Select(rows => rows.SelectMany(r => r).ToArray())
            : profile.Value.Array[n * k]
        from ignoreIndex in Gen.OneOf(-100, -1, 0, k - 1, 7)
        from ignoreRate in spec.IgnorableLabels ? Gen.OneOf(0, 0, 10, 50, 100) : Gen.Const(0)
        from labels in Gen.Frequency((ignoreRate, Gen.Const(ignoreIndex)), (100 - ignoreRate, Gen.Int[0, k - 1])).Array[spec.Targets == TargetKind.Labels ? n : 0]
        from targets in spec.Targets switch
        {
            TargetKind.ProbabilityRows => ProbabilityRow(k).Array[n].Select(rows => rows.SelectMany(r => r).ToArray()),
            TargetKind.ElementTargets => ElementTarget.Array[n * k],
            _ => Gen.Const(Array.Empty<float>()),
        }
        from weights in spec.ElementWeights
            ? Gen.Frequency((1, Gen.Const(Array.Empty<float>())), (1, Gen.Frequency((6, Gen.Float[0, 3]), (1, Gen.OneOf(0f, float.Epsilon, 1e30f))).Array[n * k]))
            : Gen.Const(Array.Empty<float>())
        from fault in Faults(spec, n)
        from faultRow in Gen.Int[0, Math.Max(0, n - 1)]
        from faultColumn in Gen.Int[0, k - 1]
        from bad in Gen.OneOf(BadUnitValues)
        from badLabel in Gen.OneOf(k, k + 5, -1, -101, -100, int.MinValue, int.MaxValue)
        from shapeFault in Gen.Int[0, 6]
        from gradient in Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false)))
        from lossesDraw in Gen.Int[0, 99]
        from elementLosses in Gen.Bool
        let losses = lossesDraw >= spec.LossesPercent ? 0 : elementLosses ? 2 : 1
        select Build(spec, n, k, profile.Name, x, ignoreIndex, labels, targets, weights, fault, faultRow, faultColumn, bad, badLabel, shapeFault, gradient, losses);

    private static Gen<Fault> Faults(BatchSpec spec, int n)
    {
        if (n == 0)
        {
            return Gen.Const(Fault.Shape);
        }

        var faults = new List<(int, IGen<Fault>)> { (80, Gen.Const(Fault.None)), (4, Gen.Const(Fault.Shape)), (4, Gen.Const(Fault.Option)) };
        switch (spec.Targets)
        {
            case TargetKind.Labels:
                faults.Add((6, Gen.Const(Fault.Label)));
                break;
            case TargetKind.ProbabilityRows:
                faults.Add((4, Gen.Const(Fault.TargetValue)));
                faults.Add((3, Gen.Const(Fault.TargetSum)));
                break;
            case TargetKind.None when spec.Input == InputKind.ProbabilityRows:
                faults.Add((3, Gen.Const(Fault.TargetSum))); // the input rows' sum
                break;
            case TargetKind.ElementTargets:
                faults.Add((6, Gen.Const(Fault.TargetValue)));
                break;
        }

        if (spec.Input is InputKind.Probabilities or InputKind.ProbabilityRows || spec.InputFaults)
        {
            faults.Add((5, Gen.Const(Fault.InputValue)));
        }

        return Gen.Frequency([.. faults]);
    }

    private static Batch Build(BatchSpec spec, int n, int k, string profile, float[] x, int ignoreIndex, int[] labels, float[] targets,
        float[] weights, Fault fault, int row, int column, float bad, int badLabel, int shapeFault, bool gradient, int losses)
    {
        int classes = k;
        int gradientLength = gradient && spec.HasGradient ? n * k : 0;
        int lossesLength = spec.Losses switch
        {
            LossBuffer.None => 0,
            LossBuffer.RowsOrElements => losses switch { 0 => 0, 1 => n, _ => n * k },
            _ => losses == 0 ? 0 : n,
        };
        int at = (row * k) + column;
        switch (fault)
        {
            case Fault.Label:
                labels[row] = badLabel == ignoreIndex ? int.MaxValue - 1 : badLabel;
                break;
            case Fault.TargetValue:
                targets[at] = bad;
                break;
            case Fault.TargetSum:
                float[] rows = spec.Targets == TargetKind.ProbabilityRows ? targets : x;
                rows[at] = rows[at] <= 0.5f ? rows[at] + 0.25f : rows[at] - 0.25f;
                break;
            case Fault.InputValue:
                x[at] = spec.Input == InputKind.Logits ? NonFinite[column % 3] : bad;
                break;
            case Fault.Shape when n > 0:
                switch (shapeFault)
                {
                    case 0:
                        classes = 0;
                        break;
                    case 1:
                        classes = -3;
                        break;
                    case 2 when spec.HasGradient:
                        gradientLength = (n * k) + 1;
                        break;
                    case 3:
                        lossesLength = spec.Losses switch { LossBuffer.None => 1, LossBuffer.RowsOrElements => (n * k) + 1, _ => n + 1 };
                        break;
                    case 4 when k > 1:
                        x = [.. x, 0.5f]; // not a whole number of rows
                        break;
                    case 5 when spec.Targets == TargetKind.Labels:
                        labels = labels[..^1];
                        break;
                    case 5 when spec.Targets != TargetKind.None:
                        targets = targets[..^1];
                        break;
                    default:
                        if (spec.HasGradient)
                        {
                            gradientLength = (n * k) + 2;
                        }
                        else
                        {
                            classes = 0;
                        }

                        break;
                }

                break;
        }

        return new Batch
        {
            N = n, K = classes, X = x, Labels = labels, Targets = targets, ElementWeights = weights, IgnoreIndex = ignoreIndex,
            GradientLength = gradientLength, LossesLength = lossesLength, Fault = fault, Profile = profile,
        };
    }
}
