namespace ClassLoss.Losses;

/// <summary>What a loss reads as its input.</summary>
public enum LossInput
{
    /// <summary>Unnormalised scores (logits); the loss applies its own softmax or sigmoid.</summary>
    Logits,

    /// <summary>Probabilities in [0, 1].</summary>
    Probabilities,

    /// <summary>Log-probabilities (a log-softmax).</summary>
    LogProbabilities,
}

/// <summary>The kinds of targets a loss takes.</summary>
[Flags]
public enum LossTargetKinds
{
    /// <summary>No targets (a regulariser).</summary>
    None = 0,

    /// <summary>One class index per row.</summary>
    ClassIndices = 1,

    /// <summary>A row of probabilities summing to 1 (soft labels).</summary>
    Probabilities = 2,

    /// <summary>Element-wise targets in [0, 1]: binary, multi-hot or soft, one per output.</summary>
    Elements = 4,
}

/// <summary>One option of a catalogue loss's specification.</summary>
/// <param name="Key">The key in <c>name:key=value</c>.</param>
/// <param name="Default">The value when the key is absent.</param>
/// <param name="Description">What it sets.</param>
public sealed record LossOptionInfo(string Key, string Default, string Description);

/// <summary>One example for <see cref="LossEntry.EvaluateExample"/>: [N, K] predictions given as logits or as
/// probabilities, with their targets (in double).</summary>
public sealed class LossExample
{
    /// <summary>Creates the example: <paramref name="given"/> are probabilities when <paramref name="fromProbabilities"/>,
    /// logits otherwise; <paramref name="targets"/> are [N, K] rows (one-hot rows for class indices).</summary>
    /// <param name="given">Row-major [N, K] predictions.</param>
    /// <param name="fromProbabilities">True when <paramref name="given"/> are probabilities.</param>
    /// <param name="targets">Row-major [N, K] target rows.</param>
    /// <param name="classes">K.</param>
    public LossExample(double[] given, bool fromProbabilities, double[] targets, int classes)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(targets);
        Classes = classes;
        FromProbabilities = fromProbabilities;
        Targets = targets;
        Logits = fromProbabilities ? Array.ConvertAll(given, Math.Log) : given;
        Probabilities = new double[Logits.Length];
        Activations.Softmax.Forward<double>(Logits, classes, Probabilities);
        LogProbabilities = new double[Logits.Length];
        Activations.LogSoftmax.Forward<double>(Logits, classes, LogProbabilities);
        if (fromProbabilities)
        {
            Probabilities = given;
        }

        Labels = OneHotLabels(targets, classes);
    }

    /// <summary>K.</summary>
    public int Classes { get; }

    /// <summary>True when the predictions were given as probabilities (losses over probabilities apply).</summary>
    public bool FromProbabilities { get; }

    /// <summary>The logits (the log of given probabilities).</summary>
    public double[] Logits { get; }

    /// <summary>The probabilities (as given, or the softmax of the logits).</summary>
    public double[] Probabilities { get; }

    /// <summary>The log-softmax of the logits.</summary>
    public double[] LogProbabilities { get; }

    /// <summary>The target rows.</summary>
    public double[] Targets { get; }

    /// <summary>The class counts of the training data (K of them), for the losses whose class weights are computed from them
    /// (<c>weighted-ce</c> with <c>weights=balanced</c>, <c>cb-ce</c>); null, the default, and those losses give null.</summary>
    public IReadOnlyList<int>? ClassCounts { get; init; }

    /// <summary>The class index of every row when every target row is one-hot; otherwise null.</summary>
    public int[]? Labels { get; }

    private static int[]? OneHotLabels(double[] t, int k)
    {
        var labels = new int[t.Length / k];
        for (int i = 0; i < labels.Length; i++)
        {
            int hot = -1;
            for (int c = 0; c < k; c++)
            {
                double v = t[(i * k) + c];
                if (v == 1 && hot < 0)
                {
                    hot = c;
                }
                else if (v != 0)
                {
                    return null;
                }
            }

            if (hot < 0)
            {
                return null;
            }

            labels[i] = hot;
        }

        return labels;
    }
}

