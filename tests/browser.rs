//! `cityrank report`'s page in a real browser, driven by WebDriver (Debian's
//! chromium and chromium-driver, through fantoccini): a slider moved with the
//! keyboard changes the ranks, and they equal `cityrank run` of the scenario's
//! variant table (which the page writes); a scenario given in the URL fragment
//! gives the ranks `cityrank run` gives for the same weights; the page opens
//! without a network and without script errors. The time of a recomputation in
//! the page is printed.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install -y chromium
//! chromium-driver`); without them the test fails unless `CITYRANK_SKIP_BROWSER=1`.
//! On a failure the page's screenshot is saved under `target/browser-failures/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};

/// Chromium and ChromeDriver, or `None` when missing and `CITYRANK_SKIP_BROWSER=1`.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    match (cityrank::bench::chromium(), driver) {
        (Some(b), Some(d)) => Some((b, d)),
        _ if std::env::var("CITYRANK_SKIP_BROWSER").as_deref() == Ok("1") => {
            eprintln!("skipped: no Chromium or ChromeDriver, and CITYRANK_SKIP_BROWSER=1");
            None
        }
        _ => panic!(
            "this test drives the report page in Chromium through ChromeDriver, which are not installed: \
             `apt-get update && apt-get install -y chromium chromium-driver` (Debian), or set \
             CITYRANK_SKIP_BROWSER=1 to skip it"
        ),
    }
}

/// A ChromeDriver process, killed when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts ChromeDriver on a free port; the process and its address.
fn start_driver(driver: &Path) -> (Driver, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen in 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Driver(child), format!("http://127.0.0.1:{port}"))
}

/// A browser session: headless Chromium with a fresh profile.
async fn session(chromium: &Path, driver: &str, profile: &Path) -> Client {
    let mut args: Vec<String> = cityrank::bench::CHROMIUM_HEADLESS
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a WebDriver session starts")
}

