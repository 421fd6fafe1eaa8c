//! Results as an Excel workbook (rust_xlsxwriter), for the people who keep and
//! publish rankings in Excel: one sheet per table, frozen header rows, number
//! formats, the tiers coloured, and a sheet that says how the results were made.
//!
//! Workbooks are deterministic: the document's creation date is fixed (the
//! results record how they were made; a clock would only make two runs differ).

use anyhow::{Result, anyhow};
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use std::collections::BTreeMap;

use cityrank_core::dataset::split_key;
use cityrank_core::methodology::NodeKind;
use cityrank_core::pipeline::Stage;
use cityrank_core::results::{NodeInfo, Results};

/// Fills of the tiers, best first (light, so that the text stays readable); more
/// tiers than colours reuse the last.
const TIER_FILLS: [u32; 6] = [0xC6EFCE, 0xE2F0D9, 0xFFF2CC, 0xFCE4D6, 0xF8CBAD, 0xEDEDED];

/// The formats of a results workbook.
struct Formats {
    header: Format,
    score: Format,
    weight: Format,
    share: Format,
    tiers: Vec<Format>,
}

impl Formats {
    fn new(tiers: usize) -> Formats {
        Formats {
            header: Format::new().set_bold().set_align(FormatAlign::Center).set_text_wrap(),
            score: Format::new().set_num_format("0.00"),
            weight: Format::new().set_num_format("0.000"),
            share: Format::new().set_num_format("0.0%"),
            tiers: (0..tiers.max(1))
                .map(|t| Format::new().set_background_color(Color::RGB(TIER_FILLS[t.min(TIER_FILLS.len() - 1)])))
                .collect(),
        }
    }
}

fn xlsx(e: rust_xlsxwriter::XlsxError) -> anyhow::Error {
    anyhow!("cannot write the workbook: {e}")
}

/// The most rows of a sheet whose columns are fitted to their contents.
const FIT_ROWS: usize = 2_000;

/// Fits the columns to their contents when that is cheap (fitting reads every
/// cell: for large sheets the columns get a fixed width instead).
fn fit(sheet: &mut Worksheet, rows: usize) {
    if rows <= FIT_ROWS {
        sheet.autofit();
    } else {
        let _ = sheet.set_column_range_width(0, 255, 12.0);
    }
}

/// A new sheet for `rows` rows: above [`FIT_ROWS`] streamed to a temporary file
/// as its rows are written (constant memory; rows must then be written in
/// order, which every sheet here does).
fn sheet_for(book: &mut Workbook, rows: usize) -> Result<&mut Worksheet> {
    if rows > FIT_ROWS {
        book.add_worksheet_with_constant_memory().map_err(xlsx)
    } else {
        Ok(book.add_worksheet())
    }
}

/// A number in a column that has its format (see `set_column_range_format`): no
/// per-cell format to look up, which matters for millions of cells.
fn plain(sheet: &mut Worksheet, row: u32, col: u16, x: Option<f64>) -> Result<()> {
    if let Some(x) = x.filter(|x| x.is_finite()) {
        sheet.write_number(row, col, x).map_err(xlsx)?;
    }
    Ok(())
}

/// A header row, frozen.
fn header(sheet: &mut Worksheet, names: &[&str], f: &Formats) -> Result<()> {
    for (c, name) in names.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *name, &f.header)
            .map_err(xlsx)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    Ok(())
}

/// Column headings for `nodes`: each node's name, or `name (id)` when another
/// node of the framework, or one of the sheet's `fixed` columns, has that name.
fn headings(results: &Results, nodes: &[&NodeInfo], fixed: &[&str]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| {
            let repeated =
                fixed.contains(&n.name.as_str()) || results.framework.iter().filter(|m| m.name == n.name).count() > 1;
            if repeated {
                format!("{} ({})", n.name, n.id)
            } else {
                n.name.clone()
            }
        })
        .collect()
}

/// A number, or a blank cell for a missing one.
fn number(sheet: &mut Worksheet, row: u32, col: u16, x: Option<f64>, format: &Format) -> Result<()> {
    if let Some(x) = x.filter(|x| x.is_finite()) {
        sheet.write_number_with_format(row, col, x, format).map_err(xlsx)?;
    }
    Ok(())
}

