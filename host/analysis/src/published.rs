//! Published rankings: reading a file of published results, choosing the rows of
//! one ranking and edition, matching its cities to a run's units and measuring how
//! well the run agrees with it.
//!
//! The file is a CSV with the columns `ranking,edition,city,country_iso3,
//! result_kind,result,source` (extra columns are ignored; `country_iso3` and
//! `source` may be empty). `result_kind` is `tier` (the result is a tier label such
//! as `top 10%`), `rank` (a number, 1 = best) or `score` (a number).
//!
//! Cities are matched to units by id, else by normalised name (see
//! [`normalise_name`]) within the same country, else by normalised name alone when
//! the row gives no country. Rows that match nothing, or more than one unit, are
//! reported with the reason, never dropped silently.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use cityrank_core::results::{Results, UnitResult};

/// What a published row gives.
#[derive(Debug, Clone, PartialEq)]
pub enum PublishedResult {
    /// A tier label, e.g. `top 10%`.
    Tier(String),
    /// A rank (1 = best).
    Rank(f64),
    /// A score.
    Score(f64),
}

/// One row of a published-results file.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedEntry {
    /// Line of the row in the file (the header is line 1).
    pub line: u64,
    /// Name of the ranking, e.g. `LAS Smart City Ranking`.
    pub ranking: String,
    /// Edition, usually a year, e.g. `2024`.
    pub edition: String,
    /// City name (or a unit id).
    pub city: String,
    /// ISO 3166-1 alpha-3 code of the city's country, if given.
    pub country: Option<String>,
    /// The published result.
    pub result: PublishedResult,
    /// Where the result was published.
    pub source: String,
}

/// A published-results file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedFile {
    /// The file, for messages.
    pub origin: String,
    /// Its rows, in file order.
    pub entries: Vec<PublishedEntry>,
}

#[derive(Debug, Deserialize)]
struct RawRow {
    ranking: String,
    edition: String,
    city: String,
    #[serde(default)]
    country_iso3: String,
    result_kind: String,
    result: String,
    #[serde(default)]
    source: String,
}

/// The rows of one published ranking and edition.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    /// Ranking name.
    pub ranking: String,
    /// Edition.
    pub edition: String,
    /// Whether the ranking was inferred from the run's edition rather than named.
    pub inferred: bool,
    /// The rows.
    pub entries: Vec<&'a PublishedEntry>,
}

impl PublishedFile {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<PublishedFile> {
        let bytes = cityrank_core::fsutil::read_file(path)
            .with_context(|| format!("cannot read published results `{}`", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!(
                "{}: not UTF-8 text; save the published ranking as \"CSV UTF-8\"",
                path.display()
            )
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a published-results CSV; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<PublishedFile> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .with_context(|| format!("{origin}: cannot read the header"))?
            .clone();
        for required in ["ranking", "edition", "city", "result_kind", "result"] {
            if !headers.iter().any(|h| h == required) {
                bail!(
                    "{origin}: no column `{required}`; a published-results file has the columns \
                     ranking,edition,city,country_iso3,result_kind,result,source"
                );
            }
        }
        let mut entries = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.with_context(|| format!("{origin}: record {}: malformed CSV row", i + 1))?;
            // The line the record starts on (blank lines and quoted line breaks count).
            let line = record.position().map_or(i as u64 + 2, csv::Position::line);
            let row: RawRow = record
                .deserialize(Some(&headers))
                .with_context(|| format!("{origin}: line {line}"))?;
            let number = |what: &str| -> Result<f64> {
                match row.result.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => bail!(
                        "{origin}: line {line}: result: expected a {what} (a number) for result_kind `{}`, got `{}`",
                        row.result_kind,
                        row.result
                    ),
                }
            };
            let result = match row.result_kind.as_str() {
                "tier" if row.result.is_empty() => bail!("{origin}: line {line}: result: a tier needs a label"),
                "tier" => PublishedResult::Tier(row.result.clone()),
                "rank" => {
                    let r = number("rank")?;
                    if r < 1.0 {
                        bail!(
                            "{origin}: line {line}: result: a rank is at least 1, got `{}`",
                            row.result
                        );
                    }
                    PublishedResult::Rank(r)
                }
                "score" => PublishedResult::Score(number("score")?),
                other => bail!("{origin}: line {line}: result_kind: expected tier, rank or score, got `{other}`"),
            };
            if row.city.is_empty() {
                bail!("{origin}: line {line}: city is empty");
            }
            entries.push(PublishedEntry {
                line,
                ranking: row.ranking,
                edition: row.edition,
                city: row.city,
                country: (!row.country_iso3.is_empty()).then_some(row.country_iso3),
                result,
                source: row.source,
            });
        }
        Ok(PublishedFile {
            origin: origin.to_string(),
            entries,
        })
    }

