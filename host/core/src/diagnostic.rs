//! Where a problem is in a TOML document: key paths turned into `file:line:column`,
//! and array elements named by their id.
//!
//! The checks of a document (its schema, then what a schema cannot say) speak in
//! key paths (`indicators[1].weight`), the only form that exists for every
//! document. An author wants the line to edit and the indicator's name. [`Source`]
//! keeps a document's text and finds a key path in it with `toml`'s spanned
//! parser; [`Source::render`] rewrites a problem line
//! `indicators[1].wieght: 'wieght' was unexpected` as
//! `methodology.toml:57:1: indicator `egov`: 'wieght' was unexpected`.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A key of a table.
    Key(String),
    /// An element of an array (0-based).
    Index(usize),
}

/// Parses a key path (`indicators[2].ladder[0].min`, `(top level)`) into segments;
/// `None` when `text` is not a key path.
pub fn parse_path(text: &str) -> Option<Vec<Segment>> {
    if text == "(top level)" {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    for part in text.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(p) => (&part[..p], &part[p..]),
            None => (part, ""),
        };
        if key.is_empty() || !key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-') {
            return None;
        }
        out.push(Segment::Key(key.to_string()));
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            out.push(Segment::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A TOML document's text and the name to report it by (a file path, or e.g.
/// `manifest of plugin x.wasm`).
#[derive(Debug, Clone)]
pub struct Source {
    /// What to call the document in messages (usually its path).
    pub name: String,
    /// Its text.
    pub text: String,
}

/// A place in a document: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
}

impl Source {
    /// A TOML syntax error in this document, bounded whatever the text: `name:line:
    /// column: invalid TOML: message`, then the line clipped to about 80
    /// characters around the column, with a caret under it (control characters
    /// shown escaped). The parser's own rendering quotes the whole line, which a
    /// generated or hostile document (a plugin's manifest) can make any length
    /// and fill with terminal escape sequences.
    pub fn toml_error(&self, e: &toml::de::Error) -> String {
        const SIDE: usize = 40;
        let message: String = e.message().trim().chars().take(300).collect();
        let message = escape_controls(&message);
        let Some(span) = e.span() else {
            return format!("{}: invalid TOML: {message}", self.name);
        };
        let at = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let place = self.place(at);
        let line_start = self.text[..at].rfind('\n').map_or(0, |p| p + 1);
        let line_end = self.text[at..].find('\n').map_or(self.text.len(), |p| at + p);
        let line = self.text[line_start..line_end].trim_end_matches('\r');
        let chars: Vec<char> = line.chars().collect();
        let column = place.column - 1;
        let from = column.saturating_sub(SIDE);
        let to = (column + SIDE).min(chars.len());
        let shown: String = chars[from.min(to)..to].iter().collect();
        let (before, after) = (if from > 0 { "…" } else { "" }, if to < chars.len() { "…" } else { "" });
        // The caret under the column: the shown text's escapes may be wider than a character.
        let lead = escape_controls(
            &chars[from.min(column.min(to))..column.min(to)]
                .iter()
                .collect::<String>(),
        );
        format!(
            "{}:{}:{}: invalid TOML: {message}\n  | {before}{}{after}\n  | {}{}^",
            self.name,
            place.line,
            place.column,
            escape_controls(&shown),
            " ".repeat(before.chars().count()),
            " ".repeat(lead.chars().count())
        )
    }

    /// A document named `name` with text `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }

