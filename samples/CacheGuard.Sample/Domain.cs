namespace Sample;

public sealed class Post
{
    public int Id { get; set; }
    public string Slug { get; set; } = "";
    public string Title { get; set; } = "";
    public string Body { get; set; } = "";
}

public sealed class Author
{
    public int Id { get; set; }
    public string Handle { get; set; } = "";
}

public interface IPostRepository
{
    Task<Post?> LoadAsync(int id);
    Post? LoadBySlug(string slug);
    Task UpdateAsync(Post post);
}

public interface IAuthorRepository
{
    Task<Author?> FindByHandleAsync(string handle);
    Task InsertAsync(Author author);
}
