//! Safe output: results appear whole or not at all, never overwrite an earlier result by
//! accident, never land outside the output folder, and never run as spreadsheet formulas.
//!
//! Why this exists: runs last minutes to hours and their folders are opened by people in
//! spreadsheets and by scripts. A run writes into a hidden temporary folder beside its target
//! ([`Staged`]) and renames it into place when every file is written; an error or a panic
//! removes the temporary folder. Names from a scenario go through [`component`] before they
//! become part of a path, and every CSV cell goes through [`csv_cell`].

use std::path::{Component, Path, PathBuf};

use super::OutputError;

/// Checks that `name` (a scenario name) is one plain folder name: not empty, not `.` or `..`,
/// not hidden, without separators, so `parent.join(name)` stays inside `parent`.
///
/// # Errors
/// The name, what is wrong with it and the fix.
pub fn component(name: &str) -> Result<&str, OutputError> {
    let mut parts = Path::new(name).components();
    let plain = matches!(parts.next(), Some(Component::Normal(_))) && parts.next().is_none();
    let bad_char = name
        .chars()
        .any(|c| c == '/' || c == '\\' || c == ':' || c.is_control());
    if !plain || bad_char || name.starts_with('.') {
        return Err(OutputError {
            path: PathBuf::from(name),
            message: "this scenario name cannot be used as a folder name inside the output folder; \
                      give the scenario a `name` of letters, digits, `_` and `-`, or choose the folder with --out"
                .into(),
        });
    }
    Ok(name)
}

