//! Who names whom, read from definitions' text: what the planner knows of dependencies when
//! a snapshot carries none of its own (calls are matched in `depend`).

use crate::schema::QualifiedName;

/// Whether `text` names `other`: qualified, or bare when it lives in `public` (which the
/// catalog prints without its schema).
pub(super) fn mentions(text: &str, other: &QualifiedName) -> bool {
    text.contains(&other.to_string())
        || (other.schema == "public" && mentions_word(text, &other.name))
}

fn mentions_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
        !part(before) && !part(after)
    })
}
