//! File-system helpers.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};

/// The bytes of the file at `path`, which must be a regular file: a directory, a
/// device or a pipe named by a user's document (`/dev/zero`, `/dev/stdin`) is
/// refused rather than read for ever.
///
/// # Errors
/// The I/O error, or `InvalidInput` ("not a regular file …") for anything else.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a directory, a device or a pipe); name a file",
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

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
    let contents: Vec<(&Path, Content)> = files
        .iter()
        .map(|(p, b)| (p.as_ref(), Content::Bytes(b.as_ref())))
        .collect();
    write_contents(&contents)
}

/// What [`write_contents`] writes to a file.
pub enum Content<'a> {
    /// These bytes.
    Bytes(&'a [u8]),
    /// What this function writes, as it produces it (e.g. a results document of
    /// 13,000 units, about 100 MB, never held whole in memory).
    Stream(WriteFn<'a>),
}

/// A function that writes a file's content to the writer it is given.
pub type WriteFn<'a> = Box<dyn Fn(&mut dyn Write) -> std::io::Result<()> + 'a>;

impl Content<'_> {
    /// Writes the content to `w`.
    pub fn write_to(&self, w: &mut dyn Write) -> std::io::Result<()> {
        match self {
            Content::Bytes(b) => w.write_all(b),
            Content::Stream(f) => f(w),
        }
    }
}

/// [`write_all_or_none`] for [`Content`]s: bytes, or what a function writes.
pub fn write_contents(files: &[(&Path, Content)]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut staged: Vec<(PathBuf, PathBuf, &Path)> = Vec::new();
    let mut devices: Vec<(&Path, &Content)> = Vec::new();
    let result = (|| -> Result<()> {
        for (path, bytes) in files {
            let path: &Path = path;
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
                let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
                bytes.write_to(&mut f)?;
                f.into_inner().map_err(std::io::IntoInnerError::into_error)?.sync_all()
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
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open `{}` for writing", path.display()))?;
        let mut f = std::io::BufWriter::new(f);
        bytes
            .write_to(&mut f)
            .and_then(|()| f.flush())
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
    fn streamed_content_is_written_all_or_none_too() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        let ok = Content::Stream(Box::new(|w: &mut dyn Write| w.write_all(b"{}\n")));
        // A writer that fails half-way: nothing is written, no temporary file left.
        let failing = Content::Stream(Box::new(|w: &mut dyn Write| {
            w.write_all(b"{")?;
            Err(std::io::Error::other("serialisation failed"))
        }));
        let err = write_contents(&[(a.as_path(), ok), (b.as_path(), failing)]).unwrap_err();
        assert!(format!("{err:#}").contains("serialisation failed"), "{err:#}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let ok = Content::Stream(Box::new(|w: &mut dyn Write| w.write_all(b"{}\n")));
        write_contents(&[(a.as_path(), ok), (b.as_path(), Content::Bytes(b"x"))]).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), b"{}\n");
        assert_eq!(std::fs::read(&b).unwrap(), b"x");
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
