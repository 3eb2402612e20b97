namespace ClassLoss.Training.Optimizers;

/// <summary>
/// A per-epoch learning-rate schedule: <c>constant</c>; <c>step:size=S,gamma=G</c> (lr·G^⌊e/S⌋, PyTorch StepLR);
/// <c>cosine:min=M</c> (M + (lr − M)(1 + cos(π e / E))/2, PyTorch CosineAnnealingLR with T_max = E epochs).
/// </summary>
public sealed class LearningRateSchedule
{
    private readonly string _kind;
    private readonly int _size;
    private readonly double _gamma;
    private readonly double _min;

    private LearningRateSchedule(string text, string kind, int size, double gamma, double min)
    {
        Name = text;
        _kind = kind;
        _size = size;
        _gamma = gamma;
        _min = min;
    }

    /// <summary>The specification text.</summary>
    public string Name { get; }

    /// <summary>A constant learning rate.</summary>
    public static LearningRateSchedule Constant { get; } = new("constant", "constant", 1, 1, 0);

    /// <summary>Parses a schedule specification.</summary>
    public static LearningRateSchedule Parse(string text)
    {
        var s = Spec.Parse(text, "schedule");
        switch (s.Name)
        {
            case "constant":
                s.Only();
                return Constant;
            case "step":
                s.Only("size", "gamma");
                int size = s.Int("size", 10);
                return size >= 1 ? new(text, "step", size, s.Double("gamma", 0.1), 0) : throw new ArgumentException($"'{text}': size must be >= 1.");
            case "cosine":
                s.Only("min");
                return new(text, "cosine", 1, 1, s.Double("min", 0));
            default:
                throw new ArgumentException($"unknown schedule '{s.Name}'; valid: constant, step, cosine.");
        }
    }

    /// <summary>The learning rate of 0-based <paramref name="epoch"/> out of <paramref name="epochs"/>.</summary>
    public double At(double baseRate, int epoch, int epochs) => _kind switch
    {
        "step" => baseRate * Math.Pow(_gamma, epoch / _size),
        "cosine" => _min + ((baseRate - _min) * (1 + Math.Cos(Math.PI * epoch / Math.Max(1, epochs))) / 2),
        _ => baseRate,
    };
}
