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

/// Whether units were also ranked within groups (`rank = { within = … }`).
fn has_group_ranks(results: &Results) -> bool {
    results.units.iter().any(|u| u.group.is_some())
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
    let groups = has_group_ranks(results);
    let mut header: Vec<String> = ["rank", "tier"].iter().map(|s| s.to_string()).collect();
    if peer {
        header.push("peer group".into());
    }
    if groups {
        header.extend(["group".to_string(), "group rank".to_string()]);
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
            if groups {
                row.push(u.group.clone().unwrap_or_else(|| "–".into()));
                row.push(u.group_rank.map_or("–".into(), |r| r.to_string()));
            }
            row.extend([
                u.name.clone(),
                u.country.clone().unwrap_or_default(),
                fmt_score(u.score),
            ]);
            row.extend(pillars.iter().map(|p| fmt_score(u.scores.get(&p.id))));
            row
        })
        .collect();
    let group_rank_column = groups.then(|| 2 + usize::from(peer) + 1);
    let numeric = |c: usize| c == 0 || c >= first_number || Some(c) == group_rank_column;
    let mut out = String::new();
    let d = &results.dataset;
    let years: std::collections::BTreeSet<&str> = results
        .units
        .iter()
        .flat_map(|u| u.by_year.keys().map(String::as_str))
        .collect();
    // `(62 units)`, or for panel data `, 186 rows (62 units × 3 years)`.
    let size = match years.len() {
        0 => format!(" ({})", plural(d.units, "unit")),
        n => format!(", {}", panel_size(d.rows, d.units, n)),
    };
    let _ = writeln!(
        out,
        "{} — {} v{}{size}",
        results.edition.name, results.methodology.name, results.methodology.version
    );
    out.push_str(&aligned(&header, &rows, numeric, true));
    let tiers: Vec<String> = results
        .tiers
        .iter()
        .map(|t| format!("{}: {}", t.label, t.count))
        .collect();
    let _ = writeln!(out, "tiers — {}", tiers.join(", "));
    if let Some(e) = &results.edition.experts {
        let _ = writeln!(
            out,
            "weights — from the expert panel {} ({}{}) at {}{}",
            e.file,
            plural(e.experts, "expert"),
            match (e.settings.pairwise, e.settings.points) {
                (crate::experts::PairwiseAggregation::Aij, crate::experts::PointsAggregation::Mean) => String::new(),
                (p, q) => format!(
                    "; {} and {}",
                    serde_json::to_value(p)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    serde_json::to_value(q)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ),
            },
            e.nodes.join(", "),
            if e.left_out.is_empty() {
                String::new()
            } else {
                format!(
                    "; left out (CR above {}): {}",
                    e.settings.max_cr.unwrap_or(0.0),
                    e.left_out.join(", ")
                )
            }
        );
    }
    if !results.missing.is_empty() {
        let cells: usize = results.missing.values().map(Vec::len).sum();
        let _ = writeln!(
            out,
            "missing — {cells} indicator value{} in {} (see `missing` in --format json)",
            if cells == 1 { "" } else { "s" },
            count_rows(results.missing.keys().map(String::as_str))
        );
    }
    if !results.screened_out.is_empty() {
        // Units the table does not list: said, so that 46 rows of 51 units are explained.
        const LISTED: usize = 8;
        let shown: Vec<String> = results
            .screened_out
            .iter()
            .take(LISTED)
            .map(|s| {
                if s.forced {
                    format!("`{}` (excluded)", s.id)
                } else {
                    format!("`{}` ({:.0}% of its indicators present)", s.id, s.availability * 100.0)
                }
            })
            .collect();
        let more = results.screened_out.len().saturating_sub(LISTED);
        let _ = writeln!(
            out,
            "screened out — {} not ranked: {}{} (see `screened_out` in --format json)",
            count_rows(results.screened_out.iter().map(|s| s.id.as_str())),
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    let partial: Vec<String> = results
        .units
        .iter()
        .filter_map(|u| {
            let nodes = unscored_nodes_of(results, u);
            (!nodes.is_empty()).then(|| {
                let ids: Vec<String> = nodes.iter().map(|n| format!("`{}`", n.id)).collect();
                format!("`{}` (no {})", u.id, ids.join(", "))
            })
        })
        .collect();
    if !partial.is_empty() {
        const LISTED: usize = 5;
        let more = partial.len().saturating_sub(LISTED);
        let _ = writeln!(
            out,
            "without a node — {} ranked with no score for a whole node: {}{}; {} score rests on the other nodes \
             alone (see the warning{})",
            plural(partial.len(), "unit"),
            partial[..partial.len().min(LISTED)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            if partial.len() == 1 { "its" } else { "each one's" },
            if partial.len() == 1 { "" } else { "s" }
        );
    }
    out
}

/// `1 unit`, `3 units`.
fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// How many units the row keys `keys` (unit ids, or `id@year` for panel data, see
/// [`crate::dataset::Unit::key`]) are, in words: `3 units`, or for panel rows
/// `3 rows (unit × year) of 2 units`.
pub fn count_rows<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut rows = 0;
    let mut panel = false;
    let mut units = std::collections::BTreeSet::new();
    for key in keys {
        let (id, year) = crate::dataset::split_key(key);
        rows += 1;
        panel |= year.is_some();
        units.insert(id);
    }
    if panel {
        format!(
            "{} (unit × year) of {}",
            plural(rows, "row"),
            plural(units.len(), "unit")
        )
    } else {
        plural(rows, "unit")
    }
}

/// The size of a table whose rows have the keys `keys` (as [`count_rows`]):
/// `30 units`, or for panel rows `30 rows (10 units × 3 years)` (`28 rows (10
/// units, 3 years)` when not every unit has every year).
pub fn table_size<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    let mut rows = 0;
    let mut units = std::collections::BTreeSet::new();
    let mut years = std::collections::BTreeSet::new();
    for key in keys {
        let (id, year) = crate::dataset::split_key(key);
        rows += 1;
        units.insert(id);
        years.extend(year);
    }
    panel_size(rows, units.len(), years.len())
}

