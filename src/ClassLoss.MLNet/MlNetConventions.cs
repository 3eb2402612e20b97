using ClassLoss.Losses;

namespace ClassLoss.MLNet;

/// <summary>A core loss's span entry point in double (<c>SigmoidBinaryCrossEntropy.Evaluate</c>, ...).</summary>
internal delegate LossResult ElementLoss<in TOptions>(ReadOnlySpan<double> input, ReadOnlySpan<double> targets, int classes, TOptions? options,
    Span<double> gradient, Span<double> losses, ReadOnlySpan<double> sampleWeights, ReadOnlySpan<double> gradOutput)
    where TOptions : class;

/// <summary>
/// What every adapter shares: ML.NET's label convention, the argument checks, and the SDCA trainer's damping of large
/// dual steps under several threads.
/// </summary>
/// <remarks>
/// ML.NET's binary trainers read a Boolean label column and hand the loss its value as a float, 1 for true and 0 for
/// false (<c>Microsoft.ML.Data</c>'s Boolean-to-Single conversion); a float label column may also hold -1/+1. Its own
/// losses count every <c>label &gt; 0</c> as positive and everything else as negative, and so do these.
/// </remarks>
internal static class MlNetConventions
{
    /// <summary>Above this size a dual step taken while other threads update the same weights is divided by the thread
    /// count (ML.NET's SDCA losses use the same 0.5: its trainer updates the weights without locks).</summary>
    private const float DampingThreshold = 0.5f;

    /// <summary>ML.NET's positive test: <c>label &gt; 0</c>.</summary>
    public static bool IsPositive(float label) => label > 0;

    /// <summary>The 0/1 target of a label, as the core's binary losses take it.</summary>
    public static double Target(float label) => IsPositive(label) ? 1.0 : 0.0;

    /// <summary>The ±1 sign of a label, as the margin losses use it.</summary>
    public static double Sign(float label) => IsPositive(label) ? 1.0 : -1.0;

    /// <summary>A full dual step, rounded to the float the trainer stores, then divided by the thread count when it is
    /// large and several threads share the weights.</summary>
    public static float Damped(double fullUpdate, int maxNumThreads)
    {
        float step = (float)fullUpdate;
        return maxNumThreads >= 2 && Math.Abs(step) > DampingThreshold ? step / maxNumThreads : step;
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming <paramref name="name"/> unless <paramref name="valid"/>.</summary>
    public static void Check(bool valid, double value, string name, string requirement)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} {requirement}.");
        }
    }

    /// <summary>A core element-wise loss on one example (score <paramref name="output"/>, 0/1 target of
    /// <paramref name="label"/>, K = 1): its value, or its derivative with respect to the score.</summary>
    public static double OnElement<TOptions>(ElementLoss<TOptions> loss, TOptions options, float output, float label, bool derivative)
        where TOptions : class
    {
        ReadOnlySpan<double> x = [output];
        ReadOnlySpan<double> t = [Target(label)];
        Span<double> g = [0.0];
        LossResult result = loss(x, t, 1, options, derivative ? g : default, default, default, default);
        return derivative ? g[0] : result.Value;
    }
}
