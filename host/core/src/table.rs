//! Reading a dataset's table: CSV in the dialect its description declares, or a
//! sheet of an Excel or OpenDocument workbook (calamine).
//!
//! Both become a [`RawTable`]: a header and rows of typed [`Cell`]s, each row
//! knowing where it came from (a CSV line, counted by line breaks so that CRLF,
//! blank lines and quoted line breaks number as an editor does; or a sheet row).
//! Rows whose cells are all empty (blank lines, Excel's "ghost" rows of commas)
//! hold nothing and are skipped. Checking the cells against the description is
//! the dataset's job; this module only reads, and says so when a file is not what
//! it was declared to be (a workbook named `.csv`, another encoding, another
//! delimiter).

use std::io::{Cursor, Read};
use std::path::Path;

use anyhow::{Result, anyhow, bail};

/// One cell as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Empty, or one of the declared missing-value tokens.
    Empty,
    /// Text (trimmed): CSV cells, and text cells of a workbook (up to 24 bytes
    /// kept inline: most cells are numbers written as text).
    Text(compact_str::CompactString),
    /// A number cell of a workbook.
    Number(f64),
    /// An error cell of a workbook (`#DIV/0!`, `#N/A`, …).
    Error(String),
}

/// Where the rows of a table come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A CSV file.
    Csv,
    /// A sheet of a workbook (its name).
    Sheet(String),
}

/// A header and rows of cells. A CSV's rows are read one at a time, as they
/// are asked for ([`RawTable::next_row`]), so that a large file is never held as
/// cells (13,000 rows × 212 columns would take 84 MB as cells, four times the
/// file); a sheet's rows are read with the sheet.
pub struct RawTable<'a> {
    /// The file, as named in messages.
    pub file: String,
    /// CSV or which sheet.
    pub origin: Origin,
    /// Column names (trimmed).
    pub header: Vec<String>,
    /// The rows not yet read.
    rows: Rows<'a>,
    /// First column of the sheet's used range (0-based), for cell names.
    first_column: usize,
    /// The CSV line or sheet row (1-based) of the header.
    header_line: usize,
    /// A workbook's SHA-256, when it was opened from its path ([`open`]).
    sha256: Option<String>,
}

impl std::fmt::Debug for RawTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawTable")
            .field("file", &self.file)
            .field("origin", &self.origin)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// Where a table's rows come from.
enum Rows<'a> {
    /// Read from the CSV text as asked for.
    Csv(Box<CsvRows<'a>>),
    /// Read with the sheet.
    Sheet(std::vec::IntoIter<RawRow>),
}

/// The rows of CSV text after its header.
struct CsvRows<'a> {
    reader: csv::Reader<CsvSource<'a>>,
    record: csv::StringRecord,
    lines: LineIndex,
    missing: Vec<String>,
    /// Whether the last record was read (the source is at its end).
    done: bool,
}

/// Where CSV bytes come from: bytes in memory, or a file whose bytes are hashed
/// as the parser reads them (so that the hash is of what was read, and the file
/// is never held whole: 13,000 rows × 212 columns is 21 MB of text).
enum CsvSource<'a> {
    Bytes(&'a [u8]),
    File {
        file: std::fs::File,
        hasher: sha2::Sha256,
        /// The SHA-256 of the bytes the scan read: the parse must read the same.
        scanned: [u8; 32],
    },
}

impl Read for CsvSource<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            CsvSource::Bytes(bytes) => bytes.read(buf),
            CsvSource::File { file, hasher, .. } => {
                let n = file.read(buf)?;
                sha2::Digest::update(hasher, &buf[..n]);
                Ok(n)
            }
        }
    }
}

/// The byte offsets (after a byte-order mark) of a CSV text's line breaks, found
/// before it is parsed: line numbers as an editor counts them (a line is what
/// ends with `\n`: CRLF, blank lines and line breaks inside quotes count) without
/// holding the text. 8 bytes per line break (16 for CRLF).
#[derive(Default)]
struct LineIndex {
    /// Offsets of every `\n`.
    newlines: Vec<u64>,
    /// Offsets of every `\r`.
    returns: Vec<u64>,
}

