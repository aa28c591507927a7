using Microsoft.AspNetCore.Builder;

namespace OptAIC.Engine.Web.Center;

/// <summary>The MLOps Center's pages and the JSON API they use (issue 13 fills this in under Web/Center/).</summary>
public static class CenterEndpoints
{
    public static WebApplication MapCenter(this WebApplication app, WebContext context)
    {
        _ = context;
        return app;
    }
}
