//! A sensitivity analysis over several processes or machines: each runs a
//! deterministic slice of the design's builds (`cityrank sensitivity EDITION
//! --shard K/N -o part-K.bin`) and writes a *part*; [`merge`] combines the parts
//! of every shard into the report the unsharded analysis gives, byte for byte.
//!
//! Why that holds: a build depends only on its design row (the design is drawn
//! from the seed), so building rows in other processes changes nothing; each
//! part stores its builds exactly (ranks, tiers, and the nominal build's scores
//! as the bits of their `f64`s), and the merged builds go through the same
//! summary as an unsharded run's ([`super::summarise`]).
//!
//! # What a shard computes
//! Shard `K` of `N` builds the design rows `⌊(K−1)·R/N⌋ .. ⌊K·R/N⌋` of the
//! design's `R` rows, and the nominal build. Shard 1 also runs the builds that
//! are not design rows (each weight input alone, leave-one-out), whose results
//! are small and stored as they go into the report.
//!
//! # The part file
//! `CITYRANK-SENSITIVITY-PART\n`, the header's length (u64, little-endian), the
//! header (JSON: the format version, the cityrank version, what the report is
//! summarised from, the shard, its rows, the results of shard 1's extra builds,
//! and the SHA-256 of the header — written with an empty hash — followed by
//! the body), then the body: for the nominal build and then each of the shard's
//! builds in row order, every unit's rank (u32; 0 = unranked), then every unit's
//! tier slot (u16); after the nominal build's tier slots its scores (f64). Every
//! number little-endian. A part holds about 6 bytes per unit and build (13,000
//! units × 1,024 builds: 80 MB).

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::{Build, Extras, Frame, SensitivityReport, summarise};

/// The first bytes of a part file.
const MAGIC: &[u8] = b"CITYRANK-SENSITIVITY-PART\n";
/// The part format this cityrank writes and reads.
const FORMAT: u32 = 1;
/// The most shards an analysis may be split into.
pub const MAX_SHARDS: usize = 100_000;