/// `30 units`, or with years `30 rows (10 units × 3 years)` (`28 rows (10 units,
/// 3 years)` when not every unit has every year).
pub fn panel_size(rows: usize, units: usize, years: usize) -> String {
    if years == 0 {
        return plural(rows, "unit");
    }
    format!(
        "{} ({}{}{})",
        plural(rows, "row"),
        plural(units, "unit"),
        if rows == units * years { " × " } else { ", " },
        plural(years, "year")
    )
}

/// The nodes (not indicators) that have no score for unit `u` although their
/// parent has one: the highest parts of the framework the unit's score does
/// without.
fn unscored_nodes_of<'a>(results: &'a Results, u: &crate::results::UnitResult) -> Vec<&'a crate::results::NodeInfo> {
    if u.score.is_none() {
        return Vec::new();
    }
    let has = |id: &str| u.scores.get(id).is_some();
    results
        .framework
        .iter()
        .filter(|n| n.kind != NodeKind::Indicator && !has(&n.id) && n.parent.as_deref().is_some_and(has))
        .collect()
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// Warnings for the units ranked although a whole node of the framework (a
/// pillar, say) has no score for them — every indicator under it missing, or too
/// few for the missing-value policy — so that their score rests on the other
/// nodes alone and can lift them in the ranking: one per unit, naming the unit,
/// the nodes, what its score rests on and the share of the index's weight its
/// indicators with values carry.
pub fn unscored_nodes(results: &Results) -> Vec<String> {
    let fw = &results.framework;
    let root = fw.iter().find(|n| n.parent.is_none()).map_or("", |n| n.id.as_str());
    let ranked = results.units.iter().filter(|u| u.rank.is_some()).count();
    // Whether node `n` is `ancestor` or below it.
    let under = |n: &crate::results::NodeInfo, ancestor: &str| {
        let mut at = Some(n);
        while let Some(x) = at {
            if x.id == ancestor {
                return true;
            }
            at = x.parent.as_deref().and_then(|p| fw.iter().find(|m| m.id == p));
        }
        false
    };
    let mut out = Vec::new();
    for u in &results.units {
        let nodes = unscored_nodes_of(results, u);
        if nodes.is_empty() {
            continue;
        }
        let has = |id: &str| u.scores.get(id).is_some();
        let mut parents: Vec<&str> = Vec::new();
        for n in &nodes {
            if let Some(p) = n.parent.as_deref()
                && !parents.contains(&p)
            {
                parents.push(p);
            }
        }
        let rests: Vec<String> = parents
            .iter()
            .map(|&p| {
                let kept: Vec<String> = fw
                    .iter()
                    .filter(|n| n.parent.as_deref() == Some(p) && has(&n.id))
                    .map(|n| format!("`{}`", n.id))
                    .collect();
                let whose = if p == root {
                    "the index".to_string()
                } else {
                    format!("`{p}`")
                };
                format!("{whose} rests on {} alone", and_list(&kept))
            })
            .collect();
        let present: f64 = fw
            .iter()
            .filter(|n| n.kind == NodeKind::Indicator && has(&n.id))
            .map(|n| n.effective_weight)
            .sum();
        // Why each node has none: no value under it at all, or too few for the policy.
        let named: Vec<String> = nodes
            .iter()
            .map(|n| {
                let some = fw
                    .iter()
                    .any(|i| i.kind == NodeKind::Indicator && has(&i.id) && under(i, &n.id));
                let why = match (some, results.pipeline.steps.missing) {
                    (true, crate::methodology::MissingSpec::Reweight { min_share }) => format!(
                        "its parts with a value carry less than the missing-value policy's min_share {min_share} of \
                         its weight"
                    ),
                    (true, _) => "some of its parts have no value (missing-value policy)".to_string(),
                    (false, _) => "none of its indicators has a value".to_string(),
                };
                format!("`{}` ({}: {why})", n.id, n.name)
            })
            .collect();
        out.push(format!(
            "unit `{}` ({}) has no score for {}, so {}: its score {} (rank {} of {ranked}) rests on indicators \
             carrying {}% of the index's weight",
            u.id,
            u.name,
            and_list(&named),
            and_list(&rests),
            fmt_opt(u.score, 2),
            u.rank.map_or("–".into(), |r| r.to_string()),
            fmt_percent(present)
        ));
    }
    out
}

