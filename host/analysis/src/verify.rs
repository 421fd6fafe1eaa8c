//! `cityrank verify`: re-run what a results file names and check that the same
//! results come out, byte for byte.
//!
//! A results document (format 4) records how it was made: the edition file (its
//! name and SHA-256), the variant and its changes, the methodology's and the
//! data's SHA-256, the expert panel's, the resolved pipeline, the limits and the cityrank version.
//! Verification finds the edition, loads what it names, compares each recorded
//! hash with what is there now, re-runs the edition and compares the new results
//! with the file. When they differ it says what: a changed component, changed
//! data, another cityrank version, and which numbers of which units moved.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use cityrank_core::dataset::Dataset;
use cityrank_core::edition::{LimitsSpec, ResolvedEdition};
use cityrank_core::results::{RESULTS_SCHEMA_VERSION, Results};
use cityrank_core::run::{self, Loader};

/// The most differences listed by default (the rest are counted).
pub const MAX_DIFFERENCES: usize = 30;

/// One recorded fact compared with what is found now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What is compared (`methodology sha256`, …).
    pub what: String,
    /// The value recorded in the results file.
    pub recorded: String,
    /// The value found now.
    pub found: String,
}

impl Check {
    /// Whether the recorded and found values agree.
    pub fn ok(&self) -> bool {
        self.recorded == self.found
    }
}

/// How many units' results moved between the file and the re-run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    /// Units whose rank differs.
    pub rank: usize,
    /// Units whose tier differs.
    pub tier: usize,
    /// Units whose overall score differs.
    pub score: usize,
    /// Units in only one of the two.
    pub present_in_one: usize,
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The results file.
    pub results: PathBuf,
    /// The edition file that was re-run.
    pub edition: PathBuf,
    /// The variant re-run, if any.
    pub variant: Option<String>,
    /// Every recorded fact and what was found.
    pub checks: Vec<Check>,
    /// Why the re-run failed, if it did (e.g. a pinned methodology that changed,
    /// data that no longer load); the checks above say what changed.
    pub rerun_error: Option<String>,
    /// Whether the new results are byte-identical to the file.
    pub identical: bool,
    /// Every difference between the file and the new results, one line each
    /// (`units[are-dubai].rank: 3 → 4`): ranks and tiers first.
    pub differences: Vec<String>,
    /// How many units moved.
    pub moved: Moved,
    /// Whether the differences are only in the record of how the results were
    /// made (hashes, names, versions): every number of the ranking is the same.
    pub numbers_same: bool,
}

/// The parts of a results document that are its numbers (the rest records how
/// they were made).
const RESULT_PARTS: [&str; 9] = [
    "units",
    "framework",
    "tiers",
    "missing",
    "imputed",
    "screened_out",
    "treatment",
    "pipeline",
    "warnings",
];

impl Verification {
    /// A summary for the terminal: the checks, then the verdict and at most
    /// `limit` differences (all when `None`).
    pub fn render(&self, limit: Option<usize>) -> String {
        let mut out = format!(
            "verifying {} against {}{}\n",
            self.results.display(),
            self.edition.display(),
            self.variant
                .as_ref()
                .map(|v| format!(" (variant `{v}`)"))
                .unwrap_or_default()
        );
        let width = self.checks.iter().map(|c| c.what.chars().count()).max().unwrap_or(0);
        for c in &self.checks {
            if c.ok() {
                out.push_str(&format!("  same     {:width$}  {}\n", c.what, c.recorded));
            } else {
                out.push_str(&format!(
                    "  CHANGED  {:width$}  recorded {}, now {}\n",
                    c.what, c.recorded, c.found
                ));
            }
        }
        let changed: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| !c.ok())
            .map(|c| c.what.as_str())
            .collect();
        let what_changed = || {
            let mut text = String::new();
            if !changed.is_empty() {
                text.push_str(&format!(
                    "what changed since the results were made: {}\n",
                    changed.join(", ")
                ));
            }
            if changed.iter().any(|c| c.starts_with("dataset")) {
                text.push_str(
                    "(the results keep the data's hashes, not the data: compare the dataset with the copy the \
                     results were made from to see which values changed)\n",
                );
            }
            text
        };
        if let Some(e) = &self.rerun_error {
            out.push_str(&format!("NOT verified: the re-run failed: {e}\n"));
            out.push_str(&what_changed());
            return out;
        }
        if self.identical {
            out.push_str("verified: the re-run gives byte-identical results\n");
            return out;
        }
        if self.differences.is_empty() {
            out.push_str(
                "NOT verified: the re-run gives the same values, formatted differently (was the file edited or \
                 re-indented?)\n",
            );
            return out;
        }
        let n = self.differences.len();
        out.push_str(&format!(
            "NOT verified: the re-run differs from the file in {n} place{}",
            if n == 1 { "" } else { "s" }
        ));
        if self.numbers_same {
            out.push_str(
                "; every score, rank and tier is the same — only the record of how the results were made differs",
            );
        } else {
            let m = &self.moved;
            let mut parts = vec![
                format!("{} unit{} changed rank", m.rank, if m.rank == 1 { "" } else { "s" }),
                format!("{} changed tier", m.tier),
                format!("{} changed score", m.score),
            ];
            if m.present_in_one > 0 {
                parts.push(format!("{} in only one of the two", m.present_in_one));
            }
            out.push_str(&format!(" ({})", parts.join(", ")));
        }
        out.push_str(":\n");
        let shown = limit.unwrap_or(n).min(n);
        for d in &self.differences[..shown] {
            out.push_str(&format!("  {d}\n"));
        }
        if shown < n {
            out.push_str(&format!("  … and {} more (--all lists every one)\n", n - shown));
        }
        out.push_str(&what_changed());
        out
    }
}

