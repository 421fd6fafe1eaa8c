//! The HTML report of `cityrank compare`, opened in headless Chromium: its scripts
//! run without errors and draw every chart.
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

#[test]
fn compare_report_renders_every_chart_in_a_browser() {
    let Some(browser) = chromium() else {
        if std::env::var("CITYRANK_SKIP_BROWSER").as_deref() == Ok("1") {
            eprintln!("skipped: no Chromium, and CITYRANK_SKIP_BROWSER=1");
            return;
        }
        panic!(
            "this test opens the HTML report in headless Chromium, which is not installed: \
             install it with `apt-get update && apt-get install -y chromium` (Debian), \
             or set CITYRANK_SKIP_BROWSER=1 to skip the test"
        );
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
    // Self-contained: the chart library is inline, nothing is fetched.
    assert!(html.contains("echarts"), "the chart library is embedded");
    assert!(!html.contains("<script src="), "no external scripts");
    assert!(html.contains("<script type=\"application/json\" id=\"cityrank-data\">"));

    let dom = dump_dom(&browser, &page);
    let errors = attribute(&dom, "body", "data-errors");
    assert_eq!(errors.as_deref(), Some("[]"), "script errors: {errors:?}");
    if let Some(e) = attribute(&dom, "html", "data-errors") {
        assert_eq!(e, "[]", "script errors: {e}");
    }
    // Scores by tier, ranks across methods, a scatter, and per method its framework
    // tree and its units' breakdown.
    let expected = 2 + 1 + 2 * methods;
    let charts = attribute(&dom, "body", "data-charts");
    assert_eq!(charts, Some(expected.to_string()), "charts rendered");
    let mut ids = vec!["chart-tiers".to_string(), "chart-bump".into(), "chart-scatter".into()];
    for i in 0..methods {
        ids.push(format!("chart-tree-{i}"));
        ids.push(format!("chart-breakdown-{i}"));
    }
    for id in &ids {
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
    assert_eq!(dom.matches("class=\"chart\"").count(), expected);
}