/// Shard `index` (1-based) of `count`: which slice of a design's builds to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// 1 ..= `count`.
    pub index: usize,
    /// How many shards the design is split into.
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` (e.g. `3/8`), 1 ≤ K ≤ N ≤ [`MAX_SHARDS`].
    ///
    /// # Errors
    /// Text that is not two whole numbers joined by `/`, or out of range.
    pub fn parse(text: &str) -> Result<Shard> {
        let hint = "write the shard as K/N, e.g. --shard 3/8 for the third of eight shards";
        let Some((k, n)) = text.split_once('/') else {
            bail!("--shard `{text}`: {hint}");
        };
        let (Ok(index), Ok(count)) = (k.trim().parse::<usize>(), n.trim().parse::<usize>()) else {
            bail!("--shard `{text}`: {hint}");
        };
        if count == 0 || count > MAX_SHARDS {
            bail!("--shard `{text}`: the number of shards must be 1 to {MAX_SHARDS}");
        }
        if index == 0 || index > count {
            bail!("--shard `{text}`: shards are numbered 1 to {count}");
        }
        Ok(Shard { index, count })
    }

    /// The design rows of this shard among `total`: `⌊(K−1)·total/N⌋ .. ⌊K·total/N⌋`
    /// (contiguous, together every row once; a shard may have none when there
    /// are more shards than rows).
    pub fn rows(&self, total: usize) -> Range<usize> {
        let at = |k: usize| (k as u128 * total as u128 / self.count as u128) as usize;
        at(self.index - 1)..at(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One shard's share of an analysis (see the [module](self) documentation).
pub struct Part {
    pub(super) frame: Frame,
    pub(super) shard: Shard,
    pub(super) rows: Range<usize>,
    pub(super) nominal: Build,
    pub(super) builds: Vec<Build>,
    pub(super) extras: Option<Extras>,
}

/// A part file's header.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: u32,
    cityrank: String,
    frame: Frame,
    shard: Shard,
    rows: [usize; 2],
    builds: usize,
    extras: Option<Extras>,
    /// SHA-256 of the header written with this field empty, then the body.
    sha256: String,
}

impl Part {
    /// How many design rows this part built, the design's total, and how many
    /// builds that are not design rows it ran (shard 1: each weight input alone,
    /// leave-one-out).
    pub fn builds(&self) -> (usize, usize, usize) {
        let extra = self.extras.as_ref().map_or(0, |e| {
            e.tier_changes.iter().map(|t| t.builds).sum::<usize>() + e.leave_one_out.len()
        });
        (self.builds.len(), self.frame.design.builds, extra)
    }

    /// Writes the part to `path` (atomically: no partial file on a failure).
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        let mut header = Header {
            format: FORMAT,
            cityrank: env!("CARGO_PKG_VERSION").to_string(),
            frame: self.frame.clone(),
            shard: self.shard,
            rows: [self.rows.start, self.rows.end],
            builds: self.builds.len(),
            extras: self.extras.clone(),
            sha256: String::new(),
        };
        let mut hasher = Sha256::new();
        hasher.update(serde_json::to_vec(&header)?);
        self.write_body(&mut hasher)?;
        header.sha256 = hex::encode(hasher.finalize());
        let header = serde_json::to_vec(&header)?;
        let write = |w: &mut dyn Write| -> std::io::Result<()> {
            w.write_all(MAGIC)?;
            w.write_all(&(header.len() as u64).to_le_bytes())?;
            w.write_all(&header)?;
            self.write_body(w)
        };
        cityrank_core::fsutil::write_contents(&[(path, cityrank_core::fsutil::Content::Stream(Box::new(write)))])
    }

    fn write_body(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(self.nominal.len() * 8);
        let mut build = |b: &Build, w: &mut dyn Write| -> std::io::Result<()> {
            buf.clear();
            buf.extend(b.ranks.iter().flat_map(|r| r.to_le_bytes()));
            buf.extend(b.tiers.iter().flat_map(|t| t.to_le_bytes()));
            w.write_all(&buf)
        };
        build(&self.nominal, w)?;
        let scores = self.nominal.scores.as_deref().unwrap_or_default();
        let bytes: Vec<u8> = scores.iter().flat_map(|s| s.to_bits().to_le_bytes()).collect();
        w.write_all(&bytes)?;
        for b in &self.builds {
            build(b, w)?;
        }
        Ok(())
    }

    /// Reads the part file `path`.
    ///
    /// # Errors
    /// The file is not a part, is of another format version, or is damaged
    /// (its body does not match the hash in its header).
    pub fn read(path: &Path) -> Result<Part> {
        let file = path.display();
        let bytes = cityrank_core::fsutil::read_file(path).with_context(|| format!("cannot read `{file}`"))?;
        let not_a_part = || {
            anyhow::anyhow!(
                "{file}: not a part of a sensitivity analysis; parts are written by \
                 `cityrank sensitivity EDITION --shard K/N -o FILE`"
            )
        };
        let rest = bytes.strip_prefix(MAGIC).ok_or_else(not_a_part)?;
        let (len, rest) = rest.split_first_chunk::<8>().ok_or_else(not_a_part)?;
        let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|_| not_a_part())?;
        if len > rest.len() {
            bail!("{file}: the part is incomplete (cut off in its header); copy it again or run its shard again");
        }
        let (header, body) = rest.split_at(len);
        let mut header: Header = serde_json::from_slice(header).map_err(|e| {
            let version = serde_json::from_slice::<serde_json::Value>(header)
                .ok()
                .and_then(|v| v.get("format").and_then(serde_json::Value::as_u64));
            match version {
                Some(v) if v != u64::from(FORMAT) => anyhow::anyhow!(
                    "{file}: a part in format {v}, but this cityrank ({}) reads format {FORMAT}; merge the parts \
                     with the cityrank that wrote them",
                    env!("CARGO_PKG_VERSION")
                ),
                Some(_) => anyhow::anyhow!(
                    "{file}: the part was written by another build of cityrank (its header has other fields: {e}); \
                     run every shard, and the merge, with one cityrank"
                ),
                None => anyhow::anyhow!("{file}: the part's header cannot be read ({e}); run its shard again"),
            }
        })?;
        let shard = header.shard;
        let damaged = || {
            anyhow::anyhow!(
                "{file}: the part of shard {shard} is damaged or incomplete (its content does not match the hash in \
                 its header); copy it again or run shard {shard} again"
            )
        };
        let sha256 = std::mem::take(&mut header.sha256);
        let mut hasher = Sha256::new();
        hasher.update(serde_json::to_vec(&header)?);
        hasher.update(body);
        if hex::encode(hasher.finalize()) != sha256 {
            return Err(damaged());
        }
        if header.cityrank != env!("CARGO_PKG_VERSION") {
            bail!(
                "{file}: the part of shard {shard} was written by cityrank {}, this is cityrank {}; merge with the \
                 cityrank that wrote the parts (the same version must run every shard)",
                header.cityrank,
                env!("CARGO_PKG_VERSION")
            );
        }
        if shard.count == 0 || shard.index == 0 || shard.index > shard.count || shard.count > MAX_SHARDS {
            return Err(damaged());
        }
        let units = header.frame.unit_ids.len();
        let per_build = units * 6;
        let expected = header
            .builds
            .checked_add(1)
            .and_then(|b| b.checked_mul(per_build))
            .and_then(|b| b.checked_add(units * 8));
        if header.rows[0] > header.rows[1]
            || header.builds != header.rows[1] - header.rows[0]
            || expected != Some(body.len())
        {
            bail!("{file}: the part of shard {shard} has a body of the wrong size; run shard {shard} again");
        }
        let build_at = |bytes: &[u8]| Build {
            ranks: bytes[..units * 4]
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            tiers: bytes[units * 4..per_build]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect(),
            scores: None,
        };
        let mut nominal = build_at(&body[..per_build]);
        let scores_end = per_build + units * 8;
        nominal.scores = Some(
            body[per_build..scores_end]
                .chunks_exact(8)
                .map(|c| f64::from_bits(u64::from_le_bytes(c.try_into().unwrap_or_default())))
                .collect(),
        );
        let builds = body[scores_end..]
            .chunks_exact(per_build.max(1))
            .map(build_at)
            .collect::<Vec<_>>();
        let builds = if units == 0 {
            (0..header.builds).map(|_| build_at(&[])).collect()
        } else {
            builds
        };
        Ok(Part {
            frame: header.frame,
            shard,
            rows: header.rows[0]..header.rows[1],
            nominal,
            builds,
            extras: header.extras,
        })
    }
}

/// Combines the part files of every shard of one analysis into its report,
/// byte-identical to the unsharded analysis's.
///
/// # Errors
/// A file is not a part or is damaged; the parts come from different analyses
/// (edition, data, settings or cityrank version differ: the error names what);
/// a shard is missing or given twice.
pub fn merge(paths: &[PathBuf]) -> Result<SensitivityReport> {
    let Some(first_path) = paths.first() else {
        bail!("give the part files to merge, e.g. `cityrank sensitivity merge parts/*.part`");
    };
    // The first part whole (what the report is summarised from); of the others,
    // once checked against it, only their builds and extras.
    let first = Part::read(first_path)?;
    check_rows(first_path, &first)?;
    let mut others: Vec<(PathBuf, Shard, Vec<Build>, Option<Extras>)> = Vec::with_capacity(paths.len() - 1);
    for path in &paths[1..] {
        let part = Part::read(path)?;
        check_same_analysis((first_path, &first), (path, &part))?;
        check_rows(path, &part)?;
        others.push((path.clone(), part.shard, part.builds, part.extras));
    }
    let mut shards: Vec<(Shard, &PathBuf)> = std::iter::once((first.shard, first_path))
        .chain(others.iter().map(|(p, s, _, _)| (*s, p)))
        .collect();
    shards.sort_by_key(|(s, _)| s.index);
    for pair in shards.windows(2) {
        if pair[0].0 == pair[1].0 {
            bail!(
                "shard {} is given twice ({} and {}); give each shard's part once",
                pair[0].0,
                pair[0].1.display(),
                pair[1].1.display()
            );
        }
    }
    let count = first.shard.count;
    let missing: Vec<String> = (1..=count)
        .filter(|k| shards.binary_search_by_key(k, |(s, _)| s.index).is_err())
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} of {count} shards missing: {}. Run them (`cityrank sensitivity EDITION --shard K/{count} -o FILE`) \
             and give their parts too",
            missing.len(),
            missing.join(", ")
        );
    }
    let Part {
        frame,
        nominal,
        shard: first_shard,
        builds: first_builds,
        extras: first_extras,
        ..
    } = first;
    let mut slices: Vec<(usize, Vec<Build>, Option<Extras>)> =
        std::iter::once((first_shard.index, first_builds, first_extras))
            .chain(others.into_iter().map(|(_, s, b, e)| (s.index, b, e)))
            .collect();
    slices.sort_by_key(|(k, _, _)| *k);
    let mut builds = Vec::with_capacity(frame.design.builds);
    let mut extras = None;
    for (k, part_builds, part_extras) in slices {
        builds.extend(part_builds);
        if k == 1 {
            extras = part_extras;
        }
    }
    let extras = extras
        .context("the part of shard 1 lacks the results of the builds that are not design rows; run shard 1 again")?;
    summarise(frame, &nominal, &builds, extras)
}

/// Refuses a part whose rows are not those of its shard.
fn check_rows(path: &Path, part: &Part) -> Result<()> {
    let total = part.frame.design.builds;
    if part.rows != part.shard.rows(total) || part.builds.len() != part.rows.len() {
        bail!(
            "{}: shard {} holds rows {}..{} of the design, not the rows of shard {}; run it again",
            path.display(),
            part.shard,
            part.rows.start,
            part.rows.end,
            part.shard
        );
    }
    Ok(())
}

/// Refuses two parts of different analyses or splits, naming what differs.
fn check_same_analysis(a: (&PathBuf, &Part), b: (&PathBuf, &Part)) -> Result<()> {
    let ((pa, a), (pb, b)) = (a, b);
    if a.shard.count != b.shard.count {
        bail!(
            "{} is shard {} but {} is shard {}: the parts come from splits into different numbers of shards; \
             merge the parts of one split",
            pa.display(),
            a.shard,
            pb.display(),
            b.shard
        );
    }
    let differs = differing_field(&a.frame, &b.frame)?
        .or_else(|| (!same_build(&a.nominal, &b.nominal)).then(|| ("nominal builds".to_string(), None)));
    if let Some((field, values)) = differs {
        let name = |p: &PathBuf| {
            p.file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
        };
        let values = values.map_or(String::new(), |(va, vb)| {
            format!(" ({va} in {}, {vb} in {})", name(pa), name(pb))
        });
        bail!(
            "{} and {} are parts of different analyses: their {field} differ{values}. Run every shard on the same \
             edition and data with the same settings and the same cityrank",
            pa.display(),
            pb.display()
        );
    }
    Ok(())
}

/// Whether two builds are the same, bit for bit (a unit without a score has NaN,
/// which equals no number, itself included).
fn same_build(a: &Build, b: &Build) -> bool {
    let bits = |s: &Option<Vec<f64>>| s.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>());
    a.ranks == b.ranks && a.tiers == b.tiers && bits(&a.scores) == bits(&b.scores)
}

/// What differs between two parts: its name, and the two values when short.
type Difference = (String, Option<(String, String)>);

/// What differs between two frames, named for a user, with the two values
/// when they are short (`--samples` and `("1024", "512")`).
fn differing_field(a: &Frame, b: &Frame) -> Result<Option<Difference>> {
    use serde_json::Value;
    let (Value::Object(a), Value::Object(b)) = (serde_json::to_value(a)?, serde_json::to_value(b)?) else {
        bail!("internal error: a frame is not an object");
    };
    let shown = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => "none".to_string(),
    };
    for (key, va) in &a {
        let vb = b.get(key);
        if vb == Some(va) {
            continue;
        }
        let both = || Some((shown(Some(va)), shown(vb)));
        let (name, values) = match key.as_str() {
            "design" => {
                let (Value::Object(da), Some(Value::Object(db))) = (va, vb) else {
                    return Ok(Some(("designs".to_string(), None)));
                };
                let Some((k, x)) = da.iter().find(|(k, x)| db.get(*k) != Some(*x)) else {
                    continue;
                };
                let values = Some((shown(Some(x)), shown(db.get(k))));
                match k.as_str() {
                    "samples" => ("--samples".to_string(), values),
                    "seed" => ("--seed".to_string(), values),
                    "design" => ("--design".to_string(), values),
                    "target" => ("--target".to_string(), values),
                    "uncertainty_only" => ("--uncertainty-only".to_string(), values),
                    "inputs" => (
                        "uncertain inputs (the edition's [[sensitivity.inputs]])".to_string(),
                        None,
                    ),
                    other => (format!("designs (`{other}`)"), values),
                }
            }
            "edition" => ("editions (ids)".to_string(), both()),
            "variant" => ("variants analysed (`EDITION.toml@VARIANT`)".to_string(), both()),
            "methodology" | "methodology_sha256" => ("methodologies".to_string(), None),
            "dataset_sha256" => ("datasets (their SHA-256)".to_string(), None),
            "edition_sha256" => ("edition files, byte for byte (their SHA-256)".to_string(), None),
            "panel_sha256" => ("expert panel files, byte for byte (their SHA-256)".to_string(), None),
            "bootstrap" => ("bootstrap replicates".to_string(), both()),
            "unit_ids" | "unit_names" => ("units".to_string(), None),
            other => (format!("`{other}`s"), None),
        };
        return Ok(Some((name, values)));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_row_once() {
        for total in [0, 1, 7, 96, 1000] {
            for count in [1, 2, 3, 7, 8, 200] {
                let mut next = 0;
                for index in 1..=count {
                    let r = Shard { index, count }.rows(total);
                    assert_eq!(r.start, next, "total {total}, shard {index}/{count}");
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        // 96 rows in 3 shards: 32 each.
        assert_eq!(Shard { index: 2, count: 3 }.rows(96), 32..64);
    }

    #[test]
    fn builds_with_units_without_a_score_are_the_same() {
        let build = || Build {
            ranks: vec![1, 0],
            tiers: vec![0, super::super::NO_TIER],
            scores: Some(vec![61.5, f64::NAN]),
        };
        assert!(same_build(&build(), &build()));
        let mut other = build();
        other.scores = Some(vec![61.5, 1.0]);
        assert!(!same_build(&build(), &other));
    }

    #[test]
    fn shard_text_is_checked() {
        assert_eq!(Shard::parse("3/8").unwrap(), Shard { index: 3, count: 8 });
        for bad in ["3", "0/4", "5/4", "a/4", "1/0", "-1/4", "1/4/5"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let e = Shard::parse("5/4").unwrap_err().to_string();
        assert!(e.contains("numbered 1 to 4"), "{e}");
    }
}