/// Counts the units whose rank, tier or score differs between two results
/// documents (matched by id).
fn moved(old: &Value, new: &Value) -> Moved {
    let units = |v: &Value| -> BTreeMap<String, Value> {
        v.get("units")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|u| Some((u.get("id")?.as_str()?.to_string(), u.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (units(old), units(new));
    let mut m = Moved::default();
    for (id, ua) in &a {
        match b.get(id) {
            Some(ub) => {
                let differs = |k: &str| ua.get(k) != ub.get(k);
                m.rank += usize::from(differs("rank"));
                m.tier += usize::from(differs("tier"));
                m.score += usize::from(differs("score"));
            }
            None => m.present_in_one += 1,
        }
    }
    m.present_in_one += b.keys().filter(|id| !a.contains_key(*id)).count();
    m
}

/// Reads a results file: JSON of results format [`RESULTS_SCHEMA_VERSION`],
/// valid against its schema. Errors name the file and say how to get such a file.
pub fn read_results(path: &Path) -> Result<(Vec<u8>, Results)> {
    let bytes = cityrank_core::fsutil::read_file(path)
        .with_context(|| format!("cannot read results file `{}`", path.display()))?;
    let file = path.display();
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{file}: not a results document (JSON): {e}; verify reads what `cityrank run EDITION --format json -o \
             FILE` writes"
        )
    })?;
    let looks_like_results = ["edition", "methodology", "dataset", "units"]
        .iter()
        .all(|k| value.get(k).is_some());
    if !looks_like_results {
        let what = if value.get("methods").is_some() && value.get("pairs").is_some() {
            "a comparison (`cityrank compare --format json`)"
        } else if value.get("design").is_some() {
            "a sensitivity analysis (`cityrank sensitivity --format json`)"
        } else if value.get("unit").is_some() {
            "an explanation (`cityrank explain --format json`)"
        } else {
            "not a results document"
        };
        bail!(
            "{file}: this is {what}, not the results of a run; verify reads what `cityrank run EDITION --format json \
             -o FILE` writes"
        );
    }
    let version = value.get("schema_version").and_then(Value::as_u64);
    if version != Some(u64::from(RESULTS_SCHEMA_VERSION)) {
        let made_by = value
            .get("cityrank")
            .and_then(Value::as_str)
            .unwrap_or("an unknown version");
        bail!(
            "{file}: results format {} (made by cityrank {made_by}); this cityrank ({}) verifies format \
             {RESULTS_SCHEMA_VERSION}, which records how the results were made: re-run the edition with `cityrank \
             run EDITION --format json -o FILE` and publish that file",
            version.map_or_else(|| "unknown".to_string(), |v| v.to_string()),
            env!("CARGO_PKG_VERSION")
        );
    }
    cityrank_core::schema::validate::<Results>(&value, &file.to_string())?;
    let results: Results = serde_json::from_value(value).with_context(|| format!("{file}: not a results document"))?;
    Ok((bytes, results))
}

