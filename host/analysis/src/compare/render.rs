//! A comparison as a terminal table, CSV or JSON.

use std::fmt::Write as _;

use anyhow::{Context, Result};

use cityrank_core::report::{aligned, fmt_opt};

use super::{CompareReport, ComparisonKind, NameMatch, TierBasis, UnitComparison};
use crate::published::PublishedComparison;

/// Pretty JSON with a trailing newline, validated against the comparison schema.
pub fn json(report: &CompareReport) -> Result<String> {
    let value = serde_json::to_value(report).context("cannot represent the comparison as JSON")?;
    // The comparison must satisfy its own schema; a failure here is a bug in cityrank.
    cityrank_core::schema::validate::<CompareReport>(&value, "comparison")
        .context("internal error: the comparison does not match its schema")?;
    // Rendered from the type, not the `Value`, to keep the fields in declaration order.
    let mut s = serde_json::to_string_pretty(report).context("cannot represent the comparison as JSON")?;
    s.push('\n');
    Ok(s)
}

/// CSV: `id,name,country`, then per method `<label> rank`, `<label> score`,
/// `<label> tier` and (after the baseline) `<label> shift`.
pub fn csv(report: &CompareReport) -> Result<String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["id".into(), "name".into(), "country".into()];
    for (m, method) in report.methods.iter().enumerate() {
        let l = &method.label;
        header.extend([format!("{l} rank"), format!("{l} score"), format!("{l} tier")]);
        if m > 0 {
            header.push(format!("{l} shift"));
        }
    }
    w.write_record(&header)?;
    for u in &report.units {
        let mut row = vec![u.id.clone(), u.name.clone(), u.country.clone().unwrap_or_default()];
        for (m, method) in report.methods.iter().enumerate() {
            let e = u.methods.get(&method.label);
            row.push(e.and_then(|e| e.rank).map(|r| r.to_string()).unwrap_or_default());
            row.push(e.and_then(|e| e.score).map(|s| s.to_string()).unwrap_or_default());
            row.push(e.and_then(|e| e.tier.clone()).unwrap_or_default());
            if m > 0 {
                row.push(e.and_then(|e| e.shift).map(|s| s.to_string()).unwrap_or_default());
            }
        }
        w.write_record(&row)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot render the CSV: {e}"))?;
    String::from_utf8(bytes).context("the CSV is not UTF-8")
}

/// The most units matched by name listed in a terminal table; the rest are counted.
pub const NAME_MATCHES_LISTED: usize = 20;

/// The units matched by name and country because their ids differ, one line
/// each (up to [`NAME_MATCHES_LISTED`], then how many more), e.g.
/// `  nga-lagos (b) as ng-lagos — Lagos`; empty when there are none.
pub fn name_matches(matches: &[NameMatch]) -> String {
    let mut out = String::new();
    if matches.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "Matched by name and country ({} unit{}: the ids differ; each is compared under the first id)",
        matches.len(),
        if matches.len() == 1 { "" } else { "s" }
    );
    let rows: Vec<Vec<String>> = matches
        .iter()
        .take(NAME_MATCHES_LISTED)
        .map(|m| {
            vec![
                format!("{} ({})", m.id, m.method),
                format!("as {}", m.as_id),
                m.name.clone(),
            ]
        })
        .collect();
    for line in aligned(
        &["id".into(), "compared as".into(), "name".into()],
        &rows,
        |_| false,
        false,
    )
    .lines()
    .skip(1)
    {
        let _ = writeln!(out, "  {}", line.trim_end());
    }
    if matches.len() > NAME_MATCHES_LISTED {
        let _ = writeln!(
            out,
            "  … and {} more (every one in `matched_by_name` of --format json)",
            matches.len() - NAME_MATCHES_LISTED
        );
    }
    out
}

fn signed(s: Option<i64>) -> String {
    match s {
        None => "–".into(),
        Some(0) => "0".into(),
        Some(v) if v > 0 => format!("+{v}"),
        Some(v) => v.to_string(),
    }
}

