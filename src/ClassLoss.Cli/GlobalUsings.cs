// The namespaces the lab's commands and experiments all work with, imported once for the project; a file imports
// anything else it needs itself.
global using System.CommandLine;
global using System.Globalization;
global using System.Text;
global using ClassLoss.Evaluation;
global using ClassLoss.Losses;
global using ClassLoss.Training;
global using ClassLoss.Training.Data;
global using ClassLoss.Training.Models;
global using Spectre.Console;
global using static System.FormattableString;