/// Waits until the page says it is ready (`body[data-ready]`) and returns its
/// script errors, if any.
async fn wait_ready(c: &Client) -> String {
    let started = Instant::now();
    loop {
        let ready = c
            .execute("return document.body && document.body.dataset.ready === '1';", vec![])
            .await
            .unwrap();
        let errors = c
            .execute("return document.documentElement.dataset.errors || '';", vec![])
            .await
            .unwrap();
        if ready.as_bool() == Some(true) || errors.as_str().is_some_and(|e| !e.is_empty()) {
            return errors.as_str().unwrap_or("").to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the page was not ready in 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The ranking rows' `data-unit` → `data-rank`.
async fn ranks(c: &Client) -> BTreeMap<String, Option<u64>> {
    let rows = c
        .execute(
            "return Array.from(document.querySelectorAll('#ranking tbody tr')).map(function (r) { \
             return [r.dataset.unit, r.dataset.rank]; });",
            vec![],
        )
        .await
        .unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_str().unwrap().parse().ok()))
        .collect()
}

/// `cityrank run` of `edition` (with `extra` appended to a copy of it, the
/// methodology and dataset made absolute) at `--variant scenario`: unit → rank.
fn cli_ranks(cache: &Path, dir: &Path, edition: &str, extra: &str) -> BTreeMap<String, Option<u64>> {
    let copy = edition_copy(dir, edition, extra);
    let o = output(
        cityrank(cache)
            .arg("run")
            .arg(&copy)
            .args(["--variant", "scenario", "--format", "json"]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let results: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    results["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap().to_string(), u["rank"].as_u64()))
        .collect()
}

/// Saves a screenshot of the page as `target/browser-failures/NAME.png` and
/// returns its path.
async fn screenshot(c: &Client, name: &str) -> PathBuf {
    let dir = root().join("target/browser-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    if let Ok(png) = c.screenshot().await {
        std::fs::write(&path, png).unwrap();
    }
    path
}

/// Runs `check`; on a failure saves a screenshot and fails naming it.
async fn checked<F: std::future::Future<Output = Result<(), String>>>(c: &Client, name: &str, check: F) {
    if let Err(e) = check.await {
        let shot = screenshot(c, name).await;
        panic!("{e}\n(screenshot: {})", shot.display());
    }
}

#[test]
fn sliders_and_links_give_the_ranks_of_cityrank_run() {
    let Some((chromium, driver_bin)) = browser() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("las.html");
    let o = output(
        cityrank(cache.path())
            .args(["report", "methodologies/las-2024.toml", "-o"])
            .arg(&page),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let nominal = {
        let o = output(cityrank(cache.path()).args(["run", "methodologies/las-2024.toml", "--format", "json"]));
        assert!(o.status.success(), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        r["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["id"].as_str().unwrap().to_string(), u["rank"].as_u64()))
            .collect::<BTreeMap<_, _>>()
    };
    let (_driver, address) = start_driver(&driver_bin);
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let c = session(&chromium, &address, profile.path()).await;
            let opened = Instant::now();
            c.goto(&url).await.unwrap();
            let errors = wait_ready(&c).await;
            let open_ms = opened.elapsed().as_secs_f64() * 1e3;
            checked(&c, "report-open", async {
                if !errors.is_empty() {
                    return Err(format!("the page reported script errors: {errors}"));
                }
                let shown = ranks(&c).await;
                if shown != nominal {
                    return Err(format!("the page's first ranks differ from `cityrank run`: {shown:?}"));
                }
                // The map: a point per city (every LAS city has coordinates),
                // coloured by tier; the zoom button changes the view.
                let points = c
                    .execute(
                        "var cs = document.querySelectorAll('#map circle'); \
                         return [cs.length, Array.from(cs).filter(function (x) { return x.getAttribute('fill'); }).length, \
                         document.querySelector('#map svg').getAttribute('viewBox')];",
                        vec![],
                    )
                    .await
                    .unwrap();
                if points[0] != nominal.len() || points[1] != nominal.len() {
                    return Err(format!("the map draws {points} points, {} cities expected", nominal.len()));
                }
                // A click on a point (a city alone on its part of the map) shows its
                // unit's breakdown.
                c.find(Locator::Css("#map circle[data-unit=\"mrt-nouakchott\"]"))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .map_err(|e| format!("clicking Nouakchott's point: {e}"))?;
                let title = c.find(Locator::Id("breakdown-title")).await.unwrap().text().await.unwrap();
                if !title.contains("Nouakchott") {
                    return Err(format!("a click on Nouakchott's point shows {title:?}"));
                }
                c.find(Locator::Id("zoom-in")).await.unwrap().click().await.unwrap();
                let zoomed = c
                    .execute("return document.querySelector('#map svg').getAttribute('viewBox');", vec![])
                    .await
                    .unwrap();
                if zoomed == points[2] {
                    return Err(format!("the zoom button left the map's view at {zoomed}"));
                }
                Ok(())
            })
            .await;

            // A slider moved with the keyboard (focus, then the right arrow key
            // five times: five steps up).
            checked(&c, "report-slider", async {
                let slider = c
                    .find(Locator::Css("input[type=range][data-node=\"digital\"]"))
                    .await
                    .map_err(|e| format!("no slider for `digital`: {e}"))?;
                let label = c
                    .execute("return document.querySelector('label[for=\"' + arguments[0].id + '\"]').textContent;", vec![serde_json::to_value(&slider).unwrap()])
                    .await
                    .unwrap();
                if !label.as_str().unwrap_or("").contains("Digital") {
                    return Err(format!("the slider's label is {label}"));
                }
                let right: char = fantoccini::key::Key::Right.into();
                slider.send_keys(&right.to_string().repeat(5)).await.map_err(|e| e.to_string())?;
                tokio::time::sleep(Duration::from_millis(200)).await;
                let moved = ranks(&c).await;
                if moved == nominal {
                    return Err("moving the digital weight changed no rank".into());
                }
                let toml = c
                    .find(Locator::Id("toml"))
                    .await
                    .unwrap()
                    .prop("value")
                    .await
                    .unwrap()
                    .unwrap_or_default();
                if !toml.contains("digital = ") {
                    return Err(format!("the page's variant table does not set the digital weight:\n{toml}"));
                }
                let want = cli_ranks(cache.path(), dir.path(), "methodologies/las-2024.toml", &toml);
                if moved != want {
                    return Err(format!(
                        "after the slider the page's ranks differ from `cityrank run` of its variant:\n{toml}\npage {moved:?}\ncli {want:?}"
                    ));
                }
                Ok(())
            })
            .await;

            // A scenario given in the URL fragment.
            checked(&c, "report-fragment", async {
                // (From another page: a change of the fragment alone is no new load.)
                c.goto("about:blank").await.unwrap();
                c.goto(&format!("{url}#weights=traditional:0.2,digital:0.6,institutional:0.2&unit=are-dubai"))
                    .await
                    .unwrap();
                let errors = wait_ready(&c).await;
                if !errors.is_empty() {
                    return Err(format!("script errors: {errors}"));
                }
                let shown = ranks(&c).await;
                let want = cli_ranks(
                    cache.path(),
                    dir.path(),
                    "methodologies/las-2024.toml",
                    "[variants.scenario]\nweights = { traditional = 0.2, digital = 0.6, institutional = 0.2 }\n",
                );
                if shown != want {
                    return Err(format!("the fragment's ranks differ from `cityrank run`:\npage {shown:?}\ncli {want:?}"));
                }
                let title = c.find(Locator::Id("breakdown-title")).await.unwrap().text().await.unwrap();
                if !title.contains("Dubai") {
                    return Err(format!("the fragment's unit is not shown: {title}"));
                }
                // A fragment naming no such node is shown as a problem, and the
                // edition's ranking is kept.
                c.goto("about:blank").await.unwrap();
                c.goto(&format!("{url}#weights=digitall:2")).await.unwrap();
                wait_ready(&c).await;
                let problem = c.find(Locator::Id("problem")).await.unwrap().text().await.unwrap();
                if !problem.contains("no node or indicator `digitall`") {
                    return Err(format!("a bad fragment gives no clear problem: {problem:?}"));
                }
                if !problem.contains("did you mean `digital`") {
                    return Err(format!("a misspelt id gets no suggestion: {problem:?}"));
                }
                if ranks(&c).await != nominal {
                    return Err("a bad fragment changed the ranking".into());
                }
                let address = c.current_url().await.unwrap();
                if !address.as_str().ends_with("#weights=digitall:2") {
                    return Err(format!("the bad address was not kept for correcting: {address}"));
                }
                // Every pillar weighted 0 cannot be computed: the problem says how
                // to fix it, and the edition's ranking is shown.
                c.goto("about:blank").await.unwrap();
                c.goto(&format!("{url}#weights=traditional:0,digital:0,institutional:0")).await.unwrap();
                wait_ready(&c).await;
                let problem = c.find(Locator::Id("problem")).await.unwrap().text().await.unwrap();
                if !problem.contains("give at least one of them a weight above 0") {
                    return Err(format!("all-zero weights give no clear problem: {problem:?}"));
                }
                if ranks(&c).await != nominal {
                    return Err("all-zero weights did not fall back to the edition's ranking".into());
                }
                Ok(())
            })
            .await;

            // Scores to the bit: ASEM's geometric means of min-max 1–100 (logarithms
            // and exponentials: the module's and the CLI's must be the same
            // functions), against `cityrank run --variant geometric`.
            checked(&c, "report-geometric", async {
                let asem = dir.path().join("asem.html");
                let o = output(cityrank(cache.path()).args(["report", "methodologies/asem-2018.toml", "-o"]).arg(&asem));
                if !o.status.success() {
                    return Err(stderr(&o));
                }
                c.goto("about:blank").await.unwrap();
                c.goto(&format!("file://{}#normalise=geometric&aggregate=geometric", asem.display()))
                    .await
                    .unwrap();
                let errors = wait_ready(&c).await;
                if !errors.is_empty() {
                    return Err(format!("script errors: {errors}"));
                }
                let shown = c
                    .execute(
                        "return Array.from(document.querySelectorAll('#ranking tbody tr')).map(function (r) { \
                         return [r.dataset.unit, r.dataset.score]; });",
                        vec![],
                    )
                    .await
                    .unwrap();
                let o = output(cityrank(cache.path()).args([
                    "run",
                    "methodologies/asem-2018.toml",
                    "--variant",
                    "geometric",
                    "--format",
                    "json",
                ]));
                if !o.status.success() {
                    return Err(stderr(&o));
                }
                let results: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let cli: BTreeMap<String, Option<u64>> = results["units"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| (u["id"].as_str().unwrap().to_string(), u["score"].as_f64().map(f64::to_bits)))
                    .collect();
                let rows = shown.as_array().unwrap();
                if rows.len() != cli.len() {
                    return Err(format!("the page shows {} units, the CLI ranks {}", rows.len(), cli.len()));
                }
                for r in rows {
                    let id = r[0].as_str().unwrap();
                    let page: Option<u64> = r[1].as_str().and_then(|v| v.parse::<f64>().ok()).map(f64::to_bits);
                    if cli.get(id) != Some(&page) {
                        return Err(format!(
                            "unit `{id}`: the page's score {:?} is not the CLI's {:?}",
                            r[1],
                            cli.get(id).copied().flatten().map(f64::from_bits)
                        ));
                    }
                }
                Ok(())
            })
            .await;

            // One recomputation's time, measured in the page.
            let ms = c
                .execute("return parseFloat(document.body.dataset.recomputeMs);", vec![])
                .await
                .unwrap();
            let bytes = std::fs::metadata(&page).unwrap().len();
            eprintln!(
                "LAS 2024 page: {:.2} MB, opened (navigation to first ranking) in {open_ms:.0} ms, one recomputation {} ms",
                bytes as f64 / 1e6,
                ms
            );
            c.close().await.unwrap();
        });
}

#[test]
fn a_page_of_13000_units_recomputes_in_the_browser() {
    let Some((chromium, driver_bin)) = browser() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The synthetic edition at the scale of every city on Earth (13,000 units ×
    // 200 indicators in 5 pillars, 2% missing; three normalisers, two aggregations).
    let o = Command::new("python3")
        .arg(root().join("methodologies/data/recipe/scale.py"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("python3 runs the scale recipe");
    assert!(o.status.success(), "the scale recipe failed: {}", stderr(&o));
    let edition = dir.path().join("edition.toml");
    let page = dir.path().join("scale.html");
    let o = output(cityrank(cache.path()).arg("report").arg(&edition).arg("-o").arg(&page));
    assert!(o.status.success(), "{}", stderr(&o));
    let (_driver, address) = start_driver(&driver_bin);
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let c = session(&chromium, &address, profile.path()).await;
            c.goto(&url).await.unwrap();
            let errors = wait_ready(&c).await;
            checked(&c, "scale-open", async {
                if !errors.is_empty() {
                    return Err(format!("the page reported script errors: {errors}"));
                }
                // A pillar's weight moved with the keyboard; the first rows shown
                // (the ranking's top 200) are `cityrank run`'s for that variant.
                let slider = c
                    .find(Locator::Css("input[type=range][data-node=\"p1\"]"))
                    .await
                    .map_err(|e| format!("no slider for pillar `p1`: {e}"))?;
                let right: char = fantoccini::key::Key::Right.into();
                slider.send_keys(&right.to_string().repeat(10)).await.map_err(|e| e.to_string())?;
                let shown = ranks(&c).await;
                let toml = c
                    .find(Locator::Id("toml"))
                    .await
                    .unwrap()
                    .prop("value")
                    .await
                    .unwrap()
                    .unwrap_or_default();
                let copy = dir.path().join("with-scenario.toml");
                let text = std::fs::read_to_string(&edition).unwrap();
                std::fs::write(&copy, format!("{text}\n{toml}")).unwrap();
                let o = output(
                    cityrank(cache.path())
                        .arg("run")
                        .arg(&copy)
                        .args(["--variant", "scenario", "--format", "json"]),
                );
                if !o.status.success() {
                    return Err(format!("cityrank run of the page's variant failed: {}", stderr(&o)));
                }
                let results: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let cli: BTreeMap<String, Option<u64>> = results["units"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| (u["id"].as_str().unwrap().to_string(), u["rank"].as_u64()))
                    .collect();
                if shown.len() != 200 {
                    return Err(format!("the page shows {} rows of a large ranking, 200 expected", shown.len()));
                }
                for (id, rank) in &shown {
                    if cli.get(id) != Some(rank) {
                        return Err(format!(
                            "unit `{id}`: the page gives rank {rank:?}, `cityrank run` {:?} (variant:\n{toml})",
                            cli.get(id)
                        ));
                    }
                }
                let points = c
                    .execute("return document.querySelectorAll('#map circle').length;", vec![])
                    .await
                    .unwrap();
                if points != serde_json::json!(null) && points != serde_json::json!(0) {
                    return Err(format!("the synthetic units have no coordinates, yet the map draws {points}"));
                }
                Ok(())
            })
            .await;
            let timing = c
                .execute(
                    "return [parseFloat(document.body.dataset.readyMs), parseFloat(document.body.dataset.recomputeMs)];",
                    vec![],
                )
                .await
                .unwrap();
            let bytes = std::fs::metadata(&page).unwrap().len();
            eprintln!(
                "13,000 × 200 page: {:.1} MB, ready {} ms after navigation, one recomputation (a pillar's weight) {} ms",
                bytes as f64 / 1e6,
                timing[0],
                timing[1]
            );
            c.close().await.unwrap();
        });
}