    /// The distinct (ranking, edition) pairs, in file order.
    pub fn rankings(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for e in &self.entries {
            if !out.iter().any(|(r, y)| *r == e.ranking && *y == e.edition) {
                out.push((e.ranking.clone(), e.edition.clone()));
            }
        }
        out
    }

    /// The rows of the published ranking that `results` is compared with.
    ///
    /// `ranking` and `edition` name it (ranking names compare case-insensitively).
    /// Without `edition`, the edition is the run's year. Without `ranking`, it is
    /// inferred: among the rankings with rows for that edition, the one whose
    /// distinctive name words (all but "smart", "city", "cities", "ranking",
    /// "index") best match the words of the run's edition id and name, when exactly
    /// one matches best.
    pub fn select(&self, ranking: Option<&str>, edition: Option<&str>, results: &Results) -> Result<Selection<'_>> {
        let year = results.edition.year.to_string();
        let edition = edition.unwrap_or(&year);
        let available = || {
            self.rankings()
                .iter()
                .map(|(r, y)| format!("{r} ({y})"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (name, inferred) = match ranking {
            Some(r) => {
                let found = self
                    .entries
                    .iter()
                    .find(|e| e.ranking.eq_ignore_ascii_case(r))
                    .map(|e| e.ranking.clone());
                match found {
                    Some(n) => (n, false),
                    None => bail!("{}: no ranking named `{r}`; the file has: {}", self.origin, available()),
                }
            }
            None => (self.infer_ranking(edition, results)?, true),
        };
        let entries: Vec<&PublishedEntry> = self
            .entries
            .iter()
            .filter(|e| e.ranking == name && e.edition == edition)
            .collect();
        if entries.is_empty() {
            let editions: Vec<String> = self
                .rankings()
                .into_iter()
                .filter(|(r, _)| *r == name)
                .map(|(_, y)| y)
                .collect();
            bail!(
                "{}: ranking `{name}` has no rows for edition {edition} (it has: {}); pass --published-edition",
                self.origin,
                editions.join(", ")
            );
        }
        Ok(Selection {
            ranking: name,
            edition: edition.to_string(),
            inferred,
            entries,
        })
    }

    fn infer_ranking(&self, edition: &str, results: &Results) -> Result<String> {
        const GENERIC: [&str; 5] = ["smart", "city", "cities", "ranking", "index"];
        let words = |s: &str| -> Vec<String> {
            normalise_words(s)
                .into_iter()
                .filter(|w| !GENERIC.contains(&w.as_str()))
                .collect()
        };
        let mut own = words(&results.edition.id);
        own.extend(words(&results.edition.name));
        let candidates: Vec<String> = self
            .rankings()
            .into_iter()
            .filter(|(_, y)| y == edition)
            .map(|(r, _)| r)
            .collect();
        let scored: Vec<(usize, &String)> = candidates
            .iter()
            .map(|r| (words(r).iter().filter(|w| own.contains(w)).count(), r))
            .collect();
        let best = scored.iter().map(|(s, _)| *s).max().unwrap_or(0);
        let winners: Vec<&String> = scored.iter().filter(|(s, _)| *s == best).map(|(_, r)| *r).collect();
        if best > 0 && winners.len() == 1 {
            return Ok(winners[0].clone());
        }
        let listed = if candidates.is_empty() {
            format!("it has no ranking for {edition}; it has: {}", {
                self.rankings()
                    .iter()
                    .map(|(r, y)| format!("{r} ({y})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        } else {
            format!("rankings of {edition}: {}", candidates.join(", "))
        };
        bail!(
            "{}: cannot tell which published ranking edition `{}` ({}) reproduces ({listed}); \
             pass --published-ranking NAME (and --published-edition YEAR)",
            self.origin,
            results.edition.id,
            results.edition.name
        )
    }
}

/// Lower-case words of `s` after [`normalise_name`]'s folding (no prefix removal).
fn normalise_words(s: &str) -> Vec<String> {
    fold(s).split_whitespace().map(str::to_string).collect()
}

/// Folds a name for comparison: lower case, accents removed (`é` → `e`, `ß` →
/// `ss`, transliteration dots such as `ḥ` → `h`), apostrophes and similar marks
/// dropped (`Sana'a` → `sanaa`), any other non-alphanumeric character a space.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if let Some(f) = fold_char(c) {
            out.push_str(f);
        } else if matches!(c, '\'' | '’' | '‘' | 'ʿ' | 'ʾ' | '`' | '´' | 'ʻ' | 'ʼ') {
            // dropped
        } else if c.is_alphanumeric() {
            out.push(c);
        } else {
            out.push(' ');
        }
    }
    out
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ạ' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' | 'ḍ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ẹ' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' | 'ḥ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ị' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ọ' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'ṣ' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' | 'ṭ' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ụ' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' | 'ẓ' => "z",
        _ => return None,
    })
}

/// The form of a city name used for matching: folded (lower case, accents
/// removed, apostrophes dropped, punctuation as spaces), words separated by one
/// space, and a leading Arabic article `Al`/`El` (`Al Ain`, `Al-Rayyan`,
/// `el-Jadida`) removed when more words follow.
///
/// ```
/// use cityrank_analysis::published::normalise_name;
/// assert_eq!(normalise_name("Al-Rayyan"), "rayyan");
/// assert_eq!(normalise_name("  SANA’A "), "sanaa");
/// assert_eq!(normalise_name("São Paulo"), "sao paulo");
/// ```
pub fn normalise_name(s: &str) -> String {
    let words = normalise_words(s);
    let start = usize::from(words.len() > 1 && matches!(words[0].as_str(), "al" | "el"));
    words[start..].join(" ")
}

/// How a published city was matched to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// The city column holds the unit's id.
    Id,
    /// Same normalised name, same country.
    NameAndCountry,
    /// Same normalised name (the row gives no country).
    Name,
}