impl LineIndex {
    /// The line (1-based) of the record at byte `byte`: the csv reader places a
    /// record where the previous one ended (before its line break, and before any
    /// blank lines), so line breaks are stepped over to its first byte.
    fn line_of(&self, byte: u64) -> usize {
        let mut at = byte;
        while self.newlines.binary_search(&at).is_ok() || self.returns.binary_search(&at).is_ok() {
            at += 1;
        }
        self.newlines.partition_point(|&n| n < at) + 1
    }
}

impl CsvRows<'_> {
    /// The next record with something in it, trimmed, and its line.
    fn next_record(&mut self, file: &str) -> Result<Option<(usize, Vec<&str>)>> {
        loop {
            let more = self.reader.read_record(&mut self.record).map_err(|e| {
                let line = e.position().map_or(0, |p| self.lines.line_of(p.byte()));
                anyhow!("{file}: line {line}: not valid CSV: {e}")
            })?;
            if !more {
                self.done = true;
                if let CsvSource::File { hasher, scanned, .. } = self.reader.get_ref()
                    && sha2::Digest::finalize(hasher.clone()).as_slice() != scanned
                {
                    bail!("{file}: the file changed while it was read; run again when nothing is writing to it");
                }
                return Ok(None);
            }
            if self.record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let line = self.record.position().map_or(0, |p| self.lines.line_of(p.byte()));
            return Ok(Some((line, self.record.iter().map(str::trim).collect())));
        }
    }
}

/// One row of a [`RawTable`].
#[derive(Debug, Clone)]
pub struct RawRow {
    /// The CSV line the row starts on, or the sheet's row number (both 1-based).
    pub line: usize,
    /// One cell per column of the header (short rows are padded with
    /// [`Cell::Empty`]; see [`RawRow::fields`]).
    pub cells: Vec<Cell>,
    /// How many fields the row had as written.
    pub fields: usize,
}

impl RawTable<'_> {
    /// The next row with something in it (file order), `None` after the last.
    ///
    /// # Errors
    /// CSV the reader cannot read, at its line (an unclosed quote is not one:
    /// it takes in the rest of the file as one field, which the dataset finds
    /// as a row with too few fields).
    pub fn next_row(&mut self) -> Result<Option<RawRow>> {
        let width = self.header.len();
        match &mut self.rows {
            Rows::Sheet(rows) => Ok(rows.next()),
            Rows::Csv(csv) => {
                let missing = std::mem::take(&mut csv.missing);
                let row = csv.next_record(&self.file).map(|r| {
                    r.map(|(line, cells)| {
                        let fields = cells.len();
                        let mut cells: Vec<Cell> = cells
                            .iter()
                            .map(|c| {
                                if c.is_empty() || missing.iter().any(|m| m == c) {
                                    Cell::Empty
                                } else {
                                    Cell::Text(compact_str::CompactString::from(*c))
                                }
                            })
                            .collect();
                        cells.resize(width.max(cells.len()), Cell::Empty);
                        RawRow { line, cells, fields }
                    })
                });
                csv.missing = missing;
                row
            }
        }
    }

    /// At most how many rows are left (for reserving memory).
    pub fn rows_left(&self) -> usize {
        match &self.rows {
            Rows::Sheet(rows) => rows.len(),
            Rows::Csv(csv) => csv.lines.newlines.len() + 1,
        }
    }

    /// Every row left, read now.
    ///
    /// # Errors
    /// As [`RawTable::next_row`].
    pub fn rows(&mut self) -> Result<Vec<RawRow>> {
        let mut rows = Vec::new();
        while let Some(r) = self.next_row()? {
            rows.push(r);
        }
        Ok(rows)
    }

    /// Where row `row` is: `line 14` or `sheet cities, row 14`.
    pub fn row_place(&self, row: &RawRow) -> String {
        match &self.origin {
            Origin::Csv => format!("line {}", row.line),
            Origin::Sheet(s) => format!("sheet {s}, row {}", row.line),
        }
    }

    /// Where a cell is: `line 14, column `x`` or `cities!D14 (column `x`)`.
    pub fn cell_place(&self, row: &RawRow, col: usize) -> String {
        let name = self.header.get(col).map_or("?", String::as_str);
        match &self.origin {
            Origin::Csv => format!("line {}, column `{name}`", row.line),
            Origin::Sheet(s) => format!(
                "{}!{}{} (column `{name}`)",
                sheet_ref(s),
                column_letters(self.first_column + col),
                row.line
            ),
        }
    }

    /// Where the header's column `col` is named: `line 1` of a CSV, or the cell
    /// `cell cities!F1` of a sheet.
    pub fn header_place(&self, col: usize) -> String {
        match &self.origin {
            Origin::Csv => format!("line {}", self.header_line),
            Origin::Sheet(s) => format!(
                "cell {}!{}{}",
                sheet_ref(s),
                column_letters(self.first_column + col),
                self.header_line
            ),
        }
    }

    /// The SHA-256 (hex) of the file's bytes, for a table opened from its path
    /// ([`open`]): a workbook's at once, a CSV file's once every row has been read
    /// (its bytes are hashed as they are parsed). `None` for a table read from
    /// bytes (their reader knows them) and for a CSV file not read to its end.
    pub fn sha256(&self) -> Option<String> {
        match &self.rows {
            Rows::Sheet(_) => self.sha256.clone(),
            Rows::Csv(csv) => match csv.reader.get_ref() {
                CsvSource::File { hasher, .. } if csv.done => Some(hex::encode(sha2::Digest::finalize(hasher.clone()))),
                _ => None,
            },
        }
    }

    /// The file's name without its directory, as a person calls it (`cities.xlsx`).
    pub fn file_name(&self) -> &str {
        Path::new(&self.file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&self.file)
    }
}

