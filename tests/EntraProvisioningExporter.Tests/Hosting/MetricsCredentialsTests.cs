using System.Text;
using EntraProvisioningExporter.Configuration;
using EntraProvisioningExporter.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace EntraProvisioningExporter.Tests.Hosting;

/// <summary>Which /metrics credentials are accepted around a reload that rotates them, on the injected clock.</summary>
public class MetricsCredentialsTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static MetricsAuthOptions Bearer(string token, int graceMinutes = 5)
        => new() { Mode = "Bearer", BearerToken = token, GracePeriod = TimeSpan.FromMinutes(graceMinutes) };

    private static MetricsAuthOptions Basic(string password)
        => new() { Mode = "Basic", Username = "prometheus", Password = password, GracePeriod = TimeSpan.FromMinutes(5) };

    private static string BasicHeader(string password) => "Basic "
        + Convert.ToBase64String(Encoding.UTF8.GetBytes($"prometheus:{password}"));

    [Fact]
    public void A_rotated_token_is_accepted_at_once_and_the_old_one_until_its_grace_period_ends()
    {
        var time = new FakeTimeProvider(Start);
        var credentials = new MetricsCredentials(time);
        var old = Bearer("old-token-0123456789");
        var rotated = Bearer("new-token-0123456789");
        Assert.False(credentials.Accepts(old, "Bearer new-token-0123456789"));

        credentials.Replacing(old, rotated);
        Assert.True(credentials.Accepts(rotated, "Bearer new-token-0123456789"));
        Assert.True(credentials.Accepts(rotated, "Bearer old-token-0123456789"));
        Assert.False(credentials.Accepts(rotated, "Bearer another-token-0123456789"));
        Assert.False(credentials.Accepts(rotated, "Basic b2xkLXRva2VuLTAxMjM0NTY3ODk="));

        time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        Assert.True(credentials.Accepts(rotated, "Bearer old-token-0123456789"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(credentials.Accepts(rotated, "Bearer old-token-0123456789"));
        Assert.True(credentials.Accepts(rotated, "Bearer new-token-0123456789"));
    }

    [Fact]
    public void A_reload_that_changes_nothing_of_the_credentials_keeps_the_grace_of_the_last_rotation_and_retires_nothing()
    {
        var time = new FakeTimeProvider(Start);
        var credentials = new MetricsCredentials(time);
        var old = Bearer("old-token-0123456789");
        var rotated = Bearer("new-token-0123456789");
        credentials.Replacing(old, rotated);
        time.Advance(TimeSpan.FromMinutes(2));
        credentials.Replacing(rotated, Bearer("new-token-0123456789")); // e.g. only the poll interval changed
        Assert.True(credentials.Accepts(rotated, "Bearer old-token-0123456789"));
        time.Advance(TimeSpan.FromMinutes(3));
        Assert.False(credentials.Accepts(rotated, "Bearer old-token-0123456789"));
    }

    [Fact]
    public void Two_rotations_within_the_grace_period_keep_both_earlier_tokens_each_for_its_own_period()
    {
        var time = new FakeTimeProvider(Start);
        var credentials = new MetricsCredentials(time);
        var first = Bearer("first-token-0123456789");
        var second = Bearer("second-token-0123456789");
        var third = Bearer("third-token-0123456789");
        credentials.Replacing(first, second);
        time.Advance(TimeSpan.FromMinutes(1));
        credentials.Replacing(second, third);
        Assert.True(credentials.Accepts(third, "Bearer first-token-0123456789"));
        Assert.True(credentials.Accepts(third, "Bearer second-token-0123456789"));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(credentials.Accepts(third, "Bearer first-token-0123456789"));
        Assert.True(credentials.Accepts(third, "Bearer second-token-0123456789"));
    }

    [Theory]
    [InlineData("bearer new-token-0123456789", true)]
    [InlineData("BEARER new-token-0123456789", true)]
    [InlineData("Bearer NEW-TOKEN-0123456789", false)]
    [InlineData("bearer  new-token-0123456789", false)]
    public void The_scheme_is_case_insensitive_and_the_token_is_not(string header, bool accepted)
    {
        // RFC 9110 §11.1: the authentication scheme is case-insensitive; the credentials are compared exactly.
        var credentials = new MetricsCredentials(new FakeTimeProvider(Start));
        Assert.Equal(accepted, credentials.Accepts(Bearer("new-token-0123456789"), header));
        Assert.True(credentials.Accepts(Basic("new-password-123"), "basic " + BasicHeader("new-password-123")[6..]));
    }

    [Fact]
    public void A_rotated_basic_password_has_the_same_grace_and_a_zero_grace_period_has_none()
    {
        var time = new FakeTimeProvider(Start);
        var credentials = new MetricsCredentials(time);
        credentials.Replacing(Basic("old-password-123"), Basic("new-password-123"));
        Assert.True(credentials.Accepts(Basic("new-password-123"), BasicHeader("old-password-123")));
        Assert.True(credentials.Accepts(Basic("new-password-123"), BasicHeader("new-password-123")));

        var strict = new MetricsCredentials(time);
        strict.Replacing(Bearer("old-token-0123456789"), Bearer("new-token-0123456789", graceMinutes: 0));
        Assert.False(strict.Accepts(Bearer("new-token-0123456789", 0), "Bearer old-token-0123456789"));
    }

    [Fact]
    public void Switching_protection_off_ends_every_grace_and_switching_it_on_keeps_nothing_open()
    {
        var time = new FakeTimeProvider(Start);
        var credentials = new MetricsCredentials(time);
        var none = new MetricsAuthOptions();
        credentials.Replacing(Bearer("old-token-0123456789"), Bearer("new-token-0123456789"));
        credentials.Replacing(Bearer("new-token-0123456789"), none);
        credentials.Replacing(none, Bearer("third-token-0123456789"));
        Assert.False(credentials.Accepts(Bearer("third-token-0123456789"), "Bearer old-token-0123456789"));
        Assert.False(credentials.Accepts(Bearer("third-token-0123456789"), "Bearer new-token-0123456789"));
        Assert.False(credentials.Accepts(Bearer("third-token-0123456789"), ""));
        Assert.True(MetricsCredentials.Protects(Bearer("third-token-0123456789")));
        Assert.False(MetricsCredentials.Protects(none));
    }
}