/// The comparison as aligned tables: methods, pair measures, units, partial units
/// and the published comparison.
pub fn table(report: &CompareReport) -> String {
    let mut out = String::new();
    let title = report.kind.title();
    let _ = writeln!(
        out,
        "{}{} — {} method{}, {} units ranked by every method{}",
        title[..1].to_uppercase(),
        &title[1..],
        report.methods.len(),
        if report.methods.len() == 1 { "" } else { "s" },
        report.common_units,
        if report.partial_units.is_empty() {
            String::new()
        } else {
            format!(", {} in only some (listed below)", report.partial_units.len())
        }
    );
    for (m, method) in report.methods.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<2} {}  {} ({}{}), {} v{}, {} of {} units ranked{}",
            char::from(b'A' + (m as u8 % 26)),
            method.label,
            method.edition_name,
            method.edition,
            method
                .variant
                .as_deref()
                .map(|v| format!(", variant {v}"))
                .unwrap_or_default(),
            method.methodology,
            method.methodology_version,
            method.ranked,
            method.units,
            if m == 0 { " — baseline" } else { "" }
        );
    }
    if !report.pairs.is_empty() {
        let _ = writeln!(out, "\nAgreement (on the units ranked by both)");
        let header: Vec<String> = [
            "a",
            "b",
            "n",
            "spearman",
            "kendall",
            "pearson",
            &format!("top {}", report.top_k),
            "same tier",
            "kappa",
            "tiers by",
            "mean |Δrank|",
            "max",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows: Vec<Vec<String>> = report
            .pairs
            .iter()
            .map(|p| {
                vec![
                    p.a.clone(),
                    p.b.clone(),
                    p.n.to_string(),
                    fmt_opt(p.spearman, 3),
                    fmt_opt(p.kendall, 3),
                    fmt_opt(p.pearson, 3),
                    format!("{}/{}", p.top_k.both, p.top_k.a.max(p.top_k.b)),
                    format!(
                        "{}/{} ({})",
                        p.tiers.same,
                        p.tiers.n,
                        p.tiers.share.map_or("–".into(), |s| format!("{:.0}%", s * 100.0))
                    ),
                    fmt_opt(p.tiers.kappa, 3),
                    match p.tiers.basis {
                        TierBasis::Label => "label".into(),
                        TierBasis::Position => "position".into(),
                    },
                    fmt_opt(p.mean_abs_rank_shift, 2),
                    p.max_abs_rank_shift.map_or("–".into(), |v| v.to_string()),
                ]
            })
            .collect();
        out.push_str(&aligned(&header, &rows, |c| !matches!(c, 0 | 1 | 9), true));
    }

    // The table holds the units of at least two methods; the others are listed below.
    let shown = report.methods.len().min(2);
    let in_table = |u: &&UnitComparison| u.methods.len() >= shown;
    let hidden = report.units.len() - report.units.iter().filter(in_table).count();
    let _ = writeln!(
        out,
        "\nUnits{} ({}: rank in {} − rank in the method, both among the units both rank; + = higher up)",
        if hidden > 0 {
            format!(" in more than one method ({hidden} in one only: listed below)")
        } else {
            String::new()
        },
        if report.kind == ComparisonKind::EditionOverEdition {
            "change"
        } else {
            "shift"
        },
        report.methods[0].label
    );
    let mut header: Vec<String> = vec!["city".into(), "country".into()];
    for m in 0..report.methods.len() {
        let tag = char::from(b'A' + (m as u8 % 26));
        header.extend([format!("{tag} rank"), format!("{tag} tier"), format!("{tag} score")]);
        if m > 0 {
            header.push(format!("{tag} Δ"));
        }
    }
    let rows: Vec<Vec<String>> = report
        .units
        .iter()
        .filter(in_table)
        .map(|u| {
            let mut row = vec![u.name.clone(), u.country.clone().unwrap_or_default()];
            for (m, method) in report.methods.iter().enumerate() {
                let e = u.methods.get(&method.label);
                match e {
                    Some(e) => row.extend([
                        e.rank.map_or("–".into(), |r| r.to_string()),
                        e.tier.clone().unwrap_or_else(|| "–".into()),
                        fmt_opt(e.score, 2),
                    ]),
                    None => row.extend(["absent".into(), String::new(), String::new()]),
                }
                if m > 0 {
                    row.push(signed(e.and_then(|e| e.shift)));
                }
            }
            row
        })
        .collect();
    // Right-align ranks, scores and shifts; tiers and names left.
    let numeric = |c: usize| {
        if c < 2 {
            return false;
        }
        // Columns per method: rank, tier, score (+ shift after the baseline).
        let c = c - 2;
        let k = if c < 3 { c } else { (c - 3) % 4 };
        k != 1
    };
    out.push_str(&aligned(&header, &rows, numeric, true));

    if !report.matched_by_name.is_empty() {
        out.push('\n');
        out.push_str(&name_matches(&report.matched_by_name));
    }

    if !report.partial_units.is_empty() {
        let _ = writeln!(
            out,
            "\nIn only some methods ({} units; not in the agreement measures of the pairs that lack them)",
            report.partial_units.len()
        );
        // One line per situation, e.g. "ranked in a; absent from b (3): …".
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for p in &report.partial_units {
            let mut parts = Vec::new();
            if !p.ranked_in.is_empty() {
                parts.push(format!("ranked in {}", p.ranked_in.join(", ")));
            }
            if !p.unranked_in.is_empty() {
                parts.push(format!("unranked in {}", p.unranked_in.join(", ")));
            }
            if !p.absent_from.is_empty() {
                parts.push(format!("absent from {}", p.absent_from.join(", ")));
            }
            let key = parts.join("; ");
            let unit = format!("{} ({})", p.name, p.id);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, units)) => units.push(unit),
                None => groups.push((key, vec![unit])),
            }
        }
        for (key, units) in groups {
            let _ = writeln!(out, "  {key} ({}): {}", units.len(), units.join(", "));
        }
    }
    for p in &report.published {
        out.push('\n');
        out.push_str(&published_table(p));
    }
    out
}

