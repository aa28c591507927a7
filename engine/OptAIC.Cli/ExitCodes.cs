namespace OptAIC.Cli;

/// <summary>The command's exit codes (documented in README.md, "Exit codes").</summary>
public static class ExitCodes
{
    /// <summary>Success: no errors (lint), nothing to do (plan --detailed-exitcode), applied.</summary>
    public const int Ok = 0;

    /// <summary>Findings (lint), a failed run or an error (plan, apply, ci).</summary>
    public const int Failed = 1;

    /// <summary>lint and most verbs: usage error or unreadable input. plan --detailed-exitcode: changes pending.</summary>
    public const int UsageOrChanges = 2;

    /// <summary>Interrupted (Ctrl-C): the run stopped cleanly and can be resumed.</summary>
    public const int Cancelled = 130;

    /// <summary>Stopped by SIGTERM (a CI runner cancelling the job), cleanly as with Ctrl-C.</summary>
    public const int Terminated = 143;
}