/// How a CSV file is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialect {
    /// The field separator (`,` by default; `;` as European Excel writes).
    pub delimiter: u8,
    /// The decimal separator of numbers (`.` by default, or `,`).
    pub decimal: char,
    /// Cell texts that mean "missing" besides an empty cell (e.g. `NA`, `..`).
    pub missing: Vec<String>,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            decimal: '.',
            missing: Vec::new(),
        }
    }
}

/// Whether `path` names a workbook (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`, `.ods`).
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["xlsx", "xlsm", "xlsb", "xls", "ods"].contains(&e.to_ascii_lowercase().as_str()))
}

/// Reads `bytes` of the file `file` (named in messages): a workbook when `path`
/// has a workbook's extension (`sheet`: which one, default the first), CSV in
/// `dialect` otherwise. Errors name the file and the place, and say what to do.
pub fn read<'a>(bytes: &'a [u8], path: &Path, sheet: Option<&str>, dialect: &Dialect) -> Result<RawTable<'a>> {
    let file = path.display().to_string();
    if is_workbook(path) {
        read_workbook(bytes, &file, sheet, &dialect.missing)
    } else {
        if let Some(s) = sheet {
            bail!(
                "{file}: `sheet = \"{s}\"` is for workbooks, but this file is read as CSV; remove `sheet`, or name \
                 the workbook file (`.xlsx`, `.ods`)"
            );
        }
        read_csv(bytes, &file, dialect)
    }
}

