// The namespaces every file of the adapter works with (the core's losses, TorchSharp and its torch ops), imported once
// for the project; a file imports anything else it needs itself.
global using ClassLoss.Losses;
global using TorchSharp;
global using static TorchSharp.torch;