/// A published city matched to a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedMatch {
    /// City as published.
    pub city: String,
    /// Country as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The published result (tier label, rank or score), as written.
    pub published: String,
    /// Id of the matched unit.
    pub unit: String,
    /// Its name.
    pub unit_name: String,
    /// How it was matched.
    pub matched_by: MatchedBy,
    /// The unit's rank in the method (null when unranked).
    pub rank: Option<u32>,
    /// The unit's tier in the method.
    pub tier: Option<String>,
    /// The unit's score in the method.
    pub score: Option<f64>,
}

/// A published city that matched no unit (or several).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedUnmatched {
    /// City as published.
    pub city: String,
    /// Country as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Why it was not matched.
    pub reason: String,
}

/// Agreement of tiers with the published ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedTiers {
    /// Matched cities with a published tier and a tier in the method.
    pub n: usize,
    /// Of those, cities in the same tier (labels compared after lower-casing and
    /// removing spaces; en dashes count as hyphens).
    pub same: usize,
    /// `same / n` (null when `n` is 0).
    pub share: Option<f64>,
    /// Whether any published label is one of the method's tier labels (if not,
    /// `same` is 0 by construction: the methods' tiers have other names).
    pub labels_match: bool,
    /// Confusion matrix: `counts[i][j]` cities published in tier `published[i]`
    /// and placed by the method in tier `method[j]`.
    pub confusion: Confusion,
    /// The other direction: the method's units in the tiers the published list
    /// covers (its labels), and how many of them the list names in the same tier.
    /// A list that names only the top tiers thus shows both what it confirms and
    /// what the method adds.
    pub method_in_listed_tiers: usize,
    /// Of `method_in_listed_tiers`, units published in the same tier.
    pub method_in_listed_tiers_same: usize,
    /// When every published label is a share of the ranking (`top 10%`, `10-30%`,
    /// `bottom 20%`): the method's ranks cut at those shares, compared with the
    /// published tiers. Independent of the method's own tiers (which may be by
    /// score, or have other labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_rank: Option<TiersByRank>,
}