/// Opens the file at `path` (named in messages as written): a workbook (read
/// whole, as calamine needs) when it has a workbook's extension, CSV in `dialect`
/// otherwise, read from the file as the rows are asked for (the file is scanned
/// once for its line breaks and encoding, then parsed and hashed in a second
/// pass; neither holds it whole). [`RawTable::sha256`] gives the file's hash.
///
/// # Errors
/// The file cannot be read (the I/O error), or as [`read`].
pub fn open(path: &Path, sheet: Option<&str>, dialect: &Dialect) -> Result<RawTable<'static>> {
    let file = path.display().to_string();
    let cannot = |e: std::io::Error| anyhow!("cannot read `{file}`: {e}");
    let mut input = std::fs::File::open(path).map_err(cannot)?;
    // A device or a pipe (`/dev/zero`) would be read for ever.
    if !input.metadata().map_err(cannot)?.is_file() {
        bail!("{file}: not a regular file (a directory, a device or a pipe); name a data file");
    }
    if is_workbook(path) {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes).map_err(cannot)?;
        let mut table = read_workbook(&bytes, &file, sheet, &dialect.missing)?;
        table.sha256 = Some(crate::digest::sha256_hex(&bytes));
        return Ok(table);
    }
    if let Some(s) = sheet {
        bail!(
            "{file}: `sheet = \"{s}\"` is for workbooks, but this file is read as CSV; remove `sheet`, or name \
             the workbook file (`.xlsx`, `.ods`)"
        );
    }
    // One handle for both passes; the parse checks that it read what the scan did.
    let (bom, lines, scanned) = scan(&mut input, &file)?;
    std::io::Seek::rewind(&mut input).map_err(cannot)?;
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    if bom {
        let mut mark = [0u8; 3];
        input.read_exact(&mut mark).map_err(cannot)?;
        sha2::Digest::update(&mut hasher, mark);
    }
    csv_table(
        CsvSource::File {
            file: input,
            hasher,
            scanned,
        },
        lines,
        &file,
        dialect,
    )
}

/// Reads CSV text in `dialect`: its header now, its rows as they are asked for.
fn read_csv<'a>(bytes: &'a [u8], file: &str, dialect: &Dialect) -> Result<RawTable<'a>> {
    let (bom, lines, _) = scan(bytes, file)?;
    let text = if bom { &bytes[BOM.len()..] } else { bytes };
    csv_table(CsvSource::Bytes(text), lines, file, dialect)
}

/// A CSV table over `source` (after any byte-order mark), its header read.
fn csv_table<'a>(source: CsvSource<'a>, lines: LineIndex, file: &str, dialect: &Dialect) -> Result<RawTable<'a>> {
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(dialect.delimiter)
        .from_reader(source);
    let mut rows = CsvRows {
        reader,
        record: csv::StringRecord::new(),
        lines,
        missing: dialect.missing.clone(),
        done: false,
    };
    let (header_line, header) = match rows.next_record(file)? {
        Some((line, cells)) => (line, cells.iter().map(|c| c.to_string()).collect::<Vec<String>>()),
        None => bail!("{file}: the file is empty: it has no header row"),
    };
    check_delimiter(&header, file, dialect)?;
    Ok(RawTable {
        file: file.to_string(),
        origin: Origin::Csv,
        header,
        rows: Rows::Csv(Box::new(rows)),
        first_column: 0,
        header_line,
        sha256: None,
    })
}

