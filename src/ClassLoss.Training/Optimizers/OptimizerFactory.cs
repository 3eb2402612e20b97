namespace ClassLoss.Training.Optimizers;

/// <summary>
/// Parses <c>sgd:lr=0.1,momentum=0.9,nesterov=true,wd=5e-4</c>, <c>adam:lr=1e-3</c>, <c>adamw:lr=1e-3,wd=0.01</c>.
/// </summary>
public static class OptimizerFactory
{
    /// <summary>The optimiser names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["sgd", "adam", "adamw"];

    /// <summary>Creates an optimiser for <paramref name="size"/> parameters.</summary>
    public static IOptimizer Create(string text, int size)
    {
        var s = Spec.Parse(text, "optimizer");
        switch (s.Name)
        {
            case "sgd":
                s.Only("lr", "momentum", "nesterov", "wd");
                return new Sgd(size, Positive(s, "lr", 0.1), s.Double("momentum", 0), s.Bool("nesterov", false), s.Double("wd", 0));
            case "adam":
            case "adamw":
                s.Only("lr", "beta1", "beta2", "eps", "wd");
                return new Adam(size, Positive(s, "lr", 1e-3), s.Double("beta1", 0.9), s.Double("beta2", 0.999), s.Double("eps", 1e-8),
                    s.Double("wd", s.Name == "adamw" ? 0.01 : 0), decoupled: s.Name == "adamw");
            default:
                throw new ArgumentException($"unknown optimizer '{s.Name}'; valid: {string.Join(", ", Names)}.");
        }
    }

    private static double Positive(Spec s, string key, double fallback)
    {
        double v = s.Double(key, fallback);
        return v > 0 ? v : throw new ArgumentException($"'{s.Text}': {key} must be > 0.");
    }
}
