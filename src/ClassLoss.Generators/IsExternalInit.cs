namespace System.Runtime.CompilerServices;

/// <summary>Lets netstandard2.0 compile records (the type ships with .NET 5 and later, not with netstandard2.0).</summary>
internal static class IsExternalInit
{
}
