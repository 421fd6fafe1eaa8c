//! Whole processes as a user runs them: the 13,000 × 200 scale edition (run,
//! explain, analyse, compare, sensitivity, shards, HTML reports) and the report page
//! in Chromium.

#[allow(unused_imports)]
use super::*;

/// Writes the synthetic edition of `methodologies/data/recipe/scale.py` (13,000
/// units × 200 indicators; needs python3) into `dir`.
pub(super) fn scale_edition(root: &Path, dir: &Path) -> Result<()> {
    let recipe = root.join("methodologies/data/recipe/scale.py");
    let o = std::process::Command::new("python3")
        .arg(&recipe)
        .arg("--out")
        .arg(dir)
        .output()
        .context("cannot run python3 (the scale recipe needs it)")?;
    if !o.status.success() {
        bail!("{}: {}", recipe.display(), String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok(())
}

/// Whole processes at the scale of every city on Earth: the synthetic edition of
/// `methodologies/data/recipe/scale.py` (13,000 units × 200 indicators, 2%
/// missing; needs python3), each command run as a user runs it, with its wall
/// time and peak memory against the CSV's size; and the compare and sensitivity
/// HTML reports: the time to write each, its size, and the time to open it in
/// headless Chromium (skipped, with a note, without Chromium). Goals (issue 15):
/// `run` ≤ 1 s and ≤ 3× the CSV; a sensitivity analysis of 8,192 builds ≤ 60 s
/// and ≤ 2 GiB; each HTML report open in ≤ 3 s.
pub(super) fn scale_process(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let dir = tempfile_dir()?.join("scale");
    scale_edition(root, &dir)?;
    let csv = std::fs::metadata(dir.join("units.csv"))?.len() as f64;
    let mb = |b: f64| b / (1024.0 * 1024.0);
    let mut figures = Vec::new();
    let add = |figures: &mut Vec<Figure>,
               name: &str,
               args: &[&str],
               goal_secs: Option<f64>,
               goal_ratio: Option<f64>|
     -> Result<()> {
        let (secs, peak) = process(&dir, args)?;
        let (time_then, memory_then) = match before_issue_15(name) {
            Some((t, m)) => (format!("; {t} when issue 15 was filed"), format!("; {m} then")),
            None => (String::new(), String::new()),
        };
        figures.push(Figure::new(
            &format!("{name}: time"),
            secs,
            "s",
            goal_secs,
            format!("`cityrank {}`{time_then}", args.join(" ")),
        ));
        figures.push(Figure::new(
            &format!("{name}: peak memory"),
            peak / csv,
            "× CSV",
            goal_ratio,
            format!("{:.0} MB for a {:.1} MB CSV{memory_then}", mb(peak), mb(csv)),
        ));
        Ok(())
    };
    // An HTML report: the time to write it (`args`, writing `file`), its size, and
    // the time to open it in headless Chromium; `before`: the figures before the
    // reports summarised.
    let browser = chromium();
    let report = |figures: &mut Vec<Figure>, name: &str, args: &[&str], file: &str, before: &str| -> Result<()> {
        let (secs, peak) = process(&dir, args)?;
        figures.push(Figure::new(
            &format!("{name}: time to write"),
            secs,
            "s",
            None,
            format!("`cityrank {}`, peak memory {:.0} MB", args.join(" "), mb(peak)),
        ));
        let page = dir.join(file);
        let bytes = std::fs::metadata(&page)?.len() as f64;
        figures.push(Figure::new(
            &format!("{name}: file size"),
            mb(bytes),
            "MB",
            None,
            format!("self-contained (data, scripts and the 1 MB chart library inline); {before}"),
        ));
        match &browser {
            Some(b) => {
                let (wall, ready) = open_in_chromium(b, &page)?;
                figures.push(Figure::new(
                    &format!("{name}: open in headless Chromium"),
                    wall,
                    "s",
                    Some(3.0),
                    format!("`chromium --headless --dump-dom`, start to exit; {before}"),
                ));
                figures.push(Figure::new(
                    &format!("{name}: page ready in Chromium"),
                    ready,
                    "s",
                    Some(3.0),
                    "the page's own time, navigation start to every chart drawn and the table built".to_string(),
                ));
            }
            None => {
                let note = "skipped: no Chromium found (/usr/bin/chromium, chromium-browser or chromium on PATH; \
                            Debian: apt-get install chromium)";
                eprintln!("{name}: opening in a browser {note}");
                figures.push(Figure::new(
                    &format!("{name}: open in headless Chromium"),
                    f64::NAN,
                    "s",
                    None,
                    note.to_string(),
                ));
            }
        }
        Ok(())
    };
    add(
        &mut figures,
        "run (CSV out)",
        &["run", "edition.toml", "--format", "csv", "-o", "ranking.csv"],
        Some(1.0),
        Some(3.0),
    )?;
    add(
        &mut figures,
        "run (JSON out)",
        &["run", "edition.toml", "--format", "json", "-o", "results.json"],
        None,
        None,
    )?;
    add(
        &mut figures,
        "explain",
        &[
            "explain",
            "edition.toml",
            "--unit",
            "u00000",
            "--format",
            "json",
            "-o",
            "explain.json",
        ],
        None,
        None,
    )?;
    add(
        &mut figures,
        "analyse",
        &["analyse", "edition.toml", "--format", "json", "-o", "analysis.json"],
        None,
        None,
    )?;
    add(
        &mut figures,
        "compare two variants",
        &[
            "compare",
            "edition.toml",
            "edition.toml@equal-weights",
            "--format",
            "json",
            "-o",
            "compare.json",
        ],
        None,
        None,
    )?;
    report(
        &mut figures,
        "compare HTML report of the two variants",
        &[
            "compare",
            "edition.toml",
            "edition.toml@equal-weights",
            "--format",
            "html",
            "-o",
            "compare.html",
        ],
        "compare.html",
        "before the reports summarised: 11 MB, 24 s to open (issue 15)",
    )?;
    // 6 inputs: N·(6 + 2) builds.
    add(
        &mut figures,
        "sensitivity, 512 builds",
        &[
            "sensitivity",
            "edition.toml",
            "--samples",
            "64",
            "--format",
            "json",
            "-o",
            "s512.json",
        ],
        None,
        None,
    )?;
    // The same analysis in 4 shards (processes run one after the other here, as
    // tasks of a job array would run side by side) and merged: the report must
    // be the unsharded one's, byte for byte.
    let (mut slowest, mut largest) = (0.0f64, 0.0f64);
    let mut parts = Vec::new();
    for k in 1..=4 {
        let part = format!("s512-{k}.part");
        let shard = format!("{k}/4");
        let (secs, peak) = process(
            &dir,
            &[
                "sensitivity",
                "edition.toml",
                "--samples",
                "64",
                "--shard",
                &shard,
                "-o",
                &part,
            ],
        )?;
        slowest = slowest.max(secs);
        largest = largest.max(peak);
        parts.push(part);
    }
    figures.push(Figure::new(
        "sensitivity, 512 builds in 4 shards: slowest shard",
        slowest,
        "s",
        None,
        "`cityrank sensitivity edition.toml --samples 64 --shard K/4 -o s512-K.part`".to_string(),
    ));
    figures.push(Figure::new(
        "sensitivity, 512 builds in 4 shards: largest shard's peak memory",
        largest / csv,
        "× CSV",
        None,
        format!("{:.0} MB", mb(largest)),
    ));
    let mut merge_args = vec!["sensitivity", "merge"];
    merge_args.extend(parts.iter().map(String::as_str));
    merge_args.extend(["--format", "json", "-o", "s512-merged.json"]);
    let (secs, peak) = process(&dir, &merge_args)?;
    if std::fs::read(dir.join("s512-merged.json"))? != std::fs::read(dir.join("s512.json"))? {
        bail!("the merged shards' report differs from the unsharded one (s512-merged.json, s512.json)");
    }
    figures.push(Figure::new(
        "sensitivity merge of the 4 parts (byte-identical to the unsharded report)",
        secs,
        "s",
        None,
        format!("peak memory {:.0} MB", mb(peak)),
    ));
    // The HTML report of the same analysis (written from the parts: the time is
    // the merge's and the report's, not the builds').
    let mut html_args = vec!["sensitivity", "merge"];
    html_args.extend(parts.iter().map(String::as_str));
    html_args.extend(["--format", "html", "-o", "s512.html"]);
    report(
        &mut figures,
        "sensitivity HTML report, 512 builds",
        &html_args,
        "s512.html",
        "before the reports summarised: 8.4 MB, 8 to 9 s to open (measured on 128 builds)",
    )?;
    if !quick {
        add(
            &mut figures,
            "sensitivity, 8,192 builds",
            &[
                "sensitivity",
                "edition.toml",
                "--samples",
                "1024",
                "--format",
                "json",
                "-o",
                "s8192.json",
            ],
            Some(60.0),
            Some(2.0 * 1024.0 * 1024.0 * 1024.0 / csv),
        )?;
    }
    Ok(figures)
}

/// The figures issue 15 was filed with (the same commands on the same synthetic
/// edition, measured then): time and peak memory.
pub(super) fn before_issue_15(name: &str) -> Option<(&'static str, &'static str)> {
    Some(match name {
        "run (CSV out)" | "run (JSON out)" => ("1.2–1.6 s", "650 MB"),
        "explain" => ("1.6 s", "650 MB"),
        "analyse" => ("2.2 s", "800 MB"),
        "compare two variants" => ("4.6 s", "820 MB"),
        "sensitivity, 512 builds" => ("4.2 s", "1.1 GB"),
        "sensitivity, 8,192 builds" => ("65 s", "4.9 GB"),
        _ => return None,
    })
}

/// Script added to a copy of a `cityrank report` page by [`report_page`]: once
/// the page is ready it moves weights as a reader would (a slider's value
/// changed, its `input` event sent), 24 times over the sliders in turn, then
/// switches to the second normaliser if there is one, and records each
/// recomputation's time (the page's `recomputeMs`) on `<body>`.
pub(super) const REPORT_DRIVER: &str = r#"<script>
document.addEventListener('cityrank:ready', function () {
  var body = document.body, sliders = document.querySelectorAll('#weights input[type=range]'), times = [];
  for (var k = 0; k < 24 && sliders.length > 0; k++) {
    var s = sliders[k % sliders.length];
    s.value = String(Math.min(parseFloat(s.max), parseFloat(s.value) * 1.2 + parseFloat(s.step)));
    s.dispatchEvent(new Event('input', { bubbles: true }));
    times.push(parseFloat(body.dataset.recomputeMs));
  }
  body.dataset.benchWeights = times.join(',');
  var norm = document.getElementById('normaliser');
  if (norm.options.length > 1) {
    norm.value = '1';
    norm.dispatchEvent(new Event('change', { bubbles: true }));
    body.dataset.benchSwitch = body.dataset.recomputeMs;
  }
});
</script>"#;

/// `cityrank report`'s page (issue 13), for LAS 2024 (62 cities) and for the
/// synthetic 13,000 units × 200 indicators of `methodologies/data/recipe/scale.py`
/// (three normalisers, two aggregations; needs python3): the time to write the
/// page, its size, the time until it is ready in headless Chromium (navigation
/// start to the first ranking drawn), and the time of one recomputation after a
/// weight moves (the median of 24, measured in the page around the module's call)
/// and after a switch of normaliser (every node aggregated again).
/// Goals: a recomputation within a frame (≤ 16 ms); the 13,000-unit page ready in
/// ≤ 2 s.
pub(super) fn report_page(root: &Path, quick: bool) -> Result<Vec<Figure>> {
    let dir = tempfile_dir()?.join("report");
    std::fs::create_dir_all(&dir)?;
    let mut figures = Vec::new();
    let Some(browser) = chromium() else {
        bail!(
            "the report-page case opens pages in Chromium, which is not installed (Debian: apt-get install chromium)"
        );
    };
    let las = std::path::absolute(root.join("methodologies/las-2024.toml"))?;
    let mut cases = vec![("LAS 2024 (62 cities)", las.display().to_string(), false)];
    if !quick {
        scale_edition(root, &dir)?;
        cases.push(("13,000 × 200", dir.join("edition.toml").display().to_string(), true));
    }
    for (k, (name, edition, large)) in cases.into_iter().enumerate() {
        let page = dir.join(format!("page-{k}.html"));
        let page_arg = page.display().to_string();
        let (secs, peak) = process(&dir, &["report", &edition, "-o", &page_arg])?;
        let bytes = std::fs::metadata(&page)?.len() as f64;
        figures.push(Figure::new(
            &format!("report {name}: time to write"),
            secs,
            "s",
            None,
            format!("`cityrank report`, peak memory {:.0} MB", peak / 1e6),
        ));
        figures.push(Figure::new(
            &format!("report {name}: file size"),
            bytes / 1e6,
            "MB",
            None,
            "self-contained: the model, the tables, the WebAssembly module and the map inline".into(),
        ));
        let mut html = std::fs::read_to_string(&page)?;
        let at = html.rfind("</body>").context("the page has no </body>")?;
        html.insert_str(at, REPORT_DRIVER);
        let driven = dir.join(format!("page-{k}-driven.html"));
        std::fs::write(&driven, html)?;
        let dom = dump_dom(&browser, &driven)?;
        let attribute = |name: &str| body_attribute(&dom, name);
        if let Some(e) = attribute("data-errors").filter(|e| e != "[]") {
            bail!("{}: the page's script failed: {e}", page.display());
        }
        let ready: f64 = attribute("data-ready-ms")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("{}: the page did not become ready", page.display()))?;
        let weights: Vec<f64> = attribute("data-bench-weights")
            .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_default();
        if weights.is_empty() {
            bail!("{}: the driver script moved no weight", page.display());
        }
        figures.push(Figure::new(
            &format!("report {name}: page ready"),
            ready / 1e3,
            "s",
            large.then_some(2.0),
            "headless Chromium, navigation start to the first ranking drawn".into(),
        ));
        figures.push(Figure::new(
            &format!("report {name}: recompute after a weight moves"),
            cityrank_steps::stats::median(&weights),
            "ms",
            Some(16.0),
            format!(
                "median of {} (slowest {:.1} ms), in the page: the module's call (normalised table kept; the nodes \
                 the weight changes)",
                weights.len(),
                weights.iter().copied().fold(0.0, f64::max)
            ),
        ));
        if let Some(switch) = attribute("data-bench-switch").and_then(|v| v.parse::<f64>().ok()) {
            figures.push(Figure::new(
                &format!("report {name}: recompute after a normaliser switch"),
                switch,
                "ms",
                Some(16.0),
                "every node aggregated again from that normaliser's table (computed while the page opened)".into(),
            ));
        }
    }
    Ok(figures)
}
