using System.Net;
using System.Net.Sockets;
using System.Text;
using LibGit2Sharp;
using OptAIC.Engine.Ci;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

public class GitRemoteSessionTests
{
    private const string Token = "ghp_S3cr3tT0kenThatMustNeverBePrinted";

    private static CredentialsFromEnvironment WithToken(string? user = "robot") => CredentialsFromEnvironment.Read(name => name switch
    {
        CredentialsFromEnvironment.TokenVariable => Token,
        CredentialsFromEnvironment.UsernameVariable => user,
        _ => null,
    });

    [Fact]
    public void Credentials_come_from_optaic_variables_then_the_github_token()
    {
        var optaic = WithToken();
        optaic.HasToken.ShouldBeTrue();
        optaic.Username.ShouldBe("robot");
        optaic.Source.ShouldBe("OPTAIC_GIT_TOKEN");

        var tokenOnly = WithToken(user: null);
        tokenOnly.Username.ShouldBe("x-access-token");

        var github = CredentialsFromEnvironment.Read(name => name == "GITHUB_TOKEN" ? "ghs_abc" : null);
        github.Username.ShouldBe("x-access-token");
        github.Source.ShouldBe("GITHUB_TOKEN");

        var none = CredentialsFromEnvironment.Read(_ => "");
        none.HasToken.ShouldBeFalse();
        none.Handler.ShouldBeNull();
    }

    [Fact]
    public void The_token_never_shows_in_the_credentials_description_or_redacted_text()
    {
        var credentials = WithToken();

        credentials.ToString().ShouldNotContain(Token);
        credentials.ToString().ShouldBe("token for 'robot' from OPTAIC_GIT_TOKEN");
        credentials.Redact($"failed: https://robot:{Token}@github.com/o/r.git said {Token}")
            .ShouldBe("failed: https://***@github.com/o/r.git said ***");
        CredentialsFromEnvironment.None.Redact("https://user:pw@host/x").ShouldBe("https://***@host/x");
    }

    [Fact]
    public async Task A_push_refused_by_an_authenticating_server_sends_the_token_but_never_reports_it()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        using var server = new RefusingGitServer();
        using (var repo = new Repository(clone))
        {
            repo.Network.Remotes.Add("secured", $"http://127.0.0.1:{server.Port}/model-repo.git");
            // Some setups put the token in the URL: it must be redacted from there as well.
            repo.Network.Remotes.Add("embedded", $"http://robot:{Token}@127.0.0.1:{server.Port}/model-repo.git");
        }

        foreach (var name in new[] { "secured", "embedded" })
        {
            using var session = new GitRemoteSession(clone, name, WithToken());
            var error = Should.Throw<GitRemoteException>(() => session.Push("refs/heads/main", "refs/heads/main"));

            error.Message.ShouldNotContain(Token);
            error.Message.ShouldContain($"could not push to remote '{name}'");
            error.Message.ShouldContain("token for 'robot' from OPTAIC_GIT_TOKEN");
            error.InnerException.ShouldBeNull();
        }
        // The token did reach the server through the credentials callback (the first remote's URL has none).
        var sent = await server.AuthorizationHeaders();
        sent.ShouldContain("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"robot:{Token}")));
    }

    [Fact]
    public void A_fetch_from_an_unreachable_remote_fails_with_a_redacted_message_and_a_hint()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        using (var repo = new Repository(clone))
        {
            repo.Network.Remotes.Add("gone", Path.Combine(clone, "no-such-remote.git"));
        }
        using var session = new GitRemoteSession(clone, "gone");

        var error = Should.Throw<GitRemoteException>(() => session.FetchBranch("main"));

