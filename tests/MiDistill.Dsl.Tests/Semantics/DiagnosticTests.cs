using System.Linq;
using MiDistill.Dsl.Diagnostics;
using MiDistill.Dsl.Semantics;

using MiDistill.Dsl.Tests.Infrastructure;

namespace MiDistill.Dsl.Tests.Semantics;

/// <summary>
/// One test per semantic diagnostic id: the exact text (file, line, column, severity, id, message)
/// of everything the compiler reports. MD0001 lives in the parser tables, MD0900 in the generator tests.
/// </summary>
public class DiagnosticTests
{
    // The smallest valid recipe: everything else has a default. Lines 1-7.
    private const string Teacher = "  teacher {\n    pretrain upstream(classes: 0..4)\n  }\n";
    private const string Data = "  data {\n    classes 5..9\n  }\n";

    private static string Recipe(string body) => "recipe r {\n" + body + "}\n";

    private static string[] Compile(string text) =>
        RecipeCompiler.Compile("r.distill", text, BuiltInSchema.Value).Diagnostics.Select(d => d.ToString()).ToArray();

    private static void AssertDiagnostics(string text, params string[] expected) => Assert.Equal(expected, Compile(text));

    [Fact]
    public void Minimal_recipe_has_no_diagnostics() => AssertDiagnostics(Recipe(Teacher + Data));