/// Whether a cell is a plain decimal number (`-1.5`, `2e-3`, `42`): such cells are left alone.
fn is_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let from = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - from
    };
    let mut n = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A CSV cell a spreadsheet will not run as a formula: text starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'` (as does text already starting with `'`, so
/// [`csv_uncell`] gives back exactly what was written); numbers are left alone.
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\'') if !is_number(s) => {
            format!("'{s}").into()
        }
        _ => s.into(),
    }
}

/// The text that [`csv_cell`] protected (for readers of flowsim's own CSV files).
pub fn csv_uncell(s: &str) -> &str {
    s.strip_prefix('\'').unwrap_or(s)
}

/// A results folder being written: files go into a hidden temporary folder beside the target,
/// which [`Staged::commit`] renames into place. Dropped without a commit (an error, a panic),
/// the temporary folder is removed.
#[derive(Debug)]
pub struct Staged {
    temp: PathBuf,
    target: PathBuf,
    force: bool,
    committed: bool,
}

/// Whether `dir` holds a result (exists and is not an empty folder).
fn occupied(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_some(),
        Err(_) => dir.exists(),
    }
}

/// Where a result for `wanted` goes: `wanted` itself when free (or with `force`), else the first
/// free `wanted-2`, `wanted-3`, ...
fn free_target(wanted: &Path, force: bool) -> PathBuf {
    if force || !occupied(wanted) {
        return wanted.to_path_buf();
    }
    let name = wanted.file_name().map_or_else(
        || super::files::DEFAULT_PARENT.into(),
        |n| n.to_string_lossy().into_owned(),
    );
    (2u32..)
        .map(|i| wanted.with_file_name(format!("{name}-{i}")))
        .find(|p| !occupied(p))
        .unwrap_or_else(|| wanted.to_path_buf())
}

impl Staged {
    /// Creates the temporary folder beside `wanted` (and `wanted`'s parents) and chooses where
    /// the result will go: `wanted`, or with an existing non-empty result there and no `force`,
    /// a new numbered folder (see [`Staged::target`]).
    ///
    /// # Errors
    /// The parent folder cannot be created or written, or `wanted` is a file.
    pub fn begin(wanted: &Path, force: bool) -> Result<Staged, OutputError> {
        if wanted.is_file() {
            return Err(OutputError {
                path: wanted.to_path_buf(),
                message: "is a file, not a folder; choose a folder with --out".into(),
            });
        }
        let name = match wanted.file_name() {
            Some(n) if !matches!(wanted.components().next_back(), Some(Component::ParentDir)) => {
                n.to_string_lossy().into_owned()
            }
            _ => {
                return Err(OutputError {
                    path: wanted.to_path_buf(),
                    message:
                        "does not end in a folder name; choose a folder such as out/run1 with --out"
                            .into(),
                });
            }
        };
        let parent = match wanted.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| OutputError::io(&parent, e))?;
        let temp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if temp.exists() {
            // Left by an earlier run of a process with our id that was killed.
            let _ = std::fs::remove_dir_all(&temp);
        }
        std::fs::create_dir(&temp).map_err(|e| OutputError::io(&temp, e))?;
        Ok(Staged {
            target: free_target(wanted, force),
            temp,
            force,
            committed: false,
        })
    }

    /// The temporary folder to write into.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Where the result will go (chosen when staging began; see [`Staged::commit`]).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the finished folder into place and returns where it went. With `force`, an old
    /// result at the target is replaced only now, once the new one is complete; without, a
    /// result that appeared there meanwhile moves this one to the next free numbered folder.
    ///
    /// # Errors
    /// The rename fails (the temporary folder is then removed, an old result kept).
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        let target = free_target(&self.target, self.force);
        let mut old = None;
        if target.exists() && occupied(&target) {
            let aside = self.temp.with_file_name(format!(
                ".{}.replaced-{}",
                target
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                std::process::id()
            ));
            std::fs::rename(&target, &aside).map_err(|e| OutputError {
                path: target.clone(),
                message: format!(
                    "cannot move the old result aside to replace it: {e}; remove it yourself or leave out --force"
                ),
            })?;
            old = Some(aside);
        }
        if let Err(e) = std::fs::rename(&self.temp, &target) {
            if let Some(aside) = &old {
                let _ = std::fs::rename(aside, &target);
            }
            return Err(OutputError {
                path: target,
                message: format!(
                    "cannot move the finished result into place from {}: {e}; check that the folder is writable, or choose another with --out",
                    self.temp.display()
                ),
            });
        }
        self.committed = true;
        if let Some(aside) = old {
            let _ = std::fs::remove_dir_all(aside);
        }
        Ok(target)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for (cell, want) in [
            ("=1+2", "'=1+2"),
            ("+cmd", "'+cmd"),
            ("-x", "'-x"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'quoted", "''quoted"),
            ("-1+2", "'-1+2"),
            ("-", "'-"),
            ("-1.5", "-1.5"),
            ("+3", "+3"),
            ("-2e-3", "-2e-3"),
            ("42", "42"),
            ("", ""),
            ("pull", "pull"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(csv_cell(cell), want, "{cell:?}");
            assert_eq!(csv_uncell(&csv_cell(cell)), cell, "{cell:?}");
        }
    }

    #[test]
    fn names_that_would_leave_the_folder_are_refused() {
        for bad in [
            "", ".", "..", "../x", "a/b", "/etc", "a\\b", ".hidden", "c:x", "a\0b",
        ] {
            assert!(component(bad).is_err(), "{bad:?}");
        }
        for good in ["small-team", "a_b", "-x", "Team 1"] {
            assert_eq!(component(good).unwrap(), good);
        }
        let e = component("..").unwrap_err().to_string();
        assert!(e.contains("--out"), "{e}");
    }

    #[test]
    fn staging_numbers_forces_and_cleans_up() {
        let tmp = tempfile::tempdir().unwrap();
        let want = tmp.path().join("res");
        let write = |s: &Staged, text: &str| std::fs::write(s.path().join("f"), text).unwrap();
        let s = Staged::begin(&want, false).unwrap();
        write(&s, "1");
        assert_eq!(s.commit().unwrap(), want);
        let s = Staged::begin(&want, false).unwrap();
        assert_eq!(s.target(), tmp.path().join("res-2"));
        write(&s, "2");
        assert_eq!(s.commit().unwrap(), tmp.path().join("res-2"));
        let s = Staged::begin(&want, true).unwrap();
        write(&s, "3");
        assert_eq!(s.commit().unwrap(), want);
        assert_eq!(std::fs::read_to_string(want.join("f")).unwrap(), "3");
        // Dropped without a commit: nothing is left but the two results.
        let s = Staged::begin(&want, false).unwrap();
        write(&s, "4");
        drop(s);
        let mut names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["res", "res-2"]);
    }

    #[test]
    fn a_file_in_the_way_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let e = Staged::begin(&file.join("res"), false).unwrap_err();
        assert!(e.to_string().contains("file"), "{e}");
        assert!(Staged::begin(&file, false).is_err());
    }
}
