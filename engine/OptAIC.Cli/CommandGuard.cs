using OptAIC.Engine.Specs;

namespace OptAIC.Cli;

/// <summary>
/// Runs a verb and maps what can go wrong onto exit codes and one-line messages: a user never sees
/// a stack trace (set OPTAIC_DEBUG=1 to get one for a bug report).
/// </summary>
public static class CommandGuard
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsEnvironmentError(e))
        {
            // The registry or the machine refused (a corrupt record, a full disk, a read-only folder): exit 1.
            System.Console.Error.WriteLine($"optaic: {EnvironmentMessage(e)}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (IsUserError(e))
        {
            System.Console.Error.WriteLine($"optaic: {e.Message}");
            return ExitCodes.UsageOrChanges;
        }
        catch (OperationCanceledException)
        {
            System.Console.Error.WriteLine("optaic: interrupted; the work done so far is journaled, run the command again to resume");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            System.Console.Error.WriteLine($"optaic: internal error: {e.Message}");
            System.Console.Error.WriteLine(Environment.GetEnvironmentVariable("OPTAIC_DEBUG") == "1"
                ? e.ToString()
                : "This is a bug in optaic; run again with OPTAIC_DEBUG=1 for details to report.");
            return ExitCodes.Failed;
        }
    }

    public static Task<int> RunAsync(Func<Task<int>> action) => Task.Run(() => Run(() => action().GetAwaiter().GetResult()));

    private static bool IsEnvironmentError(Exception e) =>
        e is OptAIC.Engine.Registry.RegistryException or UnauthorizedAccessException
            || (e is IOException and not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException);

    private static string EnvironmentMessage(Exception e) => e switch
    {
        OptAIC.Engine.Registry.RegistryException => e.Message,
        IOException { HResult: 28 } => $"no space left on the device ({e.Message.TrimEnd('.')}); free some space and run the command again",
        UnauthorizedAccessException => $"{e.Message.TrimEnd('.')}; make the folder writable (or run as its owner) and run the command again",
        _ => $"{e.Message.TrimEnd('.')}; check the disk and the folder's permissions, then run the command again",
    };

    private static bool IsUserError(Exception e) =>
        e is UsageException or SpecSourceException or IOException or UnauthorizedAccessException
            or OptAIC.Engine.Plan.PlanFileException or OptAIC.Engine.Registry.RegistryException
            or OptAIC.Engine.Data.DatasetException or OptAIC.Engine.Apply.Activities.JobException
            or OptAIC.Engine.Ci.GitRemoteException or OptAIC.Engine.Ci.GitHubEventException or OptAIC.Engine.Ci.HookInstallException
            or OptAIC.Engine.Web.WebHostException;
}
