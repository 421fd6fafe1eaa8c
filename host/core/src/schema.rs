//! JSON Schemas of the documents cityrank reads and writes, generated from the
//! host's types, and validation of documents against them.
//!
//! The schemas under `schemas/` are these generated ones, committed; a test fails
//! when they drift. Every document is validated before it is deserialised, so an
//! error names the file, the key path inside it and what was expected.

use anyhow::{Context, Result, anyhow, bail};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, error::ValidationErrorKind};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A document type with a schema: its schema is generated from the type
/// (`schemars`), and documents are validated against it before they are
/// deserialised. Implement it with [`document!`](crate::document), which gives
/// each type its own compiled validator.
pub trait Document: JsonSchema + DeserializeOwned {
    /// Short name, used in messages and as the schema's file name
    /// (`edition` → `edition.schema.json`).
    const NAME: &'static str;

    /// The compiled schema (compiled once per type).
    fn validator() -> &'static jsonschema::Validator;

    /// The schema, generated from the type.
    fn schema() -> Value {
        schemars::schema_for!(Self).to_value()
    }
}

/// Implements [`Document`] for a type: `document!(Edition, "edition");`.
#[macro_export]
macro_rules! document {
    ($t:ty, $name:literal) => {
        impl $crate::schema::Document for $t {
            const NAME: &'static str = $name;
            fn validator() -> &'static $crate::schema::Validator {
                static CELL: ::std::sync::OnceLock<$crate::schema::Validator> = ::std::sync::OnceLock::new();
                CELL.get_or_init($crate::schema::compile::<$t>)
            }
        }
    };
}

pub use jsonschema::Validator;

/// Compiles `T`'s schema (used by [`document!`](crate::document)).
pub fn compile<T: Document>() -> Validator {
    // The schema is generated from our own types; failing to compile it is a bug
    // in cityrank, caught by the schema tests.
    #[allow(clippy::expect_used)]
    jsonschema::validator_for(&T::schema()).expect("generated schema compiles")
}

/// A document type as a value: its name and schema, for registries of every
/// document (the `cityrank schema` command, the drift test).
#[derive(Debug, Clone, Copy)]
pub struct DocumentKind {
    /// Short name (`edition`, `results`, …).
    pub name: &'static str,
    /// The generated schema.
    pub schema: fn() -> Value,
}

impl DocumentKind {
    /// The kind of `T`.
    pub fn of<T: Document>() -> DocumentKind {
        DocumentKind {
            name: T::NAME,
            schema: T::schema,
        }
    }

    /// File name of the committed schema (`<name>.schema.json`).
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name)
    }

    /// The schema as committed: pretty JSON with a trailing newline.
    pub fn schema_text(self) -> String {
        let mut text = serde_json::to_string_pretty(&(self.schema)()).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The most problems one validation reports.
pub const MAX_PROBLEMS: usize = 20;

/// Validates `value` as a `T`; the error names `origin`, the key path and the
/// expectation of every problem (up to [`MAX_PROBLEMS`]).
pub fn validate<T: Document>(value: &Value, origin: &str) -> Result<()> {
    let problems = problems::<T>(value);
    if problems.is_empty() {
        return Ok(());
    }
    Err(anyhow!(
        "{origin}: not a valid {} document:\n  {}",
        T::NAME,
        problems.join("\n  ")
    ))
}

/// The problems of `value` as a `T`, one line each (`key.path: what is wrong`),
/// up to [`MAX_PROBLEMS`]; empty when it is valid.
pub fn problems<T: Document>(value: &Value) -> Vec<String> {
    let mut problems: Vec<String> = Vec::new();
    for e in T::validator().iter_errors(value) {
        describe(&e, &mut problems);
    }
    suggest_keys(&mut problems, &T::schema());
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(format!(
            "(top level): … and {more} more problem{}; fix these first",
            if more == 1 { "" } else { "s" }
        ));
    }
    problems
}

