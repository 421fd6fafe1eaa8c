//! The HTML reports of `cityrank compare` and `cityrank sensitivity`, opened in
//! headless Chromium: their scripts run without errors and draw every chart. The
//! reports on a few dozen units (LAS 2024, ASEM 2018) draw every unit; reports on
//! more units than the summary threshold (500; here a synthetic edition of 1,200
//! units from `methodologies/data/recipe/scale.py`) summarise, and their table of
//! units is paged and searched in the browser by a script the test adds to the page.
//!
//! Needs Chromium (Debian: `apt-get install -y chromium`); without it the test
//! fails with that advice, unless `CITYRANK_SKIP_BROWSER=1` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// The Chromium binary, if installed (found as the bench finds it).
fn chromium() -> Option<PathBuf> {
    cityrank::bench::chromium()
}

fn dump_dom(browser: &Path, page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(browser)
        .args(cityrank::bench::CHROMIUM_HEADLESS)
        .arg("--virtual-time-budget=5000")
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

/// The value of attribute `name` of the element with id `id` in `dom`.
fn attribute_of(dom: &str, id: &str, name: &str) -> Option<String> {
    let at = dom.find(&format!(" id=\"{id}\""))?;
    let start = dom[..at].rfind('<')?;
    let end = at + dom[at..].find('>')?;
    let open = &dom[start..end];
    let from = open.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = open[from..].find('"')?;
    Some(open[from..from + len].to_string())
}

/// The number of units chart `id` draws (its `data-units`).
fn units_drawn(dom: &str, id: &str) -> Option<usize> {
    attribute_of(dom, id, "data-units").and_then(|n| n.parse().ok())
}

/// The 2024 LAS ranking's cities: the 62 rows of
/// `methodologies/data/las-2024/cities.csv`, every one ranked by every method.
const LAS_2024_CITIES: usize = 62;

/// The ASEM 2018 countries: the 51 rows of `methodologies/data/asem-2018/units.csv`.
const ASEM_2018_COUNTRIES: usize = 51;

/// The units of the synthetic large edition: above the reports' summary threshold
/// (500 units), small enough for the debug binary.
const LARGE_UNITS: usize = 1200;

/// Writes the synthetic edition of `LARGE_UNITS` units × 20 indicators (5
/// pillars of 4; 2% of the values missing, so every unit keeps enough values to
/// be ranked) into `dir` with the committed recipe; its names are `City 00000` …
/// `City 01199`, its ids `u00000` … `u01199`.
fn large_edition(dir: &Path) -> PathBuf {
    let o = Command::new("python3")
        .arg(root().join("methodologies/data/recipe/scale.py"))
        .arg("--out")
        .arg(dir)
        .args(["--units", &LARGE_UNITS.to_string(), "--indicators", "20"])
        .output()
        .expect("python3 runs the scale recipe");
    assert!(o.status.success(), "the scale recipe failed: {}", stderr(&o));
    dir.join("edition.toml")
}

/// A script, added to a summarised report after its own, that uses the page as a
/// reader would: pages through the table of units, searches it by name and by id,
/// jumps to the last page, and picks two units (and one unknown) in the picker
/// `PICKER` (Enter in its text box). It records each state of the table (rows
/// found, page, pages, and the cells of the rows shown) and the `data-units` of
/// the charts `CHARTS` after the pick as JSON in `data-check` on `<body>`.
const READER: &str = r#"<script>
(function () {
  var root = document.getElementById('units'), out = {};
  function state() {
    var shown = Array.prototype.map.call(root.querySelectorAll('tbody tr'), function (tr) {
      return Array.prototype.map.call(tr.cells, function (td) { return td.textContent; });
    });
    return { rows: +root.dataset.rows, page: +root.dataset.page, pages: +root.dataset.pages, shown: shown };
  }
  function search(text) {
    var box = document.getElementById('units-search');
    box.value = text;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    return state();
  }
  out.start = state();
  document.getElementById('units-next').click();
  out.next = state();
  out.byName = search('City 0004');
  out.byId = search('U0119');
  out.none = search('nowhere');
  out.cleared = search('');
  var page = document.getElementById('units-page');
  page.value = '12';
  page.dispatchEvent(new Event('change'));
  out.last = state();
  var pick = document.getElementById('PICKER-input');
  pick.value = 'u00007, City 00011, nowhere';
  pick.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  out.picked = CHARTS.map(function (id) { return +document.getElementById(id).dataset.units; });
  out.pickStatus = document.getElementById('PICKER-status').textContent;
  document.body.dataset.check = JSON.stringify(out);
})();
</script>"#;

/// Opens `page` with [`READER`] added (for the picker `picker` and the charts
/// `charts`) and returns the DOM and the recorded states.
fn read_as_reader(browser: &Path, page: &Path, picker: &str, charts: &[&str]) -> (String, serde_json::Value) {
    let html = std::fs::read_to_string(page).unwrap();
    let script = READER
        .replace("PICKER", picker)
        .replace("CHARTS", &serde_json::to_string(charts).unwrap());
    // The page ends with `</body>` (the last one: the chart library's text has others).
    let end = html.rfind("</body>").expect("the page ends its body");
    let read = page.with_extension("reader.html");
    std::fs::write(&read, format!("{}{script}\n{}", &html[..end], &html[end..])).unwrap();
    let dom = dump_dom(browser, &read);
    let check = attribute(&dom, "body", "data-check").expect("the reader's script ran");
    (dom, serde_json::from_str(&check).unwrap())
}

/// The cells in column `col` of the rows a table state shows.
fn column(state: &serde_json::Value, col: usize) -> Vec<String> {
    state["shown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row[col].as_str().unwrap().to_string())
        .collect()
}

/// Checks the states [`READER`] recorded on a table of `LARGE_UNITS` units in
/// nominal order (100 rows a page) whose column `rank` is the rank, `name` the
/// name and `id` the id.
fn assert_reader_states(check: &serde_json::Value, rank: usize, name: usize, id: usize) {
    let n = |s: &str, k: &str| check[s][k].as_u64().unwrap();
    // 1,200 units, 100 a page: 12 pages.
    assert_eq!(
        (n("start", "rows"), n("start", "page"), n("start", "pages")),
        (1200, 1, 12)
    );
    let ranks: Vec<String> = (1..=100).map(|r| r.to_string()).collect();
    assert_eq!(column(&check["start"], rank), ranks);
    // The next page: ranks 101 to 200.
    assert_eq!(n("next", "page"), 2);
    let ranks: Vec<String> = (101..=200).map(|r| r.to_string()).collect();
    assert_eq!(column(&check["next"], rank), ranks);
    // `City 0004` is in the names City 00040 … City 00049 only; `U0119` (any
    // case) in the ids u01190 … u01199 only.
    assert_eq!((n("byName", "rows"), n("byName", "pages")), (10, 1));
    let mut names = column(&check["byName"], name);
    names.sort();
    assert_eq!(names, (40..50).map(|k| format!("City {k:05}")).collect::<Vec<_>>());
    assert_eq!(n("byId", "rows"), 10);
    let mut ids = column(&check["byId"], id);
    ids.sort();
    assert_eq!(ids, (1190..1200).map(|k| format!("u{k:05}")).collect::<Vec<_>>());
    assert_eq!((n("none", "rows"), n("none", "pages")), (0, 1));
    assert!(column(&check["none"], rank).is_empty());
    // An empty search lists every unit again; page 12 holds ranks 1,101 to 1,200.
    assert_eq!(n("cleared", "rows"), 1200);
    assert_eq!(n("last", "page"), 12);
    let ranks: Vec<String> = (1101..=1200).map(|r| r.to_string()).collect();
    assert_eq!(column(&check["last"], rank), ranks);
    // The picker found u00007 and City 00011 and says it did not find `nowhere`.
    let status = check["pickStatus"].as_str().unwrap();
    assert!(status.contains("not found: nowhere"), "{status}");
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
    // (LAS cities have coordinates: a map too.)
    let mut ids = vec![
        "chart-tiers".to_string(),
        "chart-bump".into(),
        "chart-map".into(),
        "chart-scatter".into(),
    ];
    for i in 0..methods {
        ids.push(format!("chart-tree-{i}"));
        ids.push(format!("chart-breakdown-{i}"));
    }
    assert_eq!(ids.len(), 3 + 1 + 2 * methods);
    assert_charts_drawn(&dom, &ids);
    // A point per city on the map, each coloured.
    assert_eq!(
        attribute_of(&dom, "chart-map", "data-points"),
        Some(LAS_2024_CITIES.to_string())
    );
    // Every city in the bump chart and in each breakdown, and in the table of the
    // page (one row each, after the header); nothing summarised.
    assert_eq!(units_drawn(&dom, "chart-bump"), Some(LAS_2024_CITIES));
    for i in 0..methods {
        assert_eq!(
            units_drawn(&dom, &format!("chart-breakdown-{i}")),
            Some(LAS_2024_CITIES)
        );
    }
    let table = &html[html.find("<h2>Units</h2>").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr>").count(), 1 + LAS_2024_CITIES);
    assert!(!html.contains("id=\"summary-note\""));
    assert!(!html.contains("id=\"units\""), "no paged table");
}

#[test]
fn large_compare_report_summarises_and_its_table_is_searched_in_a_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let edition = large_edition(&dir.path().join("large"));
    let page = dir.path().join("compare.html");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("compare")
            .arg(&edition)
            .arg(format!("{}@equal-weights", edition.display()))
            .args(["--format", "html", "-o"])
            .arg(&page),
    );
    assert!(o.status.success(), "compare failed: {}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    // The page says what it summarises; the units are not in the page's HTML (no
    // table row per unit) but in the data, for the script's table.
    assert!(html.contains("id=\"summary-note\""));
    assert!(html.contains("This comparison has 1200 units, more than 500"));
    let markup = &html[..html.find("<script type=\"application/json\"").unwrap()];
    assert!(markup.matches("<tr>").count() < 20, "no table row per unit in the page");
    assert!(!html.contains("<div class=\"units\">"));

    // Scores by tier, the bump chart, rank shifts, the density of two methods'
    // scores, and per method its framework and breakdown.
    let ids: Vec<String> = [
        "chart-tiers",
        "chart-bump",
        "chart-shifts",
        "chart-density",
        "chart-tree-0",
        "chart-tree-1",
        "chart-breakdown-0",
        "chart-breakdown-1",
    ]
    .map(String::from)
    .to_vec();
    let first = dump_dom(&browser, &page);
    assert_charts_drawn(&first, &ids);
    // The top 25 in the bump chart; the top 25 and the bottom 25 in each
    // breakdown; every unit's shift in the histogram.
    assert_eq!(units_drawn(&first, "chart-bump"), Some(25));
    assert_eq!(units_drawn(&first, "chart-breakdown-0"), Some(50));
    assert_eq!(units_drawn(&first, "chart-breakdown-1"), Some(50));
    assert_eq!(units_drawn(&first, "chart-shifts"), Some(LARGE_UNITS));

    let (dom, check) = read_as_reader(&browser, &page, "bump-pick", &["chart-bump"]);
    assert_charts_drawn(&dom, &ids);
    // The table: id, city, country, then rank, tier, score (and shift) per method.
    assert_reader_states(&check, 3, 1, 0);
    // After the pick: the two units found.
    assert_eq!(check["picked"], serde_json::json!([2]));
    // Labelled controls.
    for control in ["units-search", "units-page", "bump-pick-input"] {
        assert!(
            dom.contains(&format!("<label for=\"{control}\"")),
            "no label for #{control}"
        );
    }
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
        // Every country in the per-unit charts and in the page's table; nothing
        // summarised.
        assert_eq!(units_drawn(&dom, "chart-ranks"), Some(ASEM_2018_COUNTRIES));
        assert_eq!(units_drawn(&dom, "chart-tiers"), Some(ASEM_2018_COUNTRIES));
        let table = &html[html.find("<h2>Units</h2>").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        assert_eq!(table.matches("<tr>").count(), 1 + ASEM_2018_COUNTRIES);
        assert!(!html.contains("id=\"summary-note\""));
    }
}

#[test]
fn sensitivity_report_maps_tier_stability_for_located_units() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("las-sensitivity.html");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .args([
                "sensitivity",
                "methodologies/las-2024.toml",
                "--samples",
                "4",
                "--format",
                "html",
                "-o",
            ])
            .arg(&page),
    );
    assert!(o.status.success(), "sensitivity failed: {}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    let dom = dump_dom(&browser, &page);
    let ids: Vec<String> = ["chart-ranks", "chart-sobol", "chart-tiers", "chart-map", "chart-loo"]
        .map(String::from)
        .to_vec();
    assert_charts_drawn(&dom, &ids);
    // A point per city, coloured by how often it kept its nominal tier.
    assert_eq!(
        attribute_of(&dom, "chart-map", "data-points"),
        Some(LAS_2024_CITIES.to_string())
    );
    let map = &dom[dom.find("id=\"chart-map\"").unwrap()..];
    let map = &map[..map.find("</svg>").unwrap()];
    assert_eq!(map.matches("<circle").count(), LAS_2024_CITIES);
    assert_eq!(
        map.matches("<circle").count(),
        map.matches(" fill=\"rgb(").count() + map.matches(" fill=\"#d0d7de\"").count()
    );
}

#[test]
fn large_sensitivity_report_summarises_and_its_table_is_searched_in_a_browser() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let edition = large_edition(&dir.path().join("large"));
    let page = dir.path().join("sensitivity.html");
    // The recipe's design: 6 inputs, a Sobol' design without leave-one-out; 4
    // samples (32 builds) are enough for the page.
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("sensitivity")
            .arg(&edition)
            .args(["--samples", "4", "--format", "html", "-o"])
            .arg(&page),
    );
    assert!(o.status.success(), "sensitivity failed: {}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("This analysis has 1200 units, more than 500"));
    let table = &html[html.find("<h2>Units</h2>").unwrap()..html.find("<script type=\"application/json\"").unwrap()];
    assert!(table.contains("<div id=\"units\""));
    assert!(!table.contains("<tr>"), "the table of units is built by the script");

    let first = dump_dom(&browser, &page);
    let ids: Vec<String> = [
        "chart-ranks",
        "chart-widths",
        "chart-sobol",
        "chart-tiers",
        "chart-tiermix",
    ]
    .map(String::from)
    .to_vec();
    assert_charts_drawn(&first, &ids);
    // The top 25 and the bottom 25 units in the per-unit charts; every unit in the
    // histogram of interval widths and in the tiers by nominal tier.
    assert_eq!(units_drawn(&first, "chart-ranks"), Some(50));
    assert_eq!(units_drawn(&first, "chart-tiers"), Some(50));
    assert_eq!(units_drawn(&first, "chart-widths"), Some(LARGE_UNITS));
    assert_eq!(units_drawn(&first, "chart-tiermix"), Some(LARGE_UNITS));

    let (dom, check) = read_as_reader(&browser, &page, "units-pick", &["chart-ranks", "chart-tiers"]);
    assert_charts_drawn(&dom, &ids);
    // The table: rank, unit, id, ….
    assert_reader_states(&check, 0, 1, 2);
    // The pick redraws both per-unit charts with the two units found.
    assert_eq!(check["picked"], serde_json::json!([2, 2]));
    for control in ["units-search", "units-page", "units-pick-input"] {
        assert!(
            dom.contains(&format!("<label for=\"{control}\"")),
            "no label for #{control}"
        );
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