        error.Message.ShouldContain("could not fetch from remote 'gone'");
        error.Message.ShouldContain("set OPTAIC_GIT_TOKEN or GITHUB_TOKEN");
    }

    [Fact]
    public void A_push_behind_the_remote_is_a_rejected_result_not_an_exception()
    {
        using var remote = new GitRemoteFixture();
        var mine = remote.Clone();
        var theirs = remote.Clone();
        GitRemoteFixture.CommitAndPush(theirs, "notes.md", "theirs\n", "theirs");
        using var session = new GitRemoteSession(mine);
        File.WriteAllText(Path.Combine(mine, "mine.md"), "mine\n");
        var me = new Signature("me", "me@example.com", DateTimeOffset.UnixEpoch);
        session.CommitPaths(["mine.md"], "mine", me, me).ShouldNotBeNull();

        var outcome = session.Push("refs/heads/main", "refs/heads/main");

        outcome.Status.ShouldBe(PushStatus.Rejected);
        outcome.Reason!.ShouldStartWith("non-fast-forward");
        remote.History()[0].Message.ShouldBe("theirs\n");
    }

    [Fact]
    public async Task Of_divergent_pushes_racing_to_a_folder_remote_exactly_one_lands_and_none_is_overwritten()
    {
        using var remote = new GitRemoteFixture();
        var clones = Enumerable.Range(0, 5).Select(_ => remote.Clone()).ToList();
        using var start = new Barrier(clones.Count);

        var pushes = clones.Select((clone, i) => Task.Run(() =>
        {
            using var session = new GitRemoteSession(clone);
            File.WriteAllText(Path.Combine(clone, $"file-{i}.md"), $"{i}\n");
            var me = new Signature($"writer-{i}", "w@example.com", DateTimeOffset.UnixEpoch);
            var commit = session.CommitPaths([$"file-{i}.md"], $"commit {i}", me, me)!;
            start.SignalAndWait();
            return (Sha: commit.Sha, Outcome: session.Push("refs/heads/main", "refs/heads/main"));
        })).ToArray();
        var results = await Task.WhenAll(pushes);

        // libgit2's own file transport would let several "succeed", each overwriting the last.
        var landed = results.Where(r => r.Outcome.Succeeded).ShouldHaveSingleItem();
        remote.History()[0].Sha.ShouldBe(landed.Sha);
        results.Where(r => !r.Outcome.Succeeded).ShouldAllBe(r => r.Outcome.Status == PushStatus.Rejected);
        using var bare = new Repository(remote.BarePath);
        bare.Refs.Where(r => r.CanonicalName.StartsWith("refs/optaic/", StringComparison.Ordinal)).ShouldBeEmpty(); // no scratch refs left
    }

    [Fact]
    public void Commit_stages_exactly_the_given_paths_including_deletions()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        using var session = new GitRemoteSession(clone);
        File.Delete(Path.Combine(clone, "README.md"));
        File.WriteAllText(Path.Combine(clone, "new.md"), "new\n");
        File.WriteAllText(Path.Combine(clone, "unrelated.md"), "not part of it\n");
        var me = new Signature("me", "me@example.com", DateTimeOffset.UnixEpoch);

        var commit = session.CommitPaths(["README.md", "new.md"], "m", me, me)!;

        commit.Tree["README.md"].ShouldBeNull();
        commit.Tree["new.md"].ShouldNotBeNull();
        commit.Tree["unrelated.md"].ShouldBeNull();
        session.CommitPaths(["new.md"], "again", me, me).ShouldBeNull(); // nothing changed since
    }

    [Fact]
    public void Reset_moves_the_branch_and_the_working_tree_to_the_fetched_head()
    {
        using var remote = new GitRemoteFixture();
        var mine = remote.Clone();
        var theirs = remote.Clone();
        var pushed = GitRemoteFixture.CommitAndPush(theirs, "specs/beta.yaml", "kind: ModelInstance\n", "beta");
        using var session = new GitRemoteSession(mine);

        var head = session.FetchBranch("main");
        session.ResetBranch("main", head!);

        head.ShouldBe(pushed);
        session.Head.Sha.ShouldBe(pushed);
        File.Exists(Path.Combine(mine, "specs", "beta.yaml")).ShouldBeTrue();
        session.UncommittedChanges().ShouldBeEmpty();
        session.FetchBranch("no-such-branch").ShouldBeNull();
    }

    [Fact]
    public void A_missing_remote_is_named_with_the_ones_there_are()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();

        var error = Should.Throw<GitRemoteException>(() => new GitRemoteSession(clone, "upstream"));

        error.Message.ShouldContain("no remote 'upstream' (remotes: origin)");
    }

    /// <summary>
    /// A smart-HTTP Git endpoint that asks for credentials and refuses every one, recording the
    /// Authorization headers it got.
    /// </summary>
    private sealed class RefusingGitServer : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<string> _headers = [];
        private readonly Task _serving;

        public RefusingGitServer()
        {
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
            }
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            _listener.Start();
            _serving = Task.Run(Serve);
        }

        public int Port { get; }

        public async Task<IReadOnlyList<string>> AuthorizationHeaders()
        {
            await Task.Yield();
            lock (_headers)
            {
                return [.. _headers];
            }
        }

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                if (context.Request.Headers["Authorization"] is { } header)
                {
                    lock (_headers)
                    {
                        _headers.Add(header);
                    }
                }
                context.Response.StatusCode = 401;
                context.Response.AddHeader("WWW-Authenticate", "Basic realm=\"git\"");
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
