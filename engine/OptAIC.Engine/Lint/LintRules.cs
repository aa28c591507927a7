using OptAIC.Engine.Specs;

namespace OptAIC.Engine.Lint;

/// <summary>A lint rule as documented: id, severity, what it checks, and a spec that fails it.</summary>
public sealed record LintRule(string Id, Severity Severity, string Group, string Summary, string FailingExample);

/// <summary>Every rule lint can report. engine/docs/lint-rules.md is checked against this list by a test.</summary>
public static class LintRules
{
    public static readonly IReadOnlyList<LintRule> All =
    [
        new("yaml-syntax", Severity.Error, "YAML", "The file is well-formed YAML.", "spec: {name: [unclosed"),
        new("yaml-duplicate-key", Severity.Error, "YAML", "No mapping has the same key twice (YAML would silently keep one).", "seed: 1\nseed: 2"),
        new("yaml-tab-indent", Severity.Error, "YAML", "Indentation uses spaces, never tabs.", "spec:\n\tseed: 1"),
        new("yaml-invalid-utf8", Severity.Error, "YAML", "The file is valid UTF-8.", "(bytes 0xFF 0xFE in a value)"),
        new("yaml-alias-bomb", Severity.Error, "YAML", "Aliases do not expand a document past 100,000 nodes (\"billion laughs\").", "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b] ..."),
        new("yaml-too-deep", Severity.Error, "YAML", "Nesting is at most 64 levels deep.", "a: [[[[[[ ... ]]]]]]"),
        new("yaml-unknown-tag", Severity.Error, "YAML", "No custom tags (!Ref, !include, ...): they mean nothing here and would be silently dropped.", "seed: !Ref 42"),
        new("yaml-non-finite", Severity.Error, "YAML", "Numbers are finite: no .nan, .inf, or a literal past a double's range.", "hyperparameters: {learningRate: .nan}"),
        new("yaml-file-too-large", Severity.Error, "YAML", "A spec file is at most 1 MiB.", "(a 5 MB spec file)"),
        new("spec-envelope", Severity.Error, "Envelope", "Each document is a mapping with apiVersion, kind, metadata and spec.", "- just a list"),
        new("spec-symlink", Severity.Error, "Envelope", "A spec file is a file, not a symbolic link (Git would keep only the link).", "specs/alpha.yaml -> ../shared/alpha.yaml"),
        new("spec-unknown-kind", Severity.Error, "Envelope", "kind is one of Project, Dataset, FeatureSet, ModelDefinition, ModelInstance, Pipeline.", "kind: ModelInstanse"),
        new("spec-api-version", Severity.Error, "Envelope", "apiVersion is optaic.io/v1.", "apiVersion: optaic.io/v2"),
        new("schema-required", Severity.Error, "Schema", "Every required field is present.", "kind: ModelInstance\nspec: {definition: gbm}   # no training, no seed"),
        new("schema-unknown-field", Severity.Error, "Schema", "No field the schema does not know (catches typos).", "spec: {seeed: 42}"),
        new("schema-type", Severity.Error, "Schema", "Each value has the type the schema asks for.", "seed: forty-two"),
        new("schema-enum", Severity.Error, "Schema", "Each value is one of its allowed values.", "category: signl"),
        new("schema-pattern", Severity.Error, "Schema", "Names, dates, durations and identifiers have their format.", "metadata: {name: SPX_Alpha}"),
        new("schema-range", Severity.Error, "Schema", "Numbers, lengths and list sizes are within their bounds.", "folds: 1"),
        new("schema-invalid", Severity.Error, "Schema", "Any other schema violation.", "apiVersion: 1"),
        new("definition-missing-component", Severity.Error, "Schema", "A model definition has all five components: model, training, inference, monitoring, tests (and docs).", "kind: ModelDefinition\nspec: {category: signal, model: ..., training: ...}   # no inference"),
        new("duplicate-name", Severity.Error, "References", "Names are unique per kind (and columns, features, steps within their spec).", "two ModelInstance documents named spx-alpha"),
        new("project-multiple", Severity.Error, "References", "At most one Project spec.", "two kind: Project documents"),
        new("unresolved-reference", Severity.Error, "References", "Every referenced dataset, feature set, feature, target, definition, instance and step exists (with a did-you-mean).", "definition: gbm-signl"),
        new("dataset-time-column", Severity.Error, "References", "A dataset's time column is declared as date or datetime.", "timeColumn: date\ncolumns: [{name: date, type: string}]"),
        new("dataset-time-format", Severity.Error, "References", "A date or datetime column's format (.NET, strftime, epoch-s/ms/us) and time zone are valid, and only time columns have them.", "columns: [{name: date, type: date, format: \"%Q %d\"}]"),
        new("dataset-events", Severity.Error, "References", "events: aggregate has its aggregate (every, functions that fit each column), and aggregate is given only with it.", "events: aggregate   # no aggregate: {every: 1h}"),
        new("dataset-data", Severity.Error, "Data (plan)", "plan reads each dataset: every file reads against the declared columns, times parse in their format, and a series has one row per time and entity; the message names file, row and column.", "date\nJan 1 2000   # declared type: date, no format"),
        new("dataset-frequency", Severity.Error, "Data (plan)", "The declared frequency is the one the data's times have (plan checks it).", "frequency: hour   # the rows are daily"),
        new("category-algorithm", Severity.Error, "Categories", "The algorithm fits the category: trainers for signal/regime/relevance, ridge/ic-weighted/equal-weight for combining, threshold/top-k/regime-gate for filtering.", "category: combining\nmodel: {algorithm: lightgbm}"),
        new("category-task", Severity.Error, "Categories", "The task fits the category: a regime model classifies, a signal is one number.", "category: regime\nmodel: {algorithm: lightgbm, task: regression}"),
        new("signal-bounds", Severity.Error, "Categories", "A signal's output lies within [-1, 1]: bounds inside it, or a bounding transform.", "category: signal\ninference: {bounds: [-2, 2]}"),
        new("inference-bounds", Severity.Error, "Categories", "Bounds are [low, high] with low < high.", "bounds: [1, -1]"),
        new("combiner-inputs", Severity.Error, "Categories", "A combining model reads at least two signals, and only signals.", "definition: signal-ensemble\ninputs: [spx-alpha]"),
        new("filter-inputs", Severity.Error, "Categories", "A filtering model reads exactly one signal; a regime gate names a regime instance.", "definition: regime-filter\ninputs: []"),
        new("filter-parameters", Severity.Error, "Categories", "A filter has its parameter: threshold, topK, or blockedRegimes.", "model: {algorithm: top-k}\ninference: {}"),
        new("onnx-declaration", Severity.Error, "Categories", "An onnx model declares its file, input (or inputs) and output, and the file exists.", "model: {algorithm: onnx}"),
        new("onnx-signature", Severity.Error, "Categories", "An onnx file matches its spec: input names and widths against the instances' features, output and label names, a classifier's class count.", "onnx: {path: linear.onnx, input: float_input, output: variable}   # the file takes 4 features; the instance selects 3"),
        new("instance-features", Severity.Error, "Instances", "A trained model has features to learn from.", "features: {featureSet: spx-features, include: []}"),
        new("instance-target", Severity.Error, "Instances", "A trained model has a target.", "spec: {definition: gbm-signal, features: ...}   # no target"),
        new("instance-inputs", Severity.Error, "Instances", "Only combining and filtering models read other models.", "definition: gbm-signal\ninputs: [spx-linear]"),
        new("hyperparameters", Severity.Error, "Instances", "Hyperparameters satisfy the definition's own JSON Schema (defaults fill the rest).", "hyperparameters: {learningRate: 5}"),
        new("hyperparameters-schema", Severity.Error, "Instances", "A definition's hyperparameters is a valid JSON Schema of an object.", "hyperparameters: {type: number}"),
        new("gate-metric", Severity.Error, "Instances", "A gate tests a known metric (the engine's one table of metrics) that training computes.", "metrics: [ic]\ngates: [{metric: sharpe, op: '>', threshold: 1}]"),
        new("promotion-policy", Severity.Error, "Instances", "A pinned policy names its version; the promotion metric is computed.", "promotion: {policy: pinned}"),
        new("window-order", Severity.Error, "Instances", "Windows end after they start.", "training: {start: 2012-01-01, end: 2010-01-01}"),
        new("invalid-date", Severity.Error, "Instances", "Dates exist on the calendar.", "start: 2021-02-30"),
        new("invalid-cron", Severity.Error, "Schedules", "Cron expressions parse (5 fields, or 6 with seconds).", "schedule: \"61 * * * *\""),
        new("pipeline-cycle", Severity.Error, "Graphs", "A pipeline's steps form a DAG.", "steps: [{name: a, dependsOn: [b]}, {name: b, dependsOn: [a]}]"),
        new("duration-range", Severity.Error, "Schema", "A duration (knowledge lag, timeout) is at most 100 years.", "knowledgeLag: 99999999999999999999d"),
        new("pipeline-timeout", Severity.Error, "Graphs", "A step's timeout is positive.", "timeout: 0"),
        new("instance-cycle", Severity.Error, "Graphs", "Instances do not read each other's outputs in a cycle.", "a: {inputs: [b, c]}, b: {inputs: [a, c]}"),
        new("feature-cycle", Severity.Error, "Features", "Features do not refer to each other in a cycle.", "a: lag(b, 1)\nb: diff(a)"),
        new("expression-syntax", Severity.Error, "Features", "A feature expression parses.", "expr: \"rolling_mean(close, 20\""),
        new("expression-unknown-function", Severity.Error, "Features", "A feature expression calls known functions with the right arguments.", "expr: \"rolling_meen(close, 20)\""),
        new("expression-unknown-name", Severity.Error, "Features", "A feature expression names columns of its datasets or other features.", "expr: \"log_return(clsoe, 1)\""),
        new("pit-feature-lookahead", Severity.Error, "Point in time", "No feature looks ahead: no lead, negative lag, forward window, or target used as a feature.", "expr: \"lag(close, -1)\""),
        new("pit-target-no-lookahead", Severity.Error, "Point in time", "A target looks ahead (a label that does not is a feature).", "targets: [{name: y, expr: \"log_return(close, 5)\"}]"),
        new("pit-target-is-feature", Severity.Error, "Point in time", "An instance's target is declared as a target, not a feature.", "target: ret_5d   # a feature"),
        new("pit-embargo", Severity.Error, "Point in time", "Between the end of training and any evaluation period lies at least the target's horizon.", "target: fwd_ret_20d\ntraining: {end: 2011-12-31}\ninference: {start: 2012-01-02}"),
        new("pit-publication-lag", Severity.Warning, "Point in time", "A joined table of monthly or quarterly figures (dated at the period's end) declares a knowledge lag or a publication column.", "frequency: month\nknowledgeLag: 0   # joined by a feature set"),
        new("pit-open-window", Severity.Error, "Point in time", "A training window has an end: an open one takes every row up to each apply, so inference scores the dates the model was trained on.", "training: {start: 2000-01-01}   # no end, inference from 2000-01-01"),
        new("pit-cv-embargo", Severity.Error, "Point in time", "A cross-validation embargo is at least the target's horizon (the purge always is).", "validation: {scheme: purged-kfold, embargo: 2}\ntarget: fwd_ret_20d"),
        new("pit-in-sample-inputs", Severity.Error, "Point in time", "A combining or filtering model trains only on its inputs' out-of-sample outputs.", "ensemble training starts 2010-01-01, but spx-alpha is trained until 2011-12-15"),
        new("path-outside-repository", Severity.Error, "Safety", "Every path stays inside the repository.", "path: ../../etc/passwd"),
        new("dataset-file-missing", Severity.Error, "Safety", "A dataset's file exists.", "path: sp500-2001.csv"),
        new("secret-literal", Severity.Error, "Safety", "No literal secrets (tokens, passwords, private keys) in specs.", "annotations: {token: ghp_...}"),
    ];

    public static LintRule? Find(string id) => All.FirstOrDefault(r => r.Id == id);

    public const string DocumentationUri = "https://github.com/optaic/optaic/blob/main/engine/docs/lint-rules.md";

    /// <summary>The rule's section in lint-rules.md, by the anchor <c>&lt;a id="rule-id"&gt;</c> above its heading.</summary>
    public static string HelpUri(LintRule rule) => $"{DocumentationUri}#{rule.Id}";
}
