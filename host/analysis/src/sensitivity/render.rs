//! Rendering a sensitivity report: a terminal summary, JSON and CSV.

use std::fmt::Write as _;

use anyhow::Result;

use super::SensitivityReport;

/// A terminal summary: the design, rank intervals, top-tier stability, Sobol
/// indices and leave-one-out shifts.
pub fn table(r: &SensitivityReport) -> String {
    let mut out = String::new();
    let d = &r.design;
    let _ = writeln!(
        out,
        "{} — {}: {} analysis, {} design, N = {}, {} builds, seed {}",
        r.subject(),
        r.methodology,
        if d.uncertainty_only {
            "uncertainty"
        } else {
            "sensitivity"
        },
        match d.design {
            super::DesignKind::Mc => "Monte Carlo",
            super::DesignKind::Sobol => "Sobol'",
        },
        d.samples,
        d.builds,
        d.seed
    );
    for i in &d.inputs {
        let _ = writeln!(out, "  input {}: {}", i.name, i.alternatives.join(" | "));
    }
    let _ = writeln!(out);
    let name_w = r.units.iter().map(|u| u.name.chars().count()).max().unwrap_or(4).max(4);
    let _ = writeln!(
        out,
        "{:>4}  {:<name_w$}  {:>7}  {:>6}  {:>6}  {:>6}  {:>6}  {:>8}",
        "rank", "unit", "score", "median", "mean", "q5", "q95", "in top"
    );
    for u in &r.units {
        let top = u.top_share;
        let _ = writeln!(
            out,
            "{:>4}  {:<name_w$}  {:>7}  {:>6}  {:>6}  {:>6}  {:>6}  {:>7.0}%",
            u.nominal_rank.map_or("–".into(), |r| r.to_string()),
            u.name,
            cityrank_core::report::fmt_opt(u.nominal_score, 2),
            cityrank_core::report::fmt_opt(u.median_rank, 1),
            cityrank_core::report::fmt_opt(u.mean_rank, 1),
            cityrank_core::report::fmt_opt(u.q5_rank, 1),
            cityrank_core::report::fmt_opt(u.q95_rank, 1),
            top * 100.0
        );
    }
    let _ = writeln!(
        out,
        "\n\"in top\": the share of builds in the top tier ({}).",
        r.top_tier_label
    );
    let _ = writeln!(out, "The top tier differs from the nominal one in:");
    for t in &r.top_tier {
        let what = if t.input == "all" {
            "all builds".to_string()
        } else {
            format!("{} = {}", t.input, t.alternative)
        };
        let _ = writeln!(out, "  {:>5.1}% of {:>5} builds  {what}", t.changed * 100.0, t.builds);
    }
    if !r.tier_changes.is_empty() {
        let _ = writeln!(out, "\nEach weight input alone (the others nominal):");
        for c in &r.tier_changes {
            let often: Vec<String> = c
                .most_often
                .iter()
                .map(|(id, share)| format!("{id} {:.1}%", share * 100.0))
                .collect();
            let _ = writeln!(
                out,
                "  {}: {} of {} units change tier in at least one of {} builds ({:.1} per build); the top tier \
                 differs in {:.0}% of them{}",
                c.input,
                c.units_changing_tier,
                c.units,
                c.builds,
                c.mean_units_changing_tier,
                c.top_tier_changed * 100.0,
                if often.is_empty() {
                    String::new()
                } else {
                    format!("; most often: {}", often.join(", "))
                }
            );
        }
    }
    if let Some(s) = &r.sensitivity {
        let _ = writeln!(out, "\nSobol indices of `{}` (variance {:.4}):", d.target, s.variance);
        let w = s
            .indices
            .iter()
            .map(|i| i.input.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "  {:<w$}  {:>7}  {:>17}  {:>7}  {:>17}",
            "input", "first", "90% CI", "total", "90% CI"
        );
        for i in &s.indices {
            let ci = |c: Option<[f64; 2]>| c.map_or_else(|| "–".into(), |c| format!("[{:.3}, {:.3}]", c[0], c[1]));
            let _ = writeln!(
                out,
                "  {:<w$}  {:>7.3}  {:>17}  {:>7.3}  {:>17}",
                i.input,
                i.first,
                ci(i.first_ci),
                i.total,
                ci(i.total_ci)
            );
        }
    }
    if !r.leave_one_out.is_empty() {
        let mut loo = r.leave_one_out.clone();
        loo.sort_by(|a, b| {
            b.mean_abs_shift
                .total_cmp(&a.mean_abs_shift)
                .then(a.removed.cmp(&b.removed))
        });
        let _ = writeln!(out, "\nleave one out (largest mean rank shift first; top 10):");
        for l in loo.iter().take(10) {
            let _ = writeln!(
                out,
                "  {:<24} {:>9}  mean |Δrank| {:>5.2}  max {:>3}{}",
                l.removed,
                format!("{:?}", l.kind).to_lowercase(),
                l.mean_abs_shift,
                l.max_abs_shift,
                l.most_affected.as_ref().map_or(String::new(), |u| format!(" ({u})"))
            );
        }
    }
    out
}

/// The report as pretty JSON with a trailing newline.
pub fn json(r: &SensitivityReport) -> Result<String> {
    let mut s = serde_json::to_string_pretty(r)?;
    s.push('\n');
    Ok(s)
}

/// One row per unit: nominal rank and score, rank statistics and tier shares.
pub fn csv(r: &SensitivityReport) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "id",
        "name",
        "nominal_rank",
        "nominal_score",
        "nominal_tier",
        "mean_rank",
        "median_rank",
        "q5_rank",
        "q95_rank",
        "top_share",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(r.tiers.iter().map(|t| format!("share {t}")));
    header.push("share unranked".to_string());
    w.write_record(&header)?;
    let f = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for u in &r.units {
        let mut row = vec![
            u.id.clone(),
            u.name.clone(),
            u.nominal_rank.map(|r| r.to_string()).unwrap_or_default(),
            f(u.nominal_score),
            u.nominal_tier.clone().unwrap_or_default(),
            f(u.mean_rank),
            f(u.median_rank),
            f(u.q5_rank),
            f(u.q95_rank),
            u.top_share.to_string(),
        ];
        row.extend(
            r.tiers
                .iter()
                .map(|t| u.tier_shares.get(t).copied().unwrap_or(0.0).to_string()),
        );
        row.push(u.tier_shares.get("unranked").copied().unwrap_or(0.0).to_string());
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?)
}
