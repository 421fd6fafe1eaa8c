//! `cityrank sensitivity` end to end: reproducible for a seed whatever the number of
//! threads, consistent statistics, clear errors. (The estimators themselves are
//! tested against hand computations and the Ishigami function in
//! `host/analysis/src/sensitivity/estimate.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

fn sensitivity(cache: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let o = output(cityrank(cache).arg("sensitivity").args(args));
    assert!(o.status.success(), "sensitivity failed: {}", stderr(&o));
    o.stdout
}

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let args = |threads: &'static str, seed: &'static str| {
        [
            "methodologies/asem-2018.toml",
            "--samples",
            "16",
            "--seed",
            seed,
            "--format",
            "json",
            "--threads",
            threads,
        ]
    };
    let one = sensitivity(dir.path(), &args("1", "3"));
    let two = sensitivity(dir.path(), &args("2", "3"));
    let three = sensitivity(dir.path(), &args("3", "3"));
    assert!(one == two && two == three, "thread count changed the output");
    let other = sensitivity(dir.path(), &args("2", "4"));
    assert!(one != other, "a different seed gave the same output");

    let r: Value = serde_json::from_slice(&one).unwrap();
    // 4 inputs, N = 16: N·(d + 2) = 96 builds.
    assert_eq!(r["design"]["builds"], 96);
    let indices = r["sensitivity"]["indices"].as_array().unwrap();
    assert_eq!(indices.len(), 4);
    for i in indices {
        // Total-order indices are non-negative by construction (a sum of squares).
        assert!(i["total"].as_f64().unwrap() >= 0.0, "{i}");
        let ci = i["total_ci"].as_array().unwrap();
        assert!(ci[0].as_f64().unwrap() <= ci[1].as_f64().unwrap());
    }
}

#[test]
fn rank_statistics_and_tier_shares_are_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let out = sensitivity(
        dir.path(),
        &["methodologies/las-2024.toml", "--samples", "16", "--format", "json"],
    );
    let r: Value = serde_json::from_slice(&out).unwrap();
    let units = r["units"].as_array().unwrap();
    assert_eq!(units.len(), 62);
    let mut previous = 0;
    for u in units {
        let nominal = u["nominal_rank"].as_u64().unwrap();
        assert!(nominal >= previous, "units are ordered by nominal rank");
        previous = nominal;
        let (q5, median, q95) = (
            u["q5_rank"].as_f64().unwrap(),
            u["median_rank"].as_f64().unwrap(),
            u["q95_rank"].as_f64().unwrap(),
        );
        assert!(1.0 <= q5 && q5 <= median && median <= q95 && q95 <= 62.0, "{u}");
        let shares: f64 = u["tier_shares"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!(
            (shares - 1.0).abs() < 1e-12,
            "tier shares of {} sum to {shares}",
            u["id"]
        );
    }
    // The top-tier change of all builds is the share of builds whose top tier
    // differs; per alternative the builds add up to all builds.
    let top = r["top_tier"].as_array().unwrap();
    assert_eq!(top[0]["input"], "all");
    let all_builds = top[0]["builds"].as_u64().unwrap();
    assert_eq!(all_builds, 32, "the A and B builds (2N) of the design");
    let per_alternative: u64 = top[1..].iter().map(|t| t["builds"].as_u64().unwrap()).sum();
    assert_eq!(per_alternative, all_builds);
    // Leaving out a pillar moves ranks; the report names the unit moved most.
    let loo = r["leave_one_out"].as_array().unwrap();
    assert!(
        loo.iter()
            .any(|l| l["removed"] == "digital" && l["max_abs_shift"].as_u64().unwrap() > 0)
    );
}

#[test]
fn uncertainty_only_with_monte_carlo() {
    let dir = tempfile::tempdir().unwrap();
    let out = sensitivity(
        dir.path(),
        &[
            "methodologies/asem-2018.toml",
            "--samples",
            "20",
            "--design",
            "mc",
            "--uncertainty-only",
            "--format",
            "json",
        ],
    );
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["design"]["builds"], 20);
    assert_eq!(r["design"]["design"], "mc");
    assert!(r.get("sensitivity").is_none());
}

