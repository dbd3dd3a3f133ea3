//! Bootstrap weight distributions and the seeded, thread-count-independent draw plan.
//!
//! # Distributions (mean 0, variance 1)
//! - Rademacher: $\pm 1$ with probability 1/2 each.
//! - Webb (2023) six-point: $\pm\sqrt{1/2}, \pm 1, \pm\sqrt{3/2}$, each with probability 1/6.
//! - Mammen (1993): $-(\sqrt5-1)/2$ with probability $(\sqrt5+1)/(2\sqrt5)$, else $(\sqrt5+1)/2$.
//! - Normal: standard normal.
//!
//! # Draws
//! Draw `b` is a column of one weight per bootstrap cluster. Draws are generated in blocks of
//! [`BLOCK`] columns; block `j` comes from `ChaCha8Rng::seed_from_u64(seed)` on stream `j`, so a
//! block is the same whichever thread computes it. With Rademacher weights and `2^G <= reps`
//! every one of the `2^G` sign vectors is used once instead (full enumeration: the bootstrap is
//! then exact and seed-free), as in Webb (2023) and `boottest`.

use std::str::FromStr;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::error::ParamsError;

/// Draws per block (one RNG stream each).
pub const BLOCK: usize = 256;

/// Distribution of the wild bootstrap weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootWeights {
    /// +1 / -1 with equal probability.
    Rademacher,
    /// Webb's six-point distribution (better with fewer than about 12 clusters).
    Webb,
    /// Mammen's two-point asymmetric distribution.
    Mammen,
    /// Standard normal.
    Normal,
}

impl BootWeights {
    /// Valid names.
    pub const NAMES: [&'static str; 4] = ["rademacher", "webb", "mammen", "normal"];
}

impl FromStr for BootWeights {
    type Err = ParamsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "rademacher" => Ok(BootWeights::Rademacher),
            "webb" => Ok(BootWeights::Webb),
            "mammen" => Ok(BootWeights::Mammen),
            "normal" | "norm" => Ok(BootWeights::Normal),
            _ => Err(ParamsError::UnknownChoice {
                name: "weights",
                value: s.to_string(),
                valid: Self::NAMES.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }
}

/// Which draws a bootstrap uses: `reps` columns of `g` weights each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawPlan {
    /// Bootstrap clusters (rows of a draw block).
    pub g: usize,
    /// Draws (after enumeration: `2^g`).
    pub reps: usize,
    /// Whether every sign vector is enumerated.
    pub enumerate: bool,
    /// Distribution.
    pub weights: BootWeights,
    /// Seed of the streams.
    pub seed: u64,
}

impl DrawPlan {
    /// Plan `reps` draws for `g` clusters; enumerates when the weights are Rademacher and
    /// `2^g <= reps`.
    pub fn new(g: usize, reps: usize, weights: BootWeights, seed: u64) -> Self {
        let enumerate = weights == BootWeights::Rademacher && g < 40 && (1usize << g) <= reps;
        let reps = if enumerate { 1usize << g } else { reps };
        DrawPlan { g, reps, enumerate, weights, seed }
    }

    /// Number of blocks.
    pub fn n_blocks(&self) -> usize {
        self.reps.div_ceil(BLOCK)
    }

    /// Column range of block `j`.
    pub fn block_range(&self, j: usize) -> std::ops::Range<usize> {
        j * BLOCK..((j + 1) * BLOCK).min(self.reps)
    }

    /// The weights of block `j`: column-major `g x len`.
    pub fn block(&self, j: usize) -> Vec<f64> {
        let range = self.block_range(j);
        let (g, len) = (self.g, range.len());
        let mut v = vec![0.0; g * len];
        if self.enumerate {
            for (c, b) in range.enumerate() {
                for h in 0..g {
                    v[c * g + h] = if (b >> h) & 1 == 1 { 1.0 } else { -1.0 };
                }
            }
            return v;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(j as u64);
        fill(&mut rng, self.weights, &mut v);
        v
    }
}

impl DrawPlan {
    /// Whether [`Self::block_part`] can produce any part of a block on its own: enumeration,
    /// Rademacher and Mammen weights (a fixed number of random words per weight, so the stream
    /// can be sought); Webb and normal weights use rejection and need [`Self::block`].
    pub fn seekable(&self) -> bool {
        self.enumerate || matches!(self.weights, BootWeights::Rademacher | BootWeights::Mammen)
    }