/// The workbook of a run: `Ranking` (rank, tier, unit, score and every aggregate),
/// `Indicators` (normalised scores), `Raw values` (the indicators as derived,
/// when the run's `raw` stage is given), `Framework` (weights), `Missing`, and
/// `About` (how the results were made). The units are in rank order on every
/// sheet, with their names, and nodes are headed by their names. Returns the
/// file's bytes.
pub fn results_workbook(results: &Results, raw: Option<(&Stage, &[String])>) -> Result<Vec<u8>> {
    let mut book = workbook(&format!("{} — {}", results.edition.name, results.methodology.name))?;
    let f = Formats::new(results.tiers.len());
    let aggregates: Vec<&NodeInfo> = results
        .framework
        .iter()
        .filter(|n| n.kind != NodeKind::Indicator && n.parent.is_some())
        .collect();
    let indicators: Vec<&NodeInfo> = results
        .framework
        .iter()
        .filter(|n| n.kind == NodeKind::Indicator)
        .collect();

    // The raw values are built on a second thread while this one writes the
    // ranking and the indicators (the two large sheets standalone, pushed in their
    // places; their XML is then assembled in parallel when the workbook is saved).
    let raw_sheet = std::thread::scope(|scope| -> Result<Option<Worksheet>> {
        let f = &f;
        let indicators = &indicators;
        let raw_job = raw.map(|(stage, unit_ids)| {
            scope.spawn(move || -> Result<Worksheet> {
                let mut sheet = Worksheet::new();
                sheet.set_name("Raw values").map_err(xlsx)?;
                raw_values_sheet(&mut sheet, results, stage, unit_ids, f)?;
                Ok(sheet)
            })
        });
        ranking_sheet(&mut book, results, &aggregates, f)?;
        let mut sheet = Worksheet::new();
        sheet.set_name("Indicators").map_err(xlsx)?;
        indicators_sheet(&mut sheet, results, indicators, f)?;
        book.push_worksheet(sheet);
        raw_job
            .map(|j| {
                j.join()
                    .map_err(|_| anyhow!("internal error: the raw values sheet's thread panicked"))?
            })
            .transpose()
    })?;
    if let Some(sheet) = raw_sheet {
        book.push_worksheet(sheet);
    }

    // Framework: the tree with its weights.
    let sheet = book.add_worksheet().set_name("Framework").map_err(xlsx)?;
    header(
        sheet,
        &["id", "name", "kind", "parent", "weight", "effective weight"],
        &f,
    )?;
    for (i, n) in results.framework.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &n.id).map_err(xlsx)?;
        sheet.write_string(row, 1, &n.name).map_err(xlsx)?;
        let kind = serde_json::to_value(n.kind)?.as_str().unwrap_or_default().to_string();
        sheet.write_string(row, 2, &kind).map_err(xlsx)?;
        sheet
            .write_string(row, 3, n.parent.as_deref().unwrap_or(""))
            .map_err(xlsx)?;
        number(sheet, row, 4, Some(n.weight), &f.weight)?;
        number(sheet, row, 5, Some(n.effective_weight), &f.share)?;
    }
    fit(sheet, results.units.len());

    // Missing indicator values.
    let sheet = book.add_worksheet().set_name("Missing").map_err(xlsx)?;
    header(sheet, &["unit", "indicator"], &f)?;
    let mut row = 1;
    for (unit, ids) in &results.missing {
        for id in ids {
            sheet.write_string(row, 0, unit).map_err(xlsx)?;
            sheet.write_string(row, 1, id).map_err(xlsx)?;
            row += 1;
        }
    }
    fit(sheet, results.units.len());

    // About: how the results were made.
    let sheet = book.add_worksheet().set_name("About").map_err(xlsx)?;
    header(sheet, &["what", "value"], &f)?;
    let about: Vec<(&str, String)> = vec![
        ("edition", format!("{} ({})", results.edition.name, results.edition.id)),
        ("edition file", results.edition.file.clone()),
        ("edition file sha256", results.edition.sha256.clone()),
        (
            "variant",
            results.edition.variant.clone().unwrap_or_else(|| "none".into()),
        ),
        (
            "methodology",
            format!(
                "{} v{} ({})",
                results.methodology.name, results.methodology.version, results.methodology.kind
            ),
        ),
        ("methodology sha256", results.methodology.sha256.clone()),
        ("dataset", format!("{} ({})", results.dataset.id, results.dataset.year)),
        ("dataset file sha256", results.dataset.sha256.clone()),
        ("units", results.dataset.units.to_string()),
        ("cityrank", results.cityrank.clone()),
    ];
    let lines = about.into_iter().chain(
        cityrank_core::report::notices(results)
            .into_iter()
            .map(|w| ("warning", w)),
    );
    for (k, (what, value)) in lines.enumerate() {
        let row = k as u32 + 1;
        sheet.write_string(row, 0, what).map_err(xlsx)?;
        sheet.write_string(row, 1, &value).map_err(xlsx)?;
    }
    fit(sheet, results.units.len());

    // The compressed file takes about 20 bytes a cell: reserved at once, the
    // buffer is not grown (and copied) a dozen times for a large workbook.
    let cells = results.units.len() * (results.framework.len() + indicators.len() + 8);
    let mut bytes = Vec::with_capacity(cells * 20);
    book.save_to_writer(&mut bytes).map_err(xlsx)?;
    Ok(bytes)
}

