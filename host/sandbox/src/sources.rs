//! The files of a plugin's sources: what a build reads and its fingerprint covers.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Every file under `dir` (or `dir` itself when it is a file) that can decide a
/// plugin's component: not build output (`target/`, built components), tool caches
/// (`node_modules/`, `__pycache__/`) or hidden files. Links to directories are not
/// followed (a link loop would never end).
pub fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot list `{}`", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if ["target", "node_modules", "__pycache__"].contains(&name.as_str())
            || name.starts_with('.')
            || name.contains(".component.")
        {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_files(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}