/// The edition file a results file was made from: `given`, else the file of the
/// recorded name whose SHA-256 matches (or, failing that, the first one with the
/// recorded edition id) beside the results, in `methodologies/` beside them or
/// above them, or in `methodologies/` of the current directory.
pub fn find_edition(results: &Results, results_path: &Path, given: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let name = &results.edition.file;
    let dir = results_path.parent().unwrap_or(Path::new(""));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut places = vec![dir.to_path_buf(), dir.join("methodologies")];
    if let Some(up) = dir.parent() {
        places.push(up.join("methodologies"));
    }
    places.push(PathBuf::from("methodologies"));
    places.push(PathBuf::from("."));
    // One entry per place (`./methodologies` is `methodologies`).
    let tidy = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    };
    let mut seen = std::collections::BTreeSet::new();
    places.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| tidy(p))));
    let candidates: Vec<PathBuf> = places.iter().map(|p| p.join(name)).filter(|p| p.is_file()).collect();
    let hash = |p: &Path| {
        std::fs::read(p)
            .map(cityrank_core::digest::sha256_hex)
            .unwrap_or_default()
    };
    if let Some(p) = candidates.iter().find(|p| hash(p) == results.edition.sha256) {
        return Ok(p.clone());
    }
    let same_id = |p: &&PathBuf| {
        cityrank_core::edition::edition_table(p)
            .and_then(|t| t.get("id").and_then(|v| v.as_str().map(str::to_string)))
            .is_some_and(|id| id == results.edition.id)
    };
    if let Some(p) = candidates.iter().find(same_id) {
        return Ok(p.clone());
    }
    let rejected = if candidates.is_empty() {
        String::new()
    } else {
        format!(
            " (found {}, but not as edition `{}`: another id, or not an edition file)",
            candidates
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", "),
            results.edition.id
        )
    };
    bail!(
        "{}: cannot find the edition file `{name}` (edition `{}`) that made these results; looked in {}{rejected}; \
         pass --edition FILE",
        results_path.display(),
        results.edition.id,
        places
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Re-runs the edition a results file names and compares. `edition` overrides
/// where the edition file is looked for; `flags` override the recorded limits
/// (which are used otherwise). Errors are for what prevents the re-run (no
/// edition, a methodology that fails to load); a re-run that differs is an
/// `Ok` with `identical` false.
pub fn verify(
    loader: &dyn Loader,
    results_path: &Path,
    edition: Option<&Path>,
    flags: &LimitsSpec,
) -> Result<Verification> {
    let (bytes, recorded) = read_results(results_path)?;
    let edition_path = find_edition(&recorded, results_path, edition)?;
    let recorded_limits = recorded
        .limits
        .as_ref()
        .map_or_else(LimitsSpec::default, |l| LimitsSpec {
            fuel: Some(l.fuel),
            memory_mib: Some(l.memory_bytes >> 20),
            output_mib: Some(l.output_bytes >> 20),
        });
    let limits = recorded_limits.overridden_by(flags);
    let variant = recorded.edition.variant.clone();
    let resolved = ResolvedEdition::load_variant(&edition_path, &limits, variant.as_deref())?;
    if resolved.edition.id != recorded.edition.id {
        bail!(
            "{}: is edition `{}`, but {} are results of edition `{}`; pass that edition's file to --edition",
            edition_path.display(),
            resolved.edition.id,
            results_path.display(),
            recorded.edition.id
        );
    }
    let file_name = edition_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut checks = vec![
        check("cityrank version", &recorded.cityrank, env!("CARGO_PKG_VERSION")),
        check("edition file name", &recorded.edition.file, &file_name),
        check("edition file sha256", &recorded.edition.sha256, &resolved.sha256),
    ];
    let loaded = loader.load(&resolved.plugin, &resolved.limits)?;
    checks.push(check(
        "methodology sha256",
        &recorded.methodology.sha256,
        &loaded.sha256,
    ));
    checks.push(check(
        "manifest sha256",
        &recorded.methodology.manifest_sha256,
        &loaded.manifest_sha256,
    ));
    if recorded.methodology.contract.is_some() || loaded.contract().is_some() {
        checks.push(check(
            "plugin contract",
            recorded.methodology.contract.as_deref().unwrap_or("none"),
            loaded.contract().as_deref().unwrap_or("none"),
        ));
    }
    let dataset = Dataset::load(&resolved.dataset)?;
    checks.push(check("dataset file sha256", &recorded.dataset.sha256, &dataset.sha256));
    checks.push(check(
        "dataset description sha256",
        &recorded.dataset.description_sha256,
        &dataset.description_sha256,
    ));
    if let Some(e) = &recorded.edition.experts {
        let now = resolved
            .experts
            .as_ref()
            .and_then(|spec| std::fs::read(&spec.file).ok())
            .map(cityrank_core::digest::sha256_hex)
            .unwrap_or_else(|| "none".into());
        checks.push(check("expert panel sha256", &e.sha256, &now));
    }
    // A failed re-run (e.g. a pin that no longer matches) is part of the answer,
    // with the checks that say what changed.
    let rerun = run::run_loaded(&loaded, &resolved, &dataset, Default::default())
        .and_then(|output| cityrank_core::report::json(&output.results));
    let (now, rerun_error) = match rerun {
        Ok(now) => (Some(now), None),
        Err(e) => (None, Some(format!("{e:#}"))),
    };
    let identical = now.as_ref().is_some_and(|n| n.as_bytes() == bytes.as_slice());
    let mut differences = Vec::new();
    let mut moved_units = Moved::default();
    if let Some(now) = now.as_ref().filter(|_| !identical) {
        let old: Value = serde_json::from_slice(&bytes)?;
        let new: Value = serde_json::from_str(now)?;
        diff(&old, &new, "", &mut differences);
        moved_units = moved(&old, &new);
        // Ranks and tiers first: what a reader of the ranking sees.
        differences.sort_by_key(|d| !(d.contains("].rank:") || d.contains("].tier:")));
    }
    let numbers_same = !differences
        .iter()
        .any(|d| RESULT_PARTS.iter().any(|p| d.starts_with(p)));
    Ok(Verification {
        results: results_path.to_path_buf(),
        edition: edition_path,
        variant,
        checks,
        rerun_error,
        identical,
        differences,
        moved: moved_units,
        numbers_same,
    })
}

fn check(what: &str, recorded: &str, found: &str) -> Check {
    Check {
        what: what.to_string(),
        recorded: recorded.to_string(),
        found: found.to_string(),
    }
}

/// The differences between two JSON documents, one line per changed value
/// (`path: old → new`). Arrays of objects with an `id` are matched by id, so a
/// unit that moved in the ranking shows as its changed rank, not as every row
/// below it.
pub fn diff(old: &Value, new: &Value, path: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = join(path, k);
                match b.get(k) {
                    Some(vb) => diff(va, vb, &p, out),
                    None => out.push(format!("{p}: {} → (absent)", short(va))),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(format!("{}: (absent) → {}", join(path, k), short(vb)));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if keyed(a) && keyed(b) => {
            let id = |v: &Value| v.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            for va in a {
                let k = id(va);
                let p = format!("{path}[{k}]");
                match b.iter().find(|vb| id(vb) == k) {
                    Some(vb) => diff(va, vb, &p, out),
                    None => out.push(format!("{p}: present → (absent)")),
                }
            }
            for vb in b {
                let k = id(vb);
                if !a.iter().any(|va| id(va) == k) {
                    out.push(format!("{path}[{k}]: (absent) → present"));
                }
            }
            let order = |items: &[Value]| items.iter().map(id).collect::<Vec<_>>();
            let (oa, ob) = (order(a), order(b));
            if oa != ob && oa.len() == ob.len() && oa.iter().all(|k| ob.contains(k)) {
                out.push(format!("{}: the same rows in another order", display_path(path)));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                diff(va, vb, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) if a != b => out.push(format!("{}: {} → {}", display_path(path), short(a), short(b))),
        _ => {}
    }
}

fn keyed(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|v| v.get("id").is_some_and(Value::is_string))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(document)" } else { path }
}

/// A value in at most 60 characters (a long text is cut inside its quotes).
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 60 {
        return s;
    }
    match v {
        Value::String(t) => format!("\"{}…\"", t.chars().take(57).collect::<String>()),
        _ => format!("{}…", s.chars().take(59).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_matches_rows_by_id_and_names_each_change() {
        let old = json!({"cityrank": "0.1.0", "units": [
            {"id": "a", "rank": 1, "score": 70.5},
            {"id": "b", "rank": 2, "score": 60.0},
            {"id": "c", "rank": 3, "score": 50.0}
        ]});
        // b and c swap places in the list; c's score and both ranks changed.
        let new = json!({"cityrank": "0.2.0", "units": [
            {"id": "a", "rank": 1, "score": 70.5},
            {"id": "c", "rank": 2, "score": 65.0},
            {"id": "b", "rank": 3, "score": 60.0}
        ]});
        let mut out = Vec::new();
        diff(&old, &new, "", &mut out);
        assert_eq!(
            out,
            [
                "cityrank: \"0.1.0\" → \"0.2.0\"",
                "units[b].rank: 2 → 3",
                "units[c].rank: 3 → 2",
                "units[c].score: 50.0 → 65.0",
                "units: the same rows in another order",
            ]
        );
    }

    #[test]
    fn diff_reports_absent_rows_and_keys() {
        let old = json!({"units": [{"id": "a"}, {"id": "b"}], "warnings": ["w"]});
        let new = json!({"units": [{"id": "a"}, {"id": "z"}]});
        let mut out = Vec::new();
        diff(&old, &new, "", &mut out);
        assert_eq!(
            out,
            [
                "units[b]: present → (absent)",
                "units[z]: (absent) → present",
                "warnings: [\"w\"] → (absent)",
            ]
        );
    }

    #[test]
    fn diff_names_a_change_of_order_alone() {
        let old = json!({"units": [{"id": "a", "rank": 1}, {"id": "b", "rank": 1}]});
        let new = json!({"units": [{"id": "b", "rank": 1}, {"id": "a", "rank": 1}]});
        let mut out = Vec::new();
        diff(&old, &new, "", &mut out);
        assert_eq!(out, ["units: the same rows in another order"]);
    }
}