    // Lines 8-10: the variants block; the override starts at column 9.
    [Theory]
    [InlineData("threads", "4")]
    [InlineData("workers", "2")]
    [InlineData("device", "cpu")]
    [InlineData("output", "\"elsewhere\"")]
    [InlineData("cache", "\"/tmp/c\"")]
    public void MD0170_a_variant_may_not_set_a_process_resource(string setting, string value) => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { }\n    b { run." + setting + " = " + value + " }\n  }\n"),
        $"r.distill(10,9): error MD0170: `run.{setting}` belongs to the process, not to variant `b`: every variant of a run shares one device, thread count, data workers, output folder and cache; set it in the recipe's `run` section or on the command line (`--{setting}`)");

    [Fact]
    public void MD0170_a_sweep_may_not_grid_a_process_resource() => AssertDiagnostics(
        Recipe(Teacher + Data + "  sweep {\n    run.threads [1, 2]\n  }\n"),
        "r.distill(9,5): error MD0170: `run.threads` belongs to the process, not to a sweep: every variant of a run shares one device, thread count, data workers, output folder and cache; set it in the recipe's `run` section or on the command line (`--threads`)");

    [Fact]
    public void MD0170_the_recipe_itself_and_a_variant_seed_may_set_run_settings() => AssertDiagnostics(
        Recipe(Teacher + Data + "  run {\n    threads 2\n    workers 1\n  }\n  variants {\n    a { run.seed = [1, 2] }\n  }\n"));

    // An image folder the build can see is checked like a source that declares its classes.
    private static string ImageFolderRecipe(string path, string classes = "[2, 3]") => Recipe(
        "  teacher {\n    pretrain upstream(classes: [0, 1])\n  }\n" +
        "  data {\n    source image_folder\n    path \"" + path + "\"\n    classes " + classes + "\n  }\n");

    private static string TempFolder(params string[] folders)
    {
        var root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "midistill-md0206-" + System.Guid.NewGuid().ToString("N"));
        foreach (var folder in folders) System.IO.Directory.CreateDirectory(System.IO.Path.Combine(root, folder));
        System.IO.Directory.CreateDirectory(root);
        return root;
    }

    [Fact]
    public void MD0206_an_image_folder_that_does_not_exist_is_a_warning_at_its_path()
    {
        var missing = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "midistill-no-such-folder");
        AssertDiagnostics(ImageFolderRecipe(missing),
            $"r.distill(7,10): warning MD0206: image folder \"{missing}\" does not exist (looked for {missing}); an image folder holds `train/<class>/` and `test/<class>/`, and the run fails unless they appear before then or `--data` points at another folder");
    }

    [Fact]
    public void MD0206_an_image_folder_without_its_test_split_is_a_warning_at_its_path()
    {
        var root = TempFolder("train/a", "train/b");
        try
        {
            AssertDiagnostics(ImageFolderRecipe(root),
                $"r.distill(7,10): warning MD0206: image folder \"{root}\" has no `test/` folder (looked for {root}); an image folder holds `train/<class>/` and `test/<class>/`, and the run fails unless they appear before then or `--data` points at another folder");
        }
        finally { System.IO.Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void MD0115_classes_beyond_the_image_folders_class_folders_are_errors_at_build_time()
    {
        var root = TempFolder("train/a", "train/b", "train/c", "test/a", "test/b", "test/c");
        try
        {
            AssertDiagnostics(ImageFolderRecipe(root, "[2, 3]"),
                $"r.distill(8,17): error MD0115: class 3 in `data.classes` does not exist; the image folder \"{root}\" (3 class folders in train/) has classes 0..2");
            AssertDiagnostics(ImageFolderRecipe(root, "[2]"));
        }
        finally { System.IO.Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void MD0101_unknown_section_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetun {\n    epochs 3\n  }\n"),
        "r.distill(8,3): error MD0101: unknown section `finetun` (did you mean `finetune`?); sections are `teacher`, `data`, `finetune`, `distill`, `evaluate`, `run`, `analyze`, `export`, `variants`, `sweep`");

    [Fact]
    public void MD0102_unknown_setting_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epoch 3\n  }\n"),
        "r.distill(9,5): error MD0102: unknown setting `epoch` in `finetune` (did you mean `epochs`?); settings of `finetune` are `objective`, `reweight`, `optimizer`, `schedule`, `epochs`, `batch_size`, `clip_grad`, `decay_exclusions`, `augment`");

    [Fact]
    public void MD0102_setting_of_another_section_names_that_section() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    batch_size 8\n  }\n"),
        "r.distill(7,5): error MD0102: unknown setting `batch_size` in `data` (`batch_size` belongs in the `finetune` section); settings of `data` are `source`, `path`, `classes`, `regime`, `validation`, `validation_per_class`, `test_images`, `reserve`, `seed`");

    [Fact]
    public void MD0103_unknown_form_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective samm(rho: 0.1)\n  }\n"),
        "r.distill(9,15): error MD0103: `samm` is not a valid `finetune.objective` (did you mean `sam`?); expected one of `asam`, `cross_entropy`, `sam`");

    [Fact]
    public void MD0103_a_paired_statistics_reference_that_is_no_variant() => AssertDiagnostics(
        Recipe(Teacher + Data + "  evaluate {\n    reference \"vanila\"\n  }\n  variants {\n    vanilla { finetune.objective = cross_entropy }\n    sam { }\n  }\n"),
        "r.distill(9,15): error MD0103: `vanila` is not a valid `evaluate.reference` (did you mean `vanilla`?); expected one of `vanilla`, `sam`");

    [Fact]
    public void MD0104_unknown_argument_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective sam(roh: 0.1)\n  }\n"),
        "r.distill(9,19): error MD0104: `sam` has no argument `roh` (did you mean `rho`?); its arguments are `rho`");

    [Fact]
    public void MD0105_wrong_type() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epochs 1.5\n  }\n"),
        "r.distill(9,12): error MD0105: `finetune.epochs` expects an integer, but found the number `1.5`");

    [Fact]
    public void MD0106_out_of_range() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epochs 0\n  }\n"),
        "r.distill(9,12): error MD0106: `finetune.epochs` = 0 is out of range; expected 1..100000");

    [Fact]
    public void MD0107_missing_required_setting_points_at_its_section() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    seed 1\n  }\n"),
        "r.distill(5,3): error MD0107: `data.classes` is required: downstream classes, relabelled 0..C-1 in this order; add it to the `data` section, e.g. `classes 0..4`");

    [Fact]
    public void MD0107_missing_section_points_at_the_recipe_name() => AssertDiagnostics(
        Recipe(Teacher),
        "r.distill(1,8): error MD0107: `data.classes` is required: downstream classes, relabelled 0..C-1 in this order; add `data { classes ... }` to the recipe, e.g. `classes 0..4`");

    [Fact]
    public void MD0107_missing_required_argument() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot\n  }\n"),
        "r.distill(7,12): error MD0107: argument `per_class` of `few_shot` is required: images per class (k), validation included; write `few_shot(per_class: ...)`");

    [Fact]
    public void MD0108_duplicate_recipe_in_one_file() => AssertDiagnostics(
        Recipe(Teacher + Data) + Recipe(Teacher + Data),
        "r.distill(9,8): error MD0108: recipe `r` is already declared at r.distill(1,8); recipe names must be unique across all .distill files");

    [Fact]
    public void MD0109_duplicate_variant() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { }\n    a { finetune.epochs = 3 }\n  }\n"),
        "r.distill(10,5): error MD0109: variant `a` is already declared in recipe `r`; rename one of them");

    [Fact]
    public void MD0110_unknown_override_setting_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetune.epoch = 3 }\n  }\n"),
        "r.distill(9,18): error MD0110: variant `a` overrides `finetune.epoch`, which does not exist (did you mean `finetune.epochs`?); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0110_unknown_override_section_suggests_the_closest() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetuen.epochs = 3 }\n  }\n"),
        "r.distill(9,9): error MD0110: variant `a` overrides `finetuen.epochs`, which does not exist (did you mean `finetune`?); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0110_argument_of_a_form_without_arguments() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetune.reweight.top = 3 }\n  }\n"),
        "r.distill(9,27): error MD0110: variant `a` overrides `finetune.reweight.top`, which does not exist (the base value `none` has no arguments); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0110_section_alone_is_not_a_setting() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { run = 3 }\n  }\n"),
        "r.distill(9,9): error MD0110: variant `a` overrides `run`, which does not exist as a setting (`run` is a section; its settings are `device`, `threads`, `workers`, `seed`, `vary`, `checkpoint_every`, `output`, `cache`); write `section.setting = value` or `section.setting.argument = value`");

    [Fact]
    public void MD0110_argument_of_a_setting_the_recipe_leaves_out() => Assert.Contains(
        "r.distill(9,26): error MD0110: variant `a` overrides `teacher.pretrain.epochs`, which does not exist (the recipe sets no `teacher.pretrain`, so it has no `epochs` to change; override the whole setting: `teacher.pretrain = ...`); write `section.setting = value` or `section.setting.argument = value`",
        Compile(Recipe("  teacher {\n    weights checkpoint(path: \"r.distill\")\n  }\n" + Data + "  variants {\n    a { teacher.pretrain.epochs = 3 }\n  }\n")));

    [Fact]
    public void MD0111_setting_given_twice() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epochs 3\n    epochs 4\n  }\n"),
        "r.distill(10,5): error MD0111: `finetune.epochs` is already set on line 9; remove one of them");

    [Fact]
    public void MD0111_argument_given_twice() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective sam(rho: 0.1, rho: 0.2)\n  }\n"),
        "r.distill(9,29): error MD0111: `finetune.objective.rho` is already set on line 9; remove one of them");

    [Fact]
    public void MD0112_section_given_twice() => AssertDiagnostics(
        Recipe(Teacher + Data + "  data {\n    seed 3\n  }\n"),
        "r.distill(8,3): error MD0112: section `data` is already declared on line 5; merge them into one");

    [Fact]
    public void MD0113_reweighting_deeper_than_the_teacher() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    reweight mlp(top: 9, alpha: 0.5)\n  }\n"),
        "r.distill(9,23): error MD0113: `reweight` top = 9 exceeds the teacher's depth (4 blocks of `tiny_28`); use at most 4");

    [Fact]
    public void MD0113_is_checked_on_each_variant_at_its_override() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    a { finetune.reweight = mlp(top: 9) }\n    b { finetune.reweight = mlp(top: 4) }\n  }\n"),
        "r.distill(9,38): error MD0113: `reweight` top = 9 exceeds the teacher's depth (4 blocks of `tiny_28`); use at most 4");

    [Fact]
    public void MD0114_more_shots_than_the_smallest_class() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot(per_class: 7000)\n  }\n"),
        "r.distill(7,32): error MD0114: few_shot per_class = 7000 images per class exceeds the smallest selected class of Fashion-MNIST (6000 training images); use at most 6000");

    [Fact]
    public void MD0114_more_shots_than_the_reserved_pool() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot(per_class: 30)\n    reserve 20\n  }\n"),
        "r.distill(7,32): error MD0114: few_shot per_class = 30 images per class exceeds the smallest selected class of the `data.reserve` pool (20 training images); use at most 20");

    [Fact]
    public void MD0114_shots_and_transfer_set_beyond_the_reserved_pool() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot(per_class: 10)\n    reserve 20\n  }\n  distill {\n    transfer 15\n  }\n"),
        "r.distill(11,14): error MD0114: few_shot per_class + distill.transfer = 25 images per class exceeds the smallest selected class of the `data.reserve` pool (20 training images); use at most 20");

    [Fact]
    public void MD0114_shots_validation_and_transfer_set_beyond_the_reserved_pool() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot(per_class: 10)\n    validation 0%\n    validation_per_class 5\n    reserve 20\n  }\n  distill {\n    transfer 6\n  }\n"),
        "r.distill(13,14): error MD0114: few_shot per_class + data.validation_per_class + distill.transfer = 21 images per class exceeds the smallest selected class of the `data.reserve` pool (20 training images); use at most 20");

    [Fact]
    public void MD0123_validation_beside_and_out_of_the_budget() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot(per_class: 10)\n    validation_per_class 5\n  }\n"),
        "r.distill(8,26): error MD0123: `validation_per_class` takes validation images beside the labelled ones, but `validation` also holds 10% of them out; set `validation 0%` or drop `validation_per_class`");

    [Fact]
    public void Validation_beside_the_budget_with_validation_zero_is_fine() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 5..9\n    regime few_shot(per_class: 10)\n    validation 0%\n    validation_per_class 5\n  }\n  run {\n    seed [0, 1]\n    vary training\n  }\n"));

    [Fact]
    public void MD0115_upstream_class_that_does_not_exist() => AssertDiagnostics(
        Recipe("  teacher {\n    pretrain upstream(classes: [0, 10])\n  }\n" + Data),
        "r.distill(3,36): error MD0115: class 10 in `teacher.pretrain.classes` does not exist; Fashion-MNIST has classes 0..9");

    [Fact]
    public void Image_folder_classes_are_not_bounded_by_fashion_mnist() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    source image_folder\n    path \"/data/pets\"\n    classes [5, 12, 30]\n  }\n"),
        NoPets(7));

    // The image folder these tests name does not exist on the build machine: a warning, never an error (MD0206).
    private static string NoPets(int line) =>
        $"r.distill({line},10): warning MD0206: image folder \"/data/pets\" does not exist (looked for /data/pets); an image folder holds `train/<class>/` and `test/<class>/`, and the run fails unless they appear before then or `--data` points at another folder";

    [Fact]
    public void MD0115_empty_class_range() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 9..5\n  }\n"),
        "r.distill(6,13): error MD0115: `data.classes` = 9..5 is an empty class range; write the smaller class first, e.g. `5..9`");

    [Fact]
    public void MD0115_class_that_does_not_exist_points_at_the_item() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes [5, 12]\n  }\n"),
        "r.distill(6,17): error MD0115: class 12 in `data.classes` does not exist; Fashion-MNIST has classes 0..9");

    [Fact]
    public void MD0116_width_not_divisible_by_heads() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: tiny_28, heads: 3)\n    pretrain upstream(classes: 0..4)\n  }\n" + Data),
        "r.distill(3,39): error MD0116: the teacher's width dim = 64 is not divisible by heads = 3; choose heads that divide 64");

    [Fact]
    public void MD0117_file_without_recipe() => AssertDiagnostics(
        "# nothing here yet\n",
        "r.distill(1,1): error MD0117: this .distill file declares no recipe; start with `recipe <name> { ... }`");

    [Fact]
    public void MD0118_repeated_seed() => AssertDiagnostics(
        Recipe(Teacher + Data + "  run {\n    seed [0, 1, 1]\n  }\n"),
        "r.distill(9,17): error MD0118: 1 appears twice in `run.seed`; list each value once");

    [Fact]
    public void MD0119_paper_protocol_checkpoint_after_the_last_epoch() => AssertDiagnostics(
        Recipe(Teacher + Data + "  evaluate {\n    protocol paper(checkpoints: [5, 12])\n  }\n"),
        "r.distill(9,33): error MD0119: the paper protocol keeps the teacher after epoch 12, but `finetune.epochs` is 10; list epochs from 1 to 10");

    [Fact]
    public void MD0201_tiny_sam_radius_warns() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective sam(rho: 0.001)\n  }\n"),
        "r.distill(9,24): warning MD0201: SAM rho = 0.001 is below 0.01: the perturbation is too small to change the optimum, and SAM then costs twice the compute of cross-entropy for nothing; the method uses rho >= 0.05");

    [Fact]
    public void MD0202_reweight_alpha_one_warns() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    reweight mlp(alpha: 1)\n  }\n"),
        "r.distill(9,25): warning MD0202: `reweight` with alpha = 1 leaves every block unchanged; use `reweight none` or an alpha below 1");

    [Fact]
    public void MD0203_overlapping_classes_warn() => AssertDiagnostics(
        Recipe("  teacher {\n    pretrain upstream(classes: 0..5)\n  }\n" + Data),
        "r.distill(6,13): warning MD0203: pretraining classes [0, 1, 2, 3, 4, 5] overlap the downstream classes [5, 6, 7, 8, 9]; images stay disjoint, but a class-disjoint split is the faithful setting");

    [Fact]
    public void MD0203_is_not_reported_when_a_reserved_pool_declares_the_overlap() => AssertDiagnostics(
        Recipe("  teacher {\n    pretrain upstream(classes: 0..9)\n  }\n  data {\n    classes 0..9\n    regime few_shot(per_class: 10)\n    reserve 100\n  }\n"));

    [Fact]
    public void MD0203_is_reported_once_for_a_recipe_with_variants() => AssertDiagnostics(
        Recipe("  teacher {\n    pretrain upstream(classes: 0..5)\n  }\n" + Data + "  variants {\n    a { finetune.epochs = 2 }\n    b { }\n  }\n"),
        "r.distill(6,13): warning MD0203: pretraining classes [0, 1, 2, 3, 4, 5] overlap the downstream classes [5, 6, 7, 8, 9]; images stay disjoint, but a class-disjoint split is the faithful setting");

    [Fact]
    public void MD0204_large_teacher_on_the_cpu_warns() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: vit_tiny_patch16_224)\n    pretrain upstream(classes: 0..4)\n  }\n" + Data),
        "r.distill(3,11): warning MD0204: teacher `vit_tiny_patch16_224` has 12 blocks of width 192; training it on the CPU will take hours. Use a `_28` preset on the CPU, or `run { device cuda }`");

    [Fact]
    public void MD0204_is_silent_when_the_recipe_asks_for_cuda() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: vit_tiny_patch16_224)\n    pretrain upstream(classes: 0..4)\n  }\n" + Data + "  run {\n    device cuda\n  }\n"));

    [Fact]
    public void MD0107_teacher_without_pretraining_or_checkpoint() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: micro_28)\n  }\n" + Data),
        "r.distill(2,3): error MD0107: `teacher.pretrain` is required: pretraining stage on the upstream split, unless the teacher starts from a checkpoint; add e.g. `pretrain upstream(classes: 0..4)`, or `weights checkpoint(path: \"teacher.safetensors\")`");

    [Fact]
    public void MD0140_pretraining_beside_a_checkpoint() => AssertDiagnostics(
        Recipe("  teacher {\n    pretrain upstream(classes: 0..4)\n    weights checkpoint(path: \"/nonexistent/t.safetensors\")\n  }\n" + Data),
        "r.distill(3,14): error MD0140: the teacher starts from a checkpoint, so `pretrain` would never run; remove `pretrain`, or use `weights pretrain`",
        "r.distill(4,30): warning MD0205: checkpoint file \"/nonexistent/t.safetensors\" does not exist (looked for /nonexistent/t.safetensors); the run fails unless it appears before then");

    [Fact]
    public void MD0205_missing_teacher_checkpoint_warns_at_its_path() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(preset: vit_small_patch16_224)\n    weights checkpoint(path: \"/nonexistent/vit_small.safetensors\", normalize: inception)\n  }\n" + Data + "  run {\n    device cuda\n  }\n"),
        "r.distill(4,30): warning MD0205: checkpoint file \"/nonexistent/vit_small.safetensors\" does not exist (looked for /nonexistent/vit_small.safetensors); the run fails unless it appears before then");

    [Fact]
    public void MD0205_missing_student_checkpoint_warns_at_its_path() => AssertDiagnostics(
        Recipe(Teacher + Data + "  distill {\n    student resnet18(width: 8, stem: imagenet)\n    student_weights checkpoint(path: \"/nonexistent/r18.pth\", normalize: imagenet)\n  }\n"),
        "r.distill(10,38): warning MD0205: checkpoint file \"/nonexistent/r18.pth\" does not exist (looked for /nonexistent/r18.pth); the run fails unless it appears before then");

    [Fact]
    public void MD0205_is_silent_when_the_checkpoint_exists()
    {
        var file = System.IO.Path.GetTempFileName();
        try
        {
            AssertDiagnostics(Recipe("  teacher {\n    model vit(preset: micro_28)\n    weights checkpoint(path: \"" + file + "\")\n  }\n" + Data));
        }
        finally { System.IO.File.Delete(file); }
    }

    [Fact]
    public void Warnings_do_not_drop_the_recipe()
    {
        var result = RecipeCompiler.Compile("r.distill", Recipe(Teacher + Data + "  finetune {\n    objective sam(rho: 0.001)\n  }\n"), BuiltInSchema.Value);
        Assert.False(result.HasErrors);
        Assert.Single(result.Recipes);
    }

    [Fact]
    public void Errors_drop_the_recipe()
    {
        var result = RecipeCompiler.Compile("r.distill", Recipe(Teacher + Data + "  finetune {\n    epochs 0\n  }\n"), BuiltInSchema.Value);
        Assert.True(result.HasErrors);
        Assert.Empty(result.Recipes);
    }

    /// <summary>Every id in the table has a test above (or, for MD0001/MD0900, in the parser and generator tests).</summary>
    // Training methods (issue #4).
    [Fact]
    public void MD0130_augmentation_listed_twice() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    augment [flip, crop, flip]\n  }\n"),
        "r.distill(9,26): error MD0130: `flip` appears twice in `finetune.augment` (first on line 9); list each at most once");

    [Fact]
    public void MD0131_per_block_alphas_must_match_the_depth() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    reweight mlp_blocks(alphas: [1, 0.5, 0.25])\n  }\n"),
        "r.distill(9,33): error MD0131: `reweight mlp_blocks` lists 3 alphas, but the teacher has 4 blocks (`tiny_28`); give exactly one alpha per block, bottom block first");

    [Fact]
    public void MD0131_is_checked_against_an_overridden_depth() => AssertDiagnostics(
        Recipe("  teacher {\n    model vit(depth: 3)\n    pretrain upstream(classes: 0..4)\n  }\n" + Data + "  finetune {\n    reweight mlp_blocks(alphas: [1, 1, 0.5, 0.25])\n  }\n"),
        "r.distill(10,33): error MD0131: `reweight mlp_blocks` lists 4 alphas, but the teacher has 3 blocks (`tiny_28`); give exactly one alpha per block, bottom block first");

    [Fact]
    public void MD0106_per_block_alpha_out_of_range() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    reweight mlp_blocks(alphas: [1, 1, 1.5, 0.25])\n  }\n"),
        "r.distill(9,40): error MD0106: `finetune.reweight.alphas` = 1.5 is out of range; expected [0, 1]");

    [Fact]
    public void MD0133_augmentation_after_mixup() => AssertDiagnostics(
        Recipe(Teacher + Data + "  distill {\n    augment [mixup(alpha: 0.2), flip]\n  }\n"),
        "r.distill(9,33): error MD0133: `flip` follows `mixup` in `distill.augment`; mixup blends whole images, so crop and flip go first: write `mixup` last");

    [Fact]
    public void MD0180_mixup_with_a_teacher_cache() => AssertDiagnostics(
        Recipe(Teacher + Data + "  distill {\n    teacher_cache_views 4\n    augment [flip, mixup(alpha: 0.2)]\n  }\n"),
        "r.distill(10,20): error MD0180: `mixup` in `distill.augment` mixes pairs of a batch, which a teacher-output cache cannot replay from per-image views; remove `mixup`, or set `distill.teacher_cache_views 0`");

    [Fact]
    public void MD0180_mixup_without_a_cache_is_fine() => AssertDiagnostics(
        Recipe(Teacher + Data + "  distill {\n    teacher_cache_views 0\n    augment [flip, mixup(alpha: 0.2)]\n  }\n"));

    [Fact]
    public void MD0181_cache_keeps_more_logits_than_classes() => AssertDiagnostics(
        Recipe(Teacher + Data + "  distill {\n    teacher_cache_views 4\n    teacher_cache_top_k 7\n  }\n"),
        "r.distill(10,25): error MD0181: `teacher_cache_top_k 7` keeps more logits than the 5 downstream classes; use at most 5, or 0 for every class");

    [Fact]
    public void MD0182_dist_needs_every_class_from_the_cache() => AssertDiagnostics(
        Recipe(Teacher + Data + "  distill {\n    loss dist(temperature: 4)\n    teacher_cache_views 4\n    teacher_cache_top_k 3\n  }\n"),
        "r.distill(11,25): error MD0182: `dist` correlates every class's probability across the batch, but `teacher_cache_top_k 3` keeps 3 of 5 classes; set `teacher_cache_top_k 0` (every class) or 5");

    [Fact]
    public void MD0182_kd_may_keep_fewer_classes_and_dist_every_class() => AssertDiagnostics(
        Recipe(Teacher + Data + "  distill {\n    teacher_cache_views 4\n    teacher_cache_top_k 3\n  }\n  variants {\n    d {\n      distill.loss = dist(temperature: 4)\n      distill.teacher_cache_top_k = 5\n    }\n  }\n"));

    [Fact]
    public void MD0220_small_asam_radius_warns() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    objective asam(rho: 0.05)\n  }\n"),
        "r.distill(9,25): warning MD0220: ASAM rho = 0.05 is below 0.1: adaptive SAM's radius is measured relative to the weights and is about 10x SAM's (0.5-2.0); at this size the climb barely moves, and the step still costs two passes");

    [Fact]
    public void MD0221_step_schedule_that_never_decays_warns() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    epochs 10\n    schedule step(every: 10, gamma: 0.5)\n  }\n"),
        "r.distill(10,26): warning MD0221: the step schedule decays every 10 epochs, but `finetune.schedule` runs 10 epochs; the rate never drops. Use a smaller `every` or `constant`");

    [Fact]
    public void MD0222_per_block_alphas_all_one_warn() => AssertDiagnostics(
        Recipe(Teacher + Data + "  finetune {\n    reweight mlp_blocks(alphas: [1, 1, 1, 1])\n  }\n"),
        "r.distill(9,33): warning MD0222: every alpha of `mlp_blocks` is 1, which leaves every block unchanged; use `reweight none` or alphas below 1");

    [Fact]
    public void Training_methods_compile_without_diagnostics() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    source image_folder(image_size: 32, color: rgb)\n    path \"/data/pets\"\n    classes 5..7\n  }\n"
            + "  finetune {\n    objective asam(rho: 1.0, eta: 0.01)\n    reweight mlp_blocks(alphas: [1, 1, 0.5, 0.25], schedule: ramp(epochs: 2))\n    schedule step(every: 3, gamma: 0.5, warmup: 1)\n    clip_grad 1.0\n    decay_exclusions false\n    augment [crop(padding: 4), flip, mixup(alpha: 1.0, prob: 0.5)]\n  }\n"
            + "  distill {\n    loss dist(inter: 1, intra: 2, temperature: 4, weight: 0.5)\n    augment [crop, flip]\n    clip_grad 5\n  }\n"),
        NoPets(7));

    // Issue #10: values that used to allocate (or loop) before they were checked, and generated
    // names that used to clash in C#. Each of these hung, ran out of memory or broke the build.

    [Fact]
    public void MD0115_huge_class_range_is_checked_before_it_is_built() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes 0..2000000000\n  }\n"),
        "r.distill(6,13): error MD0115: class 10000 in `data.classes` is out of range; classes are numbered 0..9999");

    [Fact]
    public void MD0115_huge_upstream_class_range() => AssertDiagnostics(
        Recipe("  teacher {\n    pretrain upstream(classes: 0..2000000000)\n  }\n" + Data),
        "r.distill(3,32): error MD0115: class 10000 in `teacher.pretrain.classes` is out of range; classes are numbered 0..9999");

    [Fact]
    public void MD0115_huge_class_range_in_a_variant() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    v { data.classes = -9223372036854775808..9223372036854775807 }\n  }\n"),
        "r.distill(9,24): error MD0115: class -9223372036854775808 in `data.classes` is out of range; classes are numbered 0..9999");

    [Fact]
    public void MD0115_class_beyond_long_is_reported_as_written() => AssertDiagnostics(
        Recipe(Teacher + "  data {\n    classes [1, 99999999999999999999]\n  }\n"),
        "r.distill(6,17): error MD0115: class 99999999999999999999 in `data.classes` is out of range; classes are numbered 0..9999");

    [Fact]
    public void MD0106_seed_range_over_all_longs_does_not_loop() => AssertDiagnostics(
        Recipe(Teacher + Data + "  run {\n    seed -9223372036854775808..9223372036854775807\n  }\n"),
        "r.distill(9,10): error MD0106: `run.seed` = -9223372036854775808 is out of range; expected 0..2147483647, non-empty, no repeats");

    [Fact]
    public void MD0106_seed_range_too_long_to_run() => AssertDiagnostics(
        Recipe(Teacher + Data + "  run {\n    seed 0..2000000000\n  }\n"),
        "r.distill(9,10): error MD0106: `run.seed` = 0..2000000000 is out of range; expected a range of at most 10000 values (this one has 2000000001)");

    [Fact]
    public void MD0150_recipe_names_that_become_one_class() => AssertDiagnostics(
        Recipe(Teacher + Data).Replace("recipe r", "recipe a_b") + Recipe(Teacher + Data).Replace("recipe r", "recipe a__b"),
        "r.distill(9,8): error MD0150: recipe `a__b` becomes the C# class `ABRecipe`, which clashes with `ABRecipe` of recipe `a_b` at r.distill(1,8); rename one of them (C# names drop `_` and capitalise each word; generated file names ignore case)");

    [Fact]
    public void MD0150_recipe_names_that_differ_in_case_only()
    {
        var result = RecipeCompiler.Compile("r.distill", Recipe(Teacher + Data).Replace("recipe r", "recipe x") + Recipe(Teacher + Data).Replace("recipe r", "recipe X"), BuiltInSchema.Value);
        Assert.Equal(new[] { "r.distill(9,8): error MD0150: recipe `X` becomes the C# class `XRecipe`, which clashes with `XRecipe` of recipe `x` at r.distill(1,8); rename one of them (C# names drop `_` and capitalise each word; generated file names ignore case)" },
            result.Diagnostics.Select(d => d.ToString()));
        // The first keeps its class; the second is never emitted (two hint names equal but for case crash the generator).
        Assert.Equal(new[] { "x" }, result.Recipes.Select(r => r.Name));
    }

    [Fact]
    public void MD0151_variant_names_that_become_one_property() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    x { }\n    X { }\n    a_b { }\n    a__b { }\n  }\n"),
        "r.distill(10,5): error MD0151: variant `X` becomes the C# property `Settings.X`, as variant `x` on line 9 does; rename one of them (C# names drop `_` and capitalise each word)",
        "r.distill(12,5): error MD0151: variant `a__b` becomes the C# property `Settings.AB`, as variant `a_b` on line 11 does; rename one of them (C# names drop `_` and capitalise each word)");

    [Fact]
    public void MD0152_variant_named_like_the_class_of_variants() => AssertDiagnostics(
        Recipe(Teacher + Data + "  variants {\n    settings { }\n    to_string { }\n  }\n"),
        "r.distill(9,5): error MD0152: variant `settings` becomes the C# name `Settings`, which is the class that holds the variants (`Settings.Settings` would be named like its class); rename the variant",
        "r.distill(10,5): error MD0152: variant `to_string` becomes the C# name `ToString`, which would hide `object.ToString`, which every C# class has; rename the variant");

    [Fact]
    public void MD0152_recipe_named_like_the_class_of_recipe_texts() => AssertDiagnostics(
        Recipe(Teacher + Data).Replace("recipe r", "recipe RecipeSources") + Recipe(Teacher + Data).Replace("recipe r", "recipe Equals"),
        "r.distill(1,8): error MD0152: recipe `RecipeSources` becomes the C# name `RecipeSources`, which is the class that holds the recipe texts (`RecipeSources.RecipeSources` would be named like its class); rename the recipe",
        "r.distill(9,8): error MD0152: recipe `Equals` becomes the C# name `Equals`, which would hide `object.Equals`, which every C# class has; rename the recipe");

    [Fact]
    public void Names_with_underscores_and_digits_that_stay_apart_are_fine()
    {
        var result = RecipeCompiler.Compile("r.distill", Recipe(Teacher + Data + "  variants {\n    _1 { }\n    _ { }\n    a1 { }\n    a_1 { }\n  }\n"), BuiltInSchema.Value);
        // `a1` is `A1` and `a_1` is `A1` too: one clash, the rest are distinct (`_1`, `_`).
        Assert.Equal(new[] { "MD0151" }, result.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Every_descriptor_id_is_tested()
    {
        var testedHere = new[] { typeof(DiagnosticTests), typeof(AnalyzeDiagnosticTests), typeof(SweepTests) }
            .SelectMany(t => t.GetMethods()).Select(m => m.Name).Where(n => n.StartsWith("MD")).Select(n => n.Substring(0, 6));
        // MD0001 lives in the parser tables, MD0900 and MD0901 in the generator tests.
        var tested = testedHere.Concat(new[] { "MD0001", "MD0900", "MD0901" }).ToHashSet();
        var untested = Descriptors.All.Select(d => d.Id).Where(id => !tested.Contains(id)).ToList();
        Assert.True(untested.Count == 0, "no test for " + string.Join(", ", untested));
    }

    [Fact]
    public void Descriptor_ids_are_unique_and_in_their_ranges()
    {
        Assert.Equal(Descriptors.All.Length, Descriptors.All.Select(d => d.Id).Distinct().Count());
        foreach (var d in Descriptors.All)
        {
            int n = int.Parse(d.Id.Substring(2));
            bool ok = d.Severity == DiagnosticSeverity.Warning ? n is >= 200 and < 300 : n is < 200 or >= 900;
            Assert.True(ok, d.Id + " is outside the range of its kind");
        }
    }
}