/// UTF-8's byte-order mark, which Excel writes at the start of "CSV UTF-8".
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads CSV bytes once, in blocks: says when they are not CSV text (a workbook,
/// UTF-16, not UTF-8: at its line, with the fix), whether a byte-order mark
/// starts them, where their line breaks are (offsets after the mark), and their
/// SHA-256 (mark included).
fn scan(mut input: impl Read, file: &str) -> Result<(bool, LineIndex, [u8; 32])> {
    let io = |e: std::io::Error| anyhow!("cannot read `{file}`: {e}");
    let mut block = vec![0u8; 1 << 16];
    let mut filled = fill(&mut input, &mut block).map_err(io)?;
    let start = &block[..filled];
    if start.starts_with(b"PK\x03\x04") {
        bail!(
            "{file}: this is a workbook (Excel .xlsx or OpenDocument .ods: a zip file), not CSV text; name it with its \
             own extension in the dataset description (`file = \"….xlsx\"`, and `sheet = \"…\"` if the data is not \
             on the first sheet)"
        );
    }
    if start.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        bail!("{file}: this is an old Excel workbook (.xls), not CSV text; name it `….xls` in the dataset description");
    }
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) {
        bail!(
            "{file}: the file is UTF-16 text (as Excel's \"Unicode text\" writes it); save it as \"CSV UTF-8\" or \
             convert it (`iconv -f UTF-16 -t UTF-8`)"
        );
    }
    let bom = start.starts_with(BOM);
    let mut lines = LineIndex::default();
    // Offset (after the mark) of the block's first byte; a UTF-8 sequence cut by
    // the block's end is carried to the next.
    let mut offset: u64 = 0;
    let mut carried: Vec<u8> = Vec::new();
    let mut skip = if bom { BOM.len() } else { 0 };
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    while filled > 0 {
        sha2::Digest::update(&mut hasher, &block[..filled]);
        let bytes = &block[skip..filled];
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let list = if bytes[at] == b'\n' {
                &mut lines.newlines
            } else {
                &mut lines.returns
            };
            list.push(offset + at as u64);
        }
        let start_of_text = offset - carried.len() as u64;
        carried.extend_from_slice(bytes);
        match std::str::from_utf8(&carried) {
            Ok(_) => carried.clear(),
            Err(e) if e.error_len().is_none() => {
                carried.drain(..e.valid_up_to());
            }
            Err(e) => {
                return Err(not_utf8(
                    &lines,
                    start_of_text + e.valid_up_to() as u64,
                    carried[e.valid_up_to()],
                    file,
                ));
            }
        }
        offset += bytes.len() as u64;
        skip = 0;
        filled = fill(&mut input, &mut block).map_err(io)?;
    }
    if let Some(&byte) = carried.first() {
        return Err(not_utf8(&lines, offset - carried.len() as u64, byte, file));
    }
    Ok((bom, lines, sha2::Digest::finalize(hasher).into()))
}