    /// Entries `start..start + out.len()` of `self.block(j)` (column-major `g x len`), without
    /// generating the rest of the block: bit for bit the same values. Requires [`Self::seekable`].
    pub fn block_part(&self, j: usize, start: usize, out: &mut [f64]) {
        debug_assert!(self.seekable());
        let b0 = self.block_range(j).start;
        if self.enumerate {
            for (k, x) in out.iter_mut().enumerate() {
                let (c, h) = ((start + k) / self.g, (start + k) % self.g);
                *x = if ((b0 + c) >> h) & 1 == 1 { 1.0 } else { -1.0 };
            }
            return;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(j as u64);
        match self.weights {
            BootWeights::Rademacher => {
                // `fill` takes one u64 (two words) per 64 entries, bit i for entry i of the chunk.
                rng.set_word_pos(2 * (start / 64) as u128);
                let mut k = 0;
                let mut pos = start;
                while k < out.len() {
                    let bits: u64 = rng.random();
                    let (first, end) = (pos % 64, (64 - pos % 64).min(out.len() - k));
                    for (i, x) in out[k..k + end].iter_mut().enumerate() {
                        *x = if (bits >> (first + i)) & 1 == 1 { 1.0 } else { -1.0 };
                    }
                    k += end;
                    pos += end;
                }
            }
            BootWeights::Mammen => {
                // One f64 (one u64, two words) per entry.
                rng.set_word_pos(2 * start as u128);
                fill(&mut rng, BootWeights::Mammen, out);
            }
            BootWeights::Webb | BootWeights::Normal => unreachable!("block_part needs seekable weights"),
        }
    }
}

fn fill(rng: &mut ChaCha8Rng, weights: BootWeights, v: &mut [f64]) {
    match weights {
        BootWeights::Rademacher => {
            for chunk in v.chunks_mut(64) {
                let bits: u64 = rng.random();
                for (i, x) in chunk.iter_mut().enumerate() {
                    *x = if (bits >> i) & 1 == 1 { 1.0 } else { -1.0 };
                }
            }
        }
        BootWeights::Webb => {
            let h = 0.5f64.sqrt();
            let pts = [-(1.5f64.sqrt()), -1.0, -h, h, 1.0, 1.5f64.sqrt()];
            v.iter_mut().for_each(|x| *x = pts[rng.random_range(0..6usize)]);
        }
        BootWeights::Mammen => {
            let s5 = 5f64.sqrt();
            let (lo, hi) = (-(s5 - 1.0) / 2.0, (s5 + 1.0) / 2.0);
            let p_lo = (s5 + 1.0) / (2.0 * s5);
            v.iter_mut().for_each(|x| *x = if rng.random::<f64>() < p_lo { lo } else { hi });
        }
        BootWeights::Normal => v.iter_mut().for_each(|x| *x = rng.sample::<f64, _>(StandardNormal)),
    }
}

/// A seed from the clock, for `seed = None` (reported in the result so a run can be repeated).
pub fn fresh_seed() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (t as u64) ^ ((t >> 64) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(w: BootWeights) -> (f64, f64) {
        let plan = DrawPlan::new(50, 4000, w, 7);
        let all: Vec<f64> = (0..plan.n_blocks()).flat_map(|j| plan.block(j)).collect();
        let n = all.len() as f64;
        let m = all.iter().sum::<f64>() / n;
        (m, all.iter().map(|x| x * x).sum::<f64>() / n)
    }

    #[test]
    fn every_distribution_has_mean_zero_and_unit_variance() {
        for w in [BootWeights::Rademacher, BootWeights::Webb, BootWeights::Mammen, BootWeights::Normal] {
            let (m, v) = moments(w);
            assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.02, "{w:?}: mean {m}, var {v}");
        }
    }

    #[test]
    fn enumeration_covers_every_sign_vector_once() {
        let plan = DrawPlan::new(4, 999, BootWeights::Rademacher, 0);
        assert!(plan.enumerate && plan.reps == 16);
        let mut seen: Vec<Vec<i32>> = plan.block(0).chunks(4).map(|c| c.iter().map(|x| *x as i32).collect()).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 16);
        assert!(!DrawPlan::new(4, 999, BootWeights::Webb, 0).enumerate);
    }

    #[test]
    fn block_parts_equal_the_whole_block() {
        for (g, reps, w) in
            [(37, 600, BootWeights::Mammen), (37, 600, BootWeights::Rademacher), (5, 999, BootWeights::Rademacher)]
        {
            let plan = DrawPlan::new(g, reps, w, 11);
            assert!(plan.seekable());
            for j in 0..plan.n_blocks() {
                let whole = plan.block(j);
                let cases = [(0, whole.len()), (1, 70), (63, 2), (64, 129), (whole.len() - 3, 3)];
                for (start, len) in cases.into_iter().filter(|(s, l)| s + l <= whole.len()) {
                    let mut part = vec![0.0; len];
                    plan.block_part(j, start, &mut part);
                    assert_eq!(part, whole[start..start + len], "{w:?} block {j} at {start}");
                }
            }
        }
        assert!(!DrawPlan::new(10, 100, BootWeights::Webb, 1).seekable());
    }

    #[test]
    fn blocks_are_reproducible_and_distinct() {
        let plan = DrawPlan::new(10, 2000, BootWeights::Webb, 42);
        assert_eq!(plan.block(3), plan.block(3));
        assert_ne!(plan.block(3), plan.block(4));
        assert!("gaussian".parse::<BootWeights>().unwrap_err().to_string().contains("webb"));
    }
}
