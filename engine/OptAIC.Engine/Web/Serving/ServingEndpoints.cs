using Microsoft.AspNetCore.Builder;

namespace OptAIC.Engine.Web.Serving;

/// <summary>Model serving over the Open Inference Protocol (issue 14 fills this in under Web/Serving/).</summary>
public static class ServingEndpoints
{
    /// <summary>Maps the serving endpoints (/v2/...); subscribe to <see cref="WebContext.Watcher"/> for hot reload.</summary>
    public static WebApplication MapServing(this WebApplication app, WebContext context)
    {
        _ = context;
        return app;
    }
}
