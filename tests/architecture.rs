//! The house rules that code review forgets: no import circle among the files of `src/` (or
//! of the macro crate), and no file over the size the design allows without saying why.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A module path (`["migrator", "run"]`) for each `.rs` file under `root`.
fn modules(root: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap().with_extension("");
                let mut parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    parts.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    parts.pop();
                }
                found.insert(parts, path);
            }
        }
    }
    found
}

/// The files a file uses: every `crate::a::b` it names (and `super::x` from its parent),
/// resolved to the longest module path that is a file. Test modules are left out, and so is
/// a file's use of its own ancestors (a child may use what its parent re-exports).
fn uses(
    module: &[String],
    path: &Path,
    files: &BTreeMap<Vec<String>, PathBuf>,
) -> BTreeSet<Vec<String>> {
    let mut text = fs::read_to_string(path).unwrap();
    if let Some(at) = text.find("#[cfg(test)]\nmod tests {") {
        text.truncate(at);
    }
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    // `super` is the module above: for `a/b.rs` and for `a/b/mod.rs` alike, `a`.
    let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
    let resolve = |parts: Vec<String>| {
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].to_vec())
            .find(|prefix| files.contains_key(prefix))
    };
    let mut targets = BTreeSet::new();
    let words = |rest: &str| -> Vec<String> {
        rest.split("::")
            .map(|w| {
                w.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|w| !w.is_empty())
            .collect()
    };
    for (index, _) in code.match_indices("crate::") {
        let before = code[..index].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(target) = resolve(words(&code[index + "crate::".len()..])) {
            targets.insert(target);
        }
    }
    for (index, _) in code.match_indices("super::") {
        let rest = &code[index + "super::".len()..];
        let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(0)];
            group
                .split(',')
                .filter_map(|n| words(n.trim()).into_iter().next())
                .collect()
        } else {
            words(rest).into_iter().take(1).collect()
        };
        for name in names {
            let mut parts = parent.clone();
            parts.push(name);
            if let Some(target) = resolve(parts) {
                targets.insert(target);
            }
        }
    }
    // `use child::...` in a `mod.rs` (or `lib.rs`): the parent uses what its child defines,
    // and whoever uses the parent's re-export uses that child through it.
    for line in code.lines() {
        let line = line.trim_start();
        let Some(at) = line.find("use ") else {
            continue;
        };
        if !line[..at].trim().is_empty() && !line[..at].trim().starts_with("pub") {
            continue;
        }
        let first = words(&line[at + "use ".len()..]).into_iter().next();
        if let Some(child) = first {
            let mut parts = module.to_vec();
            parts.push(child);
            if files.contains_key(&parts) {
                targets.insert(parts);
            }
        }
    }
    // A file's own module and its ancestors (`mod.rs` files re-exporting) don't count.
    targets.retain(|t| t != module && !module.starts_with(t));
    targets
}

/// Every group of files that use one another in a circle.
fn circles(root: &Path) -> Vec<Vec<String>> {
    let files = modules(root);
    let edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = files
        .iter()
        .map(|(module, path)| (module.clone(), uses(module, path, &files)))
        .collect();
    // Two files are in a circle when each reaches the other.
    let reach = |from: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(node) = stack.pop() {
            for next in &edges[&node] {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&Vec<String>, BTreeSet<Vec<String>>> =
        edges.keys().map(|m| (m, reach(m))).collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut placed = BTreeSet::new();
    for module in edges.keys() {
        if placed.contains(module) || !reached[module].contains(module) {
            continue;
        }
        let group: Vec<Vec<String>> = reached[module]
            .iter()
            .filter(|other| reached[*other].contains(module))
            .cloned()
            .collect();
        placed.extend(group.iter().cloned());
        groups.push(group.iter().map(|m| m.join("/")).collect());
    }
    groups
}

#[test]
fn no_file_of_src_is_in_an_import_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for crate_src in ["src", "migrations-macros/src"] {
        let found = circles(&root.join(crate_src));
        assert!(
            found.is_empty(),
            "import circles in {crate_src}/ (extract what the files share into a module below \
             them): {found:?}"
        );
    }
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let dir = std::env::temp_dir().join(format!("pelican-arch-{}", std::process::id()));
    fs::create_dir_all(dir.join("a")).unwrap();
    fs::write(dir.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    fs::write(dir.join("a/mod.rs"), "mod c;\nuse crate::b::thing;\n").unwrap();
    fs::write(dir.join("a/c.rs"), "use super::d;\n").unwrap();
    fs::write(dir.join("a/d.rs"), "").unwrap();
    fs::write(dir.join("b.rs"), "use crate::a::thing;\n").unwrap();
    let found = circles(&dir);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, [vec!["a".to_owned(), "b".to_owned()]]);
}