/// The comparison of one method with a published ranking, as text.
pub fn published_table(p: &PublishedComparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Published: {} {} vs {} ({}) — {} rows, {} matched, {} unmatched",
        p.ranking,
        p.edition,
        p.method,
        if p.inferred {
            "ranking inferred from the edition"
        } else {
            "ranking named by flags"
        },
        p.rows,
        p.matched.len(),
        p.unmatched.len()
    );
    if let Some(t) = &p.tiers {
        let _ = writeln!(
            out,
            "  tiers: {}/{} published cities in the same tier ({}){}",
            t.same,
            t.n,
            t.share.map_or("–".into(), |s| format!("{:.1}%", s * 100.0)),
            if t.labels_match {
                String::new()
            } else {
                " — the published tier labels are not the method's".to_string()
            }
        );
        if t.labels_match {
            let _ = writeln!(
                out,
                "  the method puts {} units in the published tiers ({}); {} of them are listed there",
                t.method_in_listed_tiers,
                t.confusion
                    .published
                    .iter()
                    .filter(|l| t.confusion.method.contains(l))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                t.method_in_listed_tiers_same
            );
        }
        let mut header = vec!["published \\ method".to_string()];
        header.extend(t.confusion.method.iter().cloned());
        let rows: Vec<Vec<String>> = t
            .confusion
            .published
            .iter()
            .zip(&t.confusion.counts)
            .map(|(l, row)| {
                let mut r = vec![l.clone()];
                r.extend(row.iter().map(|c| c.to_string()));
                r
            })
            .collect();
        for line in aligned(&header, &rows, |c| c > 0, true).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(b) = p.tiers.as_ref().and_then(|t| t.by_rank.as_ref()) {
        let _ = writeln!(
            out,
            "  by rank (the method's ranks cut at the published shares): {}/{} in the same tier ({})",
            b.same,
            b.n,
            b.share.map_or("–".into(), |s| format!("{:.1}%", s * 100.0))
        );
        let mut header = vec!["published \\ by rank".to_string()];
        header.extend(b.confusion.method.iter().cloned());
        let rows: Vec<Vec<String>> = b
            .confusion
            .published
            .iter()
            .zip(&b.confusion.counts)
            .map(|(l, row)| {
                let mut r = vec![l.clone()];
                r.extend(row.iter().map(|c| c.to_string()));
                r
            })
            .collect();
        for line in aligned(&header, &rows, |c| c > 0, true).lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if let Some(r) = &p.ranks {
        let _ = writeln!(
            out,
            "  ranks: n = {}, spearman {}, kendall {}",
            r.n,
            fmt_opt(r.spearman, 3),
            fmt_opt(r.kendall, 3)
        );
    }
    if let Some(s) = &p.scores {
        let _ = writeln!(out, "  scores: n = {}, pearson {}", s.n, fmt_opt(s.pearson, 3));
    }
    let disagree: Vec<String> = p
        .matched
        .iter()
        .filter(|m| p.tiers.as_ref().is_some_and(|t| t.labels_match) && m.tier.as_deref() != Some(m.published.as_str()))
        .map(|m| {
            format!(
                "{} ({} published, {} here)",
                m.city,
                m.published,
                m.tier.as_deref().unwrap_or("unranked")
            )
        })
        .collect();
    if !disagree.is_empty() {
        let _ = writeln!(out, "  in another tier: {}", disagree.join("; "));
    }
    for u in &p.unmatched {
        let _ = writeln!(
            out,
            "  unmatched: {}{} — {}",
            u.city,
            u.country.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
            u.reason
        );
    }
    out
}
