//! Results as an Excel workbook (rust_xlsxwriter), for the people who keep and
//! publish rankings in Excel: one sheet per table, frozen header rows, number
//! formats, the tiers coloured, and a sheet that says how the results were made.
//!
//! Workbooks are deterministic: the document's creation date is fixed (the
//! results record how they were made; a clock would only make two runs differ).

use anyhow::{Result, anyhow};
use rust_xlsxwriter::{Color, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use cityrank_core::methodology::NodeKind;
use cityrank_core::pipeline::Stage;
use cityrank_core::results::Results;

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
/// `About` (how the results were made). Returns the file's bytes.
pub fn results_workbook(results: &Results, raw: Option<(&Stage, &[String])>) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(xlsx)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("{} — {}", results.edition.name, results.methodology.name))
            .set_creation_datetime(&created),
    );
    let f = Formats::new(results.tiers.len());
    let tier_index = |label: &Option<String>| -> Option<usize> {
        let l = label.as_deref()?;
        results.tiers.iter().position(|t| t.label == l)
    };
    let aggregates: Vec<&cityrank_core::results::NodeInfo> = results
        .framework
        .iter()
        .filter(|n| n.kind != NodeKind::Indicator && n.parent.is_some())
        .collect();
    let indicators: Vec<&cityrank_core::results::NodeInfo> = results
        .framework
        .iter()
        .filter(|n| n.kind == NodeKind::Indicator)
        .collect();

    // Ranking.
    let sheet = book.add_worksheet().set_name("Ranking").map_err(xlsx)?;
    let mut names: Vec<&str> = vec!["rank", "tier", "id", "name", "country", "score"];
    names.extend(aggregates.iter().map(|n| n.name.as_str()));
    let grouped = results.units.iter().any(|u| u.group.is_some());
    if grouped {
        names.extend(["group", "rank in group"]);
    }
    header(sheet, &names, &f)?;
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
        number(sheet, row, 5, u.score, &f.score)?;
        for (k, n) in aggregates.iter().enumerate() {
            number(
                sheet,
                row,
                6 + k as u16,
                u.scores.get(&n.id).copied().flatten(),
                &f.score,
            )?;
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
    sheet.autofit();

    // Indicators: normalised scores.
    let sheet = book.add_worksheet().set_name("Indicators").map_err(xlsx)?;
    let mut names: Vec<&str> = vec!["id", "name"];
    names.extend(indicators.iter().map(|n| n.id.as_str()));
    header(sheet, &names, &f)?;
    for (i, u) in results.units.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &u.id).map_err(xlsx)?;
        sheet.write_string(row, 1, &u.name).map_err(xlsx)?;
        for (k, n) in indicators.iter().enumerate() {
            number(
                sheet,
                row,
                2 + k as u16,
                u.scores.get(&n.id).copied().flatten(),
                &f.score,
            )?;
        }
    }
    sheet.autofit();

    // Raw values: the indicators as derived, before any step.
    if let Some((stage, unit_ids)) = raw {
        let sheet = book.add_worksheet().set_name("Raw values").map_err(xlsx)?;
        let mut names: Vec<&str> = vec!["id"];
        names.extend(stage.columns.iter().map(String::as_str));
        header(sheet, &names, &f)?;
        let plain = Format::new();
        for (k, &u) in stage.units.iter().enumerate() {
            let row = k as u32 + 1;
            sheet
                .write_string(row, 0, unit_ids.get(u).map_or("", String::as_str))
                .map_err(xlsx)?;
            for (c, column) in stage.values.iter().enumerate() {
                number(sheet, row, 1 + c as u16, column.get(k).copied(), &plain)?;
            }
        }
        sheet.autofit();
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
    sheet.autofit();

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
    sheet.autofit();

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
    let lines = about
        .into_iter()
        .chain(results.warnings.iter().map(|w| ("warning", w.clone())));
    for (k, (what, value)) in lines.enumerate() {
        let row = k as u32 + 1;
        sheet.write_string(row, 0, what).map_err(xlsx)?;
        sheet.write_string(row, 1, &value).map_err(xlsx)?;
    }
    sheet.autofit();

    book.save_to_buffer().map_err(xlsx)
}
