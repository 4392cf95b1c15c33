using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using Verify = CacheGuard.Analyzers.Tests.Verifiers.CSharpVerifier<CacheGuard.Analyzers.Rules.CreatePathMissingInvalidationAnalyzer, CacheGuard.CodeFixes.CreatePathMissingInvalidationCodeFix>;

namespace CacheGuard.Analyzers.Tests.Rules;

public class CreatePathMissingInvalidationAnalyzerTests
{
    private const string Domain = """
        using System.Threading.Tasks;
        using Microsoft.EntityFrameworkCore;

        namespace App
        {
            public class User { public int Id { get; set; } public string Email { get; set; } = ""; }
            public class Author { public int Id { get; set; } public string Handle { get; set; } = ""; }
            public class Post { public int Id { get; set; } public string Slug { get; set; } = ""; }

            public interface IUserStore
            {
                Task<User?> FindAsync(int id);
                Task AddAsync(User user);
                Task UpdateAsync(User user);
                Task<bool> EmailExistsAsync(string email);
            }

            public interface IAuthorStore
            {
                Task<Author?> ByHandleAsync(string handle);
                Task CreateAsync(Author author);
            }

            public interface IPostStore { Task AddAsync(Post post); }

            public class AppDb : DbContext
            {
                public DbSet<User> Users => Set<User>();
                public DbSet<Post> Posts => Set<Post>();
            }
        }
        """;

    /// <summary>The lookup that caches "user not found" (implicitly: the nullable result serialized with no null check).</summary>
    private const string UserQueries = """
        using System;
        using System.Text.Json;
        using System.Threading.Tasks;
        using StackExchange.Redis;

        namespace App.Queries;

        public class UserQueries
        {
            private readonly IDatabase _db;
            private readonly IUserStore _store;
            public UserQueries(IDatabase db, IUserStore store) { _db = db; _store = store; }

            public async Task<User?> GetAsync(int id)
            {
                var cached = await _db.StringGetAsync($"user:{id}");
                if (cached.HasValue)
                    return JsonSerializer.Deserialize<User>(cached.ToString());
                var user = await _store.FindAsync(id);
                await _db.StringSetAsync($"user:{id}", JsonSerializer.Serialize(user), TimeSpan.FromSeconds(20));
                return user;
            }
        }
        """;

    /// <summary>
    /// CG0003 is a compilation-end diagnostic, which the test framework treats as non-local; the
    /// fix only edits the create method's own document, so the local-diagnostic check is skipped.
    /// </summary>
    private static Verify.Test NewTest(LanguageVersion version = LanguageVersion.Latest) =>
        new(version) { CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck };

