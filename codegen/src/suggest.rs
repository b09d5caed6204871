//! "Did you mean": the closest known name to a misspelt one, for every
//! command that answers an unknown name (types in the schema, merge lines
//! in `check-c`, fields in `coverage`).

/// The closest of `candidates` to `name` when it is close enough to be a
/// typo: at most a third of its length in edits (transpositions count
/// once), and at least one.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `; did you mean `X`?` for the closest candidate, or nothing.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_name_and_strangers_nothing() {
        let names = ["query_device", "query_gid", "query_port"];
        assert_eq!(closest("query_gdi", names), Some("query_gid"));
        assert_eq!(closest("qurey_device", names), Some("query_device"));
        assert_eq!(closest("alloc_pd", names), None);
        assert_eq!(
            did_you_mean("query_gdi", names),
            "; did you mean `query_gid`?"
        );
        assert_eq!(did_you_mean("zzz", names), "");
    }
}