/// Rewrites "'wieght' was unexpected" as "'wieght' is not a key here; did you mean
/// `weight`?" when a key allowed at that place is close (else lists the keys
/// allowed there), and drops "`unit` is a required property" at the same place
/// when the unexpected key is its misspelling.
fn suggest_keys(problems: &mut Vec<String>, schema: &Value) {
    let mut drop: Vec<String> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for p in problems.drain(..) {
        // "… ('a' was unexpected)" or "… ('a', 'b' were unexpected)"
        let parsed = p.split_once(": ").and_then(|(path, message)| {
            let start = message.find("('")? + 1;
            let end = message
                .find(" was unexpected)")
                .or_else(|| message.find(" were unexpected)"))?;
            let keys: Vec<String> = message
                .get(start..end)?
                .split(", ")
                .map(|k| k.trim_matches('\'').to_string())
                .collect();
            let segments = crate::diagnostic::parse_path(path).unwrap_or_default();
            Some((path.to_string(), keys, allowed_keys(schema, &segments)?))
        });
        let Some((path, keys, allowed)) = parsed else {
            out.push(p);
            continue;
        };
        for key in keys {
            let candidates = allowed.iter().map(String::as_str).filter(|k| *k != key);
            match cityrank_formula::closest(&key, candidates, 1).first() {
                Some(meant) => {
                    drop.push(format!("{path}: \"{meant}\" is a required property"));
                    out.push(format!(
                        "{path}: '{key}' is not a key here (unexpected); did you mean `{meant}`?"
                    ));
                }
                None => out.push(format!(
                    "{path}: '{key}' is not a key here (unexpected); the keys here are {}",
                    allowed.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                )),
            }
        }
    }
    out.retain(|p| !drop.contains(p));
    *problems = out;
}

/// The keys the schema allows in the table at `path` (following `$ref`, `items`
/// and the alternatives of `anyOf`/`oneOf`/`allOf`), if it is a table.
fn allowed_keys(root: &Value, path: &[crate::diagnostic::Segment]) -> Option<std::collections::BTreeSet<String>> {
    use crate::diagnostic::Segment;
    // Every schema the value at a place may have to satisfy (alternatives included).
    fn expand<'a>(root: &'a Value, s: &'a Value, out: &mut Vec<&'a Value>, depth: usize) {
        if depth > 16 {
            return;
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            if let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p)) {
                expand(root, target, out, depth + 1);
            }
            return;
        }
        out.push(s);
        for k in ["anyOf", "oneOf", "allOf"] {
            if let Some(alts) = s.get(k).and_then(Value::as_array) {
                alts.iter().for_each(|a| expand(root, a, out, depth + 1));
            }
        }
    }
    let mut here: Vec<&Value> = Vec::new();
    expand(root, root, &mut here, 0);
    for seg in path {
        let mut next = Vec::new();
        for s in &here {
            let child = match seg {
                Segment::Key(k) => s
                    .get("properties")
                    .and_then(|p| p.get(k.as_str()))
                    .or_else(|| s.get("additionalProperties").filter(|a| a.is_object())),
                Segment::Index(_) => s.get("items"),
            };
            if let Some(c) = child {
                expand(root, c, &mut next, 0);
            }
        }
        here = next;
    }
    let keys: std::collections::BTreeSet<String> = here
        .iter()
        .filter_map(|s| s.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().cloned())
        .collect();
    (!keys.is_empty()).then_some(keys)
}

