using System.Globalization;
using ClassLoss.Losses;
using ClassLoss.Training.Losses;

namespace ClassLoss.Training;

/// <summary>What a loss may need to know about the training data (class counts for balanced weights) and the run.</summary>
/// <param name="Classes">K.</param>
/// <param name="ClassCounts">The number of training rows of each class (length K), or null when unknown.</param>
public sealed record LossContext(int Classes, IReadOnlyList<int>? ClassCounts = null)
{
    /// <summary>
    /// The run's compute setting (default <see cref="Compute.SingleThread"/>): every options record the factory builds
    /// gets <see cref="LossOptions.MaxDegreeOfParallelism"/> = <see cref="Compute.Threads"/>. Results are bit-identical
    /// for any value; only calls of fused float kernels on at least 32,768 elements use more than one thread.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public Compute Compute
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Compute));
    } = Compute.SingleThread;
}

/// <summary>
/// Parses a loss specification <c>name[:key=value,...]</c> (e.g. <c>ce</c>, <c>ce:smoothing=0.1</c>,
/// <c>weighted-ce:weights=balanced</c>, <c>weighted-ce:weights=1;2;0.5</c>) into an <see cref="ILogitLoss"/>.
/// </summary>
/// <remarks>
/// Each loss is one <see cref="Entry"/> in <see cref="Registry"/>: its name, its option names, a one-line
/// description and a constructor that maps parsed options onto the core kernel's options. Adding a loss is one line.
/// </remarks>
public static class LossFactory
{
    /// <summary>One registered loss.</summary>
    /// <param name="Name">The specification name.</param>
    /// <param name="Options">The option keys it accepts.</param>
    /// <param name="Description">One line for help text.</param>
    /// <param name="Create">Builds the loss from the parsed specification.</param>
    public sealed record Entry(string Name, string[] Options, string Description, Func<Spec, LossContext, ILogitLoss> Create);

    private static readonly Entry[] Registry =
    [
        new("ce", ["smoothing", "temperature"], "softmax cross-entropy (PyTorch CrossEntropyLoss)",
            (s, c) => new CrossEntropyLoss(s.Text, CeOptions(s, c))),
        new("weighted-ce", ["weights", "smoothing", "temperature"], "class-weighted softmax cross-entropy; weights=balanced or w0;w1;...",
            (s, c) => new CrossEntropyLoss(s.Text, CeOptions(s, c) with { ClassWeights = Weights(s, c) })),
        new("cb-ce", ["beta", "smoothing", "temperature"], "class-balanced CE: weights from the effective number of samples (Cui et al. 2019), beta default 0.999",
            (s, c) => new CrossEntropyLoss(s.Text, CeOptions(s, c) with { ClassWeights = ClassBalanced(s, c) })),
        new("ce+z", ["z", "smoothing", "temperature"], "softmax CE plus the z-loss z·lse(logits)² (PaLM), z default 1e-4",
            (s, c) => new WithZLoss(new CrossEntropyLoss(s.Text, CeOptions(s, c)), Threaded(new ZLossOptions { Coefficient = s.Double("z", 1e-4) }, c))),
        new("brier", [], "Brier score of softmax(logits): Σ_c (p_c - y_c)², mean over rows",
            (s, c) => Both(s, c, SoftmaxBrierScore.Evaluate, SoftmaxBrierScore.Evaluate, new BrierScoreOptions())),
        new("mse", [], "MSE of softmax(logits): mean over N·K elements (PyTorch MSELoss on probabilities)",
            (s, c) => Both(s, c, SoftmaxBrierScore.Evaluate, SoftmaxBrierScore.Evaluate, new BrierScoreOptions { Average = BrierAverage.PerElement })),
        new("sigmoid-mse", [], "one-vs-rest MSE through a sigmoid per class: Σ_c (σ(z_c) - y_c)², mean over rows",
            (s, c) => TargetsOnly(s, c, SigmoidBrierScore.Evaluate, new BrierScoreOptions())),
        new("bce", [], "one-vs-rest binary CE with logits (sigmoid per class), summed over classes, mean over rows",
            (s, c) => TargetsOnly(s, c, SigmoidBinaryCrossEntropy.Evaluate, new BinaryCrossEntropyOptions { Reduction = Reduction.BatchMean })),
        new("focal", ["gamma", "alpha"], "softmax focal loss (Keras CategoricalFocalCrossentropy), gamma default 2, alpha default 0.25",
            (s, c) => Both(s, c, SoftmaxFocal.Evaluate, SoftmaxFocal.Evaluate, new SoftmaxFocalOptions { Gamma = s.Double("gamma", 2), Alpha = s.Double("alpha", 0.25) })),
        new("sigmoid-focal", ["gamma", "alpha"], "one-vs-rest sigmoid focal loss (torchvision), summed over classes, mean over rows",
            (s, c) => TargetsOnly(s, c, SigmoidFocal.Evaluate, new SigmoidFocalOptions { Gamma = s.Double("gamma", 2), Alpha = s.Double("alpha", 0.25), Reduction = Reduction.BatchMean })),
        new("poly", ["epsilon"], "Poly-1 loss: CE + epsilon (1 - p_t) (Leng et al. 2022), epsilon default 1",
            (s, c) => Both(s, c, PolyLoss.Evaluate, PolyLoss.Evaluate, new PolyLossOptions { Epsilon = s.Double("epsilon", 1) })),
        new("hinge", ["p", "margin"], "multiclass hinge (PyTorch MultiMarginLoss), p = 1 or 2, margin default 1",
            (s, c) => LabelsOnly(s, c, MultiMarginHinge.Evaluate, new MultiMarginHingeOptions { Power = s.Int("p", 1), Margin = s.Double("margin", 1) })),
        new("sparsemax", [], "sparsemax loss (Martins & Astudillo 2016)",
            (s, c) => LabelsOnly(s, c, SparsemaxLoss.Evaluate, new SparsemaxLossOptions())),
    ];

