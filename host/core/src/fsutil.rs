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
    write_all_or_none(&[(path, bytes)])
}

/// Writes several files, all or none: every target is checked (a directory, or a
/// path ending in a separator, is an error) and written to a temporary file next to
/// it, and only when all of them are written are they renamed into place; on a
/// failure up to then the temporary files are removed and no file is changed.
/// (Directories created for the files stay. A rename itself failing — e.g. over a
/// file owned by someone else in a sticky directory — would leave the earlier files
/// replaced; the error says which file.) Devices and symbolic links are handled as
/// by [`write_atomically`] (a device is written last, directly).
pub fn write_all_or_none<P: AsRef<Path>, B: AsRef<[u8]>>(files: &[(P, B)]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut staged: Vec<(PathBuf, PathBuf, &Path)> = Vec::new();
    let mut devices: Vec<(&Path, &[u8])> = Vec::new();
    let result = (|| -> Result<()> {
        for (path, bytes) in files {
            let (path, bytes) = (path.as_ref(), bytes.as_ref());
            if path.as_os_str().to_string_lossy().ends_with(std::path::is_separator) {
                anyhow::bail!(
                    "cannot write `{}`: a file name is needed, not a directory",
                    path.display()
                );
            }
            let target: PathBuf = match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => anyhow::bail!("cannot write `{}`: it is a directory", path.display()),
                Ok(meta) if !meta.is_file() => {
                    devices.push((path, bytes));
                    continue;
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
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
            let written = (|| -> std::io::Result<()> {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()
            })();
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).with_context(|| format!("cannot write `{}`", path.display()));
            }
            staged.push((tmp, target, path));
        }
        for (tmp, target, path) in &staged {
            std::fs::rename(tmp, target).with_context(|| format!("cannot write `{}`", path.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _, _) in &staged {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    for (path, bytes) in devices {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open `{}` for writing", path.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_files_are_written_all_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("sub/b.csv"));
        // A directory in the way of the second file: neither is written.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir(&blocked).unwrap();
        let err = write_all_or_none(&[(a.clone(), b"1".to_vec()), (blocked.clone(), b"2".to_vec())]).unwrap_err();
        assert!(err.to_string().contains("it is a directory"), "{err}");
        let err =
            write_all_or_none(&[(a.clone(), b"1".to_vec()), (dir.path().join("new/"), b"2".to_vec())]).unwrap_err();
        assert!(err.to_string().contains("a file name is needed"), "{err}");
        assert!(!a.exists());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("blocked")],
            "no temporary file left"
        );
        // Otherwise all are written (directories created).
        write_all_or_none(&[(a.clone(), b"1".to_vec()), (b.clone(), b"2".to_vec())]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"1");
        assert_eq!(std::fs::read(&b).unwrap(), b"2");
    }

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
