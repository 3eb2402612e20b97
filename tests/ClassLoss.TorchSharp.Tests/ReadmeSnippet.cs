// README.md's TorchSharp example, compiled here and run by ReadmeSnippetTests, which also checks that README.md holds the
// text between each "snippet:begin" and "snippet:end" marker verbatim (dedented, the regions joined by blank lines).
// snippet:begin
using ClassLoss.Losses;
using ClassLoss.TorchSharp;
using TorchSharp;
// snippet:end

namespace ClassLoss.TorchSharp.Tests;

/// <summary>The README's TorchSharp example: a model trained with our focal loss module and TorchSharp's Adam.</summary>
internal static class ReadmeSnippet
{
    /// <summary>Runs the example and returns its training accuracy.</summary>
    public static double Run()
    {
        // snippet:begin
        torch.manual_seed(1);
        var x = torch.randn(512, 20);
        var y = x.narrow(1, 0, 4).argmax(1);             // int64 class indices: the largest of the first 4 inputs
        var model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4));
        var loss = TorchLosses.SoftmaxFocalLoss(new SoftmaxFocalOptions { Gamma = 2, Alpha = 1 }); // a TorchSharp Loss module
        var optimizer = torch.optim.Adam(model.parameters(), 0.01);
        for (int step = 0; step < 300; step++)
        {
            optimizer.zero_grad();
            loss.call(model.call(x), y).backward();
            optimizer.step();
        }
        // snippet:end
        using var noGrad = torch.no_grad();
        return model.call(x).argmax(1).eq(y).to(torch.float64).mean().item<double>();
    }
}
