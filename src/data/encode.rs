//! Encoding ids of any type (integers, whole floats, categories) into dense codes, once.

use serde::{Deserialize, Serialize};

use super::column::format_number;
use super::Column;

/// Which rows of a frame an operation sees: all of them or an ascending subset.
#[derive(Debug, Clone, PartialEq)]
pub enum Rows {
    /// Rows `0..n`.
    All(usize),
    /// These rows, ascending.
    Subset(Vec<usize>),
}

impl Rows {
    /// Number of rows selected.
    pub fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n,
            Rows::Subset(v) => v.len(),
        }
    }

    /// Whether no row is selected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Input row of the `k`-th selected row.
    #[inline]
    pub fn get(&self, k: usize) -> usize {
        match self {
            Rows::All(_) => k,
            Rows::Subset(v) => v[k],
        }
    }

    /// Keep the selected rows for which `keep[k]` is true.
    pub fn filter(&self, keep: &[bool]) -> Rows {
        Rows::Subset((0..self.len()).filter(|&k| keep[k]).map(|k| self.get(k)).collect())
    }

    /// Iterate over the selected input rows.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).map(move |k| self.get(k))
    }
}

/// A factor: a dense code in `0..n_levels` per selected row, and the level labels (sorted by value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// Code of each row.
    #[serde(skip)]
    pub codes: Vec<u32>,
    /// Label of each level.
    pub labels: Vec<String>,
}

impl Factor {
    /// Number of levels.
    pub fn n_levels(&self) -> usize {
        self.labels.len()
    }

    /// Encode `column` on `rows` (which must hold no missing values).
    /// Levels are ordered by value (numbers) or by category order (categoricals).
    pub fn encode(column: &Column<'_>, rows: &Rows) -> Factor {
        match column {
            Column::Int(v) => match rows {
                // All rows: a plain slice, so the passes over the keys vectorise.
                Rows::All(n) => encode_keys(*n, |k| v[k], |k| k.to_string()),
                Rows::Subset(_) => encode_keys(rows.len(), |k| v[rows.get(k)], |k| k.to_string()),
            },
            Column::Float(v) => {
                let whole = rows.iter().all(|i| v[i].fract() == 0.0 && v[i].abs() < 9e15);
                if whole {
                    encode_keys(rows.len(), |k| v[rows.get(k)] as i64, |k| k.to_string())
                } else {
                    // Order floats by value through their total order; -0.0 and 0.0 are one level.
                    encode_keys(rows.len(), |k| float_key(v[rows.get(k)]), |k| format_number(key_float(k)))
                }
            }
            Column::Categorical { codes, labels } => encode_keys(
                rows.len(),
                |k| codes[rows.get(k)],
                |k| usize::try_from(k).ok().and_then(|k| labels.get(k)).cloned().unwrap_or_else(|| "<missing>".into()),
            ),
        }
    }

    /// The interaction `a^b`: one level per observed pair, labelled `la^lb`.
    pub fn interact(a: &Factor, b: &Factor) -> Factor {
        let nb = b.n_levels() as i64;
        let key = |i: usize| a.codes[i] as i64 * nb + b.codes[i] as i64;
        encode_keys(a.codes.len(), key, |k| format!("{}^{}", a.labels[(k / nb) as usize], b.labels[(k % nb) as usize]))
    }

    /// Keep rows where `keep` is true and renumber levels densely (dropping empty ones).
    pub fn subset(&self, keep: &[bool]) -> Factor {
        let mut map = vec![u32::MAX; self.n_levels()];
        let mut labels = Vec::new();
        let mut codes = Vec::with_capacity(keep.iter().filter(|&&k| k).count());
        // First pass marks used levels so that the level order (sorted) is preserved.
        let mut used = vec![false; self.n_levels()];
        for (c, _) in self.codes.iter().zip(keep).filter(|(_, &k)| k) {
            used[*c as usize] = true;
        }
        for (l, u) in used.iter().enumerate() {
            if *u {
                map[l] = labels.len() as u32;
                labels.push(self.labels[l].clone());
            }
        }
        for (c, _) in self.codes.iter().zip(keep).filter(|(_, &k)| k) {
            codes.push(map[*c as usize]);
        }
        Factor { codes, labels }
    }

    /// Number of rows in each level.
    pub fn counts(&self) -> Vec<usize> {
        let mut n = vec![0usize; self.n_levels()];
        for &c in &self.codes {
            n[c as usize] += 1;
        }
        n
    }
}

fn float_key(x: f64) -> i64 {
    let x = if x == 0.0 { 0.0 } else { x };
    let b = x.to_bits() as i64;
    // Map IEEE bits to an integer with the same order as the floats.
    if b < 0 {
        b ^ i64::MAX
    } else {
        b
    }
}

fn key_float(k: i64) -> f64 {
    let b = if k < 0 { k ^ i64::MAX } else { k };
    f64::from_bits(b as u64)
}

