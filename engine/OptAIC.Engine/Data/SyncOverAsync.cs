namespace OptAIC.Engine.Data;

/// <summary>
/// Runs Parquet.Net's async API from the synchronous entry points. Under a synchronization context
/// (a UI, some test hosts) the work moves to the thread pool so a library await cannot deadlock it.
/// </summary>
internal static class SyncOverAsync
{
    public static T Run<T>(Func<Task<T>> work) =>
        SynchronizationContext.Current is null
            ? work().GetAwaiter().GetResult()
            : Task.Run(work).GetAwaiter().GetResult();

    public static void Run(Func<Task> work)
    {
        if (SynchronizationContext.Current is null)
        {
            work().GetAwaiter().GetResult();
        }
        else
        {
            Task.Run(work).GetAwaiter().GetResult();
        }
    }
}