/// Reads into `buf` until it is full or the input ends; how many bytes were read.
fn fill(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The error for a byte that is not UTF-8, at offset `at` (after the mark).
fn not_utf8(lines: &LineIndex, at: u64, byte: u8, file: &str) -> anyhow::Error {
    let line = lines.newlines.partition_point(|&n| n < at) + 1;
    anyhow!(
        "{file}: line {line}: the file is not UTF-8 text (byte 0x{byte:02X}); it is probably Windows-1252 or Latin-1, \
         as older Excel writes CSV: save it as \"CSV UTF-8\", or convert it (`iconv -f WINDOWS-1252 -t UTF-8`)"
    )
}

/// A header read as one column that holds another separator: say which.
fn check_delimiter(header: &[String], file: &str, dialect: &Dialect) -> Result<()> {
    let [only] = header else {
        return Ok(());
    };
    for (sep, name, written) in [
        (';', "semicolons", ";"),
        ('\t', "tabs", "\\t"),
        ('|', "vertical bars", "|"),
    ] {
        if char::from(dialect.delimiter) != sep && only.contains(sep) {
            let shown: String = only.chars().take(60).collect();
            bail!(
                "{file}: line 1: the header was read as one column `{shown}`: is it separated by {name}? add \
                 `delimiter = \"{written}\"` to the dataset description"
            );
        }
    }
    Ok(())
}

/// Reads a sheet of a workbook.
fn read_workbook<'a>(bytes: &[u8], file: &str, sheet: Option<&str>, missing: &[String]) -> Result<RawTable<'a>> {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| anyhow!("{file}: cannot read the workbook: {e}"))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => bail!(
            "{file}: no sheet `{s}` in the workbook; its sheets are: {}{}",
            names.join(", "),
            crate::diagnostic::did_you_mean(s, names.iter().map(String::as_str), 2)
                .map(|d| format!("; {d}"))
                .unwrap_or_default()
        ),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("{file}: the workbook has no sheets"))?,
    };
    let (first_row, first_column, dense) = sheet_rows(&mut book, &name, file)?;
    let cell = |d: &Data| -> Cell {
        match d {
            Data::Empty => Cell::Empty,
            Data::String(s) => {
                let t = s.trim();
                if t.is_empty() || missing.iter().any(|m| m == t) {
                    Cell::Empty
                } else {
                    Cell::Text(compact_str::CompactString::from(t))
                }
            }
            // A declared missing-value code may be a number (`-999`).
            Data::Float(x) if missing.contains(&number_text(*x)) => Cell::Empty,
            Data::Int(i) if missing.contains(&i.to_string()) => Cell::Empty,
            Data::Float(x) => Cell::Number(*x),
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
            Data::DateTime(d) => Cell::Number(d.as_f64()),
            Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.as_str().into()),
            Data::Error(e) => {
                let text = e.to_string();
                if missing.contains(&text) {
                    Cell::Empty
                } else {
                    Cell::Error(text)
                }
            }
        }
    };
    let mut header: Option<Vec<String>> = None;
    let mut header_line = first_row + 1;
    let mut rows = Vec::new();
    for (r, row) in dense {
        let cells: Vec<Cell> = row.iter().map(cell).collect();
        if cells.iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        let line = first_row + r + 1;
        match &header {
            None => {
                let names = cells
                    .iter()
                    .enumerate()
                    .map(|(c, x)| match x {
                        Cell::Text(t) => t.to_string(),
                        Cell::Number(n) => number_text(*n),
                        Cell::Empty | Cell::Error(_) => {
                            // An unnamed column: named by its letter, so that the
                            // "not described" check can point at it.
                            format!("(column {})", column_letters(first_column + c))
                        }
                    })
                    .collect::<Vec<_>>();
                header = Some(names);
                header_line = line;
            }
            Some(_) => {
                let fields = cells.len();
                rows.push(RawRow { line, cells, fields });
            }
        }
    }
    let header = header.ok_or_else(|| anyhow!("{file}: sheet `{name}` is empty: it has no header row"))?;
    // Trailing unnamed and empty columns of the used range hold nothing.
    let mut width = header.len();
    while width > 0
        && header[width - 1].starts_with("(column ")
        && rows
            .iter()
            .all(|r| r.cells.get(width - 1).is_none_or(|c| *c == Cell::Empty))
    {
        width -= 1;
    }
    let header: Vec<String> = header[..width].to_vec();
    for r in &mut rows {
        r.cells.truncate(width);
        r.fields = width;
    }
    Ok(RawTable {
        file: file.to_string(),
        origin: Origin::Sheet(name),
        header,
        rows: Rows::Sheet(rows.into_iter()),
        first_column,
        header_line,
        sha256: None,
    })
}

/// A worksheet's limits (Excel's): 1,048,576 rows, 16,384 columns (XFD).
const MAX_SHEET_ROWS: u32 = 1 << 20;
const MAX_SHEET_COLUMNS: u32 = 1 << 14;
/// At most this many cells (rows holding something × columns of the used range)
/// are laid out: a stray cell far from the table (`XFD1048576`) would otherwise
/// make the table billions of cells.
const MAX_SHEET_CELLS: usize = 20_000_000;

