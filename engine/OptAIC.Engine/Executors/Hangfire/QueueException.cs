namespace OptAIC.Engine.Executors.Hangfire;

/// <summary>The distributed queue cannot be used as configured (PostgreSQL unreachable, a bad option): one line naming what to fix.</summary>
public sealed class QueueException(string message, Exception? inner = null, bool unreachable = false) : Exception(message, inner)
{
    /// <summary>PostgreSQL could not be reached (the machine's fault, exit 1), rather than an option to fix (exit 2).</summary>
    public bool Unreachable { get; } = unreachable;
}
