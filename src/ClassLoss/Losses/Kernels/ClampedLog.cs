namespace ClassLoss.Losses.Kernels;

/// <summary>The clamped logarithm shared by the losses over probabilities.</summary>
internal static class ClampedLog
{
    /// <summary>Returns the clamped <c>log p</c> and its derivative <c>d/dp</c> (0 where the clamp is active).</summary>
    public static double Log(double p, ProbabilityClamp clamp, double epsilon, out double derivative)
    {
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