/// A share as a percentage with at most one decimal: `50`, `62.5`.
fn fmt_percent(share: f64) -> String {
    let s = format!("{:.1}", share * 100.0);
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// The warnings of a run as the author should see them: the results' own, then
/// those of [`unscored_nodes`] that they do not hold already.
pub fn notices(results: &Results) -> Vec<String> {
    let mut out = results.warnings.clone();
    for w in unscored_nodes(results) {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// CSV: `rank,tier` (then `peer group` when tiers are assigned within peer groups,
/// and `group,group rank` when units are also ranked within groups),
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
    let mut bytes = Vec::new();
    csv_to(results, options, &mut bytes)?;
    Ok(String::from_utf8(bytes)?)
}

/// CSV as [`csv_with`], written to `out` as it is produced (13,000 units × 200
/// nodes: a 49 MB file, never held whole in memory).
///
/// # Errors
/// Writing to `out` fails.
pub fn csv_to(results: &Results, options: &CsvOptions, out: &mut dyn std::io::Write) -> Result<()> {
    if options.bom {
        out.write_all("\u{feff}".as_bytes())?;
    }
    let mut w = ::csv::Writer::from_writer(out);
    let peer = has_peer_groups(results);
    let groups = has_group_ranks(results);
    let mut header: Vec<String> = ["rank", "tier"].iter().map(|s| s.to_string()).collect();
    if peer {
        header.push("peer group".into());
    }
    if groups {
        header.extend(["group".to_string(), "group rank".to_string()]);
    }
    header.extend(["id", "name", "country", "score"].iter().map(|s| s.to_string()));
    // Names may repeat (or be `score`): such a one gets its id too.
    let fixed = [
        "rank",
        "tier",
        "peer group",
        "group",
        "group rank",
        "id",
        "name",
        "country",
        "score",
    ];
    let repeated =
        |name: &str| fixed.contains(&name) || results.framework.iter().filter(|n| n.name == name).count() > 1;
    header.extend(results.framework.iter().map(|n| match options.names {
        true if repeated(&n.name) => format!("{} ({})", n.name, n.id),
        true => n.name.clone(),
        false => n.id.clone(),
    }));
    w.write_record(&header)?;
    let mut lookup = crate::results::NodeLookup::new(results.framework.iter().map(|n| n.id.as_str()));
    let mut field = String::new();
    let mut number = |w: &mut ::csv::Writer<&mut dyn std::io::Write>, v: Option<f64>| -> Result<()> {
        field.clear();
        if let Some(v) = v {
            let _ = write!(field, "{v}");
        }
        w.write_field(&field)?;
        Ok(())
    };
    for u in &results.units {
        match u.rank {
            Some(r) => w.write_field(r.to_string())?,
            None => w.write_field("")?,
        }
        w.write_field(u.tier.as_deref().unwrap_or_default())?;
        if peer {
            w.write_field(u.peer_group.as_deref().unwrap_or_default())?;
        }
        if groups {
            w.write_field(u.group.as_deref().unwrap_or_default())?;
            match u.group_rank {
                Some(r) => w.write_field(r.to_string())?,
                None => w.write_field("")?,
            }
        }
        w.write_field(&u.id)?;
        w.write_field(&u.name)?;
        w.write_field(u.country.as_deref().unwrap_or_default())?;
        number(&mut w, u.score)?;
        for v in lookup.values(&u.scores) {
            number(&mut w, v)?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.flush()?;
    Ok(())
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
