using System.Globalization;
using ClassLoss.Losses;

namespace ClassLoss.Training;

/// <summary>What a loss may need to know about the training data (class counts for balanced weights).</summary>
/// <param name="Classes">K.</param>
/// <param name="ClassCounts">The number of training rows of each class (length K), or null when unknown.</param>
public sealed record LossContext(int Classes, IReadOnlyList<int>? ClassCounts = null);

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
            (s, c) => new CrossEntropyLoss(s.Text, CeOptions(s))),
        new("weighted-ce", ["weights", "smoothing", "temperature"], "class-weighted softmax cross-entropy; weights=balanced or w0;w1;...",
            (s, c) => new CrossEntropyLoss(s.Text, CeOptions(s) with { ClassWeights = Weights(s, c) })),
    ];

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

    private static CrossEntropyOptions CeOptions(Spec s) => new()
    {
        LabelSmoothing = s.Double("smoothing", 0),
        Temperature = s.Double("temperature", 1),
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
