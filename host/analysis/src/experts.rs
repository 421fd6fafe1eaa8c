//! The expert-panel report (`cityrank experts`) as a terminal table, JSON and CSV
//! (the report itself is computed by `cityrank_core::experts`; its HTML page is
//! [`crate::html::experts_report`] and its workbook
//! [`crate::excel::experts_workbook`]).

use std::fmt::Write as _;

use anyhow::{Context, Result};

use cityrank_core::experts::{ExpertsReport, Kind, PairwiseAggregation, PointsAggregation, PriorityMethod};
use cityrank_core::report::{aligned, fmt_opt};

/// The report as pretty JSON, checked against its schema.
pub fn json(report: &ExpertsReport) -> Result<String> {
    let value = serde_json::to_value(report).context("cannot represent the experts report as JSON")?;
    cityrank_core::schema::validate::<ExpertsReport>(&value, "experts report")
        .context("internal error: the experts report does not match its schema")?;
    let mut s = serde_json::to_string_pretty(&value)?;
    s.push('\n');
    Ok(s)
}

/// The settings in words: `AHP by AIJ (eigenvector priorities), points by the mean`.
pub fn settings_text(report: &ExpertsReport) -> String {
    let s = &report.settings;
    let pairwise = match s.pairwise {
        PairwiseAggregation::Aij => "AIJ (geometric mean of the judgements)",
        PairwiseAggregation::Aip => "AIP (geometric mean of the priorities)",
        PairwiseAggregation::AipArithmetic => "AIP (arithmetic mean of the priorities)",
    };
    let priorities = match s.priorities {
        PriorityMethod::Eigenvector => "eigenvector",
        PriorityMethod::GeometricMean => "geometric-mean",
    };
    let points = match s.points {
        PointsAggregation::Mean => "the mean",
        PointsAggregation::Median => "the median",
    };
    let excluded = s
        .max_cr
        .map(|m| format!("; experts with CR above {m} left out at that node"))
        .unwrap_or_default();
    format!("AHP by {pairwise}, {priorities} priorities; points and ratings by {points} of the shares{excluded}")
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn kind_text(k: Kind) -> &'static str {
    match k {
        Kind::Points => "budget allocation",
        Kind::Pairwise => "AHP",
        Kind::Rating => "rating",
    }
}