#[test]
fn clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(dir.path()).args(["sensitivity", "methodologies/g20-2023.toml"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no [sensitivity] table"), "{}", stderr(&o));
    // A target that never varies (Dubai is first in every build) has zero indices.
    let out = sensitivity(
        dir.path(),
        &[
            "methodologies/las-2024.toml",
            "--samples",
            "8",
            "--target",
            "rank:are-dubai",
            "--format",
            "json",
        ],
    );
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["sensitivity"]["variance"], 0.0);
    let o = output(cityrank(dir.path()).args(["sensitivity", "methodologies/asem-2018.toml", "--target", "rank:XXX"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("target: no unit `XXX` in the dataset"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plugin_steps_in_the_samples_are_deterministic_too() {
    // las-2024.custom-steps.toml varies the plugin's own treatment and normaliser:
    // the builds call into the sandbox, and the output still depends on the seed only.
    let dir = tempfile::tempdir().unwrap();
    let args = |threads: &'static str| {
        [
            "methodologies/las-2024.custom-steps.toml",
            "--samples",
            "8",
            "--format",
            "json",
            "--threads",
            threads,
        ]
    };
    let one = sensitivity(dir.path(), &args("1"));
    let two = sensitivity(dir.path(), &args("2"));
    assert!(one == two, "thread count changed the output");
    let r: Value = serde_json::from_slice(&one).unwrap();
    // 3 inputs, N = 8: 8·(3 + 2) = 40 builds.
    assert_eq!(r["design"]["builds"], 40);
}

/// Shards run as separate processes (as a Slurm job array would run them), in an
/// order other than their numbers, merge into the bytes of the unsharded run:
/// for a sensitivity design with weight noise and leave-one-out (LAS 2024:
/// shard 1 also carries the builds that are not design rows), for a design in 7
/// shards, and for an uncertainty analysis of 2 builds in 3 shards (one shard
/// has no rows).
#[test]
fn sharded_and_unsharded_analyses_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], usize); 3] = [
        ("methodologies/las-2024.toml", &["--samples", "8"], 3),
        ("methodologies/asem-2018.toml", &["--samples", "4"], 7),
        (
            "methodologies/asem-2018.toml",
            &["--samples", "5", "--uncertainty-only"],
            2,
        ),
    ];
    for (c, (edition, settings, shards)) in cases.iter().enumerate() {
        let mut whole_args = vec![*edition, "--format", "json"];
        whole_args.extend_from_slice(settings);
        let whole = sensitivity(dir.path(), &whole_args);
        let mut parts = Vec::new();
        for k in (1..=*shards).rev() {
            let part = dir.path().join(format!("case{c}-{k}.part"));
            let shard = format!("{k}/{shards}");
            let o = output(
                cityrank(dir.path())
                    .args(["sensitivity", edition, "--threads", "1", "--shard", &shard, "-o"])
                    .arg(&part)
                    .args(*settings),
            );
            assert!(o.status.success(), "shard {shard}: {}", stderr(&o));
            assert!(stdout(&o).is_empty(), "a shard writes its part, not a report");
            parts.push(part);
        }
        let merged = output(
            cityrank(dir.path())
                .args(["sensitivity", "merge", "--format", "json"])
                .args(&parts),
        );
        assert!(merged.status.success(), "merge: {}", stderr(&merged));
        assert!(
            merged.stdout == whole,
            "case {c}: the merged report differs from the unsharded one"
        );
    }
}

