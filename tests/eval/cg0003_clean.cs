// Correct negative caching: short TTLs and create paths that clear the entry. Nothing to report.
using System.Text.Json;
using CacheGuard;
using StackExchange.Redis;
namespace Eval.Cg0003Clean;

public class Tenant { public int Id { get; set; } public string Slug { get; set; } = ""; }

public interface ITenantStore
{
    Task<Tenant?> BySlugAsync(string slug);
    Task AddAsync(Tenant tenant);
    Task UpdateAsync(Tenant tenant);
}

public class Tenants
{
    private const string Missing = "<missing>";
    private readonly IDatabase _db;
    private readonly ITenantStore _store;
    public Tenants(IDatabase db, ITenantStore store) { _db = db; _store = store; }

    public async Task<Tenant?> BySlugAsync(string slug)
    {
        var tenant = await _store.BySlugAsync(slug);
        if (tenant is null)
        {
            await _db.StringSetAsync("tenant:" + slug, Missing, CacheTtl.Negative());
            return null;
        }
        await _db.StringSetAsync("tenant:" + slug, JsonSerializer.Serialize(tenant), CacheTtl.Jitter(TimeSpan.FromMinutes(30)));
        return tenant;
    }

    public async Task CreateAsync(Tenant tenant)
    {
        await _store.AddAsync(tenant);
        await _db.InvalidateAsync("tenant:" + tenant.Slug);
    }

    public async Task RegisterAsync(Tenant tenant)
    {
        await _store.AddAsync(tenant);
        await ForgetAsync(tenant.Slug);
    }

    public async Task UpdateAsync(Tenant tenant)
    {
        await _store.UpdateAsync(tenant);
        await _db.KeyDeleteAsync("tenant:" + tenant.Slug);
    }

    private Task ForgetAsync(string slug) => _db.KeyDeleteAsync("tenant:" + slug);
}

// Caches only what it found; creating a widget has no negative entry to clear.
public class Widget { public int Id { get; set; } }
public interface IWidgetStore { Task<Widget?> FindAsync(int id); Task AddAsync(Widget widget); }
public class Widgets
{
    private readonly IDatabase _db;
    private readonly IWidgetStore _store;
    public Widgets(IDatabase db, IWidgetStore store) { _db = db; _store = store; }

    public async Task<Widget?> FindAsync(int id)
    {
        var widget = await _store.FindAsync(id);
        if (widget is not null)
            await _db.StringSetAsync($"widget:{id}", JsonSerializer.Serialize(widget), CacheTtl.Jitter(TimeSpan.FromMinutes(5)));
        return widget;
    }

    public Task CreateAsync(Widget widget) => _store.AddAsync(widget);
}
