using System.Reflection;

namespace OptAIC.Cli;

public static class EngineInfo
{
    public static string Version { get; } =
        typeof(OptAIC.Engine.Specs.Finding).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