#[test]
fn merging_refuses_parts_that_do_not_make_one_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let part = |name: &str, shard: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        let o = output(
            cityrank(dir.path())
                .args([
                    "sensitivity",
                    "methodologies/asem-2018.toml",
                    "--samples",
                    "4",
                    "--shard",
                    shard,
                    "-o",
                ])
                .arg(&path)
                .args(extra),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        path
    };
    let merge = |parts: &[&std::path::Path]| {
        let o = output(cityrank(dir.path()).args(["sensitivity", "merge"]).args(parts));
        assert!(!o.status.success(), "merge succeeded");
        assert!(o.stdout.is_empty());
        stderr(&o)
    };
    let a1 = part("a1.part", "1/2", &[]);
    let a2 = part("a2.part", "2/2", &[]);
    let other_seed = part("b2.part", "2/2", &["--seed", "9"]);
    let of_three = part("c2.part", "2/3", &[]);

    let e = merge(&[&a1]);
    assert!(e.contains("1 of 2 shards missing: 2/2"), "{e}");
    let e = merge(&[&a1, &a2, &a2]);
    assert!(e.contains("shard 2/2 is given twice"), "{e}");
    let e = merge(&[&a1, &other_seed]);
    // The edition's seed is 1.
    assert!(
        e.contains("parts of different analyses: their --seed differ (1 in a1.part, 9 in b2.part)"),
        "{e}"
    );
    let e = merge(&[&a1, &of_three]);
    assert!(e.contains("splits into different numbers of shards"), "{e}");

    // A damaged part (one byte changed in its body) and one cut short.
    let mut bytes = std::fs::read(&a2).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let damaged = dir.path().join("damaged.part");
    std::fs::write(&damaged, &bytes).unwrap();
    let e = merge(&[&a1, &damaged]);
    assert!(
        e.contains("damaged.part: the part of shard 2/2 is damaged or incomplete"),
        "{e}"
    );
    // A changed header (the seed recorded in it) is found too.
    let mut header_changed = std::fs::read(&a2).unwrap();
    let at = header_changed.windows(7).position(|w| w == b"\"seed\":").unwrap() + 7;
    header_changed[at] = if header_changed[at] == b'1' { b'2' } else { b'1' };
    let changed = dir.path().join("changed.part");
    std::fs::write(&changed, &header_changed).unwrap();
    let e = merge(&[&a1, &changed]);
    assert!(e.contains("changed.part: the part of shard 2/2 is damaged"), "{e}");
    let cut = dir.path().join("cut.part");
    std::fs::write(&cut, &bytes[..40]).unwrap();
    let e = merge(&[&a1, &cut]);
    assert!(e.contains("cut.part: the part is incomplete"), "{e}");
    // Not a part at all.
    let e = merge(&[std::path::Path::new("methodologies/asem-2018.toml")]);
    assert!(e.contains("not a part of a sensitivity analysis"), "{e}");

    // --shard writes a part, so it needs a file and takes no format.
    let o = output(cityrank(dir.path()).args(["sensitivity", "methodologies/asem-2018.toml", "--shard", "1/2"]));
    assert!(
        !o.status.success() && stderr(&o).contains("give the file to write with -o FILE"),
        "{}",
        stderr(&o)
    );
    let o = output(cityrank(dir.path()).args([
        "sensitivity",
        "methodologies/asem-2018.toml",
        "--shard",
        "1/2",
        "--format",
        "json",
        "-o",
        "x",
    ]));
    assert!(
        !o.status.success() && stderr(&o).contains("merge PARTS... --format json -o FILE"),
        "{}",
        stderr(&o)
    );
    let o = output(cityrank(dir.path()).args([
        "sensitivity",
        "methodologies/asem-2018.toml",
        "--shard",
        "3/2",
        "-o",
        "x",
    ]));
    assert!(stderr(&o).contains("shards are numbered 1 to 2"), "{}", stderr(&o));
}