    /// The line and column of byte `offset`.
    pub fn place(&self, offset: usize) -> Place {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |p| p + 1);
        Place {
            line,
            column: before[start..].chars().count() + 1,
        }
    }

    /// The byte span of the value at `path`, or of the deepest part of it that
    /// exists (a missing key points at its table). `None` when the text is not TOML.
    pub fn span(&self, path: &[Segment]) -> Option<Range<usize>> {
        let root = DeTable::parse(&self.text).ok()?;
        let mut span = root.span();
        // A table's span may start at its header (`[[indicators]]`); that is the
        // place an author looks for.
        let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
        let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
        for seg in path {
            let next: Option<&Spanned<DeValue<'_>>> = match seg {
                Segment::Key(k) => table.and_then(|t| t.iter().find(|(key, _)| key.get_ref() == k).map(|(_, v)| v)),
                Segment::Index(i) => array.and_then(|a| a.get(*i)),
            };
            let Some(value) = next else { break };
            span = value.span();
            table = None;
            array = None;
            match value.get_ref() {
                DeValue::Table(t) => table = Some(t),
                DeValue::Array(a) => array = Some(&a[..]),
                _ => {}
            }
        }
        Some(span)
    }

    /// The span of key `key` itself inside the table at `path` (for an unexpected key).
    pub fn key_span(&self, path: &[Segment], key: &str) -> Option<Range<usize>> {
        let root = DeTable::parse(&self.text).ok()?;
        let mut table: &DeTable<'_> = root.get_ref();
        let mut value: Option<&Spanned<DeValue<'_>>> = None;
        for seg in path {
            let next = match (seg, value.map(Spanned::get_ref)) {
                (Segment::Key(k), None) => table.iter().find(|(kk, _)| kk.get_ref() == k).map(|(_, v)| v),
                (Segment::Key(k), Some(DeValue::Table(t))) => {
                    t.iter().find(|(kk, _)| kk.get_ref() == k).map(|(_, v)| v)
                }
                (Segment::Index(i), Some(DeValue::Array(a))) => a.get(*i),
                _ => None,
            }?;
            value = Some(next);
            if let DeValue::Table(t) = next.get_ref() {
                table = t;
            }
        }
        if let Some(v) = value
            && !matches!(v.get_ref(), DeValue::Table(_))
        {
            return None;
        }
        table.iter().find(|(k, _)| k.get_ref() == key).map(|(k, _)| k.span())
    }

    /// The byte offset in the file of character `offset` (a byte offset into the
    /// decoded string) of the string value at `path`. When the string has escapes
    /// before `offset`, the offset of the string's start.
    pub fn string_offset(&self, path: &[Segment], offset: usize) -> Option<usize> {
        let span = self.span(path)?;
        let raw = self.text.get(span.clone())?;
        let (open, close) = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            (3, 3)
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            (1, 1)
        } else {
            return Some(span.start);
        };
        let literal = raw.starts_with('\'');
        let mut start = span.start + open;
        let mut body = raw.get(open..raw.len().saturating_sub(close))?;
        // A multi-line string drops a newline right after its opening quotes.
        if open == 3 {
            for nl in ["\r\n", "\n"] {
                if let Some(rest) = body.strip_prefix(nl) {
                    start += nl.len();
                    body = rest;
                    break;
                }
            }
        }
        let prefix = body.get(..offset.min(body.len()))?;
        if !literal && prefix.contains('\\') {
            return Some(span.start);
        }
        Some(start + offset.min(body.len()))
    }

    /// How to name the place of `path` for an author: array elements that have an
    /// `id` (or a `label`, or a `name`) are named by it (`indicator `egov``), the
    /// rest of the path follows. `indicators[1].weight` → ``indicator `egov`: weight``.
    pub fn describe_path(&self, path: &[Segment]) -> String {
        let Ok(root) = DeTable::parse(&self.text) else {
            return render_path(path);
        };
        let mut out: Vec<String> = Vec::new();
        let mut plain: Vec<Segment> = Vec::new();
        let mut value: Option<&DeValue<'_>> = None;
        let mut table: &DeTable<'_> = root.get_ref();
        for (k, seg) in path.iter().enumerate() {
            let next = match (seg, value) {
                (Segment::Key(key), None) => table.iter().find(|(kk, _)| kk.get_ref() == key).map(|(_, v)| v),
                (Segment::Key(key), Some(DeValue::Table(t))) => {
                    t.iter().find(|(kk, _)| kk.get_ref() == key).map(|(_, v)| v)
                }
                (Segment::Index(i), Some(DeValue::Array(a))) => a.get(*i),
                _ => None,
            };
            let Some(next) = next else {
                plain.extend(path[k..].iter().cloned());
                break;
            };
            plain.push(seg.clone());
            if let (Segment::Index(_), DeValue::Table(t)) = (seg, next.get_ref())
                && let Some(name) = element_name(t)
                && let Some(Segment::Key(array)) = plain.iter().rev().nth(1).cloned()
            {
                plain.truncate(plain.len() - 2);
                if !plain.is_empty() {
                    out.push(render_path(&plain));
                    plain.clear();
                }
                out.push(format!("{} `{name}`", singular(&array)));
            }
            if let DeValue::Table(t) = next.get_ref() {
                table = t;
            }
            value = Some(next.get_ref());
        }
        if !plain.is_empty() {
            out.push(render_path(&plain));
        }
        if out.is_empty() {
            "(top level)".to_string()
        } else {
            out.join(": ")
        }
    }

    /// Rewrites one problem line that starts with a key path (`path: message`) as
    /// `name:line:column: place: message`; other lines get `name: ` in front.
    pub fn render(&self, problem: &str) -> String {
        let Some((head, message)) = problem.split_once(": ") else {
            return format!("{}: {problem}", self.name);
        };
        let Some(path) = parse_path(head) else {
            return format!("{}: {problem}", self.name);
        };
        // An unexpected key is reported at its table: point at the key itself.
        let offset = unexpected_key(message)
            .and_then(|key| self.key_span(&path, key))
            .or_else(|| self.span(&path))
            .map(|s| s.start);
        match offset {
            Some(o) => self.render_at(&path, o, message),
            None => format!("{}: {problem}", self.name),
        }
    }

    /// `name:line:column: place: message` for byte `offset` of the file, the place
    /// being the author's name for `path` (see [`Source::describe_path`]).
    pub fn render_at(&self, path: &[Segment], offset: usize, message: &str) -> String {
        let p = self.place(offset);
        format!(
            "{}:{}:{}: {}: {message}",
            self.name,
            p.line,
            p.column,
            self.describe_path(path)
        )
    }
}