/// The rows of sheet `name`: the used range's first row and column (0-based) and
/// each row holding something, by its offset from the first row, as one value per
/// column of the used range. An `.xlsx` or `.xlsb` sheet is read cell by cell and
/// checked before anything is laid out: a cell outside a worksheet's limits (a
/// damaged reference) or a used range of more than [`MAX_SHEET_CELLS`] cells is
/// refused, naming the fix; other formats are read by calamine as a whole range.
#[allow(clippy::type_complexity)]
fn sheet_rows(
    book: &mut calamine::Sheets<Cursor<&[u8]>>,
    name: &str,
    file: &str,
) -> Result<(usize, usize, Vec<(usize, Vec<calamine::Data>)>)> {
    use calamine::{Data, Reader, Sheets};
    let cannot = |e: &dyn std::fmt::Display| anyhow!("{file}: cannot read sheet `{name}`: {e}");
    let mut cells: Vec<((u32, u32), Data)> = Vec::new();
    let mut sparse = |position: (u32, u32), value: Data| -> Result<()> {
        let (r, c) = position;
        if r >= MAX_SHEET_ROWS || c >= MAX_SHEET_COLUMNS {
            bail!(
                "{file}: sheet `{name}` has a cell beyond a worksheet's limits (row {}, column {}): the workbook is \
                 damaged; open it in Excel or LibreOffice and save it again, or export the sheet as CSV",
                u64::from(r) + 1,
                u64::from(c) + 1
            );
        }
        if value != Data::Empty {
            cells.push((position, value));
        }
        Ok(())
    };
    let laid_out = match book {
        Sheets::Xlsx(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| cannot(&e))?;
            while let Some(c) = reader.next_cell().map_err(|e| cannot(&e))? {
                sparse(c.get_position(), Data::from(c.get_value().clone()))?;
            }
            false
        }
        Sheets::Xlsb(x) => {
            let mut reader = x.worksheet_cells_reader(name).map_err(|e| cannot(&e))?;
            while let Some(c) = reader.next_cell().map_err(|e| cannot(&e))? {
                sparse(c.get_position(), Data::from(c.get_value().clone()))?;
            }
            false
        }
        _ => true,
    };
    if laid_out {
        let range = book.worksheet_range(name).map_err(|e| cannot(&e))?;
        let (first_row, first_column) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let rows = range.rows().map(<[Data]>::to_vec).enumerate().collect();
        return Ok((first_row, first_column, rows));
    }
    let Some(first_row) = cells.iter().map(|((r, _), _)| *r).min() else {
        return Ok((0, 0, Vec::new()));
    };
    let first_column = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
    let last_column = cells.iter().map(|((_, c), _)| *c).max().unwrap_or(0);
    let width = (last_column - first_column) as usize + 1;
    cells.sort_by_key(|(p, _)| *p);
    let mut rows: Vec<(usize, Vec<Data>)> = Vec::new();
    for ((r, c), value) in cells {
        let offset = (r - first_row) as usize;
        if rows.last().is_none_or(|(o, _)| *o != offset) {
            if (rows.len() + 1).saturating_mul(width) > MAX_SHEET_CELLS {
                bail!(
                    "{file}: sheet `{name}` uses {width} columns over more than {} rows (more than {MAX_SHEET_CELLS} \
                     cells): delete stray cells far from the table (Ctrl+End in Excel shows the last one), or \
                     export the sheet as CSV",
                    rows.len()
                );
            }
            rows.push((offset, vec![Data::Empty; width]));
        }
        if let Some((_, row)) = rows.last_mut() {
            row[(c - first_column) as usize] = value;
        }
    }
    Ok((first_row as usize, first_column as usize, rows))
}

/// A number as a key text: `2024`, not `2024.0`.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        x.to_string()
    }
}