/// The method's ranks cut into the published tiers' shares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TiersByRank {
    /// Matched cities ranked by the method.
    pub n: usize,
    /// Of those, cities whose rank falls in their published tier: rank ≤
    /// round(upper share × ranked units), as tiers by share are assigned (ties share
    /// the best rank, so they go to the better tier).
    pub same: usize,
    /// `same / n` (null when `n` is 0).
    pub share: Option<f64>,
    /// Published tier (rows) × tier by the method's rank (columns; the last column,
    /// `beyond`, holds ranks past the listed shares).
    pub confusion: Confusion,
}

/// A confusion matrix of tier labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confusion {
    /// Row labels (published tiers).
    pub published: Vec<String>,
    /// Column labels (the method's tiers).
    pub method: Vec<String>,
    /// `counts[row][column]`.
    pub counts: Vec<Vec<usize>>,
}

/// Agreement of ranks with the published ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedRanks {
    /// Matched cities with a published rank and a rank in the method.
    pub n: usize,
    /// Spearman's ρ of the published and the method's ranks (null when undefined).
    pub spearman: Option<f64>,
    /// Kendall's τ-b of the published and the method's ranks (null when undefined).
    pub kendall: Option<f64>,
}

/// Agreement of scores with the published ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedScores {
    /// Matched cities with a published score and a score in the method.
    pub n: usize,
    /// Pearson's r of the published and the method's scores (null when undefined).
    pub pearson: Option<f64>,
}

/// A method compared with a published ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishedComparison {
    /// Label of the method.
    pub method: String,
    /// Published ranking name.
    pub ranking: String,
    /// Published edition.
    pub edition: String,
    /// Whether the ranking was inferred from the method's edition (else named by flags).
    pub inferred: bool,
    /// Rows of the published ranking.
    pub rows: usize,
    /// Rows matched to a unit.
    pub matched: Vec<PublishedMatch>,
    /// Rows not matched, with the reason.
    pub unmatched: Vec<PublishedUnmatched>,
    /// Tier agreement, when the ranking publishes tiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<PublishedTiers>,
    /// Rank agreement, when it publishes ranks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranks: Option<PublishedRanks>,
    /// Score agreement, when it publishes scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scores: Option<PublishedScores>,
}

/// The share range `(from, to)` (fractions of the ranking, best first) that a tier
/// label names: `top 10%` → (0, 0.1), `10-30%` → (0.1, 0.3), `bottom 40%` → (0.6, 1).
pub fn share_range(label: &str) -> Option<(f64, f64)> {
    let key = tier_key(label);
    let body = key.strip_suffix('%')?;
    let pct = |x: &str| {
        x.parse::<f64>()
            .ok()
            .filter(|v| (0.0..=100.0).contains(v))
            .map(|v| v / 100.0)
    };
    if let Some(x) = body.strip_prefix("top") {
        return Some((0.0, pct(x)?));
    }
    if let Some(x) = body.strip_prefix("bottom") {
        return Some((1.0 - pct(x)?, 1.0));
    }
    let (a, b) = body.split_once('-')?;
    let (a, b) = (pct(a.trim_end_matches('%'))?, pct(b)?);
    (a < b).then_some((a, b))
}