/// The key named by jsonschema's "'x' was unexpected" (the first of several).
fn unexpected_key(message: &str) -> Option<&str> {
    if !message.contains("unexpected") {
        return None;
    }
    // "'wieght' is not a key here (unexpected); did you mean …"
    if let Some(rest) = message.strip_prefix('\'') {
        return rest.find('\'').map(|end| &rest[..end]);
    }
    let start = message.find('\'')? + 1;
    let end = start + message[start..].find('\'')?;
    Some(&message[start..end])
}

fn element_name<'a>(t: &'a DeTable<'_>) -> Option<&'a str> {
    ["id", "label", "name"].iter().find_map(|field| {
        t.iter()
            .find(|(k, _)| k.get_ref() == field)
            .and_then(|(_, v)| match v.get_ref() {
                DeValue::String(s) => Some(s.as_ref()),
                _ => None,
            })
    })
}

/// `indicators` → `indicator`, `nodes` → `node`, `sources` → `source`.
fn singular(array: &str) -> &str {
    array.strip_suffix('s').unwrap_or(array)
}

/// "did you mean `a` or `b`?" for the `candidates` close to `name` (at most `max`),
/// or `None` when none is close.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>, max: usize) -> Option<String> {
    let close = cityrank_formula::closest(name, candidates, max);
    (!close.is_empty()).then(|| {
        format!(
            "did you mean {}?",
            close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" or ")
        )
    })
}

/// "; did you mean `name`?" for the entries of the directory `path` names that are
/// close to its last component (a misspelt file or folder), or "" when none is
/// or the directory cannot be read.
pub fn did_you_mean_path(path: &std::path::Path) -> String {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return String::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return String::new();
    };
    let mut names: Vec<String> = entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    did_you_mean(name, names.iter().map(String::as_str), 2).map_or(String::new(), |h| format!("; {h}"))
}