/// Spreadsheet column letters of a 0-based index: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letters(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A sheet name as a cell reference writes it (quoted when it has spaces).
fn sheet_ref(name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("'{name}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_like_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(3), "D");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn lines_count_crlf_blank_lines_and_quoted_breaks() {
        // Line 1 header; line 2 a; line 3 blank; lines 4–5 b with a quoted break;
        // line 6 a ghost row; line 7 c.
        let text = "id,name\r\na,A\r\n\r\nb,\"B\r\nB\"\r\n,\r\nc,C\r\n";
        let mut t = read(text.as_bytes(), Path::new("x.csv"), None, &Dialect::default()).unwrap();
        let lines: Vec<usize> = t.rows().unwrap().iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 7]);
    }

    #[test]
    fn bom_semicolons_and_missing_tokens() {
        let text = "\u{feff}id;x\na;n/a\nb;1,5\n";
        let dialect = Dialect {
            delimiter: b';',
            decimal: ',',
            missing: vec!["n/a".into()],
        };
        let mut t = read(text.as_bytes(), Path::new("x.csv"), None, &dialect).unwrap();
        assert_eq!(t.header, ["id", "x"]);
        let rows = t.rows().unwrap();
        assert_eq!(rows[0].cells[1], Cell::Empty);
        assert_eq!(rows[1].cells[1], Cell::Text("1,5".into()));
        // Undeclared, the same file says what it looks like.
        let err = read(text.as_bytes(), Path::new("x.csv"), None, &Dialect::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "the header was read as one column `id;x`: is it separated by semicolons? add `delimiter = \";\"`"
            ),
            "{err}"
        );
    }

    #[test]
    fn other_files_are_named() {
        let err = read(b"PK\x03\x04rest", Path::new("x.csv"), None, &Dialect::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("this is a workbook"), "{err}");
        let err = read(b"id,name\na,Caf\xe9\n", Path::new("x.csv"), None, &Dialect::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: the file is not UTF-8 text (byte 0xE9)"), "{err}");
    }
    /// A file is read as its bytes are: the same header, rows, lines and cells,
    /// and its SHA-256 once read to the end; a character cut by the scan's 64 KiB
    /// blocks is whole, and a bad byte past the first block is found at its line.
    #[test]
    fn a_file_is_read_as_its_bytes_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        // A 3-byte mark and a 9-byte header, then lines of 10 bytes: line 6,554
        // starts at byte 12 + 6,552 × 10 = 65,532, and its `é` (2 bytes) takes
        // bytes 65,535 and 65,536, across the end of the first block.
        let mut text = String::from("\u{feff}id,name\r\n");
        for u in 2..=7000 {
            if u == 6554 {
                text.push_str("u6,éabcd\n");
            } else {
                text.push_str(&format!("{u:05},{:03}\n", u % 1000));
            }
        }
        let bytes = text.as_bytes();
        std::fs::write(&path, bytes).unwrap();
        let from_bytes = read(bytes, &path, None, &Dialect::default()).unwrap().rows().unwrap();
        let mut opened = open(&path, None, &Dialect::default()).unwrap();
        assert_eq!(opened.header, ["id", "name"]);
        assert_eq!(opened.sha256(), None, "not read to its end yet");
        let rows = opened.rows().unwrap();
        assert_eq!(rows.len(), 6999);
        assert_eq!(rows[6552].line, 6554);
        assert_eq!(rows[6552].cells[1], Cell::Text("éabcd".into()));
        for (a, b) in rows.iter().zip(&from_bytes) {
            assert_eq!((a.line, &a.cells), (b.line, &b.cells));
        }
        assert_eq!(opened.sha256().unwrap(), crate::digest::sha256_hex(bytes));

        let mut bad = bytes.to_vec();
        let at = bytes.len() - 3; // in the last line, 7,000
        bad[at] = 0xE9;
        std::fs::write(&path, &bad).unwrap();
        let err = open(&path, None, &Dialect::default()).unwrap_err().to_string();
        assert!(
            err.contains("line 7000: the file is not UTF-8 text (byte 0xE9)"),
            "{err}"
        );
        // A sequence cut short by the end of the file.
        std::fs::write(
            &path,
            bytes[..bytes.len() - 2]
                .iter()
                .chain(&[0xC3])
                .copied()
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        let err = open(&path, None, &Dialect::default()).unwrap_err().to_string();
        assert!(
            err.contains("line 7000: the file is not UTF-8 text (byte 0xC3)"),
            "{err}"
        );
    }
    /// A file that changes between the scan and the parse is refused (its line
    /// numbers and hash would describe other bytes), and what is not a regular
    /// file is never read (a device would be read for ever).
    #[test]
    fn a_changing_file_and_a_directory_are_refused() {
        use std::io::{Seek as _, Write as _};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut text = String::from("id,x\n");
        for u in 0..20_000 {
            text.push_str(&format!("u{u:05},{}\n", u % 10));
        }
        std::fs::write(&path, &text).unwrap();
        let mut table = open(&path, None, &Dialect::default()).unwrap();
        // The parse has read its first block; change a byte near the end.
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(std::io::SeekFrom::Start(text.len() as u64 - 2)).unwrap();
        f.write_all(b"7").unwrap();
        drop(f);
        let err = table.rows().unwrap_err().to_string();
        assert!(err.contains("the file changed while it was read"), "{err}");
        let err = open(dir.path(), None, &Dialect::default()).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
