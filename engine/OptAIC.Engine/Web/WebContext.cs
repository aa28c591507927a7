namespace OptAIC.Engine.Web;

/// <summary>What a feature of the web host (the Center, serving) gets: the options and the registry watcher.</summary>
public sealed record WebContext(WebHostOptions Options, RegistryWatcher Watcher)
{
    public string RepositoryRoot => Options.RepositoryRoot;
}
