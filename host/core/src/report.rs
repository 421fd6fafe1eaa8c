//! Rendering results for people and programs: a terminal table, JSON and CSV.

use std::fmt::Write as _;

use anyhow::Result;

use crate::methodology::NodeKind;
use crate::results::Results;

/// Pretty JSON with a trailing newline; byte-identical for identical results.
pub fn json(results: &Results) -> Result<String> {
    let mut s = serde_json::to_string_pretty(results)?;
    s.push('\n');
    Ok(s)
}

/// A number with `digits` decimals, or `–` when undefined.
pub fn fmt_opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "–".to_string(), |v| format!("{v:.digits$}"))
}

fn fmt_score(x: Option<f64>) -> String {
    fmt_opt(x, 2)
}

/// Whether any unit was tiered within a peer group.
fn has_peer_groups(results: &Results) -> bool {
    results.units.iter().any(|u| u.peer_group.is_some())
}

/// The ranking as an aligned table: rank, tier, peer group (when tiers are assigned
/// within peer groups), city, country, score and the score of each first-level node
/// (pillar).
pub fn table(results: &Results) -> String {
    let pillars: Vec<&crate::results::NodeInfo> = results
        .framework
        .iter()
        .filter(|n| {
            n.kind != NodeKind::Indicator && n.parent.as_deref() == results.framework.first().map(|r| r.id.as_str())
        })
        .collect();
    let peer = has_peer_groups(results);
    let mut header: Vec<String> = ["rank", "tier"].iter().map(|s| s.to_string()).collect();
    if peer {
        header.push("peer group".into());
    }
    header.extend(["city", "country", "score"].iter().map(|s| s.to_string()));
    // Columns from `score` on are numbers, as is the rank.
    let first_number = header.len() - 1;
    header.extend(pillars.iter().map(|p| p.id.clone()));
    let rows: Vec<Vec<String>> = results
        .units
        .iter()
        .map(|u| {
            let mut row = vec![
                u.rank.map_or("–".into(), |r| r.to_string()),
                u.tier.clone().unwrap_or_else(|| "–".into()),
            ];
            if peer {
                row.push(u.peer_group.clone().unwrap_or_else(|| "–".into()));
            }
            row.extend([
                u.name.clone(),
                u.country.clone().unwrap_or_default(),
                fmt_score(u.score),
            ]);
            row.extend(
                pillars
                    .iter()
                    .map(|p| fmt_score(u.scores.get(&p.id).copied().flatten())),
            );
            row
        })
        .collect();
    let numeric = |c: usize| c == 0 || c >= first_number;
    let mut out = String::new();
    let d = &results.dataset;
    let size = if d.rows == d.units {
        format!("{} units", d.units)
    } else {
        format!("{} units, {} rows", d.units, d.rows)
    };
    let _ = writeln!(
        out,
        "{} — {} v{} ({size})",
        results.edition.name, results.methodology.name, results.methodology.version
    );
    out.push_str(&aligned(&header, &rows, numeric, true));
    let tiers: Vec<String> = results
        .tiers
        .iter()
        .map(|t| format!("{}: {}", t.label, t.count))
        .collect();
    let _ = writeln!(out, "tiers — {}", tiers.join(", "));
    if !results.missing.is_empty() {
        let cells: usize = results.missing.values().map(Vec::len).sum();
        let _ = writeln!(
            out,
            "missing — {cells} indicator value(s) in {} unit(s) (see `missing` in --format json)",
            results.missing.len()
        );
    }
    out
}

/// CSV: `rank,tier` (then `peer group` when tiers are assigned within peer groups),
/// `id,name,country,score`, then one column per framework node (headed by its id).
pub fn csv(results: &Results) -> Result<String> {
    csv_with(results, &CsvOptions::default())
}

/// How a CSV of results is written for its readers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Start with a UTF-8 byte-order mark, so that Excel reads accents right.
    pub bom: bool,
    /// Head the framework's columns with the nodes' names instead of their ids.
    pub names: bool,
}

/// CSV as [`csv`], with `options`.
pub fn csv_with(results: &Results, options: &CsvOptions) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let peer = has_peer_groups(results);
    let mut header: Vec<String> = ["rank", "tier"].iter().map(|s| s.to_string()).collect();
    if peer {
        header.push("peer group".into());
    }
    header.extend(["id", "name", "country", "score"].iter().map(|s| s.to_string()));
    // Names may repeat (or be `score`): such a one gets its id too.
    let fixed = ["rank", "tier", "peer group", "id", "name", "country", "score"];
    let repeated =
        |name: &str| fixed.contains(&name) || results.framework.iter().filter(|n| n.name == name).count() > 1;
    header.extend(results.framework.iter().map(|n| match options.names {
        true if repeated(&n.name) => format!("{} ({})", n.name, n.id),
        true => n.name.clone(),
        false => n.id.clone(),
    }));
    w.write_record(&header)?;
    for u in &results.units {
        let mut row = vec![
            u.rank.map(|r| r.to_string()).unwrap_or_default(),
            u.tier.clone().unwrap_or_default(),
        ];
        if peer {
            row.push(u.peer_group.clone().unwrap_or_default());
        }
        row.extend([
            u.id.clone(),
            u.name.clone(),
            u.country.clone().unwrap_or_default(),
            u.score.map(|s| s.to_string()).unwrap_or_default(),
        ]);
        row.extend(results.framework.iter().map(|n| {
            u.scores
                .get(&n.id)
                .copied()
                .flatten()
                .map(|s| s.to_string())
                .unwrap_or_default()
        }));
        w.write_record(&row)?;
    }
    let text = String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
    Ok(if options.bom { format!("\u{feff}{text}") } else { text })
}

/// An aligned text table: a header, optionally a rule under it, then the rows;
/// `numeric(c)` right-aligns column `c`, the others are left-aligned. Shared by
/// every terminal table of the CLI.
pub fn aligned(header: &[String], rows: &[Vec<String>], numeric: impl Fn(usize) -> bool, rule: bool) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = widths[c].saturating_sub(s.chars().count());
                if numeric(c) {
                    format!("{}{s}", " ".repeat(pad))
                } else {
                    format!("{s}{}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
    };
    line(header, &mut out);
    if rule {
        let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        let _ = writeln!(out, "{}", rule.join("  "));
    }
    for r in rows {
        line(r, &mut out);
    }
    out
}