/// The documented Slurm job-array script, run as Slurm would run its tasks
/// (the array variables set), gives parts that merge into the unsharded report;
/// an array not numbered from 1 is refused.
#[test]
fn the_slurm_script_runs_the_shards() {
    let dir = tempfile::tempdir().unwrap();
    let script = root().join("tools/slurm/sensitivity.sbatch");
    let parts = dir.path().join("parts");
    let task = |k: usize, n: usize, min: usize| {
        std::process::Command::new("bash")
            .arg(&script)
            .args(["methodologies/asem-2018.toml"])
            .arg(&parts)
            .args(["--samples", "4"])
            .env("CITYRANK", env!("CARGO_BIN_EXE_cityrank"))
            .env("CITYRANK_CACHE_DIR", dir.path())
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", n.to_string())
            .env("SLURM_ARRAY_TASK_MIN", min.to_string())
            .env("SLURM_ARRAY_TASK_MAX", (min + n - 1).to_string())
            .env("SLURM_CPUS_PER_TASK", "1")
            .current_dir(root())
            .output()
            .unwrap()
    };
    for k in 1..=3 {
        let o = task(k, 3, 1);
        assert!(o.status.success(), "task {k}: {}", stderr(&o));
    }
    let mut files: Vec<_> = std::fs::read_dir(&parts).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 3);
    let merged = output(
        cityrank(dir.path())
            .args(["sensitivity", "merge", "--format", "json"])
            .args(&files),
    );
    assert!(merged.status.success(), "{}", stderr(&merged));
    let whole = sensitivity(
        dir.path(),
        &["methodologies/asem-2018.toml", "--samples", "4", "--format", "json"],
    );
    assert!(merged.stdout == whole, "the script's shards merge into another report");

    let o = task(0, 3, 0);
    assert!(
        !o.status.success() && stderr(&o).contains("--array=1-3"),
        "{}",
        stderr(&o)
    );
}

/// `EDITION.toml@VARIANT` analyses the variant's ranking: its nominal ranks are
/// `cityrank run EDITION.toml@VARIANT`'s, the report names the variant, and parts
/// of the edition and of its variant are not merged into one analysis.
#[test]
fn a_variant_is_analysed_after_an_at_sign() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path();
    let nominal_ranks = |r: &Value, key: &str| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = r["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["id"].as_str().unwrap().to_string(), u[key].as_u64().unwrap()))
            .collect();
        v.sort();
        v
    };
    let edition = "methodologies/asem-2018.toml";
    let report: Value = serde_json::from_slice(&sensitivity(
        cache,
        &[
            "methodologies/asem-2018.toml@geometric",
            "--samples",
            "4",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(report["variant"], "geometric");
    let run = output(cityrank(cache).args(["run", "methodologies/asem-2018.toml@geometric", "--format", "json"]));
    assert!(run.status.success(), "{}", stderr(&run));
    let run: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(nominal_ranks(&report, "nominal_rank"), nominal_ranks(&run, "rank"));
    let plain: Value =
        serde_json::from_slice(&sensitivity(cache, &[edition, "--samples", "4", "--format", "json"])).unwrap();
    assert!(plain.get("variant").is_none(), "no variant: no key");
    assert_ne!(
        nominal_ranks(&plain, "nominal_rank"),
        nominal_ranks(&report, "nominal_rank"),
        "the geometric mean ranks ASEM differently"
    );
    // The same with --variant; twice and differently is refused.
    let flag = sensitivity(
        cache,
        &[edition, "--variant", "geometric", "--samples", "4", "--format", "json"],
    );
    assert_eq!(serde_json::from_slice::<Value>(&flag).unwrap(), report);
    let o = output(cityrank(cache).args([
        "sensitivity",
        "methodologies/asem-2018.toml@geometric",
        "--variant",
        "zscore",
    ]));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("the variant is given twice: `@geometric` and `--variant zscore`"),
        "{}",
        stderr(&o)
    );

    let part = |target: &str, k: &str| {
        let path = dir.path().join(format!("{}-{k}.part", target.len()));
        let o = output(
            cityrank(cache)
                .args(["sensitivity", target, "--samples", "4", "--shard", k, "-o"])
                .arg(&path),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        path
    };
    let a = part("methodologies/asem-2018.toml@geometric", "1/2");
    let b = part(edition, "2/2");
    let o = output(cityrank(cache).args(["sensitivity", "merge"]).arg(&a).arg(&b));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("their variants analysed (`EDITION.toml@VARIANT`) differ (geometric in"),
        "{}",
        stderr(&o)
    );
}