/// <summary>
/// One loss of <see cref="LossCatalog"/>: its specification name, the public type that computes it, what its input is,
/// which targets it takes, the convention it follows, its options, and how the lab and the <c>loss</c> command build it.
/// </summary>
public sealed class LossEntry
{
    internal LossEntry(string name, string title, Type family, LossInput input, LossTargetKinds targets, string convention,
        LossOptionInfo[] options, Func<Spec, LossContext, ILogitLoss>? trainable, Func<Spec, LossExample, double[], LossResult?> example)
    {
        Name = name;
        Title = title;
        Family = family;
        Input = input;
        Targets = targets;
        Convention = convention;
        Options = options;
        _trainable = trainable;
        _example = example;
    }

    private readonly Func<Spec, LossContext, ILogitLoss>? _trainable;
    private readonly Func<Spec, LossExample, double[], LossResult?> _example;

    /// <summary>The specification name (e.g. <c>ce</c>, <c>sigmoid-focal</c>).</summary>
    public string Name { get; }

    /// <summary>A short human title.</summary>
    public string Title { get; }

    /// <summary>The public static class whose <c>Evaluate</c> computes it (the kernel).</summary>
    public Type Family { get; }

    /// <summary>What the loss reads.</summary>
    public LossInput Input { get; }

    /// <summary>The targets it takes.</summary>
    public LossTargetKinds Targets { get; }

    /// <summary>The convention it follows where PyTorch, Keras and Optax differ, with its source.</summary>
    public string Convention { get; }

    /// <summary>The option keys of its specification, with defaults.</summary>
    public IReadOnlyList<LossOptionInfo> Options { get; }

    /// <summary>The options this entry builds with its defaults (null for a composition of two losses).</summary>
    internal Func<LossOptions?> DefaultOptions { get; init; } = () => null;

    /// <summary>True when the lab can train with it on logits (<see cref="LossCatalog.Create"/>).</summary>
    public bool Trainable => _trainable is not null;

    /// <summary>Builds the trainable loss from a parsed specification (only for <see cref="Trainable"/> entries).</summary>
    internal ILogitLoss Create(Spec spec, LossContext context) =>
        (_trainable ?? throw new ArgumentException($"loss '{Name}' reads {Input.ToString().ToLowerInvariant()}, not logits; the lab cannot train with it."))(spec, context);

    /// <summary>
    /// Evaluates the loss with its default options on <paramref name="example"/> (in double), writing the gradient
    /// w.r.t. its input into <paramref name="gradient"/> ([N, K]); null when the example does not fit it (probability
    /// inputs from logits, class indices from soft targets, weights that need the training data's class counts when the
    /// example has none: <see cref="LossExample.ClassCounts"/>).
    /// </summary>
    /// <param name="example">The predictions and targets.</param>
    /// <param name="gradient">[N, K] buffer, overwritten.</param>
    /// <param name="specification">This loss's specification with options (<c>name:key=value,...</c>); null for the defaults.</param>
    /// <exception cref="ArgumentException">The specification names another loss, an unknown option or a bad value.</exception>
    public LossResult? EvaluateExample(LossExample example, double[] gradient, string? specification = null)
    {
        ArgumentNullException.ThrowIfNull(example);
        var spec = Spec.Parse(specification ?? Name, "loss");
        if (spec.Name != Name)
        {
            throw new ArgumentException($"'{spec.Text}' is not a specification of loss '{Name}'.", nameof(specification));
        }

        spec.Only([.. Options.Select(o => o.Key)]);
        if (Input == LossInput.Probabilities && !example.FromProbabilities)
        {
            return null;
        }

        return _example(spec, example, gradient);
    }
}
