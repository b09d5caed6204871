//! The schema as the derive sees it: op and member names from the generated
//! table, and lookups with "did you mean" suggestions.

#[path = "generated/op_table.rs"]
#[rustfmt::skip]
mod generated;

pub(crate) use generated::{MEMBERS, OBJ_SIZES, OPS};

/// One op of the table.
pub(crate) struct OpSpec {
    /// Field name.
    pub(crate) name: &'static str,
    /// Whether registration requires it.
    pub(crate) mandatory: bool,
    /// The name it had before it was renamed (`renamed_from` in the
    /// schema).
    pub(crate) renamed_from: Option<&'static str>,
}

/// What value `#[device_ops(member = ...)]` takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberKind {
    /// A path or constant expression.
    Path,
    /// An integer literal.
    Int,
    /// No value: the bare word sets the member.
    Flag,
    /// A path to a `static`, stored as `Some(&PATH)`.
    Static,
}

/// One non-function member of the table.
pub(crate) struct MemberSpec {
    /// Field name.
    pub(crate) name: &'static str,
    /// What value it takes.
    pub(crate) kind: MemberKind,
}

/// One object size of the table.
pub(crate) struct ObjSizeSpec {
    /// What `obj_size(KEY = Type)` calls it: `ah`.
    pub(crate) key: &'static str,
    /// The table's field: `size_ib_ah`.
    pub(crate) field: &'static str,
}

/// The object size whose key is `key`.
pub(crate) fn obj_size(key: &str) -> Option<&'static ObjSizeSpec> {
    OBJ_SIZES.iter().find(|size| size.key == key)
}

/// The op called `name`.
pub(crate) fn op(name: &str) -> Option<&'static OpSpec> {
    OPS.iter().find(|op| op.name == name)
}

/// The op that was called `old` before it was renamed.
pub(crate) fn renamed(old: &str) -> Option<&'static OpSpec> {
    OPS.iter().find(|op| op.renamed_from == Some(old))
}

/// The member called `name`.
pub(crate) fn member(name: &str) -> Option<&'static MemberSpec> {
    MEMBERS.iter().find(|m| m.name == name)
}

/// The closest of `candidates` to `name`, if close enough to be a typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance with adjacent transpositions counting as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_op() {
        let names = OPS.iter().map(|op| op.name);
        assert_eq!(suggest("post_sned", names.clone()), Some("post_send"));
        assert_eq!(suggest("pollcq", names.clone()), Some("poll_cq"));
        assert_eq!(suggest("frobnicate", names), None);
    }

    #[test]
    fn the_table_has_every_op() {
        assert_eq!(OPS.len(), 128);
        assert_eq!(OPS.iter().filter(|op| op.mandatory).count(), 17);
        assert!(member("driver_id").is_some_and(|m| m.kind == MemberKind::Path));
    }
}
