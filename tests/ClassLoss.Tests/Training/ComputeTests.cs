using ClassLoss.Losses;
using ClassLoss.Training;
using ClassLoss.Training.Models;
using ClassLoss.Training.Optimizers;

namespace ClassLoss.Tests.Training;

public class ComputeTests
{
    [Fact]
    public void Defaults_AreOneThread_AndWhatIsPassedIsWhatIsUsed()
    {
        Assert.Equal(1, Compute.SingleThread.Threads);
        Assert.Same(Compute.SingleThread, new LossContext(3).Compute);
        var net = new Mlp(4, [], 3, Activation.Relu, 0);
        var loss = LossCatalog.Create("ce", new LossContext(3));
        Assert.Same(Compute.SingleThread, new Trainer(net, OptimizerFactory.Create("sgd", net.Parameters.Length), loss, new TrainSettings()).Compute);
        var two = new Compute(2);
        Assert.Same(two, new LossContext(3) { Compute = two }.Compute);
        Assert.Same(two, new Trainer(net, OptimizerFactory.Create("sgd", net.Parameters.Length), loss, new TrainSettings(), compute: two).Compute);
    }

    [Fact]
    public void ANullCompute_IsRejectedByTheLossContext()
    {
        Assert.Throws<ArgumentNullException>(() => new LossContext(3) { Compute = null! });
    }
}