/// Fails with every problem of one document (`origin`), each already rendered
/// at its place (see [`Source::render`]): one problem as it is, several under a
/// count. `Ok` when there are none.
pub fn bail_all(origin: &str, problems: Vec<String>) -> anyhow::Result<()> {
    match problems.as_slice() {
        [] => Ok(()),
        [one] => Err(anyhow::anyhow!("{one}")),
        many => Err(anyhow::anyhow!(
            "{origin}: {} problems:\n  {}",
            many.len(),
            many.join("\n  ")
        )),
    }
}

/// Renders segments as a key path.
pub fn render_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { "(top level)".into() } else { out }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A name that foreign code gave (a plugin's column id or unit id), as it may
/// be shown: control characters escaped and cut after 100 characters, saying how
/// many bytes were cut (a plugin can return ids of any length and content).
pub fn shown_name(name: &str) -> String {
    const MAX: usize = 100;
    match name.char_indices().nth(MAX) {
        None => escape_controls(name),
        Some((cut, _)) => format!("{}… ({} more bytes)", escape_controls(&name[..cut]), name.len() - cut),
    }
}

/// `text` with control characters (terminal escapes, carriage returns, tabs)
/// written as escapes (`\u{1b}`), so that showing it cannot move the cursor or
/// clear the screen.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "schema_version = 1\nid = \"m\"\n\n[[indicators]]\nid = \"gdp\"\nweight = 2\n\n[[indicators]]\nid = \"egov\"\nwieght = 1\nformula = \"a / bb * 1000\"\nladder = [\n  { points = 1, min = 0 },\n]\n";

    #[test]
    fn key_paths_parse() {
        assert_eq!(
            parse_path("indicators[1].ladder[0].min"),
            Some(vec![
                Segment::Key("indicators".into()),
                Segment::Index(1),
                Segment::Key("ladder".into()),
                Segment::Index(0),
                Segment::Key("min".into()),
            ])
        );
        assert_eq!(parse_path("(top level)"), Some(vec![]));
        assert_eq!(parse_path("not a path"), None);
        assert_eq!(parse_path("a[x]"), None);
    }

    #[test]
    fn problems_get_line_column_and_ids() {
        let src = Source::new("methodology.toml", MANIFEST);
        // `wieght` is on line 10, column 1.
        assert_eq!(
            src.render("indicators[1]: Additional properties are not allowed ('wieght' was unexpected)"),
            "methodology.toml:10:1: indicator `egov`: Additional properties are not allowed ('wieght' was unexpected)"
        );
        // The weight of the first indicator: line 6, column 10 (the value).
        assert_eq!(
            src.render("indicators[0].weight: 2 is too large"),
            "methodology.toml:6:10: indicator `gdp`: weight: 2 is too large"
        );
        // The value of `min` in the inline table of the second indicator's ladder:
        // `  { points = 1, min = 0 },` has the `0` at column 23 of line 13.
        assert_eq!(
            src.render("indicators[1].ladder[0].min: bad"),
            "methodology.toml:13:23: indicator `egov`: ladder[0].min: bad"
        );
        assert_eq!(src.render("no path here"), "methodology.toml: no path here");
    }

    #[test]
    fn offsets_inside_strings_map_to_the_file() {
        let src = Source::new("m.toml", MANIFEST);
        let path = parse_path("indicators[1].formula").unwrap_or_default();
        // `bb` starts at byte 4 of the formula; the formula starts at column 12 of line 11.
        let at = src.string_offset(&path, 4).unwrap_or_default();
        assert_eq!(src.place(at), Place { line: 11, column: 16 });
        let multi = Source::new("m.toml", "f = \"\"\"\nab + c\"\"\"\n");
        let at = multi.string_offset(&[Segment::Key("f".into())], 5).unwrap_or_default();
        assert_eq!(multi.place(at), Place { line: 2, column: 6 });
    }
}
