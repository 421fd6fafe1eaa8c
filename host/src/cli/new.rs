//! `cityrank new`.

use std::path::PathBuf;

use anyhow::Result;
use cityrank::scaffold::{Language, NewOptions};
use clap::{Args, ValueEnum};

/// The language of a new methodology.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Lang {
    /// One manifest, no code: indicators from dataset variables and formulas.
    Toml,
    /// A Rust plugin crate (needs `rustup target add wasm32-unknown-unknown`).
    Rust,
    /// A Python plugin (needs the authoring tools: `bash tools/install-authoring-tools.sh`, run in the cityrank checkout).
    Python,
    /// A JavaScript plugin (needs the authoring tools: `bash tools/install-authoring-tools.sh`, run in the cityrank checkout).
    Js,
}

/// Arguments of `cityrank new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The directory to create (must not exist, or be empty); its name becomes the methodology's id.
    dir: PathBuf,
    /// The language of the methodology.
    #[arg(long, value_enum, default_value = "toml")]
    lang: Lang,
    /// Start from your own data: a CSV file (separated by commas, semicolons or tabs;
    /// decimal points or commas) or a workbook (.xlsx, .xlsm, .xlsb, .xls, .ods),
    /// with a header row; one indicator per numeric column.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// With --from a workbook: the sheet holding the data [default: the first].
    #[arg(long, value_name = "NAME", requires = "from")]
    sheet: Option<String>,
    /// The Rust SDK for `--lang rust` [default: plugins/sdk of the checkout cityrank was built from].
    #[arg(long, value_name = "PATH")]
    sdk: Option<PathBuf>,
}

/// Writes the new methodology and prints the command to run it.
pub fn run(args: NewArgs) -> Result<()> {
    let lang = match args.lang {
        Lang::Toml => Language::Toml,
        Lang::Rust => Language::Rust,
        Lang::Python => Language::Python,
        Lang::Js => Language::Js,
    };
    let options = NewOptions {
        lang,
        from: args.from.clone(),
        sheet: args.sheet.clone(),
        sdk: args.sdk.clone(),
    };
    let scaffold = cityrank::scaffold::scaffold(&args.dir, &options)?;
    cityrank::scaffold::write(&args.dir, &scaffold)?;
    println!("created {} ({} methodology):", args.dir.display(), lang.name());
    for (path, _) in &scaffold.files {
        println!("  {}", args.dir.join(path).display());
    }
    for note in &scaffold.notes {
        println!("note: {note}");
    }
    let edition = args.dir.join(&scaffold.edition);
    println!("next: cityrank run {}", edition.display());
    Ok(())
}
