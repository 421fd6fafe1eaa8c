//! The HTML reports of `cityrank compare` and `cityrank sensitivity`, opened in
//! headless Chromium: their scripts run without errors and draw every chart.
//!
//! Needs Chromium (Debian: `apt-get install -y chromium`); without it the test
//! fails with that advice, unless `CITYRANK_SKIP_BROWSER=1` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The Chromium binary, if installed.
fn chromium() -> Option<PathBuf> {
    for name in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(name).is_file() {
            return Some(PathBuf::from(name));
        }
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// The DOM after the page's scripts ran (`--dump-dom`).
fn dump_dom(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(
        o.status.success(),
        "chromium failed ({}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The value of attribute `name` in the opening tag `<tag …>` of `dom`.
fn attribute(dom: &str, tag: &str, name: &str) -> Option<String> {
    let start = dom.find(&format!("<{tag}"))?;
    let end = start + dom[start..].find('>')?;
    let open = &dom[start..end];
    let at = open.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = open[at..].find('"')?;
    Some(
        open[at..at + len]
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

/// Chromium, or `None` when it is missing and `CITYRANK_SKIP_BROWSER=1` is set
/// (without that variable a missing browser fails the test, with advice).
fn browser_or_skip() -> Option<PathBuf> {
    if let Some(browser) = chromium() {
        return Some(browser);
    }
    if std::env::var("CITYRANK_SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("skipped: no Chromium, and CITYRANK_SKIP_BROWSER=1");
        return None;
    }
    panic!(
        "this test opens the HTML report in headless Chromium, which is not installed: \
         install it with `apt-get update && apt-get install -y chromium` (Debian), \
         or set CITYRANK_SKIP_BROWSER=1 to skip the test"
    );
}

/// Checks that `html` is self-contained: the chart library is inline, nothing is
/// fetched, and the data are one JSON blob.
fn assert_self_contained(html: &str) {
    assert!(html.contains("echarts"), "the chart library is embedded");
    assert!(!html.contains("<script src="), "no external scripts");
    assert!(html.contains("<script type=\"application/json\" id=\"cityrank-data\">"));
}

/// Checks the DOM of a report after its scripts ran: no script errors, and exactly
/// the charts `ids` drawn, each container marked as drawn and holding the
/// library's SVG.
fn assert_charts_drawn(dom: &str, ids: &[String]) {
    let errors = attribute(dom, "body", "data-errors");
    assert_eq!(errors.as_deref(), Some("[]"), "script errors: {errors:?}");
    if let Some(e) = attribute(dom, "html", "data-errors") {
        assert_eq!(e, "[]", "script errors: {e}");
    }
    let charts = attribute(dom, "body", "data-charts");
    assert_eq!(charts, Some(ids.len().to_string()), "charts rendered");
    for id in ids {
        let at = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no container #{id}"));
        // The container is marked as drawn and holds the library's SVG (before the
        // next container starts).
        let rest = &dom[at..];
        let tag_end = rest.find('>').unwrap();
        assert!(rest[..tag_end].contains("data-rendered=\"true\""), "#{id} not drawn");
        let inside = &rest[tag_end
            ..rest[tag_end..]
                .find("class=\"chart\"")
                .map_or(rest.len(), |e| tag_end + e)];
        assert!(inside.contains("<svg"), "#{id} has no SVG");
    }
    assert_eq!(dom.matches("class=\"chart\"").count(), ids.len());
}

#[test]
fn compare_report_renders_every_chart_in_a_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A variant of the 2024 LAS edition (equal weights), next to the real method
    // files: three methods on the same cities.
    let edition = dir.path().join("las-2024-variants.toml");
    let abs = |p: &str| root().join(p).to_str().unwrap().replace('\\', "/");
    std::fs::write(
        &edition,
        format!(
            "schema_version = 1\nid = \"las-2024\"\nname = \"2024 LAS Smart City Ranking (variants)\"\nyear = 2024\n\
             methodology = \"{}\"\ndataset = \"{}\"\n\n[limits]\nfuel = 1_000_000_000\nmemory_mib = 64\n\n\
             [variants.equal-weights]\npipeline = {{ weights = {{ method = \"equal\" }} }}\n",
            abs("plugins/harbor-ladder"),
            abs("methodologies/data/las-2024/dataset.toml")
        ),
    )
    .unwrap();
    let mut editions = vec!["methodologies/las-2024.toml".to_string()];
    let other = "methodologies/las-2024.u4ssc.toml";
    if root().join(other).is_file() {
        editions.push(other.to_string());
    }
    editions.push(format!("{}@equal-weights", edition.display()));
    let methods = editions.len();

    let page = dir.path().join("report.html");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("compare")
            .args(&editions)
            .args(["--format", "html", "--output"])
            .arg(&page),
    );
    assert!(o.status.success(), "compare failed: {}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);

    let dom = dump_dom(&browser, &page);
    // Scores by tier, ranks across methods, a scatter, and per method its framework
    // tree and its units' breakdown.
    let mut ids = vec!["chart-tiers".to_string(), "chart-bump".into(), "chart-scatter".into()];
    for i in 0..methods {
        ids.push(format!("chart-tree-{i}"));
        ids.push(format!("chart-breakdown-{i}"));
    }
    assert_eq!(ids.len(), 2 + 1 + 2 * methods);
    assert_charts_drawn(&dom, &ids);
}

#[test]
fn sensitivity_report_renders_every_chart_in_a_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The ASEM edition with leave-one-out on and no bootstrap.
    let loo = dir.path().join("asem-2018-loo.toml");
    let abs = |p: &str| root().join(p).to_str().unwrap().replace('\\', "/");
    std::fs::write(
        &loo,
        format!(
            "schema_version = 1\nid = \"asem-2018-loo\"\nname = \"ASEM 2018 (leave one out)\"\nyear = 2018\n\
             methodology = \"{}\"\ndataset = \"{}\"\n\n[limits]\nfuel = 1_000_000_000\nmemory_mib = 64\n\n\
             [sensitivity]\nsamples = 4\nbootstrap = 0\nleave_one_out = true\n\n\
             [[sensitivity.inputs]]\nname = \"weights\"\nweight_noise = {{ levels = [2], factor = 0.25, replicates = 10 }}\n\n\
             [[sensitivity.inputs]]\nname = \"winmax\"\nalternatives = [\n\
             {{ description = \"winmax 3\", pipeline = {{ treat = {{ method = \"coinr\", winmax = 3 }} }} }},\n\
             {{ description = \"winmax 5\", pipeline = {{ treat = {{ method = \"coinr\", winmax = 5 }} }} }},\n]\n",
            abs("plugins/asem"),
            abs("methodologies/data/asem-2018/dataset.toml")
        ),
    )
    .unwrap();
    let loo = loo.to_str().unwrap().to_string();
    // (arguments, charts drawn, text the page must contain)
    let cases: [(&[&str], &[&str], &str); 3] = [
        // A sensitivity analysis; the edition turns leave-one-out off.
        (
            &["methodologies/asem-2018.toml"],
            &["chart-ranks", "chart-sobol", "chart-tiers"],
            "id=\"loo-absent\"",
        ),
        // An uncertainty analysis: no Sobol indices, and the page says so.
        (
            &["methodologies/asem-2018.toml", "--uncertainty-only"],
            &["chart-ranks", "chart-tiers"],
            "id=\"sobol-absent\"",
        ),
        // Leave-one-out shifts; indices without bootstrap intervals.
        (
            &[&loo],
            &["chart-ranks", "chart-sobol", "chart-tiers", "chart-loo"],
            "No bootstrap intervals",
        ),
    ];
    let cache = dir.path().join("cache");
    for (i, (args, charts, text)) in cases.iter().enumerate() {
        let page = dir.path().join(format!("sensitivity-{i}.html"));
        let o = output(
            cityrank(&cache)
                .arg("sensitivity")
                .args(*args)
                .args(["--samples", "8", "--format", "html", "-o"])
                .arg(&page),
        );
        assert!(o.status.success(), "sensitivity {args:?} failed: {}", stderr(&o));
        let html = std::fs::read_to_string(&page).unwrap();
        assert_self_contained(&html);
        assert!(html.contains(text), "{args:?}: the page does not contain {text}");
        let ids: Vec<String> = charts.iter().map(|c| c.to_string()).collect();
        let dom = dump_dom(&browser, &page);
        assert_charts_drawn(&dom, &ids);
    }
}

#[test]
fn methodology_appendix_renders_its_sunburst_in_a_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("appendix.html");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .args(["document", "methodologies/las-2024.toml", "--format", "html", "-o"])
            .arg(&page),
    );
    assert!(o.status.success(), "document failed: {}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    // The Markdown appendix, rendered: its sections and tables are HTML.
    assert!(html.contains("<h2>Framework and weights</h2>"));
    assert!(html.contains("<h2>Indicators</h2>"));
    assert!(html.contains("<table>"), "the Markdown tables are rendered");
    assert!(!html.contains("|---|"), "no Markdown table syntax left");
    let dom = dump_dom(&browser, &page);
    assert_charts_drawn(&dom, &["chart-framework".to_string()]);
}

#[test]
fn experts_report_renders_a_chart_per_node_in_a_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("panel.html");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .args([
                "experts",
                "methodologies/data/las-2024-experts/panel.csv",
                "--edition",
                "methodologies/las-2024.experts.toml",
                "--format",
                "html",
                "-o",
            ])
            .arg(&page),
    );
    assert!(o.status.success(), "experts failed: {}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    let dom = dump_dom(&browser, &page);
    // The index and the three pillars.
    let ids: Vec<String> = (0..4).map(|k| format!("chart-node-{k}")).collect();
    assert_charts_drawn(&dom, &ids);
}
