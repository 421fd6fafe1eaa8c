//! The authoring case: a methodology written four ways (manifest, Rust, Python,
//! JavaScript), built, compiled and run.

#[allow(unused_imports)]
use super::*;

/// The u4ssc methodology written four ways (Rust, declarative, Python,
/// JavaScript) on the LAS 2024 edition: component size, cold compile, cached load,
/// the `manifest` call (a fresh instance each call), `derive` on the 62 cities and
/// on 13,000 synthetic units, and a warm `cityrank run` as a user runs it (a new
/// process, the compile cache warm), against the Rust plugin's in the same run.
pub(super) fn authoring(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let reps = if quick { 2 } else { 7 };
    let langs = [
        ("Rust", "methodologies/las-2024.u4ssc.toml"),
        ("declarative", "methodologies/las-2024.u4ssc-declarative.toml"),
        ("Python", "methodologies/las-2024.u4ssc-python.toml"),
        ("JavaScript", "methodologies/las-2024.u4ssc-js.toml"),
    ];
    let exe = std::env::current_exe().context("cannot find the cityrank executable")?;
    let scratch = tempfile_dir()?;
    let mut out = Vec::new();
    for (lang, path) in langs {
        let edition = ResolvedEdition::load(&root.join(path), &LimitsSpec::default())?;
        let dataset = Dataset::load(&edition.dataset)?;
        // Build (not timed), then load without a cache (cold) and with a warm one.
        let loaded = Sandbox::new(None)?.load(&edition.plugin, &edition.limits)?;
        if loaded.plugin.is_some() {
            out.push(Figure::new(
                &format!("u4ssc {lang}: component size"),
                std::fs::metadata(&loaded.path)?.len() as f64 / 1024.0,
                "KiB",
                None,
                String::new(),
            ));
            let cold = Sandbox::new(None)?;
            let (secs, _) = time(if quick { 1 } else { 2 }, || cold.load_component(&loaded.path))?;
            out.push(Figure::new(
                &format!("u4ssc {lang}: cold compile"),
                secs * 1e3,
                "ms",
                None,
                String::new(),
            ));
            let cache = scratch.join(lang);
            let warm = Sandbox::new(Some(cache))?;
            warm.load_component(&loaded.path)?;
            let (secs, plugin) = time(reps, || warm.load_component(&loaded.path))?;
            out.push(Figure::new(
                &format!("u4ssc {lang}: cached load"),
                secs * 1e3,
                "ms",
                None,
                String::new(),
            ));
            let (secs, _) = time(reps, || plugin.manifest(&edition.limits))?;
            out.push(Figure::new(
                &format!("u4ssc {lang}: instantiate + manifest"),
                secs * 1e3,
                "ms",
                None,
                String::new(),
            ));
        }
        let (secs, _) = time(reps, || crate::run::derive_rows(&loaded, &edition, &dataset))?;
        out.push(Figure::new(
            &format!("u4ssc {lang}: derive, 62 cities"),
            secs * 1e3,
            "ms",
            None,
            String::new(),
        ));
        // 13,000 synthetic units with the inputs the methodology reads.
        let units = 13_000;
        let mut names: Vec<String> = loaded.manifest.inputs.iter().map(|i| i.id.clone()).collect();
        names.extend(loaded.formulas.variables());
        names.sort();
        names.dedup();
        let values = synthetic_data(units, names.len(), 41);
        let big = time(reps, || match &loaded.plugin {
            Some(plugin) => {
                let input = Table {
                    units: (0..units).map(|u| format!("u{u}")).collect(),
                    numbers: names
                        .iter()
                        .zip(&values)
                        .map(|(id, v)| Column {
                            id: id.clone(),
                            values: v.iter().map(|x| x.abs()).collect(),
                        })
                        .collect(),
                    texts: Vec::new(),
                };
                let limits = crate::plugin::Limits {
                    fuel: u64::MAX / 2,
                    memory_bytes: 1 << 30,
                    output_bytes: 1 << 30,
                };
                plugin.derive(&limits, "bench", input).map(|_| ())
            }
            None => {
                let numbers: BTreeMap<String, Vec<f64>> = names
                    .iter()
                    .zip(&values)
                    .map(|(id, v)| (id.clone(), v.iter().map(|x| x.abs()).collect()))
                    .collect();
                let rows: Vec<usize> = (0..units).collect();
                let ids: Vec<String> = (0..units).map(|u| format!("u{u}")).collect();
                loaded
                    .formulas
                    .evaluate(
                        &loaded.manifest.indicators,
                        &crate::formulas::Variables {
                            numbers: &numbers,
                            texts: &Default::default(),
                            dataset: "synthetic",
                            taken: &Default::default(),
                        },
                        &rows,
                        &ids,
                        Default::default(),
                    )
                    .map(|_| ())
            }
        })?;
        out.push(Figure::new(
            &format!("u4ssc {lang}: derive, 13,000 units"),
            big.0 * 1e3,
            "ms",
            None,
            String::new(),
        ));
    }
    // A warm run as a user runs it: a new process, the compile cache warm. The
    // languages take turns in each round, so that a slow moment of the machine
    // falls on all of them alike.
    let runs = if quick { 3 } else { 15 };
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); langs.len()];
    for round in 0..=runs {
        for (k, (_, path)) in langs.iter().enumerate() {
            let result = scratch.join(format!("{k}.json"));
            let t = Instant::now();
            let o = std::process::Command::new(&exe)
                .current_dir(root)
                .args(["run", path, "--format", "json", "-o"])
                .arg(&result)
                .output()
                .context("cannot run cityrank")?;
            if !o.status.success() {
                bail!("`cityrank run {path}` failed: {}", String::from_utf8_lossy(&o.stderr));
            }
            // Round 0 warms the caches.
            if round > 0 {
                times[k].push(t.elapsed().as_secs_f64());
            }
        }
    }
    let medians: Vec<f64> = times.iter().map(|t| cityrank_steps::stats::median(t)).collect();
    let rust = medians[0];
    for ((lang, _), secs) in langs.iter().zip(&medians) {
        let (goal, note) = match *lang {
            "Rust" => (None, "the baseline".to_string()),
            "declarative" => (
                Some(1.2 * rust),
                format!("{:.2}× the Rust plugin's run (goal ≤ 1.2×)", secs / rust),
            ),
            _ => (Some(0.5), format!("{:.2}× the Rust plugin's run", secs / rust)),
        };
        out.push(Figure::new(
            &format!("u4ssc {lang}: warm `cityrank run`"),
            *secs,
            "s",
            goal,
            note,
        ));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(out)
}
