//! "Did you mean …?": the candidates closest to a misspelt name.

/// Up to `max` of `candidates` that look like `name`, the closest first: for
/// messages such as ``unknown variable `popuation_k`; did you mean `population_k`?``.
///
/// Names are compared without regard to case. A candidate is close when
/// - its Damerau–Levenshtein distance (optimal string alignment: insertions,
///   deletions, substitutions and swaps of two neighbouring characters, each 1) to
///   `name` is at most `max(1, n / 3)`, `n` being the length of `name` in `char`s,
///   and smaller than the length of either (so `x` does not suggest `y`); or
/// - one contains the other and the shorter has at least 3 `char`s (`pop` →
///   `population_k`).
///
/// Order: by distance, then containment matches by how much longer they are, then
/// in the order of `candidates`. A candidate repeated is listed once.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>, max: usize) -> Vec<&'a str> {
    let want: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let cutoff = (want.len() / 3).max(1);
    let lower_name: String = want.iter().collect();
    let mut scored: Vec<((usize, usize), usize, &'a str)> = Vec::new();
    for (order, cand) in candidates.into_iter().enumerate() {
        if scored.iter().any(|(_, _, c)| *c == cand) {
            continue;
        }
        let have: Vec<char> = cand.chars().flat_map(char::to_lowercase).collect();
        let d = distance(&want, &have);
        let score = if d <= cutoff && (d == 0 || d < want.len().min(have.len())) {
            (0, d)
        } else {
            let lower_cand: String = have.iter().collect();
            let (short, long) = if want.len() <= have.len() {
                (&lower_name, &lower_cand)
            } else {
                (&lower_cand, &lower_name)
            };
            if short.chars().count() >= 3 && long.contains(short.as_str()) {
                (1, want.len().abs_diff(have.len()))
            } else {
                continue;
            }
        };
        scored.push((score, order, cand));
    }
    scored.sort_by_key(|&(score, order, _)| (score, order));
    scored.into_iter().take(max).map(|(_, _, c)| c).collect()
}

/// The optimal-string-alignment distance between `a` and `b`.
fn distance(a: &[char], b: &[char]) -> usize {
    let n = b.len();
    // Three rows of the dynamic programme: i − 2, i − 1, i.
    let mut prev2 = vec![0usize; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    let mut cur = vec![0usize; n + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        distance(&a, &b)
    }

    #[test]
    fn distances_by_hand() {
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("", "ab"), 2);
        // kitten → sitting: k→s, e→i, +g.
        assert_eq!(d("kitten", "sitting"), 3);
        // One swap of neighbours counts 1 (plain Levenshtein would say 2).
        assert_eq!(d("ab", "ba"), 1);
        assert_eq!(d("popualtion", "population"), 1);
        // One deletion.
        assert_eq!(d("popuation_k", "population_k"), 1);
    }
}