/// A new deterministic workbook (fixed creation date) titled `title`.
fn workbook(title: &str) -> Result<Workbook> {
    let mut book = Workbook::new();
    // Fast compression: a results workbook of every city holds millions of numbers.
    book.set_zip_compression_level(1);
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(xlsx)?;
    book.set_properties(&DocProperties::new().set_title(title).set_creation_datetime(&created));
    Ok(book)
}

/// The workbook of a comparison: `Methods`, `Agreement` (every pair's measures),
/// `Units` (each method's rank, tier, score and shift), `Partial units` and, when
/// units were matched by name, `Matched by name`. Returns the file's bytes.
pub fn compare_workbook(report: &crate::compare::CompareReport) -> Result<Vec<u8>> {
    let mut book = workbook("cityrank comparison")?;
    let f = Formats::new(1);
    let three = Format::new().set_num_format("0.000");

    let sheet = book.add_worksheet().set_name("Methods").map_err(xlsx)?;
    header(
        sheet,
        &[
            "label",
            "edition",
            "year",
            "variant",
            "methodology",
            "version",
            "dataset",
            "units",
            "ranked",
        ],
        &f,
    )?;
    for (i, m) in report.methods.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &m.label).map_err(xlsx)?;
        sheet.write_string(row, 1, &m.edition_name).map_err(xlsx)?;
        sheet.write_number(row, 2, f64::from(m.year)).map_err(xlsx)?;
        sheet
            .write_string(row, 3, m.variant.as_deref().unwrap_or(""))
            .map_err(xlsx)?;
        sheet.write_string(row, 4, &m.methodology).map_err(xlsx)?;
        sheet.write_string(row, 5, &m.methodology_version).map_err(xlsx)?;
        sheet.write_string(row, 6, &m.dataset).map_err(xlsx)?;
        sheet.write_number(row, 7, m.units as f64).map_err(xlsx)?;
        sheet.write_number(row, 8, m.ranked as f64).map_err(xlsx)?;
    }
    fit(sheet, report.units.len());

    let sheet = book.add_worksheet().set_name("Agreement").map_err(xlsx)?;
    header(
        sheet,
        &[
            "a",
            "b",
            "units",
            "Spearman",
            "Kendall",
            "Pearson",
            "top-k share",
            "same tier",
            "kappa",
            "mean |Δrank|",
            "max |Δrank|",
        ],
        &f,
    )?;
    for (i, p) in report.pairs.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &p.a).map_err(xlsx)?;
        sheet.write_string(row, 1, &p.b).map_err(xlsx)?;
        sheet.write_number(row, 2, p.n as f64).map_err(xlsx)?;
        number(sheet, row, 3, p.spearman, &three)?;
        number(sheet, row, 4, p.kendall, &three)?;
        number(sheet, row, 5, p.pearson, &three)?;
        number(sheet, row, 6, p.top_k.share, &f.share)?;
        number(sheet, row, 7, p.tiers.share, &f.share)?;
        number(sheet, row, 8, p.tiers.kappa, &three)?;
        number(sheet, row, 9, p.mean_abs_rank_shift, &f.score)?;
        number(sheet, row, 10, p.max_abs_rank_shift.map(f64::from), &f.score)?;
    }
    fit(sheet, report.units.len());

    let sheet = book.add_worksheet().set_name("Units").map_err(xlsx)?;
    let mut names: Vec<String> = vec!["id".into(), "name".into(), "country".into()];
    for m in &report.methods {
        for what in ["rank", "tier", "score", "shift"] {
            names.push(format!("{} {what}", m.label));
        }
    }
    header(sheet, &names.iter().map(String::as_str).collect::<Vec<_>>(), &f)?;
    for (i, u) in report.units.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &u.id).map_err(xlsx)?;
        sheet.write_string(row, 1, &u.name).map_err(xlsx)?;
        sheet
            .write_string(row, 2, u.country.as_deref().unwrap_or(""))
            .map_err(xlsx)?;
        for (k, m) in report.methods.iter().enumerate() {
            let c = 3 + 4 * k as u16;
            if let Some(x) = u.methods.get(&m.label) {
                number(sheet, row, c, x.rank.map(f64::from), &Format::new())?;
                sheet
                    .write_string(row, c + 1, x.tier.as_deref().unwrap_or(""))
                    .map_err(xlsx)?;
                number(sheet, row, c + 2, x.score, &f.score)?;
                number(sheet, row, c + 3, x.shift.map(|s| s as f64), &Format::new())?;
            }
        }
    }
    fit(sheet, report.units.len());

    let sheet = book.add_worksheet().set_name("Partial units").map_err(xlsx)?;
    header(sheet, &["id", "name", "ranked in", "unranked in", "absent from"], &f)?;
    for (i, p) in report.partial_units.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &p.id).map_err(xlsx)?;
        sheet.write_string(row, 1, &p.name).map_err(xlsx)?;
        sheet.write_string(row, 2, p.ranked_in.join(", ")).map_err(xlsx)?;
        sheet.write_string(row, 3, p.unranked_in.join(", ")).map_err(xlsx)?;
        sheet.write_string(row, 4, p.absent_from.join(", ")).map_err(xlsx)?;
    }
    fit(sheet, report.units.len());

    if !report.matched_by_name.is_empty() {
        let sheet = book.add_worksheet().set_name("Matched by name").map_err(xlsx)?;
        header(sheet, &["method", "id", "compared as", "name"], &f)?;
        for (i, m) in report.matched_by_name.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, &m.method).map_err(xlsx)?;
            sheet.write_string(row, 1, &m.id).map_err(xlsx)?;
            sheet.write_string(row, 2, &m.as_id).map_err(xlsx)?;
            sheet.write_string(row, 3, &m.name).map_err(xlsx)?;
        }
        fit(sheet, report.units.len());
    }
    book.save_to_buffer().map_err(xlsx)
}

