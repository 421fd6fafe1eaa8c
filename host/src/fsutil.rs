//! File-system helpers.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically: into a temporary file in the same
/// directory, then renamed over `path`. A failure leaves no partial file behind.
///
/// A path that already exists and is not a regular file (`/dev/null`, a FIFO, a
/// terminal) is written to directly: renaming over it would replace the device
/// with a file. A symbolic link is followed, so the file it points to is replaced,
/// not the link.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let target: PathBuf = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() && !meta.is_dir() => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot open `{}` for writing", path.display()))?;
            return f
                .write_all(bytes)
                .with_context(|| format!("cannot write `{}`", path.display()));
        }
        Ok(_) => path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
        Err(_) => path.to_path_buf(),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create directory `{}`", dir.display()))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write `{}`", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_files_atomically_and_leaves_devices_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.txt");
        write_atomically(&file, b"one").unwrap();
        write_atomically(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            write_atomically(Path::new("/dev/null"), b"discarded").unwrap();
            let meta = std::fs::metadata("/dev/null").unwrap();
            assert!(meta.file_type().is_char_device(), "/dev/null must stay a device");
            // A link is followed: the file behind it changes, the link stays.
            let link = dir.path().join("link.txt");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            write_atomically(&link, b"three").unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
            assert_eq!(std::fs::read(&file).unwrap(), b"three");
        }
    }
}
