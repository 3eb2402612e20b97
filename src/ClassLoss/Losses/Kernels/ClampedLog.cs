using ClassLoss.Validation;

namespace ClassLoss.Losses.Kernels;

/// <summary>The clamped logarithm shared by the losses over probabilities.</summary>
internal static class ClampedLog
{
    /// <summary>The anchor's clamp: PyTorch's log at -100, Keras's clip, Optax's none.</summary>
    public static ProbabilityClamp ConventionClamp(Convention convention) => convention switch
    {
        Convention.Pytorch => ProbabilityClamp.LogAtMinus100,
        Convention.Keras => ProbabilityClamp.KerasClip,
        _ => ProbabilityClamp.None,
    };

    /// <summary>Keras's clip bound (<c>backend.epsilon()</c> = 1e-7); the others keep <paramref name="current"/> (unused by their clamps).</summary>
    public static double ConventionEpsilon(Convention convention, double current) => convention == Convention.Keras ? 1e-7 : current;

    /// <summary>Checks a loss's <c>Clamp</c> and <c>ClipEpsilon</c> options (one message for every loss over probabilities).</summary>
    public static void CheckOptions(ProbabilityClamp clamp, double clipEpsilon)
    {
        Guard.Option(Enum.IsDefined(clamp), "Clamp", (double)clamp, "is not a known clamp");
        Guard.Option(clipEpsilon >= 1e-300 && clipEpsilon < 0.5, "ClipEpsilon", clipEpsilon,
            "must lie in [1e-300, 0.5): it is a clip bound, and double.Epsilon (4.9e-324) is the smallest subnormal, not a clip (Keras and scikit-learn use 1e-7 and about 2.2e-16)");
    }

    /// <summary>Returns the clamped <c>log p</c> and its derivative <c>d/dp</c> (0 where the clamp is active). A
    /// probability of -0 is 0: its derivative is <c>1/+0 = +∞</c>, never <c>1/-0 = -∞</c>.</summary>
    public static double Log(double p, ProbabilityClamp clamp, double epsilon, out double derivative)
    {
        if (p == 0)
        {
            p = 0; // -0 → +0
        }

        switch (clamp)
        {
            case ProbabilityClamp.LogAtMinus100:
            {
                double l = Math.Log(p);
                if (l < -100)
                {
                    derivative = 0;
                    return -100;
                }

                derivative = 1.0 / p;
                return l;
            }

            case ProbabilityClamp.KerasClip:
                if (p < epsilon)
                {
                    derivative = 0;
                    return Math.Log(epsilon);
                }

                if (p > 1 - epsilon)
                {
                    derivative = 0;
                    return Math.Log(1 - epsilon);
                }

                derivative = 1.0 / p;
                return Math.Log(p);

            default:
                derivative = 1.0 / p;
                return Math.Log(p);
        }
    }
}