/// The workbook of an uncertainty and sensitivity analysis: `Ranks` (each unit's
/// nominal rank, its median and 5–95% interval over the builds, and its share in
/// each tier), `Sobol indices` (with their intervals, for a sensitivity
/// analysis), `Top tier` (how often its membership changes, per alternative),
/// `Weight inputs alone` (the units changing tier over each weight input's sets)
/// and `Leave one out`. Returns the file's bytes.
pub fn sensitivity_workbook(report: &crate::sensitivity::SensitivityReport) -> Result<Vec<u8>> {
    let mut book = workbook(&format!("{} — uncertainty and sensitivity", report.subject()))?;
    let f = Formats::new(report.tiers.len());
    let one = Format::new().set_num_format("0.0");
    let three = Format::new().set_num_format("0.000");

    let sheet = book.add_worksheet().set_name("Ranks").map_err(xlsx)?;
    let mut names: Vec<String> = [
        "id",
        "name",
        "nominal rank",
        "nominal tier",
        "nominal score",
        "median rank",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.extend(["mean rank", "5% rank", "95% rank", "share in the top tier"].map(String::from));
    names.extend(report.tiers.iter().map(|t| format!("share {t}")));
    header(sheet, &names.iter().map(String::as_str).collect::<Vec<_>>(), &f)?;
    for (i, u) in report.units.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &u.id).map_err(xlsx)?;
        sheet.write_string(row, 1, &u.name).map_err(xlsx)?;
        number(sheet, row, 2, u.nominal_rank.map(f64::from), &Format::new())?;
        let tier = u.nominal_tier.as_deref().unwrap_or("");
        match report.tiers.iter().position(|t| t == tier) {
            Some(t) => sheet
                .write_string_with_format(row, 3, tier, &f.tiers[t.min(f.tiers.len() - 1)])
                .map_err(xlsx)?,
            None => sheet.write_string(row, 3, tier).map_err(xlsx)?,
        };
        number(sheet, row, 4, u.nominal_score, &f.score)?;
        number(sheet, row, 5, u.median_rank, &one)?;
        number(sheet, row, 6, u.mean_rank, &one)?;
        number(sheet, row, 7, u.q5_rank, &one)?;
        number(sheet, row, 8, u.q95_rank, &one)?;
        number(sheet, row, 9, Some(u.top_share), &f.share)?;
        for (k, t) in report.tiers.iter().enumerate() {
            number(
                sheet,
                row,
                10 + k as u16,
                Some(u.tier_shares.get(t).copied().unwrap_or(0.0)),
                &f.share,
            )?;
        }
    }
    fit(sheet, report.units.len());

    if let Some(s) = &report.sensitivity {
        let sheet = book.add_worksheet().set_name("Sobol indices").map_err(xlsx)?;
        header(
            sheet,
            &["input", "first order", "from", "to", "total", "from", "to"],
            &f,
        )?;
        for (i, x) in s.indices.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, &x.input).map_err(xlsx)?;
            number(sheet, row, 1, Some(x.first), &three)?;
            number(sheet, row, 2, x.first_ci.map(|c| c[0]), &three)?;
            number(sheet, row, 3, x.first_ci.map(|c| c[1]), &three)?;
            number(sheet, row, 4, Some(x.total), &three)?;
            number(sheet, row, 5, x.total_ci.map(|c| c[0]), &three)?;
            number(sheet, row, 6, x.total_ci.map(|c| c[1]), &three)?;
        }
        fit(sheet, s.indices.len());
    }

    let sheet = book.add_worksheet().set_name("Top tier").map_err(xlsx)?;
    header(
        sheet,
        &["input", "alternative", "builds", "share with another top tier"],
        &f,
    )?;
    for (i, t) in report.top_tier.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &t.input).map_err(xlsx)?;
        sheet.write_string(row, 1, &t.alternative).map_err(xlsx)?;
        sheet.write_number(row, 2, t.builds as f64).map_err(xlsx)?;
        number(sheet, row, 3, Some(t.changed), &f.share)?;
    }
    fit(sheet, report.top_tier.len());

    if !report.tier_changes.is_empty() {
        let sheet = book.add_worksheet().set_name("Weight inputs alone").map_err(xlsx)?;
        header(
            sheet,
            &[
                "input",
                "builds",
                "units changing tier",
                "units",
                "per build",
                "top tier differs",
                "most often in another tier",
            ],
            &f,
        )?;
        for (i, c) in report.tier_changes.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, &c.input).map_err(xlsx)?;
            sheet.write_number(row, 1, c.builds as f64).map_err(xlsx)?;
            sheet.write_number(row, 2, c.units_changing_tier as f64).map_err(xlsx)?;
            sheet.write_number(row, 3, c.units as f64).map_err(xlsx)?;
            number(sheet, row, 4, Some(c.mean_units_changing_tier), &one)?;
            number(sheet, row, 5, Some(c.top_tier_changed), &f.share)?;
            let often: Vec<String> = c
                .most_often
                .iter()
                .map(|(id, share)| format!("{id} {:.1}%", share * 100.0))
                .collect();
            sheet.write_string(row, 6, often.join(", ")).map_err(xlsx)?;
        }
        fit(sheet, report.tier_changes.len());
    }

    if !report.leave_one_out.is_empty() {
        let sheet = book.add_worksheet().set_name("Leave one out").map_err(xlsx)?;
        header(sheet, &["removed", "mean |Δrank|", "max |Δrank|", "most affected"], &f)?;
        for (i, l) in report.leave_one_out.iter().enumerate() {
            let row = i as u32 + 1;
            sheet.write_string(row, 0, &l.removed).map_err(xlsx)?;
            number(sheet, row, 1, Some(l.mean_abs_shift), &f.score)?;
            sheet.write_number(row, 2, f64::from(l.max_abs_shift)).map_err(xlsx)?;
            sheet
                .write_string(row, 3, l.most_affected.as_deref().unwrap_or(""))
                .map_err(xlsx)?;
        }
        fit(sheet, report.leave_one_out.len());
    }
    book.save_to_buffer().map_err(xlsx)
}