    public static TheoryData<LanguageVersion> Versions => new() { LanguageVersion.Latest, LanguageVersion.CSharp9 };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task SameClass_RepositoryCreate_IsFlagged_AndInvalidates(LanguageVersion version)
    {
        var source = """
            using System;
            using System.Threading.Tasks;
            using StackExchange.Redis;

            namespace App
            {
            public class Authors
            {
                private const string Missing = "<missing>";
                private readonly IDatabase _cache;
                private readonly IAuthorStore _store;
                public Authors(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

                public async Task<string?> HandleExistsAsync(string handle)
                {
                    var v = await _cache.StringGetAsync("author:" + handle);
                    if (v == Missing) return null;
                    if (v.HasValue) return v.ToString();
                    var a = await _store.ByHandleAsync(handle);
                    if (a is null)
                    {
                        await _cache.StringSetAsync("author:" + handle, Missing, TimeSpan.FromSeconds(10));
                        return null;
                    }
                    await _cache.StringSetAsync("author:" + handle, a.Handle, TimeSpan.FromMinutes(30));
                    return a.Handle;
                }

                public async Task {|CG0003:CreateAsync|}(Author author)
                {
                    await _store.CreateAsync(author);
                }
            }
            }
            """;
        var fixedSource = """
            using System;
            using System.Threading.Tasks;
            using CacheGuard;
            using StackExchange.Redis;

            namespace App
            {
            public class Authors
            {
                private const string Missing = "<missing>";
                private readonly IDatabase _cache;
                private readonly IAuthorStore _store;
                public Authors(IDatabase cache, IAuthorStore store) { _cache = cache; _store = store; }

                public async Task<string?> HandleExistsAsync(string handle)
                {
                    var v = await _cache.StringGetAsync("author:" + handle);
                    if (v == Missing) return null;
                    if (v.HasValue) return v.ToString();
                    var a = await _store.ByHandleAsync(handle);
                    if (a is null)
                    {
                        await _cache.StringSetAsync("author:" + handle, Missing, TimeSpan.FromSeconds(10));
                        return null;
                    }
                    await _cache.StringSetAsync("author:" + handle, a.Handle, TimeSpan.FromMinutes(30));
                    return a.Handle;
                }

                public async Task CreateAsync(Author author)
                {
                    await _store.CreateAsync(author);
                    await _cache.InvalidateAsync("author:" + author.Handle);
                }
            }
            }
            """;
        var test = NewTest(version);
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/Authors.cs", source));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/Authors.cs", fixedSource));
        await test.RunAsync();
    }

    [Fact]
    public async Task CrossClass_EfCoreCreate_IsFlagged_AndFixedInItsOwnDocument()
    {
        var commands = """
            using System.Threading.Tasks;
            using StackExchange.Redis;

            namespace App.Commands;

            public class RegisterUser
            {
                private readonly AppDb _db;
                private readonly IDatabase _redis;
                public RegisterUser(AppDb db, IDatabase redis) { _db = db; _redis = redis; }

                public async Task<int> {|CG0003:RegisterAsync|}(string email)
                {
                    var user = new User { Email = email };
                    _db.Users.Add(user);
                    await _db.SaveChangesAsync();
                    return user.Id;
                }
            }
            """;
        var fixedCommands = """
            using System.Threading.Tasks;
            using CacheGuard;
            using StackExchange.Redis;

            namespace App.Commands;

            public class RegisterUser
            {
                private readonly AppDb _db;
                private readonly IDatabase _redis;
                public RegisterUser(AppDb db, IDatabase redis) { _db = db; _redis = redis; }

                public async Task<int> RegisterAsync(string email)
                {
                    var user = new User { Email = email };
                    _db.Users.Add(user);
                    await _db.SaveChangesAsync();
                    await _redis.InvalidateAsync($"user:{user.Id}");
                    return user.Id;
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/RegisterUser.cs", commands));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.FixedState.Sources.Add(("/0/RegisterUser.cs", fixedCommands));
        await test.RunAsync();
    }

    [Fact]
    public async Task DapperInsert_OfTheValueTheKeyIsBuiltFrom_IsFlagged()
    {
        var lookup = """
            using System;
            using System.Threading.Tasks;
            using StackExchange.Redis;

            namespace App.Queries;

            public class EmailCheck
            {
                private readonly IDatabase _db;
                private readonly IUserStore _store;
                public EmailCheck(IDatabase db, IUserStore store) { _db = db; _store = store; }

                public async Task<bool> IsTakenAsync(string email)
                {
                    var exists = await _store.EmailExistsAsync(email);
                    if (!exists)
                        await _db.StringSetAsync($"email-exists:{email}", "0", TimeSpan.FromSeconds(15));
                    return exists;
                }
            }
            """;
        var signUp = """
            using System.Data;
            using System.Threading.Tasks;
            using Dapper;
            using StackExchange.Redis;

            namespace App.Commands;

            public class Accounts
            {
                private readonly IDbConnection _connection;
                private readonly IConnectionMultiplexer _redis;
                public Accounts(IDbConnection connection, IConnectionMultiplexer redis) { _connection = connection; _redis = redis; }

                public async Task {|CG0003:SignUpAsync|}(string email, string passwordHash)
                {
                    await _connection.ExecuteAsync("INSERT INTO users (email, hash) VALUES (@email, @passwordHash)", new { email, passwordHash });
                }
            }
            """;
        var fixedSignUp = """
            using System.Data;
            using System.Threading.Tasks;
            using CacheGuard;
            using Dapper;
            using StackExchange.Redis;

            namespace App.Commands;

            public class Accounts
            {
                private readonly IDbConnection _connection;
                private readonly IConnectionMultiplexer _redis;
                public Accounts(IDbConnection connection, IConnectionMultiplexer redis) { _connection = connection; _redis = redis; }

                public async Task SignUpAsync(string email, string passwordHash)
                {
                    await _connection.ExecuteAsync("INSERT INTO users (email, hash) VALUES (@email, @passwordHash)", new { email, passwordHash });
                    await _redis.GetDatabase().InvalidateAsync($"email-exists:{email}");
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/EmailCheck.cs", lookup));
        test.TestState.Sources.Add(("/0/Accounts.cs", signUp));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/EmailCheck.cs", lookup));
        test.FixedState.Sources.Add(("/0/Accounts.cs", fixedSignUp));
        await test.RunAsync();
    }

    [Fact]
    public async Task KeyBuilderMethod_IsRebuiltWithTheEntity_SyncCreate()
    {
        var keysAndLookup = """
            using System;
            using System.Text.Json;
            using StackExchange.Redis;

            namespace App.Caching;

            public static class Keys
            {
                public static string Author(string handle) => "author:" + handle;
            }

            public interface IAuthorReader { Author? ByHandle(string handle); }

            public class AuthorLookup
            {
                private readonly IDatabase _db;
                private readonly IAuthorReader _reader;
                public AuthorLookup(IDatabase db, IAuthorReader reader) { _db = db; _reader = reader; }

                public Author? Find(string handle)
                {
                    var author = _reader.ByHandle(handle);
                    if (author == null)
                    {
                        _db.StringSet(Keys.Author(handle), RedisValue.EmptyString, TimeSpan.FromSeconds(5), When.Always);
                        return null;
                    }
                    return author;
                }
            }
            """;
        var create = """
            using StackExchange.Redis;

            namespace App.Commands;

            public interface IAuthorWriter { void Insert(Author author); }

            public class AuthorAdmin
            {
                private readonly IAuthorWriter _writer;
                public AuthorAdmin(IAuthorWriter writer) => _writer = writer;

                public void {|CG0003:AddAuthor|}(Author author, IDatabase db)
                {
                    _writer.Insert(author);
                }
            }
            """;
        var fixedCreate = """
            using App.Caching;
            using CacheGuard;
            using StackExchange.Redis;

            namespace App.Commands;

            public interface IAuthorWriter { void Insert(Author author); }

            public class AuthorAdmin
            {
                private readonly IAuthorWriter _writer;
                public AuthorAdmin(IAuthorWriter writer) => _writer = writer;

                public void AddAuthor(Author author, IDatabase db)
                {
                    _writer.Insert(author);
                    db.Invalidate(Keys.Author(author.Handle));
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/Lookup.cs", keysAndLookup));
        test.TestState.Sources.Add(("/0/AuthorAdmin.cs", create));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/Lookup.cs", keysAndLookup));
        test.FixedState.Sources.Add(("/0/AuthorAdmin.cs", fixedCreate));
        await test.RunAsync();
    }

    [Fact]
    public async Task Message_NamesMethodEntityAndKey()
    {
        var create = """
            using System.Threading.Tasks;
            namespace App.Commands;
            public class Users
            {
                private readonly IUserStore _store;
                public Users(IUserStore store) => _store = store;
                public Task {|#0:InsertUserAsync|}(User user) => _store.AddAsync(user);
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/Users.cs", create));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0003").WithLocation(0).WithArguments("InsertUserAsync", "'User'", "$\"user:{id}\""));
        // An expression-bodied create path has no statement to put the invalidation after: no fix.
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.FixedState.Sources.Add(("/0/Users.cs", create.Replace("{|#0:InsertUserAsync|}", "{|#0:InsertUserAsync|}")));
        test.FixedState.ExpectedDiagnostics.Add(Verify.Diagnostic("CG0003").WithLocation(0).WithArguments("InsertUserAsync", "'User'", "$\"user:{id}\""));
        await test.RunAsync();
    }

    [Fact]
    public async Task PrimaryConstructorDatabase_IsUsedByTheFix()
    {
        var create = """
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Commands;
            public class Users(IUserStore store, IDatabase redis)
            {
                public async Task {|CG0003:CreateAsync|}(User user)
                {
                    await store.AddAsync(user);
                }
            }
            """;
        var fixedCreate = """
            using System.Threading.Tasks;
            using CacheGuard;
            using StackExchange.Redis;
            namespace App.Commands;
            public class Users(IUserStore store, IDatabase redis)
            {
                public async Task CreateAsync(User user)
                {
                    await store.AddAsync(user);
                    await redis.InvalidateAsync($"user:{user.Id}");
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/Users.cs", create));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.FixedState.Sources.Add(("/0/Users.cs", fixedCreate));
        await test.RunAsync();
    }

    [Fact]
    public async Task RuntimeGetOrSetOfANullableLookup_IsANegativeEntry_TheCreatePathMustClear()
    {
        var lookup = """
            using System.Threading.Tasks;
            using CacheGuard;
            using StackExchange.Redis;
            namespace App.Queries;
            public class UserQueries
            {
                private readonly IDatabase _db;
                private readonly IUserStore _store;
                public UserQueries(IDatabase db, IUserStore store) { _db = db; _store = store; }
                public Task<User?> GetAsync(int id) => _db.GetOrSetAsync($"user:{id}", _ => _store.FindAsync(id));
            }
            """;
        var create = """
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Commands;
            public class Users
            {
                private readonly IUserStore _store;
                private readonly IDatabase _db;
                public Users(IUserStore store, IDatabase db) { _store = store; _db = db; }
                public async Task {|CG0003:CreateAsync|}(User user)
                {
                    await _store.AddAsync(user);
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", lookup));
        test.TestState.Sources.Add(("/0/Users.cs", create));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/UserQueries.cs", lookup));
        test.FixedState.Sources.Add(("/0/Users.cs", create.Replace("{|CG0003:CreateAsync|}", "CreateAsync").Replace("using StackExchange.Redis;", "using CacheGuard;\nusing StackExchange.Redis;").Replace("""
                    await _store.AddAsync(user);
            """, """
                    await _store.AddAsync(user);
                    await _db.InvalidateAsync($"user:{user.Id}");
            """)));
        await test.RunAsync();
    }

    [Fact]
    public async Task OneLineBody_KeepsTheInvalidationOnThatLine()
    {
        var create = """
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Commands;
            public class Users
            {
                private readonly IUserStore _store;
                private readonly IDatabase _db;
                public Users(IUserStore store, IDatabase db) { _store = store; _db = db; }
                public async Task {|CG0003:CreateAsync|}(User user) { await _store.AddAsync(user); }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/Users.cs", create));
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.FixedState.Sources.Add(("/0/Users.cs", create
            .Replace("{|CG0003:CreateAsync|}(User user) { await _store.AddAsync(user); }", "CreateAsync(User user) { await _store.AddAsync(user); await _db.InvalidateAsync($\"user:{user.Id}\"); }")
            .Replace("using StackExchange.Redis;", "using CacheGuard;\nusing StackExchange.Redis;")));
        await test.RunAsync();
    }

    [Fact]
    public async Task KeyThatCannotBeRebuilt_IsFlagged_WithoutFix()
    {
        var lookup = """
            using System;
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Queries;
            public class UserBySlug
            {
                private readonly IDatabase _db;
                private readonly IUserStore _store;
                public UserBySlug(IDatabase db, IUserStore store) { _db = db; _store = store; }
                public async Task<User?> GetAsync(int id, string slug)
                {
                    var user = await _store.FindAsync(id);
                    if (user is null)
                        await _db.StringSetAsync($"user-slug:{slug}", "__NEGATIVE__", TimeSpan.FromSeconds(10));
                    return user;
                }
            }
            """;
        var create = """
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Commands;
            public class Users
            {
                private readonly IUserStore _store;
                private readonly IDatabase _db;
                public Users(IUserStore store, IDatabase db) { _store = store; _db = db; }
                public async Task {|CG0003:CreateAsync|}(User user)
                {
                    await _store.AddAsync(user);
                }
            }
            """;
        var test = NewTest();
        foreach (var state in new[] { test.TestState, test.FixedState })
        {
            state.Sources.Add(("/0/Domain.cs", Domain));
            state.Sources.Add(("/0/Lookup.cs", lookup));
            state.Sources.Add(("/0/Users.cs", create));
        }
        await test.RunAsync();
    }

    [Theory]
    [InlineData("await _db.KeyDeleteAsync($\"user:{user.Id}\");")]
    [InlineData("await _db.InvalidateAsync($\"user:{user.Id}\");")]
    [InlineData("_db.KeyDelete(\"user:\" + user.Id);")]
    [InlineData("await _db.StringSetAsync($\"user:{user.Id}\", JsonSerializer.Serialize(user), TimeSpan.FromMinutes(5));")]
    [InlineData("await ForgetAsync(user.Id);")]
    [InlineData("await _events.PublishAsync(user);")]
    public async Task CreatePaths_ThatClearTheKey_AreNotFlagged(string clearing)
    {
        var create = $$"""
            using System;
            using System.Text.Json;
            using System.Threading.Tasks;
            using CacheGuard;
            using StackExchange.Redis;
            namespace App.Commands;
            public interface IEvents { Task PublishAsync(User user); }
            public class Users
            {
                private readonly IUserStore _store;
                private readonly IDatabase _db;
                private readonly IEvents _events;
                public Users(IUserStore store, IDatabase db, IEvents events) { _store = store; _db = db; _events = events; }
                public async Task CreateAsync(User user)
                {
                    await _store.AddAsync(user);
                    {{clearing}}
                }
                private Task ForgetAsync(int id) => _db.KeyDeleteAsync($"user:{id}");
            }
            public class UserCreatedHandler
            {
                private readonly IDatabase _db;
                public UserCreatedHandler(IDatabase db) => _db = db;
                public Task HandleAsync(User user) => _db.KeyDeleteAsync($"user:{user.Id}");
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/Users.cs", create));
        await test.RunAsync();
    }

    [Fact]
    public async Task NoNegativeCaching_UpdatePaths_OtherEntities_AreNotFlagged()
    {
        var positiveOnly = """
            using System;
            using System.Text.Json;
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Queries;
            public class PostQueries
            {
                private readonly IDatabase _db;
                public PostQueries(IDatabase db) => _db = db;
                // Only found posts are cached: nothing negative to clear when a post is created.
                public async Task CacheAsync(Post? post)
                {
                    if (post is null) return;
                    await _db.StringSetAsync($"post:{post.Id}", JsonSerializer.Serialize(post), TimeSpan.FromMinutes(5));
                }
            }
            """;
        var commands = """
            using System.Threading.Tasks;
            namespace App.Commands;
            public class Commands
            {
                private readonly IUserStore _users;
                private readonly IPostStore _posts;
                private readonly AppDb _db;
                public Commands(IUserStore users, IPostStore posts, AppDb db) { _users = users; _posts = posts; _db = db; }

                // An update is not a create: the entity existed, so no negative entry was cached for it.
                public Task UpdateUserAsync(User user) => _users.UpdateAsync(user);

                // Creates a Post: only users are negative-cached.
                public async Task CreatePostAsync(Post post)
                {
                    _db.Posts.Add(post);
                    await _db.SaveChangesAsync();
                }

                // A create verb with no database write.
                public User CreateDraft(string email) => new User { Email = email };

                // "Address" starts with "Add" but is no create verb.
                public Task AddressChangedAsync(User user) => _users.UpdateAsync(user);

                // A create verb whose database write is an update of an existing user.
                public async Task AddRoleAsync(User user, string role)
                {
                    user.Email = role;
                    await _users.UpdateAsync(user);
                }

                // Creates a post that merely reads the user: the user is not created.
                public async Task AddPostForAsync(User user)
                {
                    _db.Posts.Add(new Post { Id = user.Id, Slug = user.Email });
                    await _db.SaveChangesAsync();
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/PostQueries.cs", positiveOnly));
        test.TestState.Sources.Add(("/0/Commands.cs", commands));
        await test.RunAsync();
    }

    [Fact]
    public async Task CreatePath_WithNoNegativeCachingInTheCompilation_IsNotFlagged()
    {
        var create = """
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Commands;
            public class Users
            {
                private readonly IUserStore _store;
                private readonly IDatabase _db;
                public Users(IUserStore store, IDatabase db) { _store = store; _db = db; }
                public async Task CreateAsync(User user)
                {
                    await _store.AddAsync(user);
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/Users.cs", create));
        await test.RunAsync();
    }

    [Fact]
    public async Task RepositoryCalledByAnInvalidatingService_IsNotFlagged()
    {
        var layers = """
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Data;
            public class UserRepository : IUserRepository
            {
                private readonly AppDb _db;
                public UserRepository(AppDb db) => _db = db;
                public async Task AddAsync(User user)
                {
                    _db.Users.Add(user);
                    await _db.SaveChangesAsync();
                }
            }
            public interface IUserRepository { Task AddAsync(User user); }
            public class UserService
            {
                private readonly IUserRepository _repository;
                private readonly IDatabase _db;
                public UserService(IUserRepository repository, IDatabase db) { _repository = repository; _db = db; }
                public async Task ImportAsync(User user)
                {
                    await _repository.AddAsync(user);
                    await _db.KeyDeleteAsync($"user:{user.Id}");
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/Layers.cs", layers));
        await test.RunAsync();
    }

    [Fact]
    public async Task ConfiguredCreateVerbs_AreUsed()
    {
        var create = """
            using System.Threading.Tasks;
            using StackExchange.Redis;
            namespace App.Commands;
            public class Users
            {
                private readonly IUserStore _store;
                private readonly IDatabase _db;
                public Users(IUserStore store, IDatabase db) { _store = store; _db = db; }
                public async Task {|CG0003:OnboardAsync|}(User user)
                {
                    await _store.AddAsync(user);
                }
                public async Task CreateAsync(User user)
                {
                    await _store.AddAsync(user);
                }
            }
            """;
        var test = NewTest();
        test.TestState.Sources.Add(("/0/Domain.cs", Domain));
        test.TestState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.TestState.Sources.Add(("/0/Users.cs", create));
        test.AddEditorConfig("cacheguard.create_verbs = Onboard|Enroll");
        test.FixedState.Sources.Add(("/0/Domain.cs", Domain));
        test.FixedState.Sources.Add(("/0/UserQueries.cs", UserQueries));
        test.FixedState.Sources.Add(("/0/Users.cs", create.Replace("""
                    await _store.AddAsync(user);
                }
                public async Task CreateAsync
            """, """
                    await _store.AddAsync(user);
                    await _db.InvalidateAsync($"user:{user.Id}");
                }
                public async Task CreateAsync
            """).Replace("{|CG0003:OnboardAsync|}", "OnboardAsync").Replace("using StackExchange.Redis;", "using CacheGuard;\nusing StackExchange.Redis;")));
        await test.RunAsync();
    }
}
