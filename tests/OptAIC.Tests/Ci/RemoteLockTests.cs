using System.Globalization;
using LibGit2Sharp;
using OptAIC.Engine.Ci;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

public class RemoteLockTests
{
    private static readonly DateTimeOffset Noon = DateTimeOffset.Parse("2024-03-01T12:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public void A_free_lock_is_acquired_and_its_lease_is_readable_from_another_clone()
    {
        using var remote = new GitRemoteFixture();
        using var mine = new GitRemoteSession(remote.Clone());
        using var theirs = new GitRemoteSession(remote.Clone());
        var time = new ManualTime(Noon);
        var ours = new RemoteLock(mine, new RemoteLockOptions { HolderId = "run-1", Host = "runner-a", ProcessId = 7, Time = time, LeaseDuration = TimeSpan.FromMinutes(15) });

        var result = ours.TryAcquire();

        result.Status.ShouldBe(LockStatus.Acquired);
        var seen = new RemoteLock(theirs).Current()!;
        seen.ShouldBe(new LeaseInfo("run-1", "runner-a", 7, Noon, Noon.AddMinutes(15)));
        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldNotBeNull();
    }

    [Fact]
    public void A_held_lock_is_refused_with_the_holders_lease()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        using var b = new GitRemoteSession(remote.Clone());
        var time = new ManualTime(Noon);
        new RemoteLock(a, new RemoteLockOptions { HolderId = "a", Time = time }).TryAcquire().IsHeld.ShouldBeTrue();
        time.Advance(TimeSpan.FromMinutes(14));

        var result = new RemoteLock(b, new RemoteLockOptions { HolderId = "b", Time = time }).TryAcquire();

        result.Status.ShouldBe(LockStatus.HeldBy);
        result.IsHeld.ShouldBeFalse();
        result.Lease.Holder.ShouldBe("a");
        result.Lease.ExpiresAt.ShouldBe(Noon.AddMinutes(15));
    }

    [Fact]
    public void Waiting_for_a_held_lock_gives_up_after_the_wait_naming_the_holder()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        using var b = new GitRemoteSession(remote.Clone());
        new RemoteLock(a, new RemoteLockOptions { HolderId = "a", Host = "runner-a" }).TryAcquire().IsHeld.ShouldBeTrue();

        var result = new RemoteLock(b, new RemoteLockOptions { HolderId = "b" }).Acquire(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(20));

