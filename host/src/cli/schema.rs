//! `cityrank schema`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use cityrank::documents;
use cityrank::schema::DocumentKind;
use clap::Args;

/// Arguments of `cityrank schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// edition, manifest, dataset, results, compare, explain, sensitivity or analysis
    /// (all when absent, with --write).
    name: Option<String>,
    /// Write `<name>.schema.json` files into DIR instead of printing.
    #[arg(long, value_name = "DIR")]
    write: Option<PathBuf>,
}

/// Prints or writes the schemas.
pub fn run(args: SchemaArgs) -> Result<()> {
    let docs: Vec<DocumentKind> = match &args.name {
        Some(n) => match documents::named(n) {
            Some(d) => vec![d],
            None => {
                bail!("no schema named `{n}`; the schemas are: {}", documents::names())
            }
        },
        None => documents::all(),
    };
    match &args.write {
        Some(dir) => {
            let files: Vec<_> = docs
                .iter()
                .map(|d| (dir.join(d.file_name()), d.schema_text().into_bytes()))
                .collect();
            cityrank::fsutil::write_all_or_none(&files)?;
            for (path, _) in &files {
                println!("wrote {}", path.display());
            }
        }
        None => {
            if docs.len() > 1 {
                bail!("name one schema to print ({}), or pass --write DIR", documents::names());
            }
            print!("{}", docs[0].schema_text());
        }
    }
    Ok(())
}
