using ClassLoss.Activations;

namespace ClassLoss.Tests.Activations;

public class HardmaxTests
{
    [Fact]
    public void Output_IsOneHotAtFirstMaximum()
    {
        // Ties go to the first index: numpy.argmax([1, 3, 3, 2]) = 1, torch.argmax likewise.
        double[] x = [1, 3, 3, 2, -5, -7, -5, -6];
        var y = new double[8];
        Hardmax.Forward<double>(x, 4, y);
        Assert.Equal([0.0, 1, 0, 0, 1, 0, 0, 0], y);
    }

    [Fact]
    public void NaN_CountsAsTheMaximum_AndAllMaskedRowPicksIndexZero()
    {
        // numpy.argmax([1, nan, 5]) = 1 and torch.argmax(torch.tensor([1., nan, 5.])) = 1.
        double ninf = double.NegativeInfinity;
        float[] x = [1f, float.NaN, 5f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity];
        var y = new float[6];
        Hardmax.Forward<float>(x, 3, y);
        Assert.Equal([0f, 1, 0, 1, 0, 0], y);
        var yd = new double[3];
        Hardmax.Forward<double>([ninf, ninf, 0.0], 3, yd);
        Assert.Equal([0.0, 0, 1], yd);
    }

    [Fact]
    public void Backward_IsZeroEverywhere()
    {
        var dx = new double[] { 1, 2, 3, 4 };
        Hardmax.Backward<double>([5.0, 6, 7, 8], 2, dx);
        Assert.Equal(new double[4], dx);
    }

    [Fact]
    public void InPlace_GivesTheSameResult()
    {
        double[] x = [0.5, 2, -1, 3, 3, 0];
        Hardmax.Forward<double>(x, 3, x);
        Assert.Equal([0.0, 1, 0, 1, 0, 0], x);
    }

    [Fact]
    public void BadInput_Throws()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Hardmax.Forward<double>(new double[4], 2, new double[3])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Hardmax.Forward<double>(new double[5], 2, new double[5])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Hardmax.Forward<double>(new double[4], -1, new double[4]));
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Hardmax.Backward<double>(new double[4], 2, new double[3])).ParamName);
    }
}
