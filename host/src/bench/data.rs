//! Data in and out: workbooks read and written at scale, `diff` of two methods,
//! expert panels.

#[allow(unused_imports)]
use super::*;

/// A fresh scratch directory under the system's temporary directory.
/// Data in and out at the scale of every city, and `diff`: reading a 13,000 × 200
/// dataset from a workbook (against the same data from CSV), writing the results
/// workbook of that run (against its JSON), and the Shapley diff of two LAS 2024
/// methods (against one run of the edition).
pub(super) fn excel_diff(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let (units, indicators) = (13_000, 200);
    let dir = tempfile_dir()?.join("excel");
    std::fs::create_dir_all(&dir)?;
    let values = synthetic_data(units, indicators, 11);
    // The dataset as CSV and as a workbook, and a declarative methodology on it.
    let mut csv = String::from("id,name");
    for i in 0..indicators {
        csv.push_str(&format!(",v{i}"));
    }
    csv.push('\n');
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| anyhow!("cannot write the benchmark workbook: {e}");
    sheet.write_string(0, 0, "id").map_err(err)?;
    sheet.write_string(0, 1, "name").map_err(err)?;
    for i in 0..indicators {
        sheet.write_string(0, i as u16 + 2, format!("v{i}")).map_err(err)?;
    }
    for u in 0..units {
        let row = u as u32 + 1;
        csv.push_str(&format!("u{u},Unit {u}"));
        sheet.write_string(row, 0, format!("u{u}")).map_err(err)?;
        sheet.write_string(row, 1, format!("Unit {u}")).map_err(err)?;
        for (i, column) in values.iter().enumerate() {
            let x = column[u];
            if x.is_nan() {
                csv.push(',');
            } else {
                csv.push_str(&format!(",{x}"));
                sheet.write_number(row, i as u16 + 2, x).map_err(err)?;
            }
        }
        csv.push('\n');
    }
    std::fs::write(dir.join("data.csv"), &csv)?;
    book.save(dir.join("data.xlsx")).map_err(err)?;
    let mut description = String::from(
        "schema_version = 1\nid = \"scale\"\ntitle = \"Synthetic\"\nyear = 2026\nfile = \"FILE\"\n[columns]\nid = \"id\"\nname = \"name\"\n",
    );
    let mut manifest = String::from(
        "schema_version = 2\nid = \"scale\"\nname = \"Scale\"\nversion = \"1.0.0\"\ndescription = \"d\"\n\
         index = { id = \"index\", name = \"Index\" }\nnodes = [\n",
    );
    for p in 0..5 {
        manifest.push_str(&format!(
            "  {{ id = \"p{p}\", name = \"P{p}\", parent = \"index\" }},\n"
        ));
    }
    manifest.push_str("]\nindicators = [\n");
    for i in 0..indicators {
        description.push_str(&format!("[[variables]]\nid = \"v{i}\"\ntype = \"number\"\n"));
        manifest.push_str(&format!(
            "  {{ id = \"i{i}\", name = \"I{i}\", parent = \"p{}\", direction = \"higher\", unit = \"1\", from = \"v{i}\" }},\n",
            i % 5
        ));
    }
    manifest.push_str("]\ntiers = [{ label = \"all\", upper_share = 1.0 }]\n");
    std::fs::write(dir.join("csv.toml"), description.replace("FILE", "data.csv"))?;
    std::fs::write(dir.join("xlsx.toml"), description.replace("FILE", "data.xlsx"))?;
    std::fs::write(dir.join("methodology.toml"), &manifest)?;
    std::fs::write(
        dir.join("edition.toml"),
        "schema_version = 1\nid = \"scale\"\nname = \"Scale\"\nyear = 2026\nmethodology = \"methodology.toml\"\ndataset = \"xlsx.toml\"\n",
    )?;
    let reps = if quick { 1 } else { 3 };
    let (csv_secs, _) = time(reps, || Dataset::load(&dir.join("csv.toml")))?;
    let (xlsx_secs, dataset) = time(reps, || Dataset::load(&dir.join("xlsx.toml")))?;
    if dataset.units.len() != units {
        bail!("the workbook gave {} rows, not {units}", dataset.units.len());
    }
    let edition = ResolvedEdition::load(&dir.join("edition.toml"), &LimitsSpec::default())?;
    let options = pipeline::Options {
        record_stages: true,
        ..Default::default()
    };
    let out = crate::run::run_edition(&crate::run::ManifestsOnly, &edition, options)?;
    let raw = out.stages.iter().find(|s| s.name == crate::catalogue::stage::RAW);
    let (json_secs, _) = time(reps, || crate::report::json(&out.results))?;
    let (write_secs, bytes) = time(reps, || {
        crate::excel::results_workbook(&out.results, raw.map(|s| (s, out.unit_ids.as_slice())))
    })?;
    // Large sheets are streamed through temporary files and built on two threads:
    // the bytes must still be the same every time.
    if crate::excel::results_workbook(&out.results, raw.map(|s| (s, out.unit_ids.as_slice())))? != bytes {
        bail!("the results workbook of 13,000 units differs between two writes");
    }
    // diff: harbor-ladder against the Global Cities-style method on LAS 2024.
    let sandbox = Sandbox::new(None)?;
    let load = |path: &str| -> Result<(ResolvedEdition, crate::run::LoadedMethodology)> {
        let e = ResolvedEdition::load(&root.join(path), &LimitsSpec::default())?;
        let l = sandbox.load(&e.plugin, &e.limits)?;
        Ok((e, l))
    };
    let (ea, la) = load("methodologies/las-2024.toml")?;
    let (eb, lb) = load("methodologies/las-2024.global-cities.toml")?;
    let (run_secs, _) = time(reps, || {
        let d = Dataset::load(&ea.dataset)?;
        crate::run::run_loaded(&la, &ea, &d, Default::default())
    })?;
    let side = |label: &str, e, l| crate::diff::Side {
        label: label.to_string(),
        edition: e,
        loaded: l,
    };
    let (diff_secs, report) = time(reps, || {
        crate::diff::diff(&side("harbor-ladder", &ea, &la), &side("global-cities", &eb, &lb))
    })?;
    let mb = |b: usize| b as f64 / 1e6;
    Ok(vec![
        Figure::new(
            "Read 13,000 × 200 from a workbook",
            xlsx_secs,
            "s",
            Some(2.0),
            format!(
                "{:.2}× the time of the same data from CSV ({:.2} s)",
                xlsx_secs / csv_secs,
                csv_secs
            ),
        ),
        Figure::new(
            "Write the results workbook of 13,000 units",
            write_secs,
            "s",
            Some(2.0),
            format!(
                "{:.1} MB; {:.1}× the time of the JSON results ({:.3} s)",
                mb(bytes.len()),
                write_secs / json_secs,
                json_secs
            ),
        ),
        Figure::new(
            &format!(
                "diff of two LAS 2024 methods ({} differences)",
                report.differences.len()
            ),
            diff_secs,
            "s",
            Some(1.0),
            format!(
                "{} ({}); {:.0}× one run of the edition ({:.4} s)",
                report.attribution,
                1usize << report.differences.len().min(20),
                diff_secs / run_secs,
                run_secs
            ),
        ),
    ])
}

