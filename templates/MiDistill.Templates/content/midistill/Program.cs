// The experiment executable: `dotnet run -- list`, `dotnet run -- run starter`, `dotnet run -- resume <run-folder>`.
return MiDistill.Runtime.Hosting.RecipeHost.Main(args, MiDistill.Recipes.RecipeRegistry.All);