fn tier_key(label: &str) -> String {
    label
        .to_lowercase()
        .replace(['–', '—'], "-")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Finds the unit a published row names (see the module documentation).
fn match_unit<'r>(entry: &PublishedEntry, results: &'r Results) -> Result<(&'r UnitResult, MatchedBy), String> {
    if let Some(u) = results.units.iter().find(|u| u.id.eq_ignore_ascii_case(&entry.city)) {
        return Ok((u, MatchedBy::Id));
    }
    let key = normalise_name(&entry.city);
    let same_name: Vec<&UnitResult> = results
        .units
        .iter()
        .filter(|u| normalise_name(&u.name) == key)
        .collect();
    let screened = || {
        results
            .screened_out
            .iter()
            .find(|s| normalise_name(&s.name) == key || s.id.eq_ignore_ascii_case(&entry.city))
            .map(|s| format!("unit `{}` was screened out by the methodology", s.id))
    };
    let (candidates, how): (Vec<&UnitResult>, MatchedBy) = match &entry.country {
        Some(c) => (
            same_name
                .iter()
                .copied()
                .filter(|u| u.country.as_deref().is_some_and(|uc| uc.eq_ignore_ascii_case(c)))
                .collect(),
            MatchedBy::NameAndCountry,
        ),
        None => (same_name.clone(), MatchedBy::Name),
    };
    match candidates.len() {
        1 => Ok((candidates[0], how)),
        0 if !same_name.is_empty() => Err(format!(
            "no unit named `{key}` in {}; units of that name: {}",
            entry.country.as_deref().unwrap_or("that country"),
            same_name
                .iter()
                .map(|u| format!("{} ({})", u.id, u.country.as_deref().unwrap_or("no country")))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        0 => Err(screened().unwrap_or_else(|| format!("no unit named `{key}` (normalised name)"))),
        _ => Err(format!(
            "ambiguous: units {} share the name",
            candidates.iter().map(|u| u.id.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// See [`PublishedTiers::by_rank`]; `labels` are the published tier labels.
fn tiers_by_rank(
    labels: &[String],
    pairs: &[(&PublishedEntry, &UnitResult)],
    results: &Results,
) -> Option<TiersByRank> {
    let mut ranges: Vec<(f64, f64, &String)> = Vec::new();
    for l in labels {
        let (from, to) = share_range(l)?;
        ranges.push((from, to, l));
    }
    ranges.sort_by(|a, b| a.1.total_cmp(&b.1));
    let ranked = results.units.iter().filter(|u| u.rank.is_some()).count() as f64;
    let mut columns: Vec<String> = ranges.iter().map(|r| r.2.clone()).collect();
    columns.push("beyond".to_string());
    let rows: Vec<String> = labels.to_vec();
    let mut counts = vec![vec![0usize; columns.len()]; rows.len()];
    let (mut n, mut same) = (0, 0);
    for (e, u) in pairs {
        let (PublishedResult::Tier(p), Some(rank)) = (&e.result, u.rank) else {
            continue;
        };
        let column = ranges
            .iter()
            .position(|r| f64::from(rank) <= (r.1 * ranked).round())
            .unwrap_or(ranges.len());
        let Some(row) = rows.iter().position(|l| tier_key(l) == tier_key(p)) else {
            continue;
        };
        n += 1;
        counts[row][column] += 1;
        if column < ranges.len() && tier_key(ranges[column].2) == tier_key(p) {
            same += 1;
        }
    }
    Some(TiersByRank {
        n,
        same,
        share: (n > 0).then(|| same as f64 / n as f64),
        confusion: Confusion {
            published: rows,
            method: columns,
            counts,
        },
    })
}

fn defined(r: Result<f64, cityrank_steps::StepError>) -> Option<f64> {
    r.ok().filter(|v| v.is_finite())
}

/// Compares `results` (labelled `label`) with the selected published rows.
pub fn compare(selection: &Selection<'_>, results: &Results, label: &str) -> PublishedComparison {
    let mut matched = Vec::new();
    let mut unmatched = Vec::new();
    // (entry, unit) pairs, a unit counted once.
    let mut pairs: Vec<(&PublishedEntry, &UnitResult)> = Vec::new();
    for entry in &selection.entries {
        match match_unit(entry, results) {
            Ok((unit, how)) => {
                if let Some((first, _)) = pairs.iter().find(|(_, u)| u.id == unit.id) {
                    unmatched.push(PublishedUnmatched {
                        city: entry.city.clone(),
                        country: entry.country.clone(),
                        reason: format!(
                            "unit `{}` is already matched by line {} (`{}`)",
                            unit.id, first.line, first.city
                        ),
                    });
                    continue;
                }
                pairs.push((entry, unit));
                matched.push(PublishedMatch {
                    city: entry.city.clone(),
                    country: entry.country.clone(),
                    published: match &entry.result {
                        PublishedResult::Tier(t) => t.clone(),
                        PublishedResult::Rank(r) | PublishedResult::Score(r) => r.to_string(),
                    },
                    unit: unit.id.clone(),
                    unit_name: unit.name.clone(),
                    matched_by: how,
                    rank: unit.rank,
                    tier: unit.tier.clone(),
                    score: unit.score,
                });
            }
            Err(reason) => unmatched.push(PublishedUnmatched {
                city: entry.city.clone(),
                country: entry.country.clone(),
                reason,
            }),
        }
    }

    // Tiers.
    let tier_pairs: Vec<(&str, &str)> = pairs
        .iter()
        .filter_map(|(e, u)| match (&e.result, &u.tier) {
            (PublishedResult::Tier(p), Some(m)) => Some((p.as_str(), m.as_str())),
            _ => None,
        })
        .collect();
    let any_tier = selection
        .entries
        .iter()
        .any(|e| matches!(e.result, PublishedResult::Tier(_)));
    let tiers = any_tier.then(|| {
        let method_labels: Vec<String> = results.tiers.iter().map(|t| t.label.clone()).collect();
        let method_keys: Vec<String> = method_labels.iter().map(|l| tier_key(l)).collect();
        // Published labels: the method's order first, then the others as they come.
        let mut published: Vec<String> = Vec::new();
        let listed: Vec<&str> = selection
            .entries
            .iter()
            .filter_map(|e| match &e.result {
                PublishedResult::Tier(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        for (k, l) in method_keys.iter().zip(&method_labels) {
            if listed.iter().any(|p| tier_key(p) == *k) && !published.contains(l) {
                published.push(l.clone());
            }
        }
        for p in &listed {
            if !published.iter().any(|q| tier_key(q) == tier_key(p)) {
                published.push(p.to_string());
            }
        }
        let mut counts = vec![vec![0usize; method_labels.len()]; published.len()];
        let mut same = 0;
        for (p, m) in &tier_pairs {
            let i = published.iter().position(|q| tier_key(q) == tier_key(p)).unwrap_or(0);
            if let Some(j) = method_keys.iter().position(|k| *k == tier_key(m))
                && let Some(row) = counts.get_mut(i)
            {
                row[j] += 1;
            }
            if tier_key(p) == tier_key(m) {
                same += 1;
            }
        }
        let labels_match = listed.iter().any(|p| method_keys.contains(&tier_key(p)));
        let listed_keys: Vec<String> = listed.iter().map(|p| tier_key(p)).collect();
        let in_listed: Vec<&UnitResult> = results
            .units
            .iter()
            .filter(|u| u.tier.as_deref().is_some_and(|t| listed_keys.contains(&tier_key(t))))
            .collect();
        let in_listed_same = in_listed
            .iter()
            .filter(|u| {
                pairs.iter().any(|(e, v)| {
                    v.id == u.id
                        && matches!(&e.result, PublishedResult::Tier(p)
                            if u.tier.as_deref().is_some_and(|t| tier_key(t) == tier_key(p)))
                })
            })
            .count();
        let by_rank = tiers_by_rank(&published, &pairs, results);
        PublishedTiers {
            n: tier_pairs.len(),
            same,
            share: (!tier_pairs.is_empty()).then(|| same as f64 / tier_pairs.len() as f64),
            labels_match,
            confusion: Confusion {
                published,
                method: method_labels,
                counts,
            },
            method_in_listed_tiers: in_listed.len(),
            method_in_listed_tiers_same: in_listed_same,
            by_rank,
        }
    });

    // Ranks and scores.
    let numeric = |want_rank: bool| -> Vec<(f64, f64)> {
        pairs
            .iter()
            .filter_map(|(e, u)| match (&e.result, want_rank) {
                (PublishedResult::Rank(r), true) => u.rank.map(|m| (*r, f64::from(m))),
                (PublishedResult::Score(s), false) => u.score.map(|m| (*s, m)),
                _ => None,
            })
            .collect()
    };
    let any_kind = |rank: bool| {
        selection.entries.iter().any(|e| {
            if rank {
                matches!(e.result, PublishedResult::Rank(_))
            } else {
                matches!(e.result, PublishedResult::Score(_))
            }
        })
    };
    let ranks = any_kind(true).then(|| {
        let v = numeric(true);
        let (p, m): (Vec<f64>, Vec<f64>) = v.iter().copied().unzip();
        PublishedRanks {
            n: v.len(),
            spearman: defined(cityrank_steps::analysis::spearman(&p, &m)),
            kendall: defined(cityrank_steps::analysis::kendall_tau_b(&p, &m)),
        }
    });
    let scores = any_kind(false).then(|| {
        let v = numeric(false);
        let (p, m): (Vec<f64>, Vec<f64>) = v.iter().copied().unzip();
        PublishedScores {
            n: v.len(),
            pearson: defined(cityrank_steps::analysis::pearson(&p, &m)),
        }
    });

    PublishedComparison {
        method: label.to_string(),
        ranking: selection.ranking.clone(),
        edition: selection.edition.clone(),
        inferred: selection.inferred,
        rows: selection.entries.len(),
        matched,
        unmatched,
        tiers,
        ranks,
        scores,
    }
}

/// Counts of published cities per tier label, for messages (label → count).
pub fn tier_counts(selection: &Selection<'_>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in &selection.entries {
        if let PublishedResult::Tier(t) = &e.result {
            *out.entry(t.clone()).or_insert(0) += 1;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_folded() {
        assert_eq!(normalise_name("Al Ain"), "ain");
        assert_eq!(normalise_name("al-Rayyan"), "rayyan");
        assert_eq!(normalise_name("El Jadida"), "jadida");
        assert_eq!(normalise_name("Al"), "al");
        assert_eq!(normalise_name("Sana'a"), "sanaa");
        assert_eq!(normalise_name("Sanaa"), "sanaa");
        assert_eq!(normalise_name("Hufuf-Mubarraz"), "hufuf mubarraz");
        assert_eq!(normalise_name("MÜNCHEN"), "munchen");
        assert_eq!(normalise_name("Ḥimṣ"), "hims");
        assert_eq!(normalise_name("Kuwait  City"), "kuwait city");
    }

    #[test]
    fn share_labels() {
        assert_eq!(share_range("top 10%"), Some((0.0, 0.1)));
        assert_eq!(share_range("10-30%"), Some((0.1, 0.3)));
        assert_eq!(share_range("10 – 30 %"), Some((0.1, 0.3)));
        assert_eq!(share_range("30%-60%"), Some((0.3, 0.6)));
        assert_eq!(share_range("Bottom 40%"), Some((0.6, 1.0)));
        assert_eq!(share_range("50-75% of max"), None);
        assert_eq!(share_range("gold"), None);
    }

    #[test]
    fn bad_rows_are_reported_with_their_line() {
        let text = "ranking,edition,city,country_iso3,result_kind,result,source\nR,2024,A,AAA,rank,first,s\n";
        let e = PublishedFile::parse(text, "p.csv").unwrap_err().to_string();
        assert!(e.contains("p.csv: line 2: result: expected a rank"), "{e}");
        let text = "ranking,edition,city,country_iso3,result_kind,result,source\nR,2024,A,AAA,medal,gold,s\n";
        let e = PublishedFile::parse(text, "p.csv").unwrap_err().to_string();
        assert!(e.contains("result_kind: expected tier, rank or score"), "{e}");
        let e = PublishedFile::parse("ranking,city\n", "p.csv").unwrap_err().to_string();
        assert!(e.contains("no column `edition`"), "{e}");
    }
}
