namespace ClassLoss.MLNet.Tests;

/// <summary>Bad constructor arguments are an <see cref="ArgumentException"/> naming the argument.</summary>
public sealed class ArgumentTests
{
    public static TheoryData<string, string, double> BadArguments => new()
    {
        { "log", "positiveWeight", 0 },
        { "log", "positiveWeight", -1 },
        { "log", "positiveWeight", double.NaN },
        { "log", "positiveWeight", double.PositiveInfinity },
        { "log", "labelSmoothing", -0.1 },
        { "log", "labelSmoothing", 1.5 },
        { "log", "labelSmoothing", double.NaN },
        { "focal", "gamma", -0.5 },
        { "focal", "gamma", double.NaN },
        { "focal", "gamma", double.PositiveInfinity },
        { "focal", "alpha", -0.25 },
        { "focal", "alpha", 1.25 },
        { "focal", "alpha", double.NaN },
        { "focal", "labelSmoothing", 1 },
        { "focal", "labelSmoothing", double.NaN },
        { "hinge", "margin", double.NaN },
        { "hinge", "margin", double.NegativeInfinity },
        { "squared hinge", "margin", double.NaN },
        { "smoothed hinge", "smoothing", 0 },
        { "smoothed hinge", "smoothing", -1 },
        { "smoothed hinge", "smoothing", double.NaN },
        { "smoothed hinge", "margin", double.PositiveInfinity },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Bad_argument_throws_an_ArgumentException_naming_it(string loss, string argument, double value)
    {
        Action create = (loss, argument) switch
        {
            ("log", "positiveWeight") => () => _ = new ClassLossLogLoss(positiveWeight: value),
            ("log", "labelSmoothing") => () => _ = new ClassLossLogLoss(labelSmoothing: value),
            ("focal", "gamma") => () => _ = new ClassLossFocal(gamma: value),
            ("focal", "alpha") => () => _ = new ClassLossFocal(alpha: value),
            ("focal", "labelSmoothing") => () => _ = new ClassLossFocal(labelSmoothing: value),
            ("hinge", "margin") => () => _ = new ClassLossHinge(margin: value),
            ("squared hinge", "margin") => () => _ = new ClassLossSquaredHinge(margin: value),
            ("smoothed hinge", "smoothing") => () => _ = new ClassLossSmoothedHinge(smoothing: value),
            ("smoothed hinge", "margin") => () => _ = new ClassLossSmoothedHinge(margin: value),
            _ => throw new ArgumentOutOfRangeException(nameof(loss)),
        };

        var error = Assert.ThrowsAny<ArgumentException>(create);
        Assert.Equal(argument, error.ParamName);
    }

    [Fact]
    public void Edge_values_of_the_ranges_are_accepted()
    {
        Assert.Equal(1.0, new ClassLossLogLoss(labelSmoothing: 1).LabelSmoothing);
        Assert.Equal(0.0, new ClassLossFocal(gamma: 0, alpha: 0).Gamma);
        Assert.Equal(1.0, new ClassLossFocal(alpha: 1).Alpha);
        Assert.False(new ClassLossFocal(applyClassBalancing: false).ApplyClassBalancing);
        Assert.Equal(-2.0, new ClassLossHinge(margin: -2).Margin);
        Assert.Equal(3.0, new ClassLossSmoothedHinge(smoothing: 3, margin: 0).Smoothing);
    }
}