/// The workbook of an explanation: `Breakdown` (every framework node, indented
/// under its parent, with its weight, this unit's effective weight, value,
/// contribution, the mean over the units, percentile and rank), `Strengths and
/// weaknesses`, and `About` (the unit, edition, methodology and what the
/// contributions mean). Returns the file's bytes.
pub fn explain_workbook(e: &crate::explain::Explanation) -> Result<Vec<u8>> {
    let u = &e.unit;
    let mut book = workbook(&format!("{} — {}", u.name, e.edition.name))?;
    let f = Formats::new(1);
    let four = Format::new().set_num_format("0.0000");
    let one = Format::new().set_num_format("0.0");

    let sheet = book.add_worksheet().set_name("Breakdown").map_err(xlsx)?;
    header(
        sheet,
        &[
            "node",
            "name",
            "kind",
            "parent",
            "weight",
            "effective weight",
            "unit's weight",
            "value",
            "contribution",
            "mean of the units",
            "percentile",
            "rank",
            "of",
        ],
        &f,
    )?;
    for (i, n) in e.nodes.iter().enumerate() {
        let row = i as u32 + 1;
        let indent = Format::new().set_indent(n.depth.min(15) as u8);
        sheet.write_string_with_format(row, 0, &n.id, &indent).map_err(xlsx)?;
        sheet.write_string(row, 1, &n.name).map_err(xlsx)?;
        sheet.write_string(row, 2, n.kind.as_str()).map_err(xlsx)?;
        sheet
            .write_string(row, 3, n.parent.as_deref().unwrap_or(""))
            .map_err(xlsx)?;
        if n.depth > 0 {
            number(sheet, row, 4, Some(n.weight), &f.weight)?;
        }
        number(sheet, row, 5, Some(n.effective_weight), &four)?;
        number(sheet, row, 6, n.unit_weight, &four)?;
        number(sheet, row, 7, n.value, &f.score)?;
        number(sheet, row, 8, n.contribution, &f.score)?;
        number(sheet, row, 9, n.mean, &f.score)?;
        number(sheet, row, 10, n.percentile, &one)?;
        number(sheet, row, 11, n.rank.map(f64::from), &Format::new())?;
        sheet.write_number(row, 12, n.of as f64).map_err(xlsx)?;
    }
    fit(sheet, e.nodes.len());

    let sheet = book
        .add_worksheet()
        .set_name("Strengths and weaknesses")
        .map_err(xlsx)?;
    header(
        sheet,
        &[
            "",
            "indicator",
            "name",
            "pillar",
            "value",
            "percentile",
            "rank",
            "of",
            "contribution",
        ],
        &f,
    )?;
    let highlights = e
        .strengths
        .iter()
        .map(|h| ("strength", h))
        .chain(e.weaknesses.iter().map(|h| ("weakness", h)));
    for (i, (what, h)) in highlights.enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, what).map_err(xlsx)?;
        sheet.write_string(row, 1, &h.id).map_err(xlsx)?;
        sheet.write_string(row, 2, &h.name).map_err(xlsx)?;
        sheet.write_string(row, 3, &h.pillar).map_err(xlsx)?;
        number(sheet, row, 4, Some(h.value), &f.score)?;
        number(sheet, row, 5, Some(h.percentile), &one)?;
        sheet.write_number(row, 6, f64::from(h.rank)).map_err(xlsx)?;
        sheet.write_number(row, 7, h.of as f64).map_err(xlsx)?;
        number(sheet, row, 8, h.contribution, &f.score)?;
    }
    fit(sheet, e.strengths.len() + e.weaknesses.len());

    let sheet = book.add_worksheet().set_name("About").map_err(xlsx)?;
    header(sheet, &["what", "value"], &f)?;
    let opt = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.2}"));
    let about: Vec<(&str, String)> = vec![
        ("unit", format!("{} ({})", u.name, u.id)),
        ("country", u.country.clone().unwrap_or_default()),
        ("score", opt(u.score)),
        ("rank", u.rank.map_or("–".into(), |r| format!("{r} of {}", u.ranked))),
        ("tier", u.tier.clone().unwrap_or_else(|| "–".into())),
        ("peer group", u.peer_group.clone().unwrap_or_default()),
        ("edition", format!("{} ({})", e.edition.name, e.edition.id)),
        ("edition file sha256", e.edition.sha256.clone()),
        ("variant", e.edition.variant.clone().unwrap_or_else(|| "none".into())),
        (
            "methodology",
            format!(
                "{} v{} ({})",
                e.methodology.name, e.methodology.version, e.methodology.kind
            ),
        ),
        ("methodology sha256", e.methodology.sha256.clone()),
        ("aggregation", e.aggregation.clone()),
        ("contributions", e.note.clone()),
        ("sum of contributions", opt(e.sum_of_contributions)),
        ("cityrank", e.cityrank.clone()),
    ];
    for (k, (what, value)) in about.into_iter().enumerate() {
        let row = k as u32 + 1;
        sheet.write_string(row, 0, what).map_err(xlsx)?;
        sheet.write_string(row, 1, &value).map_err(xlsx)?;
    }
    fit(sheet, 20);
    book.save_to_buffer().map_err(xlsx)
}

