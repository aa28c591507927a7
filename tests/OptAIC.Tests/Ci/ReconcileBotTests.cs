using LibGit2Sharp;
using OptAIC.Engine.Ci;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

public class ReconcileBotTests
{
    private static ReconcileBotOptions Options(string clone, string runId = "run-1") => new()
    {
        RepositoryRoot = clone,
        RunId = runId,
        Credentials = CredentialsFromEnvironment.None,
        LockPoll = TimeSpan.FromMilliseconds(20),
        LockWait = TimeSpan.FromSeconds(20),
        RetryBackoff = TimeSpan.FromMilliseconds(10),
    };

    [Fact]
    public void The_bot_pushes_one_commit_with_its_identity_the_actions_and_the_trailer()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();

        var result = ReconcileBot.Run(Options(clone, "gh-4711"), new VersioningEngine());

        result.Status.ShouldBe(BotStatus.Pushed, result.Summary);
        result.Attempts.ShouldBe(1);
        var history = remote.History();
        history.Count.ShouldBe(2);
        var bot = history[0];
        bot.Sha.ShouldBe(result.PushedCommit);
        bot.Parent.ShouldBe(remote.SeedCommit);
        bot.Author.ShouldBe(BotIdentity.Default.Name);
        bot.Added.ShouldBe(["models/alpha/versions/0001.yaml"]);
        bot.Message.ShouldStartWith("optaic: reconcile 1 action\n\n- + train alpha v1: spec changed\n");
        bot.Message.ShouldEndWith("\nOptaic-Reconcile: gh-4711\n");
        using (var bare = new Repository(remote.BarePath))
        {
            ReconcileBot.IsBotCommit(bare.Lookup<Commit>(bot.Sha), BotIdentity.Default).ShouldBeTrue();
            ReconcileBot.IsBotCommit(bare.Lookup<Commit>(remote.SeedCommit), BotIdentity.Default).ShouldBeFalse();
        }
        // The lock is released: the ref is gone from the remote.
        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldBeNull();
    }

    [Fact]
    public void A_run_for_the_bots_own_commit_stops_at_once_and_that_commit_plans_nothing()
    {
        using var remote = new GitRemoteFixture();
        var engine = new VersioningEngine();
        ReconcileBot.Run(Options(remote.Clone()), engine).Status.ShouldBe(BotStatus.Pushed);
        var next = remote.Clone(); // what the push of the bot's commit would check out
        engine.Plan(next, CancellationToken.None).HasChanges.ShouldBeFalse();

        var result = ReconcileBot.Run(Options(next, "run-2"), engine);

        result.Status.ShouldBe(BotStatus.OwnCommit);
        result.Summary.ShouldContain("nothing to do: the head");
        result.Summary.ShouldContain("is the bot's own commit");
        result.Succeeded.ShouldBeTrue();
        engine.Applies.ShouldBe(1); // only the first run applied
        remote.History().Count.ShouldBe(2);

        // A scheduled run does not skip it, applies, and finds nothing to commit.
        var scheduled = ReconcileBot.Run(Options(next, "nightly") with { SkipWhenHeadIsBotCommit = false }, engine);
        scheduled.Status.ShouldBe(BotStatus.NothingToDo);
        remote.History().Count.ShouldBe(2);
    }

    [Fact]
    public void A_commit_by_someone_else_that_copies_the_trailer_is_not_the_bots()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        GitRemoteFixture.CommitAndPush(clone, "specs/beta.yaml", "kind: ModelInstance\nname: beta\n", "add beta\n\nOptaic-Reconcile: forged\n");

        var result = ReconcileBot.Run(Options(clone), new VersioningEngine());

        result.Status.ShouldBe(BotStatus.Pushed);
        remote.FilesAtHead("models/").ShouldBe(["models/alpha/versions/0001.yaml", "models/beta/versions/0001.yaml"]);
    }

    [Fact]
    public async Task Two_bots_started_together_register_one_version_and_lose_no_commit()
    {
        using var remote = new GitRemoteFixture();
        var first = remote.Clone();
        var second = remote.Clone();
        var user = GitRemoteFixture.CommitAndPush(first, "specs/alpha.yaml", "kind: ModelInstance\nname: alpha\nlr: 0.05\n", "alpha: lr 0.05");
        GitRemoteFixture.Update(second);
        // Slow applies make an overlap certain if the lock did not exclude them.
        var engine = new VersioningEngine { ApplyDuration = TimeSpan.FromMilliseconds(150) };
        using var start = new Barrier(2);

        var runs = new[] { (first, "bot-a"), (second, "bot-b") }.Select(c => Task.Run(() =>
        {
            start.SignalAndWait();
            return ReconcileBot.Run(Options(c.Item1, c.Item2) with { StartedFor = user }, engine);
        })).ToArray();
        var results = await Task.WhenAll(runs);

        results.Count(r => r.Status == BotStatus.Pushed).ShouldBe(1, string.Join("\n", results.Select(r => r.Summary)));
        results.Count(r => r.Status == BotStatus.NothingToDo).ShouldBe(1, string.Join("\n", results.Select(r => r.Summary)));
        engine.MaxConcurrentApplies.ShouldBe(1);
        var history = remote.History();
        history.Select(h => h.Author).ShouldBe([BotIdentity.Default.Name, "Ada Quant", "Ada Quant"]);
        history[1].Sha.ShouldBe(user);
        history[0].Added.ShouldBe(["models/alpha/versions/0001.yaml"]);
        remote.FilesAtHead("models/").ShouldBe(["models/alpha/versions/0001.yaml"]);
        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldBeNull();
    }

    [Fact]
    public async Task Three_bots_for_the_same_head_register_one_version()
    {
        using var remote = new GitRemoteFixture();
        var clones = Enumerable.Range(0, 3).Select(_ => remote.Clone()).ToList();
        var engine = new VersioningEngine();
        var pushed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            // Each user change starts a bot, all three at once, each on its own clone.
            var clone = clones[i];
            GitRemoteFixture.Update(clone);
            var sha = GitRemoteFixture.CommitAndPush(clone, "specs/alpha.yaml", $"kind: ModelInstance\nname: alpha\nlr: 0.0{i + 1}\n", $"alpha {i}");
            pushed.Add(sha);
        }
        var runs = clones.Select((c, i) => Task.Run(() =>
        {
            GitRemoteFixture.Update(c);
            return ReconcileBot.Run(Options(c, $"bot-{i}") with { StartedFor = pushed[^1] }, engine);
        })).ToArray();
        var results = await Task.WhenAll(runs);

        results.Count(r => r.Status == BotStatus.Pushed).ShouldBe(1);
        var versionFiles = remote.History().SelectMany(h => h.Added).Where(p => p.StartsWith("models/", StringComparison.Ordinal)).ToList();
        versionFiles.ShouldBe(["models/alpha/versions/0001.yaml"]);
        remote.History().Count(h => h.Author == "Ada Quant").ShouldBe(4);
    }

    [Fact]
    public void A_push_race_is_resolved_by_fetching_and_applying_again_on_top()
    {
        using var remote = new GitRemoteFixture();
        var bot = remote.Clone();
        var rival = remote.Clone();
        string? rivalCommit = null;
        var engine = new VersioningEngine
        {
            // Between the bot's fetch and its push, a researcher pushes a new instance.
            DuringApply = n =>
            {
                if (n == 1)
                {
                    rivalCommit = GitRemoteFixture.CommitAndPush(rival, "specs/beta.yaml", "kind: ModelInstance\nname: beta\n", "add beta");
                }
            },
        };

        var result = ReconcileBot.Run(Options(bot) with { ContinueWhenSuperseded = false }, engine);

        result.Status.ShouldBe(BotStatus.Pushed, string.Join("\n", result.Messages));
        result.Attempts.ShouldBe(2);
        result.Messages.ShouldContain(m => m.StartsWith("attempt 1: push rejected", StringComparison.Ordinal));
        var history = remote.History();
        history.Count.ShouldBe(3);
        history[1].Sha.ShouldBe(rivalCommit);
        history[0].Parent.ShouldBe(rivalCommit);
        // The second apply saw the rival's spec too: one commit registers both.
        history[0].Added.ShouldBe(["models/alpha/versions/0001.yaml", "models/beta/versions/0001.yaml"]);
        remote.FilesAtHead("models/").ShouldBe(["models/alpha/versions/0001.yaml", "models/beta/versions/0001.yaml"]);
    }

    [Fact]
    public void Files_of_a_discarded_attempt_do_not_stay_in_the_working_tree()
    {
        using var remote = new GitRemoteFixture();
        var bot = remote.Clone();
        var rival = remote.Clone();
        var engine = new VersioningEngine
        {
            // While the bot registers alpha, a researcher removes alpha: the second attempt has nothing to register.
            DuringApply = n =>
            {
                if (n == 1)
                {
                    using var repo = new Repository(rival);
                    File.Delete(Path.Combine(rival, "specs", "alpha.yaml"));
                    Commands.Stage(repo, "specs/alpha.yaml");
                    repo.Commit("remove alpha", GitRemoteFixture.User, GitRemoteFixture.User);
                    repo.Network.Push(repo.Network.Remotes["origin"], "refs/heads/main:refs/heads/main");
                }
            },
        };

        var result = ReconcileBot.Run(Options(bot), engine);

        result.Status.ShouldBe(BotStatus.NothingToDo, string.Join("\n", result.Messages));
        result.Attempts.ShouldBe(2);
        File.Exists(Path.Combine(bot, "models", "alpha", "versions", "0001.yaml")).ShouldBeFalse();
        using var check = new Repository(bot);
        check.RetrieveStatus(new StatusOptions { IncludeUntracked = true }).IsDirty.ShouldBeFalse();
        remote.History()[0].Message.ShouldBe("remove alpha\n");
    }

    [Fact]
    public void The_message_prefix_of_the_project_is_used()
    {
        ReconcileBot.CommitMessage(["+ train a v1"], "7", "[models]").ShouldStartWith("[models] reconcile 1 action\n");
    }

    private static void InstallHook(GitRemoteFixture remote, string script)
    {
        var hook = Path.Combine(remote.BarePath, "hooks", "pre-receive");
        File.WriteAllText(hook, "#!/bin/sh\n" + script);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void A_push_the_remote_refuses_by_its_own_rule_fails_once_with_the_remotes_words()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        // A protected branch: the hook lets the lock ref through and declines any update of main.
        InstallHook(remote, "while read old new ref; do\n  if [ \"$ref\" = refs/heads/main ]; then echo 'main is protected: open a pull request' >&2; exit 1; fi\ndone\nexit 0\n");
        var engine = new VersioningEngine();

        var result = ReconcileBot.Run(Options(clone) with { MaxRetries = 3 }, engine);

        result.Status.ShouldBe(BotStatus.PushRefused, result.Summary);
        result.Succeeded.ShouldBeFalse();
        result.Summary.ShouldContain("main is protected: open a pull request");
        result.Attempts.ShouldBe(1);
        engine.Applies.ShouldBe(1);
        remote.History().ShouldAllBe(h => h.Author == "Ada Quant");
        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldBeNull();
    }

    [Fact]
    public void A_remote_that_refuses_the_lock_ref_is_named_not_mistaken_for_a_holder()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        InstallHook(remote, "while read old new ref; do\n  case \"$ref\" in refs/optaic/*) echo 'custom refs are not allowed here' >&2; exit 1;; esac\ndone\nexit 0\n");
        using var session = new GitRemoteSession(clone, credentials: CredentialsFromEnvironment.None);

        var error = Should.Throw<GitRemoteException>(() => new RemoteLock(session).TryAcquire());

        error.Message.ShouldContain("refused the lock ref refs/optaic/reconcile-lock");
        error.Message.ShouldContain("custom refs are not allowed here");
        error.Message.ShouldContain("allow pushes to refs/optaic/*");
    }

    [Fact]
    public void A_token_is_never_sent_to_a_plain_http_remote_unless_allowed()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        using (var git = new Repository(clone))
        {
            git.Network.Remotes.Update("origin", r => r.Url = "http://git.example.invalid/models.git");
        }
        var token = CredentialsFromEnvironment.Read(name => name == CredentialsFromEnvironment.TokenVariable ? "s3cret-token" : null);

        var error = Should.Throw<GitRemoteException>(() => ReconcileBot.Run(Options(clone) with { Credentials = token }, new VersioningEngine()));

        error.Message.ShouldContain("plain http");
        error.Message.ShouldContain("--allow-insecure-http");
        error.Message.ShouldNotContain("s3cret-token");
        Should.NotThrow(() => new GitRemoteSession(clone, credentials: token, allowInsecureHttp: true).Dispose());
        Should.NotThrow(() => new GitRemoteSession(clone, credentials: CredentialsFromEnvironment.None).Dispose());
    }

    [Fact]
    public void A_remote_that_keeps_moving_exhausts_the_retries_and_pushes_nothing()
    {
        using var remote = new GitRemoteFixture();
        var bot = remote.Clone();
        var rival = remote.Clone();
        var engine = new VersioningEngine
        {
            DuringApply = n => GitRemoteFixture.CommitAndPush(rival, $"notes/{n}.md", "busy\n", $"note {n}"),
        };

        var result = ReconcileBot.Run(Options(bot) with { MaxRetries = 2 }, engine);

        result.Status.ShouldBe(BotStatus.RetriesExhausted);
        result.Succeeded.ShouldBeFalse();
        result.Attempts.ShouldBe(3);
        engine.Applies.ShouldBe(3);
        remote.History().ShouldAllBe(h => h.Author == "Ada Quant");
        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldBeNull();
    }

    [Fact]
    public void A_run_superseded_by_a_newer_push_stops_early_and_releases_the_lock()
    {
        using var remote = new GitRemoteFixture();
        var bot = remote.Clone();
        var startedFor = GitRemoteFixture.CommitAndPush(bot, "specs/alpha.yaml", "kind: ModelInstance\nname: alpha\nlr: 0.2\n", "lr 0.2");
        var other = remote.Clone();
        var newer = GitRemoteFixture.CommitAndPush(other, "specs/alpha.yaml", "kind: ModelInstance\nname: alpha\nlr: 0.3\n", "lr 0.3");
        var engine = new VersioningEngine();

        var result = ReconcileBot.Run(Options(bot) with { StartedFor = startedFor }, engine);

        result.Status.ShouldBe(BotStatus.Superseded);
        result.Succeeded.ShouldBeTrue();
        result.Summary.ShouldContain(newer[..7]);
        engine.Applies.ShouldBe(0);
        remote.History()[0].Sha.ShouldBe(newer);
        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldBeNull();

        // Told to continue, it reconciles on top of the newer commit.
        var forced = ReconcileBot.Run(Options(bot, "run-2") with { StartedFor = startedFor, ContinueWhenSuperseded = true }, engine);
        forced.Status.ShouldBe(BotStatus.Pushed);
        remote.History()[0].Parent.ShouldBe(newer);
    }

    [Fact]
    public void A_run_waits_for_the_lock_and_fails_naming_the_holder()
    {
        using var remote = new GitRemoteFixture();
        var holderClone = remote.Clone();
        using var holderSession = new GitRemoteSession(holderClone);
        var holder = new RemoteLock(holderSession, new RemoteLockOptions { HolderId = "nightly-77", Host = "runner-3", ProcessId = 4242 });
        holder.TryAcquire().Status.ShouldBe(LockStatus.Acquired);
        var engine = new VersioningEngine();

        var result = ReconcileBot.Run(Options(remote.Clone()) with { LockWait = TimeSpan.FromMilliseconds(300) }, engine);

        result.Status.ShouldBe(BotStatus.LockUnavailable);
        result.LockHolder!.Holder.ShouldBe("nightly-77");
        result.Summary.ShouldContain("nightly-77 on runner-3 (pid 4242)");
        result.Summary.ShouldContain("git push origin :refs/optaic/reconcile-lock");
        // While it waited it said whom for and until when, once.
        result.Messages.Count(m => m.StartsWith("waiting for the lock: held by nightly-77 on runner-3 (pid 4242)", StringComparison.Ordinal)).ShouldBe(1);
        result.Messages.ShouldContain(m => m.Contains("lease until", StringComparison.Ordinal));
        engine.Applies.ShouldBe(0);
        holder.Current()!.Holder.ShouldBe("nightly-77"); // not released by the loser
    }

    [Fact]
    public void A_run_whose_lease_was_taken_over_during_apply_pushes_nothing()
    {
        using var remote = new GitRemoteFixture();
        var time = new ManualTime(DateTimeOffset.UnixEpoch.AddYears(54));
        using var thiefSession = new GitRemoteSession(remote.Clone());
        var thief = new RemoteLock(thiefSession, new RemoteLockOptions { HolderId = "thief", Time = time });
        var engine = new VersioningEngine
        {
            // Apply outlives the lease (no renewal in time), and another run takes the lock over.
            DuringApply = _ =>
            {
                time.Advance(TimeSpan.FromMinutes(16));
                thief.TryAcquire().Status.ShouldBe(LockStatus.ExpiredAndTaken);
            },
        };
        var options = Options(remote.Clone()) with { Time = time, LeaseDuration = TimeSpan.FromMinutes(15), RenewEvery = TimeSpan.FromHours(1) };

        var result = ReconcileBot.Run(options, engine);

        result.Status.ShouldBe(BotStatus.LockLost);
        result.Summary.ShouldContain("thief");
        result.Succeeded.ShouldBeFalse();
        remote.History().Count.ShouldBe(1);
        thief.Current()!.Holder.ShouldBe("thief"); // the loser did not release someone else's lock
    }

    [Fact]
    public void The_lease_is_renewed_while_a_long_apply_runs()
    {
        using var remote = new GitRemoteFixture();
        using var otherSession = new GitRemoteSession(remote.Clone());
        var other = new RemoteLock(otherSession, new RemoteLockOptions { HolderId = "other" });
        LockResult? attempt = null;
        var engine = new VersioningEngine
        {
            // Longer than the lease: without renewal the other run could take the lock over.
            DuringApply = _ =>
            {
                Thread.Sleep(TimeSpan.FromSeconds(2.5));
                attempt = other.TryAcquire();
            },
        };
        var options = Options(remote.Clone()) with { LeaseDuration = TimeSpan.FromSeconds(2), RenewEvery = TimeSpan.FromMilliseconds(100) };

        var result = ReconcileBot.Run(options, engine);

        attempt!.Status.ShouldBe(LockStatus.HeldBy);
        attempt.Lease.Holder.ShouldBe("run-1");
        result.Status.ShouldBe(BotStatus.Pushed, string.Join("\n", result.Messages));
    }

    [Fact]
    public void A_run_refuses_a_working_tree_with_uncommitted_changes()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        File.WriteAllText(Path.Combine(clone, "specs", "alpha.yaml"), "kind: ModelInstance\nname: alpha\nlr: 9\n");

        var result = ReconcileBot.Run(Options(clone), new VersioningEngine());

        result.Status.ShouldBe(BotStatus.Refused);
        result.Summary.ShouldContain("specs/alpha.yaml");
        File.ReadAllText(Path.Combine(clone, "specs", "alpha.yaml")).ShouldContain("lr: 9"); // untouched
        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldBeNull();
    }

    [Fact]
    public void A_run_refuses_a_commit_that_is_not_on_the_remote()
    {
        using var remote = new GitRemoteFixture();
        var clone = remote.Clone();
        using (var repo = new Repository(clone))
        {
            File.WriteAllText(Path.Combine(clone, "local.md"), "not pushed\n");
            Commands.Stage(repo, "local.md");
            repo.Commit("local only", GitRemoteFixture.User, GitRemoteFixture.User);
        }

        var result = ReconcileBot.Run(Options(clone), new VersioningEngine());

        result.Status.ShouldBe(BotStatus.Refused);
        result.Summary.ShouldContain("push it first");
        using var check = new Repository(clone);
        check.Head.Tip.MessageShort.ShouldBe("local only"); // the local commit is still checked out
    }

    [Fact]
    public void The_commit_message_counts_and_lists_the_actions_and_ends_with_the_trailer()
    {
        var message = ReconcileBot.CommitMessage(["~ retrain spx-alpha v3: hyperparameters.learningRate 0.1 -> 0.05", "~ reinfer spx-ensemble"], "42");

        message.ShouldBe("optaic: reconcile 2 actions\n\n- ~ retrain spx-alpha v3: hyperparameters.learningRate 0.1 -> 0.05\n- ~ reinfer spx-ensemble\n\nOptaic-Reconcile: 42\n");
        ReconcileBot.HasTrailer(message).ShouldBeTrue();
        ReconcileBot.HasTrailer("fix: mention Optaic-Reconcile: in the docs").ShouldBeFalse();
    }
}
