//! `cityrank verify`: re-run what a results file names and check that the same
//! results come out, byte for byte.
//!
//! A results document (format 3) records how it was made: the edition file (its
//! name and SHA-256), the variant and its changes, the methodology's and the
//! data's SHA-256, the resolved pipeline, the limits and the cityrank version.
//! Verification finds the edition, loads what it names, compares each recorded
//! hash with what is there now, re-runs the edition and compares the new results
//! with the file. When they differ it says what: a changed component, changed
//! data, another cityrank version, and which numbers of which units moved.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use cityrank_core::dataset::Dataset;
use cityrank_core::edition::{LimitsSpec, ResolvedEdition};
use cityrank_core::results::{RESULTS_SCHEMA_VERSION, Results};
use cityrank_core::run::{self, Loader};

/// The most differences listed (the rest are counted).
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
    /// Differences between the file and the new results, one line each
    /// (`units[ae-dubai].rank: 3 → 4`), at most [`MAX_DIFFERENCES`].
    pub differences: Vec<String>,
    /// How many differences there are in all.
    pub difference_count: usize,
}

impl Verification {
    /// A summary for the terminal: the checks, then the verdict and the differences.
    pub fn render(&self) -> String {
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
            if changed.is_empty() {
                String::new()
            } else {
                format!("what changed since the results were made: {}\n", changed.join(", "))
            }
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
        if self.difference_count == 0 {
            out.push_str(
                "the re-run gives the same values, formatted differently (was the file edited or re-indented?)\n",
            );
            return out;
        }
        out.push_str(&format!(
            "NOT verified: the re-run differs from the file in {} place{}:\n",
            self.difference_count,
            if self.difference_count == 1 { "" } else { "s" }
        ));
        for d in &self.differences {
            out.push_str(&format!("  {d}\n"));
        }
        if self.difference_count > self.differences.len() {
            out.push_str(&format!(
                "  … and {} more\n",
                self.difference_count - self.differences.len()
            ));
        }
        out.push_str(&what_changed());
        out
    }
}

/// Reads a results file: JSON of results format [`RESULTS_SCHEMA_VERSION`],
/// valid against its schema. Errors name the file and say how to get such a file.
pub fn read_results(path: &Path) -> Result<(Vec<u8>, Results)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read results file `{}`", path.display()))?;
    let file = path.display();
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{file}: not a results document (JSON): {e}; verify reads what `cityrank run EDITION --format json -o \
             FILE` writes"
        )
    })?;
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
    let mut seen = std::collections::BTreeSet::new();
    places.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
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
    let mut checks = vec![
        check("cityrank version", &recorded.cityrank, env!("CARGO_PKG_VERSION")),
        check("edition id", &recorded.edition.id, &resolved.edition.id),
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
    checks.push(check("dataset CSV sha256", &recorded.dataset.sha256, &dataset.sha256));
    checks.push(check(
        "dataset description sha256",
        &recorded.dataset.description_sha256,
        &dataset.description_sha256,
    ));
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
    if let Some(now) = now.as_ref().filter(|_| !identical) {
        let old: Value = serde_json::from_slice(&bytes)?;
        let new: Value = serde_json::from_str(now)?;
        diff(&old, &new, "", &mut differences);
    }
    Ok(Verification {
        results: results_path.to_path_buf(),
        edition: edition_path,
        variant,
        checks,
        rerun_error,
        identical,
        difference_count: differences.len(),
        differences: differences.into_iter().take(MAX_DIFFERENCES).collect(),
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

/// A value in at most 60 characters.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 60 {
        s
    } else {
        format!("{}…", s.chars().take(59).collect::<String>())
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