        result.Status.ShouldBe(LockStatus.HeldBy);
        result.Lease.ToString().ShouldStartWith("a on runner-a (pid ");
    }

    [Fact]
    public void A_waiter_gets_the_lock_once_the_holder_releases_it()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        using var b = new GitRemoteSession(remote.Clone());
        var holder = new RemoteLock(a, new RemoteLockOptions { HolderId = "a" });
        holder.TryAcquire().IsHeld.ShouldBeTrue();
        var waiter = new RemoteLock(b, new RemoteLockOptions { HolderId = "b" });

        using var release = new Timer(_ => holder.Release(), null, 150, Timeout.Infinite);
        var result = waiter.Acquire(TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20));

        result.Status.ShouldBe(LockStatus.Acquired);
        waiter.Current()!.Holder.ShouldBe("b");
    }

    [Fact]
    public void An_expired_lease_is_taken_over_and_the_old_holder_can_neither_renew_nor_release()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        using var b = new GitRemoteSession(remote.Clone());
        var time = new ManualTime(Noon);
        var old = new RemoteLock(a, new RemoteLockOptions { HolderId = "crashed", Time = time, LeaseDuration = TimeSpan.FromMinutes(15) });
        old.TryAcquire().IsHeld.ShouldBeTrue();
        time.Advance(TimeSpan.FromMinutes(16));
        var next = new RemoteLock(b, new RemoteLockOptions { HolderId = "next", Time = time, LeaseDuration = TimeSpan.FromMinutes(15) });

        var result = next.TryAcquire();

        result.Status.ShouldBe(LockStatus.ExpiredAndTaken);
        result.Previous!.Holder.ShouldBe("crashed");
        result.Lease.Holder.ShouldBe("next");
        old.Renew().ShouldBeFalse();
        old.Release().ShouldBeFalse();
        next.Current()!.Holder.ShouldBe("next");
    }

    [Fact]
    public void Renewing_extends_the_lease_so_it_is_not_taken_over()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        using var b = new GitRemoteSession(remote.Clone());
        var time = new ManualTime(Noon);
        var holder = new RemoteLock(a, new RemoteLockOptions { HolderId = "a", Time = time, LeaseDuration = TimeSpan.FromMinutes(15) });
        holder.TryAcquire();
        time.Advance(TimeSpan.FromMinutes(10));

        holder.Renew().ShouldBeTrue();
        time.Advance(TimeSpan.FromMinutes(10)); // 20 minutes after acquiring, 10 after renewing

        var other = new RemoteLock(b, new RemoteLockOptions { HolderId = "b", Time = time }).TryAcquire();
        other.Status.ShouldBe(LockStatus.HeldBy);
        other.Lease.AcquiredAt.ShouldBe(Noon);
        other.Lease.ExpiresAt.ShouldBe(Noon.AddMinutes(25));
    }

    [Fact]
    public void Release_deletes_the_ref_on_the_remote()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        var holder = new RemoteLock(a);
        holder.TryAcquire();

        holder.Release().ShouldBeTrue();

        remote.RemoteRef(RemoteLockOptions.DefaultRefName).ShouldBeNull();
        holder.Current().ShouldBeNull();
        holder.Release().ShouldBeFalse();
    }

    [Fact]
    public async Task Of_many_clones_racing_for_a_free_lock_exactly_one_wins()
    {
        using var remote = new GitRemoteFixture();
        var clones = Enumerable.Range(0, 6).Select(_ => remote.Clone()).ToList();
        using var start = new Barrier(clones.Count);

        var attempts = clones.Select((clone, i) => Task.Run(() =>
        {
            using var session = new GitRemoteSession(clone);
            var candidate = new RemoteLock(session, new RemoteLockOptions { HolderId = $"bot-{i}" });
            start.SignalAndWait();
            return (Holder: $"bot-{i}", Result: candidate.TryAcquire());
        })).ToArray();
        var results = await Task.WhenAll(attempts);

        var winner = results.Where(r => r.Result.IsHeld).ShouldHaveSingleItem();
        results.Where(r => !r.Result.IsHeld).ShouldAllBe(r => r.Result.Lease.Holder == winner.Holder, string.Join("\n", results.Select(r => $"{r.Holder}: {r.Result}")));
        using var check = new GitRemoteSession(clones[0]);
        new RemoteLock(check).Current()!.Holder.ShouldBe(winner.Holder);
    }

    [Fact]
    public void A_non_forced_push_of_a_new_ref_is_rejected_when_the_ref_exists_and_a_forced_one_is_not()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        using var b = new GitRemoteSession(remote.Clone());
        Orphan(a, "refs/heads/a-side").ShouldNotBeNull();
        a.Push("refs/heads/a-side", "refs/optaic/test").Succeeded.ShouldBeTrue();
        Orphan(b, "refs/heads/b-side");

        var refused = b.Push("refs/heads/b-side", "refs/optaic/test");
        var forced = b.Push("refs/heads/b-side", "refs/optaic/test", force: true);

        refused.Status.ShouldBe(PushStatus.Rejected);
        refused.Reason.ShouldNotBeNullOrWhiteSpace();
        forced.Status.ShouldBe(PushStatus.Pushed);
        remote.RemoteRef("refs/optaic/test").ShouldBe(b.Lookup("refs/heads/b-side")!.Sha);
    }

    [Fact]
    public void A_lease_commit_that_does_not_parse_still_expires_from_its_commit_time()
    {
        using var remote = new GitRemoteFixture();
        using var a = new GitRemoteSession(remote.Clone());
        var written = new Signature("someone", "s@example.com", Noon);
        var repo = a.Repository;
        var commit = repo.ObjectDatabase.CreateCommit(written, written, "hand-made lock\n", repo.ObjectDatabase.CreateTree(new TreeDefinition()), [], false);
        repo.Refs.Add("refs/heads/junk", commit.Id);
        a.Push("refs/heads/junk", RemoteLockOptions.DefaultRefName).Succeeded.ShouldBeTrue();
        var time = new ManualTime(Noon.AddMinutes(5));
        var candidate = new RemoteLock(a, new RemoteLockOptions { Time = time });

        candidate.TryAcquire().Lease.Holder.ShouldStartWith("unknown");
        time.Advance(TimeSpan.FromMinutes(11));
        candidate.TryAcquire().Status.ShouldBe(LockStatus.ExpiredAndTaken);
    }

    [Fact]
    public void A_lease_round_trips_through_its_json()
    {
        var lease = new LeaseInfo("gh-1", "runner", 12, Noon, Noon.AddMinutes(15));

        var json = lease.ToJson();

        json.ShouldContain("\"holder\":\"gh-1\"");
        json.ShouldContain("\"expiresAt\":\"2024-03-01T12:15:00+00:00\"");
        LeaseInfo.Parse($"optaic: reconcile lock held by gh-1\n\n{json}\n").ShouldBe(lease);
        LeaseInfo.Parse("no json here").ShouldBeNull();
        LeaseInfo.Parse("{ broken").ShouldBeNull();
    }

    private static Commit Orphan(GitRemoteSession session, string refName)
    {
        var repo = session.Repository;
        var me = new Signature("t", "t@example.com", Noon);
        var commit = repo.ObjectDatabase.CreateCommit(me, me, $"orphan {refName}\n", repo.ObjectDatabase.CreateTree(new TreeDefinition()), [], false);
        repo.Refs.Add(refName, commit.Id);
        return commit;
    }
}
