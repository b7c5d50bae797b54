//! "Did you mean …?" for names: the candidates closest to a misspelt one.

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Candidates within a third of the name's length (or sharing it as a prefix), best first.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (distance(name, c), c))
        .filter(|(d, c)| *d <= limit || (name.len() >= 4 && c.starts_with(name)))
        .collect();
    scored.sort();
    scored.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_near_names() {
        assert_eq!(super::closest("sever", ["server", "desktop", "common"]), ["server"]);
        assert_eq!(
            super::closest(
                "hardware-hetzner-online",
                ["hardware-hetzner-online-amd", "hardware-hetzner-online-intel", "common"]
            ),
            ["hardware-hetzner-online-amd", "hardware-hetzner-online-intel"]
        );
        assert!(super::closest("zzz", ["server"]).is_empty());
    }
}