/// Dense codes for integer keys, levels sorted by key. A direct lookup table when the key
/// range is small (ids, years), an open-addressing hash table otherwise ([`first_appearance`]). `key(i)` is the key of the `i`-th of `n`
/// rows, computed on the fly so that no key vector is held.
fn encode_keys(n: usize, key: impl Fn(usize) -> i64, label: impl Fn(i64) -> String) -> Factor {
    if n == 0 {
        return Factor { codes: Vec::new(), labels: Vec::new() };
    }
    let keys = || (0..n).map(&key);
    let (lo, hi) = keys().fold((i64::MAX, i64::MIN), |(lo, hi), k| (lo.min(k), hi.max(k)));
    let range = (hi as i128 - lo as i128) as u128;
    if range < (4 * n as u128 + 1024) {
        let width = range as usize + 1;
        let mut map = vec![u32::MAX; width];
        for k in keys() {
            map[(k - lo) as usize] = 0;
        }
        let mut labels = Vec::new();
        for (off, slot) in map.iter_mut().enumerate() {
            if *slot == 0 {
                *slot = labels.len() as u32;
                labels.push(label(lo + off as i64));
            }
        }
        let codes = keys().map(|k| map[(k - lo) as usize]).collect();
        Factor { codes, labels }
    } else {
        let (mut codes, uniq) = first_appearance(n, &key);
        // Rank the distinct keys (few compared with the rows), then recode in place.
        let mut order: Vec<u32> = (0..uniq.len() as u32).collect();
        order.sort_unstable_by_key(|&i| uniq[i as usize]);
        let mut rank = vec![0u32; uniq.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        codes.iter_mut().for_each(|c| *c = rank[*c as usize]);
        Factor { codes, labels: order.iter().map(|&i| label(uniq[i as usize])).collect() }
    }
}

/// Codes by first appearance and the distinct keys in that order, through an open-addressing
/// table (multiplicative hash, linear probing, doubled at half load): one probe per row
/// in the common case, no per-entry allocation or keyed hashing.
fn first_appearance(n: usize, key: &impl Fn(usize) -> i64) -> (Vec<u32>, Vec<i64>) {
    const EMPTY: u32 = u32::MAX;
    let mut bits = 10u32;
    let mut slots = vec![EMPTY; 1 << bits];
    let mut uniq: Vec<i64> = Vec::new();
    let slot_of = |k: i64, bits: u32| ((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let k = key(i);
        let mask = (1usize << bits) - 1;
        let mut s = slot_of(k, bits);
        let code = loop {
            match slots[s] {
                EMPTY => {
                    slots[s] = uniq.len() as u32;
                    uniq.push(k);
                    break slots[s];
                }
                c if uniq[c as usize] == k => break c,
                _ => s = (s + 1) & mask,
            }
        };
        codes.push(code);
        if 2 * uniq.len() > slots.len() {
            bits += 1;
            slots = vec![EMPTY; 1 << bits];
            for (c, &k) in uniq.iter().enumerate() {
                let mask = (1usize << bits) - 1;
                let mut s = slot_of(k, bits);
                while slots[s] != EMPTY {
                    s = (s + 1) & mask;
                }
                slots[s] = c as u32;
            }
        }
    }
    (codes, uniq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn encodes_sorted_levels_for_ints_floats_and_categories() {
        let c = Column::Int(Cow::Owned(vec![2010, 2008, 2010, 1_000_000_000]));
        let f = Factor::encode(&c, &Rows::All(4));
        assert_eq!(f.labels, vec!["2008", "2010", "1000000000"]);
        assert_eq!(f.codes, vec![1, 0, 1, 2]);
        // Wide keys (hash table): the same codes as sorting them.
        let keys: Vec<i64> = (0..12_000).map(|i| (i * 7919 % 5003) * 1_000_000_007 - 3_000_000_000_000).collect();
        let f = Factor::encode(&Column::Int(Cow::Owned(keys.clone())), &Rows::All(keys.len()));
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(f.labels, sorted.iter().map(i64::to_string).collect::<Vec<_>>());
        assert!(keys.iter().zip(&f.codes).all(|(k, &c)| sorted[c as usize] == *k));
        let c = Column::Float(Cow::Owned(vec![0.5, -1.5, 0.5]));
        let f = Factor::encode(&c, &Rows::All(3));
        assert_eq!(f.labels, vec!["-1.5", "0.5"]);
        assert_eq!(f.codes, vec![1, 0, 1]);
        let c = Column::Categorical { codes: Cow::Owned(vec![1, 0, 1]), labels: vec!["a".into(), "b".into()] };
        let f = Factor::encode(&c, &Rows::Subset(vec![0, 2]));
        assert_eq!(f.labels, vec!["b"]);
        assert_eq!(f.codes, vec![0, 0]);
    }

    #[test]
    fn interaction_and_subset_renumber() {
        let a = Factor { codes: vec![0, 0, 1, 1], labels: vec!["x".into(), "y".into()] };
        let b = Factor { codes: vec![0, 1, 0, 1], labels: vec!["1".into(), "2".into()] };
        let ab = Factor::interact(&a, &b);
        assert_eq!(ab.n_levels(), 4);
        assert_eq!(ab.labels[3], "y^2");
        let s = ab.subset(&[false, true, false, true]);
        assert_eq!(s.labels, vec!["x^2", "y^2"]);
        assert_eq!(s.codes, vec![0, 1]);
    }
}