    private delegate LossResult LabelKernelOf<TOptions>(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, TOptions? options, Span<float> gradient, Span<float> rowLosses);

    private delegate LossResult TargetKernelOf<TOptions>(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, TOptions? options, Span<float> gradient, Span<float> rowLosses);

    private static KernelLoss Both<TOptions>(Spec s, LossContext c, LabelKernelOf<TOptions> labels, TargetKernelOf<TOptions> targets, TOptions options)
        where TOptions : LossOptions
    {
        options = Threaded(options, c);
        return new(s.Text, (z, y, k, g, r) => labels(z, y, k, options, g, r), (z, t, k, g, r) => targets(z, t, k, options, g, r), options);
    }

    private static KernelLoss LabelsOnly<TOptions>(Spec s, LossContext c, LabelKernelOf<TOptions> labels, TOptions options)
        where TOptions : LossOptions
    {
        options = Threaded(options, c);
        return new(s.Text, (z, y, k, g, r) => labels(z, y, k, options, g, r), null, options);
    }

    private static KernelLoss TargetsOnly<TOptions>(Spec s, LossContext c, TargetKernelOf<TOptions> targets, TOptions options)
        where TOptions : LossOptions
    {
        options = Threaded(options, c);
        return new(s.Text, null, (z, t, k, g, r) => targets(z, t, k, options, g, r), options);
    }

    // Every options object the factory builds carries the context's thread bound (results do not depend on it).
    private static TOptions Threaded<TOptions>(TOptions options, LossContext c)
        where TOptions : LossOptions =>
        (TOptions)((LossOptions)options with { MaxDegreeOfParallelism = c.Compute.Threads });

    private static double[] ClassBalanced(Spec s, LossContext c)
    {
        if (c.ClassCounts is null || c.ClassCounts.Count != c.Classes)
        {
            throw new ArgumentException($"'{s.Text}': class-balanced weights need the class counts of the training data.");
        }

        return ClassBalancedWeights.Compute([.. c.ClassCounts], s.Double("beta", 0.999));
    }

    /// <summary>Every registered loss.</summary>
    public static IReadOnlyList<Entry> Losses => Registry;

    /// <summary>The registered names, comma-separated.</summary>
    public static string ValidNames => string.Join(", ", Array.ConvertAll(Registry, e => e.Name));

    /// <summary>Creates the loss <paramref name="text"/> describes.</summary>
    /// <exception cref="ArgumentException">Unknown name or option, or a bad value; the message lists the valid choices.</exception>
    public static ILogitLoss Create(string text, LossContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var spec = Spec.Parse(text, "loss");
        var entry = Array.Find(Registry, e => e.Name == spec.Name)
            ?? throw new ArgumentException($"unknown loss '{spec.Name}'; valid losses: {ValidNames}.");
        spec.Only(entry.Options);
        return entry.Create(spec, context);
    }

    private static CrossEntropyOptions CeOptions(Spec s, LossContext c) => new()
    {
        LabelSmoothing = s.Double("smoothing", 0),
        Temperature = s.Double("temperature", 1),
        MaxDegreeOfParallelism = c.Compute.Threads,
    };

    /// <summary>
    /// <c>balanced</c>: w_c = N / (K n_c) (scikit-learn's <c>class_weight="balanced"</c>); otherwise K numbers
    /// separated by <c>;</c> or <c>/</c>.
    /// </summary>
    internal static double[] Weights(Spec s, LossContext c)
    {
        string v = s.Get("weights") ?? "balanced";
        if (v.Equals("balanced", StringComparison.OrdinalIgnoreCase))
        {
            if (c.ClassCounts is null || c.ClassCounts.Count != c.Classes)
            {
                throw new ArgumentException($"'{s.Text}': weights=balanced needs the class counts of the training data.");
            }

            long total = 0;
            foreach (int n in c.ClassCounts)
            {
                total += n;
            }

            var w = new double[c.Classes];
            for (int k = 0; k < w.Length; k++)
            {
                w[k] = c.ClassCounts[k] > 0 ? total / ((double)c.Classes * c.ClassCounts[k]) : 0;
            }

            return w;
        }

        var parts = v.Split([';', '/'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != c.Classes)
        {
            throw new ArgumentException($"'{s.Text}': {parts.Length} weights for {c.Classes} classes (use weights=balanced or K values separated by ';').");
        }

        var weights = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]) || !(weights[i] >= 0) || double.IsInfinity(weights[i]))
            {
                throw new ArgumentException($"'{s.Text}': weight {i} ('{parts[i]}') is not a finite number >= 0.");
            }
        }

        return weights;
    }
}