/// The report as aligned tables: per node the panel's weights beside the
/// methodology's and the spread of the experts' (minimum, median, maximum), the
/// node's agreement (Kendall's W) and the experts flagged there; then per expert
/// the consistency and distance to the panel.
pub fn table(report: &ExpertsReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Expert panel {} ({} experts, {} nodes{})",
        report.file,
        report.experts.len(),
        report.nodes.len(),
        report
            .methodology
            .as_deref()
            .map(|m| format!(", checked against {m}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "{}", settings_text(report));
    let _ = writeln!(
        out,
        "CR = Saaty's consistency ratio (flagged * above {}); W = Kendall's concordance (1 = the experts order the \
         children alike, 0 = not at all); distance = share of weight an expert would move to match the panel",
        report.cr_threshold
    );
    for node in &report.nodes {
        let left_out = node.experts.iter().filter(|e| e.excluded).count();
        let _ = writeln!(
            out,
            "\n{} — {} ({}, {} experts{}; W {}{})",
            node.id,
            node.name,
            kind_text(node.kind),
            node.experts.len(),
            if left_out > 0 {
                format!(", {left_out} left out")
            } else {
                String::new()
            },
            fmt_opt(node.kendall_w, 2),
            node.panel_cr
                .map(|c| format!("; the panel's matrix CR {c:.3}"))
                .unwrap_or_default()
        );
        let mut header: Vec<String> = vec!["child".into(), "panel".into()];
        if node.nominal.is_some() {
            header.push("methodology".into());
        }
        header.extend(["experts: min".into(), "median".into(), "max".into()]);
        let rows: Vec<Vec<String>> = node
            .children
            .iter()
            .enumerate()
            .map(|(c, id)| {
                let mut xs: Vec<f64> = node.experts.iter().map(|e| e.weights[c]).collect();
                xs.sort_by(f64::total_cmp);
                let median = cityrank_steps::stats::quantile_sorted(&xs, 0.5);
                let mut row = vec![
                    if node.child_names[c] == *id {
                        id.clone()
                    } else {
                        format!("{} ({id})", node.child_names[c])
                    },
                    pct(node.weights[c]),
                ];
                if let Some(n) = &node.nominal {
                    row.push(pct(n[c]));
                }
                row.extend([
                    xs.first().map_or("–".into(), |x| pct(*x)),
                    pct(median),
                    xs.last().map_or("–".into(), |x| pct(*x)),
                ]);
                row
            })
            .collect();
        out.push_str(&aligned(&header, &rows, |c| c > 0, false));
        let flagged: Vec<String> = node
            .experts
            .iter()
            .filter(|e| e.inconsistent || e.outlier || e.excluded)
            .map(|e| {
                let mut why = Vec::new();
                if let Some(cr) = e.cr.filter(|_| e.inconsistent) {
                    why.push(format!("CR {cr:.3}"));
                }
                if e.outlier {
                    why.push(format!("outlier, distance {:.2}", e.distance));
                }
                if e.excluded {
                    why.push("left out".into());
                }
                format!("{} ({})", e.expert, why.join(", "))
            })
            .collect();
        if !flagged.is_empty() {
            let _ = writeln!(out, "  flagged: {}", flagged.join("; "));
        }
        let completed: Vec<String> = node
            .experts
            .iter()
            .filter_map(|e| {
                let n = node.children.len();
                e.pairs
                    .filter(|&p| p < n * (n - 1) / 2)
                    .map(|p| format!("{} ({p} of {} pairs)", e.expert, n * (n - 1) / 2))
            })
            .collect();
        if !completed.is_empty() {
            let _ = writeln!(
                out,
                "  completed by logarithmic least squares: {}",
                completed.join("; ")
            );
        }
    }
    let _ = writeln!(out, "\nExperts");
    let header: Vec<String> = [
        "expert",
        "nodes",
        "max CR",
        "inconsistent at",
        "mean distance",
        "outlier at",
        "left out at",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = report
        .experts
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                e.nodes.to_string(),
                match e.max_cr {
                    Some(c) => format!("{c:.3}{}", if c > report.cr_threshold { "*" } else { "" }),
                    None => "–".into(),
                },
                e.inconsistent.join(", "),
                format!("{:.2}", e.mean_distance),
                e.outlier_at.join(", "),
                e.excluded_at.join(", "),
            ]
        })
        .collect();
    out.push_str(&aligned(&header, &rows, |c| c == 1 || c == 2 || c == 4, false));
    let inconsistent = report.experts.iter().filter(|e| !e.inconsistent.is_empty()).count();
    if inconsistent > 0 && report.settings.max_cr.is_none() {
        let _ = writeln!(
            out,
            "\n{inconsistent} of {} experts have a consistency ratio above {} somewhere: their comparisons contradict \
             each other (e.g. a > b, b > c but c > a); ask them to revise, or leave them out with `max_cr = {}`",
            report.experts.len(),
            report.cr_threshold,
            report.cr_threshold
        );
    }
    out
}

/// The report as CSV, one row per weight: `node,kind,child,who,weight,cr,distance,outlier`
/// with `who` the expert, `panel` for the panel's weights or `methodology` for
/// the methodology's own.
pub fn csv(report: &ExpertsReport) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["node", "kind", "child", "who", "weight", "cr", "distance", "outlier"])?;
    let num = |x: f64| format!("{x}");
    for node in &report.nodes {
        let kind = node.kind.as_str();
        for (c, child) in node.children.iter().enumerate() {
            w.write_record([
                node.id.as_str(),
                kind,
                child,
                "panel",
                &num(node.weights[c]),
                &node.panel_cr.map(num).unwrap_or_default(),
                "",
                "",
            ])?;
            if let Some(n) = &node.nominal {
                w.write_record([node.id.as_str(), kind, child, "methodology", &num(n[c]), "", "", ""])?;
            }
            for e in &node.experts {
                w.write_record([
                    node.id.as_str(),
                    kind,
                    child,
                    &e.expert,
                    &num(e.weights[c]),
                    &e.cr.map(num).unwrap_or_default(),
                    &num(e.distance),
                    if e.outlier { "true" } else { "false" },
                ])?;
            }
        }
    }
    Ok(String::from_utf8(w.into_inner().context("cannot write CSV")?)?)
}