/// Expert panels: `cityrank experts`' work (read, check, every expert's
/// priorities and consistency, the panel's weights and agreement) on a synthetic
/// panel of 100 experts judging 20 nodes of 6 children (10 by AHP, all 15 pairs
/// each; 10 by budget allocation), and the sensitivity analysis of the LAS 2024
/// edition with its expert-panel input (N = 256, as the edition declares it),
/// beside the same design with ±25% noise on the pillar weights instead.
pub(super) fn experts(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    use crate::experts::{Panel, PreparedPanel, Settings};
    let (n_experts, n_nodes, children) = (100, 20, 6);
    let mut rng = Rng::new(7, 0xE4);
    let mut csv = String::from("expert,node,kind,a,b,value\n");
    let scale = ["1/9", "1/7", "1/5", "1/3", "1/2", "1", "2", "3", "5", "7", "9"];
    let mut judgements = 0;
    for e in 0..n_experts {
        for node in 0..n_nodes {
            if node < n_nodes / 2 {
                for a in 0..children {
                    for b in a + 1..children {
                        let v = scale[((rng.uniform() * scale.len() as f64) as usize).min(scale.len() - 1)];
                        csv.push_str(&format!("e{e},n{node},pairwise,c{node}-{a},c{node}-{b},{v}\n"));
                        judgements += 1;
                    }
                }
            } else {
                for a in 0..children {
                    let points = (rng.uniform() * 20.0).floor() * 5.0;
                    csv.push_str(&format!("e{e},n{node},points,c{node}-{a},,{points}\n"));
                    judgements += 1;
                }
            }
        }
    }
    let path = tempfile_dir()?.join("panel.csv");
    std::fs::write(&path, &csv)?;
    let (secs, report) = time(if quick { 3 } else { 15 }, || {
        let panel = Panel::load(&path, None)?;
        PreparedPanel::prepare(&panel, None, &Settings::default())?.report(None)
    })?;
    if report.experts.len() != n_experts || report.nodes.len() != n_nodes {
        bail!("internal error: the synthetic panel was not read whole");
    }
    let mut figures = vec![Figure::new(
        &format!("cityrank experts: {n_experts} experts × {n_nodes} nodes ({judgements} judgements)"),
        secs * 1e3,
        "ms",
        Some(50.0),
        format!("{:.0} judgements/ms", judgements as f64 / (secs * 1e3)),
    )];

    // LAS 2024 with its panel: the edition's design, and the same with weight noise.
    let file = root.join("methodologies/las-2024.experts.toml");
    let edition = ResolvedEdition::load(&file, &LimitsSpec::default())?;
    let sandbox = Sandbox::new(None)?;
    let loaded = sandbox.load(&edition.plugin, &edition.limits)?;
    let dataset = Dataset::load(&edition.dataset)?;
    let spec = edition
        .edition
        .sensitivity
        .clone()
        .context("las-2024.experts.toml has no [sensitivity] table")?;
    let over = Overrides::default();
    let reps = if quick { 1 } else { 5 };
    let (with_panel, report) = time(reps, || sensitivity::analyse(&loaded, &edition, &dataset, &spec, &over))?;
    let mut noise = spec.clone();
    for input in &mut noise.inputs {
        if input.experts.is_some() {
            input.experts = None;
            input.weight_noise = Some(WeightNoise {
                levels: vec![2],
                factor: 0.25,
                replicates: 200,
            });
        }
    }
    let (with_noise, _) = time(reps, || {
        sensitivity::analyse(&loaded, &edition, &dataset, &noise, &over)
    })?;
    let changing = report
        .tier_changes
        .iter()
        .find(|c| c.input == "panel")
        .map_or(0, |c| c.units_changing_tier);
    figures.push(Figure::new(
        &format!(
            "LAS 2024 sensitivity with the panel input (N = {}, {} builds)",
            report.design.samples, report.design.builds
        ),
        with_panel * 1e3,
        "ms",
        Some(1000.0),
        format!(
            "{:.2}× the same design with ±25% pillar-weight noise ({:.0} ms); {changing} cities change tier across \
             the panel's resamples",
            with_panel / with_noise,
            with_noise * 1e3
        ),
    ));
    Ok(figures)
}