/// The workbook of an expert panel: `Weights` (per node and child the panel's
/// weight, the methodology's, and every expert's), `Experts` (each expert's
/// consistency and distance) and `Agreement` (per node Kendall's W, the panel's
/// CR, the experts flagged). Returns the file's bytes.
pub fn experts_workbook(report: &cityrank_core::experts::ExpertsReport) -> Result<Vec<u8>> {
    let mut book = workbook(&format!("Expert panel — {}", report.file))?;
    let f = Formats::new(1);
    let three = Format::new().set_num_format("0.000");
    let inconsistent = Format::new()
        .set_num_format("0.0%")
        .set_background_color(Color::RGB(TIER_FILLS[3]));

    let sheet = book.add_worksheet().set_name("Weights").map_err(xlsx)?;
    let mut names: Vec<String> = ["node", "child", "name", "panel", "methodology"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(report.experts.iter().map(|e| e.id.clone()));
    header(sheet, &names.iter().map(String::as_str).collect::<Vec<_>>(), &f)?;
    let mut row = 1u32;
    for node in &report.nodes {
        for (c, child) in node.children.iter().enumerate() {
            sheet.write_string(row, 0, &node.id).map_err(xlsx)?;
            sheet.write_string(row, 1, child).map_err(xlsx)?;
            sheet.write_string(row, 2, &node.child_names[c]).map_err(xlsx)?;
            number(sheet, row, 3, Some(node.weights[c]), &f.share)?;
            number(sheet, row, 4, node.nominal.as_ref().map(|n| n[c]), &f.share)?;
            for j in &node.experts {
                let col = 5 + report.experts.iter().position(|e| e.id == j.expert).unwrap_or(0) as u16;
                let format = if j.inconsistent { &inconsistent } else { &f.share };
                number(sheet, row, col, Some(j.weights[c]), format)?;
            }
            row += 1;
        }
    }
    fit(sheet, row as usize);

    let sheet = book.add_worksheet().set_name("Experts").map_err(xlsx)?;
    header(
        sheet,
        &[
            "expert",
            "node",
            "λ max",
            "CI",
            "CR",
            "inconsistent",
            "pairs",
            "distance",
            "outlier",
            "left out",
        ],
        &f,
    )?;
    let mut row = 1u32;
    for node in &report.nodes {
        for j in &node.experts {
            sheet.write_string(row, 0, &j.expert).map_err(xlsx)?;
            sheet.write_string(row, 1, &node.id).map_err(xlsx)?;
            number(sheet, row, 2, j.lambda_max, &three)?;
            number(sheet, row, 3, j.ci, &three)?;
            number(sheet, row, 4, j.cr, &three)?;
            sheet.write_boolean(row, 5, j.inconsistent).map_err(xlsx)?;
            number(sheet, row, 6, j.pairs.map(|p| p as f64), &Format::new())?;
            number(sheet, row, 7, Some(j.distance), &three)?;
            sheet.write_boolean(row, 8, j.outlier).map_err(xlsx)?;
            sheet.write_boolean(row, 9, j.excluded).map_err(xlsx)?;
            row += 1;
        }
    }
    fit(sheet, row as usize);

    let sheet = book.add_worksheet().set_name("Agreement").map_err(xlsx)?;
    header(
        sheet,
        &[
            "node",
            "name",
            "kind",
            "experts",
            "Kendall's W",
            "panel CR",
            "inconsistent",
            "outliers",
        ],
        &f,
    )?;
    for (k, node) in report.nodes.iter().enumerate() {
        let row = k as u32 + 1;
        let list = |pick: fn(&cityrank_core::experts::ExpertJudgement) -> bool| -> String {
            node.experts
                .iter()
                .filter(|e| pick(e))
                .map(|e| e.expert.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        sheet.write_string(row, 0, &node.id).map_err(xlsx)?;
        sheet.write_string(row, 1, &node.name).map_err(xlsx)?;
        sheet.write_string(row, 2, node.kind.as_str()).map_err(xlsx)?;
        sheet.write_number(row, 3, node.experts.len() as f64).map_err(xlsx)?;
        number(sheet, row, 4, node.kendall_w, &three)?;
        number(sheet, row, 5, node.panel_cr, &three)?;
        sheet.write_string(row, 6, list(|e| e.inconsistent)).map_err(xlsx)?;
        sheet.write_string(row, 7, list(|e| e.outlier)).map_err(xlsx)?;
    }
    fit(sheet, report.nodes.len());

    let sheet = book.add_worksheet().set_name("About").map_err(xlsx)?;
    header(sheet, &["what", "value"], &f)?;
    let about: Vec<(&str, String)> = vec![
        ("panel file", report.file.clone()),
        ("panel file sha256", report.sha256.clone()),
        (
            "methodology",
            report
                .methodology
                .clone()
                .unwrap_or_else(|| "none (the panel's own nodes)".into()),
        ),
        ("settings", crate::experts::settings_text(report)),
        ("CR threshold", report.cr_threshold.to_string()),
        ("cityrank", report.cityrank.clone()),
    ];
    for (k, (what, value)) in about.into_iter().enumerate() {
        let row = k as u32 + 1;
        sheet.write_string(row, 0, what).map_err(xlsx)?;
        sheet.write_string(row, 1, &value).map_err(xlsx)?;
    }
    fit(sheet, 10);
    book.save_to_buffer().map_err(xlsx)
}

/// The `Ranking` sheet, the first: rank, tier (coloured), unit, score and every
/// aggregate's score, and the rank within groups when there are groups.
fn ranking_sheet(book: &mut Workbook, results: &Results, aggregates: &[&NodeInfo], f: &Formats) -> Result<()> {
    let tier_index = |label: &Option<String>| -> Option<usize> {
        let l = label.as_deref()?;
        results.tiers.iter().position(|t| t.label == l)
    };
    let sheet = sheet_for(book, results.units.len())?
        .set_name("Ranking")
        .map_err(xlsx)?;
    let mut names: Vec<&str> = vec!["rank", "tier", "id", "name", "country", "score"];
    let aggregate_names = headings(results, aggregates, &names);
    names.extend(aggregate_names.iter().map(String::as_str));
    let grouped = results.units.iter().any(|u| u.group.is_some());
    if grouped {
        names.extend(["group", "rank in group"]);
    }
    header(sheet, &names, f)?;
    sheet
        .set_column_range_format(5, 5 + aggregates.len() as u16, &f.score)
        .map_err(xlsx)?;
    let mut lookup = cityrank_core::results::NodeLookup::new(aggregates.iter().map(|n| n.id.as_str()));
    for (i, u) in results.units.iter().enumerate() {
        let row = i as u32 + 1;
        if let Some(r) = u.rank {
            sheet.write_number(row, 0, f64::from(r)).map_err(xlsx)?;
        }
        match (tier_index(&u.tier), &u.tier) {
            (Some(t), Some(label)) => {
                sheet
                    .write_string_with_format(row, 1, label, &f.tiers[t.min(f.tiers.len() - 1)])
                    .map_err(xlsx)?;
            }
            (_, Some(label)) => {
                sheet.write_string(row, 1, label).map_err(xlsx)?;
            }
            _ => {}
        }
        sheet.write_string(row, 2, &u.id).map_err(xlsx)?;
        sheet.write_string(row, 3, &u.name).map_err(xlsx)?;
        sheet
            .write_string(row, 4, u.country.as_deref().unwrap_or(""))
            .map_err(xlsx)?;
        plain(sheet, row, 5, u.score)?;
        for (k, x) in lookup.values(&u.scores).enumerate() {
            plain(sheet, row, 6 + k as u16, x)?;
        }
        if grouped {
            let c = 6 + aggregates.len() as u16;
            sheet
                .write_string(row, c, u.group.as_deref().unwrap_or(""))
                .map_err(xlsx)?;
            if let Some(r) = u.group_rank {
                sheet.write_number(row, c + 1, f64::from(r)).map_err(xlsx)?;
            }
        }
    }
    fit(sheet, results.units.len());

    Ok(())
}

/// The `Raw values` sheet: the indicators as derived, before any step; in rank
/// order as the ranking (a panel's years of a unit together), then the rows not
/// ranked (screened out), headed by name.
fn raw_values_sheet(
    sheet: &mut Worksheet,
    results: &Results,
    stage: &Stage,
    unit_ids: &[String],
    f: &Formats,
) -> Result<()> {
    // The stage's rows of each unit id: (year, row).
    let mut rows_of: BTreeMap<&str, Vec<(Option<i32>, usize)>> = BTreeMap::new();
    for (k, &u) in stage.units.iter().enumerate() {
        let (id, year) = split_key(unit_ids.get(u).map_or("", String::as_str));
        rows_of.entry(id).or_default().push((year, k));
    }
    let panel = rows_of.values().flatten().any(|(y, _)| y.is_some());
    let name_of: BTreeMap<&str, &str> = results
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .chain(results.screened_out.iter().map(|s| (s.id.as_str(), s.name.as_str())))
        .collect();
    let mut order: Vec<(Option<u32>, &str)> = results.units.iter().map(|u| (u.rank, u.id.as_str())).collect();
    let mut listed: std::collections::BTreeSet<&str> = order.iter().map(|(_, id)| *id).collect();
    for &u in &stage.units {
        let id = split_key(unit_ids.get(u).map_or("", String::as_str)).0;
        if listed.insert(id) {
            order.push((None, id));
        }
    }
    let columns: Vec<&NodeInfo> = stage
        .columns
        .iter()
        .filter_map(|c| results.framework.iter().find(|n| &n.id == c))
        .collect();
    let mut names: Vec<&str> = vec!["rank", "id", "name"];
    if panel {
        names.push("year");
    }
    let first = names.len() as u16;
    let column_names: Vec<String> = if columns.len() == stage.columns.len() {
        headings(results, &columns, &names)
    } else {
        stage.columns.clone()
    };
    names.extend(column_names.iter().map(String::as_str));
    header(sheet, &names, f)?;
    let mut row = 0u32;
    for (rank, id) in order {
        let mut rows = rows_of.get(id).cloned().unwrap_or_default();
        rows.sort_by_key(|(y, _)| *y);
        for (year, k) in rows {
            row += 1;
            if let Some(r) = rank {
                sheet.write_number(row, 0, f64::from(r)).map_err(xlsx)?;
            }
            sheet.write_string(row, 1, id).map_err(xlsx)?;
            sheet
                .write_string(row, 2, name_of.get(id).copied().unwrap_or(""))
                .map_err(xlsx)?;
            if let Some(y) = year.filter(|_| panel) {
                sheet.write_number(row, 3, f64::from(y)).map_err(xlsx)?;
            }
            for (c, column) in stage.values.iter().enumerate() {
                plain(sheet, row, first + c as u16, column.get(k).copied())?;
            }
        }
    }
    fit(sheet, stage.units.len());
    Ok(())
}

/// The `Indicators` sheet: normalised scores, in rank order as the ranking,
/// headed by name.
fn indicators_sheet(sheet: &mut Worksheet, results: &Results, indicators: &[&NodeInfo], f: &Formats) -> Result<()> {
    let mut names: Vec<&str> = vec!["rank", "id", "name"];
    let indicator_names = headings(results, indicators, &names);
    names.extend(indicator_names.iter().map(String::as_str));
    header(sheet, &names, f)?;
    sheet
        .set_column_range_format(3, 3 + indicators.len() as u16, &f.score)
        .map_err(xlsx)?;
    // Positions among the units' score keys found once, not per cell (millions
    // of cells for 13,000 units).
    let mut lookup = cityrank_core::results::NodeLookup::new(indicators.iter().map(|n| n.id.as_str()));
    for (i, u) in results.units.iter().enumerate() {
        let row = i as u32 + 1;
        if let Some(r) = u.rank {
            sheet.write_number(row, 0, f64::from(r)).map_err(xlsx)?;
        }
        sheet.write_string(row, 1, &u.id).map_err(xlsx)?;
        sheet.write_string(row, 2, &u.name).map_err(xlsx)?;
        for (k, x) in lookup.values(&u.scores).enumerate() {
            plain(sheet, row, 3 + k as u16, x)?;
        }
    }
    fit(sheet, results.units.len());
    Ok(())
}