/// Adds one line per problem of `e` to `out`. For `anyOf`/`oneOf` (an optional
/// table, a choice of forms) it gives the problems of the one alternative that fits
/// the value's type when there is just one — e.g. the unknown key inside an optional
/// table rather than "not valid under any of the schemas". Long values are cut short.
fn describe(e: &ValidationError<'_>, out: &mut Vec<String>) {
    if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } = e.kind() {
        let here = key_path(e.instance_path());
        // An alternative is not the one the author meant when it fails only on the
        // value's type at this very place (e.g. `null` for an optional table), or on
        // its tag (e.g. `method = "z-score"` for a min-max spec).
        let type_only = |errors: &Vec<ValidationError<'static>>| {
            errors
                .iter()
                .all(|x| matches!(x.kind(), ValidationErrorKind::Type { .. }) && key_path(x.instance_path()) == here)
        };
        let tags: Vec<Option<(String, &Value)>> = context.iter().map(|errors| tag_mismatch(errors, &here)).collect();
        let meant: Vec<&Vec<ValidationError<'static>>> = context
            .iter()
            .zip(&tags)
            .filter(|(errors, tag)| !type_only(errors) && tag.is_none())
            .map(|(errors, _)| errors)
            .collect();
        if let [errors] = meant.as_slice()
            && !errors.is_empty()
        {
            errors.iter().for_each(|x| describe(x, out));
            return;
        }
        // A choice of constants (a plain enum such as `direction`): list them.
        let constants: Option<Vec<String>> = context
            .iter()
            .map(|errors| match errors.as_slice() {
                [x] if key_path(x.instance_path()) == here => match x.kind() {
                    ValidationErrorKind::Constant { expected_value } => Some(expected_value.to_string()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        if let Some(expected) = constants.filter(|c| !c.is_empty()) {
            // `"lower "`: say what is wrong with it.
            let spaced = e
                .instance()
                .as_str()
                .is_some_and(|v| v.trim() != v && expected.contains(&Value::from(v.trim()).to_string()));
            out.push(format!(
                "{here}: {} is not one of {}{}",
                e.instance(),
                expected.join(", "),
                if spaced {
                    " (it has a space at the start or the end)".to_string()
                } else {
                    closest_choice(e.instance(), &expected)
                }
            ));
            return;
        }
        // No alternative has this tag: list the tags there are.
        let named: Vec<&(String, &Value)> = tags.iter().flatten().collect();
        if meant.is_empty()
            && let Some((prop, _)) = named.first()
            && named.iter().all(|(p, _)| p == prop)
        {
            let expected: Vec<String> = named.iter().map(|(_, v)| v.to_string()).collect();
            let given = e
                .instance()
                .get(prop.as_str())
                .map_or("nothing".to_string(), Value::to_string);
            let at = if here == "(top level)" {
                prop.clone()
            } else {
                format!("{here}.{prop}")
            };
            let hint = e
                .instance()
                .get(prop.as_str())
                .map(|g| closest_choice(g, &expected))
                .unwrap_or_default();
            out.push(format!("{at}: {given} is not one of {}{hint}", expected.join(", ")));
            return;
        }
    }
    let mut message = e.to_string();
    let instance = e.instance().to_string();
    if instance.chars().count() > 80 {
        let short: String = instance.chars().take(60).collect();
        message = message.replacen(&instance, &format!("{short}…"), 1);
    }
    out.push(format!("{}: {message}", key_path(e.instance_path())));
}

/// `; did you mean "min-max"?` when a text `given` is close to one of the
/// `expected` choices (written as JSON strings), else nothing.
fn closest_choice(given: &Value, expected: &[String]) -> String {
    let Some(given) = given.as_str() else {
        return String::new();
    };
    let choices: Vec<String> = expected.iter().map(|c| c.trim_matches('"').to_string()).collect();
    crate::diagnostic::did_you_mean(given, choices.iter().map(String::as_str), 2)
        .map(|d| format!("; {d}"))
        .unwrap_or_default()
}

/// The property and expected constant when `errors` include a `const` mismatch on
/// a property directly under `parent` (the tag of a tagged enum).
fn tag_mismatch<'e>(errors: &'e [ValidationError<'static>], parent: &str) -> Option<(String, &'e Value)> {
    let prefix = if parent == "(top level)" {
        String::new()
    } else {
        format!("{parent}.")
    };
    errors.iter().find_map(|x| match x.kind() {
        ValidationErrorKind::Constant { expected_value } => {
            let path = key_path(x.instance_path());
            let prop = path.strip_prefix(&prefix)?;
            (!prop.contains(['.', '['])).then(|| (prop.to_string(), expected_value.as_ref()))
        }
        _ => None,
    })
}

/// Renders a JSON pointer as a key path: `indicators[2].weight`.
fn key_path(location: &jsonschema::paths::Location) -> String {
    use crate::diagnostic::Segment;
    let segments: Vec<Segment> = location
        .into_iter()
        .map(|s| match s {
            LocationSegment::Property(p) => Segment::Key(p.to_string()),
            LocationSegment::Index(i) => Segment::Index(i),
        })
        .collect();
    crate::diagnostic::render_path(&segments)
}

/// Parses TOML text as a `T`: TOML syntax, then the schema, then the type.
/// Every schema problem is reported, each as `origin:line:column: place: what`
/// (see [`crate::diagnostic::Source::render`]).
pub fn parse_toml<T: Document>(text: &str, origin: &str) -> Result<T> {
    let source = crate::diagnostic::Source::new(origin, text);
    let value: toml::Value = toml::from_str(text).map_err(|e| anyhow!("{}", source.toml_error(&e)))?;
    // JSON has no NaN or infinity (they would turn into `null`, i.e. "absent"):
    // refuse them here, by key.
    if let Some((path, v)) = non_finite(&value, String::new()) {
        bail!("{}", source.render(&format!("{path}: {v} is not a finite number")));
    }
    let json = serde_json::to_value(&value).with_context(|| format!("{origin}: cannot represent the TOML as data"))?;
    let problems = problems::<T>(&json);
    match problems.as_slice() {
        [] => {}
        [one] => bail!("{}", source.render(one)),
        many => bail!(
            "{origin}: not a valid {} document ({} problems):\n  {}",
            T::NAME,
            many.len(),
            many.iter().map(|p| source.render(p)).collect::<Vec<_>>().join("\n  ")
        ),
    }
    serde_json::from_value(json).map_err(|e| anyhow!("{origin}: {e}"))
}

/// The key path and value of the first NaN or infinite number in `v`, if any.
fn non_finite(v: &toml::Value, path: String) -> Option<(String, f64)> {
    match v {
        toml::Value::Float(f) if !f.is_finite() => {
            Some((if path.is_empty() { "(top level)".into() } else { path }, *f))
        }
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| non_finite(x, format!("{path}[{i}]"))),
        toml::Value::Table(t) => t.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            non_finite(x, p)
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schemas_compile() {
        let _ = crate::edition::Edition::validator();
        let _ = crate::methodology::Manifest::validator();
        let _ = crate::dataset::DatasetDescription::validator();
        let _ = crate::results::Results::validator();
    }

    #[test]
    fn errors_name_the_key_path() {
        let text =
            "schema_version = 1\nid = \"x\"\nname = \"X\"\nyear = \"2024\"\nmethodology = \"p\"\ndataset = \"d\"\n";
        let err = parse_toml::<crate::edition::Edition>(text, "e.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("e.toml"), "{err}");
        assert!(err.contains("year:"), "{err}");
        assert!(err.contains("\"2024\" is not of type \"integer\""), "{err}");
    }

    #[test]
    fn nan_and_keys_inside_optional_tables_are_named() {
        let head = "schema_version = 1\nid = \"x\"\nname = \"X\"\nyear = 2024\nmethodology = \"p\"\ndataset = \"d\"\n";
        let err = parse_toml::<crate::edition::Edition>(
            &format!("{head}tiers = [{{ label = \"a\", min_score = nan }}]\n"),
            "e.toml",
        )
        .unwrap_err()
        .to_string();
        // Line 7 is `tiers = [{ label = "a", min_score = nan }]`: `nan` is at column 37.
        assert!(
            err.contains("e.toml:7:37: tier `a`: min_score: NaN is not a finite number"),
            "{err}"
        );
        // A typo inside the optional [sensitivity] table names the key, not the table.
        let err = parse_toml::<crate::edition::Edition>(&format!("{head}[sensitivity]\nsample = 128\n"), "e.toml")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("anyOf"), "{err}");
        assert!(err.contains("sample"), "{err}");
        // An unknown method of a tagged spec lists the methods; a bad parameter of a
        // known one names the parameter.
        let variant = |spec: &str| {
            parse_toml::<crate::edition::Edition>(&format!("{head}[variants.v]\npipeline = {{ {spec} }}\n"), "e.toml")
                .unwrap_err()
                .to_string()
        };
        let err = variant("normalise = { method = \"nope\" }");
        assert!(
            err.contains("variants.v.pipeline.normalise.method: \"nope\" is not one of \"min-max\", \"z-score\""),
            "{err}"
        );
        let err = variant("normalise = { method = \"min-max\", low = 0.0 }");
        assert!(err.contains("variants.v.pipeline.normalise"), "{err}");
        assert!(
            err.contains("'low' is not a key here (unexpected); did you mean `lo`?"),
            "{err}"
        );
        assert!(!err.contains("oneOf"), "{err}");
    }
}
